/* HTTP/1.1 server on libuv + llhttp.
 * Keep-alive; pipelined requests answered in order (one request in flight per connection:
 * parsing pauses while the handler runs); Content-Length and chunked request bodies buffered
 * whole up to a limit per request and a budget across all connections (503 beyond it); limits
 * on URL (414), header bytes and count (431) and body (413) answered with a JSON error; only
 * origin-form HTTP/1.x request lines (400 otherwise); a header timeout counted from accept,
 * body progress and minimum-rate timeouts, a keep-alive idle timeout after each response; at
 * the connection cap the oldest idle connection makes room; Expect: 100-continue; graceful
 * drain; the server's own rejections reported for access logs. Responses are written with
 * common/http_reply. Knows no daemon; depends on libuv, llhttp, common/buf, common/log.
 * Single-threaded (the loop thread). */
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
    size_t max_url;          /* bytes of the request target; above: 414 */
    size_t max_header_bytes; /* bytes of all header names and values; above: 431 */
    unsigned max_headers;    /* header count; above: 431 */
    size_t max_body;         /* decoded body bytes; above: 413 */
    /* Headers of the first request must be complete this long after accept, and those of a
     * later request this long after its first byte; then 408 (a connection that sent nothing
     * is just closed). */
    uint64_t header_timeout_ms;
    uint64_t body_timeout_ms; /* longest pause between body reads; then 408 */
    /* Bytes/s a body must average: every read buys len/min_body_rate seconds (never more than
     * body_timeout_ms ahead), so a trickling body times out (408) about body_timeout_ms after
     * its headers. 0 = only the pause limit. */
    size_t min_body_rate;
    uint64_t idle_timeout_ms; /* after a complete response, wait for the next; then closed */
    size_t write_high_water;  /* queued response bytes above which producers pause */
    size_t write_low_water;   /* ... and below which they resume */
    unsigned max_connections; /* above: the oldest idle connection is closed to make room */
    size_t max_buffered_body; /* request-body bytes held across all connections; a request
                               * that would go beyond gets 503 + Retry-After (0 = no limit) */
};

/* Defaults: 8 KiB URL, 32 KiB headers, 100 headers, 1 MiB body, 10 s header, 30 s body,
 * 1 KiB/s minimum body rate, 75 s idle, 1 MiB / 256 KiB watermarks, 10,000 connections,
 * 256 MiB of buffered bodies. */
void http_server_limits_default(struct http_server_limits *l);

/* Called once per complete request. The handler must eventually end the response with
 * common/http_reply (synchronously or later). If it answers later, it must register an abort
 * callback (http_reply_on_abort) and stop using `req` when that runs. */
typedef void (*http_server_handler_cb)(struct http_request *req, void *ud);
/* Called when a drain finishes: every connection is closed. */
typedef void (*http_server_drained_cb)(struct http_server *s, void *ud);

/* A request the server answered itself (400, 408, 413, 414, 417, 431, 501, 503) with
 * Connection: close. Everything is borrowed for the duration of the callback. */
struct http_server_rejection {
    const char *peer_ip; /* "" when unknown */
    const char *method;  /* "-" when the request line was not read that far */
    struct slice path;   /* the request target up to '?', as far as it was read (may be empty,
                          * at most 256 bytes) */
    int status;
    const char *reason;
    double ms; /* since the request's first byte (0 when no byte had arrived) */
};
typedef void (*http_server_reject_cb)(const struct http_server_rejection *r, void *ud);

/* Creates a server on `loop`. `limits` is copied (NULL = defaults). Never NULL. */
struct http_server *http_server_new(uv_loop_t *loop, const struct http_server_limits *limits,
                                    http_server_handler_cb handler, void *ud);
/* Binds `addr` (IPv4 or IPv6 literal) and `port` (0 = the OS picks) and listens. Stores the
 * bound port in *bound_port when not NULL. 0, or a negative libuv code. */
int http_server_listen(struct http_server *s, const char *addr, int port, int *bound_port);
/* The port bound by the last successful http_server_listen() (useful after listening on port 0
 * through daemon_run), or 0 before. */
int http_server_port(const struct http_server *s);
/* Installs the callback told about each rejection (one call per rejected request), e.g. to
 * write the daemon's access-log line. Without one, the server writes a line of its own through
 * log_access(): "peer=... method=... path=... status=... ms=... rejected=\"reason\"". */
void http_server_on_reject(struct http_server *s, http_server_reject_cb cb, void *ud);
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
    uint64_t rejected_total;         /* 4xx/5xx sent by the server itself: parse errors, limits,
                                      * timeouts, the body budget */
    uint64_t evicted_total;          /* idle connections closed at the connection cap */
    uint64_t body_budget_rejections; /* 503s for lack of body budget (in rejected_total too) */
    uint64_t buffered_body_bytes;    /* body bytes reserved right now */
};
void http_server_get_stats(const struct http_server *s, struct http_server_stats *out);

#endif
