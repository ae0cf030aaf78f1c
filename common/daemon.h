/* The lifecycle every daemon shares: raise the open-file soft limit to the hard limit (so that
 * the HTTP server's connection cap, not the fd limit, decides), listen on --bind/--port and
 * write --port-file, run the loop, and on SIGINT/SIGTERM drain the HTTP server within a
 * deadline while the owner stops its own work, then release everything and check that the loop
 * closed cleanly. A second signal skips the drain. Depends on common/http_server, common/loop,
 * common/log. */
#ifndef SVC_COMMON_DAEMON_H
#define SVC_COMMON_DAEMON_H

#include <stdint.h>

#include <uv.h>

struct daemon;
struct http_server;
struct err_msg;

struct daemon_hooks {
    /* First signal: stop starting new work (timers, probes) and call daemon_stopped() once
     * done, possibly from inside this call. NULL = nothing to stop. */
    void (*stop)(struct daemon *d, void *ud);
    /* Both the drain and stop are finished: close every handle the owner still has. */
    void (*cleanup)(void *ud);
    void *ud;
};

struct daemon_opts {
    const char *name;      /* component name for logs */
    const char *bind;      /* address to listen on */
    int port;              /* 0 = OS-chosen */
    const char *port_file; /* when set, the bound port is written there (atomically) */
    uint64_t drain_ms;     /* deadline for in-flight requests at shutdown */
};

/* Listens and runs `loop` until shutdown completes. Takes `server` (freed at shutdown).
 * Returns 0 after a clean shutdown, or a negative code when listening failed (err set) or the
 * loop did not close cleanly. */
int daemon_run(uv_loop_t *loop, struct http_server *server, const struct daemon_opts *opts,
               const struct daemon_hooks *hooks, struct err_msg *err);
/* The owner's stop hook finished (see daemon_hooks.stop). */
void daemon_stopped(struct daemon *d);
/* Starts the shutdown as if a signal had arrived (for fatal conditions found at run time). */
void daemon_shutdown(struct daemon *d);
/* Writes `port` to `path` through a temporary file and rename(2). 0, or a negative code. */
int daemon_write_port_file(const char *path, int port);

#endif
