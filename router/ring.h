/* Consistent hashing over members identified by name: a key's order of preference over the
 * members. The order depends only on the key and the names, so every router replica that lists
 * the same members, in any order, maps every key to the same member, and a membership change
 * moves only the keys of the member that joined or left. Up to RT_RING_RENDEZVOUS_MAX names the
 * order is rendezvous hashing (descending hash(key, name): exact balance in expectation and
 * exactly minimal movement, at one hash per member per lookup); above it each member owns
 * `vnodes` points at hashes of its name and the replica index, walked clockwise from the key.
 * The ring keeps only that order: which member along it takes a request (eligibility, the
 * bounded-load cap of rt_balancer_load_bound()) is the caller's accept callback. The ring is
 * immutable after rt_ring_new(): rebuild it when membership changes and share it read-only.
 * Depends on common/hash and libc; knows nothing of instances or loads. */
#ifndef SVC_ROUTER_RING_H
#define SVC_ROUTER_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Points per member when rt_ring_new() is given 0 (ketama's figure). A member's share of the
 * keys deviates from the mean by about 1/sqrt(vnodes) (8% here). Measured over 200 random name
 * sets, the busiest of 10 members owns on average 1.12x the mean share (worst 1.27x); with 100
 * points 1.16x (1.32x), with 256 points 1.10x (1.19x) at 1.6x the memory (12 bytes a point:
 * 1.9 MB for 1,000 members) and a deeper lookup. tests/unit/test_ring.c pins the figures. */
#define RT_RING_DEFAULT_VNODES 160u
/* Up to this many distinct names the ring uses rendezvous hashing instead of vnode points:
 * with 160 points a member of a 2-member ring can own 58% of the keys; rendezvous keeps every
 * share within sampling noise, and hashing 256 members per lookup still takes well under 2 us. */
#define RT_RING_RENDEZVOUS_MAX 256u
/* Largest vnodes and member count accepted; keeps n * vnodes well inside 32-bit indexes. */
#define RT_RING_MAX_VNODES  4096u
#define RT_RING_MAX_MEMBERS (1u << 20)
#define RT_RING_MAX_POINTS  (1u << 26)

struct rt_ring;

/* Called by rt_ring_walk() for each member met; returns true to stop on that member. */
typedef bool (*rt_ring_accept_cb)(void *ud, unsigned member);

/* Builds a ring of `n` members; member i is `names[i]`. `names` and the strings are borrowed
 * only during the call (the ring keeps hashes, not names). `vnodes` is the number of points per
 * member (0 means RT_RING_DEFAULT_VNODES). Positions depend only on the names, never on array
 * order; exactly equal positions are ordered by name. Members with equal names are one ring
 * member: they share its points and rt_ring_walk() offers them together, in index order.
 * n = 0 gives an empty ring. Returns a ring the caller frees with rt_ring_free(), or NULL when
 * an argument is invalid (a NULL name, vnodes > RT_RING_MAX_VNODES, n > RT_RING_MAX_MEMBERS, or
 * more than RT_RING_MAX_POINTS points). */
struct rt_ring *rt_ring_new(const char *const *names, size_t n, unsigned vnodes);

/* Releases the ring. NULL-safe. */
void rt_ring_free(struct rt_ring *r);

/* The `n` given to rt_ring_new(): member indexes run from 0 to n - 1. */
size_t rt_ring_size(const struct rt_ring *r);

/* Walks members clockwise from the first point at or after `key_hash` (wrapping around),
 * calling accept(ud, member) for each member the first time it is met (members sharing a name:
 * each of them, in index order), until accept returns true. Returns that member's index, or -1
 * when every member was refused or the ring is empty. O(log points) to find the start; the walk
 * allocates nothing unless more than 16 distinct members are refused on a ring of more than
 * 65536 members. `ud` is passed through untouched. */
int rt_ring_walk(const struct rt_ring *r, uint64_t key_hash, rt_ring_accept_cb accept, void *ud);

#endif
