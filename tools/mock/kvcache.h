/* The mock engine's prefix cache: chained 64-bit block hashes of prompt text (common/hash64;
 * block i's hash is seeded with block i-1's, as vLLM chains its block hashes, so a hash names a
 * whole prefix) and an LRU set of such hashes with a fixed capacity in blocks (hash map + doubly
 * linked list, O(1) per block).
 * Used with mock_kvcache_insert alone it is a plain LRU of prompt blocks. The pin/take/give/
 * store_pinned calls make it a vLLM-like block pool instead: the capacity is shared by cached
 * blocks and the blocks running requests hold, which are either pinned cached blocks (reference-
 * counted, off the LRU order so never evicted, still matched) or anonymous ones (no hash, never
 * a hit: blocks being prefilled, a prompt's partial last block, decode blocks). Blocks are taken
 * by evicting least recently used unpinned blocks; when all are pinned or held the pool
 * over-commits (cached + anonymous > capacity) and counts it.
 * Pure: no loop, no I/O, no logging. Depends on libc and common/hash. */
#ifndef SVC_TOOLS_MOCK_KVCACHE_H
#define SVC_TOOLS_MOCK_KVCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mock_kvcache;

/* Largest capacity accepted by mock_kvcache_new (16 M blocks, ~0.5 GiB of bookkeeping). */
#define MOCK_KVCACHE_MAX_BLOCKS (16u * 1024 * 1024)

/* Writes the chained hashes of the full blocks of `text` (`len` bytes, cut into blocks of
 * `block_chars` bytes; a partial last block is not hashed) into `out`, at most `max` of them.
 * Block 0 is hash64(block, seed), block i hash64(block, hash of block i-1). Returns the number of
 * full blocks in `text` (which may exceed `max`; only `max` are written then). */
size_t mock_kvcache_block_hashes(const char *text, size_t len, size_t block_chars, uint64_t seed,
                                 uint64_t *out, size_t max);

/* Creates an empty cache holding at most `capacity` blocks (1..MOCK_KVCACHE_MAX_BLOCKS).
 * Never NULL; release with mock_kvcache_free(). */
struct mock_kvcache *mock_kvcache_new(size_t capacity);
/* NULL-safe. */
void mock_kvcache_free(struct mock_kvcache *c);

/* Number of leading entries of `hashes` (n of them) present in the cache. Does not change the
 * LRU order (a lookup is not a use: the prefill that follows inserts and touches). */
size_t mock_kvcache_match(const struct mock_kvcache *c, const uint64_t *hashes, size_t n);
bool mock_kvcache_contains(const struct mock_kvcache *c, uint64_t hash);

/* Inserts or touches the `n` blocks of one prompt, from the last to the first, so that the
 * chain's head ends up most recently used and eviction takes the tails of old chains first (as
 * vLLM's free block queue does). Evicts least recently used blocks to stay within capacity; a
 * chain longer than the capacity keeps only its first `capacity` blocks. Pinned blocks are
 * not touched (they stay off the LRU order); a block that finds every entry pinned is skipped. */
void mock_kvcache_insert(struct mock_kvcache *c, const uint64_t *hashes, size_t n);

/* Reports the cache's changes (for KV cache events): `stored(ud, i)` for each block that
 * mock_kvcache_insert or mock_kvcache_store_pinned newly inserts (i = its index in the `hashes`
 * given; insert calls it from the last block to the first, store_pinned from the first to the
 * last), `evicted(ud, hash)` for each block evicted (or dropped by a partial
 * mock_kvcache_clear). Either may be NULL. */
struct mock_kvcache_observer {
    void (*stored)(void *ud, size_t i);
    void (*evicted)(void *ud, uint64_t hash);
    void *ud;
};
/* `o` is copied; NULL removes the observer. */
void mock_kvcache_set_observer(struct mock_kvcache *c, const struct mock_kvcache_observer *o);
/* Empties the cache (vLLM's reset_prefix_cache) and returns true; nothing is reported and no
 * eviction counted. When blocks are pinned (vLLM would refuse to reset then), drops only the
 * unpinned blocks, reports each to `evicted` (not counted as evictions) and returns false.
 * Anonymous blocks are not touched. */
bool mock_kvcache_clear(struct mock_kvcache *c);

/* Running requests' blocks (vLLM's block pool; the engine's hold-running mode). */

/* Pins hashes[0..n), which must all be cached (e.g. the leading blocks mock_kvcache_match
 * counted): each gains a reference, and a block with references is off the LRU order (never
 * evicted) but still matched. */
void mock_kvcache_pin(struct mock_kvcache *c, const uint64_t *hashes, size_t n);
/* Drops one reference from each of hashes[0..n) (all pinned), from the last to the first: a
 * block left with none becomes the most recently used, so the chain's head ends up most recent
 * and its tail goes first (vLLM frees a request's blocks in reverse order). */
void mock_kvcache_unpin(struct mock_kvcache *c, const uint64_t *hashes, size_t n);
/* Takes `n` anonymous blocks, evicting least recently used unpinned blocks (reported and
 * counted as evictions) while cached + anonymous blocks fill the capacity. Returns how many of
 * the `n` found no block to evict (over-committed; also added to mock_kvcache_overcommitted). */
size_t mock_kvcache_take(struct mock_kvcache *c, size_t n);
/* Returns `n` anonymous blocks (at most the number held). */
void mock_kvcache_give(struct mock_kvcache *c, size_t n);
/* Turns anonymous blocks (one per hash; the caller holds them) into cached blocks named
 * hashes[from..n), pinned once each, in chain order; `stored` is reported for each new entry.
 * A hash already cached is pinned instead and its anonymous block returned. Stops at the first
 * hash for which no entry can be made (every entry pinned, over-committed); the blocks from
 * there stay anonymous. Returns the index it stopped at (n when all were stored). */
size_t mock_kvcache_store_pinned(struct mock_kvcache *c, const uint64_t *hashes, size_t from,
                                 size_t n);

/* Cached blocks (with a hash), pinned or not. */
size_t mock_kvcache_used(const struct mock_kvcache *c);
size_t mock_kvcache_capacity(const struct mock_kvcache *c);
uint64_t mock_kvcache_evictions(const struct mock_kvcache *c);
/* Cached blocks with at least one pin; anonymous blocks held; blocks taken beyond the capacity
 * so far. */
size_t mock_kvcache_pinned(const struct mock_kvcache *c);
size_t mock_kvcache_anonymous(const struct mock_kvcache *c);
uint64_t mock_kvcache_overcommitted(const struct mock_kvcache *c);
/* The least recently used block's hash (the next to be evicted); false when empty. */
bool mock_kvcache_lru(const struct mock_kvcache *c, uint64_t *hash);

#endif
