/* TOML -> JSON for [metadata], and the protected-key rule. Depends on config/toml and
 * common/json. */
#include "metadata.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "toml.h"

static const char *const protected_keys[] = {
    "babysitter", "models", "models_list", "parent_service", "type", NULL,
};

bool bs_metadata_is_protected(const char *key)
{
    for (size_t i = 0; protected_keys[i] != NULL; i++)
        if (strcmp(protected_keys[i], key) == 0)
            return true;
    return false;
}

static cJSON *convert_table(const struct toml_table *t);

static cJSON *convert_value(const struct toml_value *v)
{
    switch (toml_value_type(v)) {
    case TOML_STRING:
        return json_new_string(toml_value_string(v, NULL));
    case TOML_INTEGER:
        return json_new_number((double)toml_value_integer(v));
    case TOML_FLOAT: {
        double d = toml_value_float(v);
        return isfinite(d) ? json_new_number(d) : json_new_null();
    }
    case TOML_BOOL:
        return json_new_bool(toml_value_bool(v));
    case TOML_DATETIME:
        return json_new_string(toml_value_datetime(v, NULL));
    case TOML_ARRAY: {
        const struct toml_array *a = toml_value_array(v);
        cJSON *arr = json_new_array();
        for (size_t i = 0; i < toml_array_len(a); i++)
            json_array_push(arr, convert_value(toml_array_at(a, i)));
        return arr;
    }
    case TOML_TABLE:
        return convert_table(toml_value_table(v));
    }
    return json_new_null();
}

static cJSON *convert_table(const struct toml_table *t)
{
    cJSON *o = json_new_object();

    for (size_t i = 0; i < toml_table_len(t); i++)
        json_set_item(o, toml_table_key_at(t, i, NULL), convert_value(toml_table_value_at(t, i)));
    return o;
}

cJSON *bs_metadata_from_toml(const struct toml_table *t, cfg_warn_cb warn, void *ud)
{
    cJSON *o = json_new_object();
    char msg[160];

    for (size_t i = 0; i < toml_table_len(t); i++) {
        const char *key = toml_table_key_at(t, i, NULL);
        const struct toml_value *v = toml_table_value_at(t, i);
        if (bs_metadata_is_protected(key)) {
            snprintf(msg, sizeof(msg),
                     "metadata.%s: ignored (the babysitter sets this key of the record itself)",
                     key);
            if (warn != NULL)
                warn(ud, toml_value_line(v), toml_value_col(v), msg);
            continue;
        }
        json_set_item(o, key, convert_value(v));
    }
    return o;
}

void bs_metadata_merge(cJSON *dst, const cJSON *extra)
{
    const cJSON *item;

    if (extra == NULL)
        return;
    cJSON_ArrayForEach(item, extra)
    {
        if (item->string != NULL && !bs_metadata_is_protected(item->string))
            json_set_item(dst, item->string, json_dup(item));
    }
}
