/* The router's token-block index built from KV cache events: per instance, which blocks of
 * tokens its engine holds, keyed by the router's own chain hash over token ids (never by
 * vLLM's block hashes, whose function and seed the router does not know: the engine's hashes
 * are only keys to find a block again for BlockRemoved and for a child's parent).
 *
 * Chain hash: block i of a token sequence is tokens [i*bs, (i+1)*bs) (bs = block size; a last
 * partial block is not hashed); h[0] = hash64(bytes of block 0's uint32 ids, seed),
 * h[i] = hash64(bytes of block i's ids, h[i-1]). The seed is rt_kv_chain_seed(NULL, 0) (0) for
 * the base model; blocks stored for a LoRA adapter start from rt_kv_chain_seed(lora_name) and
 * blocks with extra keys (images, cache salt) mix those in, so a query with plain token ids
 * never matches them (a false miss, never a false hit). Ids are hashed in host byte order: the
 * values are private to one router process.
 *
 * Engine blocks are reference-counted per (engine hash, KV cache group): the same block stored
 * on two media (GPU and CPU offload) stays matched until both copies are removed. Memory is
 * bounded by `max_bytes` for all instances together (about 64-128 bytes per block); when it
 * is reached the instance holding the most blocks loses a quarter of them, deepest in their
 * chains first (shared prefixes such as system prompts are the most valuable to keep and
 * engines evict chain tails first too); those evictions are counted.
 * Pure: no loop, no I/O, no logging. Depends on libc, common/hash and router/kv_decode (the
 * event type). */
#ifndef SVC_ROUTER_KV_INDEX_H
#define SVC_ROUTER_KV_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_kv_event;
struct rt_kv_index;
struct rt_kv_inst;

/* Writes the chain hashes of the full blocks of `tokens` (`ntokens` ids, borrowed) into
 * `out`, at most `max` of them, starting from `seed` (see above). Returns the number of full
 * blocks, ntokens / block_size (it may exceed `max`; only `max` are written then); 0 when
 * block_size is 0. No allocation. */
size_t rt_kv_chain(const uint32_t *tokens, size_t ntokens, unsigned block_size, uint64_t seed,
                   uint64_t *out, size_t max);
/* Chain seed for blocks of LoRA adapter `name` (`len` bytes); 0 (the base model) when `name`
 * is NULL or empty. */
uint64_t rt_kv_chain_seed(const char *name, size_t len);

/* Creates an empty index whose instances together use at most about `max_bytes` (a floor of
 * 1 KiB per instance always remains). Never NULL. */
struct rt_kv_index *rt_kv_index_new(size_t max_bytes);
/* Frees the index and every instance still in it. NULL-safe. */
void rt_kv_index_free(struct rt_kv_index *idx);

/* Adds an empty instance view with `block_size` tokens per block (0 = unknown: learnt from the
 * first BlockStored). Returns it, owned by the index until rt_kv_index_inst_free. */
struct rt_kv_inst *rt_kv_index_inst_new(struct rt_kv_index *idx, unsigned block_size);
/* Removes and frees one instance view. NULL-safe. */
void rt_kv_index_inst_free(struct rt_kv_index *idx, struct rt_kv_inst *k);

/* Applies one decoded event (borrowed) to instance `k`:
 *  - BlockStored: chains each block from its parent's router hash (no parent = the start of a
 *    sequence; a parent the index does not know = the blocks cannot be placed: skipped and
 *    counted). A block size other than the instance's is skipped and counted, unless the
 *    instance is empty, which then adopts it.
 *  - BlockRemoved: drops one reference per engine hash (unknown hashes counted).
 *  - AllBlocksCleared: empties the instance.
 * May evict (see above) to stay within the memory cap. */
void rt_kv_index_apply(struct rt_kv_index *idx, struct rt_kv_inst *k, const struct rt_kv_event *ev);
/* Empties the instance (restart, lost events). Keeps its block size and counters. */
void rt_kv_index_clear(struct rt_kv_index *idx, struct rt_kv_inst *k);

/* How many leading entries of `chain` (n router hashes from rt_kv_chain with this instance's
 * block size) the instance holds. O(n), no allocation. NULL `k` holds nothing. */
size_t rt_kv_index_match(const struct rt_kv_inst *k, const uint64_t *chain, size_t n);
/* The instance's event clock: events applied so far (wraps around). */
uint32_t rt_kv_index_clock(const struct rt_kv_inst *k);
/* Whether the instance holds the block with router hash `rhash` and has held it without a
 * break since its clock read `clock` (or earlier, within 2^31 events): a block removed and
 * stored again since then is not. NULL `k` holds nothing. */
bool rt_kv_index_held_since(const struct rt_kv_inst *k, uint64_t rhash, uint32_t clock);
/* Tokens per block (0 while unknown). */
unsigned rt_kv_index_block_size(const struct rt_kv_inst *k);

struct rt_kv_inst_stats {
    size_t blocks;  /* distinct token blocks held: what a query can match */
    size_t entries; /* engine blocks tracked ((hash, group) pairs) */
    unsigned block_size;
    uint64_t stored;         /* blocks stored by events */
    uint64_t removed;        /* blocks removed by events */
    uint64_t cleared;        /* AllBlocksCleared and rt_kv_index_clear */
    uint64_t parent_unknown; /* BlockStored events skipped: parent not indexed */
    uint64_t remove_unknown; /* removed hashes that were not indexed */
    uint64_t foreign_size;   /* BlockStored events skipped: other block size */
    uint64_t evicted;        /* entries dropped by the memory cap */
};
void rt_kv_index_inst_stats(const struct rt_kv_inst *k, struct rt_kv_inst_stats *out);

/* Bytes the index uses now, and entries evicted by the cap since creation. */
size_t rt_kv_index_bytes(const struct rt_kv_index *idx);
uint64_t rt_kv_index_evictions(const struct rt_kv_index *idx);

#endif
