/* The router's shared context: configuration, the instance table, and the modules that act on
 * them. Each module keeps its own state; this struct only wires them together (main.c fills it).
 * Depends on nothing but forward declarations. */
#ifndef SVC_ROUTER_ROUTER_H
#define SVC_ROUTER_ROUTER_H

#include <stdint.h>

#include <uv.h>

struct rt_config;
struct rt_prefix_index;
struct rt_services;
struct rt_sessions;
struct rt_demand;
struct rt_metrics;
struct rt_discovery;
struct rt_health;
struct rt_kv_events;
struct http_fetch;
struct http_server;
struct loop_lag;

struct rt_router {
    uv_loop_t *loop;
    const struct rt_config *cfg;
    struct rt_services *services;
    struct rt_metrics *metrics;
    struct http_fetch *registry_fetch; /* registry polls: one kept-alive connection */
    struct http_fetch *probe_fetch;    /* health probes: a new connection each */
    struct http_fetch *tokenize_fetch; /* --tokenizer engine: kept-alive calls to /tokenize */
    struct rt_discovery *discovery;    /* NULL without --registry-url */
    struct rt_health *health;
    struct http_server *server;
    struct rt_kv_events *kv_events; /* KV event subscriptions; NULL with --kv-events off */
    struct rt_prefix_index *prefix; /* cache-aware policy only, else NULL */
    struct rt_sessions *sessions;   /* cache-aware policy only, else NULL */
    struct rt_demand *demand;       /* cache-aware policy only, else NULL */
    unsigned in_flight;             /* proxied requests in progress */
    char *upstream_auth;            /* "Authorization: Bearer <--upstream-api-key>" or NULL */
    uint64_t request_ids;           /* X-Request-Id generator: a counter ... */
    uint64_t request_id_seed;       /* ... mixed with a per-process seed */
    uint64_t discovery_epoch;       /* registry answers applied so far */
    struct loop_lag *lag;           /* event-loop lag sampler (main.c owns it) */
    double start_time;              /* wall clock */
};

#endif
