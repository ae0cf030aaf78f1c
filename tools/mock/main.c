/* infini-mock: parses the command line, wires the handlers to an HTTP server and runs the daemon
 * lifecycle (common/daemon). No logic lives here. */
#include <stdio.h>

#include <uv.h>

#include "config.h"
#include "daemon.h"
#include "err.h"
#include "handlers.h"
#include "http_server.h"
#include "log.h"

int main(int argc, char **argv)
{
    struct mock_config cfg;
    struct err_msg err = {0};
    enum log_level level;
    uv_loop_t loop;

    int rc = mock_config_parse(&cfg, argc, argv, &err);
    if (rc == 0 && log_level_parse(cfg.log_level, &level) < 0) {
        err_set(&err, 0, 0, "--log-level: unknown level '%s'", cfg.log_level);
        rc = SVC_EBADCONFIG;
    }
    if (rc == 0 && (rc = log_access_open(cfg.access_log)) < 0)
        err_set(&err, 0, 0, "--access-log %s: %s", cfg.access_log, err_str(rc));
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "infini-mock: %s\n", err.msg);
        mock_config_free(&cfg);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(level);
    rc = uv_loop_init(&loop);
    if (rc < 0) {
        fprintf(stderr, "infini-mock: cannot create the event loop: %s\n", err_str(rc));
        mock_config_free(&cfg);
        return 1;
    }

    struct http_server_limits limits;
    http_server_limits_default(&limits);
    limits.max_body = 16 * 1024 * 1024; /* long-context prompts */
    limits.max_buffered_body = (size_t)cfg.max_buffered_body;
    struct mock_server *mock = mock_handlers_new(&loop, &cfg);
    struct http_server *http = http_server_new(&loop, &limits, mock_handlers_handle, mock);
    mock_handlers_set_http(mock, http);
    if (mock_handlers_start_kv_events(mock, &err) < 0) {
        fprintf(stderr, "infini-mock: %s\n", err.msg);
        return 2;
    }
    struct daemon_opts opts = {
        .name = "mock",
        .bind = cfg.bind,
        .port = cfg.port,
        .port_file = cfg.port_file,
        .drain_ms = (uint64_t)(cfg.drain_timeout * 1000.0),
    };
    struct daemon_hooks hooks = {
        .stop = mock_handlers_stop,
        .cleanup = mock_handlers_cleanup,
        .ud = mock,
    };
    rc = daemon_run(&loop, http, &opts, &hooks, &err);
    if (rc < 0 && err.msg[0] != '\0')
        log_error("mock", "%s", err.msg);
    mock_handlers_free(mock);
    log_access_close();
    mock_config_free(&cfg);
    return rc < 0 ? 1 : 0;
}
