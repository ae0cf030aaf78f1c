/* infini-registry: parses the command line, loads the state file, wires the store, handlers,
 * prober, persister and HTTP server together, and runs the daemon lifecycle. No logic here.
 * Exit codes: 0 clean shutdown, 1 cannot listen or run, 2 bad flags or unusable state file. */
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "allow.h"
#include "config.h"
#include "daemon.h"
#include "err.h"
#include "handlers.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "persist.h"
#include "persister.h"
#include "probe.h"
#include "server.h"
#include "store.h"
#include "wallclock.h"
#include "xalloc.h"

#define STATE_DEBOUNCE_MS 1000

static int setup(struct reg_config *cfg, int argc, char **argv)
{
    struct err_msg err = {0};
    enum log_level level;
    int rc = reg_config_parse(cfg, argc, argv, &err);

    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "infini-registry: %s\n", err.msg);
        return rc < 0 ? 2 : 0;
    }
    if (log_level_parse(cfg->log_level, &level) == 0)
        log_set_level(level);
    rc = log_access_open(cfg->access_log);
    if (rc < 0) {
        fprintf(stderr, "infini-registry: --access-log %s: %s\n", cfg->access_log, err_str(rc));
        return 2;
    }
    return -1; /* go on */
}

static int load_state(const struct reg_config *cfg, struct reg_store *store)
{
    struct err_msg err = {0};
    size_t count = 0;

    if (cfg->state_file == NULL)
        return 0;
    if (reg_persist_load(cfg->state_file, store, wallclock_now(), &count, &err) < 0) {
        fprintf(stderr, "infini-registry: %s; refusing to start (the file was left as it is)\n",
                err.msg);
        return 2;
    }
    log_info("state", "file=%s records=%zu loaded", cfg->state_file, count);
    return 0;
}

static void http_limits(const struct reg_config *cfg, struct http_server_limits *l)
{
    http_server_limits_default(l);
    l->max_body = (size_t)cfg->max_body_bytes;
    l->max_buffered_body = (size_t)cfg->max_buffered_body;
    l->max_connections = (unsigned)cfg->max_connections;
    l->header_timeout_ms = (uint64_t)(cfg->header_timeout * 1000.0);
    l->body_timeout_ms = (uint64_t)(cfg->body_timeout * 1000.0);
}

int main(int argc, char **argv)
{
    struct reg_config cfg = {0};
    struct reg_metrics metrics;
    struct err_msg err = {0};
    uv_loop_t loop;
    int rc = setup(&cfg, argc, argv);

    if (rc >= 0) {
        reg_config_free(&cfg);
        return rc;
    }
    struct reg_store *store = reg_store_new(cfg.heartbeat_timeout, cfg.expire_after);
    if (load_state(&cfg, store) != 0) {
        reg_store_free(store);
        reg_config_free(&cfg);
        return 2;
    }
    reg_metrics_init(&metrics, wallclock_now());
    SVC_ASSERT(uv_loop_init(&loop) == 0);
    struct reg_allow *allow = reg_allow_parse(cfg.allow_hosts, &err);
    SVC_ASSERT(allow != NULL); /* reg_config_parse checked it */
    struct reg_handlers_opts hopts = {
        .store = store,
        .metrics = &metrics,
        .auth_token = cfg.auth_token,
        .max_body = (size_t)cfg.max_body_bytes,
        .allow = allow,
        .max_services = (size_t)cfg.max_services,
        .registration_rate = cfg.registration_rate,
        .registration_burst = cfg.registration_burst,
    };
    struct reg_server_parts parts = {
        .store = store,
        .metrics = &metrics,
        .handlers = reg_handlers_new(&hopts),
        .prober = reg_prober_new(&loop, store, &metrics, cfg.health_interval, cfg.health_timeout),
        .cleanup_interval = cfg.cleanup_interval,
    };
    http_limits(&cfg, &parts.limits);
    if (cfg.state_file != NULL) {
        parts.persister =
            reg_persister_new(&loop, cfg.state_file, store, &metrics, STATE_DEBOUNCE_MS);
        reg_store_on_change(store, reg_persister_mark_dirty, parts.persister);
    }
    struct reg_server *srv = reg_server_new(&loop, &parts);
    struct daemon_hooks hooks;
    reg_server_hooks(srv, &hooks);
    struct daemon_opts dopts = {
        .name = "registry",
        .bind = cfg.bind,
        .port = cfg.port,
        .port_file = cfg.port_file,
        .drain_ms = (uint64_t)(cfg.drain_timeout * 1000.0),
    };
    reg_server_start(srv);
    rc = daemon_run(&loop, reg_server_http(srv), &dopts, &hooks, &err);
    if (rc < 0)
        fprintf(stderr, "infini-registry: %s\n", err.msg[0] ? err.msg : err_str(rc));
    reg_server_free(srv);
    reg_handlers_free(parts.handlers);
    reg_allow_free(allow);
    reg_store_free(store);
    log_access_close();
    reg_config_free(&cfg);
    return rc < 0 ? 1 : 0;
}
