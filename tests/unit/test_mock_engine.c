/* Unit tests for infini-mock's core: chained block hashes, the LRU prefix cache (hits, partial
 * hits, eviction order, capacity) checked against a naive model, and the engine's scheduler on a
 * private loop (synchronous zero-delay path, batch limit and FIFO order, prefix-cache TTFT,
 * cancellation, stalls, shutdown). Request reading is in test_mock_prompt.c. */
#include "kvcache.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "err.h"
#include "harness.h"
#include "hash.h"
#include "json.h"
#include "prompt.h"
#include "scan.h"
#include "xalloc.h"

TEST(block_hashes_are_chained_hash64)
{
    static const char text[] = "0123456789abcdefXYZ"; /* two 8-byte blocks and a partial one */
    uint64_t h[3] = {0, 0, 0};

    ASSERT_EQ(mock_kvcache_block_hashes(text, sizeof(text) - 1, 8, 99, h, 3), 2);
    ASSERT_TRUE(h[0] == hash64(text, 8, 99));
    ASSERT_TRUE(h[1] == hash64(text + 8, 8, h[0]));
    ASSERT_TRUE(h[2] == 0); /* the partial block is not hashed */
}

/* `n` bytes of deterministic text. */
static char *make_text(size_t n, unsigned salt)
{
    char *t = malloc(n + 1);
    unsigned long long x = salt * 2654435761ULL + 1;

    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        t[i] = (char)('a' + (x >> 33) % 26);
    }
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

/* ---------------------------------------------------------------- engine */

#define MAX_EVENTS 256

struct ev {
    int job;
    int emitted;
    bool done;
};

struct efx {
    uv_loop_t loop;
    struct mock_engine *engine;
    struct mock_job jobs[16];
    struct ev events[MAX_EVENTS];
    int nevents;
    uint64_t max_running;
    int cancel_on_first; /* job index to cancel at its first report, or -1 */
    int idle_calls;
};

static struct efx ef;

static void on_progress(struct mock_job *job, void *ud)
{
    int i = (int)(intptr_t)ud;
    struct mock_engine_stats st;

    ASSERT_TRUE(ef.nevents < MAX_EVENTS);
    ef.events[ef.nevents++] = (struct ev){i, job->emitted, job->state == MOCK_JOB_DONE};
    mock_engine_get_stats(ef.engine, &st);
    if (st.running > ef.max_running)
        ef.max_running = st.running;
    if (i == ef.cancel_on_first) {
        mock_engine_cancel(ef.engine, job);
        memset(job, 0xA5, sizeof(*job)); /* as if freed: the engine must not look again */
    }
}

static void engine_setup(double rate, double decode_ms, int max_batch, size_t kv_blocks)
{
    struct mock_engine_params p = {
        .block_size = 16,
        .chars_per_token = 4,
        .kv_blocks = kv_blocks,
        .prefill_tok_per_s = rate,
        .decode_ms_per_token = decode_ms,
        .max_batch = max_batch,
    };

    memset(&ef, 0, sizeof(ef));
    ef.cancel_on_first = -1;
    ASSERT_EQ(uv_loop_init(&ef.loop), 0);
    ef.engine = mock_engine_new(&ef.loop, &p);
}

static void engine_teardown(void)
{
    mock_engine_free(ef.engine);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&ef.loop), 0);
}

static struct mock_job *job_init(int i, int max_tokens, bool stream)
{
    struct mock_job *j = &ef.jobs[i];

    memset(j, 0, sizeof(*j));
    j->max_tokens = max_tokens;
    j->want_tokens = stream;
    j->cb = on_progress;
    j->ud = (void *)(intptr_t)i;
    return j;
}

static int submit(int i, const char *text, int max_tokens, bool stream)
{
    return mock_engine_submit(ef.engine, job_init(i, max_tokens, stream), text, strlen(text));
}

static void expect_near(double got, double want, double tol)
{
    if (fabs(got - want) > tol)
        HARNESS_FAIL_("expected %.3f ms, got %.3f ms", want, got);
}

TEST(engine_zero_delay_completes_synchronously)
{
    engine_setup(1e12, 0, 8, 64);
    char *text = make_text(64 * 3 + 5, 3);
    /* Done inside submit: no callback, no timer. */
    ASSERT_EQ(submit(0, text, 16, false), 1);
    ASSERT_EQ(ef.jobs[0].state, MOCK_JOB_DONE);
    ASSERT_EQ(ef.jobs[0].emitted, 16);
    ASSERT_EQ(ef.jobs[0].prompt_tokens, 50); /* ceil(197 / 4) */
    ASSERT_EQ(ef.jobs[0].cached_tokens, 0);
    ASSERT_EQ(uv_loop_alive(&ef.loop), 0);
    /* The repeat hits the three full blocks. */
    ASSERT_EQ(submit(1, text, 1, true), 1);
    ASSERT_EQ(ef.jobs[1].cached_tokens, 48);
    struct mock_engine_stats st;
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.queries_tokens, 100);
    ASSERT_EQ(st.hits_tokens, 48);
    ASSERT_EQ(st.kv_used, 3);
    ASSERT_EQ(st.active, 0);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(ef.nevents, 0);
    free(text);
    engine_teardown();
}

TEST(engine_batch_limit_and_fifo_order)
{
    /* 100-token prompts at 10,000 tok/s: 10 ms prefill each; 4 tokens at 5 ms. */
    engine_setup(10000, 5, 2, 256);
    char *texts[5];
    for (int i = 0; i < 5; i++) {
        texts[i] = make_text(400, 10 + (unsigned)i);
        ASSERT_EQ(submit(i, texts[i], 4, false), 0);
    }
    ASSERT_EQ(ef.jobs[0].state, MOCK_JOB_PREFILL);
    ASSERT_EQ(ef.jobs[1].state, MOCK_JOB_PREFILL_WAIT);
    for (int i = 2; i < 5; i++)
        ASSERT_EQ(ef.jobs[i].state, MOCK_JOB_QUEUED);
    struct mock_engine_stats st;
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.running, 2);
    ASSERT_EQ(st.waiting, 3);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    /* Each finished once, in submission order, never more than two running. */
    ASSERT_EQ(ef.nevents, 5);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(ef.events[i].job, i);
        ASSERT_TRUE(ef.events[i].done);
        ASSERT_EQ(ef.events[i].emitted, 4);
    }
    ASSERT_TRUE(ef.max_running <= 2);
    /* Virtual times: job 0 prefills 0..10, decodes to 25; job 1 prefills 10..20, ends at 35;
     * job 2 takes job 0's slot at 25, prefills 25..35 and ends at 50; job 3 at 35..45..60. */
    double t0 = ef.jobs[0].submit_ms;
    expect_near(ef.jobs[0].first_token_ms - t0, 10, 0.1);
    expect_near(ef.jobs[0].done_ms - t0, 25, 0.1);
    expect_near(ef.jobs[1].first_token_ms - t0, 20, 0.1);
    expect_near(ef.jobs[2].first_token_ms - t0, 35, 0.1);
    expect_near(ef.jobs[3].first_token_ms - t0, 45, 0.1);
    expect_near(ef.jobs[4].first_token_ms - t0, 60, 0.1);
    expect_near(ef.jobs[4].done_ms - t0, 75, 0.1);
    for (int i = 0; i < 5; i++)
        free(texts[i]);
    engine_teardown();
}

TEST(engine_repeat_prompt_skips_prefill)
{
    /* 8,000 bytes = 2,000 tokens at 20,000 tok/s: 100 ms of prefill when uncached. */
    engine_setup(20000, 0, 8, 1024);
    char *text = make_text(8000, 4);
    ASSERT_EQ(submit(0, text, 2, false), 0);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    double ttft0 = ef.jobs[0].first_token_ms - ef.jobs[0].submit_ms;
    expect_near(ttft0, 100, 0.1);
    ASSERT_EQ(ef.jobs[0].cached_tokens, 0);
    /* Alone: all 125 blocks hit, TTFT is lower by the whole prefill cost. */
    ASSERT_EQ(submit(1, text, 2, false), 1);
    ASSERT_EQ(ef.jobs[1].cached_tokens, 2000);
    double ttft1 = ef.jobs[1].first_token_ms - ef.jobs[1].submit_ms;
    expect_near(ttft0 - ttft1, 100, 0.5);
    /* Concurrently with a fresh prompt: the identical one waits for the prefill unit only. */
    char *fresh = make_text(8000, 5);
    ASSERT_EQ(submit(2, fresh, 2, false), 0);
    ASSERT_EQ(submit(3, text, 2, false), 0);
    ASSERT_EQ(submit(4, fresh, 2, false), 0);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    double t2 = ef.jobs[2].submit_ms;
    expect_near(ef.jobs[2].first_token_ms - t2, 100, 0.1);
    expect_near(ef.jobs[3].first_token_ms - t2, 100, 0.1);
    /* Job 4 repeats job 2's prompt, whose blocks were cached when job 2's prefill ended. */
    expect_near(ef.jobs[4].first_token_ms - t2, 100, 0.1);
    ASSERT_EQ(ef.jobs[4].cached_tokens, 2000);
    free(text);
    free(fresh);
    engine_teardown();
}

TEST(engine_streams_every_token)
{
    engine_setup(1e12, 2, 4, 64);
    ASSERT_EQ(submit(0, "hello", 5, true), 0);
    /* The first token is there at once (no prefill cost); the rest follow every 2 ms. */
    ASSERT_EQ(ef.jobs[0].emitted, 1);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_TRUE(ef.nevents >= 1);
    int last = 1;
    for (int i = 0; i < ef.nevents; i++) {
        ASSERT_TRUE(ef.events[i].emitted > last || (ef.events[i].done && i == ef.nevents - 1));
        last = ef.events[i].emitted;
    }
    ASSERT_TRUE(ef.events[ef.nevents - 1].done);
    ASSERT_EQ(ef.events[ef.nevents - 1].emitted, 5);
    expect_near(ef.jobs[0].done_ms - ef.jobs[0].first_token_ms, 8, 0.1);
    engine_teardown();
}

TEST(engine_cancel_releases_slot_and_queue)
{
    engine_setup(1e12, 10, 1, 64);
    ASSERT_EQ(submit(0, "a", 100, false), 0); /* decoding for ~1 s */
    ASSERT_EQ(submit(1, "b", 1, false), 0);
    ASSERT_EQ(submit(2, "c", 2, false), 0);
    ASSERT_EQ(ef.jobs[1].state, MOCK_JOB_QUEUED);
    mock_engine_cancel(ef.engine, &ef.jobs[1]);
    mock_engine_cancel(ef.engine, &ef.jobs[1]); /* twice is harmless */
    struct mock_engine_stats st;
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.waiting, 1);
    /* Cancelling the running job admits job 2 at once (job 1 lost its place). */
    mock_engine_cancel(ef.engine, &ef.jobs[0]);
    ASSERT_EQ(ef.jobs[2].state, MOCK_JOB_DECODE);
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.running, 1);
    ASSERT_EQ(st.waiting, 0);
    ASSERT_EQ(st.active, 1);
    uint64_t start = uv_hrtime();
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_TRUE(uv_hrtime() - start < 500 * 1000000ULL); /* job 0's timer did not hold on */
    ASSERT_EQ(ef.nevents, 1);
    ASSERT_EQ(ef.events[0].job, 2);
    /* A cancelled prefill inserts nothing. */
    engine_teardown();

    engine_setup(1000, 0, 4, 64);
    char *text = make_text(640, 6); /* 160 tokens: 160 ms */
    ASSERT_EQ(submit(0, text, 1, false), 0);
    ASSERT_EQ(ef.jobs[0].state, MOCK_JOB_PREFILL);
    mock_engine_cancel(ef.engine, &ef.jobs[0]);
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.kv_used, 0);
    ASSERT_EQ(st.active, 0);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(ef.nevents, 0);
    free(text);
    engine_teardown();
}

TEST(engine_cancel_inside_callback)
{
    engine_setup(1e12, 1, 1, 64);
    ef.cancel_on_first = 0;
    ASSERT_EQ(submit(0, "x", 50, true), 0);
    ASSERT_EQ(submit(1, "y", 3, false), 0);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    /* Job 0 reported once and was cancelled there; job 1 got its slot and finished. */
    ASSERT_EQ(ef.nevents, 2);
    ASSERT_EQ(ef.events[0].job, 0);
    ASSERT_EQ(ef.events[1].job, 1);
    ASSERT_TRUE(ef.events[1].done);
    engine_teardown();
}

TEST(engine_stall_then_fail)
{
    engine_setup(1e12, 0, 1, 64);
    struct mock_job *j = job_init(0, 4, false);
    j->stall_ms = 30;
    j->fail = true;
    ASSERT_EQ(mock_engine_submit(ef.engine, j, "x", 1), 0);
    j = job_init(1, 4, false);
    j->stall_ms = 20;
    ASSERT_EQ(mock_engine_submit(ef.engine, j, "x", 1), 0);
    struct mock_engine_stats st;
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.waiting, 0); /* stalled jobs have not arrived yet */
    ASSERT_EQ(st.active, 2);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(ef.nevents, 2);
    ASSERT_EQ(ef.events[0].job, 1);
    ASSERT_EQ(ef.events[1].job, 0);
    ASSERT_TRUE(ef.jobs[0].failed);
    ASSERT_EQ(ef.jobs[0].emitted, 0);
    ASSERT_FALSE(ef.jobs[1].failed);
    expect_near(ef.jobs[0].done_ms - ef.jobs[0].submit_ms, 30, 0.1);
    expect_near(ef.jobs[1].done_ms - ef.jobs[1].submit_ms, 20, 0.1);
    /* A failure without a stall is immediate. */
    j = job_init(2, 4, false);
    j->fail = true;
    ASSERT_EQ(mock_engine_submit(ef.engine, j, "x", 1), 1);
    ASSERT_TRUE(j->failed);
    /* A client leaving during the stall: no callback, no timer left behind. */
    j = job_init(3, 4, false);
    j->stall_ms = 5000;
    ASSERT_EQ(mock_engine_submit(ef.engine, j, "x", 1), 0);
    mock_engine_cancel(ef.engine, j);
    mock_engine_get_stats(ef.engine, &st);
    ASSERT_EQ(st.active, 0);
    uint64_t start = uv_hrtime();
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_TRUE(uv_hrtime() - start < 1000 * 1000000ULL);
    ASSERT_EQ(ef.nevents, 2);
    engine_teardown();
}

static void on_idle(void *ud)
{
    (void)ud;
    ef.idle_calls++;
    ASSERT_EQ(ef.nevents, 1); /* after the job's own report */
}

TEST(engine_stop_waits_for_active_jobs)
{
    engine_setup(1e12, 5, 1, 64);
    ASSERT_EQ(submit(0, "x", 4, false), 0);
    mock_engine_stop(ef.engine, on_idle, NULL);
    ASSERT_TRUE(mock_engine_is_stopping(ef.engine));
    ASSERT_EQ(ef.idle_calls, 0);
    ASSERT_EQ(uv_run(&ef.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(ef.idle_calls, 1);
    engine_teardown();
}

HARNESS_MAIN(CASE(block_hashes_are_chained_hash64),
             CASE(chained_hashes_share_prefix_and_diverge_from_change),
             CASE(cache_hit_after_repeat_and_partial_prefix),
             CASE(eviction_takes_tails_of_old_chains_first),
             CASE(chain_longer_than_capacity_keeps_its_head),
             CASE(capacity_never_exceeded_and_matches_naive_model),
             CASE(engine_zero_delay_completes_synchronously),
             CASE(engine_batch_limit_and_fifo_order), CASE(engine_repeat_prompt_skips_prefill),
             CASE(engine_streams_every_token), CASE(engine_cancel_releases_slot_and_queue),
             CASE(engine_cancel_inside_callback), CASE(engine_stall_then_fail),
             CASE(engine_stop_waits_for_active_jobs))
