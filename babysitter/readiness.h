/* Whether the model server answers: after each spawn, probes GET /v1/models (then /models) on
 * the server's port until one answers 2xx with a non-empty model list (an object whose `data`
 * is a non-empty array, or a non-empty bare array), with delays growing from 200 ms to 5 s, up
 * to a startup deadline; then, while it is ready, probes every health interval, reports each
 * failed probe at once and reports it unhealthy after N failures in a row. Results of a probe that
 * started before the last start/reset are ignored. At most one request is in flight.
 * Single-threaded. Depends on libuv, common/http_fetch, common/json, common/log. */
#ifndef SVC_BABYSITTER_READINESS_H
#define SVC_BABYSITTER_READINESS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include <uv.h>

struct bs_readiness;

enum bs_readiness_event {
    BS_READINESS_READY,     /* first good answer since start: `models` set */
    BS_READINESS_MODELS,    /* a later good answer while ready: `models` set */
    BS_READINESS_FAILING,   /* a probe failed while ready, fewer than unhealthy_after in a row
                             * so far: `reason` set; probing goes on */
    BS_READINESS_TIMEOUT,   /* not ready within the startup timeout: `reason` set */
    BS_READINESS_UNHEALTHY, /* unhealthy_after failed probes in a row: `reason` set */
};

/* `models` is the backend's model-list document, taken by the callee (free with
 * cJSON_Delete()); `reason` is borrowed. After TIMEOUT and UNHEALTHY probing has stopped until
 * the next bs_readiness_start(). May call bs_readiness_start/_reset but not _free. */
typedef void (*bs_readiness_cb)(void *ud, enum bs_readiness_event ev, cJSON *models,
                                const char *reason);

struct bs_readiness_opts {
    const char *host; /* borrowed; where to probe (usually 127.0.0.1) */
    int port;
    double startup_timeout; /* s */
    double health_interval; /* s */
    double probe_timeout;   /* s per request */
    int unhealthy_after;
    bs_readiness_cb cb;
    void *ud;
};

/* Creates an idle prober with its own HTTP client. Never NULL. */
struct bs_readiness *bs_readiness_new(uv_loop_t *loop, const struct bs_readiness_opts *opts);
/* A new child was spawned: forget everything and probe for readiness from scratch. */
void bs_readiness_start(struct bs_readiness *r);
/* The child is gone: stop probing (a probe in flight is ignored when it ends). */
void bs_readiness_reset(struct bs_readiness *r);
/* Cancels the request in flight and frees everything once the handles are closed. NULL-safe.
 * Not from inside its own callback. */
void bs_readiness_free(struct bs_readiness *r);
/* Failed probes while ready, since creation. */
uint64_t bs_readiness_failures(const struct bs_readiness *r);

/* Parses a model-list response body: returns the document (caller frees with cJSON_Delete())
 * when it is an object whose `data` is a non-empty array or a non-empty bare array, else NULL.
 * Pure. */
cJSON *bs_readiness_parse_models(const char *body, size_t len);
/* The list inside such a document (borrowed). */
const cJSON *bs_readiness_models_array(const cJSON *doc);

#endif
