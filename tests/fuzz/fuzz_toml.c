/* libFuzzer target for the TOML parser: parse arbitrary bytes, walk every value of the tree
 * through the public accessors, free. Any crash, leak or sanitizer report is a bug. */
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk_value(const struct toml_value *v);

static size_t walk_table(const struct toml_table *t)
{
    size_t n = 0;

    for (size_t i = 0; i < toml_table_len(t); i++) {
        size_t len;
        const char *key = toml_table_key_at(t, i, &len);
        n += len + (key != NULL && toml_table_getn(t, key, len) == toml_table_value_at(t, i));
        n += walk_value(toml_table_value_at(t, i));
    }
    return n;
}

static size_t walk_value(const struct toml_value *v)
{
    size_t n = (size_t)toml_value_line(v) + (size_t)toml_value_col(v);
    size_t len = 0;

    switch (toml_value_type(v)) {
    case TOML_STRING:
        n += toml_value_string(v, &len) != NULL ? len : 0;
        break;
    case TOML_INTEGER:
        n += (size_t)toml_value_integer(v);
        break;
    case TOML_FLOAT:
        n += toml_value_float(v) > 0;
        break;
    case TOML_BOOL:
        n += toml_value_bool(v);
        break;
    case TOML_DATETIME:
        n += toml_value_datetime(v, NULL) != NULL;
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < toml_array_len(toml_value_array(v)); i++)
            n += walk_value(toml_array_at(toml_value_array(v), i));
        break;
    case TOML_TABLE:
        n += walk_table(toml_value_table(v));
        break;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err_msg err = {0};
    struct toml_table *root = toml_parse((const char *)data, size, &err);

    if (root == NULL) {
        /* Every failure carries a position inside the document and a message. */
        if (err.line < 1 || err.col < 1 || err.msg[0] == '\0')
            __builtin_trap();
        return 0;
    }
    volatile size_t sink = walk_table(root);
    (void)sink;
    toml_free(root);
    return 0;
}
