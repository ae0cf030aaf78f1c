/* The mock engine's prefix cache: chained 64-bit block hashes of prompt text (common/hash64;
 * block i's hash is seeded with block i-1's, as vLLM chains its block hashes, so a hash names a
 * whole prefix) and an LRU set of such hashes with a fixed capacity in blocks (hash map + doubly
 * linked list, O(1) per block). Pure: no loop, no I/O, no logging. Depends on libc and
 * common/hash. */
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
 * chain longer than the capacity keeps only its first `capacity` blocks. */
void mock_kvcache_insert(struct mock_kvcache *c, const uint64_t *hashes, size_t n);

/* Reports the cache's changes (for KV cache events): `stored(ud, i)` for each block that
 * mock_kvcache_insert newly inserts (i = its index in the `hashes` given; called from the
 * last block to the first), `evicted(ud, hash)` for each block evicted. Either may be NULL. */
struct mock_kvcache_observer {
    void (*stored)(void *ud, size_t i);
    void (*evicted)(void *ud, uint64_t hash);
    void *ud;
};
/* `o` is copied; NULL removes the observer. */
void mock_kvcache_set_observer(struct mock_kvcache *c, const struct mock_kvcache_observer *o);
/* Empties the cache (vLLM's reset_prefix_cache); nothing is reported and no eviction counted. */
void mock_kvcache_clear(struct mock_kvcache *c);

size_t mock_kvcache_used(const struct mock_kvcache *c);
size_t mock_kvcache_capacity(const struct mock_kvcache *c);
uint64_t mock_kvcache_evictions(const struct mock_kvcache *c);
/* The least recently used block's hash (the next to be evicted); false when empty. */
bool mock_kvcache_lru(const struct mock_kvcache *c, uint64_t *hash);

#endif
