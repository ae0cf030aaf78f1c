/* infini-microbench: single-threaded timings of the router's hot pure functions, printed with
 * the conditions they were measured under: a key's walk on a 1,000-member ring and on rendezvous
 * sizes, ring construction, the balancer's whole bounded-load decision (rt_balancer_pick), request
 * body extraction on a 32 KB chat body and on 1 MiB bodies, hash64, and the cache-aware path
 * (prompt block hashing plus prefix-index lookup and insert, on 32 KB and 512 KB prompts against an
 * index already holding a million blocks). DESIGN.md §7 asks for a routing decision within 2 us at
 * 1,000 instances and a prefix lookup + insert within 10 us for 32 KB (100 us for 512 KB). Each
 * figure is the median of 5 rounds of at least 0.2 s; build with -DCMAKE_BUILD_TYPE=Release for
 * real numbers. Links router_core; uses CLOCK_MONOTONIC. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "model_extract.h"
#include "prefix_hash.h"
#include "prefix_index.h"
#include "balancer.h"
#include "json.h"
#include "ring.h"
#include "services.h"
#include "xalloc.h"

#define ROUNDS    5
#define MIN_ROUND 0.2 /* seconds */
#define MEMBERS   1000
#define KEYS      (1u << 16)

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs fn(ud, n) with growing n until a round lasts MIN_ROUND, then ROUNDS rounds; returns the
 * median seconds per operation. fn returns a value that is folded into a sink so the work is
 * not optimised away. */
typedef uint64_t (*bench_cb)(void *ud, size_t n);
static volatile uint64_t sink;

static double measure(bench_cb fn, void *ud)
{
    size_t n = 1;
    double t;

    for (;;) {
        double t0 = now();
        sink += fn(ud, n);
        t = now() - t0;
        if (t >= MIN_ROUND)
            break;
        n = t < MIN_ROUND / 100 ? n * 10 : (size_t)((double)n * MIN_ROUND * 1.2 / t) + 1;
    }
    double per[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        sink += fn(ud, n);
        per[r] = (now() - t0) / (double)n;
    }
    qsort(per, ROUNDS, sizeof(per[0]), cmp_double);
    return per[ROUNDS / 2];
}

struct ring_bench {
    const char **names;
    struct rt_ring *ring;
    uint64_t keys[KEYS];
};

static bool accept_first(void *ud, unsigned m)
{
    (void)ud;
    (void)m;
    return true;
}

static uint64_t run_walk(void *ud, size_t n)
{
    struct ring_bench *b = ud;
    uint64_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc += (uint64_t)rt_ring_walk(b->ring, b->keys[i % KEYS], accept_first, NULL);
    return acc;
}

static uint64_t run_build(void *ud, size_t n)
{
    struct ring_bench *b = ud;
    uint64_t acc = 0;

    for (size_t i = 0; i < n; i++) {
        struct rt_ring *r = rt_ring_new(b->names, MEMBERS, 0);
        acc += rt_ring_size(r);
        rt_ring_free(r);
    }
    return acc;
}

static void bench_ring(void)
{
    struct ring_bench *b = xcalloc(1, sizeof(*b));
    char(*store)[32] = xmalloc(MEMBERS * sizeof(*store));

    b->names = xmalloc(MEMBERS * sizeof(*b->names));
    for (size_t i = 0; i < MEMBERS; i++) {
        snprintf(store[i], sizeof(store[i]), "10.%zu.%zu.7:8000", i / 256, i % 256);
        b->names[i] = store[i];
    }
    for (size_t i = 0; i < KEYS; i++)
        b->keys[i] = rng();
    b->ring = rt_ring_new(b->names, MEMBERS, 0);
    printf("ring: %d members x %u vnodes = %d points, names like \"%s\"\n", MEMBERS,
           RT_RING_DEFAULT_VNODES, MEMBERS * (int)RT_RING_DEFAULT_VNODES, b->names[1]);
    printf("  rt_ring_walk          %8.1f ns/op  (%u random keys, first member accepted)\n",
           measure(run_walk, b) * 1e9, KEYS);
    printf("  rt_ring_new           %8.3f ms/op  (%d members, default vnodes)\n",
           measure(run_build, b) * 1e3, MEMBERS);
    rt_ring_free(b->ring);
    /* Small fleets use rendezvous hashing: one hash per member per lookup. */
    static const size_t small[] = {2, 16, 100, RT_RING_RENDEZVOUS_MAX};
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
        b->ring = rt_ring_new(b->names, small[i], 0);
        printf("rendezvous: %3zu members  rt_ring_walk %7.1f ns/op\n", small[i],
               measure(run_walk, b) * 1e9);
        rt_ring_free(b->ring);
    }
    free(b->names);
    free(store);
    free(b);
}

struct body {
    char *data;
    size_t len;
    size_t cap;
};

static void put(struct body *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void puts_(struct body *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Text of about `bytes` raw bytes: English prose with an escaped newline per ~80 bytes, or
 * CJK (3-byte UTF-8) text. */
static void put_text(struct body *b, size_t bytes, bool cjk)
{
    static const char *const words[] = {"the ",       "model ", "routes ", "requests ",  "to ",
                                        "instances ", "with ",  "cached ", "prefixes, ", "and "};
    size_t start = b->len, line = 0;

    while (b->len - start < bytes) {
        if (cjk) {
            puts_(b, "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c");
            continue;
        }
        const char *w = words[rng() % 10];
        puts_(b, w);
        line += strlen(w);
        if (line > 80) {
            puts_(b, "\\n");
            line = 0;
        }
    }
}

/* A chat completion request of about `bytes`: a system prompt and alternating turns. */
static struct body make_chat(size_t bytes, int turns, bool cjk)
{
    struct body b = {NULL, 0, 0};

    puts_(&b, "{\"model\":\"qwen3-32b\",\"stream\":true,\"prompt_cache_key\":\"conv-1234\","
              "\"messages\":[{\"role\":\"system\",\"content\":\"");
    put_text(&b, bytes / (size_t)(turns + 1), cjk);
    for (int t = 0; t < turns; t++) {
        puts_(&b, t % 2 ? "\"},{\"role\":\"assistant\",\"content\":\""
                        : "\"},{\"role\":\"user\",\"content\":\"");
        put_text(&b, bytes / (size_t)(turns + 1), cjk);
    }
    puts_(&b, "\"}],\"max_tokens\":256,\"temperature\":0.7,\"top_p\":0.9}");
    return b;
}

static uint64_t run_extract(void *ud, size_t n)
{
    const struct body *b = ud;
    static struct rt_extract e;
    uint64_t acc = 0;

    for (size_t i = 0; i < n; i++) {
        rt_extract_body(b->data, b->len, &e);
        acc += e.content_bytes + e.json_ok;
    }
    return acc;
}

static void bench_one_body(const char *what, struct body b)
{
    struct rt_extract e;

    rt_extract_body(b.data, b.len, &e);
    if (!e.json_ok) {
        fprintf(stderr, "microbench: generated body is not valid JSON\n");
        exit(1);
    }
    double t = measure(run_extract, &b);
    printf("  %-34s %9.2f us/op %8.0f MB/s  (%zu bytes, content_bytes %zu, %zu spans)\n", what,
           t * 1e6, (double)b.len / t / 1e6, b.len, e.content_bytes, e.n_spans);
    free(b.data);
}

static void bench_extract(void)
{
    printf("rt_extract_body:\n");
    bench_one_body("32 KB chat body, 8 turns", make_chat(32 * 1024, 8, false));
    bench_one_body("1 MiB chat body, 1 turn", make_chat(1u << 20, 1, false));
    bench_one_body("1 MiB chat body, CJK text", make_chat(1u << 20, 1, true));
}

struct hash_bench {
    const unsigned char *data;
    size_t len;
};

static uint64_t run_hash(void *ud, size_t n)
{
    const struct hash_bench *h = ud;
    uint64_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc += hash64(h->data, h->len, acc);
    return acc;
}

static void bench_hash(void)
{
    static unsigned char buf[1u << 20];
    static const size_t lens[] = {16, 64, 1u << 20};

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)rng();
    printf("hash64:\n");
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct hash_bench h = {buf, lens[i]};
        double t = measure(run_hash, &h);
        printf("  %8zu bytes %10.1f ns/op %8.0f MB/s\n", lens[i], t * 1e9,
               (double)lens[i] / t / 1e6);
    }
}

/* The router's whole decision: view lookup, load bound over the candidates, ring walk. */
struct balancer_bench {
    struct rt_services *services;
    uint64_t *keys;
    char keytext[KEYS][24];
};

static uint64_t run_balancer(void *ud, size_t n)
{
    struct balancer_bench *b = ud;
    uint64_t acc = 0;

    for (size_t i = 0; i < n; i++) {
        const char *key = b->keytext[i % KEYS];
        struct rt_pick_req r = {.policy = RT_POLICY_KEY_OR_RR,
                                .model = "model-1",
                                .key = key,
                                .key_len = strlen(key),
                                .balance_factor = 1.25,
                                .load_floor = 8,
                                .cache_type_threshold = 51200,
                                .now_ms = 1000,
                                .now_s = 1e9};
        struct rt_pick p;
        if (rt_balancer_pick(b->services, &r, &p) < 0)
            abort(); /* every pick must succeed, or the figure measures nothing */
        acc += (uint64_t)p.inst->port;
    }
    return acc;
}

static void bench_balancer(size_t members, unsigned max_load)
{
    uv_loop_t loop;
    struct balancer_bench *b = xcalloc(1, sizeof(*b));
    static const char meta[] = "{\"type\":\"openai-api\",\"models\":[\"model-1\"]}";
    cJSON *md = json_parse(meta, sizeof(meta) - 1, NULL);

    uv_loop_init(&loop);
    b->services = rt_services_new(&loop, 0);
    for (size_t i = 0; i < members; i++) {
        char name[32];
        snprintf(name, sizeof(name), "inst-%zu", i);
        struct rt_instance_desc d = {.name = name,
                                     .host = "10.0.0.1",
                                     .port = (int)(1000 + i),
                                     .metadata = md,
                                     .registry_healthy = true};
        struct rt_instance *inst = rt_services_upsert(b->services, &d);
        inst->probe_ok = true; /* as if its first probe had passed: new ones take no traffic */
        inst->in_flight = (unsigned)(rng() % (max_load + 1));
    }
    for (size_t i = 0; i < KEYS; i++)
        snprintf(b->keytext[i], sizeof(b->keytext[i]), "conv-%llu", (unsigned long long)rng());
    printf("rt_balancer_pick: %4zu instances, loads 0..%-2u key-or-rr with a key %8.1f ns/op%s\n",
           members, max_load, measure(run_balancer, b) * 1e9,
           max_load < 8 ? "  (owners below the floor: no bound needed)"
                        : "  (bound computed over every candidate when the owner is >= 8)");
    size_t n;
    struct rt_instance *const *all = rt_services_all(b->services, &n);
    for (size_t i = 0; i < n; i++)
        all[i]->in_flight = 0;
    rt_services_free(b->services);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    cJSON_Delete(md);
    free(b);
}

/* Hashing a prompt's blocks, matching them against 4 instances and inserting them for one: what
 * a cache-aware decision adds to the body extraction. */
struct prefix_bench {
    struct body body;
    struct rt_extract ex;
    struct rt_prefix_index *idx;
    int members[4];
    uint64_t *h;
    size_t max, nb;
};

static uint64_t run_prefix_hash(void *ud, size_t n)
{
    struct prefix_bench *b = ud;
    uint64_t acc = 0;
    struct rt_prefix_text info;

    for (size_t i = 0; i < n; i++)
        acc += rt_prefix_hash(b->body.data, &b->ex, 256, 42, b->h, b->max, &info);
    return acc;
}

static uint64_t run_prefix_index(void *ud, size_t n)
{
    struct prefix_bench *b = ud;
    uint64_t acc = 0;
    uint32_t depth[4];

    for (size_t i = 0; i < n; i++) {
        rt_prefix_index_match(b->idx, b->h, b->nb, b->members, 4, depth);
        rt_prefix_index_insert(b->idx, b->members[i % 4], b->h, b->nb);
        acc += depth[0] + depth[3];
    }
    return acc;
}

static void bench_prefix_one(const char *what, size_t bytes, struct rt_prefix_index *idx,
                             const int *members)
{
    struct prefix_bench b = {.body = make_chat(bytes, 8, false), .idx = idx};

    memcpy(b.members, members, sizeof(b.members));
    rt_extract_body(b.body.data, b.body.len, &b.ex);
    b.max = bytes / 256 + 64;
    b.h = xmalloc(b.max * sizeof(*b.h));
    struct rt_prefix_text info;
    b.nb = rt_prefix_hash(b.body.data, &b.ex, 256, 42, b.h, b.max, &info);
    double th = measure(run_prefix_hash, &b), ti = measure(run_prefix_index, &b);
    struct rt_prefix_stats st;
    rt_prefix_index_stats(idx, &st);
    printf("  %-22s hash %7.2f us + lookup&insert %7.2f us = %7.2f us  (%zu blocks, 4 "
           "instances; index %zu blocks, %.1f MiB)\n",
           what, th * 1e6, ti * 1e6, (th + ti) * 1e6, b.nb, st.blocks,
           (double)st.bytes / (1 << 20));
    free(b.h);
    free(b.body.data);
}

static void bench_prefix(void)
{
    struct rt_prefix_index *idx = rt_prefix_index_new((size_t)64 << 20);
    int members[4];
    uint64_t h[1000];

    for (int i = 0; i < 4; i++)
        members[i] = rt_prefix_index_add_member(idx, 0);
    /* A warm index: a million blocks of other prompts. */
    for (size_t p = 0; p < 1000; p++) {
        uint64_t x = rng();
        for (size_t i = 0; i < 1000; i++)
            h[i] = x = hash64_u64(i, x);
        rt_prefix_index_insert(idx, members[p % 4], h, 1000);
    }
    printf("cache-aware prefix path (block 256 bytes):\n");
    bench_prefix_one("32 KB chat prompt", 32 * 1024, idx, members);
    bench_prefix_one("512 KB chat prompt", 512 * 1024, idx, members);
    rt_prefix_index_free(idx);
}

int main(void)
{
#ifdef __OPTIMIZE__
    const char *opt = "optimised";
#else
    const char *opt = "NOT optimised (use a Release build)";
#endif
    printf("infini-microbench: compiler %s, %s, 1 thread, median of %d rounds >= %.1f s\n",
           __VERSION__, opt, ROUNDS, MIN_ROUND);
    bench_ring();
    bench_balancer(100, 15);
    bench_balancer(1000, 7);
    bench_balancer(1000, 15);
    bench_extract();
    bench_prefix();
    bench_hash();
    return sink == 42 ? 1 : 0;
}
