/* Router endpoints. Depends on router/proxy, router/services, router/metrics, common/. */
#include "handlers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bearer.h"
#include "buf.h"
#include "config.h"
#include "http_reply.h"
#include "http_server.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "proxy.h"
#include "router.h"
#include "services.h"
#include "wallclock.h"
#include "xalloc.h"

/* Listed in the table and able to take traffic apart from passive ejection (which is brief). */
static bool is_up(const struct rt_instance *inst)
{
    return inst->in_table && inst->registry_healthy && inst->probe_ok;
}

static void set_registry_url(cJSON *o, const struct rt_router *rt)
{
    if (rt->cfg->registry_url != NULL)
        json_set_string(o, "registry_url", rt->cfg->registry_url);
    else
        json_set_null(o, "registry_url");
}

static void handle_health(struct rt_router *rt, struct http_request *req)
{
    size_t n, healthy = 0;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    char counts[48];

    for (size_t i = 0; i < n; i++)
        healthy += is_up(all[i]);
    cJSON *o = json_new_object();
    snprintf(counts, sizeof(counts), "%zu/%zu", healthy, n);
    json_set_string(o, "healthy_services", counts);
    if (healthy > 0)
        json_set_null(o, "message");
    else
        json_set_string(o, "message", "No healthy services available");
    set_registry_url(o, rt);
    json_set_string(o, "router", "running");
    json_set_string(o, "status", healthy > 0 ? "healthy" : "running");
    json_set_number(o, "timestamp", floor(wallclock_now()));
    http_reply_json(req, 200, o);
    cJSON_Delete(o);
}

static cJSON *instance_info(const struct rt_router *rt, const struct rt_instance *inst)
{
    cJSON *o = json_new_object();
    cJSON *models = json_new_array();
    uint64_t now = uv_now(rt->loop);

    json_set_string(o, "babysitter_url", inst->babysitter_url);
    json_set_number(o, "error_count", (double)inst->errors);
    json_set_bool(o, "healthy", is_up(inst));
    json_set_string(o, "host", inst->host);
    json_set_item(o, "metadata", json_dup(inst->metadata));
    for (size_t i = 0; i < inst->nmodels; i++)
        json_array_push(models, json_new_string(inst->models[i]));
    json_set_item(o, "models", models);
    json_set_string(o, "name", inst->name);
    json_set_number(o, "port", inst->port);
    json_set_number(o, "request_count", (double)inst->requests);
    json_set_float(o, "response_time", inst->last_probe_s);
    json_set_string(o, "url", inst->url);
    json_set_number(o, "weight", inst->weight);
    /* ours */
    json_set_number(o, "in_flight", inst->in_flight);
    json_set_bool(o, "ejected", inst->ejected_until_ms != 0 && now < inst->ejected_until_ms);
    json_set_number(o, "ejections", (double)inst->ejections_total);
    json_set_bool(o, "routable", inst->routable);
    json_set_string(o, "source", inst->source == RT_SOURCE_REGISTRY ? "registry" : "static");
    json_set_number(o, "latency_p50_ms", prom_histogram_quantile(&inst->latency, 0.5) * 1000);
    json_set_number(o, "latency_p99_ms", prom_histogram_quantile(&inst->latency, 0.99) * 1000);
    json_set_number(o, "ttfb_p50_ms", prom_histogram_quantile(&inst->ttfb, 0.5) * 1000);
    json_set_number(o, "ttfb_p99_ms", prom_histogram_quantile(&inst->ttfb, 0.99) * 1000);
    if (inst->engine.present) {
        cJSON *l = json_new_object();
        json_set_number(l, "in_flight", inst->engine.in_flight);
        json_set_number(l, "running", inst->engine.running);
        json_set_number(l, "waiting", inst->engine.waiting);
        json_set_number(l, "kv_usage", inst->engine.kv_usage);
        json_set_number(l, "updated", inst->engine.updated);
        json_set_item(o, "load", l);
    }
    return o;
}

static cJSON *services_array(const struct rt_router *rt, size_t *healthy)
{
    size_t n;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    cJSON *arr = json_new_array();

    *healthy = 0;
    for (size_t i = 0; i < n; i++) {
        json_array_push(arr, instance_info(rt, all[i]));
        *healthy += is_up(all[i]);
    }
    return arr;
}

static void handle_services(struct rt_router *rt, struct http_request *req)
{
    size_t n, healthy;
    cJSON *o = json_new_object();

    rt_services_all(rt->services, &n);
    set_registry_url(o, rt);
    json_set_item(o, "services", services_array(rt, &healthy));
    json_set_number(o, "total", (double)n);
    http_reply_json(req, 200, o);
    cJSON_Delete(o);
}

static void handle_stats(struct rt_router *rt, struct http_request *req)
{
    size_t n, healthy;
    cJSON *o = json_new_object();
    struct http_server_stats st;

    rt_services_all(rt->services, &n);
    http_server_get_stats(rt->server, &st);
    json_set_item(o, "services", services_array(rt, &healthy));
    json_set_number(o, "healthy_services", (double)healthy);
    set_registry_url(o, rt);
    json_set_number(o, "total_services", (double)n);
    json_set_number(o, "in_flight", rt->in_flight);
    json_set_number(o, "requests_total", (double)st.requests_total);
    json_set_number(o, "retries_total", (double)rt_metrics_get(rt->metrics, RT_M_RETRIES));
    json_set_number(o, "upstream_errors_total",
                    (double)rt_metrics_get(rt->metrics, RT_M_UPSTREAM_ERRORS));
    json_set_number(o, "uptime", floor(wallclock_now() - rt->start_time));
    http_reply_json(req, 200, o);
    cJSON_Delete(o);
}

static int compare_ids(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

    return strcmp(json_get_string(x, "id"), json_get_string(y, "id"));
}

/* Adds `item` (taken) unless its id is already present. */
static void add_model(cJSON ***items, size_t *n, cJSON *item)
{
    const char *id = json_get_string(item, "id");

    for (size_t i = 0; i < *n; i++) {
        if (strcmp(json_get_string((*items)[i], "id"), id) == 0) {
            cJSON_Delete(item);
            return;
        }
    }
    *items = xrealloc(*items, (*n + 1) * sizeof(**items));
    (*items)[(*n)++] = item;
}

/* Every id an up routable instance serves, once, in id order; each entry carries at least
 * "id", "object", "created" and "owned_by" (the OpenAI SDKs read them). The caller frees the
 * array and its items. */
static cJSON **collect_models(struct rt_router *rt, size_t *count)
{
    size_t n;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    cJSON **items = NULL;

    *count = 0;
    /* Instances in name order, so the object kept for an id served twice is deterministic. */
    for (size_t i = 0; i < n; i++) {
        if (!all[i]->routable || !is_up(all[i]))
            continue;
        const cJSON *list = json_get_array(all[i]->metadata, "models_list");
        size_t first = *count;
        if (list != NULL) {
            for (const cJSON *m = list->child; m != NULL; m = m->next) {
                if (json_get_string(m, "id") != NULL)
                    add_model(&items, count, json_dup(m));
            }
        } else {
            for (size_t k = 0; k < all[i]->nmodels; k++) {
                cJSON *m = json_new_object();
                json_set_string(m, "id", all[i]->models[k]);
                add_model(&items, count, m);
            }
        }
        for (size_t k = first; k < *count; k++) {
            if (json_get_string(items[k], "object") == NULL)
                json_set_string(items[k], "object", "model");
            double created;
            if (!json_get_number(items[k], "created", &created))
                json_set_number(items[k], "created", floor(rt->start_time));
            if (json_get_string(items[k], "owned_by") == NULL)
                json_set_string(items[k], "owned_by", all[i]->name);
        }
    }
    qsort(items, *count, sizeof(*items), compare_ids);
    return items;
}

static void handle_models(struct rt_router *rt, struct http_request *req)
{
    size_t count;
    cJSON **items = collect_models(rt, &count);
    cJSON *o = json_new_object();
    cJSON *data = json_new_array();

    for (size_t i = 0; i < count; i++)
        json_array_push(data, items[i]);
    free(items);
    json_set_item(o, "data", data);
    json_set_string(o, "object", "list");
    http_reply_json(req, 200, o);
    cJSON_Delete(o);
}

/* GET /v1/models/{id} (ids may hold '/', e.g. "org/model"): from the aggregated list. */
static void handle_model(struct rt_router *rt, struct http_request *req, struct slice rest)
{
    char id[512];
    size_t count;

    if (!http_reply_check_method(req, "GET"))
        return;
    if (http_percent_decode(rest, id, sizeof(id), false) <= 0) {
        http_reply_error_ex(req, 404, "invalid_request_error", "model_not_found",
                            "The model does not exist");
        return;
    }
    cJSON **items = collect_models(rt, &count);
    const cJSON *found = NULL;
    for (size_t i = 0; i < count && found == NULL; i++) {
        if (strcmp(json_get_string(items[i], "id"), id) == 0)
            found = items[i];
    }
    if (found != NULL) {
        http_reply_json(req, 200, found);
    } else {
        char msg[600];
        snprintf(msg, sizeof(msg), "The model '%s' does not exist", id);
        http_reply_error_ex(req, 404, "invalid_request_error", "model_not_found", msg);
    }
    for (size_t i = 0; i < count; i++)
        cJSON_Delete(items[i]);
    free(items);
}

static void handle_metrics(struct rt_router *rt, struct http_request *req)
{
    struct buf out;
    struct http_server_stats st;

    buf_init(&out, BUF_UNLIMITED);
    rt_metrics_write(rt->metrics, rt, &out);
    http_server_get_stats(rt->server, &st);
    prom_family(&out, "infini_router_http_requests_total", "counter",
                "HTTP requests received (own endpoints and proxied).");
    prom_sample(&out, "infini_router_http_requests_total", NULL, (double)st.requests_total);
    prom_family(&out, "infini_router_http_connections", "gauge", "Open client connections.");
    prom_sample(&out, "infini_router_http_connections", NULL, (double)st.connections_open);
    prom_family(&out, "infini_router_http_rejected_total", "counter",
                "Requests refused by the HTTP layer (malformed, limits, timeouts).");
    prom_sample(&out, "infini_router_http_rejected_total", NULL, (double)st.rejected_total);
    http_reply_send(req, 200, PROM_CONTENT_TYPE, out.data, out.len);
    buf_free(&out);
}

static bool authorized(struct rt_router *rt, struct http_request *req)
{
    if (rt->cfg->api_keys == NULL || rt->cfg->api_keys[0] == '\0')
        return true;
    if (bearer_authorized(http_request_header(req, "authorization"), rt->cfg->api_keys))
        return true;
    rt_metrics_inc(rt->metrics, RT_M_AUTH_FAILURES);
    if (log_access_enabled())
        log_access("method=%s path=%.*s status=401 peer=%s rejected=\"missing or invalid API "
                   "key\"",
                   req->method_name, (int)(req->path.len < 256 ? req->path.len : 256),
                   req->path.ptr, req->peer_ip);
    http_reply_add_header(req, "WWW-Authenticate", "Bearer");
    http_reply_error(req, 401, "missing or invalid API key");
    return false;
}

typedef void (*endpoint_fn)(struct rt_router *rt, struct http_request *req);

static const struct {
    const char *path;
    endpoint_fn fn;
} endpoints[] = {
    {"/health", handle_health},   {"/status", handle_health}, {"/services", handle_services},
    {"/stats", handle_stats},     {"/models", handle_models}, {"/v1/models", handle_models},
    {"/metrics", handle_metrics},
};

void rt_handlers_dispatch(struct http_request *req, void *ud)
{
    struct rt_router *rt = ud;

    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        if (!slice_eq(req->path, endpoints[i].path))
            continue;
        if (http_reply_check_method(req, "GET"))
            endpoints[i].fn(rt, req);
        return;
    }
    static const char *const model_paths[] = {"/v1/models/", "/models/"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(model_paths[i]);
        if (req->path.len > n && memcmp(req->path.ptr, model_paths[i], n) == 0) {
            handle_model(rt, req, (struct slice){req->path.ptr + n, req->path.len - n});
            return;
        }
    }
    if (authorized(rt, req))
        rt_proxy_handle(rt, req);
}
