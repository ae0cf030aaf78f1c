/* The babysitter's counters and their Prometheus exposition (GET /metrics). Modules bump the
 * counters directly; gauges (ready, child running, restarts) are read from the babysitter when
 * the page is written. Depends on common/prom and common/buf. */
#ifndef SVC_BABYSITTER_METRICS_H
#define SVC_BABYSITTER_METRICS_H

#include <stdint.h>

struct bs_babysitter;
struct buf;

/* Index of a registry record in the per-record counters. */
enum bs_record_kind {
    BS_RECORD_OWN,    /* "<name>": the babysitter */
    BS_RECORD_SERVER, /* "<name>-server": the model server */
};

struct bs_metrics {
    uint64_t heartbeats_ok[2];
    uint64_t heartbeats_failed[2];
    uint64_t registrations_ok[2];
    uint64_t registrations_failed[2];
    uint64_t reregistrations[2]; /* heartbeat answered 404: registered again */
    uint64_t scrapes_ok;         /* /metrics of the model server with vLLM load figures */
    uint64_t scrapes_failed;
    uint64_t unhealthy_restarts; /* restarts after failed health probes */
    uint64_t startup_timeouts;   /* restarts after the startup timeout */
};

/* Appends the exposition of `b`'s counters and gauges to `out`. */
void bs_metrics_write(const struct bs_babysitter *b, struct buf *out);

#endif
