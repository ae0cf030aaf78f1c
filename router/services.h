/* The router's table of model-server instances and the per-model views used for routing.
 * Instances come from registry discovery and the static-services file; each keeps its health
 * (active probe, passive ejection), its load (the router's own exact in-flight count and the
 * engine load from heartbeats), counters, and its upstream connection pool. Instances are
 * reference-counted: one removed from the table stays alive until the last transfer using it
 * releases it. Per-model views (members, consistent-hash ring, round-robin cursor, load sums)
 * are rebuilt only when membership changes, so routing a request costs O(log n).
 * Depends on common/ and router/ring, router/upstream. Loop thread only. */
#ifndef SVC_ROUTER_SERVICES_H
#define SVC_ROUTER_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include <uv.h>

#include "prom.h"

struct http_upstream_pool;
struct rt_ring;

/* The block chain of a prompt this router sent to an instance whose first token has not come
 * back: its blocks are not in the engine's KV events yet (they come at the end of its prefill),
 * but a prompt sharing them and queued behind it will find them. Owned by the request
 * (router/feedback); linked into the instance's list while pending. */
struct rt_pending_chain {
    const uint64_t *blocks;
    size_t n;
    struct rt_pending_chain *prev, *next;
};

/* Engine-reported load from the latest heartbeat (DESIGN.md section 5). */
struct rt_engine_load {
    bool present;
    double in_flight, running, waiting, kv_usage;
    double kv_capacity_tokens; /* the engine's KV cache size in tokens, 0 = not reported */
    double updated;            /* Unix seconds, as reported */
};

/* What went wrong with a request to an instance. */
enum rt_fault {
    RT_FAULT_TRANSPORT, /* refused, reset, closed mid-response: the server is down or restarting */
    RT_FAULT_TIMEOUT,   /* no response head or no bytes for too long: the server hangs */
};

enum rt_source {
    RT_SOURCE_REGISTRY,
    RT_SOURCE_STATIC_FILE,
};

struct rt_instance {
    char *name;
    char *host;
    int port;
    char *url;            /* base URL requests go to, e.g. "http://10.0.0.5:8100" */
    char *babysitter_url; /* "http://host:port+1" */
    char **models;        /* NULL-terminated */
    size_t nmodels;
    cJSON *metadata;        /* owned; never NULL */
    const char *cache_type; /* borrowed from metadata: "paged", "static" or NULL */
    unsigned weight;
    enum rt_source source;
    bool is_static; /* metadata.static == true: never dropped when the registry forgets it */
    bool routable; /* metadata.type == "openai-api" (static-file entries: unless typed otherwise) */
    bool registry_healthy; /* the registry's is_healthy (always true for static-file entries) */

    /* health */
    bool probe_ok; /* last active probe; registry instances start false: a new instance takes no
                      traffic until its own probe succeeded (static-file ones start true) */
    bool probing;  /* a probe is in flight */
    unsigned consecutive_failures; /* transport failures since the last success */
    unsigned ejections;            /* ejections since the last response, for the backoff */
    uint64_t ejected_at_ms;        /* loop time of the current ejection */
    uint64_t ejected_until_ms;     /* loop time; 0 = not ejected */
    enum rt_fault eject_cause;     /* why the current ejection happened */
    double last_probe_s;           /* probe latency in seconds (reference "response_time") */
    double last_seen_ms;           /* loop time this instance was last listed by the registry */
    uint64_t seen_epoch;           /* discovery answer that last listed it */

    /* load */
    unsigned in_flight; /* requests this router has on it right now (exact) */
    struct rt_engine_load engine;

    /* cache-aware routing (router/cache_aware, router/proxy) */
    uint64_t name_hash;     /* hash64 of the name: rendezvous scores, session memory */
    int prefix_member;      /* member id in the prefix index; -1 when there is no index */
    double pending_prefill; /* estimated tokens of requests sent here whose first token has
                               not come back yet */
    unsigned pending_requests;
    struct rt_pending_chain *pending_chains; /* of those requests */
    double prefill_rate;  /* tokens/s learned from streamed requests; 0 = not measured yet */
    double mean_uncached; /* tokens a request prefills here, moving average */
    double extra_wait_s;  /* time to first token beyond the prefill estimate, moving average */
    double extra_wait_at; /* wall clock of its last sample */
    double work_sent;     /* uncached tokens sent here, decayed (time constant RT_WORK_DECAY_S) */
    double work_at;       /* wall clock work_sent is as of */
    uint64_t rate_samples;
    uint64_t predicted_cached;  /* tokens the index promised, for requests with usage back */
    uint64_t actual_cached;     /* tokens the engine reported cached for the same requests */
    uint64_t false_hits;        /* responses that showed the index held less than it claimed */
    uint64_t stale_false_hits;  /* precise ones whose index still claimed it at the response */
    struct prom_histogram ttft; /* seconds, request start to first response body byte */

    /* counters */
    uint64_t requests; /* proxied requests sent (each attempt once) */
    uint64_t errors;   /* transport failures and timeouts */
    uint64_t ejections_total;
    struct prom_histogram latency; /* seconds, request start to response end */
    struct prom_histogram ttfb;    /* seconds, request start to upstream response head */

    struct http_upstream_pool *pool; /* upstream keep-alive connections */
    unsigned refs;                   /* table membership + transfers */
    bool in_table;
    uint32_t generation; /* services generation when last (re)described */
};

/* A per-model routing view: the routable instances serving `model` (or every routable instance
 * for the "" view used when a request names no model). */
struct rt_model_view {
    char *model;
    struct rt_instance **members; /* borrowed; valid until the next rebuild */
    size_t n;
    struct rt_ring *ring;   /* over member names */
    uint64_t rr_cursor;     /* survives rebuilds */
    uint32_t generation;    /* of the services table when built */
    double bytes_per_token; /* learned from usage.prompt_tokens (router/feedback); 0 = not yet */
    uint64_t bpt_samples;
};

struct rt_services;
struct rt_prefix_index;

/* Creates an empty table; each instance's pool keeps up to `pool_idle` idle upstream
 * connections. `loop` is borrowed. Never NULL. */
struct rt_services *rt_services_new(uv_loop_t *loop, unsigned pool_idle);
/* Drops every instance (closing their pools) and frees the table once unreferenced. NULL-safe. */
void rt_services_free(struct rt_services *s);
/* Gives every instance, present and future, a member in `idx` (borrowed; outlives the table),
 * with `capacity` blocks until the engine reports its own; removed instances leave it. */
void rt_services_use_prefix_index(struct rt_services *s, struct rt_prefix_index *idx,
                                  size_t capacity);

/* Description of an instance as found by discovery or in the static file. Strings and
 * `metadata` are borrowed; rt_services_upsert copies what it keeps. */
struct rt_instance_desc {
    const char *name;
    const char *host;
    int port;
    const char *url;       /* NULL = "http://host:port" */
    const cJSON *metadata; /* may be NULL */
    unsigned weight;       /* 0 = 1 */
    bool registry_healthy;
    enum rt_source source;
    const cJSON *load; /* the record's "load" object, may be NULL */
};

/* Adds or updates an instance; marks it seen now. Returns it (borrowed). */
struct rt_instance *rt_services_upsert(struct rt_services *s, const struct rt_instance_desc *d);
/* Removes the instance from the table (transfers holding it keep it alive). */
void rt_services_remove(struct rt_services *s, struct rt_instance *inst);
struct rt_instance *rt_services_find(const struct rt_services *s, const char *name);
/* All instances in the table, in name order (borrowed array valid until the next change). */
struct rt_instance *const *rt_services_all(const struct rt_services *s, size_t *n);
/* Incremented on every membership or routing-relevant change. */
uint32_t rt_services_generation(const struct rt_services *s);

/* The routing view for `model` ("" or NULL = every routable instance); NULL when no routable
 * instance serves it. Borrowed; valid until the table changes. */
struct rt_model_view *rt_services_view(struct rt_services *s, const char *model);

/* Distinct models the routable instances serve (cached until the table changes). */
size_t rt_services_model_count(struct rt_services *s);

/* Health and load. `now_ms` is loop time. */
bool rt_instance_is_eligible(const struct rt_instance *inst, uint64_t now_ms);
/* Whether the engine load from the last heartbeat is recent enough to use. */
bool rt_instance_engine_fresh(const struct rt_instance *inst, double now_s);
/* Load used for balancing: max(own in-flight, engine running+waiting when fresh). */
unsigned rt_instance_load(const struct rt_instance *inst, double now_s);
/* The instance answered a request (any HTTP response): clears failures, the ejection and its
 * backoff. */
void rt_instance_note_success(struct rt_instance *inst);
/* A request failed. One incident ejects the instance once, whatever number of its requests fail
 * with it: a timeout at once (the server hangs), transport failures after `threshold` in a row.
 * The backoff (1 s doubling to 60 s) grows only when the instance fails again after being let
 * back in without a successful response in between. Returns true when this call ejected it. */
bool rt_instance_note_failure(struct rt_instance *inst, enum rt_fault fault, unsigned threshold,
                              uint64_t now_ms);
/* An active probe started at `started_ms` ended. A success lets an instance ejected for
 * transport failures back in at once when the probe started after the ejection (its server is
 * back); an instance ejected for timeouts stays out for its backoff (its babysitter may be fine
 * while its requests hang). A failure takes the instance out of rotation until a probe passes. */
void rt_instance_note_probe(struct rt_instance *inst, bool ok, uint64_t started_ms);

/* Reference counting for transfers. */
void rt_instance_ref(struct rt_instance *inst);
void rt_instance_unref(struct rt_instance *inst);

#endif
