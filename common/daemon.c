/* Daemon lifecycle: the open-file limit, listen, signals, drain, teardown. Depends on libuv,
 * common/http_server, common/loop, common/log. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "err.h"
#include "http_server.h"
#include "log.h"
#include "loop.h"

struct daemon {
    uv_loop_t *loop;
    struct http_server *server;
    const struct daemon_opts *opts;
    const struct daemon_hooks *hooks;
    struct loop_signals signals;
    bool shutting_down, drained, stopped, finished;
};

int daemon_write_port_file(const char *path, int port)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());

    if (n < 0 || (size_t)n >= sizeof(tmp))
        return UV_ENAMETOOLONG;
    FILE *f = fopen(tmp, "we");
    if (f == NULL)
        return -errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int rc = -errno;
        unlink(tmp);
        return rc;
    }
    return 0;
}

/* The default soft limit (often 1024) would cap connections far below the HTTP server's
 * max_connections: a client opening a thousand idle sockets would exhaust it. The hard limit is
 * the administrator's choice; take all of it. */
static void raise_nofile(const char *name)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            log_warn(name, "nofile=%llu cannot raise the open-file limit: %s",
                     (unsigned long long)was, strerror(errno));
            return;
        }
    }
    log_debug(name, "nofile=%llu open-file limit", (unsigned long long)rl.rlim_cur);
}

static void maybe_finish(struct daemon *d)
{
    if (d->finished || !d->drained || !d->stopped)
        return;
    d->finished = true;
    if (d->hooks != NULL && d->hooks->cleanup != NULL)
        d->hooks->cleanup(d->hooks->ud);
    http_server_free(d->server);
    d->server = NULL;
    loop_signals_close(&d->signals);
    log_info(d->opts->name, "shutdown complete");
}

static void on_drained(struct http_server *s, void *ud)
{
    struct daemon *d = ud;

    (void)s;
    d->drained = true;
    maybe_finish(d);
}

void daemon_stopped(struct daemon *d)
{
    d->stopped = true;
    maybe_finish(d);
}

void daemon_shutdown(struct daemon *d)
{
    if (d->shutting_down)
        return;
    d->shutting_down = true;
    log_info(d->opts->name, "drain_ms=%llu shutting down", (unsigned long long)d->opts->drain_ms);
    if (d->hooks != NULL && d->hooks->stop != NULL)
        d->hooks->stop(d, d->hooks->ud);
    else
        d->stopped = true;
    http_server_drain(d->server, d->opts->drain_ms, on_drained, d);
}

static void on_signal(int signum, int count, void *ud)
{
    struct daemon *d = ud;

    log_info(d->opts->name, "signal=%d received", signum);
    if (count == 1) {
        daemon_shutdown(d);
        return;
    }
    /* Second signal: do not wait for in-flight requests. */
    if (!d->finished) {
        d->drained = true;
        d->stopped = true;
        maybe_finish(d);
    }
}

int daemon_run(uv_loop_t *loop, struct http_server *server, const struct daemon_opts *opts,
               const struct daemon_hooks *hooks, struct err_msg *err)
{
    struct daemon d = {.loop = loop, .server = server, .opts = opts, .hooks = hooks};
    int port = 0;

    raise_nofile(opts->name);
    int rc = http_server_listen(server, opts->bind, opts->port, &port);

    if (rc < 0) {
        err_set(err, 0, 0, "cannot listen on %s:%d: %s", opts->bind, opts->port, err_str(rc));
        goto fail;
    }
    if (opts->port_file != NULL && opts->port_file[0] != '\0') {
        rc = daemon_write_port_file(opts->port_file, port);
        if (rc < 0) {
            err_set(err, 0, 0, "cannot write port file %s: %s", opts->port_file, err_str(rc));
            goto fail;
        }
    }
    rc = loop_signals_start(&d.signals, loop, on_signal, &d);
    if (rc < 0) {
        err_set(err, 0, 0, "cannot install signal handlers: %s", err_str(rc));
        goto fail;
    }
    log_info(opts->name, "addr=%s port=%d version=%s listening", opts->bind, port, SVC_VERSION);
    uv_run(loop, UV_RUN_DEFAULT);
    rc = loop_close_all(loop);
    if (rc != 0)
        log_error(opts->name, "event loop did not close cleanly: %s", err_str(rc));
    return rc;
fail:
    http_server_free(server);
    if (hooks != NULL && hooks->cleanup != NULL)
        hooks->cleanup(hooks->ud);
    loop_signals_close(&d.signals);
    loop_close_all(loop);
    return rc < 0 ? rc : UV_EINVAL;
}
