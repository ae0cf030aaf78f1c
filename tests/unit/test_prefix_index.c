/* Unit tests for router/prefix_index: longest held prefix per member, LRU eviction per member
 * (tails of old chains first), capacity changes, the global memory cap taking from the largest
 * member, truncation after a false hit, member ids reused, and the memory per block. */
#include "prefix_index.h"

#include <stdlib.h>

#include "harness.h"
#include "hash.h"

/* A chain of n hashes for prefix `id`: chains of different ids share nothing; chain(id, n) is a
 * prefix of chain(id, m) for n <= m, as real chain hashes are. */
static void chain(uint64_t id, size_t n, uint64_t *out)
{
    uint64_t h = id * 1000003u + 17;

    for (size_t i = 0; i < n; i++)
        out[i] = h = hash64_u64(i, h);
}

static uint32_t depth_of(struct rt_prefix_index *x, const uint64_t *h, size_t n, int member)
{
    uint32_t d = 99;

    rt_prefix_index_match(x, h, n, &member, 1, &d);
    return d;
}

/* A new index whose members *a and *b both hold all `n` blocks of chain(id), written to `h`. */
static struct rt_prefix_index *both_hold(uint64_t id, uint64_t *h, size_t n, int *a, int *b)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);

    *a = rt_prefix_index_add_member(x, 0);
    *b = rt_prefix_index_add_member(x, 0);
    chain(id, n, h);
    rt_prefix_index_insert(x, *a, h, n);
    rt_prefix_index_insert(x, *b, h, n);
    return x;
}

TEST(match_finds_longest_prefix_per_member)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    int a = rt_prefix_index_add_member(x, 0), b = rt_prefix_index_add_member(x, 0);
    uint64_t h[10];
    uint32_t d[3];
    int ms[3] = {a, b, -1};

    chain(1, 10, h);
    rt_prefix_index_insert(x, a, h, 6);
    rt_prefix_index_insert(x, b, h, 3);
    rt_prefix_index_match(x, h, 10, ms, 3, d);
    ASSERT_EQ(d[0], 6);
    ASSERT_EQ(d[1], 3);
    ASSERT_EQ(d[2], 0);
    uint64_t other[10];
    chain(2, 10, other);
    ASSERT_EQ(depth_of(x, other, 10, a), 0);
    /* A member repeated in the list gets the same answer twice. */
    int twice[2] = {a, a};
    rt_prefix_index_match(x, h, 10, twice, 2, d);
    ASSERT_EQ(d[0], 6);
    ASSERT_EQ(d[1], 6);
    rt_prefix_index_free(x);
}

TEST(capacity_evicts_least_recently_used_tails_first)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    int a = rt_prefix_index_add_member(x, 10);
    uint64_t p[6], q[6], r[6];

    chain(1, 6, p);
    chain(2, 6, q);
    chain(3, 6, r);
    rt_prefix_index_insert(x, a, p, 6);
    rt_prefix_index_insert(x, a, q, 4); /* 10 blocks: full */
    ASSERT_EQ(rt_prefix_index_member_blocks(x, a), 10);
    rt_prefix_index_insert(x, a, r, 3); /* evicts p's last 3 blocks, the oldest */
    ASSERT_EQ(rt_prefix_index_member_blocks(x, a), 10);
    ASSERT_EQ(depth_of(x, p, 6, a), 3);
    ASSERT_EQ(depth_of(x, q, 6, a), 4);
    ASSERT_EQ(depth_of(x, r, 6, a), 3);
    /* Touching p makes it recent: the next eviction takes q's tail. */
    rt_prefix_index_insert(x, a, p, 3);
    rt_prefix_index_insert(x, a, r, 5);
    ASSERT_EQ(depth_of(x, p, 6, a), 3);
    ASSERT_EQ(depth_of(x, q, 6, a), 2);
    ASSERT_EQ(depth_of(x, r, 6, a), 5);
    struct rt_prefix_stats st;
    rt_prefix_index_stats(x, &st);
    ASSERT_EQ(st.evictions, 5);
    rt_prefix_index_free(x);
}

TEST(chain_longer_than_capacity_keeps_its_head)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    int a = rt_prefix_index_add_member(x, 4);
    uint64_t h[10];

    chain(7, 10, h);
    rt_prefix_index_insert(x, a, h, 10);
    ASSERT_EQ(depth_of(x, h, 10, a), 4);
    rt_prefix_index_set_capacity(x, a, 2);
    ASSERT_EQ(rt_prefix_index_member_blocks(x, a), 2);
    ASSERT_EQ(depth_of(x, h, 10, a), 2);
    rt_prefix_index_free(x);
}

TEST(memory_cap_takes_from_the_largest_member)
{
    /* The smallest index: 1,024 blocks. */
    struct rt_prefix_index *x = rt_prefix_index_new(0);
    int big = rt_prefix_index_add_member(x, 0), small = rt_prefix_index_add_member(x, 0);
    uint64_t *h = malloc(2000 * sizeof(*h));
    uint64_t s[24];
    struct rt_prefix_stats st;

    chain(1, 2000, h);
    chain(2, 24, s);
    rt_prefix_index_insert(x, small, s, 24);
    for (size_t i = 0; i < 2000; i += 100)
        rt_prefix_index_insert(x, big, h, i + 100);
    rt_prefix_index_stats(x, &st);
    ASSERT_EQ(st.max_blocks, 1024);
    ASSERT_EQ(st.blocks, 1024);
    ASSERT_TRUE(st.cap_evictions > 0);
    ASSERT_EQ(rt_prefix_index_member_blocks(x, small), 24); /* untouched */
    ASSERT_EQ(depth_of(x, s, 24, small), 24);
    ASSERT_EQ(rt_prefix_index_member_blocks(x, big), 1000);
    free(h);
    rt_prefix_index_free(x);
}

TEST(truncate_cuts_one_member_only)
{
    int a, b;
    uint64_t h[8];
    struct rt_prefix_index *x = both_hold(3, h, 8, &a, &b);

    ASSERT_EQ(rt_prefix_index_truncate(x, a, h, 2, 8), 6);
    ASSERT_EQ(depth_of(x, h, 8, a), 2);
    ASSERT_EQ(depth_of(x, h, 8, b), 8);
    ASSERT_EQ(rt_prefix_index_truncate(x, a, h, 2, 8), 0);
    rt_prefix_index_free(x);
}

TEST(members_are_cleared_removed_and_reused)
{
    int a, b;
    uint64_t h[5];
    struct rt_prefix_index *x = both_hold(4, h, 5, &a, &b);

    rt_prefix_index_clear_member(x, b);
    ASSERT_EQ(depth_of(x, h, 5, b), 0);
    ASSERT_EQ(depth_of(x, h, 5, a), 5);
    rt_prefix_index_remove_member(x, a);
    ASSERT_EQ(depth_of(x, h, 5, a), 0); /* a removed member matches nothing */
    int c = rt_prefix_index_add_member(x, 0);
    ASSERT_EQ(c, a); /* the lowest free id */
    ASSERT_EQ(depth_of(x, h, 5, c), 0);
    struct rt_prefix_stats st;
    rt_prefix_index_stats(x, &st);
    ASSERT_EQ(st.blocks, 0);
    rt_prefix_index_free(x);
}

TEST(many_members_share_blocks)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 22);
    int ids[100];
    uint32_t d[100];
    uint64_t h[32];

    chain(9, 32, h);
    for (int i = 0; i < 100; i++) {
        ids[i] = rt_prefix_index_add_member(x, 0);
        rt_prefix_index_insert(x, ids[i], h, (size_t)i % 33);
    }
    rt_prefix_index_match(x, h, 32, ids, 100, d);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(d[i], (uint32_t)(i % 33));
    rt_prefix_index_free(x);
}

TEST(one_million_blocks_fit_in_64_mib)
{
    struct rt_prefix_index *x = rt_prefix_index_new((size_t)64 << 20);
    int a = rt_prefix_index_add_member(x, 0);
    uint64_t *h = malloc(1000000 * sizeof(*h));
    struct rt_prefix_stats st;

    chain(5, 1000000, h);
    for (size_t i = 0; i < 1000000; i += 1000)
        rt_prefix_index_insert(x, a, h + i, 1000);
    rt_prefix_index_stats(x, &st);
    ASSERT_EQ(st.blocks, 1000000);
    ASSERT_EQ(st.cap_evictions, 0);
    ASSERT_LE(st.bytes, (size_t)64 << 20);
    ASSERT_EQ(depth_of(x, h, 1000, a), 1000);
    free(h);
    rt_prefix_index_free(x);
}

HARNESS_MAIN(CASE(match_finds_longest_prefix_per_member),
             CASE(capacity_evicts_least_recently_used_tails_first),
             CASE(chain_longer_than_capacity_keeps_its_head),
             CASE(memory_cap_takes_from_the_largest_member), CASE(truncate_cuts_one_member_only),
             CASE(members_are_cleared_removed_and_reused), CASE(many_members_share_blocks),
             CASE(one_million_blocks_fit_in_64_mib))
