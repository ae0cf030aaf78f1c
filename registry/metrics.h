/* The registry's counters and their Prometheus exposition (/metrics). Counters are plain fields
 * bumped by the modules that observe the events; gauges (services, healthy services, uptime)
 * are computed when the page is written. Depends on common/prom and registry/store.
 * Single-threaded (the loop thread). */
#ifndef SVC_REGISTRY_METRICS_H
#define SVC_REGISTRY_METRICS_H

#include <stdint.h>

struct buf;
struct reg_store;

/* Endpoints, as labelled in reg_registry_requests_total. */
enum reg_endpoint {
    REG_EP_HEALTH,
    REG_EP_LIST,
    REG_EP_REGISTER,
    REG_EP_GET,
    REG_EP_UPDATE,
    REG_EP_DELETE,
    REG_EP_PROBE,
    REG_EP_HEARTBEAT,
    REG_EP_STATS,
    REG_EP_METRICS,
    REG_EP_OTHER,
    REG_EP_COUNT,
};

/* Status codes counted individually; anything else is counted as "other". */
#define REG_METRICS_NCODES 15

/* Why a registration was refused, as labelled in infini_registry_registrations_refused_total. */
enum reg_refused {
    REG_REFUSED_HOST, /* 403: host or url host not in --allow-hosts */
    REG_REFUSED_RATE, /* 429: --registration-rate */
    REG_REFUSED_FULL, /* 429: --max-services */
    REG_REFUSED_COUNT,
};

struct reg_metrics {
    uint64_t requests[REG_EP_COUNT][REG_METRICS_NCODES + 1];
    uint64_t heartbeats;         /* accepted heartbeats */
    uint64_t unknown_heartbeats; /* heartbeats answered 404 */
    uint64_t registrations;      /* new names */
    uint64_t replacements;       /* registrations replacing a record */
    uint64_t deregistrations;
    uint64_t expirations;
    uint64_t probes_healthy;
    uint64_t probes_unhealthy;
    uint64_t state_writes;
    uint64_t state_write_failures;
    uint64_t auth_failures;
    uint64_t registrations_refused[REG_REFUSED_COUNT];
    double start_time; /* Unix seconds */
};

/* Zeroes the counters and records the start time. */
void reg_metrics_init(struct reg_metrics *m, double now);
/* Counts one answered request. */
void reg_metrics_request(struct reg_metrics *m, enum reg_endpoint ep, int status);
/* Label value for an endpoint ("heartbeat", "register", ...). */
const char *reg_metrics_endpoint_name(enum reg_endpoint ep);
/* Appends the exposition text (Prometheus 0.0.4) to `out`. */
void reg_metrics_write(const struct reg_metrics *m, const struct reg_store *store, double now,
                       struct buf *out);

#endif
