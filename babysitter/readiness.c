/* Startup and health probes of the model server. One uv_timer schedules the next probe; a probe
 * is one or two GETs (/v1/models, then /models when the first did not yield a model list).
 * `gen` counts starts and resets, so the answer to a probe sent for an earlier child is
 * recognised and dropped: requests are never cancelled from inside callbacks. Depends on
 * libuv, common/{buf,http_fetch,json,log,xalloc} and babysitter/launch (URLs). */
#include "readiness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http_fetch.h"
#include "json.h"
#include "launch.h"
#include "log.h"
#include "xalloc.h"

#define STARTUP_FIRST_MS 200
#define STARTUP_MAX_MS   5000
#define MAX_MODELS_BODY  (8u << 20)

enum phase {
    PHASE_IDLE,
    PHASE_STARTUP,
    PHASE_HEALTH,
};

static const char *const probe_paths[] = {"/v1/models", "/models"};

struct bs_readiness {
    uv_loop_t *loop;
    struct bs_readiness_opts opts;
    char *host;
    struct http_fetch *client;
    uv_timer_t timer;
    enum phase phase;
    uint64_t gen;
    struct http_fetch_req *req; /* in flight, or NULL */
    uint64_t req_gen;
    size_t req_path;      /* index into probe_paths */
    uint64_t deadline_ms; /* startup deadline (uv_now) */
    uint64_t delay_ms;    /* next startup delay */
    int failures;         /* in a row, while ready */
    uint64_t failures_total;
    char last_error[160];
};

static uint64_t to_ms(double s)
{
    return s <= 0 ? 0 : (uint64_t)(s * 1000.0 + 0.5);
}

cJSON *bs_readiness_parse_models(const char *body, size_t len)
{
    cJSON *doc = json_parse(body, len, NULL);
    const cJSON *list = bs_readiness_models_array(doc);

    if (list == NULL || cJSON_GetArraySize(list) == 0) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

const cJSON *bs_readiness_models_array(const cJSON *doc)
{
    if (cJSON_IsArray(doc))
        return doc;
    return json_get_array(doc, "data");
}

static void on_done(void *ud, int rc, const struct http_fetch_response *resp);

static void start_request(struct bs_readiness *r)
{
    struct buf url;
    uint64_t timeout = to_ms(r->opts.probe_timeout);

    buf_init(&url, 1024);
    int rc = bs_launch_url(&url, r->host, r->opts.port, probe_paths[r->req_path]);
    SVC_ASSERT(rc == 0);
    const struct http_fetch_opts o = {
        .url = buf_cstr(&url),
        .connect_timeout_ms = timeout,
        .timeout_ms = timeout,
        .max_response = MAX_MODELS_BODY,
        .on_done = on_done,
        .ud = r,
    };
    r->req_gen = r->gen;
    r->req = http_fetch_start(r->client, &o);
    SVC_ASSERT(r->req != NULL);
    buf_free(&url);
}

static void on_timer(uv_timer_t *t)
{
    struct bs_readiness *r = t->data;

    /* With a request still in flight (sent before the last start), its end reschedules. */
    if (r->phase == PHASE_IDLE || r->req != NULL)
        return;
    r->req_path = 0;
    start_request(r);
}

static void schedule(struct bs_readiness *r, uint64_t ms)
{
    int rc = uv_timer_start(&r->timer, on_timer, ms, 0);

    SVC_ASSERT(rc == 0);
}

static void succeed(struct bs_readiness *r, cJSON *doc)
{
    enum bs_readiness_event ev =
        r->phase == PHASE_STARTUP ? BS_READINESS_READY : BS_READINESS_MODELS;

    r->phase = PHASE_HEALTH;
    r->failures = 0;
    schedule(r, to_ms(r->opts.health_interval));
    r->opts.cb(r->opts.ud, ev, doc, NULL);
}

static void fail(struct bs_readiness *r)
{
    char reason[256];
    uint64_t now = uv_now(r->loop);

    if (r->phase == PHASE_STARTUP) {
        if (now >= r->deadline_ms) {
            r->phase = PHASE_IDLE;
            snprintf(reason, sizeof(reason), "not ready %.1f s after the start (last probe: %s)",
                     r->opts.startup_timeout, r->last_error);
            r->opts.cb(r->opts.ud, BS_READINESS_TIMEOUT, NULL, reason);
            return;
        }
        r->delay_ms = r->delay_ms * 2 < STARTUP_MAX_MS ? r->delay_ms * 2 : STARTUP_MAX_MS;
        schedule(r, now + r->delay_ms > r->deadline_ms ? r->deadline_ms - now : r->delay_ms);
        return;
    }
    r->failures++;
    r->failures_total++;
    log_warn("readiness", "port=%d failures=%d/%d health probe failed: %s", r->opts.port,
             r->failures, r->opts.unhealthy_after, r->last_error);
    if (r->failures >= r->opts.unhealthy_after) {
        r->phase = PHASE_IDLE;
        snprintf(reason, sizeof(reason), "%d health probes failed in a row (last: %s)", r->failures,
                 r->last_error);
        r->opts.cb(r->opts.ud, BS_READINESS_UNHEALTHY, NULL, reason);
        return;
    }
    schedule(r, to_ms(r->opts.health_interval));
    snprintf(reason, sizeof(reason), "health probe failed (%d of %d before a restart): %s",
             r->failures, r->opts.unhealthy_after, r->last_error);
    r->opts.cb(r->opts.ud, BS_READINESS_FAILING, NULL, reason);
}

static void on_done(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct bs_readiness *r = ud;
    const char *path = probe_paths[r->req_path];
    cJSON *doc = NULL;

    r->req = NULL;
    if (r->req_gen != r->gen || r->phase == PHASE_IDLE) {
        if (r->phase != PHASE_IDLE && !uv_is_active((uv_handle_t *)&r->timer))
            schedule(r, 0);
        return;
    }
    if (rc == 0 && resp->status >= 200 && resp->status < 300)
        doc = bs_readiness_parse_models(resp->body.ptr, resp->body.len);
    if (doc != NULL) {
        succeed(r, doc);
        return;
    }
    if (rc != 0)
        snprintf(r->last_error, sizeof(r->last_error), "GET %s: %s", path, err_str(rc));
    else if (resp->status < 200 || resp->status >= 300)
        snprintf(r->last_error, sizeof(r->last_error), "GET %s: HTTP %ld", path, resp->status);
    else
        snprintf(r->last_error, sizeof(r->last_error), "GET %s: no non-empty model list", path);
    /* The server answered but not with a list: the reference's fallback path may have one. */
    if (rc == 0 && r->req_path + 1 < sizeof(probe_paths) / sizeof(probe_paths[0])) {
        r->req_path++;
        start_request(r);
        return;
    }
    fail(r);
}

struct bs_readiness *bs_readiness_new(uv_loop_t *loop, const struct bs_readiness_opts *opts)
{
    struct bs_readiness *r = xcalloc(1, sizeof(*r));

    r->loop = loop;
    r->opts = *opts;
    r->host = xstrdup(opts->host);
    r->opts.host = r->host;
    r->client = http_fetch_new(loop, 2);
    int rc = uv_timer_init(loop, &r->timer);
    SVC_ASSERT(rc == 0);
    r->timer.data = r;
    snprintf(r->last_error, sizeof(r->last_error), "none yet");
    return r;
}

void bs_readiness_start(struct bs_readiness *r)
{
    r->gen++;
    r->phase = PHASE_STARTUP;
    r->failures = 0;
    r->delay_ms = STARTUP_FIRST_MS;
    r->deadline_ms = uv_now(r->loop) + to_ms(r->opts.startup_timeout);
    snprintf(r->last_error, sizeof(r->last_error), "none yet");
    schedule(r, STARTUP_FIRST_MS);
}

void bs_readiness_reset(struct bs_readiness *r)
{
    r->gen++;
    r->phase = PHASE_IDLE;
    uv_timer_stop(&r->timer);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct bs_readiness *r = h->data;

    free(r->host);
    free(r);
}

void bs_readiness_free(struct bs_readiness *r)
{
    if (r == NULL)
        return;
    http_fetch_free(r->client); /* cancels the request in flight: no callback */
    r->client = NULL;
    r->req = NULL;
    uv_close((uv_handle_t *)&r->timer, on_timer_closed);
}

uint64_t bs_readiness_failures(const struct bs_readiness *r)
{
    return r->failures_total;
}
