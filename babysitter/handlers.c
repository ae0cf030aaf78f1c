/* Babysitter endpoints. Every answer is built from the shared state at request time; nothing
 * here waits for the model server. Depends on common/{buf,http_reply,http_server,json,log,
 * prom,wallclock} and babysitter/{babysitter,config,metrics,readiness,supervisor}. */
#include "handlers.h"

#include <math.h>
#include <stdio.h>

#include <uv.h>

#include "babysitter.h"
#include "buf.h"
#include "config.h"
#include "http_reply.h"
#include "http_server.h"
#include "json.h"
#include "launch.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "supervisor.h"
#include "wallclock.h"

cJSON *bs_handlers_health(const struct bs_babysitter *b, int *status)
{
    cJSON *o = json_new_object();
    enum bs_state state = bs_babysitter_state(b);
    bool ready = state == BS_STATE_READY && !b->failing;

    json_set_string(o, "babysitter", "enhanced");
    json_set_number(o, "infinilm_server_port", b->cfg->port);
    json_set_bool(o, "infinilm_server_running", bs_supervisor_pid(b->sup) != 0);
    json_set_string(o, "service", b->cfg->name);
    json_set_string(o, "status",
                    ready                        ? "healthy"
                    : state == BS_STATE_STARTING ? "starting"
                                                 : "unhealthy");
    json_set_number(o, "timestamp", floor(wallclock_now()));
    if (!ready)
        json_set_string(o, "reason", b->reason);
    *status = ready ? 200 : 503;
    return o;
}

static void set_int_or_null(cJSON *o, const char *key, bool known, double v)
{
    if (known)
        json_set_number(o, key, v);
    else
        json_set_null(o, key);
}

cJSON *bs_handlers_info(const struct bs_babysitter *b)
{
    cJSON *o = json_new_object();
    const struct bs_child_exit *e = bs_supervisor_last_exit(b->sup);
    int pid = bs_supervisor_pid(b->sup);
    struct buf url;

    buf_init(&url, 1024);
    bs_launch_url(&url, b->cfg->host, b->cfg->port + 1, NULL);
    set_int_or_null(o, "child_pid", pid != 0, pid);
    json_set_string(o, "host", b->cfg->host);
    json_set_number(o, "infinilm_server_port", b->cfg->port);
    set_int_or_null(o, "last_exit_signal", e->known && e->signal != 0, e->signal);
    set_int_or_null(o, "last_exit_status", e->known && e->exited, e->status);
    json_set_string(o, "name", b->cfg->name);
    json_set_number(o, "port", b->cfg->port + 1);
    set_int_or_null(o, "ready_since", b->ready, floor(b->ready_since));
    json_set_number(o, "restart_count", (double)bs_supervisor_restarts(b->sup));
    json_set_string(o, "service_type", bs_config_service_type(b->cfg));
    json_set_string(o, "state", bs_babysitter_state_name(bs_babysitter_state(b)));
    json_set_number(o, "uptime", floor(wallclock_now() - b->start_time));
    json_set_string(o, "url", buf_cstr(&url));
    buf_free(&url);
    return o;
}

static int handle_health(struct bs_babysitter *b, struct http_request *req)
{
    int status;
    cJSON *o = bs_handlers_health(b, &status);

    http_reply_json(req, status, o);
    cJSON_Delete(o);
    return status;
}

static int handle_models(struct bs_babysitter *b, struct http_request *req)
{
    if (bs_babysitter_state(b) != BS_STATE_READY || b->models == NULL) {
        http_reply_error(req, 503, "model server not ready: %s", b->reason);
        return 503;
    }
    http_reply_json(req, 200, b->models);
    return 200;
}

static int handle_info(struct bs_babysitter *b, struct http_request *req)
{
    cJSON *o = bs_handlers_info(b);

    http_reply_json(req, 200, o);
    cJSON_Delete(o);
    return 200;
}

static int handle_metrics(struct bs_babysitter *b, struct http_request *req)
{
    struct buf out;

    buf_init(&out, BUF_UNLIMITED);
    bs_metrics_write(b, &out);
    http_reply_send(req, 200, PROM_CONTENT_TYPE, out.data, out.len);
    buf_free(&out);
    return 200;
}

typedef int (*endpoint_fn)(struct bs_babysitter *b, struct http_request *req);

static const struct {
    const char *path;
    endpoint_fn fn;
} endpoints[] = {
    {"/health", handle_health},
    {"/models", handle_models},
    {"/info", handle_info},
    {"/metrics", handle_metrics},
};

static int route(struct bs_babysitter *b, struct http_request *req)
{
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        if (!slice_eq(req->path, endpoints[i].path))
            continue;
        if (!http_reply_check_method(req, "GET"))
            return 405;
        return endpoints[i].fn(b, req);
    }
    http_reply_error(req, 404, "no such endpoint");
    return 404;
}

void bs_handlers_on_reject(const struct http_server_rejection *r, void *ud)
{
    (void)ud;
    if (log_access_enabled())
        log_access("%s %s %.*s %d %.3f", r->peer_ip, r->method, (int)r->path.len, r->path.ptr,
                   r->status, r->ms);
}

void bs_handlers_dispatch(struct http_request *req, void *ud)
{
    char path[256], peer[64];
    const char *method = req->method_name; /* static */
    uint64_t start = req->start_ns;

    /* The request is invalid once answered: keep what the access log needs. */
    snprintf(path, sizeof(path), "%.*s", (int)req->path.len, req->path.ptr);
    snprintf(peer, sizeof(peer), "%s", req->peer_ip != NULL ? req->peer_ip : "-");
    int status = route(ud, req);
    if (log_access_enabled())
        log_access("%s %s %s %d %.3f", peer, method, path, status,
                   (double)(uv_hrtime() - start) / 1e6);
}
