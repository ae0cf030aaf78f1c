/* TOML public entry points: parse, free and read-only accessors over the tree. The grammar
 * lives in toml_doc.c, tokens in toml_lex.c and toml_scalar.c, the containers in toml_tree.c.
 * Depends on libc and common/{buf,err,xalloc} only; never logs. */
#include "toml.h"

#include <string.h>

#include "err.h"
#include "toml_doc.h"
#include "toml_internal.h"
#include "toml_lex.h"
#include "toml_tree.h"
#include "xalloc.h"

struct toml_table *toml_parse(const char *data, size_t len, struct err_msg *err)
{
    struct toml_lex lx;

    SVC_ASSERT(data != NULL || len == 0);
    if (len > TOML_MAX_BYTES) {
        err_set(err, 0, 0, "document larger than %u bytes", TOML_MAX_BYTES);
        return NULL;
    }
    toml_lex_init(&lx, data, len, err);
    struct toml_table *root = toml_tree_table_new(0, TOML_TABLE_HEADER);
    int rc = toml_doc_parse(&lx, root);
    toml_lex_close(&lx);
    if (rc < 0) {
        toml_tree_table_free(root);
        return NULL;
    }
    return root;
}

void toml_free(struct toml_table *root)
{
    toml_tree_table_free(root);
}

const struct toml_value *toml_table_getn(const struct toml_table *t, const char *key, size_t len)
{
    if (t == NULL || key == NULL)
        return NULL;
    size_t i = toml_tree_find(t, key, len);
    return i == TOML_TREE_NONE ? NULL : &t->ents[i].val;
}

const struct toml_value *toml_table_get(const struct toml_table *t, const char *key)
{
    return toml_table_getn(t, key, key != NULL ? strlen(key) : 0);
}

size_t toml_table_len(const struct toml_table *t)
{
    return t != NULL ? t->len : 0;
}

const char *toml_table_key_at(const struct toml_table *t, size_t i, size_t *len)
{
    if (t == NULL || i >= t->len)
        return NULL;
    if (len != NULL)
        *len = t->ents[i].key_len;
    return t->ents[i].key;
}

const struct toml_value *toml_table_value_at(const struct toml_table *t, size_t i)
{
    return t != NULL && i < t->len ? &t->ents[i].val : NULL;
}

size_t toml_array_len(const struct toml_array *a)
{
    return a != NULL ? a->len : 0;
}

const struct toml_value *toml_array_at(const struct toml_array *a, size_t i)
{
    return a != NULL && i < a->len ? &a->items[i] : NULL;
}

enum toml_type toml_value_type(const struct toml_value *v)
{
    return v->type;
}

int toml_value_line(const struct toml_value *v)
{
    return v->line;
}

int toml_value_col(const struct toml_value *v)
{
    return v->col;
}

const char *toml_value_string(const struct toml_value *v, size_t *len)
{
    if (v == NULL || v->type != TOML_STRING)
        return NULL;
    if (len != NULL)
        *len = v->len;
    return v->u.str;
}

const char *toml_value_datetime(const struct toml_value *v, enum toml_datetime_kind *kind)
{
    if (v == NULL || v->type != TOML_DATETIME)
        return NULL;
    if (kind != NULL)
        *kind = v->dt_kind;
    return v->u.str;
}

long long toml_value_integer(const struct toml_value *v)
{
    SVC_ASSERT(v != NULL && v->type == TOML_INTEGER);
    return v->u.i;
}

double toml_value_float(const struct toml_value *v)
{
    SVC_ASSERT(v != NULL && v->type == TOML_FLOAT);
    return v->u.f;
}

bool toml_value_bool(const struct toml_value *v)
{
    SVC_ASSERT(v != NULL && v->type == TOML_BOOL);
    return v->u.b;
}

const struct toml_array *toml_value_array(const struct toml_value *v)
{
    return v != NULL && v->type == TOML_ARRAY ? v->u.arr : NULL;
}

const struct toml_table *toml_value_table(const struct toml_value *v)
{
    return v != NULL && v->type == TOML_TABLE ? v->u.tab : NULL;
}

const char *toml_type_name(enum toml_type type)
{
    switch (type) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "boolean";
    case TOML_DATETIME:
        return "datetime";
    case TOML_ARRAY:
        return "array";
    case TOML_TABLE:
        return "table";
    }
    return "unknown";
}
