/* Active health probes: every --health-interval, GET /health on each instance's babysitter
 * (port+1) when its record was made by one (metadata.babysitter present), else on the instance
 * itself. A failed probe takes the instance out of rotation until a probe succeeds; a successful
 * probe started after a passive ejection for transport failures ends it (never one for timeouts,
 * see rt_instance_note_probe). A registry instance takes no traffic before its first successful
 * probe, so new instances are probed as soon as discovery finds them. Probes run concurrently
 * and never overlap per instance.
 * Depends on common/http_fetch, router/services. */
#ifndef SVC_ROUTER_HEALTH_H
#define SVC_ROUTER_HEALTH_H

struct rt_router;
struct rt_health;

/* Starts probing (first round at once). Never NULL. */
struct rt_health *rt_health_start(struct rt_router *rt);
/* Probes now every instance never probed that is out of rotation (new registry records).
 * NULL-safe. */
void rt_health_probe_new(struct rt_health *h);
/* Stops, cancels probes in flight, frees once the timer has closed. NULL-safe. */
void rt_health_stop(struct rt_health *h);

#endif
