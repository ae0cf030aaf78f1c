/* infini-router: parses the command line, wires the modules and runs the loop. No logic. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "bearer.h"
#include "config.h"
#include "daemon.h"
#include "demand.h"
#include "discovery.h"
#include "err.h"
#include "handlers.h"
#include "hash.h"
#include "health.h"
#include "http_fetch.h"
#include "http_server.h"
#include "kv_events.h"
#include "log.h"
#include "loop.h"
#include "loop_lag.h"
#include "metrics.h"
#include "prefix_index.h"
#include "router.h"
#include "services.h"
#include "session.h"
#include "static_services.h"
#include "wallclock.h"

/* An engine's cache is empty as far as its KV events tell: so is our guess of it. */
static void kv_emptied(void *ud, const char *instance)
{
    struct rt_router *rt = ud;
    struct rt_instance *inst = rt_services_find(rt->services, instance);

    if (inst != NULL)
        rt_prefix_index_clear_member(rt->prefix, inst->prefix_member);
}

/* Stops the registry polls and the health probes; again is harmless (both take NULL). */
static void stop_polling(struct rt_router *rt)
{
    rt_discovery_stop(rt->discovery);
    rt->discovery = NULL;
    rt_health_stop(rt->health);
    rt->health = NULL;
}

static void on_stop(struct daemon *d, void *ud)
{
    stop_polling(ud);
    daemon_stopped(d);
}

static void on_cleanup(void *ud)
{
    struct rt_router *rt = ud;

    stop_polling(rt);
    rt_kv_events_free(rt->kv_events);
    rt->kv_events = NULL;
    rt_services_free(rt->services);
    rt->services = NULL;
    rt_prefix_index_free(rt->prefix);
    rt->prefix = NULL;
    if (rt->lag != NULL)
        loop_lag_close(rt->lag);
    rt->lag = NULL;
    rt_sessions_free(rt->sessions);
    rt->sessions = NULL;
    rt_demand_free(rt->demand);
    rt->demand = NULL;
    http_fetch_free(rt->registry_fetch);
    rt->registry_fetch = NULL;
    http_fetch_free(rt->probe_fetch);
    rt->probe_fetch = NULL;
    http_fetch_free(rt->tokenize_fetch);
    rt->tokenize_fetch = NULL;
}

int main(int argc, char **argv)
{
    struct rt_config cfg = {0};
    struct err_msg err = {0};
    enum log_level level;
    uv_loop_t loop;

    int rc = rt_config_parse(&cfg, argc, argv, &err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "infini-router: %s\n", err.msg);
        rt_config_free(&cfg);
        return rc > 0 ? 0 : 2;
    }
    if (log_level_parse(cfg.log_level, &level) < 0 || log_access_open(cfg.access_log) < 0) {
        fprintf(stderr, "infini-router: bad --log-level or --access-log\n");
        rt_config_free(&cfg);
        return 2;
    }
    log_set_level(level);
    uv_loop_init(&loop);
    struct rt_router rt = {.loop = &loop, .cfg = &cfg, .start_time = wallclock_now()};
    struct loop_lag lag;
    if (loop_lag_start(&lag, &loop, 100) == 0)
        rt.lag = &lag;
    rt.upstream_auth = bearer_header_new(cfg.upstream_api_key);
    /* X-Request-Ids need only be unique, not secret: time, pid and the clock's nanoseconds. */
    rt.request_id_seed = hash64_u64(uv_hrtime(), hash64_u64((uint64_t)getpid(), rt.start_time));
    rt.services = rt_services_new(&loop, (unsigned)cfg.upstream_idle);
    if (cfg.policy == RT_POLICY_CACHE_AWARE) {
        rt.prefix = rt_prefix_index_new((size_t)cfg.prefix_index_max_bytes);
        rt.sessions = rt_sessions_new((size_t)cfg.session_max);
        rt.demand = rt_demand_new(4096);
        rt_services_use_prefix_index(rt.services, rt.prefix, (size_t)cfg.prefix_capacity_blocks);
    }
    rt.metrics = rt_metrics_new();
    rt.registry_fetch = http_fetch_new(&loop, 2);
    rt.probe_fetch = http_fetch_new(&loop, 0);
    if (strcmp(cfg.tokenizer, "engine") == 0)
        rt.tokenize_fetch = http_fetch_new(&loop, 8);
    if (strcmp(cfg.kv_events, "on") == 0) {
        const struct rt_kv_events_opts kvo = {
            .max_bytes = (size_t)cfg.kv_index_max_bytes,
            .replay_timeout_ms = (uint64_t)(cfg.kv_replay_timeout * 1000.0),
            .on_emptied = kv_emptied,
            .ud = &rt,
        };
        rt.kv_events = rt_kv_events_new(&loop, &kvo);
    }
    if (cfg.static_services != NULL &&
        rt_static_services_load(rt.services, cfg.static_services, &err) < 0) {
        fprintf(stderr, "infini-router: --static-services %s\n", err.msg);
        on_cleanup(&rt);
        rt_metrics_free(rt.metrics);
        loop_close_all(&loop);
        rt_config_free(&cfg);
        return 2;
    }
    rt_kv_events_sync(rt.kv_events, rt.services);
    struct http_server_limits limits;
    http_server_limits_default(&limits);
    limits.max_body = (size_t)cfg.max_body_bytes;
    limits.max_buffered_body = (size_t)cfg.max_buffered_body;
    limits.idle_timeout_ms = (uint64_t)(cfg.idle_timeout * 1000.0);
    limits.max_connections = (unsigned)cfg.max_connections;
    limits.header_timeout_ms = (uint64_t)(cfg.header_timeout * 1000.0);
    limits.body_timeout_ms = (uint64_t)(cfg.body_timeout * 1000.0);
    rt.server = http_server_new(&loop, &limits, rt_handlers_dispatch, &rt);
    if (cfg.registry_url != NULL && cfg.registry_url[0] != '\0')
        rt.discovery = rt_discovery_start(&rt);
    rt.health = rt_health_start(&rt);

    const struct daemon_opts opts = {
        .name = "router",
        .bind = cfg.bind,
        .port = cfg.port,
        .port_file = cfg.port_file,
        .drain_ms = (uint64_t)(cfg.drain_timeout * 1000.0),
    };
    const struct daemon_hooks hooks = {.stop = on_stop, .cleanup = on_cleanup, .ud = &rt};
    rc = daemon_run(&loop, rt.server, &opts, &hooks, &err);
    if (rc < 0 && err.msg[0] != '\0')
        fprintf(stderr, "infini-router: %s\n", err.msg);
    rt_metrics_free(rt.metrics);
    free(rt.upstream_auth);
    log_access_close();
    rt_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
