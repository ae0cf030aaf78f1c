/* HTTP glue and lifecycle of the registry. Responses are built by registry/handlers into one
 * reused buffer; only GET /services/:name/health outlives its handler call, tracked by a
 * probe_ctx that is freed by whichever comes first: the probe result or the client leaving.
 * Depends on common/http_server, common/http_reply, common/daemon, common/log,
 * common/wallclock, registry/handlers, registry/probe, registry/persister, registry/store. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "handlers.h"
#include "http_reply.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "persister.h"
#include "probe.h"
#include "store.h"
#include "wallclock.h"
#include "xalloc.h"

struct reg_server {
    struct reg_server_parts parts;
    struct http_server *http;
    uv_timer_t expiry;
    bool expiry_open;
    struct reg_response resp; /* reused by every request */
};

struct probe_ctx {
    struct reg_server *srv;
    struct http_request *req;
    struct reg_probe_wait *wait;
    char *name;
};

static void send_response(struct http_request *req, const struct reg_response *resp)
{
    if (resp->allow != NULL)
        http_reply_add_header(req, "Allow", resp->allow);
    if (resp->auth_challenge)
        http_reply_add_header(req, "WWW-Authenticate", "Bearer");
    if (resp->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", resp->retry_after);
        http_reply_add_header(req, "Retry-After", secs);
    }
    if (log_access_enabled()) {
        double ms = (double)(uv_hrtime() - req->start_ns) / 1e6;
        log_access("%s %s %.*s %d %zu %.3f", req->peer_ip, req->method_name, (int)req->path.len,
                   req->path.ptr, resp->status, resp->body.len, ms);
    }
    http_reply_send(req, resp->status, resp->content_type, resp->body.data, resp->body.len);
}

/* The same line for a request the HTTP server refused before it reached the handlers (0 body
 * bytes counted: the server wrote the error itself). */
static void on_reject(const struct http_server_rejection *r, void *ud)
{
    (void)ud;
    if (log_access_enabled())
        log_access("%s %s %.*s %d 0 %.3f", r->peer_ip, r->method, (int)r->path.len, r->path.ptr,
                   r->status, r->ms);
}

static void probe_ctx_free(struct probe_ctx *ctx)
{
    free(ctx->name);
    free(ctx);
}

static void on_probe_result(void *ud, int result)
{
    struct probe_ctx *ctx = ud;
    struct reg_server *s = ctx->srv;

    ctx->wait = NULL; /* the prober freed it */
    http_reply_on_abort(ctx->req, NULL, NULL);
    reg_handlers_probe_done(s->parts.handlers, ctx->name, result, wallclock_now(), &s->resp);
    send_response(ctx->req, &s->resp);
    probe_ctx_free(ctx);
}

static void on_probe_abort(void *ud)
{
    struct probe_ctx *ctx = ud;

    reg_probe_wait_cancel(ctx->wait);
    probe_ctx_free(ctx);
}

static void start_probe(struct reg_server *s, struct http_request *req)
{
    struct reg_record *rec = reg_store_get(s->parts.store, s->resp.probe_name);
    struct probe_ctx *ctx;

    SVC_ASSERT(rec != NULL); /* the handler just found it */
    ctx = xcalloc(1, sizeof(*ctx));
    ctx->srv = s;
    ctx->req = req;
    ctx->name = s->resp.probe_name;
    s->resp.probe_name = NULL;
    ctx->wait = reg_prober_probe(s->parts.prober, rec, on_probe_result, ctx);
    http_reply_on_abort(req, on_probe_abort, ctx);
}

static void on_request(struct http_request *req, void *ud)
{
    struct reg_server *s = ud;
    struct reg_request r = {
        .method = req->method_name,
        .path = req->path,
        .query = req->query,
        .content_type = http_request_header(req, "content-type"),
        .authorization = http_request_header(req, "authorization"),
        .body = req->body,
    };

    reg_handlers_handle(s->parts.handlers, &r, wallclock_now(), &s->resp);
    if (s->resp.status == 0)
        start_probe(s, req);
    else
        send_response(req, &s->resp);
}

static void on_expired(void *ud, const struct reg_record *rec, double age)
{
    struct reg_server *s = ud;
    char logname[REG_LOG_NAME_MAX];

    s->parts.metrics->expirations++;
    log_info("registry", "name=%s age_s=%.0f expired (no heartbeat)",
             reg_record_log_name(rec->name, logname, sizeof(logname)), age);
}

static void on_expiry_timer(uv_timer_t *t)
{
    struct reg_server *s = t->data;

    reg_store_expire(s->parts.store, wallclock_now(), on_expired, s);
}

struct reg_server *reg_server_new(uv_loop_t *loop, const struct reg_server_parts *parts)
{
    struct reg_server *s = xcalloc(1, sizeof(*s));

    s->parts = *parts;
    s->http = http_server_new(loop, &parts->limits, on_request, s);
    http_server_on_reject(s->http, on_reject, s);
    SVC_ASSERT(uv_timer_init(loop, &s->expiry) == 0);
    s->expiry.data = s;
    s->expiry_open = true;
    reg_response_init(&s->resp);
    return s;
}

struct http_server *reg_server_http(struct reg_server *s)
{
    return s->http;
}

void reg_server_start(struct reg_server *s)
{
    double ms = s->parts.cleanup_interval * 1000.0;
    uint64_t every = ms < 1 ? 1 : (uint64_t)ms;

    /* Starting an initialised, open timer cannot fail. */
    SVC_ASSERT(uv_timer_start(&s->expiry, on_expiry_timer, every, every) == 0);
    SVC_ASSERT(reg_prober_start(s->parts.prober) == 0);
}

static void on_stop(struct daemon *d, void *ud)
{
    struct reg_server *s = ud;

    uv_timer_stop(&s->expiry);
    reg_prober_stop(s->parts.prober); /* waiting probe requests get 503 */
    daemon_stopped(d);
}

static void on_cleanup(void *ud)
{
    struct reg_server *s = ud;

    if (s->expiry_open) {
        s->expiry_open = false;
        uv_close((uv_handle_t *)&s->expiry, NULL);
    }
    reg_prober_free(s->parts.prober);
    s->parts.prober = NULL;
    /* The persister frees itself after its final write: nothing may reach it afterwards. */
    reg_store_on_change(s->parts.store, NULL, NULL);
    reg_persister_close(s->parts.persister);
    s->parts.persister = NULL;
}

void reg_server_hooks(struct reg_server *s, struct daemon_hooks *out)
{
    out->stop = on_stop;
    out->cleanup = on_cleanup;
    out->ud = s;
}

void reg_server_free(struct reg_server *s)
{
    if (s == NULL)
        return;
    reg_response_free(&s->resp);
    free(s);
}
