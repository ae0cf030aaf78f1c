/* Unit tests for infini-mock's static cache (--cache-type static): the slot cache on its own
 * (longest-prefix slot choice, least recently used among misses, busy slots skipped, truncation
 * to a slot's length, used/evicted block counts), and the engine with it on a private loop
 * (reuse within a slot, no sharing between slots, the context-length check). The paged cache
 * and the scheduler are in test_mock_engine.c. */
#include "slotcache.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "engine.h"
#include "harness.h"

static const uint64_t A[] = {11, 12, 13, 14, 15, 16};
static const uint64_t B[] = {21, 22, 23};
static const uint64_t C[] = {31, 32, 33, 34};

TEST(slotcache_reuses_the_longest_prefix_and_evicts_least_recent)
{
    struct mock_slotcache *c = mock_slotcache_new(2, 8);
    size_t m = 99;

    ASSERT_EQ(mock_slotcache_capacity(c), 16);
    /* Empty slots: the least recently used (both never) by index. */
    int a = mock_slotcache_acquire(c, A, 4, &m);
    ASSERT_EQ(a, 0);
    ASSERT_EQ(m, 0);
    mock_slotcache_store(c, a, A, 4);
    mock_slotcache_release(c, a);
    /* B misses everywhere and takes the slot used longest ago: the empty one. */
    int b = mock_slotcache_acquire(c, B, 3, &m);
    ASSERT_EQ(b, 1);
    ASSERT_EQ(m, 0);
    mock_slotcache_store(c, b, B, 3);
    mock_slotcache_release(c, b);
    ASSERT_EQ(mock_slotcache_used(c), 7);
    /* A's next turn extends its resident sequence: same slot, 4 blocks reused. */
    ASSERT_EQ(mock_slotcache_acquire(c, A, 6, &m), a);
    ASSERT_EQ(m, 4);
    mock_slotcache_store(c, a, A, 6);
    mock_slotcache_release(c, a);
    ASSERT_EQ(mock_slotcache_evictions(c), 0);
    /* C misses: it overwrites B's slot (A's was used more recently). */
    ASSERT_EQ(mock_slotcache_acquire(c, C, 4, &m), b);
    ASSERT_EQ(m, 0);
    mock_slotcache_store(c, b, C, 4);
    mock_slotcache_release(c, b);
    ASSERT_EQ(mock_slotcache_evictions(c), 3);
    ASSERT_EQ(mock_slotcache_used(c), 10);
    /* A prompt sharing A's first two blocks only keeps those and evicts the other four. */
    uint64_t a2[] = {11, 12, 99};
    ASSERT_EQ(mock_slotcache_acquire(c, a2, 3, &m), a);
    ASSERT_EQ(m, 2);
    mock_slotcache_store(c, a, a2, 3);
    ASSERT_EQ(mock_slotcache_evictions(c), 7);
    ASSERT_EQ(mock_slotcache_used(c), 7);
    mock_slotcache_free(c);
}

TEST(slotcache_skips_busy_slots_and_truncates_to_the_slot)
{
    struct mock_slotcache *c = mock_slotcache_new(2, 4);
    size_t m;

    int s0 = mock_slotcache_acquire(c, A, 6, &m);
    mock_slotcache_store(c, s0, A, 6);
    ASSERT_EQ(mock_slotcache_used(c), 4); /* a slot holds 4 blocks */
    /* The slot holding the prefix is busy: the other one is taken, with nothing to reuse. */
    int s1 = mock_slotcache_acquire(c, A, 6, &m);
    ASSERT_TRUE(s1 != s0 && s1 >= 0);
    ASSERT_EQ(m, 0);
    ASSERT_EQ(mock_slotcache_acquire(c, B, 3, &m), -1);
    mock_slotcache_release(c, s0);
    ASSERT_EQ(mock_slotcache_acquire(c, A, 6, &m), s0);
    ASSERT_EQ(m, 4);
    mock_slotcache_free(c);
    mock_slotcache_free(NULL);
}

/* ---------------------------------------------------------------- the engine with it */

static uv_loop_t loop;
static struct mock_engine *engine;
static struct mock_job jobs[8];

static void on_progress(struct mock_job *job, void *ud)
{
    (void)job;
    (void)ud;
}

static void setup(enum mock_cache_type type, int max_batch, size_t max_cache_len)
{
    struct mock_engine_params p = {
        .block_size = 16,
        .chars_per_token = 4,
        .kv_blocks = 4096,
        .cache_type = type,
        .max_cache_len = max_cache_len,
        .prefill_tok_per_s = 20000,
        .decode_ms_per_token = 0,
        .max_batch = max_batch,
    };

    memset(jobs, 0, sizeof(jobs));
    ASSERT_EQ(uv_loop_init(&loop), 0);
    engine = mock_engine_new(&loop, &p);
}

static void teardown(void)
{
    mock_engine_free(engine);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

/* Submits `text` as job i and runs the loop until everything submitted so far is done. */
static void run(int i, const char *text)
{
    struct mock_job *j = &jobs[i];

    j->max_tokens = 2;
    j->cb = on_progress;
    mock_engine_submit(engine, j, text, strlen(text));
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(j->state, MOCK_JOB_DONE);
}

static char *text_of(size_t n, char fill, char first)
{
    char *t = malloc(n + 1);

    memset(t, fill, n);
    t[0] = first;
    t[n] = '\0';
    return t;
}

TEST(engine_static_cache_reuses_within_a_slot_only)
{
    /* 4,000 bytes = 1,000 tokens at 20,000 tok/s: 50 ms when nothing is cached. */
    setup(MOCK_CACHE_STATIC, 2, 4096);
    char *a = text_of(4000, 'a', 'A'), *b = text_of(4000, 'b', 'B'), *c = text_of(4000, 'c', 'C');
    run(0, a);
    ASSERT_EQ(jobs[0].cached_tokens, 0);
    run(1, b); /* takes the other slot */
    run(2, a);
    ASSERT_EQ(jobs[2].cached_tokens, 992); /* 62 full blocks of 16 */
    double ttft = jobs[2].first_token_ms - jobs[2].submit_ms;
    ASSERT_TRUE(fabs(ttft - 0.4) < 0.2); /* 8 uncached tokens */
    run(3, c);                           /* overwrites b's slot, the least recently used */
    run(4, b);
    ASSERT_EQ(jobs[4].cached_tokens, 0);
    struct mock_engine_stats st;
    mock_engine_get_stats(engine, &st);
    ASSERT_EQ(st.kv_capacity, 2 * 256);
    ASSERT_EQ(st.kv_used, 2 * 62);
    ASSERT_EQ(st.evictions, 2 * 62);
    teardown();
    /* The paged cache with room for all three keeps b. */
    setup(MOCK_CACHE_PAGED, 2, 0);
    run(0, a);
    run(1, b);
    run(2, c);
    run(3, b);
    ASSERT_EQ(jobs[3].cached_tokens, 992);
    teardown();
    free(a);
    free(b);
    free(c);
}

TEST(engine_static_cache_fits_one_slot)
{
    setup(MOCK_CACHE_STATIC, 1, 1024);
    ASSERT_TRUE(mock_engine_fits(engine, 1000, 24));
    ASSERT_TRUE(!mock_engine_fits(engine, 1000, 25));
    teardown();
    setup(MOCK_CACHE_PAGED, 1, 0);
    ASSERT_TRUE(mock_engine_fits(engine, 1 << 30, 65536));
    teardown();
}

HARNESS_MAIN(CASE(slotcache_reuses_the_longest_prefix_and_evicts_least_recent),
             CASE(slotcache_skips_busy_slots_and_truncates_to_the_slot),
             CASE(engine_static_cache_reuses_within_a_slot_only),
             CASE(engine_static_cache_fits_one_slot))
