/* Unit tests for infini-mock's hold-running mode (vLLM's block pool): the prefix cache's pins,
 * anonymous blocks, store of pinned blocks, eviction order, over-commit and partial clear
 * (tools/mock/kvcache), and the engine holding a running job's prompt and decode blocks and
 * caching the blocks its output filled, with the KV events it reports (tools/mock/engine). The
 * plain LRU is in test_mock_engine.c. */
#include "kvcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "harness.h"

/* ---------------------------------------------------------------- cache */

struct seen {
    uint64_t evicted[64];
    size_t stored[64];
    int nevicted, nstored;
};

static void on_stored(void *ud, size_t i)
{
    struct seen *s = ud;

    ASSERT_TRUE(s->nstored < 64);
    s->stored[s->nstored++] = i;
}

static void on_evicted(void *ud, uint64_t hash)
{
    struct seen *s = ud;

    ASSERT_TRUE(s->nevicted < 64);
    s->evicted[s->nevicted++] = hash;
}

static struct mock_kvcache *observed_cache(size_t capacity, struct seen *s)
{
    struct mock_kvcache *c = mock_kvcache_new(capacity);
    const struct mock_kvcache_observer o = {on_stored, on_evicted, s};

    memset(s, 0, sizeof(*s));
    mock_kvcache_set_observer(c, &o);
    return c;
}

TEST(pinned_blocks_are_never_evicted_but_still_match)
{
    struct seen s;
    struct mock_kvcache *c = observed_cache(6, &s);
    const uint64_t a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    uint64_t lru;

    mock_kvcache_insert(c, a, 3);
    mock_kvcache_insert(c, b, 3);
    /* A is the older chain, but a running request pins it: taking blocks evicts B, tail first. */
    mock_kvcache_pin(c, a, 3);
    ASSERT_EQ(mock_kvcache_pinned(c), 3);
    ASSERT_EQ(mock_kvcache_take(c, 2), 0);
    ASSERT_EQ(s.nevicted, 2);
    ASSERT_TRUE(s.evicted[0] == 6 && s.evicted[1] == 5);
    ASSERT_EQ(mock_kvcache_used(c), 4);
    ASSERT_EQ(mock_kvcache_anonymous(c), 2);
    /* Two more: B's head goes, then nothing is left to evict: one block over the capacity. */
    ASSERT_EQ(mock_kvcache_take(c, 2), 1);
    ASSERT_EQ(s.nevicted, 3);
    ASSERT_TRUE(s.evicted[2] == 4);
    ASSERT_EQ(mock_kvcache_evictions(c), 3);
    ASSERT_EQ(mock_kvcache_overcommitted(c), 1);
    ASSERT_EQ(mock_kvcache_used(c) + mock_kvcache_anonymous(c), 7);
    ASSERT_EQ(mock_kvcache_match(c, a, 3), 3); /* pinned blocks are hits for others */
    ASSERT_FALSE(mock_kvcache_lru(c, &lru));   /* nothing evictable */
    /* A pinned block is not touched by an insert either, and a new block finds no room. */
    const uint64_t x[1] = {9};
    mock_kvcache_insert(c, x, 1);
    ASSERT_FALSE(mock_kvcache_contains(c, 9));
    ASSERT_EQ(s.nstored, 6);
    mock_kvcache_give(c, 4);
    ASSERT_EQ(mock_kvcache_anonymous(c), 0);
    /* Unpinned from the last block to the first: the head is the most recent, the tail the
     * next to go. */
    mock_kvcache_unpin(c, a, 3);
    ASSERT_EQ(mock_kvcache_pinned(c), 0);
    ASSERT_TRUE(mock_kvcache_lru(c, &lru));
    ASSERT_TRUE(lru == 3);
    ASSERT_EQ(mock_kvcache_take(c, 4), 0);
    ASSERT_TRUE(s.evicted[3] == 3);
    ASSERT_EQ(mock_kvcache_match(c, a, 3), 2);
    mock_kvcache_free(c);
}

TEST(references_count_and_unpin_restores_lru)
{
    struct mock_kvcache *c = mock_kvcache_new(4);
    const uint64_t a[2] = {11, 12}, b[2] = {21, 22};
    uint64_t lru;

    mock_kvcache_insert(c, a, 2);
    mock_kvcache_insert(c, b, 2);
    /* Two requests share A's head; one of them ends. */
    mock_kvcache_pin(c, a, 2);
    mock_kvcache_pin(c, a, 1);
    mock_kvcache_unpin(c, a, 2);
    ASSERT_EQ(mock_kvcache_pinned(c), 1);
    ASSERT_TRUE(mock_kvcache_lru(c, &lru));
    ASSERT_TRUE(lru == 22); /* B's tail is older than A's tail, just released */
    ASSERT_EQ(mock_kvcache_take(c, 3), 0);
    ASSERT_TRUE(mock_kvcache_contains(c, 11)); /* still pinned once */
    ASSERT_FALSE(mock_kvcache_contains(c, 12));
    ASSERT_FALSE(mock_kvcache_contains(c, 21));
    mock_kvcache_unpin(c, a, 1);
    ASSERT_EQ(mock_kvcache_pinned(c), 0);
    mock_kvcache_give(c, 3);
    mock_kvcache_free(c);
}

TEST(store_pinned_turns_anonymous_blocks_into_cached_ones)
{
    struct seen s;
    struct mock_kvcache *c = observed_cache(5, &s);
    const uint64_t h[3] = {31, 32, 33};

    ASSERT_EQ(mock_kvcache_take(c, 4), 0); /* a prompt of three full blocks and a partial one */
    ASSERT_EQ(mock_kvcache_store_pinned(c, h, 0, 3), 3);
    ASSERT_EQ(s.nstored, 3);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(s.stored[i], i); /* in chain order */
    ASSERT_EQ(mock_kvcache_used(c), 3);
    ASSERT_EQ(mock_kvcache_pinned(c), 3);
    ASSERT_EQ(mock_kvcache_anonymous(c), 1);
    ASSERT_EQ(s.nevicted, 0);
    /* A second request with the same first block, computed before it was a hit: shares it. */
    ASSERT_EQ(mock_kvcache_take(c, 1), 0);
    ASSERT_EQ(mock_kvcache_store_pinned(c, h, 0, 1), 1);
    ASSERT_EQ(s.nstored, 3);
    ASSERT_EQ(mock_kvcache_anonymous(c), 1);
    mock_kvcache_unpin(c, h, 1);
    ASSERT_EQ(mock_kvcache_pinned(c), 3);
    mock_kvcache_unpin(c, h, 3);
    mock_kvcache_give(c, 1);
    ASSERT_EQ(mock_kvcache_pinned(c), 0);
    ASSERT_EQ(mock_kvcache_match(c, h, 3), 3);
    mock_kvcache_free(c);
}

TEST(store_pinned_stops_when_every_entry_is_pinned)
{
    struct seen s;
    struct mock_kvcache *c = observed_cache(2, &s);
    const uint64_t h[3] = {41, 42, 43};

    ASSERT_EQ(mock_kvcache_take(c, 3), 1);
    ASSERT_EQ(mock_kvcache_store_pinned(c, h, 0, 3), 2);
    ASSERT_EQ(s.nstored, 2);
    ASSERT_EQ(mock_kvcache_used(c), 2);
    ASSERT_EQ(mock_kvcache_anonymous(c), 1);
    mock_kvcache_unpin(c, h, 2);
    mock_kvcache_give(c, 1);
    ASSERT_EQ(mock_kvcache_match(c, h, 3), 2);
    mock_kvcache_free(c);
}

TEST(clear_keeps_pinned_blocks_and_reports_the_others)
{
    struct seen s;
    struct mock_kvcache *c = observed_cache(8, &s);
    const uint64_t a[2] = {51, 52}, b[2] = {61, 62};

    mock_kvcache_insert(c, a, 2);
    mock_kvcache_insert(c, b, 2);
    mock_kvcache_pin(c, a, 2);
    ASSERT_EQ(mock_kvcache_take(c, 1), 0);
    ASSERT_FALSE(mock_kvcache_clear(c));
    ASSERT_EQ(s.nevicted, 2);
    ASSERT_EQ(mock_kvcache_evictions(c), 0); /* a reset, not evictions */
    ASSERT_EQ(mock_kvcache_used(c), 2);
    ASSERT_EQ(mock_kvcache_anonymous(c), 1);
    ASSERT_EQ(mock_kvcache_match(c, a, 2), 2);
    ASSERT_EQ(mock_kvcache_match(c, b, 2), 0);
    mock_kvcache_unpin(c, a, 2);
    mock_kvcache_give(c, 1);
    /* Nothing pinned: the whole cache goes at once, unreported. */
    ASSERT_TRUE(mock_kvcache_clear(c));
    ASSERT_EQ(s.nevicted, 2);
    ASSERT_EQ(mock_kvcache_used(c), 0);
    mock_kvcache_insert(c, b, 2);
    ASSERT_EQ(mock_kvcache_match(c, b, 2), 2);
    mock_kvcache_free(c);
}

/* ---------------------------------------------------------------- engine */

#define BLOCK_CHARS 64 /* 16 tokens x 4 bytes */
#define MAX_LOG     256

struct entry {
    char kind; /* R removed, S stored, F flush, C cleared, P progress (job), D done (job) */
    uint64_t hash, parent;
    bool has_parent;
    int job, emitted;
    size_t kv_used;
    double at;
};

struct hfx {
    uv_loop_t loop;
    struct mock_engine *engine;
    struct mock_job jobs[8];
    struct entry log[MAX_LOG];
    int n;
};

static struct hfx hf;

static struct entry *log_add(char kind)
{
    ASSERT_TRUE(hf.n < MAX_LOG);
    struct entry *x = &hf.log[hf.n++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->at = mock_engine_now_ms();
    return x;
}

static void ob_removed(void *ud, uint64_t hash)
{
    (void)ud;
    log_add('R')->hash = hash;
}

static void ob_stored(void *ud, const uint64_t *parent, uint64_t hash, const uint32_t *tokens,
                      size_t ntokens)
{
    (void)ud;
    ASSERT_TRUE(tokens != NULL && ntokens == 16);
    struct entry *x = log_add('S');
    x->hash = hash;
    x->has_parent = parent != NULL;
    x->parent = parent != NULL ? *parent : 0;
}

static void ob_cleared(void *ud)
{
    (void)ud;
    log_add('C');
}

static void ob_flush(void *ud)
{
    (void)ud;
    log_add('F');
}

static void on_job(struct mock_job *job, void *ud)
{
    struct mock_engine_stats st;

    mock_engine_get_stats(hf.engine, &st);
    struct entry *x = log_add(job->state == MOCK_JOB_DONE ? 'D' : 'P');
    x->job = (int)(intptr_t)ud;
    x->emitted = job->emitted;
    x->kv_used = st.kv_used;
}

static void hold_setup(size_t kv_blocks, double rate, double decode_ms)
{
    struct mock_engine_params p = {
        .block_size = 16,
        .chars_per_token = 4,
        .kv_blocks = kv_blocks,
        .prefill_tok_per_s = rate,
        .decode_ms_per_token = decode_ms,
        .max_batch = 8,
        .hold_running = true,
    };
    const struct mock_engine_kv_observer o = {ob_removed, ob_stored, ob_cleared, ob_flush, NULL};

    memset(&hf, 0, sizeof(hf));
    ASSERT_EQ(uv_loop_init(&hf.loop), 0);
    hf.engine = mock_engine_new(&hf.loop, &p);
    mock_engine_set_kv_observer(hf.engine, &o);
}

static void hold_teardown(void)
{
    mock_engine_set_kv_observer(hf.engine, NULL);
    mock_engine_free(hf.engine);
    ASSERT_EQ(uv_run(&hf.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&hf.loop), 0);
}

/* `blocks` full blocks of text named by `salt`, and their chained hashes (seed 0) in `h`. */
static char *prompt(int blocks, unsigned salt, uint64_t *h)
{
    size_t n = (size_t)blocks * BLOCK_CHARS;
    char *t = malloc(n + 1);

    for (size_t i = 0; i < n; i++)
        t[i] = (char)('a' + (salt * 7 + i * 13 + i / 5) % 26);
    t[n] = '\0';
    mock_kvcache_block_hashes(t, n, BLOCK_CHARS, 0, h, (size_t)blocks);
    return t;
}

static int hsubmit(int i, const char *text, int max_tokens, bool stream)
{
    struct mock_job *j = &hf.jobs[i];

    memset(j, 0, sizeof(*j));
    j->max_tokens = max_tokens;
    j->want_tokens = stream;
    j->cb = on_job;
    j->ud = (void *)(intptr_t)i;
    return mock_engine_submit(hf.engine, j, text, strlen(text));
}

static struct mock_engine_stats stats(void)
{
    struct mock_engine_stats st;

    mock_engine_get_stats(hf.engine, &st);
    return st;
}

TEST(engine_running_prompt_is_pinned_and_eviction_takes_finished_ones)
{
    uint64_t hc[3], ha[3], hb[3];
    char *c = prompt(3, 1, hc), *a = prompt(3, 2, ha), *b = prompt(3, 3, hb);

    hold_setup(8, 1e12, 2);
    /* C runs and ends at once: its three blocks stay cached, no request holds them. */
    ASSERT_EQ(hsubmit(0, c, 1, false), 1);
    ASSERT_EQ(stats().kv_used, 0);
    ASSERT_EQ(stats().kv_cached, 3);
    /* A decodes for ~100 ms: three pinned prompt blocks and one for its sequence's growth. */
    ASSERT_EQ(hsubmit(1, a, 50, false), 0);
    ASSERT_EQ(stats().kv_used, 4);
    ASSERT_EQ(stats().kv_cached, 6);
    /* B needs three: one free, then C's tail and middle go (C is older but A is pinned). */
    int mark = hf.n;
    ASSERT_EQ(hsubmit(2, b, 1, false), 1);
    ASSERT_EQ(hf.n - mark, 7);
    ASSERT_TRUE(hf.log[mark].kind == 'R' && hf.log[mark].hash == hc[2]);
    ASSERT_TRUE(hf.log[mark + 1].kind == 'R' && hf.log[mark + 1].hash == hc[1]);
    ASSERT_TRUE(hf.log[mark + 2].kind == 'F'); /* published when taken, at prefill start */
    for (int i = 0; i < 3; i++) {
        const struct entry *x = &hf.log[mark + 3 + i];
        ASSERT_TRUE(x->kind == 'S' && x->hash == hb[i]);
        ASSERT_EQ(x->has_parent, i > 0);
        ASSERT_TRUE(i == 0 || x->parent == hb[i - 1]);
    }
    ASSERT_TRUE(hf.log[mark + 6].kind == 'F');
    /* A's prompt, still running, is a hit for another request; C kept its head only. */
    ASSERT_EQ(hsubmit(3, a, 1, false), 1);
    ASSERT_EQ(hf.jobs[3].cached_tokens, 48);
    ASSERT_EQ(hsubmit(4, c, 1, false), 1);
    ASSERT_EQ(hf.jobs[4].cached_tokens, 16);
    ASSERT_EQ(stats().evictions, 4); /* C's restore took two more: B's tail and middle */
    ASSERT_EQ(stats().kv_overcommitted, 0);
    ASSERT_EQ(uv_run(&hf.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(stats().kv_used, 0);
    free(a);
    free(b);
    free(c);
    hold_teardown();
}

TEST(engine_decode_takes_a_block_every_block_size_tokens)
{
    uint64_t h[2];
    char *text = prompt(2, 4, h); /* 32 tokens: exactly two blocks */

    hold_setup(64, 1e12, 1);
    ASSERT_EQ(hsubmit(0, text, 40, true), 0);
    /* Token 1 came with the prefill: the next step needs the slot of token 33. */
    ASSERT_EQ(stats().kv_used, 3);
    ASSERT_EQ(uv_run(&hf.loop, UV_RUN_DEFAULT), 0);
    int progress = 0;
    for (int i = 0; i < hf.n; i++) {
        const struct entry *x = &hf.log[i];
        if (x->kind == 'P') {
            ASSERT_EQ(x->kv_used, (size_t)(32 + x->emitted + 15) / 16);
            progress++;
        }
    }
    ASSERT_TRUE(progress >= 3);
    ASSERT_TRUE(hf.log[hf.n - 1].kind == 'D');
    ASSERT_EQ(hf.log[hf.n - 1].kv_used, 0); /* all released at the end */
    /* 32 + 40 tokens: the two blocks the output filled are cached too (the third is partial). */
    ASSERT_EQ(stats().kv_cached, 4);
    free(text);
    hold_teardown();
}

TEST(engine_caches_the_blocks_its_output_filled)
{
    uint64_t h[3], o[2];
    char *text = prompt(3, 11, h);
    char *longer = malloc(6 * BLOCK_CHARS + 1);

    hold_setup(7, 1e12, 0);
    /* 48 + 40 tokens: blocks 3 and 4 filled by the output (taken at the end, as decode costs
     * no time here), stored after the prompt's three and chained to its last block. */
    ASSERT_EQ(hsubmit(0, text, 40, false), 1);
    int stored = 0;
    for (int i = 0; i < hf.n; i++) {
        const struct entry *x = &hf.log[i];
        if (x->kind != 'S')
            continue;
        if (stored < 3) {
            ASSERT_TRUE(x->hash == h[stored]);
        } else {
            ASSERT_TRUE(x->has_parent && x->parent == (stored == 3 ? h[2] : o[0]));
            o[stored - 3] = x->hash;
        }
        stored++;
    }
    ASSERT_EQ(stored, 5);
    ASSERT_EQ(stats().kv_cached, 5);
    ASSERT_EQ(stats().kv_used, 0);
    /* The same prompt on the same engine generates the same blocks: all cached already. */
    int mark = hf.n;
    ASSERT_EQ(hsubmit(1, text, 40, false), 1);
    ASSERT_EQ(hf.jobs[1].cached_tokens, 48);
    for (int i = mark; i < hf.n; i++)
        ASSERT_TRUE(hf.log[i].kind != 'S');
    ASSERT_EQ(stats().kv_cached, 5);
    /* A prompt continuing with other text matches the prompt's blocks only; its three new
     * blocks need one eviction, and the sequence was released from its tail, so the output's
     * last block is the least recently used. */
    memcpy(longer, text, 3 * BLOCK_CHARS);
    memset(longer + 3 * BLOCK_CHARS, 'q', 3 * BLOCK_CHARS);
    longer[6 * BLOCK_CHARS] = '\0';
    mark = hf.n;
    ASSERT_EQ(hsubmit(2, longer, 1, false), 1);
    ASSERT_EQ(hf.jobs[2].cached_tokens, 48);
    ASSERT_EQ(stats().evictions, 1);
    int removed = 0;
    for (int i = mark; i < hf.n; i++) {
        if (hf.log[i].kind == 'R') {
            ASSERT_TRUE(hf.log[i].hash == o[1]);
            removed++;
        }
    }
    ASSERT_EQ(removed, 1);
    free(longer);
    free(text);
    hold_teardown();
}

TEST(engine_decode_blocks_evict_on_time_without_progress_reports)
{
    uint64_t hz[4], hn[2];
    char *z = prompt(4, 5, hz), *n = prompt(2, 6, hn);

    hold_setup(6, 1e12, 1);
    ASSERT_EQ(hsubmit(0, z, 1, false), 1);
    /* N fills the cache with its prompt; its sequence then grows at tokens 1, 17 and 33, each
     * time evicting Z's oldest block, while the caller hears only of the end. */
    int mark = hf.n;
    ASSERT_EQ(hsubmit(1, n, 40, false), 0);
    double first = hf.jobs[1].first_token_ms;
    ASSERT_EQ(uv_run(&hf.loop, UV_RUN_DEFAULT), 0);
    int removed = 0, done = 0;
    for (int i = mark; i < hf.n; i++) {
        const struct entry *x = &hf.log[i];
        if (x->kind == 'R') {
            ASSERT_EQ(done, 0);
            ASSERT_TRUE(x->hash == hz[3 - removed]);
            /* Never before its token's time (1 ms a token); timers may fire late, not early. */
            ASSERT_TRUE(x->at >= first + 16.0 * removed - 0.5);
            removed++;
        }
        ASSERT_TRUE(x->kind != 'P');
        done += x->kind == 'D';
    }
    ASSERT_EQ(removed, 3);
    ASSERT_EQ(done, 1);
    ASSERT_EQ(stats().kv_used, 0);
    ASSERT_EQ(stats().kv_overcommitted, 0);
    free(z);
    free(n);
    hold_teardown();
}

TEST(engine_overcommits_when_everything_is_held)
{
    uint64_t h[8];
    char *text = prompt(8, 7, h);

    hold_setup(4, 1e12, 0);
    ASSERT_EQ(hsubmit(0, text, 1, false), 1);
    struct mock_engine_stats st = stats();
    ASSERT_EQ(st.kv_overcommitted, 4);
    ASSERT_EQ(st.kv_cached, 4); /* the prompt's first four blocks */
    ASSERT_EQ(st.kv_used, 0);
    int stored = 0;
    for (int i = 0; i < hf.n; i++)
        stored += hf.log[i].kind == 'S';
    ASSERT_EQ(stored, 4);
    ASSERT_EQ(hsubmit(1, text, 1, false), 1);
    ASSERT_EQ(hf.jobs[1].cached_tokens, 64);
    free(text);
    hold_teardown();
}

TEST(engine_cancel_releases_held_blocks)
{
    uint64_t h[4];
    char *text = prompt(4, 8, h);

    /* In prefill (64 tokens at 1000 tok/s: 64 ms): its blocks are taken, none stored. */
    hold_setup(16, 1000, 1);
    ASSERT_EQ(hsubmit(0, text, 10, false), 0);
    ASSERT_EQ(hf.jobs[0].state, MOCK_JOB_PREFILL);
    ASSERT_EQ(stats().kv_used, 4);
    mock_engine_cancel(hf.engine, &hf.jobs[0]);
    ASSERT_EQ(stats().kv_used, 0);
    ASSERT_EQ(stats().kv_cached, 0);
    hold_teardown();

    /* In decode: the pinned prompt goes back to the cache, the decode block is returned. */
    hold_setup(16, 1e12, 5);
    ASSERT_EQ(hsubmit(0, text, 100, false), 0);
    ASSERT_EQ(hf.jobs[0].state, MOCK_JOB_DECODE);
    ASSERT_EQ(stats().kv_used, 5);
    mock_engine_cancel(hf.engine, &hf.jobs[0]);
    ASSERT_EQ(stats().kv_used, 0);
    ASSERT_EQ(stats().kv_cached, 4);
    ASSERT_EQ(uv_run(&hf.loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(hsubmit(1, text, 1, false), 1);
    ASSERT_EQ(hf.jobs[1].cached_tokens, 64);
    free(text);
    hold_teardown();
}

TEST(engine_reset_keeps_blocks_running_jobs_hold)
{
    uint64_t ha[2], hb[2];
    char *a = prompt(2, 9, ha), *b = prompt(2, 10, hb);

    hold_setup(16, 1e12, 5);
    ASSERT_EQ(hsubmit(0, b, 1, false), 1);
    ASSERT_EQ(hsubmit(1, a, 100, false), 0);
    int mark = hf.n;
    mock_engine_reset_cache(hf.engine);
    /* B's blocks are reported removed one by one; no AllBlocksCleared, A's blocks stay. */
    ASSERT_EQ(hf.n - mark, 3);
    ASSERT_TRUE(hf.log[mark].kind == 'R' && hf.log[mark + 1].kind == 'R');
    ASSERT_TRUE(hf.log[mark + 2].kind == 'F');
    ASSERT_EQ(stats().kv_cached, 2);
    mock_engine_cancel(hf.engine, &hf.jobs[1]);
    /* Nothing running: a real reset. */
    mark = hf.n;
    mock_engine_reset_cache(hf.engine);
    ASSERT_EQ(hf.n - mark, 2);
    ASSERT_TRUE(hf.log[mark].kind == 'C' && hf.log[mark + 1].kind == 'F');
    ASSERT_EQ(stats().kv_cached, 0);
    free(a);
    free(b);
    hold_teardown();
}

HARNESS_MAIN(CASE(pinned_blocks_are_never_evicted_but_still_match),
             CASE(references_count_and_unpin_restores_lru),
             CASE(store_pinned_turns_anonymous_blocks_into_cached_ones),
             CASE(store_pinned_stops_when_every_entry_is_pinned),
             CASE(clear_keeps_pinned_blocks_and_reports_the_others),
             CASE(engine_running_prompt_is_pinned_and_eviction_takes_finished_ones),
             CASE(engine_decode_takes_a_block_every_block_size_tokens),
             CASE(engine_caches_the_blocks_its_output_filled),
             CASE(engine_decode_blocks_evict_on_time_without_progress_reports),
             CASE(engine_overcommits_when_everything_is_held),
             CASE(engine_cancel_releases_held_blocks),
             CASE(engine_reset_keeps_blocks_running_jobs_hold))
