/* Registry endpoints: routing, request validation in axum's order (route 404/405, body 413,
 * token 401, Content-Type 415, JSON 400, shape 422, unknown service 404) and the reference's
 * response shapes, compact with sorted keys. Registrations are also rate-limited (429 right
 * after the token check), held to the host allow-list (403) and to the record cap (429). Every
 * error carries the OpenAI-shaped JSON body. Depends on registry/store, registry/record,
 * registry/metrics, registry/allow, common/json, common/http_status, common/http_request (query
 * and percent decoding), common/log, common/prom, common/wallclock. */
#include "handlers.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "allow.h"
#include "bearer.h"
#include "err.h"
#include "http_reply.h"
#include "http_request.h"
#include "http_status.h"
#include "json.h"
#include "log.h"
#include "prom.h"
#include "store.h"
#include "url.h"
#include "wallclock.h"
#include "xalloc.h"

#define JSON_TYPE "application/json"
/* Decoded path segments longer than this cannot name a registered record. */
#define NAME_BUF  (REG_RECORD_NAME_MAX * 2)
#define QUERY_BUF 1024

struct reg_handlers {
    struct reg_store *store;
    struct reg_metrics *metrics;
    char *token; /* comma-separated accepted tokens; NULL = open */
    size_t max_body;
    const struct reg_allow *allow;
    size_t max_services;
    double rate, burst; /* registration token bucket: refill per second, capacity */
    double tokens;
    double tokens_at; /* when `tokens` was last brought up to date; < 0 = never */
    double ts_second; /* the second `ts` was formatted for */
    char ts[WALLCLOCK_RFC3339_LEN];
};

enum route_kind {
    RT_NONE,
    RT_HEALTH,
    RT_SERVICES,
    RT_SERVICE,
    RT_SERVICE_HEALTH,
    RT_HEARTBEAT,
    RT_STATS,
    RT_METRICS,
};

struct route {
    enum route_kind kind;
    struct slice seg; /* :name, still percent-encoded */
};

struct reg_handlers *reg_handlers_new(const struct reg_handlers_opts *opts)
{
    struct reg_handlers *h = xcalloc(1, sizeof(*h));

    h->store = opts->store;
    h->metrics = opts->metrics;
    h->max_body = opts->max_body;
    h->allow = opts->allow;
    h->max_services = opts->max_services;
    h->rate = opts->registration_rate;
    h->burst = opts->registration_burst > 1 ? opts->registration_burst : 1;
    h->tokens = h->burst;
    h->tokens_at = -1;
    if (opts->auth_token != NULL && opts->auth_token[0] != '\0') {
        h->token = xstrdup(opts->auth_token);
    }
    h->ts_second = -1;
    return h;
}

void reg_handlers_free(struct reg_handlers *h)
{
    if (h == NULL)
        return;
    free(h->token);
    free(h);
}

void reg_response_init(struct reg_response *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->body, BUF_UNLIMITED);
}

void reg_response_free(struct reg_response *r)
{
    buf_free(&r->body);
    free(r->probe_name);
    r->probe_name = NULL;
}

static void response_reset(struct reg_response *r)
{
    buf_reset(&r->body);
    free(r->probe_name);
    r->probe_name = NULL;
    r->status = 0;
    r->endpoint = REG_EP_OTHER;
    r->content_type = JSON_TYPE;
    r->allow = NULL;
    r->auth_challenge = false;
    r->retry_after = 0;
}

/* The RFC 3339 form of `now`, formatted once per second (heartbeats need it at a high rate). */
static const char *timestamp(struct reg_handlers *h, double now)
{
    double sec = floor(now);

    if (sec != h->ts_second) {
        wallclock_rfc3339(sec, h->ts);
        h->ts_second = sec;
    }
    return h->ts;
}

static void fail(struct reg_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct reg_response *r, int status, const char *fmt, ...)
{
    char msg[NAME_BUF + 256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    buf_reset(&r->body);
    r->status = status;
    r->content_type = JSON_TYPE;
    http_status_error_body(&r->body, status, NULL, NULL, msg);
}

/* ---------------------------------------------------------------- routing */

static struct route route_of(struct slice path)
{
    static const char prefix[] = "/services/";
    const size_t plen = sizeof(prefix) - 1;
    struct route rt = {RT_NONE, {NULL, 0}};

    if (slice_eq(path, "/health"))
        rt.kind = RT_HEALTH;
    else if (slice_eq(path, "/services"))
        rt.kind = RT_SERVICES;
    else if (slice_eq(path, "/stats"))
        rt.kind = RT_STATS;
    else if (slice_eq(path, "/metrics"))
        rt.kind = RT_METRICS;
    if (rt.kind != RT_NONE || path.len <= plen || memcmp(path.ptr, prefix, plen) != 0)
        return rt;
    struct slice rest = {path.ptr + plen, path.len - plen};
    const char *slash = memchr(rest.ptr, '/', rest.len);
    if (slash == NULL) {
        rt.kind = RT_SERVICE;
        rt.seg = rest;
        return rt;
    }
    struct slice seg = {rest.ptr, (size_t)(slash - rest.ptr)};
    struct slice tail = {slash + 1, rest.len - seg.len - 1};
    if (seg.len == 0)
        return rt;
    if (slice_eq(tail, "health"))
        rt.kind = RT_SERVICE_HEALTH;
    else if (slice_eq(tail, "heartbeat"))
        rt.kind = RT_HEARTBEAT;
    rt.seg = seg;
    return rt;
}

/* Maps (route, method) to an endpoint; REG_EP_OTHER with *allow set means 405. */
static enum reg_endpoint endpoint_of(enum route_kind kind, const char *method, const char **allow)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;

    switch (kind) {
    case RT_HEALTH:
        *allow = "GET, HEAD";
        return get ? REG_EP_HEALTH : REG_EP_OTHER;
    case RT_STATS:
        *allow = "GET, HEAD";
        return get ? REG_EP_STATS : REG_EP_OTHER;
    case RT_METRICS:
        *allow = "GET, HEAD";
        return get ? REG_EP_METRICS : REG_EP_OTHER;
    case RT_SERVICES:
        *allow = "GET, HEAD, POST";
        return get ? REG_EP_LIST : post ? REG_EP_REGISTER : REG_EP_OTHER;
    case RT_SERVICE:
        *allow = "DELETE, GET, HEAD, PUT";
        if (get)
            return REG_EP_GET;
        if (strcmp(method, "PUT") == 0)
            return REG_EP_UPDATE;
        return strcmp(method, "DELETE") == 0 ? REG_EP_DELETE : REG_EP_OTHER;
    case RT_SERVICE_HEALTH:
        *allow = "GET, HEAD";
        return get ? REG_EP_PROBE : REG_EP_OTHER;
    case RT_HEARTBEAT:
        *allow = "POST";
        return post ? REG_EP_HEARTBEAT : REG_EP_OTHER;
    default:
        *allow = NULL;
        return REG_EP_OTHER;
    }
}

static bool needs_token(enum reg_endpoint ep)
{
    return ep == REG_EP_REGISTER || ep == REG_EP_UPDATE || ep == REG_EP_DELETE ||
           ep == REG_EP_HEARTBEAT;
}

static bool token_ok(const struct reg_handlers *h, struct slice auth)
{
    return h->token == NULL || bearer_authorized(auth, h->token);
}

/* application/json or application/<anything>+json, parameters allowed (axum's rule). */
static bool is_json_type(struct slice ct)
{
    if (ct.ptr == NULL)
        return false;
    const char *semi = memchr(ct.ptr, ';', ct.len);
    struct slice mt = slice_trim((struct slice){ct.ptr, semi ? (size_t)(semi - ct.ptr) : ct.len});
    if (slice_eq_nocase(mt, "application/json"))
        return true;
    return mt.len > 17 && strncasecmp(mt.ptr, "application/", 12) == 0 &&
           strncasecmp(mt.ptr + mt.len - 5, "+json", 5) == 0;
}

/* Decodes :name into `out`. false (with the response filled) when it cannot be a name. */
static bool decode_name(struct slice seg, char *out, size_t size, struct reg_response *r)
{
    if (seg.len >= size) {
        fail(r, 404, "Service not found");
        return false;
    }
    if (http_percent_decode(seg, out, size, false) < 0) {
        fail(r, 400, "Invalid percent-encoding in path");
        return false;
    }
    return true;
}

/* Whether a JSON text has a \u0000 escape inside a string. cJSON keeps C strings, so
 * "a\u0000b" would silently become "a": a registration could replace the record "a". */
static bool has_nul_escape(struct slice body)
{
    bool in_string = false;

    for (size_t i = 0; i < body.len; i++) {
        char c = body.ptr[i];
        if (!in_string) {
            in_string = c == '"';
            continue;
        }
        if (c == '"') {
            in_string = false;
        } else if (c == '\\' && i + 1 < body.len) {
            i++; /* the escaped character, never a string's end */
            if (body.ptr[i] == 'u' && body.len - i > 4 && memcmp(body.ptr + i + 1, "0000", 4) == 0)
                return true;
        }
    }
    return false;
}

/* Takes a registration token; false (429 filled in) when the bucket is empty. */
static bool take_registration_token(struct reg_handlers *h, double now, struct reg_response *r)
{
    if (h->rate <= 0)
        return true;
    if (h->tokens_at >= 0 && now > h->tokens_at)
        h->tokens += (now - h->tokens_at) * h->rate;
    if (h->tokens > h->burst)
        h->tokens = h->burst;
    h->tokens_at = now;
    if (h->tokens >= 1) {
        h->tokens -= 1;
        return true;
    }
    h->metrics->registrations_refused[REG_REFUSED_RATE]++;
    fail(r, 429, "Too many registrations: at most %g per second (--registration-rate)", h->rate);
    r->retry_after = (int)ceil((1 - h->tokens) / h->rate);
    return false;
}

/* The hosts a record names (host, and the host of url); false (403 filled in) when one is not
 * allowed. NULL = not given (a PUT changing other fields). */
static bool hosts_allowed(struct reg_handlers *h, const char *host, const char *url,
                          struct reg_response *r)
{
    char loghost[REG_LOG_NAME_MAX];
    struct url_http u;

    if (host != NULL && !reg_allow_host(h->allow, host)) {
        h->metrics->registrations_refused[REG_REFUSED_HOST]++;
        fail(r, 403, "host '%s' is not allowed (--allow-hosts)",
             reg_record_log_name(host, loghost, sizeof(loghost)));
        return false;
    }
    if (url == NULL)
        return true;
    if (url_parse_http(url, &u) < 0) {
        /* Nothing can fetch it (probes speak plain http://), so only a list makes it an error. */
        if (!reg_allow_is_listed(h->allow))
            return true;
        h->metrics->registrations_refused[REG_REFUSED_HOST]++;
        fail(r, 403, "url must be http://host:port/... with an allowed host (--allow-hosts)");
        return false;
    }
    if (!reg_allow_host(h->allow, u.host)) {
        h->metrics->registrations_refused[REG_REFUSED_HOST]++;
        fail(r, 403, "url host '%s' is not allowed (--allow-hosts)",
             reg_record_log_name(u.host, loghost, sizeof(loghost)));
        return false;
    }
    return true;
}

/* 415 / 400 for a JSON body; the caller frees *doc with cJSON_Delete(). */
static bool parse_json_body(const struct reg_request *req, struct reg_response *r, cJSON **doc)
{
    struct err_msg err = {0};

    *doc = NULL;
    if (!is_json_type(req->content_type)) {
        fail(r, 415, "Expected request with `Content-Type: application/json`");
        return false;
    }
    *doc = json_parse(req->body.ptr, req->body.len, &err);
    if (*doc == NULL) {
        fail(r, 400, "Failed to parse the request body as JSON: %s", err.msg);
        return false;
    }
    if (has_nul_escape(req->body)) {
        cJSON_Delete(*doc);
        *doc = NULL;
        fail(r, 422, "Failed to deserialize the JSON body into the target type: %s",
             "strings must not contain NUL (\\u0000)");
        return false;
    }
    return true;
}

/* {"message":"Service '<name>' <verb> successfully"[,"service":<record>]} */
static void reply_message(struct reg_handlers *h, struct reg_response *r, int status,
                          const char *name, const char *verb, const struct reg_record *rec,
                          double now)
{
    struct buf msg;

    buf_init(&msg, BUF_UNLIMITED);
    buf_appendf(&msg, "Service '%s' %s successfully", name, verb);
    buf_append_str(&r->body, "{\"message\":");
    json_print_string(&r->body, msg.data, msg.len);
    if (rec != NULL) {
        buf_append_str(&r->body, ",\"service\":");
        reg_record_print(rec, now, reg_store_heartbeat_timeout(h->store), true, &r->body);
    }
    buf_putc(&r->body, '}');
    buf_free(&msg);
    r->status = status;
}

static void reply_doc(struct reg_response *r, int status, cJSON *doc)
{
    json_print(doc, &r->body);
    cJSON_Delete(doc);
    r->status = status;
}

/* ---------------------------------------------------------------- endpoints */

static void do_health(struct reg_handlers *h, double now, struct reg_response *r)
{
    cJSON *doc = json_new_object();

    json_set_number(doc, "healthy_services", (double)reg_store_healthy_count(h->store, now));
    json_set_number(doc, "registered_services", (double)reg_store_count(h->store));
    json_set_string(doc, "registry", "running");
    json_set_string(doc, "status", "healthy");
    json_set_string(doc, "timestamp", timestamp(h, now));
    reply_doc(r, 200, doc);
}

static void do_stats(struct reg_handlers *h, double now, struct reg_response *r)
{
    cJSON *doc = json_new_object();
    cJSON *hosts = json_set_item(doc, "host_distribution", json_new_object());
    cJSON *statuses = json_set_item(doc, "status_distribution", json_new_object());
    size_t total = reg_store_count(h->store), healthy = 0;

    for (const struct reg_record *rec = reg_store_first(h->store); rec != NULL;
         rec = reg_store_next(rec)) {
        double n = 0;
        healthy += reg_store_is_healthy(h->store, rec, now);
        n = json_get_number(hosts, rec->host, &n) ? n : 0;
        json_set_number(hosts, rec->host, n + 1);
        n = json_get_number(statuses, rec->status, &n) ? n : 0;
        json_set_number(statuses, rec->status, n + 1);
    }
    json_set_number(doc, "healthy_services", (double)healthy);
    json_set_string(doc, "timestamp", timestamp(h, now));
    json_set_number(doc, "total_services", (double)total);
    json_set_number(doc, "unhealthy_services", (double)(total - healthy));
    json_set_number(doc, "uptime", floor(now - h->metrics->start_time));
    reply_doc(r, 200, doc);
}

static void do_list(struct reg_handlers *h, const struct reg_request *req, double now,
                    struct reg_response *r)
{
    struct http_request q = {.query = req->query};
    char status[QUERY_BUF], healthy[QUERY_BUF];
    struct reg_filter f = {NULL, -1};
    size_t total = 0;

    if (http_request_query(&q, "status", status, sizeof(status)))
        f.status = status;
    if (http_request_query(&q, "healthy", healthy, sizeof(healthy)))
        f.healthy = strcasecmp(healthy, "true") == 0; /* any other value: unhealthy only */
    buf_append_str(&r->body, "{\"services\":[");
    for (const struct reg_record *rec = reg_store_first(h->store); rec != NULL;
         rec = reg_store_next(rec)) {
        if (!reg_store_matches(h->store, rec, &f, now))
            continue;
        if (total++ > 0)
            buf_putc(&r->body, ',');
        reg_record_print(rec, now, reg_store_heartbeat_timeout(h->store), true, &r->body);
    }
    buf_appendf(&r->body, "],\"timestamp\":\"%s\",\"total\":%zu}", timestamp(h, now), total);
    r->status = 200;
}

static void do_register(struct reg_handlers *h, const struct reg_request *req, double now,
                        struct reg_response *r)
{
    struct err_msg err = {0};
    char logname[REG_LOG_NAME_MAX], loghost[REG_LOG_NAME_MAX], logstatus[REG_LOG_NAME_MAX];
    cJSON *doc;

    if (!take_registration_token(h, now, r) || !parse_json_body(req, r, &doc))
        return;
    struct reg_record *rec = reg_record_from_json(doc, REG_RECORD_REGISTER, now, &err);
    cJSON_Delete(doc);
    if (rec == NULL) {
        fail(r, 422, "Failed to deserialize the JSON body into the target type: %s", err.msg);
        return;
    }
    if (!hosts_allowed(h, rec->host, rec->url, r)) {
        reg_record_free(rec);
        return;
    }
    if (h->max_services > 0 && reg_store_count(h->store) >= h->max_services &&
        reg_store_get(h->store, rec->name) == NULL) {
        h->metrics->registrations_refused[REG_REFUSED_FULL]++;
        fail(r, 429, "The registry holds %zu services, its limit (--max-services)",
             reg_store_count(h->store));
        r->retry_after = 60;
        reg_record_free(rec);
        return;
    }
    bool replaced = reg_store_put(h->store, rec);
    if (replaced)
        h->metrics->replacements++;
    else
        h->metrics->registrations++;
    log_info("registry", "name=%s host=%s port=%d status=%s %s",
             reg_record_log_name(rec->name, logname, sizeof(logname)),
             reg_record_log_name(rec->host, loghost, sizeof(loghost)), rec->port,
             reg_record_log_name(rec->status, logstatus, sizeof(logstatus)),
             replaced ? "re-registered (record replaced)" : "registered");
    reply_message(h, r, 201, rec->name, "registered", rec, now);
}

static struct reg_record *find(struct reg_handlers *h, const char *name, struct reg_response *r)
{
    struct reg_record *rec = reg_store_get(h->store, name);

    if (rec == NULL)
        fail(r, 404, "Service '%s' not found", name);
    return rec;
}

static void do_get(struct reg_handlers *h, const char *name, double now, struct reg_response *r)
{
    struct reg_record *rec = find(h, name, r);

    if (rec == NULL)
        return;
    reg_record_print(rec, now, reg_store_heartbeat_timeout(h->store), true, &r->body);
    r->status = 200;
}

static void do_update(struct reg_handlers *h, const struct reg_request *req, const char *name,
                      double now, struct reg_response *r)
{
    struct err_msg err = {0};
    struct reg_record *rec;
    cJSON *doc;

    if (!parse_json_body(req, r, &doc))
        return;
    if (!cJSON_IsObject(doc)) {
        fail(r, 422, "Failed to deserialize the JSON body into the target type: %s",
             "expected a JSON object");
    } else if ((rec = find(h, name, r)) != NULL &&
               hosts_allowed(h, json_get_string(doc, "host"), json_get_string(doc, "url"), r)) {
        if (reg_record_update(rec, doc, now, &err) < 0) {
            fail(r, 422, "Failed to deserialize the JSON body into the target type: %s", err.msg);
        } else {
            reg_store_touch(h->store);
            reply_message(h, r, 200, name, "updated", rec, now);
        }
    }
    cJSON_Delete(doc);
}

static void do_delete(struct reg_handlers *h, const char *name, double now, struct reg_response *r)
{
    char logname[REG_LOG_NAME_MAX];

    if (reg_store_remove(h->store, name) < 0) {
        fail(r, 404, "Service '%s' not found", name);
        return;
    }
    h->metrics->deregistrations++;
    log_info("registry", "name=%s deregistered",
             reg_record_log_name(name, logname, sizeof(logname)));
    reply_message(h, r, 200, name, "unregistered", NULL, now);
}

/* The body is optional and lenient (reference): only a JSON object sent as JSON is read. */
static void do_heartbeat(struct reg_handlers *h, const struct reg_request *req, const char *name,
                         double now, struct reg_response *r)
{
    struct reg_record *rec = reg_store_get(h->store, name);
    cJSON *doc = NULL, *load = NULL;
    struct err_msg err = {0};

    if (rec == NULL) {
        h->metrics->unknown_heartbeats++;
        fail(r, 404, "Service '%s' not found", name);
        return;
    }
    if (req->body.len > 0 && is_json_type(req->content_type))
        doc = json_parse(req->body.ptr, req->body.len, NULL);
    if (cJSON_IsObject(doc)) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(doc, "load");
        if (l != NULL && !cJSON_IsNull(l) && reg_record_parse_load(l, now, &load, &err) < 0) {
            cJSON_Delete(doc);
            fail(r, 422, "Failed to deserialize the JSON body into the target type: %s", err.msg);
            return;
        }
        const char *status = json_get_string(doc, "status");
        if (status != NULL && (status[0] == '\0' || strlen(status) > REG_RECORD_STATUS_MAX ||
                               has_nul_escape(req->body))) {
            cJSON_Delete(doc);
            cJSON_Delete(load);
            fail(r, 422,
                 "Failed to deserialize the JSON body into the target type: field `status` must "
                 "be a non-empty string without NUL, at most %d bytes",
                 REG_RECORD_STATUS_MAX);
            return;
        }
        if (status != NULL)
            reg_record_set_status(rec, status);
        if (load != NULL)
            reg_record_set_load(rec, load);
    }
    cJSON_Delete(doc);
    reg_record_heartbeat(rec, now);
    reg_store_touch(h->store);
    h->metrics->heartbeats++;
    buf_appendf(&r->body, "{\"message\":\"Heartbeat received\",\"timestamp\":\"%s\"}",
                timestamp(h, now));
    r->status = 200;
}

static void do_metrics(struct reg_handlers *h, double now, struct reg_response *r)
{
    reg_metrics_write(h->metrics, h->store, now, &r->body);
    r->content_type = PROM_CONTENT_TYPE;
    r->status = 200;
}

/* Endpoints taking :name. */
static void dispatch_named(struct reg_handlers *h, const struct reg_request *req, struct slice seg,
                           double now, struct reg_response *r)
{
    char name[NAME_BUF];

    if (!decode_name(seg, name, sizeof(name), r)) {
        if (r->endpoint == REG_EP_HEARTBEAT && r->status == 404)
            h->metrics->unknown_heartbeats++;
        return;
    }
    switch (r->endpoint) {
    case REG_EP_GET:
        do_get(h, name, now, r);
        break;
    case REG_EP_UPDATE:
        do_update(h, req, name, now, r);
        break;
    case REG_EP_DELETE:
        do_delete(h, name, now, r);
        break;
    case REG_EP_HEARTBEAT:
        do_heartbeat(h, req, name, now, r);
        break;
    default: /* REG_EP_PROBE */
        if (find(h, name, r) != NULL)
            r->probe_name = xstrdup(name); /* status stays 0: the glue probes */
        break;
    }
}

static void dispatch(struct reg_handlers *h, const struct reg_request *req, struct route rt,
                     double now, struct reg_response *r)
{
    switch (r->endpoint) {
    case REG_EP_HEALTH:
        do_health(h, now, r);
        break;
    case REG_EP_STATS:
        do_stats(h, now, r);
        break;
    case REG_EP_METRICS:
        do_metrics(h, now, r);
        break;
    case REG_EP_LIST:
        do_list(h, req, now, r);
        break;
    case REG_EP_REGISTER:
        do_register(h, req, now, r);
        break;
    default:
        dispatch_named(h, req, rt.seg, now, r);
        break;
    }
}

void reg_handlers_handle(struct reg_handlers *h, const struct reg_request *req, double now,
                         struct reg_response *resp)
{
    struct route rt = route_of(req->path);
    const char *allow = NULL;

    response_reset(resp);
    resp->endpoint = endpoint_of(rt.kind, req->method, &allow);
    if (rt.kind == RT_NONE) {
        fail(resp, 404, "No route for %s %.*s", req->method, (int)req->path.len, req->path.ptr);
    } else if (resp->endpoint == REG_EP_OTHER) {
        fail(resp, 405, "Method %s is not allowed on %.*s", req->method, (int)req->path.len,
             req->path.ptr);
        resp->allow = allow;
    } else if (req->body.len > h->max_body) {
        fail(resp, 413, "Request body is larger than %zu bytes", h->max_body);
    } else if (needs_token(resp->endpoint) && !token_ok(h, req->authorization)) {
        h->metrics->auth_failures++;
        fail(resp, 401, "Missing or invalid bearer token");
        resp->auth_challenge = true;
    } else {
        dispatch(h, req, rt, now, resp);
    }
    if (resp->status != 0)
        reg_metrics_request(h->metrics, resp->endpoint, resp->status);
}

void reg_handlers_probe_done(struct reg_handlers *h, const char *name, int result, double now,
                             struct reg_response *resp)
{
    struct reg_record *rec;

    response_reset(resp);
    resp->endpoint = REG_EP_PROBE;
    if (result < 0) {
        fail(resp, 503, "The registry is shutting down");
    } else if ((rec = find(h, name, resp)) != NULL) {
        if (result > 0) {
            reg_record_heartbeat(rec, now);
            reg_store_touch(h->store);
        }
        cJSON *doc = json_new_object();
        json_set_string(doc, "health_status", result > 0 ? "healthy" : "unhealthy");
        json_set_bool(doc, "is_healthy", reg_store_is_healthy(h->store, rec, now));
        json_set_float(doc, "last_heartbeat", rec->last_heartbeat);
        json_set_string(doc, "service", rec->name);
        json_set_string(doc, "timestamp", timestamp(h, now));
        reply_doc(resp, 200, doc);
    }
    reg_metrics_request(h->metrics, resp->endpoint, resp->status);
}
