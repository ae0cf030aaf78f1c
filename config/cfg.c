/* Table-driven configuration: applies defaults and TOML values to the struct fields that the
 * settings table's entries with a key describe, and reports unknown keys. Values given as
 * strings (defaults, command-line overrides) go through the TOML parser too, and numbers meet
 * the command line's range rule (cli_in_range), so one set of rules checks every source.
 * Depends on libc, common/{buf,cli,err,xalloc} and config/toml only; never logs. */
#include "cfg.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "toml.h"
#include "xalloc.h"

static void *field(const struct cli_opt *k, void *obj)
{
    return (char *)obj + k->offset;
}

static const struct cli_opt *find_key(const struct cli_opt *opts, const char *name)
{
    for (const struct cli_opt *k = opts; !cli_is_end(k); k++)
        if (k->key != NULL && strcmp(k->key, name) == 0)
            return k;
    return NULL;
}

/* True when some key continues `path` with ".more". */
static bool is_prefix(const struct cli_opt *opts, const char *path)
{
    size_t n = strlen(path);

    for (const struct cli_opt *k = opts; !cli_is_end(k); k++)
        if (k->key != NULL && strncmp(k->key, path, n) == 0 && k->key[n] == '.')
            return true;
    return false;
}

/* What the key accepts, for "<key>: expected <what>". */
static const char *describe(const struct cli_opt *k, char *out, size_t size)
{
    bool ranged = k->min < k->max;

    switch (k->type) {
    case CLI_STR:
        return "a string";
    case CLI_INT:
        snprintf(out, size, "an integer in %lld..%lld", ranged ? (long long)k->min : INT_MIN,
                 ranged ? (long long)k->max : INT_MAX);
        return out;
    case CLI_INT64:
        if (!ranged)
            return "an integer";
        snprintf(out, size, "an integer in %lld..%lld", (long long)k->min, (long long)k->max);
        return out;
    case CLI_BOOL:
        return "a boolean (true or false)";
    case CLI_DOUBLE:
        if (!ranged)
            return "a finite number";
        snprintf(out, size, "a number in %g..%g", k->min, k->max);
        return out;
    case CLI_ENUM: {
        size_t used = (size_t)snprintf(out, size, "one of");
        for (size_t i = 0; k->enum_names[i] != NULL && used < size; i++)
            used += (size_t)snprintf(out + used, size - used, "%s \"%s\"", i ? "," : "",
                                     k->enum_names[i]);
        return out;
    }
    case CLI_STR_ARRAY:
        return "an array of strings";
    case CLI_STR_MAP:
        return "a table of strings";
    case CLI_TABLE:
        return "a table";
    }
    return "a value";
}

static int expected(const struct cli_opt *k, const struct toml_value *v, struct err_msg *err)
{
    char what[200];

    err_set(err, v != NULL ? toml_value_line(v) : 0, v != NULL ? toml_value_col(v) : 0,
            "%s: expected %s", k->key, describe(k, what, sizeof(what)));
    return SVC_EBADCONFIG;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* A copy of the string value, or NULL when `v` is not a string or holds a NUL. */
static char *dup_string(const struct toml_value *v)
{
    size_t len;
    const char *s = toml_value_string(v, &len);

    return s != NULL && strlen(s) == len ? xstrdup(s) : NULL;
}

static int apply_integer(const struct cli_opt *k, const struct toml_value *v, void *obj,
                         struct err_msg *err)
{
    if (toml_value_type(v) != TOML_INTEGER)
        return expected(k, v, err);
    long long n = toml_value_integer(v);
    if (!cli_in_range(k, (double)n))
        return expected(k, v, err);
    if (k->type == CLI_INT64)
        *(long long *)field(k, obj) = n;
    else
        *(int *)field(k, obj) = (int)n;
    return 0;
}

static int apply_number(const struct cli_opt *k, const struct toml_value *v, void *obj,
                        struct err_msg *err)
{
    double d;

    if (toml_value_type(v) == TOML_INTEGER)
        d = (double)toml_value_integer(v);
    else if (toml_value_type(v) == TOML_FLOAT)
        d = toml_value_float(v);
    else
        return expected(k, v, err);
    if (!cli_in_range(k, d))
        return expected(k, v, err);
    *(double *)field(k, obj) = d;
    return 0;
}

static int apply_enum(const struct cli_opt *k, const struct toml_value *v, void *obj,
                      struct err_msg *err)
{
    size_t len;
    const char *s = toml_value_string(v, &len);

    SVC_ASSERT(k->enum_names != NULL);
    for (int i = 0; s != NULL && k->enum_names[i] != NULL; i++) {
        if (strlen(k->enum_names[i]) == len && memcmp(k->enum_names[i], s, len) == 0) {
            *(int *)field(k, obj) = i;
            return 0;
        }
    }
    return expected(k, v, err);
}

static int apply_str_array(const struct cli_opt *k, const struct toml_value *v, void *obj,
                           struct err_msg *err)
{
    const struct toml_array *a = toml_value_array(v);

    if (a == NULL)
        return expected(k, v, err);
    size_t n = toml_array_len(a);
    char **strv = xcalloc(n + 1, sizeof(*strv));
    for (size_t i = 0; i < n; i++) {
        strv[i] = dup_string(toml_array_at(a, i));
        if (strv[i] == NULL) {
            free_strv(strv);
            return expected(k, toml_array_at(a, i), err);
        }
    }
    char ***slot = field(k, obj);
    free_strv(*slot);
    *slot = strv;
    return 0;
}

/* "KEY=VALUE" for one entry of a CLI_STR_MAP table, or NULL with err set. */
static char *map_entry(const struct cli_opt *k, const struct toml_table *t, size_t i,
                       struct err_msg *err)
{
    size_t klen, vlen;
    const char *key = toml_table_key_at(t, i, &klen);
    const struct toml_value *v = toml_table_value_at(t, i);
    const char *val = toml_value_string(v, &vlen);

    if (klen == 0 || strlen(key) != klen || strchr(key, '=') != NULL) {
        err_set(err, toml_value_line(v), toml_value_col(v),
                "%s: key \"%s\" must be non-empty and contain no '=' or NUL", k->key, key);
        return NULL;
    }
    if (val == NULL || strlen(val) != vlen) {
        err_set(err, toml_value_line(v), toml_value_col(v), "%s.%s: expected a string", k->key,
                key);
        return NULL;
    }
    char *entry = xmalloc(klen + vlen + 2);
    memcpy(entry, key, klen);
    entry[klen] = '=';
    memcpy(entry + klen + 1, val, vlen + 1);
    return entry;
}

static int apply_str_map(const struct cli_opt *k, const struct toml_value *v, void *obj,
                         struct err_msg *err)
{
    const struct toml_table *t = toml_value_table(v);

    if (t == NULL)
        return expected(k, v, err);
    size_t n = toml_table_len(t);
    char **strv = xcalloc(n + 1, sizeof(*strv));
    for (size_t i = 0; i < n; i++) {
        strv[i] = map_entry(k, t, i, err);
        if (strv[i] == NULL) {
            free_strv(strv);
            return SVC_EBADCONFIG;
        }
    }
    char ***slot = field(k, obj);
    free_strv(*slot);
    *slot = strv;
    return 0;
}

static int apply_value(const struct cli_opt *k, const struct toml_value *v, void *obj,
                       struct err_msg *err)
{
    switch (k->type) {
    case CLI_STR: {
        char *s = dup_string(v);
        if (s == NULL)
            return expected(k, v, err);
        char **slot = field(k, obj);
        free(*slot);
        *slot = s;
        return 0;
    }
    case CLI_INT:
    case CLI_INT64:
        return apply_integer(k, v, obj, err);
    case CLI_BOOL:
        if (toml_value_type(v) != TOML_BOOL)
            return expected(k, v, err);
        *(bool *)field(k, obj) = toml_value_bool(v);
        return 0;
    case CLI_DOUBLE:
        return apply_number(k, v, obj, err);
    case CLI_ENUM:
        return apply_enum(k, v, obj, err);
    case CLI_STR_ARRAY:
        return apply_str_array(k, v, obj, err);
    case CLI_STR_MAP:
        return apply_str_map(k, v, obj, err);
    case CLI_TABLE:
        if (toml_value_table(v) == NULL)
            return expected(k, v, err);
        *(const struct toml_table **)field(k, obj) = toml_value_table(v);
        return 0;
    }
    return expected(k, v, err);
}

void cfg_apply_defaults(const struct cli_opt *opts, void *obj)
{
    cli_apply_defaults(opts, obj, CLI_KEYED, cfg_set_value);
}

struct walk {
    const struct cli_opt *keys;
    void *obj;
    unsigned flags;
    cfg_warn_cb warn;
    void *ud;
    struct err_msg *err;
    struct buf path;
};

static bool is_bare_key(const char *key, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return len > 0;
}

/* Appends ".key" (or "key" at the top) to the path, quoting keys that are not bare. */
static int path_push(struct buf *path, const char *key, size_t len)
{
    int rc = path->len > 0 ? buf_putc(path, '.') : 0;

    if (rc == 0 && is_bare_key(key, len))
        return buf_append(path, key, len);
    if (rc == 0)
        rc = buf_putc(path, '"');
    if (rc == 0)
        rc = buf_append(path, key, len);
    if (rc == 0)
        rc = buf_putc(path, '"');
    return rc;
}

static void path_truncate(struct buf *path, size_t len)
{
    path->len = len;
    if (path->data != NULL)
        path->data[len] = '\0';
}

static int unknown_key(struct walk *w, const struct toml_value *v)
{
    char msg[256];
    const char *path = buf_cstr(&w->path);

    if (w->flags & CFG_STRICT) {
        err_set(w->err, toml_value_line(v), toml_value_col(v), "%s: unknown key", path);
        return SVC_EBADCONFIG;
    }
    if (w->warn != NULL) {
        snprintf(msg, sizeof(msg), "%s: unknown key", path);
        w->warn(w->ud, toml_value_line(v), toml_value_col(v), msg);
    }
    return 0;
}

static int walk_table(struct walk *w, const struct toml_table *t)
{
    size_t base = w->path.len;
    int rc = 0;

    for (size_t i = 0; i < toml_table_len(t) && rc == 0; i++) {
        size_t klen;
        const char *key = toml_table_key_at(t, i, &klen);
        const struct toml_value *v = toml_table_value_at(t, i);
        path_truncate(&w->path, base);
        rc = path_push(&w->path, key, klen);
        if (rc < 0)
            break;
        const char *path = buf_cstr(&w->path);
        const struct cli_opt *k = find_key(w->keys, path);
        if (k != NULL) {
            rc = apply_value(k, v, w->obj, w->err);
        } else if (is_prefix(w->keys, path)) {
            if (toml_value_table(v) == NULL) {
                err_set(w->err, toml_value_line(v), toml_value_col(v), "%s: expected a table",
                        path);
                rc = SVC_EBADCONFIG;
            } else {
                rc = walk_table(w, toml_value_table(v));
            }
        } else {
            rc = unknown_key(w, v);
        }
    }
    path_truncate(&w->path, base);
    return rc;
}

int cfg_apply(const struct cli_opt *keys, const struct toml_table *root, void *obj, unsigned flags,
              cfg_warn_cb warn, void *ud, struct err_msg *err)
{
    struct walk w = {keys, obj, flags, warn, ud, err, {0}};

    cfg_apply_defaults(keys, obj);
    buf_init(&w.path, CFG_MAX_FILE_BYTES);
    int rc = walk_table(&w, root);
    buf_free(&w.path);
    if (rc == SVC_ELIMIT)
        err_set(err, 0, 0, "key path too long");
    return rc < 0 ? SVC_EBADCONFIG : 0;
}

static bool has_table_key(const struct cli_opt *keys)
{
    for (const struct cli_opt *k = keys; !cli_is_end(k); k++)
        if (k->key != NULL && k->type == CLI_TABLE)
            return true;
    return false;
}

int cfg_load_file(const char *path, const struct cli_opt *keys, void *obj, unsigned flags,
                  cfg_warn_cb warn, void *ud, struct toml_table **tree_out, struct err_msg *err)
{
    struct buf text;
    struct toml_table *root = NULL;

    SVC_ASSERT(tree_out != NULL || !has_table_key(keys));
    if (tree_out != NULL)
        *tree_out = NULL;
    buf_init(&text, CFG_MAX_FILE_BYTES);
    int rc = buf_read_file(&text, path);
    if (rc < 0) {
        err_set(err, 0, 0, "cannot read the configuration file: %s",
                rc == SVC_ELIMIT ? "larger than 16 MiB" : err_str(rc));
        goto out;
    }
    root = toml_parse(text.data, text.len, err);
    if (root == NULL) {
        rc = SVC_EPARSE;
        goto out;
    }
    rc = cfg_apply(keys, root, obj, flags, warn, ud, err);
    if (rc == 0 && tree_out != NULL) {
        *tree_out = root;
        root = NULL;
    }
out:
    if (rc < 0)
        cfg_free(keys, obj);
    toml_free(root);
    buf_free(&text);
    return rc;
}

/* Parses `value` as the right-hand side of a TOML key/value pair and applies it. */
static int set_from_toml(const struct cli_opt *k, void *obj, const char *value, struct err_msg *err)
{
    struct buf doc;
    struct toml_table *root = NULL;
    int rc;

    buf_init(&doc, CFG_MAX_FILE_BYTES);
    if (buf_append_str(&doc, "v = ") < 0 || buf_append_str(&doc, value) < 0) {
        rc = expected(k, NULL, err);
        goto out;
    }
    root = toml_parse(doc.data, doc.len, NULL);
    if (root == NULL || toml_table_len(root) != 1 || toml_table_get(root, "v") == NULL) {
        rc = expected(k, NULL, err);
        goto out;
    }
    rc = apply_value(k, toml_table_get(root, "v"), obj, err);
    if (rc < 0 && err != NULL) {
        err->line = 0;
        err->col = 0;
    }
out:
    toml_free(root);
    buf_free(&doc);
    return rc;
}

/* cfg_set_string() for entry `k`. */
static int set_string(const struct cli_opt *k, void *obj, const char *value, struct err_msg *err)
{
    const char *lead = value;

    while (*lead == ' ' || *lead == '\t')
        lead++;
    switch (k->type) {
    case CLI_STR:
        return cli_set(k, obj, value, "", err);
    case CLI_ENUM:
        return cli_set(k, obj, value, "", NULL) == 0 ? 0 : expected(k, NULL, err);
    case CLI_STR_ARRAY:
        if (*lead != '[')
            return cli_set(k, obj, value, "", err);
        break;
    case CLI_STR_MAP:
        if (*lead == '{')
            break;
        if (strchr(value, '=') == NULL || value[0] == '=') {
            err_set(err, 0, 0, "%s: expected KEY=VALUE or an inline table", k->key);
            return SVC_EBADCONFIG;
        }
        return cli_set(k, obj, value, "", err);
    case CLI_TABLE:
        err_set(err, 0, 0, "%s: a table cannot be set from a string", k->key);
        return SVC_EBADCONFIG;
    default:
        break;
    }
    return set_from_toml(k, obj, value, err);
}

int cfg_set_string(const struct cli_opt *opts, void *obj, const char *key, const char *value,
                   struct err_msg *err)
{
    const struct cli_opt *k = find_key(opts, key);

    if (k == NULL) {
        err_set(err, 0, 0, "%s: unknown key", key);
        return SVC_ENOTFOUND;
    }
    return set_string(k, obj, value, err);
}

int cfg_set_value(const struct cli_opt *o, void *obj, const char *value, const char *source,
                  struct err_msg *err)
{
    struct err_msg e = {0};

    if (o->key == NULL)
        return cli_set(o, obj, value, source, err);
    int rc = set_string(o, obj, value, &e);
    if (rc < 0 && o->names != NULL && strcmp(source, CLI_SOURCE_ARGV) == 0)
        err_set(err, 0, 0, "--%.*s: %s", (int)strcspn(o->names, "|"), o->names, e.msg);
    else if (rc < 0)
        err_set(err, 0, 0, "%s: %s", source, e.msg);
    return rc;
}

void cfg_free(const struct cli_opt *opts, void *obj)
{
    cli_free_part(opts, obj, CLI_KEYED);
}

void cfg_format_error(const char *path, const struct err_msg *err, char *out, size_t size)
{
    if (size == 0)
        return;
    if (path != NULL && err->line > 0)
        snprintf(out, size, "%s:%d:%d: %s", path, err->line, err->col, err->msg);
    else if (path != NULL)
        snprintf(out, size, "%s: %s", path, err->msg);
    else if (err->line > 0)
        snprintf(out, size, "%d:%d: %s", err->line, err->col, err->msg);
    else
        snprintf(out, size, "%s", err->msg);
}
