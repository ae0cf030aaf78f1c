/* The prompt's prefix as a chain of block hashes (DESIGN.md section 4a). The canonical prompt
 * text is rebuilt from the spans router/model_extract found, decoding JSON escapes on the way and
 * never copying the body: chat messages as "<role>\n<content pieces>\n" each, in order (the text
 * the mock engine hashes, and close to what a chat template produces); completions prompts as
 * their strings joined by "\n". The text is cut into blocks of `block_chars` bytes and hashed as
 * a chain, h[i] = hash64_u64(hash64(block i, RT_PREFIX_BLOCK_SEED), h[i-1]) with h[-1] = seed,
 * so h[i] names the whole prefix up to block i: equal prefixes give equal leading hashes, whatever
 * follows, and blocks run across message boundaries. The last partial block is not hashed. The seed
 * is the model name's hash, so models never share blocks. Pure; depends on common/hash and
 * router/model_extract. */
#ifndef SVC_ROUTER_PREFIX_HASH_H
#define SVC_ROUTER_PREFIX_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "model_extract.h"

/* Block sizes accepted (bytes of canonical text per block). */
#define RT_PREFIX_MIN_BLOCK_CHARS 16
#define RT_PREFIX_MAX_BLOCK_CHARS 4096
/* Seed of each block's own hash (the chain links the results). */
#define RT_PREFIX_BLOCK_SEED UINT64_C(0x626c6f636b)

struct rt_prefix_text {
    size_t text_bytes; /* canonical text length (may exceed what was hashed: see nblocks) */
    size_t nblocks;    /* full blocks in the text; only min(nblocks, max) hashes were written */
    uint64_t head;     /* hash of the first min(text_bytes, block_chars) bytes: names a prompt
                          shorter than one block, for placement */
};

/* Seed for a model's chains: hash of its name (`len` bytes; NULL/0 = no model). */
uint64_t rt_prefix_seed(const char *model, size_t len);

/* Hashes the canonical text of the prompt that `ex` describes in `body` (borrowed; the same bytes
 * rt_extract_body() scanned) into `out` (room for `max` hashes). `block_chars` must lie in
 * [RT_PREFIX_MIN_BLOCK_CHARS, RT_PREFIX_MAX_BLOCK_CHARS]. Fills `info` and returns the number
 * of hashes written (min(info->nblocks, max)). A body that is not valid JSON, or has no prompt,
 * gives 0 blocks and text_bytes 0. Allocates nothing. */
size_t rt_prefix_hash(const char *body, const struct rt_extract *ex, size_t block_chars,
                      uint64_t seed, uint64_t *out, size_t max, struct rt_prefix_text *info);

#endif
