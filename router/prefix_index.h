/* The approximate prefix index (DESIGN.md section 4a): which instances hold which prompt-prefix
 * blocks, as this router's own traffic left them. A block is a chain hash from router/prefix_hash
 * (it names the whole prefix up to that block, model included). Each member (an instance) holds
 * a set of blocks with a capacity in blocks, evicted least recently used first like the engine's
 * own cache: inserting a prompt touches its blocks from the last to the first, so a prefix's head
 * stays longest and eviction takes the tails of old chains first. A global memory cap bounds the
 * whole index; when it is reached the member holding the most blocks gives up its least recently
 * used one. Lookups and inserts are O(blocks) (plus the members holding each block) and allocate
 * nothing; the tables grow by doubling up to the cap, so an idle router stays small.
 * Pure: no loop, no I/O, no logging. Depends on libc and common/xalloc. */
#ifndef SVC_ROUTER_PREFIX_INDEX_H
#define SVC_ROUTER_PREFIX_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct rt_prefix_index;

/* Bytes one indexed block costs (node plus its share of the hash table at the lowest load). */
#define RT_PREFIX_BYTES_PER_BLOCK 40u
/* Members are numbered 0..RT_PREFIX_MAX_MEMBERS-1. */
#define RT_PREFIX_MAX_MEMBERS 65535u

struct rt_prefix_stats {
    size_t blocks;          /* (block, member) pairs held */
    size_t bytes;           /* memory of the tables */
    size_t max_blocks;      /* what the memory cap allows */
    uint64_t evictions;     /* pairs dropped for a member's capacity or the memory cap */
    uint64_t cap_evictions; /* of which for the memory cap */
};

/* An empty index that may use up to `max_bytes` (at least room for 1,024 blocks). Never NULL;
 * release with rt_prefix_index_free() (NULL-safe). */
struct rt_prefix_index *rt_prefix_index_new(size_t max_bytes);
void rt_prefix_index_free(struct rt_prefix_index *x);

/* Adds a member holding nothing, with room for `capacity` blocks (0 = bounded by the memory cap
 * only). Returns its id (the lowest free one), or -1 when RT_PREFIX_MAX_MEMBERS are in use. */
int rt_prefix_index_add_member(struct rt_prefix_index *x, size_t capacity);
/* Drops the member's blocks and frees its id. NULL `x` or an invalid member: nothing. */
void rt_prefix_index_remove_member(struct rt_prefix_index *x, int member);
/* Drops the member's blocks (its cache was reset or the engine restarted). */
void rt_prefix_index_clear_member(struct rt_prefix_index *x, int member);
/* Changes the capacity; evicts least recently used blocks when the member now holds more. */
void rt_prefix_index_set_capacity(struct rt_prefix_index *x, int member, size_t capacity);
size_t rt_prefix_index_member_blocks(const struct rt_prefix_index *x, int member);
size_t rt_prefix_index_capacity(const struct rt_prefix_index *x, int member);

/* For each of the `nmembers` members in `members` (borrowed), writes to depth[k] how many leading
 * hashes of `h[0..n)` it holds (the length of its longest cached prefix, in blocks). Members may
 * repeat or be -1 (depth 0). Does not change the LRU order. */
void rt_prefix_index_match(struct rt_prefix_index *x, const uint64_t *h, size_t n,
                           const int *members, size_t nmembers, uint32_t *depth);

/* Records that `member` now holds the chain h[0..n) (its engine will after the prefill): the
 * blocks are added or touched from the last to the first. Only the first `capacity` blocks are
 * kept when the chain is longer than the member's capacity. */
void rt_prefix_index_insert(struct rt_prefix_index *x, int member, const uint64_t *h, size_t n);

/* Drops the member's blocks h[from..n) (a false hit: its engine held only `from` blocks).
 * Returns how many it held. */
size_t rt_prefix_index_truncate(struct rt_prefix_index *x, int member, const uint64_t *h,
                                size_t from, size_t n);

void rt_prefix_index_stats(const struct rt_prefix_index *x, struct rt_prefix_stats *out);

#endif
