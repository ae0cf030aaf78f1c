/* cJSON wrappers: parsing of non-NUL-terminated bodies, typed getters that check types, builders
 * that abort on OOM, and a printer that emits the reference's wire form: compact (no spaces)
 * with object keys sorted bytewise at every level. Daemon code calls cJSON only through here.
 * Depends on cJSON and common/buf. */
#ifndef SVC_COMMON_JSON_H
#define SVC_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

struct buf;
struct err_msg;

/* Parses exactly `len` bytes (need not be NUL-terminated; trailing whitespace allowed).
 * Returns a tree the caller frees with cJSON_Delete(), or NULL with `err` (may be NULL)
 * saying where parsing stopped. */
cJSON *json_parse(const char *data, size_t len, struct err_msg *err);

/* Typed getters on an object (case-sensitive keys). They return NULL/false when `obj` is not
 * an object, the key is absent, or the value has another type. Pointers are borrowed from the
 * tree. */
const char *json_get_string(const cJSON *obj, const char *key);
bool json_get_number(const cJSON *obj, const char *key, double *out);
/* Succeeds only for integral numbers within [min, max]. */
bool json_get_int(const cJSON *obj, const char *key, long long min, long long max, long long *out);
bool json_get_bool(const cJSON *obj, const char *key, bool *out);
const cJSON *json_get_object(const cJSON *obj, const char *key);
const cJSON *json_get_array(const cJSON *obj, const char *key);

/* Builders. Each aborts on OOM and returns the added item (borrowed from `obj`). Adding a key
 * that exists replaces the old value, so objects never hold duplicate keys. */
cJSON *json_new_object(void);
cJSON *json_new_array(void);
cJSON *json_set_string(cJSON *obj, const char *key, const char *val);
cJSON *json_set_stringn(cJSON *obj, const char *key, const char *val, size_t len);
cJSON *json_set_number(cJSON *obj, const char *key, double val);
cJSON *json_set_bool(cJSON *obj, const char *key, bool val);
cJSON *json_set_null(cJSON *obj, const char *key);
/* A float printed with at least one decimal (serde_json prints 1770715585.0 for a float). */
cJSON *json_set_float(cJSON *obj, const char *key, double val);
/* Takes `item` (ownership moves into `obj`). */
cJSON *json_set_item(cJSON *obj, const char *key, cJSON *item);
/* Appends to an array; takes `item`. */
void json_array_push(cJSON *arr, cJSON *item);
cJSON *json_new_string(const char *s);
/* Scalar items for arrays (objects use the json_set_* builders); abort on OOM. */
cJSON *json_new_number(double val);
cJSON *json_new_bool(bool val);
cJSON *json_new_null(void);
/* Deep copy; aborts on OOM. */
cJSON *json_dup(const cJSON *item);

/* Appends the compact, key-sorted serialisation of `item` to `out`.
 * Integral numbers print without a fraction, others in shortest round-trip form, non-finite as
 * null; strings escape only what JSON requires (like serde_json). 0, or SVC_ELIMIT when `out`
 * is full (its content is then unspecified). */
int json_print(const cJSON *item, struct buf *out);
/* Same, into a new malloc'ed string the caller frees with free(). */
char *json_print_str(const cJSON *item);
/* Appends `s` (len bytes) as a quoted JSON string. */
int json_print_string(struct buf *out, const char *s, size_t len);

#endif
