/* Router metrics: labelled request counters and global counters, written in the Prometheus
 * text format together with per-instance gauges and latency histograms kept on the instances.
 * Label values that come from clients (model names) are limited to models some instance serves,
 * so a client cannot grow the series without bound. Depends on common/prom, router/services. */
#ifndef SVC_ROUTER_METRICS_H
#define SVC_ROUTER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct buf;
struct rt_router;

struct rt_metrics;

struct rt_metrics *rt_metrics_new(void);
void rt_metrics_free(struct rt_metrics *m);

/* A proxied request ended with `status` (499 = client went away first). `model` must be a
 * served model or NULL ("none"); `instance` NULL when none was chosen; `route` is the reason. */
void rt_metrics_request(struct rt_metrics *m, const char *model, const char *instance, int status,
                        const char *route);

enum rt_counter {
    RT_M_RETRIES,          /* attempts after the first */
    RT_M_STALE_RECONNECTS, /* idle keep-alive connection found closed, request re-sent */
    RT_M_CLIENT_ABORTS,    /* client left before the response ended */
    RT_M_UPSTREAM_ERRORS,  /* transport failures and timeouts */
    RT_M_UPSTREAM_TIMEOUTS,
    RT_M_TRUNCATED, /* upstream failed after the response started */
    RT_M_NO_ROUTE,  /* 503: no candidate */
    RT_M_REGISTRY_SYNCS,
    RT_M_REGISTRY_SYNC_FAILURES,
    RT_M_PROBES,
    RT_M_PROBE_FAILURES,
    RT_M_AUTH_FAILURES,
    RT_M_TOKENIZE_REQUESTS, /* --tokenizer engine: /tokenize calls */
    RT_M_TOKENIZE_FAILURES, /* ... that failed or timed out (the approximate index decided) */
    RT_M_TOKENIZE_SECONDS,  /* ... their total time, as micro-seconds */
    RT_M_COUNT,
};
void rt_metrics_inc(struct rt_metrics *m, enum rt_counter c);
/* Adds a duration to a counter kept in microseconds (written out in seconds). */
void rt_metrics_add_seconds(struct rt_metrics *m, enum rt_counter c, double seconds);
uint64_t rt_metrics_get(const struct rt_metrics *m, enum rt_counter c);

/* Writes every metric, including per-instance gauges and histograms. */
void rt_metrics_write(const struct rt_metrics *m, const struct rt_router *rt, struct buf *out);

#endif
