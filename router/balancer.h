/* Routing policies (DESIGN.md section 4): which instance takes a request. Candidates are the
 * routable instances serving the request's model that are eligible (healthy, not ejected) and
 * not already tried; cache_type size classes narrow them first; then the policy picks:
 * consistent hashing with bounded loads on model + prompt_cache_key, the lowest estimated time
 * to first token from the prompt's cached prefix (router/cache_aware), per-model round-robin,
 * least-load, or plain key hashing. When nothing is eligible but some candidates are only
 * ejected, the least recently ejected is tried anyway ("panic": better than failing fast).
 * Depends on router/services, router/ring, router/cache_aware, common/hash. */
#ifndef SVC_ROUTER_BALANCER_H
#define SVC_ROUTER_BALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_services;
struct rt_instance;
struct rt_prefix_index;
struct rt_ca_params;
struct rt_ca_request;

enum rt_policy {
    RT_POLICY_KEY_OR_RR, /* key: bounded-load consistent hash; none: round-robin per model */
    RT_POLICY_ROUND_ROBIN,
    RT_POLICY_LEAST_LOAD,
    RT_POLICY_KEY_HASH,    /* key: consistent hash without load bound; none: round-robin */
    RT_POLICY_CACHE_AWARE, /* key: as key-or-rr; none: lowest estimated time to first token */
};

/* Parses "key-or-rr", "round-robin", "least-load", "key-hash", "cache-aware". 0 or SVC_EPARSE. */
int rt_policy_parse(const char *s, enum rt_policy *out);
const char *rt_policy_name(enum rt_policy p);

struct rt_pick_req {
    enum rt_policy policy;
    const char *model; /* NULL or "" = any routable instance */
    const char *key;   /* prompt_cache_key, or NULL */
    size_t key_len;
    bool size_known; /* content_bytes is meaningful (valid JSON body) */
    size_t content_bytes;
    size_t cache_type_threshold;        /* bytes; above: "static" class, else "paged" */
    double balance_factor;              /* c in ceil(c * (total + 1) / n), >= 1 */
    unsigned load_floor;                /* bound is at least this (no spill below it) */
    struct rt_instance *const *exclude; /* instances already tried */
    size_t nexclude;
    uint64_t now_ms; /* loop time, for ejections */
    double now_s;    /* wall time, for engine-load freshness */
    /* cache-aware without a key: all three set, else it picks by least load. Borrowed. */
    struct rt_prefix_index *prefix;
    const struct rt_ca_params *ca;
    const struct rt_ca_request *car;
};

struct rt_pick {
    struct rt_instance *inst; /* borrowed */
    char reason[64];          /* stable label, e.g. "key-hash", "size-static round-robin",
                                 "prefix", "cold-owner" */
    char detail[48];          /* cache-aware: "<held>/<blocks> est=<ms>ms"; else empty */
    bool cache_aware;         /* the fields below are set */
    bool exact;               /* judged on the instance's KV events (precise mode) */
    uint32_t depth;           /* prompt blocks the instance holds (the index's blocks) */
    double held_tokens;       /* prompt tokens the instance holds */
    double est_s;             /* estimated time to first token there */
    double uncached_tokens;   /* prefill expected there */
};

/* 0 with `out` filled, or SVC_ENOROUTE when no candidate is left. */
int rt_balancer_pick(struct rt_services *s, const struct rt_pick_req *r, struct rt_pick *out);

/* The load bound of consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam;
 * HAProxy's hash-balance-factor): max(ceil(c * (total + 1) / n), load_floor), where `total` is
 * the load of the `n` candidates. A candidate whose load is below it may take one more request,
 * and one always is (the mean is below it); rt_balancer_pick() walks a key's order to the first
 * such candidate. c below 1 or NaN counts as 1 (a smaller bound could leave no candidate under
 * it). Returns 0 when n is 0, UINT64_MAX when the bound does not fit. Pure. */
uint64_t rt_balancer_load_bound(uint64_t total, size_t n, double c, unsigned load_floor);

#endif
