/* Service records: validation from JSON, updates, liveness and the sorted wire form. The wire
 * form is printed directly (no cJSON tree per request): the fixed fields merged in key order with
 * the unknown fields, JSON-valued fields copied from their stored serialisation. Depends on
 * common/json, common/buf, common/err, common/wallclock. */
#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "xalloc.h"

/* Keys with a meaning in a record; anything else in a registration is kept in `extra`. */
static const char *const reserved_keys[] = {
    "name",      "host",     "port", "hostname",       "url",           "status",
    "timestamp", "metadata", "load", "last_heartbeat", "health_status", "is_healthy",
};

static bool is_reserved(const char *key)
{
    for (size_t i = 0; i < sizeof(reserved_keys) / sizeof(reserved_keys[0]); i++) {
        if (strcmp(key, reserved_keys[i]) == 0)
            return true;
    }
    return false;
}

const char *reg_health_name(enum reg_health h)
{
    switch (h) {
    case REG_HEALTH_HEALTHY:
        return "healthy";
    case REG_HEALTH_UNHEALTHY:
        return "unhealthy";
    default:
        return "unknown";
    }
}

const char *reg_record_log_name(const char *name, char *out, size_t size)
{
    size_t n = 0;

    for (; name[n] != '\0' && n + 1 < size; n++) {
        unsigned char c = (unsigned char)name[n];
        out[n] = c <= ' ' || c == 0x7f ? '?' : (char)c;
    }
    out[n] = '\0';
    return out;
}

void reg_record_free(struct reg_record *rec)
{
    if (rec == NULL)
        return;
    free(rec->name);
    free(rec->host);
    free(rec->hostname);
    free(rec->url);
    free(rec->status);
    free(rec->metadata);
    free(rec->load);
    for (size_t i = 0; i < rec->nextra; i++) {
        free(rec->extra[i].key);
        free(rec->extra[i].json);
    }
    free(rec->extra);
    free(rec);
}

/* A present, non-null member (NULL when absent or null: serde's Option). */
static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsNull(v) ? NULL : v;
}

static int need_string(const cJSON *obj, const char *key, bool required, const char **out,
                       struct err_msg *err)
{
    const cJSON *v = member(obj, key);

    *out = NULL;
    if (v == NULL) {
        if (!required)
            return 0;
        err_set(err, 0, 0, "missing field `%s`", key);
        return SVC_EPARSE;
    }
    *out = json_get_string(obj, key);
    if (*out == NULL) {
        err_set(err, 0, 0, "field `%s` must be a string", key);
        return SVC_EPARSE;
    }
    return 0;
}

static int need_port(const cJSON *obj, bool required, int *out, bool *present, struct err_msg *err)
{
    long long port;

    *present = member(obj, "port") != NULL;
    if (!*present) {
        if (!required)
            return 0;
        err_set(err, 0, 0, "missing field `port`");
        return SVC_EPARSE;
    }
    if (!json_get_int(obj, "port", 0, 65535, &port)) {
        err_set(err, 0, 0, "field `port` must be an integer between 0 and 65535");
        return SVC_EPARSE;
    }
    *out = (int)port;
    return 0;
}

static int need_metadata(const cJSON *obj, const cJSON **out, struct err_msg *err)
{
    const cJSON *v = member(obj, "metadata");

    *out = NULL;
    if (v == NULL)
        return 0;
    if (!cJSON_IsObject(v)) {
        err_set(err, 0, 0, "field `metadata` must be an object");
        return SVC_EPARSE;
    }
    *out = v;
    return 0;
}

int reg_record_parse_load(const cJSON *load, double now, cJSON **out, struct err_msg *err)
{
    const cJSON *item;

    *out = NULL;
    if (!cJSON_IsObject(load)) {
        err_set(err, 0, 0, "field `load` must be an object of numbers");
        return SVC_EPARSE;
    }
    cJSON_ArrayForEach(item, load)
    {
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < 0) {
            err_set(err, 0, 0, "field `load.%.64s` must be a non-negative number", item->string);
            return SVC_EPARSE;
        }
        if (strcmp(item->string, "kv_usage") == 0 && item->valuedouble > 1) {
            err_set(err, 0, 0, "field `load.kv_usage` must be between 0 and 1");
            return SVC_EPARSE;
        }
    }
    *out = json_dup(load);
    if (cJSON_GetObjectItemCaseSensitive(*out, "updated") == NULL)
        json_set_number(*out, "updated", floor(now));
    return 0;
}

static int need_load(const cJSON *obj, double now, cJSON **out, struct err_msg *err)
{
    const cJSON *v = member(obj, "load");

    *out = NULL;
    return v == NULL ? 0 : reg_record_parse_load(v, now, out, err);
}

/* The fields only a state file carries. */
static int state_fields(const cJSON *obj, struct reg_record *rec, struct err_msg *err)
{
    const char *ts = json_get_string(obj, "timestamp");
    const char *hs = json_get_string(obj, "health_status");

    if (ts == NULL || strlen(ts) >= sizeof(rec->timestamp)) {
        err_set(err, 0, 0, "field `timestamp` must be an RFC 3339 string");
        return SVC_EPARSE;
    }
    memcpy(rec->timestamp, ts, strlen(ts) + 1);
    if (!json_get_number(obj, "last_heartbeat", &rec->last_heartbeat) ||
        !isfinite(rec->last_heartbeat)) {
        err_set(err, 0, 0, "field `last_heartbeat` must be a number");
        return SVC_EPARSE;
    }
    rec->last_heartbeat = floor(rec->last_heartbeat);
    if (hs != NULL && strcmp(hs, "healthy") == 0)
        rec->health = REG_HEALTH_HEALTHY;
    else if (hs != NULL && strcmp(hs, "unhealthy") == 0)
        rec->health = REG_HEALTH_UNHEALTHY;
    else if (hs == NULL || strcmp(hs, "unknown") != 0) {
        err_set(err, 0, 0, "field `health_status` must be unknown, healthy or unhealthy");
        return SVC_EPARSE;
    }
    return 0;
}

struct tagged_extra {
    struct reg_extra e;
    size_t pos;
};

static int compare_extra(const void *a, const void *b)
{
    const struct tagged_extra *x = a, *y = b;
    int c = strcmp(x->e.key, y->e.key);

    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Keeps the fields that are not record fields, sorted; a repeated key keeps its last value. */
static void collect_extra(const cJSON *obj, struct reg_record *rec)
{
    struct tagged_extra *t;
    const cJSON *item;
    size_t n = 0;

    cJSON_ArrayForEach(item, obj)
    {
        n += item->string != NULL && !is_reserved(item->string);
    }
    if (n == 0)
        return;
    t = xcalloc(n, sizeof(*t));
    n = 0;
    cJSON_ArrayForEach(item, obj)
    {
        if (item->string != NULL && !is_reserved(item->string)) {
            t[n].e = (struct reg_extra){xstrdup(item->string), json_print_str(item)};
            t[n].pos = n;
            n++;
        }
    }
    qsort(t, n, sizeof(*t), compare_extra);
    rec->extra = xcalloc(n, sizeof(*rec->extra));
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && strcmp(t[i].e.key, t[i + 1].e.key) == 0) {
            free(t[i].e.key);
            free(t[i].e.json);
            continue;
        }
        rec->extra[rec->nextra++] = t[i].e;
    }
    free(t);
}

static void set_metadata(struct reg_record *rec, const cJSON *meta)
{
    const char *type = json_get_string(meta, "type");

    free(rec->metadata);
    rec->metadata = meta != NULL ? json_print_str(meta) : xstrdup("{}");
    rec->openai_api = type != NULL && strcmp(type, "openai-api") == 0;
}

static int check_name(const char *name, struct err_msg *err)
{
    if (name[0] == '\0') {
        err_set(err, 0, 0, "field `name` must not be empty");
        return SVC_EPARSE;
    }
    if (strlen(name) > REG_RECORD_NAME_MAX) {
        err_set(err, 0, 0, "field `name` is longer than %d bytes", REG_RECORD_NAME_MAX);
        return SVC_EPARSE;
    }
    return 0;
}

/* Bounds on the other strings (NULL = absent from a PUT): every listing prints them and the
 * probes connect to them. */
static int check_strings(const char *host, const char *hostname, const char *url,
                         const char *status, struct err_msg *err)
{
    const struct {
        const char *key, *val;
        size_t max;
    } f[] = {
        {"host", host, REG_RECORD_HOST_MAX},
        {"hostname", hostname, REG_RECORD_HOST_MAX},
        {"url", url, REG_RECORD_URL_MAX},
        {"status", status, REG_RECORD_STATUS_MAX},
    };

    if (host != NULL && host[0] == '\0') {
        err_set(err, 0, 0, "field `host` must not be empty");
        return SVC_EPARSE;
    }
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (f[i].val != NULL && strlen(f[i].val) > f[i].max) {
            err_set(err, 0, 0, "field `%s` is longer than %zu bytes", f[i].key, f[i].max);
            return SVC_EPARSE;
        }
    }
    return 0;
}

struct reg_record *reg_record_from_json(const cJSON *obj, enum reg_record_src src, double now,
                                        struct err_msg *err)
{
    const char *name, *host, *hostname, *url, *status, *ts;
    const cJSON *meta;
    cJSON *load = NULL;
    bool has_port;
    int port = 0;

    if (!cJSON_IsObject(obj)) {
        err_set(err, 0, 0, "expected a JSON object");
        return NULL;
    }
    if (need_string(obj, "name", true, &name, err) < 0 ||
        need_string(obj, "host", true, &host, err) < 0 ||
        need_port(obj, true, &port, &has_port, err) < 0 ||
        need_string(obj, "hostname", true, &hostname, err) < 0 ||
        need_string(obj, "url", true, &url, err) < 0 ||
        need_string(obj, "status", true, &status, err) < 0 ||
        need_string(obj, "timestamp", false, &ts, err) < 0 || need_metadata(obj, &meta, err) < 0)
        return NULL;
    if (check_name(name, err) < 0 || check_strings(host, hostname, url, status, err) < 0)
        return NULL;
    if (need_load(obj, now, &load, err) < 0)
        return NULL;
    struct reg_record *rec = xcalloc(1, sizeof(*rec));
    rec->name = xstrdup(name);
    rec->host = xstrdup(host);
    rec->hostname = xstrdup(hostname);
    rec->url = xstrdup(url);
    rec->status = xstrdup(status);
    rec->port = port;
    set_metadata(rec, meta);
    reg_record_set_load(rec, load);
    collect_extra(obj, rec);
    if (src == REG_RECORD_STATE) {
        if (state_fields(obj, rec, err) < 0) {
            reg_record_free(rec);
            return NULL;
        }
        return rec;
    }
    wallclock_rfc3339(now, rec->timestamp);
    rec->last_heartbeat = floor(now);
    return rec;
}

static void replace_str(char **field, const char *val)
{
    if (val == NULL)
        return;
    char *copy = xstrdup(val);
    free(*field);
    *field = copy;
}

int reg_record_update(struct reg_record *rec, const cJSON *obj, double now, struct err_msg *err)
{
    const char *host, *hostname, *url, *status;
    const cJSON *meta;
    cJSON *load = NULL;
    bool has_port;
    int port = 0;

    if (!cJSON_IsObject(obj)) {
        err_set(err, 0, 0, "expected a JSON object");
        return SVC_EPARSE;
    }
    if (need_string(obj, "host", false, &host, err) < 0 ||
        need_port(obj, false, &port, &has_port, err) < 0 ||
        need_string(obj, "hostname", false, &hostname, err) < 0 ||
        need_string(obj, "url", false, &url, err) < 0 ||
        need_string(obj, "status", false, &status, err) < 0 || need_metadata(obj, &meta, err) < 0 ||
        need_load(obj, now, &load, err) < 0 ||
        check_strings(host, hostname, url, status, err) < 0) {
        cJSON_Delete(load);
        return SVC_EPARSE;
    }
    replace_str(&rec->host, host);
    replace_str(&rec->hostname, hostname);
    replace_str(&rec->url, url);
    replace_str(&rec->status, status);
    if (has_port)
        rec->port = port;
    if (meta != NULL)
        set_metadata(rec, meta);
    if (load != NULL)
        reg_record_set_load(rec, load);
    reg_record_heartbeat(rec, now);
    return 0;
}

void reg_record_heartbeat(struct reg_record *rec, double now)
{
    rec->last_heartbeat = floor(now);
}

void reg_record_set_status(struct reg_record *rec, const char *status)
{
    if (strcmp(rec->status, status) != 0)
        replace_str(&rec->status, status);
}

void reg_record_set_load(struct reg_record *rec, cJSON *load)
{
    free(rec->load);
    rec->load = load != NULL ? json_print_str(load) : NULL;
    cJSON_Delete(load);
}

bool reg_record_is_healthy(const struct reg_record *rec, double now, double heartbeat_timeout)
{
    return strcmp(rec->status, "running") == 0 && now - rec->last_heartbeat < heartbeat_timeout;
}

/* ---- wire form */

static int print_str(struct buf *out, const char *s)
{
    return json_print_string(out, s, strlen(s));
}

/* Appends `"key":` for a key known not to need escaping. */
static int print_key(struct buf *out, const char *key)
{
    int rc = buf_putc(out, '"');

    if (rc == 0)
        rc = buf_append_str(out, key);
    return rc == 0 ? buf_append(out, "\":", 2) : rc;
}

/* A whole number of seconds as serde prints a float: "1770715585.0" (integer formatting: the
 * float path of printf dominated listing profiles). */
static int print_seconds(struct buf *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        return buf_appendf(out, "%lld.0", (long long)v);
    return buf_appendf(out, "%.1f", v);
}

/* The fixed fields in sorted order; `i` indexes this table. */
static const char *const fixed_keys[] = {
    "health_status", "host", "hostname", "is_healthy", "last_heartbeat", "load",
    "metadata",      "name", "port",     "status",     "timestamp",      "url",
};
#define NFIXED (sizeof(fixed_keys) / sizeof(fixed_keys[0]))

/* Prints the value of fixed field `i` (see fixed_present() for when it exists). */
static int print_fixed(const struct reg_record *rec, size_t i, bool healthy, struct buf *out)
{
    switch (i) {
    case 0:
        return print_str(out, reg_health_name(rec->health));
    case 1:
        return print_str(out, rec->host);
    case 2:
        return print_str(out, rec->hostname);
    case 3:
        return buf_append_str(out, healthy ? "true" : "false");
    case 4:
        return print_seconds(out, rec->last_heartbeat);
    case 5:
        return buf_append_str(out, rec->load);
    case 6:
        return buf_append_str(out, rec->metadata);
    case 7:
        return print_str(out, rec->name);
    case 8:
        return buf_appendf(out, "%d", rec->port);
    case 9:
        return print_str(out, rec->status);
    case 10:
        return print_str(out, rec->timestamp);
    default:
        return print_str(out, rec->url);
    }
}

static bool fixed_present(const struct reg_record *rec, size_t i, bool with_liveness)
{
    return !(i == 3 && !with_liveness) && !(i == 5 && rec->load == NULL);
}

int reg_record_print(const struct reg_record *rec, double now, double heartbeat_timeout,
                     bool with_liveness, struct buf *out)
{
    bool healthy = reg_record_is_healthy(rec, now, heartbeat_timeout);
    size_t f = 0, x = 0;
    int rc = buf_putc(out, '{');
    bool first = true;

    /* Merge the fixed keys with the (sorted) unknown fields. */
    while (rc == 0 && (f < NFIXED || x < rec->nextra)) {
        if (f < NFIXED && !fixed_present(rec, f, with_liveness)) {
            f++;
            continue;
        }
        if (!first)
            rc = buf_putc(out, ',');
        first = false;
        if (rc != 0)
            break;
        if (x >= rec->nextra || (f < NFIXED && strcmp(fixed_keys[f], rec->extra[x].key) < 0)) {
            rc = print_key(out, fixed_keys[f]);
            if (rc == 0)
                rc = print_fixed(rec, f, healthy, out);
            f++;
        } else {
            rc = print_str(out, rec->extra[x].key);
            if (rc == 0)
                rc = buf_putc(out, ':');
            if (rc == 0)
                rc = buf_append_str(out, rec->extra[x].json);
            x++;
        }
    }
    return rc == 0 ? buf_putc(out, '}') : rc;
}
