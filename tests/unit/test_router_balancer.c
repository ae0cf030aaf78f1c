/* Unit tests for router/balancer over a real instance table: per-model round-robin, key
 * stickiness independent of insertion order, movement only on membership change, the load-bound
 * formula and bounded-load picks (simulated traffic with uniform keys and a hot key, each pick
 * checked against the definition; spills along the key's order; nobody eligible; one instance;
 * no instance; a re-registered name), cache_type size classes, exclusions, least-load and panic
 * mode. */
#include "balancer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "harness.h"
#include "json.h"
#include "services.h"

static uv_loop_t loop;

static struct rt_services *table(void)
{
    ASSERT_EQ(uv_loop_init(&loop), 0);
    return rt_services_new(&loop, 4);
}

static void done(struct rt_services *s)
{
    rt_services_free(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

/* Adds an openai-api instance serving the comma-separated models, with an optional class. */
static struct rt_instance *add(struct rt_services *s, const char *name, int port,
                               const char *models, const char *cache_type)
{
    char text[512];

    snprintf(text, sizeof(text), "{\"type\":\"openai-api\",\"models\":[%s]%s%s%s}", models,
             cache_type ? ",\"cache_type\":\"" : "", cache_type ? cache_type : "",
             cache_type ? "\"" : "");
    cJSON *md = json_parse(text, strlen(text), NULL);
    ASSERT_NOT_NULL(md);
    struct rt_instance_desc d = {.name = name,
                                 .host = "127.0.0.1",
                                 .port = port,
                                 .metadata = md,
                                 .registry_healthy = true,
                                 .source = RT_SOURCE_REGISTRY};
    struct rt_instance *inst = rt_services_upsert(s, &d);
    cJSON_Delete(md);
    inst->probe_ok = true; /* as if its first probe had passed */
    return inst;
}

static struct rt_pick_req req(const char *model, const char *key)
{
    return (struct rt_pick_req){.policy = RT_POLICY_KEY_OR_RR,
                                .model = model,
                                .key = key,
                                .key_len = key ? strlen(key) : 0,
                                .balance_factor = 1.25,
                                .cache_type_threshold = 51200,
                                .now_ms = 1000,
                                .now_s = 1e9};
}

static struct rt_instance *pick(struct rt_services *s, struct rt_pick_req r, char *reason)
{
    struct rt_pick p;

    if (rt_balancer_pick(s, &r, &p) < 0)
        return NULL;
    if (reason != NULL)
        snprintf(reason, 64, "%s", p.reason);
    return p.inst;
}

TEST(round_robin_is_per_model)
{
    struct rt_services *s = table();
    struct rt_instance *a = add(s, "a", 1001, "\"m1\",\"m2\"", NULL);
    struct rt_instance *b = add(s, "b", 1002, "\"m1\",\"m2\"", NULL);
    int count_m1[2] = {0}, count_m2[2] = {0};

    /* Interleaved models: with one global counter (the reference) each model would stick to
     * one instance; per-model cursors spread both. */
    for (int i = 0; i < 100; i++) {
        struct rt_instance *x = pick(s, req("m1", NULL), NULL);
        struct rt_instance *y = pick(s, req("m2", NULL), NULL);
        count_m1[x == b]++;
        count_m2[y == b]++;
    }
    ASSERT_EQ(count_m1[0], 50);
    ASSERT_EQ(count_m2[0], 50);
    ASSERT_TRUE(a != b);
    done(s);
}

TEST(key_mapping_independent_of_insertion_order)
{
    struct rt_services *s1 = table();
    const char *names[] = {"inst-a", "inst-b", "inst-c", "inst-d"};
    for (int i = 0; i < 4; i++)
        add(s1, names[i], 2000 + i, "\"m\"", NULL);
    static struct rt_instance *first[1000];
    char key[32];
    for (int k = 0; k < 1000; k++) {
        snprintf(key, sizeof(key), "conv-%d", k);
        first[k] = pick(s1, req("m", key), NULL);
        ASSERT_TRUE(pick(s1, req("m", key), NULL) == first[k]); /* sticky */
    }
    static char owner[1000][16];
    for (int k = 0; k < 1000; k++)
        snprintf(owner[k], sizeof(owner[k]), "%s", first[k]->name);
    done(s1);

    struct rt_services *s2 = table();
    for (int i = 3; i >= 0; i--)
        add(s2, names[i], 2000 + i, "\"m\"", NULL);
    for (int k = 0; k < 1000; k++) {
        snprintf(key, sizeof(key), "conv-%d", k);
        ASSERT_STR_EQ(pick(s2, req("m", key), NULL)->name, owner[k]);
    }
    done(s2);
}

TEST(keys_move_only_off_a_leaving_instance)
{
    struct rt_services *s = table();
    struct rt_instance *inst[5];
    char name[16], key[32];
    static struct rt_instance *before[2000];
    int moved = 0, owned = 0;

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        inst[i] = add(s, name, 3000 + i, "\"m\"", NULL);
    }
    for (int k = 0; k < 2000; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        before[k] = pick(s, req("m", key), NULL);
        owned += before[k] == inst[2];
    }
    rt_instance_ref(inst[2]);
    rt_services_remove(s, inst[2]);
    for (int k = 0; k < 2000; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        struct rt_instance *now = pick(s, req("m", key), NULL);
        ASSERT_TRUE(now != inst[2]);
        if (now != before[k]) {
            ASSERT_TRUE(before[k] == inst[2]); /* only the leaver's keys move */
            moved++;
        }
    }
    /* Exactly the leaver's keys moved (the 1/n + 2% balance bound is test_ring's). */
    ASSERT_EQ(moved, owned);
    ASSERT_TRUE(owned > 0);
    rt_instance_unref(inst[2]);
    done(s);
}

TEST(bounded_load_spills_to_next)
{
    struct rt_services *s = table();
    add(s, "a", 4001, "\"m\"", NULL);
    add(s, "b", 4002, "\"m\"", NULL);
    add(s, "c", 4003, "\"m\"", NULL);
    char reason[64];
    struct rt_instance *owner = pick(s, req("m", "hot"), reason);
    ASSERT_STR_EQ(reason, "key-hash");

    /* total 6 in flight, 3 eligible: bound = ceil(1.25 * 7 / 3) = 3: the owner at 3 is full. */
    owner->in_flight = 3;
    size_t n;
    struct rt_instance *const *all = rt_services_all(s, &n);
    for (size_t i = 0; i < n; i++) {
        if (all[i] != owner)
            all[i]->in_flight = 1;
    }
    struct rt_instance *spill = pick(s, req("m", "hot"), reason);
    ASSERT_TRUE(spill != owner);
    ASSERT_STR_EQ(reason, "key-spill");
    /* Below the bound it goes home again. */
    owner->in_flight = 2;
    ASSERT_TRUE(pick(s, req("m", "hot"), reason) == owner);
    /* key-hash policy never spills. */
    owner->in_flight = 100;
    struct rt_pick_req kh = req("m", "hot");
    kh.policy = RT_POLICY_KEY_HASH;
    ASSERT_TRUE(pick(s, kh, reason) == owner);
    for (size_t i = 0; i < n; i++)
        all[i]->in_flight = 0;
    done(s);
}

TEST(load_floor_keeps_keys_home_at_low_load)
{
    struct rt_services *s = table();
    add(s, "a", 4101, "\"m\"", NULL);
    add(s, "b", 4102, "\"m\"", NULL);
    struct rt_pick_req r = req("m", "hot");
    r.load_floor = 8;
    struct rt_instance *owner = pick(s, r, NULL);

    /* Classic bounded loads would spill at 2 in flight (ceil(1.25 * 3 / 2) = 2)... */
    owner->in_flight = 2;
    ASSERT_TRUE(pick(s, req("m", "hot"), NULL) != owner);
    /* ...the floor keeps the key home until 8, then the bound takes over. */
    for (unsigned load = 2; load < 8; load++) {
        owner->in_flight = load;
        ASSERT_TRUE(pick(s, r, NULL) == owner);
    }
    owner->in_flight = 8;
    char reason[64];
    ASSERT_TRUE(pick(s, r, reason) != owner);
    ASSERT_STR_EQ(reason, "key-spill");
    /* With the other instance busy too the c x mean bound is above the floor: home again. */
    size_t n;
    struct rt_instance *const *all = rt_services_all(s, &n);
    for (size_t i = 0; i < n; i++) {
        if (all[i] != owner)
            all[i]->in_flight = 8;
    }
    owner->in_flight = 9; /* ceil(1.25 * 18 / 2) = 12 */
    ASSERT_TRUE(pick(s, r, NULL) == owner);
    for (size_t i = 0; i < n; i++)
        all[i]->in_flight = 0;
    done(s);
}

TEST(size_classes_avoid_the_other_label)
{
    struct rt_services *s = table();
    struct rt_instance *paged = add(s, "paged", 5001, "\"m\"", "paged");
    struct rt_instance *stat = add(s, "static", 5002, "\"m\"", "static");
    struct rt_instance *plain = add(s, "plain", 5003, "\"m\"", NULL);
    char reason[64];

    for (int i = 0; i < 20; i++) {
        struct rt_pick_req small = req("m", NULL);
        small.size_known = true;
        small.content_bytes = 100;
        struct rt_instance *x = pick(s, small, reason);
        ASSERT_TRUE(x == paged || x == plain); /* unlabelled instances are not starved */
        ASSERT_CONTAINS(reason, "size-paged");
        struct rt_pick_req big = small;
        big.content_bytes = 60000;
        x = pick(s, big, reason);
        ASSERT_TRUE(x == stat || x == plain);
        ASSERT_CONTAINS(reason, "size-static");
    }
    /* No eligible static instance: the class is dropped and anyone may serve. */
    stat->probe_ok = false;
    struct rt_pick_req big = req("m", NULL);
    big.size_known = true;
    big.content_bytes = 60000;
    int saw_paged = 0;
    for (int i = 0; i < 10; i++)
        saw_paged += pick(s, big, reason) == paged;
    ASSERT_TRUE(saw_paged > 0);
    done(s);
}

TEST(exclusions_unknown_models_and_non_routable)
{
    struct rt_services *s = table();
    struct rt_instance *a = add(s, "a", 6001, "\"m\"", NULL);
    struct rt_instance *b = add(s, "b", 6002, "\"m\"", NULL);
    cJSON *md = json_parse("{\"type\":\"command\"}", 18, NULL);
    struct rt_instance_desc d = {.name = "self",
                                 .host = "h",
                                 .port = 6003,
                                 .metadata = md,
                                 .registry_healthy = true,
                                 .source = RT_SOURCE_REGISTRY};
    rt_services_upsert(s, &d);
    cJSON_Delete(md);
    struct rt_instance *tried[] = {a};
    struct rt_pick_req r = req("m", "key");
    r.exclude = tried;
    r.nexclude = 1;
    ASSERT_TRUE(pick(s, r, NULL) == b);
    struct rt_instance *both[] = {a, b};
    r.exclude = both;
    r.nexclude = 2;
    ASSERT_NULL(pick(s, r, NULL));
    ASSERT_NULL(pick(s, req("no-such-model", NULL), NULL));
    for (int i = 0; i < 10; i++) {
        struct rt_instance *x = pick(s, req(NULL, NULL), NULL);
        ASSERT_TRUE(x == a || x == b); /* the command-type record is never routed to */
    }
    done(s);
}

TEST(least_load_and_panic)
{
    struct rt_services *s = table();
    struct rt_instance *a = add(s, "a", 7001, "\"m\"", NULL);
    struct rt_instance *b = add(s, "b", 7002, "\"m\"", NULL);
    char reason[64];
    struct rt_pick_req r = req("m", NULL);

    r.policy = RT_POLICY_LEAST_LOAD;
    a->in_flight = 5;
    b->in_flight = 2;
    ASSERT_TRUE(pick(s, r, reason) == b);
    ASSERT_STR_EQ(reason, "least-load");
    a->in_flight = b->in_flight = 0;
    /* Both ejected: better to try one than to fail fast. */
    rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 1, 1000);
    rt_instance_note_failure(b, RT_FAULT_TRANSPORT, 1, 1000);
    ASSERT_FALSE(rt_instance_is_eligible(a, 1000));
    struct rt_instance *x = pick(s, req("m", NULL), reason);
    ASSERT_NOT_NULL(x);
    ASSERT_CONTAINS(reason, "panic");
    /* A failed probe is stronger than an ejection: never chosen. */
    a->probe_ok = b->probe_ok = false;
    ASSERT_NULL(pick(s, req("m", NULL), NULL));
    done(s);
}

/* ---------------------------------------------------------------- bounded loads */

TEST(load_bound_formula)
{
    ASSERT_EQ(rt_balancer_load_bound(16, 4, 1.25, 1), 6);   /* ceil(1.25 * 17 / 4) */
    ASSERT_EQ(rt_balancer_load_bound(4, 1, 1.25, 1), 7);    /* ceil(1.25 * 5 / 1) */
    ASSERT_EQ(rt_balancer_load_bound(8, 2, 1.25, 1), 6);    /* ceil(1.25 * 9 / 2) */
    ASSERT_EQ(rt_balancer_load_bound(16, 4, 0.5, 1), 5);    /* c < 1 counts as 1 */
    ASSERT_EQ(rt_balancer_load_bound(16, 4, NAN, 1), 5);    /* and so does NaN */
    ASSERT_EQ(rt_balancer_load_bound(16, 4, 2.0, 1), 9);    /* ceil(2 * 17 / 4) */
    ASSERT_EQ(rt_balancer_load_bound(16, 0, 1.25, 8), 0);   /* nothing to bound */
    ASSERT_EQ(rt_balancer_load_bound(0, 4, 1.25, 1), 1);    /* ceil(1.25 / 4) */
    ASSERT_EQ(rt_balancer_load_bound(0, 4, 1.25, 0), 1);    /* a floor of 0 is no floor */
    ASSERT_EQ(rt_balancer_load_bound(16, 4, 1.25, 8), 8);   /* the floor lifts the bound */
    ASSERT_EQ(rt_balancer_load_bound(100, 4, 1.25, 8), 32); /* ceil(1.25 * 101 / 4) above it */
    ASSERT_TRUE(rt_balancer_load_bound(0, 4, 1e300, 1) == UINT64_MAX);
    ASSERT_TRUE(rt_balancer_load_bound(0, 4, INFINITY, 1) == UINT64_MAX);
    ASSERT_TRUE(rt_balancer_load_bound(UINT64_MAX, 1, 1.0, 1) == UINT64_MAX);
}

static uint64_t rng_state = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A keyed request for model "m" with the classic bound (floor 1). */
static struct rt_pick_req keyed(const char *key)
{
    struct rt_pick_req r = req("m", key);

    r.load_floor = 1;
    return r;
}

/* The key's order of preference over the n instances of model "m", found through the production
 * path alone: with every instance eligible and idle, the pick that excludes the first i of the
 * order is the (i+1)-th. Writes n instances to `order`. */
static void key_order(struct rt_services *s, const char *key, struct rt_instance **order, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct rt_pick_req r = keyed(key);
        r.exclude = order;
        r.nexclude = i;
        order[i] = pick(s, r, NULL);
        ASSERT_NOT_NULL(order[i]);
        for (size_t j = 0; j < i; j++)
            ASSERT_TRUE(order[j] != order[i]);
    }
    struct rt_pick_req r = keyed(key);
    r.exclude = order;
    r.nexclude = n;
    ASSERT_NULL(pick(s, r, NULL));
}

/* The bound rt_balancer_pick() must respect: over the eligible instances. */
static uint64_t bound_now(struct rt_services *s, double c, unsigned floor_)
{
    size_t n, k = 0;
    struct rt_instance *const *all = rt_services_all(s, &n);
    uint64_t total = 0;

    for (size_t i = 0; i < n; i++) {
        if (rt_instance_is_eligible(all[i], 1000)) {
            total += all[i]->in_flight;
            k++;
        }
    }
    return rt_balancer_load_bound(total, k, c, floor_);
}

enum { SIM_N = 10, SIM_KEYS = 1000, SIM_REQUESTS = 10000, SIM_TARGET_INFLIGHT = 64 };

struct sim {
    struct rt_services *s;
    struct rt_instance *inst[SIM_N];
    struct rt_instance *order[SIM_KEYS][SIM_N]; /* each key's order */
    struct rt_instance *inflight[SIM_REQUESTS]; /* instance of each request in flight */
    size_t n_inflight;
    int spills;
};

static const char *sim_key(int k)
{
    static char key[32];

    snprintf(key, sizeof(key), "conversation-%d", k);
    return key;
}

static void sim_setup(struct sim *x)
{
    char name[16];

    x->s = table();
    for (int i = 0; i < SIM_N; i++) {
        snprintf(name, sizeof(name), "inst-%d", i);
        x->inst[i] = add(x->s, name, 8000 + i, "\"m\"", NULL);
    }
    for (int k = 0; k < SIM_KEYS; k++)
        key_order(x->s, sim_key(k), x->order[k], SIM_N);
}

/* One request for key k, checked against the definition: the chosen instance is eligible and
 * below the bound, every instance the key's order passed over was ineligible or full, and it
 * is a spill exactly when an eligible instance was passed over. */
static void sim_assign(struct sim *x, int k)
{
    uint64_t bound = bound_now(x->s, 1.25, 1);
    char reason[64];
    struct rt_instance *m = pick(x->s, keyed(sim_key(k)), reason);

    ASSERT_NOT_NULL(m);
    ASSERT_TRUE(rt_instance_is_eligible(m, 1000));
    ASSERT_LT(m->in_flight, bound);
    bool passed_eligible = false;
    size_t i = 0;
    for (; i < SIM_N && x->order[k][i] != m; i++) {
        struct rt_instance *skipped = x->order[k][i];
        bool eligible = rt_instance_is_eligible(skipped, 1000);
        ASSERT_TRUE(!eligible || skipped->in_flight >= bound);
        passed_eligible |= eligible;
    }
    ASSERT_LT(i, SIM_N); /* the pick is in the key's order */
    ASSERT_STR_EQ(reason, passed_eligible ? "key-spill" : "key-hash");
    x->spills += passed_eligible;
    m->in_flight++;
    x->inflight[x->n_inflight++] = m;
}

/* Completes a random request in flight. */
static void sim_complete(struct sim *x)
{
    size_t i = rng() % x->n_inflight;

    x->inflight[i]->in_flight--;
    x->inflight[i] = x->inflight[--x->n_inflight];
}

/* SIM_REQUESTS requests, hot_percent of them on key 0, the rest on uniform keys, about
 * SIM_TARGET_INFLIGHT in flight; instance 3 is ineligible, or with `flap` a random quarter of the
 * instances every 500 requests (instance 0 never). */
static void simulate(struct sim *x, int hot_percent, bool flap)
{
    x->n_inflight = 0;
    x->spills = 0;
    for (int i = 0; i < SIM_N; i++) {
        x->inst[i]->in_flight = 0;
        x->inst[i]->probe_ok = i != 3;
    }
    for (int n = 0; n < SIM_REQUESTS; n++) {
        if (flap && n % 500 == 0)
            for (int i = 0; i < SIM_N; i++)
                x->inst[i]->probe_ok = rng() % 4 != 0 || i == 0;
        int k = (int)(rng() % 100) < hot_percent ? 0 : (int)(rng() % SIM_KEYS);
        sim_assign(x, k);
        while (x->n_inflight > SIM_TARGET_INFLIGHT || (x->n_inflight > 0 && rng() % 2 == 0))
            sim_complete(x);
    }
    while (x->n_inflight > 0)
        sim_complete(x);
}

TEST(bounded_loads_uniform_keys)
{
    static struct sim x;

    sim_setup(&x);
    simulate(&x, 0, false);
    printf("uniform: %d spills of %d\n", x.spills, SIM_REQUESTS);
    done(x.s);
}

TEST(bounded_loads_hot_key)
{
    static struct sim x;

    sim_setup(&x);
    simulate(&x, 50, false);
    printf("hot key 50%%: %d spills of %d\n", x.spills, SIM_REQUESTS);
    /* Half the traffic on one key cannot fit under 1.25x the mean on one instance. */
    ASSERT_LT(1000, x.spills);
    simulate(&x, 50, true);
    printf("hot key 50%% with eligibility flapping: %d spills\n", x.spills);
    done(x.s);
}

TEST(spill_goes_clockwise)
{
    struct rt_services *s = table();
    struct rt_instance *o[5];
    char name[16], reason[64];

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "inst-%d", i);
        add(s, name, 8100 + i, "\"m\"", NULL);
    }
    key_order(s, "k777", o, 5);
    /* Fill the owner: bound = ceil(1.25 * 11 / 5) = 3, the owner at 10 is full. */
    o[0]->in_flight = 10;
    ASSERT_TRUE(pick(s, keyed("k777"), reason) == o[1]);
    ASSERT_STR_EQ(reason, "key-spill");
    /* The next one ineligible: skip to the third (bound ceil(1.25 * 11 / 4) = 4). */
    o[1]->probe_ok = false;
    ASSERT_TRUE(pick(s, keyed("k777"), reason) == o[2]);
    ASSERT_STR_EQ(reason, "key-spill");
    /* The third full too (bound ceil(1.25 * 19 / 4) = 6): the fourth. */
    o[2]->in_flight = 8;
    ASSERT_EQ(bound_now(s, 1.25, 1), 6);
    ASSERT_TRUE(pick(s, keyed("k777"), reason) == o[3]);
    ASSERT_STR_EQ(reason, "key-spill");
    /* Everyone but the last full (bound ceil(1.25 * 31 / 4) = 10): the last. */
    o[2]->in_flight = o[3]->in_flight = 10;
    ASSERT_EQ(bound_now(s, 1.25, 1), 10);
    ASSERT_TRUE(pick(s, keyed("k777"), reason) == o[4]);
    ASSERT_STR_EQ(reason, "key-spill");
    /* The owner ineligible and nobody full: the next eligible is the owner, not a spill. */
    o[0]->probe_ok = false;
    o[1]->probe_ok = true;
    o[2]->in_flight = o[3]->in_flight = 0;
    ASSERT_TRUE(pick(s, keyed("k777"), reason) == o[1]);
    ASSERT_STR_EQ(reason, "key-hash");
    for (int i = 0; i < 5; i++)
        o[i]->in_flight = 0;
    done(s);
}

TEST(all_ineligible)
{
    struct rt_services *s = table();
    struct rt_instance *o[5];
    char name[16], reason[64];
    struct rt_pick p;

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "inst-%d", i);
        add(s, name, 8200 + i, "\"m\"", NULL);
    }
    key_order(s, "k1", o, 5);
    /* Every probe failing: nothing to route to, not even in panic. */
    for (int i = 0; i < 5; i++)
        o[i]->probe_ok = false;
    struct rt_pick_req r = keyed("k1");
    ASSERT_EQ(rt_balancer_pick(s, &r, &p), SVC_ENOROUTE);
    ASSERT_NULL(p.inst);
    /* Every one only ejected: panic takes the key's owner, loads aside. */
    for (int i = 0; i < 5; i++) {
        o[i]->probe_ok = true;
        rt_instance_note_failure(o[i], RT_FAULT_TRANSPORT, 1, 1000);
        ASSERT_FALSE(rt_instance_is_eligible(o[i], 1000));
    }
    o[0]->in_flight = 50;
    ASSERT_TRUE(pick(s, keyed("k1"), reason) == o[1]);
    ASSERT_STR_EQ(reason, "panic key-spill");
    o[0]->in_flight = 0;
    ASSERT_TRUE(pick(s, keyed("k1"), reason) == o[0]);
    ASSERT_STR_EQ(reason, "panic key-hash");
    done(s);
}

TEST(single_member)
{
    struct rt_services *s = table();
    struct rt_instance *only = add(s, "only", 8300, "\"m\"", NULL);
    char reason[64], key[32];

    /* Alone, its load is the mean: always below the bound, whatever the key. */
    only->in_flight = 1000;
    for (int k = 0; k < 100; k++) {
        snprintf(key, sizeof(key), "conversation-%d", k);
        ASSERT_TRUE(pick(s, keyed(key), reason) == only);
        ASSERT_STR_EQ(reason, "key-hash");
    }
    only->probe_ok = false;
    ASSERT_NULL(pick(s, keyed("conversation-1"), NULL));
    only->in_flight = 0;
    done(s);
}

TEST(empty_table)
{
    struct rt_services *s = table();
    struct rt_pick p;
    struct rt_pick_req r = keyed("k");

    ASSERT_EQ(rt_balancer_pick(s, &r, &p), SVC_ENOROUTE);
    ASSERT_NULL(p.inst);
    /* Instances of another model only: "m" has no view at all. */
    add(s, "other", 8400, "\"m2\"", NULL);
    ASSERT_EQ(rt_balancer_pick(s, &r, &p), SVC_ENOROUTE);
    ASSERT_NULL(p.inst);
    done(s);
}

/* The key order follows names, not instance objects: an instance that leaves and comes back
 * under its name (a restart, a new address) takes back exactly its keys, while the old one,
 * still held by a transfer, takes none; and while it is unavailable its keys go to the next in
 * their order without counting as spills. */
TEST(same_name_takes_the_keys)
{
    enum { N = 4, K = 500 };
    struct rt_services *s = table();
    struct rt_instance *inst[N], *order[N];
    static char owner[K][16];
    char name[16], key[32], reason[64];

    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "inst-%d", i);
        inst[i] = add(s, name, 8500 + i, "\"m\"", NULL);
    }
    for (int k = 0; k < K; k++) {
        snprintf(key, sizeof(key), "conversation-%d", k);
        snprintf(owner[k], sizeof(owner[k]), "%s", pick(s, keyed(key), NULL)->name);
    }
    struct rt_instance *old = inst[1];
    rt_instance_ref(old); /* a transfer still holds it */
    rt_services_remove(s, old);
    struct rt_instance *again = add(s, "inst-1", 8600, "\"m\"", NULL);
    ASSERT_TRUE(again != old);
    int owned = 0;
    for (int k = 0; k < K; k++) {
        snprintf(key, sizeof(key), "conversation-%d", k);
        struct rt_instance *now = pick(s, keyed(key), NULL);
        ASSERT_TRUE(now != old);
        ASSERT_STR_EQ(now->name, owner[k]);
        owned += now == again;
    }
    ASSERT_TRUE(owned > 0);
    /* Its probe not passed yet: each of its keys goes to the next in the key's order. */
    for (int k = 0; k < K; k++) {
        if (strcmp(owner[k], "inst-1") != 0)
            continue;
        snprintf(key, sizeof(key), "conversation-%d", k);
        key_order(s, key, order, N);
        ASSERT_TRUE(order[0] == again);
        again->probe_ok = false;
        ASSERT_TRUE(pick(s, keyed(key), reason) == order[1]);
        ASSERT_STR_EQ(reason, "key-hash");
        again->probe_ok = true;
    }
    rt_instance_unref(old);
    done(s);
}

HARNESS_MAIN(CASE(round_robin_is_per_model), CASE(key_mapping_independent_of_insertion_order),
             CASE(keys_move_only_off_a_leaving_instance), CASE(bounded_load_spills_to_next),
             CASE(load_floor_keeps_keys_home_at_low_load), CASE(size_classes_avoid_the_other_label),
             CASE(exclusions_unknown_models_and_non_routable), CASE(least_load_and_panic),
             CASE(load_bound_formula), CASE(bounded_loads_uniform_keys),
             CASE(bounded_loads_hot_key), CASE(spill_goes_clockwise), CASE(all_ineligible),
             CASE(single_member), CASE(empty_table), CASE(same_name_takes_the_keys))
