/* Registry discovery: polls GET <registry>/services every --registry-sync-interval and mirrors
 * the routable records (metadata.type == "openai-api") into the instance table. The poll asks for
 * every record, not only healthy ones, so that a record the registry marks unhealthy (its
 * babysitter reports the model server down) stops taking traffic at once, while a record that
 * vanished keeps routing, as long as its own probes pass, for the grace period (forever with
 * metadata.static). New records are probed at once and take traffic once a probe passed. One
 * malformed record is skipped, not the whole answer; an unreachable registry keeps the last view
 * (logged once, counted in /metrics). Depends on common/http_fetch, router/services. */
#ifndef SVC_ROUTER_DISCOVERY_H
#define SVC_ROUTER_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

struct rt_router;
struct rt_discovery;

/* Starts polling at once. Never NULL. */
struct rt_discovery *rt_discovery_start(struct rt_router *rt);
/* Stops polling, cancels a poll in flight, and frees once its timer has closed. NULL-safe. */
void rt_discovery_stop(struct rt_discovery *d);

/* Applies one /services answer (the JSON body) to the table; exposed for tests.
 * Returns the number of records applied, or a negative code when the body is unusable. */
int rt_discovery_apply(struct rt_router *rt, const char *body, size_t len);

#endif
