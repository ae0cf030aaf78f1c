/* Unit tests for infini-mock's core: XXH64 and chained block hashes, the LRU prefix cache
 * (hits, partial hits, eviction order, capacity) checked against a naive model. */
#include "kvcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TEST(xxh64_known_vectors)
{
    static const char spam[] = "Nobody inspects the spammish repetition";

    ASSERT_TRUE(mock_kvcache_hash("", 0, 0) == 0xEF46DB3751D8E999ULL);
    ASSERT_TRUE(mock_kvcache_hash("a", 1, 0) == 0xD24EC4F1A98C6E5BULL);
    ASSERT_TRUE(mock_kvcache_hash("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
    ASSERT_TRUE(mock_kvcache_hash(spam, sizeof(spam) - 1, 0) == 0xFBCEA83C8A378BF1ULL);
    ASSERT_TRUE(mock_kvcache_hash("abc", 3, 1) != mock_kvcache_hash("abc", 3, 0));
}

/* `n` bytes of deterministic text. */
static char *make_text(size_t n, unsigned salt)
{
    char *t = malloc(n + 1);

    for (size_t i = 0; i < n; i++)
        t[i] = (char)('a' + (i * 7 + salt * 13 + i / 5) % 26);
    t[n] = '\0';
    return t;
}

TEST(chained_hashes_share_prefix_and_diverge_from_change)
{
    enum { BLK = 64, N = 8 };
    char *a = make_text(BLK * N + 10, 1), *b = make_text(BLK * N + 10, 1);
    uint64_t ha[N + 1], hb[N + 1];

    /* The trailing partial block is not hashed. */
    ASSERT_EQ(mock_kvcache_block_hashes(a, BLK * N + 10, BLK, 0, ha, N + 1), N);
    ASSERT_EQ(mock_kvcache_block_hashes(b, BLK * N + 10, BLK, 0, hb, N + 1), N);
    for (int i = 0; i < N; i++)
        ASSERT_TRUE(ha[i] == hb[i]);
    /* One changed byte in block 3 changes the hash of block 3 and of every later block. */
    b[3 * BLK + 17] ^= 1;
    mock_kvcache_block_hashes(b, BLK * N + 10, BLK, 0, hb, N);
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(ha[i] == hb[i]);
    for (int i = 3; i < N; i++)
        ASSERT_TRUE(ha[i] != hb[i]);
    /* Identical blocks at different positions hash differently (the chain names the prefix). */
    memcpy(b, a + BLK, BLK);
    mock_kvcache_block_hashes(b, BLK * 2, BLK, 0, hb, 2);
    ASSERT_TRUE(hb[0] != ha[1]);
    /* A different seed (another model) shares nothing. */
    mock_kvcache_block_hashes(a, BLK * N, BLK, 42, hb, N);
    for (int i = 0; i < N; i++)
        ASSERT_TRUE(ha[i] != hb[i]);
    /* `max` bounds the writes but the count is still reported. */
    ASSERT_EQ(mock_kvcache_block_hashes(a, BLK * N, BLK, 0, hb, 2), N);
    ASSERT_EQ(mock_kvcache_block_hashes(a, BLK - 1, BLK, 0, hb, 2), 0);
    free(a);
    free(b);
}

TEST(cache_hit_after_repeat_and_partial_prefix)
{
    enum { BLK = 64 };
    struct mock_kvcache *c = mock_kvcache_new(100);
    char *a = make_text(BLK * 5, 2), *b = make_text(BLK * 5, 2);
    uint64_t ha[5], hb[5];

    mock_kvcache_block_hashes(a, BLK * 5, BLK, 7, ha, 5);
    ASSERT_EQ(mock_kvcache_match(c, ha, 5), 0);
    mock_kvcache_insert(c, ha, 5);
    ASSERT_EQ(mock_kvcache_used(c), 5);
    ASSERT_EQ(mock_kvcache_match(c, ha, 5), 5);
    /* Same first two blocks, then different: a partial hit of exactly two blocks. */
    b[2 * BLK] ^= 1;
    mock_kvcache_block_hashes(b, BLK * 5, BLK, 7, hb, 5);
    ASSERT_EQ(mock_kvcache_match(c, hb, 5), 2);
    /* Repeating the insert adds nothing. */
    mock_kvcache_insert(c, ha, 5);
    ASSERT_EQ(mock_kvcache_used(c), 5);
    mock_kvcache_insert(c, hb, 5);
    ASSERT_EQ(mock_kvcache_used(c), 8);
    ASSERT_EQ(mock_kvcache_evictions(c), 0);
    mock_kvcache_free(c);
    free(a);
    free(b);
}

TEST(eviction_takes_tails_of_old_chains_first)
{
    struct mock_kvcache *c = mock_kvcache_new(6);
    const uint64_t a[3] = {101, 102, 103}, b[3] = {201, 202, 203}, x[2] = {301, 302};
    uint64_t lru;

    mock_kvcache_insert(c, a, 3);
    mock_kvcache_insert(c, b, 3);
    ASSERT_EQ(mock_kvcache_used(c), 6);
    /* Within a chain the tail is touched first, so it is the older end. */
    ASSERT_TRUE(mock_kvcache_lru(c, &lru));
    ASSERT_TRUE(lru == 103);
    mock_kvcache_insert(c, x, 2);
    ASSERT_EQ(mock_kvcache_used(c), 6);
    ASSERT_EQ(mock_kvcache_evictions(c), 2);
    /* A lost its last two blocks, its head survives; B is whole. */
    ASSERT_EQ(mock_kvcache_match(c, a, 3), 1);
    ASSERT_EQ(mock_kvcache_match(c, b, 3), 3);
    ASSERT_EQ(mock_kvcache_match(c, x, 2), 2);
    /* Using B again protects it: the next eviction takes A's head, then X's tail. */
    mock_kvcache_insert(c, b, 3);
    const uint64_t y[2] = {401, 402};
    mock_kvcache_insert(c, y, 2);
    ASSERT_FALSE(mock_kvcache_contains(c, 101));
    ASSERT_FALSE(mock_kvcache_contains(c, 302));
    ASSERT_TRUE(mock_kvcache_contains(c, 301));
    ASSERT_EQ(mock_kvcache_match(c, b, 3), 3);
    ASSERT_EQ(mock_kvcache_match(c, y, 2), 2);
    mock_kvcache_free(c);
}

TEST(chain_longer_than_capacity_keeps_its_head)
{
    struct mock_kvcache *c = mock_kvcache_new(4);
    uint64_t h[10];

    for (int i = 0; i < 10; i++)
        h[i] = 1000 + (uint64_t)i;
    mock_kvcache_insert(c, h, 10);
    ASSERT_EQ(mock_kvcache_used(c), 4);
    ASSERT_EQ(mock_kvcache_match(c, h, 10), 4);
    mock_kvcache_free(c);
}

/* Naive reference: an array ordered from most to least recently used. */
struct naive {
    uint64_t *v;
    size_t n, cap;
};

static void naive_touch(struct naive *m, uint64_t h)
{
    size_t i = 0;

    while (i < m->n && m->v[i] != h)
        i++;
    if (i == m->n) {
        if (m->n == m->cap)
            i = m->n - 1; /* evict the last */
        else
            i = m->n++;
    }
    memmove(m->v + 1, m->v, i * sizeof(*m->v));
    m->v[0] = h;
}

TEST(capacity_never_exceeded_and_matches_naive_model)
{
    enum { CAP = 37, KEYS = 120 };
    struct mock_kvcache *c = mock_kvcache_new(CAP);
    struct naive m = {calloc(CAP, sizeof(uint64_t)), 0, CAP};
    unsigned long long rng = 12345;

    for (int round = 0; round < 20000; round++) {
        uint64_t chain[5];
        size_t len = 1 + round % 5;
        for (size_t i = 0; i < len; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            /* Small key space with colliding home slots: exercises backward-shift deletion. */
            chain[i] = (rng >> 33) % KEYS * 0x100000000ULL;
        }
        mock_kvcache_insert(c, chain, len);
        for (size_t i = len; i > 0; i--)
            naive_touch(&m, chain[i - 1]);
        ASSERT_TRUE(mock_kvcache_used(c) <= CAP);
        ASSERT_EQ(mock_kvcache_used(c), m.n);
        uint64_t lru;
        ASSERT_TRUE(mock_kvcache_lru(c, &lru));
        ASSERT_TRUE(lru == m.v[m.n - 1]);
        if (round % 97 == 0) {
            for (uint64_t k = 0; k < KEYS; k++) {
                uint64_t key = k * 0x100000000ULL;
                bool in_model = false;
                for (size_t i = 0; i < m.n; i++)
                    in_model = in_model || m.v[i] == key;
                ASSERT_EQ(mock_kvcache_contains(c, key), in_model);
            }
        }
    }
    free(m.v);
    mock_kvcache_free(c);
}

HARNESS_MAIN(CASE(xxh64_known_vectors), CASE(chained_hashes_share_prefix_and_diverge_from_change),
             CASE(cache_hit_after_repeat_and_partial_prefix),
             CASE(eviction_takes_tails_of_old_chains_first),
             CASE(chain_longer_than_capacity_keeps_its_head),
             CASE(capacity_never_exceeded_and_matches_naive_model))
