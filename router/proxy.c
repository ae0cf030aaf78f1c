/* Proxied request lifecycle. A struct transfer links one client request and (at most) one
 * upstream exchange; whichever side ends first tells the other. Callbacks from either side can
 * run inside the other's calls (a failed client write closes the client connection, whose
 * abort callback then runs inside our upstream body callback), so the transfer is only freed
 * at the outermost level: `depth` counts the callbacks on the stack. Depends on
 * router/balancer, router/services, router/upstream, router/headers, common/. */
#include "proxy.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "balancer.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "feedback.h"
#include "hash.h"
#include "headers.h"
#include "http_reply.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "model_extract.h"
#include "router.h"
#include "services.h"
#include "http_upstream.h"
#include "kv_events.h"
#include "tokenize.h"
#include "wallclock.h"
#include "xalloc.h"

#define MAX_TRIED 16
/* Longest client X-Request-Id kept (longer ones are replaced by ours). */
#define RT_REQUEST_ID_MAX 128

/* What a transfer keeps of its body's extraction (router/model_extract) once routed: the text
 * spans are only needed before the first decision (prefix hashing), so the whole extraction
 * lives in one scratch area instead of in each of a thousand requests in flight. */
struct fields {
    bool json_ok, has_model, model_too_long, has_key, stream;
    bool chat; /* the prompt is chat messages (not a completions prompt) */
    size_t model_len, key_len, content_bytes;
    char model[RT_EXTRACT_MODEL_MAX];
    char key[RT_EXTRACT_KEY_MAX];
};

struct transfer {
    struct rt_router *rt;
    struct http_request *req; /* NULL once the client is gone or answered */
    struct buf head;          /* upstream request head */
    struct rt_instance *inst; /* current attempt; holds a ref and an in-flight slot */
    struct http_upstream *up; /* current exchange */
    struct rt_instance *tried[MAX_TRIED];
    size_t ntried;
    int last_err;
    bool started; /* the response head went to the client */
    bool stale_retry_used;
    bool client_gone;
    bool finished; /* outcome recorded; free when depth reaches 0 */
    int depth;
    int status;
    uint64_t start_ns, head_ns;
    size_t bytes_out;
    const char *method; /* static, from llhttp */
    char path[256];
    char route[160];      /* X-Infini-Route and the access log: "<policy> <reason> <detail>" */
    char route_label[96]; /* the metric label: without the per-request detail */
    char instance[128];
    char request_id[RT_REQUEST_ID_MAX + 1]; /* X-Request-Id: the client's, or ours */
    bool first_byte;
    struct rt_tokenize_req *tok; /* --tokenizer engine: the /tokenize call in flight */
    uint64_t tok_start_ns;
    struct rt_feedback fb;
    /* Last: the transfer is zeroed only up to here (the fields are copied in whole). */
    struct fields ex;
};

/* Copies the string (len bytes) into `dst` (size bytes), truncating; always NUL-terminated. */
static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void attempt(struct transfer *t);

/* ---------------------------------------------------------------- bookkeeping */

static void release_slot(struct transfer *t)
{
    rt_feedback_detach(&t->fb);
    if (t->inst == NULL)
        return;
    SVC_ASSERT(t->inst->in_flight > 0);
    t->inst->in_flight--;
    t->rt->in_flight--;
    rt_instance_unref(t->inst);
    t->inst = NULL;
}

static const char *served_model(const struct transfer *t)
{
    if (!t->ex.has_model)
        return NULL;
    /* Only models some instance serves become metric labels. */
    return rt_services_view(t->rt->services, t->ex.model) != NULL ? t->ex.model : "other";
}

/* Records the outcome once; the transfer is freed when no callback is on the stack. */
static void finish(struct transfer *t, int status)
{
    if (t->finished)
        return;
    t->finished = true;
    t->status = status;
    release_slot(t);
    double ms = (double)(uv_hrtime() - t->start_ns) / 1e6;
    rt_metrics_request(t->rt->metrics, served_model(t), t->instance[0] ? t->instance : NULL, status,
                       t->route_label);
    if (log_access_enabled())
        log_access("method=%s path=%s status=%d instance=%s route=\"%s\" attempts=%zu bytes=%zu "
                   "ms=%.3f request_id=%s",
                   t->method, t->path, status, t->instance[0] ? t->instance : "-",
                   t->route[0] ? t->route : "-", t->ntried, t->bytes_out, ms, t->request_id);
}

static void maybe_free(struct transfer *t)
{
    if (t->depth > 0 || !t->finished || t->up != NULL || t->tok != NULL)
        return;
    rt_feedback_free(&t->fb);
    buf_free(&t->head);
    free(t);
}

/* ---------------------------------------------------------------- client side */

static void reply_error_typed(struct transfer *t, int status, const char *type, const char *code,
                              const char *msg)
{
    if (t->req != NULL) {
        http_reply_add_header(t->req, "X-Request-Id", t->request_id);
        http_reply_add_header(t->req, "X-Infini-Route", t->route[0] ? t->route : "none");
        if (t->instance[0])
            http_reply_add_header(t->req, "X-Infini-Instance", t->instance);
        http_reply_error_ex(t->req, status, type, code, msg);
        t->req = NULL;
    }
    finish(t, status);
}

static void reply_error(struct transfer *t, int status, const char *code, const char *msg)
{
    reply_error_typed(t, status, NULL, code, msg);
}

static void on_client_abort(void *ud)
{
    struct transfer *t = ud;

    t->req = NULL;
    t->client_gone = true;
    rt_metrics_inc(t->rt->metrics, RT_M_CLIENT_ABORTS);
    if (t->tok != NULL) {
        rt_tokenize_cancel(t->tok);
        t->tok = NULL;
    }
    if (t->up != NULL && t->depth == 0) {
        http_upstream_abort(t->up);
        t->up = NULL;
    }
    finish(t, 499);
    maybe_free(t);
}

static void on_client_drain(void *ud)
{
    struct transfer *t = ud;

    if (t->up != NULL)
        http_upstream_resume(t->up);
}

/* ---------------------------------------------------------------- upstream side */

/* Enter/leave an upstream callback. On leave, a client that went away meanwhile cancels the
 * exchange (safe from inside its callbacks: it only closes the connection). */
static void enter(struct transfer *t)
{
    t->depth++;
}

static void leave(struct transfer *t)
{
    if (--t->depth > 0)
        return;
    if (t->client_gone && t->up != NULL) {
        http_upstream_abort(t->up);
        t->up = NULL;
    }
    maybe_free(t);
}

static void on_up_head(void *ud, int status, const struct http_header *h, size_t n,
                       long long content_length)
{
    struct transfer *t = ud;
    struct slice connection = {NULL, 0};

    enter(t);
    t->head_ns = uv_hrtime();
    rt_instance_note_success(t->inst);
    prom_histogram_observe(&t->inst->ttfb, (double)(t->head_ns - t->start_ns) / 1e9);
    if (t->req == NULL) {
        leave(t);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (slice_eq_nocase(h[i].name, "connection"))
            connection = h[i].value;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rt_header_is_hop_by_hop(h[i].name, connection) &&
            !slice_eq_nocase(h[i].name, "x-request-id"))
            http_reply_add_header_slice(t->req, h[i].name, h[i].value);
    }
    http_reply_add_header(t->req, "X-Request-Id", t->request_id);
    http_reply_add_header(t->req, "X-Infini-Instance", t->instance);
    http_reply_add_header(t->req, "X-Infini-Route", t->route);
    t->started = true;
    t->status = status;
    /* Held back to leave with the first body bytes of this read (see on_up_read_done). */
    http_reply_begin(t->req, status, NULL,
                     content_length >= 0 ? content_length : HTTP_REPLY_UNKNOWN_LENGTH);
    leave(t);
}

static bool on_up_body(void *ud, const char *data, size_t len)
{
    struct transfer *t = ud;
    bool pause = true;

    enter(t);
    if (!t->first_byte) {
        t->first_byte = true;
        rt_feedback_first_byte(&t->fb, t->inst, t->start_ns);
    }
    rt_feedback_body(&t->fb, data, len);
    if (t->req != NULL) {
        int rc = http_reply_write(t->req, data, len);
        t->bytes_out += len;
        pause = rc != 0; /* 1: the client is slow, resume on drain; <0: it is gone */
    }
    leave(t);
    return pause;
}

static void on_up_read_done(void *ud)
{
    struct transfer *t = ud;

    /* A head that arrived without body bytes (an SSE stream before its first token) must not
     * wait for the next read. */
    enter(t);
    if (t->req != NULL && t->started)
        http_reply_flush(t->req);
    leave(t);
}

static const char *transport_code(int rc)
{
    return rc == UV_ETIMEDOUT      ? "gateway_timeout"
           : rc == UV_ECONNREFUSED ? "service_unavailable"
                                   : "bad_gateway";
}

/* No instance left: answer with the last transport error, or "no healthy services". */
static void fail_no_route(struct transfer *t)
{
    char msg[400];

    if (t->ntried == 0) {
        rt_metrics_inc(t->rt->metrics, RT_M_NO_ROUTE);
        if (t->ex.has_model)
            snprintf(msg, sizeof(msg), "No healthy services available for model '%s'", t->ex.model);
        else
            snprintf(msg, sizeof(msg), "No healthy services available");
        snprintf(t->route, sizeof(t->route), "%s no-route", rt_policy_name(t->rt->cfg->policy));
        copy_text(t->route_label, sizeof(t->route_label), t->route, strlen(t->route));
        reply_error(t, 503, "no_healthy_services", msg);
        return;
    }
    if (t->last_err == UV_ETIMEDOUT)
        reply_error(t, 504, transport_code(t->last_err), "Service timeout");
    else if (t->last_err == UV_ECONNREFUSED)
        reply_error(t, 503, transport_code(t->last_err),
                    "Service unavailable - connection refused");
    else
        reply_error(t, 502, transport_code(t->last_err),
                    "Bad gateway - error communicating with service");
}

static void send_upstream(struct transfer *t, bool fresh);

static void on_up_done(void *ud, int rc, bool started, bool stale)
{
    struct transfer *t = ud;
    struct rt_instance *inst = t->inst;

    (void)started; /* the client-side `t->started` is what decides retries */
    enter(t);
    t->up = NULL;
    if (rc == 0) {
        prom_histogram_observe(&inst->latency, (double)(uv_hrtime() - t->start_ns) / 1e9);
        rt_feedback_done(&t->fb, t->rt, t->status, t->ex.stream, t->ex.has_model ? t->ex.model : "",
                         t->ex.model_len);
        if (t->req != NULL)
            http_reply_end(t->req);
        t->req = NULL;
        finish(t, t->status);
    } else if (t->client_gone) {
        finish(t, 499);
    } else if (stale && !t->stale_retry_used) {
        /* The server had closed an idle keep-alive connection before we used it: not a fault
         * of the instance; send again on a fresh connection, keeping the slot. */
        t->stale_retry_used = true;
        rt_metrics_inc(t->rt->metrics, RT_M_STALE_RECONNECTS);
        send_upstream(t, true);
    } else {
        t->last_err = rc;
        rt_metrics_inc(t->rt->metrics, RT_M_UPSTREAM_ERRORS);
        if (rc == UV_ETIMEDOUT)
            rt_metrics_inc(t->rt->metrics, RT_M_UPSTREAM_TIMEOUTS);
        rt_instance_note_failure(inst, rc == UV_ETIMEDOUT ? RT_FAULT_TIMEOUT : RT_FAULT_TRANSPORT,
                                 (unsigned)t->rt->cfg->max_errors, uv_now(t->rt->loop));
        log_warn("proxy", "req=%llu instance=%s attempt=%zu upstream failed",
                 t->req != NULL ? (unsigned long long)t->req->id : 0ULL, inst->name, t->ntried);
        release_slot(t);
        if (t->started) {
            /* Bytes already reached the client: it must see the response cut, never retried. */
            rt_metrics_inc(t->rt->metrics, RT_M_TRUNCATED);
            if (t->req != NULL)
                http_reply_abort(t->req);
            t->req = NULL;
            finish(t, t->status);
        } else if (t->ntried < (size_t)t->rt->cfg->max_attempts && t->ntried < MAX_TRIED) {
            rt_metrics_inc(t->rt->metrics, RT_M_RETRIES);
            attempt(t);
        } else {
            fail_no_route(t);
        }
    }
    leave(t);
}

/* ---------------------------------------------------------------- attempts */

static const struct http_upstream_cbs upstream_cbs = {on_up_head, on_up_body, on_up_done,
                                                      on_up_read_done};

static uint64_t ms(double seconds)
{
    return seconds > 0 ? (uint64_t)llround(seconds * 1000.0) : 0;
}

/* Sends the request to t->inst (slot already held). */
static void send_upstream(struct transfer *t, bool fresh)
{
    const struct rt_config *cfg = t->rt->cfg;
    struct rt_instance *inst = t->inst;

    inst->requests++;
    copy_text(t->instance, sizeof(t->instance), inst->name, strlen(inst->name));
    buf_reset(&t->head);
    const struct rt_forward fwd = {
        .host = inst->host,
        .port = inst->port,
        .request_id = {t->request_id, strlen(t->request_id)},
        .drop_authorization = cfg->api_keys != NULL && cfg->api_keys[0] != '\0',
        .upstream_auth = t->rt->upstream_auth,
    };
    if (rt_headers_build_request(&t->head, t->req, &fwd) < 0) {
        release_slot(t);
        reply_error(t, 431, "headers_too_large", "request headers too large to forward");
        return;
    }
    struct http_upstream_opts o = {
        .head = {t->head.data, t->head.len},
        .body = t->req->body,
        .head_request = t->req->method == HTTP_HEAD,
        .fresh = fresh,
        .connect_timeout_ms = ms(cfg->connect_timeout),
        /* vLLM sends a stream's head at once, a whole response's only at its end: the first-byte
         * timeout means "hung" for streams only; a long generation is bounded by the total. */
        .first_byte_timeout_ms = t->ex.stream ? ms(cfg->first_byte_timeout) : 0,
        .idle_timeout_ms = ms(cfg->stream_idle_timeout),
        .total_timeout_ms = ms(cfg->proxy_timeout),
    };
    t->up = http_upstream_start(inst->pool, &o, &upstream_cbs, t);
}

/* Picks the next instance (not tried yet), takes a slot on it and sends the request. */
static void attempt(struct transfer *t)
{
    const struct rt_config *cfg = t->rt->cfg;
    struct rt_pick pick;

    if (t->req == NULL) {
        finish(t, 499);
        return;
    }
    struct rt_pick_req pr = {
        .policy = cfg->policy,
        .model = t->ex.has_model ? t->ex.model : NULL,
        .key = t->ex.has_key ? t->ex.key : NULL,
        .key_len = t->ex.has_key ? t->ex.key_len : 0,
        .size_known = t->ex.json_ok,
        .content_bytes = t->ex.content_bytes,
        .cache_type_threshold = (size_t)cfg->cache_type_threshold,
        .balance_factor = cfg->balance_factor,
        .load_floor = (unsigned)cfg->hash_load_floor,
        .exclude = t->tried,
        .nexclude = t->ntried,
        .now_ms = uv_now(t->rt->loop),
        .now_s = wallclock_now(),
        .prefix = t->rt->prefix,
        .ca = &t->fb.ca,
        .car = t->fb.active ? &t->fb.car : NULL,
    };
    if (rt_balancer_pick(t->rt->services, &pr, &pick) < 0) {
        fail_no_route(t);
        return;
    }
    /* "<policy> [retry ]<reason>[ <detail>]", assembled without printf: this runs for every
     * request. The metric label stops before the detail. */
    const char *policy = rt_policy_name(cfg->policy);
    size_t at = strlen(policy);
    memcpy(t->route, policy, at);
    t->route[at++] = ' ';
    if (t->ntried > 0) {
        memcpy(t->route + at, "retry ", 6);
        at += 6;
    }
    copy_text(t->route + at, sizeof(t->route) - at, pick.reason, strlen(pick.reason));
    copy_text(t->route_label, sizeof(t->route_label), t->route, strlen(t->route));
    if (pick.detail[0] != '\0') {
        at = strlen(t->route);
        if (at + 1 < sizeof(t->route)) {
            t->route[at++] = ' ';
            copy_text(t->route + at, sizeof(t->route) - at, pick.detail, strlen(pick.detail));
        }
    }
    t->inst = pick.inst;
    rt_instance_ref(t->inst);
    t->inst->in_flight++;
    t->rt->in_flight++;
    t->tried[t->ntried++] = t->inst;
    rt_feedback_sent(&t->fb, t->rt, t->inst, &pick, t->ex.stream);
    send_upstream(t, false);
}

static void keep_fields(struct fields *f, const struct rt_extract *ex)
{
    f->json_ok = ex->json_ok;
    f->has_model = ex->has_model;
    f->model_too_long = ex->model_too_long;
    f->has_key = ex->has_key;
    f->stream = ex->stream;
    f->chat = ex->n_spans > 0 && ex->spans[0].kind != RT_EXTRACT_SPAN_PROMPT;
    f->model_len = ex->model_len;
    f->key_len = ex->key_len;
    f->content_bytes = ex->content_bytes;
    memcpy(f->model, ex->model, ex->model_len + 1);
    memcpy(f->key, ex->key, ex->key_len + 1);
}

/* The client's X-Request-Id when it is 1..RT_REQUEST_ID_MAX visible ASCII bytes, else a new
 * 32-hex-digit id. */
static void take_request_id(struct transfer *t, const struct http_request *req)
{
    static const char hex[] = "0123456789abcdef";
    struct slice v = slice_trim(http_request_header(req, "x-request-id"));
    bool ok = v.ptr != NULL && v.len > 0 && v.len <= RT_REQUEST_ID_MAX;

    for (size_t i = 0; ok && i < v.len; i++)
        ok = v.ptr[i] > 0x20 && v.ptr[i] < 0x7f;
    if (ok) {
        copy_text(t->request_id, sizeof(t->request_id), v.ptr, v.len);
        return;
    }
    struct rt_router *rt = t->rt;
    uint64_t n = ++rt->request_ids;
    uint64_t words[2] = {hash64_u64(n, rt->request_id_seed), n ^ rt->request_id_seed};
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < 16; i++)
            t->request_id[w * 16 + i] = hex[(words[w] >> (60 - 4 * i)) & 15];
    }
    t->request_id[32] = '\0';
}

/* Paths whose requests run a model and so must name one the fleet serves. */
static bool is_inference_path(struct slice path)
{
    static const char *const tails[] = {"/chat/completions", "/completions", "/embeddings",
                                        "/responses", NULL};

    for (int i = 0; tails[i] != NULL; i++) {
        size_t n = strlen(tails[i]);
        if (path.len >= n && memcmp(path.ptr + path.len - n, tails[i], n) == 0)
            return true;
    }
    return false;
}

/* OpenAI's answers to a model the fleet does not have (404, so SDKs do not retry a typo as they
 * retry 503) and to a missing model when the fleet serves several (400). True when answered. */
static bool refuse_model(struct transfer *t, const struct http_request *req)
{
    struct rt_services *s = t->rt->services;
    char msg[400];

    if (!t->ex.json_ok || req->method != HTTP_POST || !is_inference_path(req->path))
        return false;
    size_t served = rt_services_model_count(s);
    if (!t->ex.has_model && !t->ex.model_too_long) {
        if (served <= 1)
            return false; /* one model: forward as the reference did */
        snprintf(t->route, sizeof(t->route), "%s no-model", rt_policy_name(t->rt->cfg->policy));
        copy_text(t->route_label, sizeof(t->route_label), t->route, strlen(t->route));
        reply_error_typed(t, 400, "invalid_request_error", "missing_model",
                          "you must provide a model parameter (this router serves several models; "
                          "GET /v1/models lists them)");
        return true;
    }
    if (served == 0 || (t->ex.has_model && rt_services_view(s, t->ex.model) != NULL))
        return false; /* an empty fleet is a transient 503, not an unknown model */
    snprintf(msg, sizeof(msg), "The model '%s' does not exist",
             t->ex.has_model ? t->ex.model : "(name too long)");
    snprintf(t->route, sizeof(t->route), "%s unknown-model", rt_policy_name(t->rt->cfg->policy));
    copy_text(t->route_label, sizeof(t->route_label), t->route, strlen(t->route));
    reply_error_typed(t, 404, "invalid_request_error", "model_not_found", msg);
    return true;
}

static void on_tokenized(void *ud, int rc, const uint32_t *ids, size_t n)
{
    struct transfer *t = ud;
    struct rt_metrics *m = t->rt->metrics;

    t->tok = NULL;
    rt_metrics_add_seconds(m, RT_M_TOKENIZE_SECONDS, (double)(uv_hrtime() - t->tok_start_ns) / 1e9);
    if (rc == 0)
        rt_feedback_set_tokens(&t->fb, t->rt, ids, n);
    else
        rt_metrics_inc(m, RT_M_TOKENIZE_FAILURES); /* the approximate index decides */
    t->depth++;
    attempt(t);
    t->depth--;
    maybe_free(t);
}

/* --tokenizer engine: asks an instance of the model for the prompt's tokens (POST /tokenize,
 * the engine's own chat template), so that the decision can use the instances' KV events.
 * Only for prompts worth it, and only when some instance publishes events. Returns true when
 * the call is under way (attempt() follows from its callback). */
static bool start_tokenize(struct transfer *t, const struct http_request *req)
{
    struct rt_router *rt = t->rt;
    const struct rt_config *cfg = rt->cfg;

    if (rt->tokenize_fetch == NULL || rt->kv_events == NULL || !t->fb.active ||
        !rt_tokenize_worth(t->ex.content_bytes, (size_t)cfg->tokenizer_min_chars))
        return false;
    struct rt_model_view *v = rt_services_view(rt->services, t->ex.has_model ? t->ex.model : "");
    uint64_t now = uv_now(rt->loop);
    struct rt_instance *ask = NULL;
    /* Spread the calls: the first eligible instance with events from a rotating start. */
    for (size_t i = 0; v != NULL && i < v->n && ask == NULL; i++) {
        struct rt_instance *inst = v->members[(rt->request_ids + i) % v->n];
        if (rt_instance_is_eligible(inst, now) && rt_kv_events_find(rt->kv_events, inst->name))
            ask = inst;
    }
    if (ask == NULL)
        return false;
    struct buf body;
    buf_init(&body, (size_t)cfg->max_body_bytes + 4096);
    bool chat = t->ex.chat;
    /* The engine may want a key: ours for it, else the client's when it was meant for it. */
    char client_auth[512];
    const char *headers[2] = {rt->upstream_auth, NULL};
    struct slice a = http_request_header(req, "authorization");
    if (headers[0] == NULL && (cfg->api_keys == NULL || cfg->api_keys[0] == '\0') &&
        a.ptr != NULL && a.len + 16 < sizeof(client_auth)) {
        memcpy(client_auth, "Authorization: ", 15);
        copy_text(client_auth + 15, sizeof(client_auth) - 15, a.ptr, a.len);
        headers[0] = client_auth;
    }
    if (rt_tokenize_body(req->body.ptr, req->body.len, chat, &body) == 0) {
        t->tok_start_ns = uv_hrtime();
        rt_metrics_inc(rt->metrics, RT_M_TOKENIZE_REQUESTS);
        t->tok = rt_tokenize_start(rt->tokenize_fetch, ask->url, body.data, body.len, headers,
                                   ms(cfg->tokenizer_timeout), on_tokenized, t);
    }
    buf_free(&body);
    return t->tok != NULL;
}

void rt_proxy_handle(struct rt_router *rt, struct http_request *req)
{
    struct transfer *t = xmalloc(sizeof(*t));

    memset(t, 0, offsetof(struct transfer, ex));
    t->rt = rt;
    t->req = req;
    t->start_ns = uv_hrtime();
    buf_init(&t->head, 256 * 1024);
    t->method = req->method_name;
    copy_text(t->path, sizeof(t->path), req->path.ptr, req->path.len);
    http_reply_on_abort(req, on_client_abort, t);
    http_reply_on_drain(req, on_client_drain, t);
    take_request_id(t, req);
    /* Single-threaded: one extraction area serves every request (4 KB of spans each). */
    static struct rt_extract ex;
    rt_extract_body(req->body.ptr, req->body.len, &ex); /* initialises every field */
    keep_fields(&t->ex, &ex);
    rt_feedback_init(&t->fb, rt, req, &ex);
    t->depth++;
    if (!refuse_model(t, req) && !start_tokenize(t, req))
        attempt(t);
    t->depth--;
    maybe_free(t);
}
