/* The running registry: the HTTP glue between common/http_server and registry/handlers (request
 * to reg_request, response headers, access log, the asynchronous on-demand probe with its abort
 * path), the expiry timer, and the daemon hooks that stop timers and probes at shutdown and flush
 * the state file; the access-log line for each request, including those the HTTP server
 * refused itself. Depends on common/http_server, common/http_reply, common/daemon, common/log,
 * registry/handlers, registry/probe, registry/persister, registry/store. */
#ifndef SVC_REGISTRY_SERVER_H
#define SVC_REGISTRY_SERVER_H

#include <stddef.h>

#include <uv.h>

#include "http_server.h"

struct daemon_hooks;
struct reg_handlers;
struct reg_metrics;
struct reg_persister;
struct reg_prober;
struct reg_server;
struct reg_store;

/* The modules the server drives, all borrowed except where noted. */
struct reg_server_parts {
    struct reg_store *store;
    struct reg_metrics *metrics;
    struct reg_handlers *handlers;
    struct reg_prober *prober;        /* taken: freed by the cleanup hook */
    struct reg_persister *persister;  /* taken (may be NULL): closed by the cleanup hook */
    double cleanup_interval;          /* seconds between expiry sweeps */
    struct http_server_limits limits; /* for the HTTP server (body, connections, timeouts) */
};

/* Creates the server and its HTTP server on `loop`. Never NULL. */
struct reg_server *reg_server_new(uv_loop_t *loop, const struct reg_server_parts *parts);
/* The HTTP server, to hand to daemon_run() (which takes it). */
struct http_server *reg_server_http(struct reg_server *s);
/* Starts the expiry timer and the probe sweeps. */
void reg_server_start(struct reg_server *s);
/* Fills the hooks for daemon_run(): stop = stop timers and cancel probes; cleanup = close
 * handles, free the prober, flush and close the persister. */
void reg_server_hooks(struct reg_server *s, struct daemon_hooks *out);
/* Frees the server after daemon_run() returned (its handles are closed by then). NULL-safe. */
void reg_server_free(struct reg_server *s);

#endif
