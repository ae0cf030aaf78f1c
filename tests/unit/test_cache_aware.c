/* Unit tests for router/cache_aware on hand-built instance states: a prompt goes where its prefix
 * is held; a loaded holder loses to an idle instance once its queue costs more than the prefill
 * the other would redo, and keeps it before, all the longer as the instances fill up; a cold
 * prompt goes to its rendezvous owner, the same one whatever order the candidates come in and
 * whatever order two indexes were fed, unless the KV events say it was evicted everywhere; a
 * short shared head goes to its least busy holder; sessions are sticky but soft;
 * engine-reported queues count. Also router/session. */
#include "cache_aware.h"

#include <stdlib.h>
#include <string.h>

#include "demand.h"
#include "harness.h"
#include "hash.h"
#include "kv_index.h"
#include "prefix_index.h"
#include "services.h"
#include "session.h"

#define BC 256

static struct rt_ca_params params(void)
{
    return (struct rt_ca_params){.block_chars = BC,
                                 .affinity_blocks = 4,
                                 .default_rate = 10000,
                                 .bytes_per_token = 4,
                                 .cold_slack = 0.5};
}

static struct rt_instance *inst_new(struct rt_prefix_index *x, const char *name)
{
    struct rt_instance *i = calloc(1, sizeof(*i));

    i->name = strdup(name);
    i->name_hash = hash64_str(name);
    i->prefix_member = rt_prefix_index_add_member(x, 0);
    return i;
}

/* Frees the `n` instances of `c`, then their index `x`. */
static void free_all(struct rt_prefix_index *x, struct rt_instance **c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i]->name);
        free(c[i]);
    }
    rt_prefix_index_free(x);
}

static void chain(uint64_t id, size_t n, uint64_t *out)
{
    uint64_t h = id;

    for (size_t i = 0; i < n; i++)
        out[i] = h = hash64_u64(i, h);
}

static struct rt_ca_request req(const uint64_t *h, size_t n)
{
    return (struct rt_ca_request){
        .blocks = h, .nblocks = n, .text_bytes = n * BC + 100, .head = h[0]};
}

static size_t choose(struct rt_prefix_index *x, const struct rt_ca_request *r,
                     struct rt_instance **c, size_t n, struct rt_ca_choice *out)
{
    struct rt_ca_params p = params();

    rt_cache_aware_choose(x, &p, r, c, n, out);
    return out->index;
}

TEST(prompt_goes_to_the_holder)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    uint64_t h[40];
    struct rt_ca_choice ch;

    chain(1, 40, h);
    rt_prefix_index_insert(x, b->prefix_member, h, 37);
    struct rt_ca_request r = req(h, 40);
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    ASSERT_EQ(ch.depth, 37);
    ASSERT_STR_EQ(ch.reason, "prefix");
    /* 3 blocks + 100 bytes left: (868 / 4) tokens at 10k tokens/s. */
    ASSERT_TRUE(ch.est_s > 0.0216 && ch.est_s < 0.0218);
    free_all(x, c, 2);
}

TEST(loaded_holder_loses_once_its_queue_costs_clearly_more_than_the_prefill)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    uint64_t h[40];
    struct rt_ca_choice ch;

    chain(2, 40, h);
    rt_prefix_index_insert(x, a->prefix_member, h, 40);
    struct rt_ca_request r = req(h, 40);
    double full = (40.0 * BC + 100) / 4; /* tokens b would prefill */
    double own = 100.0 / 4;              /* tokens a would prefill */
    /* Queue a bit above what b would redo: within the slack (half of b's prefill), a keeps it,
     * so a near tie never copies the prefix into a second cache. */
    a->pending_prefill = full - own + 0.5 * full - 50;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 0);
    ASSERT_STR_EQ(ch.reason, "prefix");
    /* Beyond the slack: b takes it (a spill), and gets indexed for it by the caller. */
    a->pending_prefill = full - own + 0.5 * full + 50;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    ASSERT_STR_EQ(ch.reason, "spill");
    ASSERT_TRUE(ch.best_held_tokens == 40.0 * BC / 4); /* a holds all 40 blocks */
    /* Both hold it now. Idle, the same copy (the prefix's home) takes it every time, so the other
     * copy ages out: the prefix comes back to one instance. */
    rt_prefix_index_insert(x, b->prefix_member, h, 40);
    a->pending_prefill = 0;
    size_t home = choose(x, &r, c, 2, &ch);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(choose(x, &r, c, 2, &ch), home);
    /* A cold prefix stays home until home is clearly worse (half the prompt's whole prefill). */
    c[home]->pending_prefill = 0.5 * full - 50;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), home);
    c[home]->pending_prefill = 0.5 * full + 50;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1 - home);
    /* A hot prefix (more than one instance's share of the traffic) goes to its least busy copy. */
    r.share = 0.9;
    c[home]->pending_prefill = 100;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1 - home);
    ASSERT_STR_EQ(ch.reason, "prefix");
    free_all(x, c, 2);
}

TEST(cold_prompt_goes_to_its_rendezvous_owner_in_any_order)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    const char *names[5] = {"n0", "n1", "n2", "n3", "n4"};
    struct rt_instance *in[5], *c[5], *rev[5];
    uint64_t h[10];
    struct rt_ca_choice ch;
    size_t counts[5] = {0};

    for (int i = 0; i < 5; i++)
        in[i] = c[i] = rev[4 - i] = inst_new(x, names[i]);
    for (uint64_t p = 0; p < 200; p++) {
        chain(1000 + p, 10, h);
        struct rt_ca_request r = req(h, 10);
        struct rt_instance *w1 = c[choose(x, &r, c, 5, &ch)];
        ASSERT_STR_EQ(ch.reason, "cold-owner");
        struct rt_instance *w2 = rev[choose(x, &r, rev, 5, &ch)];
        ASSERT_TRUE(w1 == w2);
        /* Only the affinity blocks decide: a different tail keeps the owner. */
        uint64_t h2[10];
        memcpy(h2, h, sizeof(h));
        h2[9] ^= 1;
        struct rt_ca_request r2 = req(h2, 10);
        ASSERT_TRUE(c[choose(x, &r2, c, 5, &ch)] == w1);
        for (int i = 0; i < 5; i++)
            counts[i] += in[i] == w1;
    }
    for (int i = 0; i < 5; i++)
        ASSERT_TRUE(counts[i] > 15); /* spread, about 40 each */
    free_all(x, in, 5);
}

TEST(two_indexes_fed_in_different_orders_agree)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20), *y = rt_prefix_index_new(1 << 20);
    struct rt_instance *xa = inst_new(x, "a"), *xb = inst_new(x, "b"), *xc = inst_new(x, "c");
    struct rt_instance *yc = inst_new(y, "c"), *ya = inst_new(y, "a"), *yb = inst_new(y, "b");
    struct rt_instance *cx[3] = {xa, xb, xc}, *cy[3] = {yc, ya, yb};
    uint64_t h[8];
    struct rt_ca_choice ch;

    /* Different histories of other prompts. */
    for (uint64_t p = 0; p < 20; p++) {
        chain(50 + p, 8, h);
        rt_prefix_index_insert(x, cx[p % 3]->prefix_member, h, 8);
        rt_prefix_index_insert(y, cy[(p * 7) % 3]->prefix_member, h, 8);
    }
    for (uint64_t p = 0; p < 50; p++) {
        chain(900 + p, 8, h);
        struct rt_ca_request r = req(h, 8);
        const char *nx = cx[choose(x, &r, cx, 3, &ch)]->name;
        const char *ny = cy[choose(y, &r, cy, 3, &ch)]->name;
        ASSERT_STR_EQ(nx, ny);
    }
    free_all(x, cx, 3);
    free_all(y, cy, 3);
}

TEST(busy_owner_of_a_cold_prompt_is_passed_over)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    uint64_t h[8];
    struct rt_ca_choice ch;

    chain(77, 8, h);
    struct rt_ca_request r = req(h, 8);
    size_t owner = choose(x, &r, c, 2, &ch);
    double own = (8.0 * BC + 100) / 4;
    c[owner]->pending_prefill = 0.4 * own; /* within the slack (0.5 x its own prefill) */
    ASSERT_EQ(choose(x, &r, c, 2, &ch), owner);
    c[owner]->pending_prefill = 0.6 * own; /* clearly worse */
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1 - owner);
    ASSERT_STR_EQ(ch.reason, "spill");
    free_all(x, c, 2);
}

TEST(session_is_sticky_but_soft)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    uint64_t h[8], other[8];
    struct rt_ca_choice ch;

    chain(5, 8, h);
    chain(6, 8, other);
    struct rt_ca_request r = req(h, 8);
    size_t owner = choose(x, &r, c, 2, &ch);
    r.has_session = true;
    r.session_instance = c[1 - owner]->name_hash; /* the session went to the other one */
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1 - owner);
    ASSERT_STR_EQ(ch.reason, "session");
    /* A held prefix elsewhere beats the session (soft affinity). */
    rt_prefix_index_insert(x, c[owner]->prefix_member, h, 8);
    ASSERT_EQ(choose(x, &r, c, 2, &ch), owner);
    ASSERT_STR_EQ(ch.reason, "prefix");
    /* A session whose instance is gone belongs to the rendezvous owner of its key. */
    struct rt_ca_request r2 = req(other, 8);
    r2.has_session = true;
    r2.session_key = 12345;
    r2.session_instance = hash64_str("gone");
    size_t s1 = choose(x, &r2, c, 2, &ch);
    ASSERT_STR_EQ(ch.reason, "session");
    struct rt_instance *swapped[2] = {b, a};
    ASSERT_TRUE(swapped[choose(x, &r2, swapped, 2, &ch)] == c[s1]);
    free_all(x, c, 2);
}

TEST(engine_queue_from_other_routers_counts)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    uint64_t h[8];
    struct rt_ca_choice ch;
    struct rt_ca_params p = params();

    chain(8, 8, h);
    struct rt_ca_request r = req(h, 8);
    r.now_s = 1000;
    double idle = rt_cache_aware_estimate(a, &p, 100, r.now_s);
    a->engine = (struct rt_engine_load){.present = true, .waiting = 10, .updated = 999};
    double queued = rt_cache_aware_estimate(a, &p, 100, r.now_s);
    ASSERT_TRUE(queued > idle + 10 * 100 / 10000.0 - 1e-9);
    /* A stale report does not count. */
    a->engine.updated = 900;
    ASSERT_TRUE(rt_cache_aware_estimate(a, &p, 100, r.now_s) < queued);
    a->engine.updated = 999;
    a->mean_uncached = 200; /* what a request typically prefills there */
    rt_prefix_index_insert(x, a->prefix_member, h, 8);
    /* a holds the prefix but 10 requests of 200 tokens wait there: b wins. */
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    free_all(x, c, 2);
}

TEST(sessions_expire_and_stay_bounded)
{
    struct rt_sessions *s = rt_sessions_new(16);
    uint64_t v = 0;

    rt_sessions_put(s, 1, 111, 0, 10);
    ASSERT_TRUE(rt_sessions_get(s, 1, 5, &v));
    ASSERT_EQ(v, 111);
    ASSERT_FALSE(rt_sessions_get(s, 1, 10, &v)); /* expired */
    ASSERT_EQ(rt_sessions_count(s), 0);
    for (uint64_t k = 0; k < 100; k++)
        rt_sessions_put(s, k + 100, k, 20, 1000);
    ASSERT_EQ(rt_sessions_count(s), 16);
    ASSERT_TRUE(rt_sessions_get(s, 199, 21, &v)); /* the newest is kept */
    ASSERT_EQ(v, 99);
    /* Expired entries go first when full. */
    for (uint64_t k = 0; k < 16; k++)
        rt_sessions_put(s, k + 500, k, 2000, 3000);
    ASSERT_EQ(rt_sessions_count(s), 16);
    for (uint64_t k = 0; k < 16; k++)
        ASSERT_TRUE(rt_sessions_get(s, k + 500, 2001, &v));
    rt_sessions_put(s, 0, 7, 0, 1e9); /* key 0 is a valid key */
    ASSERT_TRUE(rt_sessions_get(s, 0, 1, &v));
    ASSERT_EQ(v, 7);
    rt_sessions_free(s);
}

TEST(demand_share_tells_hot_from_cold)
{
    struct rt_demand *d = rt_demand_new(64);
    double hot = 0, cold = 0;

    /* Three of four requests for prefix 1, the rest spread over 50 others, within model 7. */
    for (int i = 0; i < 400; i++) {
        double t = i * 0.01;
        if (i % 4 != 3)
            hot = rt_demand_note(d, 1, 7, t);
        else
            cold = rt_demand_note(d, 100 + (uint64_t)(i % 50), 7, t);
    }
    ASSERT_TRUE(hot > 0.7 && hot < 0.8);
    ASSERT_TRUE(cold < 0.05);
    /* Counts fade: after a long quiet spell a cold key's share is its own again. */
    ASSERT_TRUE(rt_demand_note(d, 999, 7, 1000) > 0.9);
    /* A full table keeps working (the weakest entries are replaced). */
    for (uint64_t k = 0; k < 10000; k++)
        rt_demand_note(d, 5000 + k, 7, 1000 + (double)k * 1e-3);
    ASSERT_TRUE(rt_demand_note(d, 1, 7, 1011) <= 1.0);
    rt_demand_free(d);
}

/* KV event views by instance name, for rt_ca_request.kv_find. */
struct views {
    const char *names[2];
    const struct rt_kv_inst *k[2];
};

static const struct rt_kv_inst *find_view(const void *ctx, const char *name)
{
    const struct views *v = ctx;

    for (size_t i = 0; i < 2; i++)
        if (strcmp(v->names[i], name) == 0)
            return v->k[i];
    return NULL;
}

TEST(a_prefix_evicted_everywhere_goes_to_the_least_busy)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    struct rt_kv_index *kx = rt_kv_index_new(1 << 20);
    struct views v = {{"a", "b"}, {rt_kv_index_inst_new(kx, 16), rt_kv_index_inst_new(kx, 16)}};
    uint64_t h[16];
    uint32_t tok[(16 * BC + 100) / 4];
    struct rt_ca_choice ch;

    chain(9, 16, h);
    for (size_t i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
        tok[i] = (uint32_t)i + 1;
    struct rt_ca_request r = req(h, 16);
    r.tokens = tok;
    r.ntokens = sizeof(tok) / sizeof(tok[0]);
    r.kv_find = find_view;
    r.kv_ctx = &v;
    /* Never sent anywhere: its cold owner keeps it while only a little busier (the slack). */
    size_t owner = choose(x, &r, c, 2, &ch);
    ASSERT_STR_EQ(ch.reason, "cold-owner");
    ASSERT_TRUE(ch.exact);
    c[owner]->pending_prefill = 0.4 * (double)r.ntokens;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), owner);
    /* Sent there once (the approximate index remembers) and evicted since (no engine holds a
     * block of it): the old home is worth nothing more, the least busy takes it. */
    rt_prefix_index_insert(x, c[owner]->prefix_member, h, 16);
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1 - owner);
    ASSERT_STR_EQ(ch.reason, "evicted");
    /* Without the events' word the approximate index still believes the owner holds it. */
    r.kv_find = NULL;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), owner);
    ASSERT_STR_EQ(ch.reason, "prefix");
    rt_kv_index_free(kx);
    free_all(x, c, 2);
}

TEST(a_move_costs_more_as_the_instances_fill)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *c[2] = {a, b};
    uint64_t h[40];
    struct rt_ca_choice ch;

    chain(3, 40, h);
    rt_prefix_index_insert(x, a->prefix_member, h, 40);
    struct rt_ca_request r = req(h, 40);
    r.now_s = 100;
    double full = (40.0 * BC + 100) / 4, own = 100.0 / 4, held = 40.0 * BC / 4;
    double spills = full - own + 0.5 * full + 50; /* a's queue when idle instances spill */
    a->pending_prefill = spills;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    ASSERT_STR_EQ(ch.reason, "spill");
    /* Both were sent 80% of what they can prefill lately: moving would add the held prefix's
     * prefill to busy instances, where it counts 0.8 / 0.2 = 4 times. a keeps it... */
    rt_cache_aware_note_work(a, 0.8 * 10000 * RT_WORK_DECAY_S, 100);
    rt_cache_aware_note_work(b, 0.8 * 10000 * RT_WORK_DECAY_S, 100);
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 0);
    ASSERT_STR_EQ(ch.reason, "prefix");
    /* ... until its queue is longer by those 4 prefills too. */
    a->pending_prefill = spills + 4 * held;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    /* The load fades (RT_WORK_DECAY_S): much later the plain rule is back. */
    a->pending_prefill = spills;
    r.now_s = 100 + 20 * RT_WORK_DECAY_S;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    /* A hot prefix is exempt even under load: its second copy pays for itself. */
    r.now_s = 100;
    r.share = 0.9;
    ASSERT_EQ(choose(x, &r, c, 2, &ch), 1);
    free_all(x, c, 2);
}

TEST(a_short_shared_head_goes_to_its_least_busy_holder)
{
    struct rt_prefix_index *x = rt_prefix_index_new(1 << 20);
    struct rt_instance *a = inst_new(x, "a"), *b = inst_new(x, "b"), *e = inst_new(x, "e");
    struct rt_instance *c[3] = {a, b, e};
    uint64_t h[40];
    struct rt_ca_choice ch;

    /* a and b hold the first 4 blocks of a 40-block prompt (a system prompt): whichever gets
     * it writes the other 36 afresh, so the less busy one does, however little. */
    chain(4, 40, h);
    rt_prefix_index_insert(x, a->prefix_member, h, 4);
    rt_prefix_index_insert(x, b->prefix_member, h, 4);
    struct rt_ca_request r = req(h, 40);
    size_t first = choose(x, &r, c, 3, &ch);
    ASSERT_TRUE(first < 2);
    ASSERT_STR_EQ(ch.reason, "prefix");
    c[first]->pending_prefill = 100;
    ASSERT_EQ(choose(x, &r, c, 3, &ch), 1 - first);
    ASSERT_STR_EQ(ch.reason, "prefix");
    /* Both holding most of it: one stable home (the rendezvous owner), even a little busier. */
    rt_prefix_index_insert(x, a->prefix_member, h, 36);
    rt_prefix_index_insert(x, b->prefix_member, h, 36);
    c[first]->pending_prefill = 0;
    size_t home = choose(x, &r, c, 3, &ch);
    c[home]->pending_prefill = 100;
    ASSERT_EQ(choose(x, &r, c, 3, &ch), home);
    free_all(x, c, 3);
}

HARNESS_MAIN(CASE(prompt_goes_to_the_holder),
             CASE(loaded_holder_loses_once_its_queue_costs_clearly_more_than_the_prefill),
             CASE(cold_prompt_goes_to_its_rendezvous_owner_in_any_order),
             CASE(two_indexes_fed_in_different_orders_agree),
             CASE(busy_owner_of_a_cold_prompt_is_passed_over), CASE(session_is_sticky_but_soft),
             CASE(engine_queue_from_other_routers_counts), CASE(sessions_expire_and_stay_bounded),
             CASE(demand_share_tells_hot_from_cold),
             CASE(a_prefix_evicted_everywhere_goes_to_the_least_busy),
             CASE(a_move_costs_more_as_the_instances_fill),
             CASE(a_short_shared_head_goes_to_its_least_busy_holder))
