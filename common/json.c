/* cJSON wrappers and the sorted compact printer. Depends on cJSON, common/buf and common/err. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "xalloc.h"

cJSON *json_parse(const char *data, size_t len, struct err_msg *err)
{
    const char *end = NULL;
    cJSON *root;

    if (len == 0) {
        err_set(err, 0, 1, "empty JSON document");
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(data, len, &end, false);
    if (root == NULL) {
        size_t at = end != NULL && end >= data ? (size_t)(end - data) : 0;
        err_set(err, 0, (int)at + 1, "invalid JSON at byte %zu", at);
        return NULL;
    }
    for (size_t i = (size_t)(end - data); i < len; i++) {
        char c = data[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            cJSON_Delete(root);
            err_set(err, 0, (int)i + 1, "trailing data at byte %zu", i);
            return NULL;
        }
    }
    return root;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const char *json_get_string(const cJSON *obj, const char *key)
{
    const cJSON *v = get(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_get_number(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = get(obj, key);

    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

bool json_get_int(const cJSON *obj, const char *key, long long min, long long max, long long *out)
{
    double d;

    if (!json_get_number(obj, key, &d) || d != floor(d) || d < (double)min || d > (double)max)
        return false;
    *out = (long long)d;
    return true;
}

bool json_get_bool(const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = get(obj, key);

    if (!cJSON_IsBool(v))
        return false;
    *out = cJSON_IsTrue(v);
    return true;
}

const cJSON *json_get_object(const cJSON *obj, const char *key)
{
    const cJSON *v = get(obj, key);

    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *json_get_array(const cJSON *obj, const char *key)
{
    const cJSON *v = get(obj, key);

    return cJSON_IsArray(v) ? v : NULL;
}

static cJSON *check(cJSON *item)
{
    if (item == NULL) {
        fprintf(stderr, "fatal: out of memory in cJSON\n");
        abort();
    }
    return item;
}

cJSON *json_new_object(void)
{
    return check(cJSON_CreateObject());
}

cJSON *json_new_array(void)
{
    return check(cJSON_CreateArray());
}

cJSON *json_new_string(const char *s)
{
    return check(cJSON_CreateString(s));
}

cJSON *json_new_number(double val)
{
    return check(cJSON_CreateNumber(val));
}

cJSON *json_new_bool(bool val)
{
    return check(cJSON_CreateBool(val));
}

cJSON *json_new_null(void)
{
    return check(cJSON_CreateNull());
}

cJSON *json_set_item(cJSON *obj, const char *key, cJSON *item)
{
    SVC_ASSERT(cJSON_IsObject(obj));
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item))
            check(NULL);
        return item;
    }
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        check(NULL);
    }
    return item;
}

cJSON *json_set_string(cJSON *obj, const char *key, const char *val)
{
    return json_set_item(obj, key, json_new_string(val));
}

cJSON *json_set_stringn(cJSON *obj, const char *key, const char *val, size_t len)
{
    char *copy = xmemdup(val, len);
    cJSON *item = json_set_string(obj, key, copy);

    free(copy);
    return item;
}

cJSON *json_set_number(cJSON *obj, const char *key, double val)
{
    return json_set_item(obj, key, check(cJSON_CreateNumber(val)));
}

cJSON *json_set_bool(cJSON *obj, const char *key, bool val)
{
    return json_set_item(obj, key, check(cJSON_CreateBool(val)));
}

cJSON *json_set_null(cJSON *obj, const char *key)
{
    return json_set_item(obj, key, check(cJSON_CreateNull()));
}

cJSON *json_set_float(cJSON *obj, const char *key, double val)
{
    char text[64];

    if (!isfinite(val))
        return json_set_null(obj, key);
    if (val == floor(val) && fabs(val) < 1e15)
        snprintf(text, sizeof(text), "%.1f", val);
    else
        snprintf(text, sizeof(text), "%.17g", val);
    return json_set_item(obj, key, check(cJSON_CreateRaw(text)));
}

void json_array_push(cJSON *arr, cJSON *item)
{
    SVC_ASSERT(cJSON_IsArray(arr));
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        check(NULL);
    }
}

cJSON *json_dup(const cJSON *item)
{
    return check(cJSON_Duplicate(item, true));
}

/* ---- printer ---- */

int json_print_string(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_putc(out, '"');
    size_t run = 0;

    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = buf_append(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
        }
        if (rc == 0)
            rc = buf_append_str(out, esc);
    }
    if (rc == 0)
        rc = buf_append(out, s + run, len - run);
    return rc ? rc : buf_putc(out, '"');
}

static int print_number(struct buf *out, double d)
{
    char text[40];

    if (!isfinite(d))
        return buf_append_str(out, "null");
    if (d == floor(d) && fabs(d) < 9.2e18)
        return buf_appendf(out, "%lld", (long long)d);
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(text, sizeof(text), "%.*g", prec, d);
        if (strtod(text, NULL) == d)
            break;
    }
    return buf_append_str(out, text);
}

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

    return strcmp(x->string, y->string);
}

static int print_item(const cJSON *item, struct buf *out, int depth);

static int print_object(const cJSON *item, struct buf *out, int depth)
{
    const cJSON *small[32];
    const cJSON **kids = small;
    size_t n = 0, i = 0;
    int rc = 0;

    for (const cJSON *c = item->child; c != NULL; c = c->next)
        n++;
    if (n > sizeof(small) / sizeof(small[0]))
        kids = xmalloc(n * sizeof(*kids));
    for (const cJSON *c = item->child; c != NULL; c = c->next)
        kids[i++] = c;
    qsort(kids, n, sizeof(*kids), compare_keys);
    rc = buf_putc(out, '{');
    for (i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            rc = buf_putc(out, ',');
        if (rc == 0)
            rc = json_print_string(out, kids[i]->string, strlen(kids[i]->string));
        if (rc == 0)
            rc = buf_putc(out, ':');
        if (rc == 0)
            rc = print_item(kids[i], out, depth + 1);
    }
    if (rc == 0)
        rc = buf_putc(out, '}');
    if (kids != small)
        free(kids);
    return rc;
}

static int print_item(const cJSON *item, struct buf *out, int depth)
{
    int rc = 0;

    if (depth > 1000)
        return SVC_ELIMIT;
    switch (item->type & 0xff) {
    case cJSON_False:
        return buf_append_str(out, "false");
    case cJSON_True:
        return buf_append_str(out, "true");
    case cJSON_NULL:
        return buf_append_str(out, "null");
    case cJSON_Number:
        return print_number(out, item->valuedouble);
    case cJSON_String:
        return json_print_string(out, item->valuestring, strlen(item->valuestring));
    case cJSON_Raw:
        return buf_append_str(out, item->valuestring != NULL ? item->valuestring : "null");
    case cJSON_Array:
        rc = buf_putc(out, '[');
        for (const cJSON *c = item->child; c != NULL && rc == 0; c = c->next) {
            if (c != item->child)
                rc = buf_putc(out, ',');
            if (rc == 0)
                rc = print_item(c, out, depth + 1);
        }
        return rc ? rc : buf_putc(out, ']');
    case cJSON_Object:
        return print_object(item, out, depth);
    default:
        return buf_append_str(out, "null");
    }
}

int json_print(const cJSON *item, struct buf *out)
{
    return print_item(item, out, 0);
}

char *json_print_str(const cJSON *item)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    if (json_print(item, &b) < 0)
        SVC_ASSERT(!"unbounded buffer cannot fill");
    return buf_take(&b, NULL);
}
