/* The mock engine's "static" KV cache (--cache-type static): a simulation of an engine whose KV
 * memory is preallocated per batch slot, one contiguous buffer of max_cache_len tokens each (as
 * InfiniLM's StaticKVCache: max_batch_size x max_cache_len), instead of one pool of blocks shared
 * by every request (the paged cache, tools/mock/kvcache).
 *
 * Each slot keeps the block hashes (chained, tools/mock/kvcache) of the last sequence it held. A
 * request takes the free slot whose resident sequence shares the longest prefix with its prompt,
 * else the least recently used free slot, reuses that prefix and overwrites the rest. Nothing is
 * shared between slots: a prefix two slots need is prefilled in each, and a long context evicts
 * nothing but its own slot's previous sequence.
 * Pure: no loop, no I/O. Depends on libc and common/xalloc. */
#ifndef SVC_TOOLS_MOCK_SLOTCACHE_H
#define SVC_TOOLS_MOCK_SLOTCACHE_H

#include <stddef.h>
#include <stdint.h>

struct mock_slotcache;

/* Creates `nslots` (>= 1) empty slots of `slot_blocks` (>= 1) blocks each. Never NULL; release
 * with mock_slotcache_free(). Memory grows with what the slots hold, not with the capacity. */
struct mock_slotcache *mock_slotcache_new(size_t nslots, size_t slot_blocks);
/* NULL-safe. */
void mock_slotcache_free(struct mock_slotcache *c);

/* Takes a free slot for a prompt whose chained block hashes are `hashes` (n of them, borrowed):
 * the one holding the longest prefix of them, ties and misses going to the least recently used.
 * Stores the number of reusable leading blocks in *matched and returns the slot, or -1 when every
 * slot is busy (callers admit at most nslots sequences, so that is a bug of theirs). */
int mock_slotcache_acquire(struct mock_slotcache *c, const uint64_t *hashes, size_t n,
                           size_t *matched);
/* Makes the first min(n, slot_blocks) of `hashes` (borrowed) the resident sequence of `slot`
 * (held); the blocks it overwrites beyond the common prefix count as evictions. */
void mock_slotcache_store(struct mock_slotcache *c, int slot, const uint64_t *hashes, size_t n);
/* Frees `slot`; its resident sequence stays for a later request to reuse. */
void mock_slotcache_release(struct mock_slotcache *c, int slot);

size_t mock_slotcache_used(const struct mock_slotcache *c);     /* resident blocks, all slots */
size_t mock_slotcache_capacity(const struct mock_slotcache *c); /* nslots * slot_blocks */
uint64_t mock_slotcache_evictions(const struct mock_slotcache *c);

#endif
