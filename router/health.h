/* Active health probes: every --health-interval, GET /health on each instance's babysitter
 * (port+1) when its record was made by one (metadata.babysitter present), else on the instance
 * itself. A failed probe takes the instance out of rotation until a probe succeeds; a successful
 * probe also ends a passive ejection. Probes run concurrently and never overlap per instance.
 * Depends on common/http_fetch, router/services. */
#ifndef SVC_ROUTER_HEALTH_H
#define SVC_ROUTER_HEALTH_H

struct rt_router;
struct rt_health;

/* Starts probing (first round at once). Never NULL. */
struct rt_health *rt_health_start(struct rt_router *rt);
/* Stops, cancels probes in flight, frees once the timer has closed. NULL-safe. */
void rt_health_stop(struct rt_health *h);

#endif
