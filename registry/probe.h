/* Active health probes: GET <probe base>/health for every record every --health-interval (the
 * first sweep after one interval), concurrently and without blocking the loop (common/
 * http_fetch), and on demand for GET /services/:name/health. A record with a probe in flight
 * is not probed again: an on-demand request joins the probe in flight. 2xx marks the record's
 * health_status "healthy", anything else "unhealthy"; probes never touch last_heartbeat (the
 * on-demand caller does that). Probe base: http://<host>:<port+1> when metadata.type is
 * "openai-api" (the babysitter of that server), else the record's url.
 * Depends on common/http_fetch, registry/store, registry/metrics, common/log. */
#ifndef SVC_REGISTRY_PROBE_H
#define SVC_REGISTRY_PROBE_H

#include <stddef.h>

#include <uv.h>

struct buf;
struct reg_metrics;
struct reg_prober;
struct reg_probe_wait;
struct reg_record;
struct reg_store;

/* Result of a probe: 1 healthy, 0 unhealthy, SVC_ECANCELED when the prober stopped first.
 * The wait handle is invalid once this is called. */
typedef void (*reg_probe_done_cb)(void *ud, int result);

/* A prober on `loop` over `store` (borrowed; must outlive the prober). Never NULL. */
struct reg_prober *reg_prober_new(uv_loop_t *loop, struct reg_store *store,
                                  struct reg_metrics *metrics, double interval_s, double timeout_s);
/* Starts the periodic sweeps. 0, or a negative libuv code. */
int reg_prober_start(struct reg_prober *p);
/* Probes `rec` now, or joins its probe in flight, and calls `cb` with the result. Returns a
 * handle for reg_probe_wait_cancel(). Never NULL. */
struct reg_probe_wait *reg_prober_probe(struct reg_prober *p, struct reg_record *rec,
                                        reg_probe_done_cb cb, void *ud);
/* Forgets a waiter (its callback will not run); the probe itself goes on. */
void reg_probe_wait_cancel(struct reg_probe_wait *w);
/* Stops the sweeps and cancels every probe in flight; their waiters get SVC_ECANCELED.
 * Not from inside a probe callback. */
void reg_prober_stop(struct reg_prober *p);
/* Stops, closes every handle and frees the prober once they are closed (the loop must run).
 * NULL-safe. */
void reg_prober_free(struct reg_prober *p);

/* Appends the probe URL of `rec` to `out`. 0, or SVC_ELIMIT. */
int reg_probe_url(const struct reg_record *rec, struct buf *out);

/* Probes in flight. */
size_t reg_prober_active(const struct reg_prober *p);

#endif
