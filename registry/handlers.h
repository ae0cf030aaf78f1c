/* The registry's HTTP API as a pure function: routing of method + path to the endpoint logic,
 * validation (413/401/429/415/400/422/403), admission of registrations (the host allow-list,
 * a rate limit and a cap on records), and the response status and JSON body. Used by the HTTP glue
 * (registry/server), the unit tests and the fuzz target, so it never touches sockets, files or
 * the loop. GET /services/:name/health needs an asynchronous probe: the entry point answers
 * "probe first" and the glue calls reg_handlers_probe_done() with the result.
 * Depends on registry/store, registry/metrics, registry/allow, common/json, common/http_status
 * (error bodies). */
#ifndef SVC_REGISTRY_HANDLERS_H
#define SVC_REGISTRY_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "metrics.h"

struct reg_allow;
struct reg_store;
struct reg_handlers;

/* One request. Slices are borrowed; a header that is absent has a NULL ptr. */
struct reg_request {
    const char *method;        /* "GET", "POST", ... */
    struct slice path;         /* as received (percent-encoded), without the query */
    struct slice query;        /* after '?', may be empty */
    struct slice content_type; /* Content-Type header */
    struct slice authorization;
    struct slice body;
};

struct reg_response {
    int status;                 /* 0: run a probe of `probe_name` first (see above) */
    enum reg_endpoint endpoint; /* for metrics and logs */
    const char *content_type;   /* static string */
    const char *allow;          /* static; set with 405 (the Allow header) */
    bool auth_challenge;        /* set with 401 (WWW-Authenticate: Bearer) */
    int retry_after;            /* seconds for a Retry-After header (429), 0 = none */
    struct buf body;
    char *probe_name; /* owned by the response; set when status is 0 */
};

struct reg_handlers_opts {
    struct reg_store *store;       /* borrowed */
    struct reg_metrics *metrics;   /* borrowed */
    const char *auth_token;        /* copied; NULL or "" = writes need no token */
    size_t max_body;               /* larger bodies get 413 */
    const struct reg_allow *allow; /* borrowed; hosts a record may name (NULL = any) */
    size_t max_services;           /* registrations of new names beyond get 429 (0 = no cap) */
    double registration_rate;      /* POST /services per second, sustained (0 = no limit) */
    double registration_burst;     /* ... and in a burst */
};

/* Never NULL. */
struct reg_handlers *reg_handlers_new(const struct reg_handlers_opts *opts);
/* NULL-safe. */
void reg_handlers_free(struct reg_handlers *h);

/* Prepares an empty response (its body buffer is reused across calls). */
void reg_response_init(struct reg_response *r);
void reg_response_free(struct reg_response *r);

/* Handles one request at wall-clock time `now` (Unix seconds) and fills `resp` (its previous
 * content is discarded). Counts the request in the metrics unless a probe is needed. */
void reg_handlers_handle(struct reg_handlers *h, const struct reg_request *req, double now,
                         struct reg_response *resp);

/* Completes GET /services/:name/health after the probe of `name`: `result` > 0 healthy, 0
 * unhealthy, < 0 abandoned (shutdown: 503). A healthy result refreshes the heartbeat. A record
 * removed meanwhile gives 404. Fills `resp` and counts the request. */
void reg_handlers_probe_done(struct reg_handlers *h, const char *name, int result, double now,
                             struct reg_response *resp);

#endif
