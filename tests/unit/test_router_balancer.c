/* Unit tests for router/balancer over a real instance table: per-model round-robin, key
 * stickiness independent of insertion order, movement only on membership change, bounded-load
 * spill, cache_type size classes, exclusions, least-load and panic mode. */
#include "balancer.h"

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

HARNESS_MAIN(CASE(round_robin_is_per_model), CASE(key_mapping_independent_of_insertion_order),
             CASE(keys_move_only_off_a_leaving_instance), CASE(bounded_load_spills_to_next),
             CASE(load_floor_keeps_keys_home_at_low_load), CASE(size_classes_avoid_the_other_label),
             CASE(exclusions_unknown_models_and_non_routable), CASE(least_load_and_panic))
