/* HTTP/1.1 server on libuv + llhttp.
 * Keep-alive; pipelined requests answered in order (one request in flight per connection:
 * parsing pauses while the handler runs); Content-Length and chunked request bodies buffered
 * whole up to a limit; limits on URL (414), header bytes and count (431) and body (413) answered
 * with a JSON error; header-read, body-progress and keep-alive idle timeouts; Expect:
 * 100-continue; graceful drain. Responses are written with common/http_reply.
 * Knows no daemon; depends on libuv, llhttp, common/buf. Single-threaded (the loop thread). */
#ifndef SVC_COMMON_HTTP_SERVER_H
#define SVC_COMMON_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "http_request.h"

struct http_server;
struct http_conn;

struct http_server_limits {
    size_t max_url;             /* bytes of the request target; above: 414 */
    size_t max_header_bytes;    /* bytes of all header names and values; above: 431 */
    unsigned max_headers;       /* header count; above: 431 */
    size_t max_body;            /* decoded body bytes; above: 413 */
    uint64_t header_timeout_ms; /* first byte of a request to end of its headers; then 408 */
    uint64_t body_timeout_ms;   /* longest pause between body reads; then 408 */
    uint64_t idle_timeout_ms;   /* keep-alive connection with no request; then closed */
    size_t write_high_water;    /* queued response bytes above which producers pause */
    size_t write_low_water;     /* ... and below which they resume */
    unsigned max_connections;   /* further connections are closed at once */
};

/* Defaults: 8 KiB URL, 32 KiB headers, 100 headers, 1 MiB body, 10 s header, 30 s body,
 * 75 s idle, 1 MiB / 256 KiB watermarks, 10,000 connections. */
void http_server_limits_default(struct http_server_limits *l);

/* Called once per complete request. The handler must eventually end the response with
 * common/http_reply (synchronously or later). If it answers later, it must register an abort
 * callback (http_reply_on_abort) and stop using `req` when that runs. */
typedef void (*http_server_handler_cb)(struct http_request *req, void *ud);
/* Called when a drain finishes: every connection is closed. */
typedef void (*http_server_drained_cb)(struct http_server *s, void *ud);

/* Creates a server on `loop`. `limits` is copied (NULL = defaults). Never NULL. */
struct http_server *http_server_new(uv_loop_t *loop, const struct http_server_limits *limits,
                                    http_server_handler_cb handler, void *ud);
/* Binds `addr` (IPv4 or IPv6 literal) and `port` (0 = the OS picks) and listens. Stores the
 * bound port in *bound_port when not NULL. 0, or a negative libuv code. */
int http_server_listen(struct http_server *s, const char *addr, int port, int *bound_port);
/* The port bound by the last successful http_server_listen() (useful after listening on port 0
 * through daemon_run), or 0 before. */
int http_server_port(const struct http_server *s);
/* Graceful drain: stops accepting, closes idle connections, lets in-flight responses finish
 * (each connection closes after its response) and after `deadline_ms` closes the rest, which
 * runs their abort callbacks. `cb` runs once every connection is closed (possibly before this
 * returns when none is open). */
void http_server_drain(struct http_server *s, uint64_t deadline_ms, http_server_drained_cb cb,
                       void *ud);
/* Closes every handle at once (running abort callbacks) and frees the server once they are
 * closed; the loop must run for that. NULL-safe. */
void http_server_free(struct http_server *s);

struct http_server_stats {
    uint64_t connections_total;
    uint64_t connections_open;
    uint64_t requests_total;
    uint64_t requests_in_flight;
    uint64_t rejected_total; /* 4xx sent by the server itself: parse errors, limits, timeouts */
};
void http_server_get_stats(const struct http_server *s, struct http_server_stats *out);

#endif
