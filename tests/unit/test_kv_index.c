/* Unit tests for router/kv_index: the chain rebuilt from BlockStored events matches
 * rt_kv_chain over the same token ids (one event or several chained through parents), removal,
 * clear, reference counts across media, KV cache groups, block sizes, LoRA and extra keys never
 * matching plain queries, orphans, and the memory cap evicting chain tails before prefixes. */
#include "kv_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kv_decode.h"

#define BS 4

static uint32_t toks[64 * BS];

static void fill_tokens(uint32_t base)
{
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
        toks[i] = base + (uint32_t)i * 7;
}

/* A BlockStored for blocks [first, first+n) of `toks`, engine hashes 1000+i, parent = the
 * engine hash of block first-1 (none for block 0). */
static struct rt_kv_event stored(uint64_t *hashes, size_t first, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hashes[i] = 1000 + first + i;
    return (struct rt_kv_event){
        .type = RT_KV_BLOCK_STORED,
        .block_hashes = hashes,
        .nblocks = n,
        .has_parent = first > 0,
        .parent = 1000 + first - 1,
        .token_ids = toks + first * BS,
        .ntokens = n * BS,
        .block_size = BS,
    };
}

static struct rt_kv_event removed(uint64_t *hashes, size_t first, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hashes[i] = 1000 + first + i;
    return (struct rt_kv_event){.type = RT_KV_BLOCK_REMOVED, .block_hashes = hashes, .nblocks = n};
}

/* Applies stored(first, n) to `k`, unchanged. */
static void apply_stored(struct rt_kv_index *idx, struct rt_kv_inst *k, size_t first, size_t n)
{
    uint64_t h[64];

    ASSERT_TRUE(n <= 64);
    struct rt_kv_event e = stored(h, first, n);
    rt_kv_index_apply(idx, k, &e);
}

static struct rt_kv_inst_stats stats(const struct rt_kv_inst *k)
{
    struct rt_kv_inst_stats st;

    rt_kv_index_inst_stats(k, &st);
    return st;
}

static size_t query(const struct rt_kv_inst *k, size_t nblocks)
{
    uint64_t chain[64];
    size_t n = rt_kv_chain(toks, nblocks * BS + 2, BS, 0, chain, 64);

    ASSERT_EQ(n, nblocks); /* the partial block is not hashed */
    return rt_kv_index_match(k, chain, n);
}

TEST(chain_rebuilt_from_parents)
{
    struct rt_kv_index *idx = rt_kv_index_new(1 << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, BS);

    fill_tokens(1);
    apply_stored(idx, k, 0, 3);
    apply_stored(idx, k, 3, 5); /* continues from block 2 through its parent hash */
    ASSERT_EQ(query(k, 8), 8);
    ASSERT_EQ(query(k, 10), 8);
    ASSERT_EQ(query(k, 2), 2);

    /* Same tokens, another first block: nothing matches. */
    toks[0]++;
    ASSERT_EQ(query(k, 8), 0);
    toks[0]--;
    /* A change in block 5 keeps the first 5. */
    toks[5 * BS + 1]++;
    ASSERT_EQ(query(k, 8), 5);
    toks[5 * BS + 1]--;

    struct rt_kv_inst_stats st = stats(k);
    ASSERT_EQ(st.blocks, 8);
    ASSERT_EQ(st.stored, 8);
    ASSERT_EQ(rt_kv_index_block_size(k), BS);
    rt_kv_index_free(idx);
}

TEST(removal_and_clear)
{
    struct rt_kv_index *idx = rt_kv_index_new(1 << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, BS);
    uint64_t h[16];
    struct rt_kv_event e;

    fill_tokens(2);
    apply_stored(idx, k, 0, 6);
    e = removed(h, 3, 1);
    rt_kv_index_apply(idx, k, &e);
    ASSERT_EQ(query(k, 6), 3);
    e = removed(h, 40, 2); /* never stored */
    rt_kv_index_apply(idx, k, &e);
    struct rt_kv_inst_stats st = stats(k);
    ASSERT_EQ(st.removed, 1);
    ASSERT_EQ(st.remove_unknown, 2);
    ASSERT_EQ(st.blocks, 5);

    /* A child of a removed block cannot be placed: counted, not indexed. */
    e = stored(h, 4, 2);
    h[0] = 5000;
    e.parent = 1003;
    rt_kv_index_apply(idx, k, &e);
    ASSERT_EQ(stats(k).parent_unknown, 1);

    struct rt_kv_event clear = {.type = RT_KV_ALL_CLEARED};
    rt_kv_index_apply(idx, k, &clear);
    ASSERT_EQ(query(k, 6), 0);
    st = stats(k);
    ASSERT_EQ(st.blocks, 0);
    ASSERT_EQ(st.cleared, 1);
    /* The instance starts over cleanly. */
    apply_stored(idx, k, 0, 2);
    ASSERT_EQ(query(k, 6), 2);
    rt_kv_index_free(idx);
}

TEST(references_across_media_and_groups)
{
    struct rt_kv_index *idx = rt_kv_index_new(1 << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, BS);
    uint64_t h[16];
    struct rt_kv_event e;

    fill_tokens(3);
    apply_stored(idx, k, 0, 2);
    e = stored(h, 0, 2); /* the same blocks offloaded to CPU */
    e.medium = (struct rt_kv_str){"CPU", 3};
    rt_kv_index_apply(idx, k, &e);
    e = removed(h, 0, 2);
    rt_kv_index_apply(idx, k, &e);
    ASSERT_EQ(query(k, 2), 2); /* the second copy still holds them */
    rt_kv_index_apply(idx, k, &e);
    ASSERT_EQ(query(k, 2), 0);

    /* Group 1 keys its blocks apart from group 0: removing group 1's copy keeps group 0's. */
    e = stored(h, 0, 2);
    rt_kv_index_apply(idx, k, &e);
    e.has_group = true;
    e.group_idx = 1;
    rt_kv_index_apply(idx, k, &e);
    e = removed(h, 0, 2);
    e.has_group = true;
    e.group_idx = 1;
    rt_kv_index_apply(idx, k, &e);
    ASSERT_EQ(query(k, 2), 2);
    rt_kv_index_free(idx);
}

TEST(block_size_adopted_or_refused)
{
    struct rt_kv_index *idx = rt_kv_index_new(1 << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, 0);
    uint64_t h[16];
    struct rt_kv_event e;

    fill_tokens(4);
    ASSERT_EQ(rt_kv_index_block_size(k), 0);
    apply_stored(idx, k, 0, 2);
    ASSERT_EQ(rt_kv_index_block_size(k), BS);
    e = stored(h, 2, 1);
    e.block_size = 2 * BS;
    e.ntokens = 2 * BS;
    rt_kv_index_apply(idx, k, &e);
    struct rt_kv_inst_stats st = stats(k);
    ASSERT_EQ(st.foreign_size, 1);
    ASSERT_EQ(st.blocks, 2);
    rt_kv_index_free(idx);
}

TEST(lora_and_extra_keys_never_match_plain_queries)
{
    struct rt_kv_index *idx = rt_kv_index_new(1 << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, BS);
    uint64_t h[16], extra[2] = {0, 12345};
    struct rt_kv_event e;

    fill_tokens(5);
    e = stored(h, 0, 2);
    e.lora_name = (struct rt_kv_str){"adapter", 7};
    rt_kv_index_apply(idx, k, &e);
    ASSERT_EQ(query(k, 2), 0);
    uint64_t chain[2];
    rt_kv_chain(toks, 2 * BS, BS, rt_kv_chain_seed("adapter", 7), chain, 2);
    ASSERT_EQ(rt_kv_index_match(k, chain, 2), 2);

    struct rt_kv_inst *k2 = rt_kv_index_inst_new(idx, BS);
    e = stored(h, 0, 2);
    e.extra = extra; /* block 1 carries an image */
    rt_kv_index_apply(idx, k2, &e);
    ASSERT_EQ(query(k2, 2), 1);
    ASSERT_EQ(rt_kv_index_match(NULL, chain, 2), 0);
    rt_kv_index_inst_free(idx, k2);
    rt_kv_index_free(idx);
}

/* Chains of 32 blocks on two instances under a cap that holds far fewer: memory stays near the
 * cap, evictions are counted, and the first blocks of every chain survive longest. */
TEST(memory_cap_evicts_tails_first)
{
    size_t cap = 48 * 1024;
    struct rt_kv_index *idx = rt_kv_index_new(cap);
    struct rt_kv_inst *a = rt_kv_index_inst_new(idx, BS), *b = rt_kv_index_inst_new(idx, BS);
    uint64_t h[32];

    for (uint32_t chain = 0; chain < 64; chain++) {
        fill_tokens(chain * 100000);
        struct rt_kv_event e = stored(h, 0, 32);
        for (size_t i = 0; i < 32; i++)
            h[i] = (uint64_t)chain << 32 | i;
        e.has_parent = false;
        rt_kv_index_apply(idx, chain % 2 ? a : b, &e);
        ASSERT_LE(rt_kv_index_bytes(idx), cap + 16 * 1024);
    }
    ASSERT_TRUE(rt_kv_index_evictions(idx) > 0);
    /* Recent chains keep their heads. */
    size_t kept_heads = 0;
    for (uint32_t chain = 56; chain < 64; chain++) {
        fill_tokens(chain * 100000);
        kept_heads += query(chain % 2 ? a : b, 1);
    }
    ASSERT_EQ(kept_heads, 8);
    struct rt_kv_inst_stats sa = stats(a), sb = stats(b);
    ASSERT_EQ(sa.evicted + sb.evicted, rt_kv_index_evictions(idx));
    ASSERT_TRUE(sa.blocks + sb.blocks < 64 * 32);
    rt_kv_index_free(idx);
}

TEST(many_blocks_grow_and_shrink)
{
    struct rt_kv_index *idx = rt_kv_index_new(64u << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, 1);
    static uint64_t h[20000];
    static uint32_t t[20000];

    for (uint32_t i = 0; i < 20000; i++) {
        h[i] = i * UINT64_C(0x9E3779B97F4A7C15);
        t[i] = i;
    }
    struct rt_kv_event e = {.type = RT_KV_BLOCK_STORED,
                            .block_hashes = h,
                            .nblocks = 20000,
                            .token_ids = t,
                            .ntokens = 20000,
                            .block_size = 1};
    rt_kv_index_apply(idx, k, &e);
    static uint64_t chain[20000];
    ASSERT_EQ(rt_kv_chain(t, 20000, 1, 0, chain, 20000), 20000);
    ASSERT_EQ(rt_kv_index_match(k, chain, 20000), 20000);
    size_t big = rt_kv_index_bytes(idx);
    struct rt_kv_event r = {.type = RT_KV_BLOCK_REMOVED, .block_hashes = h + 100, .nblocks = 19900};
    rt_kv_index_apply(idx, k, &r);
    ASSERT_EQ(rt_kv_index_match(k, chain, 20000), 100);
    ASSERT_LT(rt_kv_index_bytes(idx), big / 8);
    rt_kv_index_free(idx);
}

TEST(held_since_tells_a_block_that_went_and_came_back)
{
    struct rt_kv_index *idx = rt_kv_index_new(1u << 20);
    struct rt_kv_inst *k = rt_kv_index_inst_new(idx, BS);
    uint64_t chain[64], h[64];

    fill_tokens(500);
    ASSERT_EQ(rt_kv_chain(toks, 40 * BS, BS, 0, chain, 64), 40);
    apply_stored(idx, k, 0, 4);
    uint32_t decided = rt_kv_index_clock(k);
    ASSERT_TRUE(rt_kv_index_held_since(k, chain[3], decided));
    ASSERT_FALSE(rt_kv_index_held_since(k, chain[4], decided));
    /* Block 3 is evicted and stored again after the decision: not held since then. */
    struct rt_kv_event r = removed(h, 3, 1);
    rt_kv_index_apply(idx, k, &r);
    ASSERT_FALSE(rt_kv_index_held_since(k, chain[3], decided));
    apply_stored(idx, k, 3, 1);
    ASSERT_EQ(query(k, 4), 4);
    ASSERT_FALSE(rt_kv_index_held_since(k, chain[3], decided));
    ASSERT_TRUE(rt_kv_index_held_since(k, chain[3], rt_kv_index_clock(k)));
    ASSERT_TRUE(rt_kv_index_held_since(k, chain[2], decided));
    /* Growing the tables keeps when each block came. */
    apply_stored(idx, k, 4, 36);
    ASSERT_EQ(query(k, 40), 40);
    ASSERT_TRUE(rt_kv_index_held_since(k, chain[2], decided));
    ASSERT_FALSE(rt_kv_index_held_since(k, chain[3], decided));
    ASSERT_FALSE(rt_kv_index_held_since(k, chain[20], decided));
    ASSERT_FALSE(rt_kv_index_held_since(NULL, chain[2], decided));
    rt_kv_index_free(idx);
}

HARNESS_MAIN(CASE(chain_rebuilt_from_parents), CASE(removal_and_clear),
             CASE(references_across_media_and_groups), CASE(block_size_adopted_or_refused),
             CASE(lora_and_extra_keys_never_match_plain_queries),
             CASE(memory_cap_evicts_tails_first), CASE(many_blocks_grow_and_shrink),
             CASE(held_since_tells_a_block_that_went_and_came_back))
