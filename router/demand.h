/* How much of a model's recent traffic each prompt prefix takes: decayed request counts per
 * 64-bit key (the prefix's affinity hash, and the model's own key for its total), so the
 * cache-aware choice can tell a hot prefix, which must spread over its copies, from a cold one,
 * which should keep one home. Counts decay exponentially (time constant RT_DEMAND_DECAY_S); the
 * table is bounded: a key that finds no room replaces the weakest of the entries it probed.
 * Pure; depends on libc and common/xalloc. */
#ifndef SVC_ROUTER_DEMAND_H
#define SVC_ROUTER_DEMAND_H

#include <stddef.h>
#include <stdint.h>

#define RT_DEMAND_DECAY_S 20.0

struct rt_demand;

/* A table of `slots` entries (rounded up to a power of two, at least 64). Never NULL. */
struct rt_demand *rt_demand_new(size_t slots);
void rt_demand_free(struct rt_demand *d); /* NULL-safe */

/* Counts one request for `key` within `total_key` (e.g. a prefix within its model) at `now`
 * (seconds, any monotonic origin) and returns the key's share of the total's recent requests,
 * in (0, 1]. */
double rt_demand_note(struct rt_demand *d, uint64_t key, uint64_t total_key, double now);

#endif
