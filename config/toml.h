/* Strict TOML 1.0 parser: bytes -> an immutable tree of tables, arrays and scalars.
 * Everything outside TOML 1.0 is rejected with a 1-based line:column (columns count Unicode
 * characters). Every value remembers where it was defined, so callers can report
 * `file:line:col` for a bad value. The tree knows no keys: mapping keys onto structs is cfg's
 * job. Depends on libc and common/{buf,err,xalloc} only; never logs. */
#ifndef SVC_CONFIG_TOML_H
#define SVC_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>

struct err_msg;
struct toml_table;
struct toml_array;
struct toml_value;

/* Resource limits: containers (tables, arrays, inline tables) nest at most TOML_MAX_DEPTH
 * levels below the root, and a document is at most TOML_MAX_BYTES long. */
#define TOML_MAX_DEPTH 64
#define TOML_MAX_BYTES (16u << 20)

enum toml_type {
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,
    TOML_ARRAY,
    TOML_TABLE,
};

/* The four RFC 3339 forms TOML accepts. */
enum toml_datetime_kind {
    TOML_DATETIME_OFFSET, /* 1979-05-27T07:32:00Z, 1979-05-27 00:32:00.5-07:00 */
    TOML_DATETIME_LOCAL,  /* 1979-05-27T07:32:00 */
    TOML_DATETIME_DATE,   /* 1979-05-27 */
    TOML_DATETIME_TIME,   /* 07:32:00.999 */
};

/* Parses `len` bytes of TOML (need not be NUL-terminated; `data` may be NULL when `len` is 0).
 * Returns the root table, owned by the caller (release with toml_free()), or NULL with `err`
 * (may be NULL) holding line, column and message of the first error. Documents longer than
 * TOML_MAX_BYTES fail without a position. A leading UTF-8 byte-order mark is skipped.
 * Never logs; never aborts on bad input. */
struct toml_table *toml_parse(const char *data, size_t len, struct err_msg *err);

/* Releases a tree returned by toml_parse(). NULL-safe. Every pointer into the tree dies. */
void toml_free(struct toml_table *root);

/* Tables. Lookups compare keys byte for byte (after unescaping quoted keys). Iteration runs in
 * the order the keys were first defined in the document. Every returned pointer is borrowed
 * from the tree. A NULL table behaves as an empty one. */

/* Returns the value stored under the single key `key` (not a dotted path), or NULL. */
const struct toml_value *toml_table_get(const struct toml_table *t, const char *key);
/* Same, for a key of `len` bytes that may contain NULs. */
const struct toml_value *toml_table_getn(const struct toml_table *t, const char *key, size_t len);
size_t toml_table_len(const struct toml_table *t);
/* The i-th key (NUL-terminated; it may also contain NULs, so `len`, when not NULL, receives
 * its length), or NULL when i is out of range. */
const char *toml_table_key_at(const struct toml_table *t, size_t i, size_t *len);
/* The i-th value, or NULL when i is out of range. */
const struct toml_value *toml_table_value_at(const struct toml_table *t, size_t i);

/* Arrays. A NULL array behaves as an empty one. */
size_t toml_array_len(const struct toml_array *a);
/* The i-th element (borrowed), or NULL when i is out of range. */
const struct toml_value *toml_array_at(const struct toml_array *a, size_t i);

/* Values. `v` must not be NULL for the type and position accessors. */
enum toml_type toml_value_type(const struct toml_value *v);
/* Where the value was defined: the first character of a scalar, array or inline table; for a
 * table made by a [header] or a dotted key, the key naming it (1-based). */
int toml_value_line(const struct toml_value *v);
int toml_value_col(const struct toml_value *v);
/* The string (NUL-terminated, borrowed; it may contain NULs written as \u0000, so `len`, when
 * not NULL, receives its length), or NULL when `v` is NULL or not a TOML_STRING. */
const char *toml_value_string(const struct toml_value *v, size_t *len);
/* The date/time exactly as written in the document (syntax and ranges already validated), or
 * NULL when `v` is NULL or not a TOML_DATETIME. `kind` may be NULL. */
const char *toml_value_datetime(const struct toml_value *v, enum toml_datetime_kind *kind);
/* Scalars; `v` must have the matching type (checked with SVC_ASSERT). */
long long toml_value_integer(const struct toml_value *v);
double toml_value_float(const struct toml_value *v);
bool toml_value_bool(const struct toml_value *v);
/* The container (borrowed), or NULL when `v` is NULL or of another type. */
const struct toml_array *toml_value_array(const struct toml_value *v);
const struct toml_table *toml_value_table(const struct toml_value *v);

/* "string", "integer", "float", "boolean", "datetime", "array" or "table". */
const char *toml_type_name(enum toml_type type);

#endif
