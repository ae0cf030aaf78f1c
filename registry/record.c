/* Service records: validation from JSON, updates, liveness and the sorted wire form. The wire
 * form is printed directly (no cJSON tree per request): fixed fields, then metadata, load and
 * unknown fields through common/json's sorted printer. Depends on common/json, common/buf,
 * common/err, common/wallclock. */
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
    cJSON_Delete(rec->metadata);
    cJSON_Delete(rec->load);
    cJSON_Delete(rec->extra);
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

static cJSON *collect_extra(const cJSON *obj)
{
    cJSON *extra = NULL;
    const cJSON *item;

    cJSON_ArrayForEach(item, obj)
    {
        if (item->string == NULL || is_reserved(item->string))
            continue;
        if (extra == NULL)
            extra = json_new_object();
        json_set_item(extra, item->string, json_dup(item));
    }
    return extra;
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
    if (strlen(name) > REG_RECORD_NAME_MAX) {
        err_set(err, 0, 0, "field `name` is longer than %d bytes", REG_RECORD_NAME_MAX);
        return NULL;
    }
    if (need_load(obj, now, &load, err) < 0)
        return NULL;
    struct reg_record *rec = xcalloc(1, sizeof(*rec));
    rec->name = xstrdup(name);
    rec->host = xstrdup(host);
    rec->hostname = xstrdup(hostname);
    rec->url = xstrdup(url);
    rec->status = xstrdup(status);
    rec->port = port;
    rec->metadata = meta != NULL ? json_dup(meta) : json_new_object();
    rec->load = load;
    rec->extra = collect_extra(obj);
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
        need_load(obj, now, &load, err) < 0)
        return SVC_EPARSE;
    replace_str(&rec->host, host);
    replace_str(&rec->hostname, hostname);
    replace_str(&rec->url, url);
    replace_str(&rec->status, status);
    if (has_port)
        rec->port = port;
    if (meta != NULL) {
        cJSON_Delete(rec->metadata);
        rec->metadata = json_dup(meta);
    }
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
    cJSON_Delete(rec->load);
    rec->load = load;
}

bool reg_record_is_healthy(const struct reg_record *rec, double now, double heartbeat_timeout)
{
    return strcmp(rec->status, "running") == 0 && now - rec->last_heartbeat < heartbeat_timeout;
}

/* ---- wire form */

enum field_kind {
    F_HEALTH,
    F_HOST,
    F_HOSTNAME,
    F_IS_HEALTHY,
    F_LAST_HEARTBEAT,
    F_LOAD,
    F_METADATA,
    F_NAME,
    F_PORT,
    F_STATUS,
    F_TIMESTAMP,
    F_URL,
    F_EXTRA,
};

struct field {
    const char *key;
    enum field_kind kind;
    const cJSON *item;
};

static int compare_fields(const void *a, const void *b)
{
    return strcmp(((const struct field *)a)->key, ((const struct field *)b)->key);
}

static int print_str(struct buf *out, const char *s)
{
    return json_print_string(out, s, strlen(s));
}

static int print_field(const struct reg_record *rec, const struct field *f, bool healthy,
                       struct buf *out)
{
    switch (f->kind) {
    case F_HEALTH:
        return print_str(out, reg_health_name(rec->health));
    case F_HOST:
        return print_str(out, rec->host);
    case F_HOSTNAME:
        return print_str(out, rec->hostname);
    case F_IS_HEALTHY:
        return buf_append_str(out, healthy ? "true" : "false");
    case F_LAST_HEARTBEAT:
        return buf_appendf(out, "%.1f", rec->last_heartbeat);
    case F_NAME:
        return print_str(out, rec->name);
    case F_PORT:
        return buf_appendf(out, "%d", rec->port);
    case F_STATUS:
        return print_str(out, rec->status);
    case F_TIMESTAMP:
        return print_str(out, rec->timestamp);
    case F_URL:
        return print_str(out, rec->url);
    default:
        return json_print(f->item, out);
    }
}

int reg_record_print(const struct reg_record *rec, double now, double heartbeat_timeout,
                     bool with_liveness, struct buf *out)
{
    static const struct field fixed[] = {
        {"health_status", F_HEALTH, NULL},
        {"host", F_HOST, NULL},
        {"hostname", F_HOSTNAME, NULL},
        {"is_healthy", F_IS_HEALTHY, NULL},
        {"last_heartbeat", F_LAST_HEARTBEAT, NULL},
        {"load", F_LOAD, NULL},
        {"metadata", F_METADATA, NULL},
        {"name", F_NAME, NULL},
        {"port", F_PORT, NULL},
        {"status", F_STATUS, NULL},
        {"timestamp", F_TIMESTAMP, NULL},
        {"url", F_URL, NULL},
    };
    const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct field small[32], *fields = small;
    size_t n = 0, nextra = (size_t)cJSON_GetArraySize(rec->extra);
    bool healthy = reg_record_is_healthy(rec, now, heartbeat_timeout);
    const cJSON *item;
    int rc;

    if (nfixed + nextra > sizeof(small) / sizeof(small[0]))
        fields = xmalloc((nfixed + nextra) * sizeof(*fields));
    for (size_t i = 0; i < nfixed; i++) {
        if ((fixed[i].kind == F_IS_HEALTHY && !with_liveness) ||
            (fixed[i].kind == F_LOAD && rec->load == NULL))
            continue;
        fields[n] = fixed[i];
        fields[n].item = fixed[i].kind == F_LOAD ? rec->load : rec->metadata;
        n++;
    }
    cJSON_ArrayForEach(item, rec->extra)
    {
        fields[n++] = (struct field){item->string, F_EXTRA, item};
    }
    if (nextra > 0) /* the fixed fields are already in order */
        qsort(fields, n, sizeof(*fields), compare_fields);
    rc = buf_putc(out, '{');
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            rc = buf_putc(out, ',');
        if (rc == 0)
            rc = print_str(out, fields[i].key);
        if (rc == 0)
            rc = buf_putc(out, ':');
        if (rc == 0)
            rc = print_field(rec, &fields[i], healthy, out);
    }
    if (rc == 0)
        rc = buf_putc(out, '}');
    if (fields != small)
        free(fields);
    return rc;
}
