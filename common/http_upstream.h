/* Lean HTTP/1.1 client (plain HTTP only): a keep-alive connection pool per host:port on libuv,
 * responses parsed with llhttp and handed over as they arrive (head, then body bytes), with
 * connect, first-byte and total timeouts. The router's proxy path uses it directly because it
 * costs one write and one read per request on a warm connection and no per-request setup;
 * common/http_fetch wraps it for one-shot calls. Unlike common/http_client it needs no libcurl,
 * whose shared libraries (TLS stacks included) cost a daemon about 8-10 MB of resident memory.
 * Idle pooled connections keep reading so that a server closing them is noticed at once.
 * Request bodies are written from the caller's memory (see http_upstream_opts), so a proxied
 * body costs no second copy however slowly the server reads it.
 * Depends on libuv, llhttp and common/. Loop thread only. */
#ifndef SVC_COMMON_HTTP_UPSTREAM_H
#define SVC_COMMON_HTTP_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "http_request.h"

struct http_upstream_pool;
struct http_upstream;

/* The response head arrived (1xx responses are skipped). `content_length` is -1 when the body is
 * chunked or delimited by the connection closing. Headers are valid during the call. */
typedef void (*http_upstream_head_cb)(void *ud, int status, const struct http_header *headers,
                                      size_t n, long long content_length);
/* Body bytes. Return true to stop reading from the server until http_upstream_resume(). */
typedef bool (*http_upstream_body_cb)(void *ud, const char *data, size_t len);
/* The exchange ended: rc = 0 when the whole response arrived; otherwise UV_ETIMEDOUT,
 * UV_ECONNREFUSED, UV_ECONNRESET, UV_EOF (closed early), SVC_EPARSE (malformed response), or a
 * resolver/socket error. `started` tells whether any response byte had arrived (a request that
 * failed before that may be retried elsewhere). `stale` is set when a reused keep-alive
 * connection failed before any response byte: the server closed it while idle, so the request
 * can be re-sent on a fresh connection without counting a fault. The request's head and body
 * are no longer used (they may be freed, or re-sent from inside this callback); the handle is
 * freed after this returns. */
typedef void (*http_upstream_done_cb)(void *ud, int rc, bool started, bool stale);

/* Every byte of one read from the server was delivered (optional): a place to flush output
 * that was held back to be coalesced with what followed in the same read. */
typedef void (*http_upstream_read_done_cb)(void *ud);

struct http_upstream_cbs {
    http_upstream_head_cb on_head;
    http_upstream_body_cb on_body;
    http_upstream_done_cb on_done;
    http_upstream_read_done_cb on_read_done;
};

struct http_upstream_opts {
    /* The request is written from these buffers, never copied: both stay borrowed, unchanged,
     * until on_done has been called or http_upstream_abort() has returned. Every end of the
     * exchange closes the connection before that if any of them is still queued (a server that
     * answered without reading the whole body included), so the caller may then free them. */
    struct slice head; /* complete request head incl. the blank line */
    struct slice body;
    bool head_request; /* HEAD: the response has no body whatever its headers say */
    bool fresh;        /* do not reuse an idle connection */
    uint64_t connect_timeout_ms;
    uint64_t first_byte_timeout_ms; /* from the request being sent; 0 = none */
    uint64_t idle_timeout_ms;       /* longest silence between response reads once the response
                                       started (not counting pauses asked by on_body); 0 = none */
    uint64_t total_timeout_ms;      /* from start to the end of the body; 0 = none */
};

/* Creates a pool for host:port keeping at most `max_idle` idle connections (host: IPv4/IPv6
 * literal or name, resolved asynchronously and cached). Never NULL. */
struct http_upstream_pool *http_upstream_pool_new(uv_loop_t *loop, const char *host, int port,
                                                  unsigned max_idle);
/* Closes idle connections; connections in use close when their exchange ends; the pool memory
 * goes with the last of them. NULL-safe. */
void http_upstream_pool_free(struct http_upstream_pool *p);
/* Closes every idle connection (e.g. after the instance failed). */
void http_upstream_pool_flush(struct http_upstream_pool *p);
size_t http_upstream_pool_idle(const struct http_upstream_pool *p);
size_t http_upstream_pool_active(const struct http_upstream_pool *p);

/* Sends a request. The callbacks run later, never from inside this call. Never NULL. */
struct http_upstream *http_upstream_start(struct http_upstream_pool *p,
                                          const struct http_upstream_opts *o,
                                          const struct http_upstream_cbs *cbs, void *ud);
/* Resumes reading after on_body asked to stop. */
void http_upstream_resume(struct http_upstream *u);
/* Abandons the exchange: no callback runs afterwards; the connection is closed, and the request's
 * head and body are no longer used once this returns. */
void http_upstream_abort(struct http_upstream *u);

#endif
