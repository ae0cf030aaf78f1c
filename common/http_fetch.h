/* One-shot, buffered HTTP/1.1 requests (plain http:// URLs) over common/http_upstream, without
 * libcurl: what the daemons use to talk to their peers (registry probes, registration and
 * heartbeats, router discovery and probes), so no daemon loads libcurl and its TLS libraries
 * (about 8-10 MB of resident memory per process). Connections are pooled per host:port when
 * `max_idle_per_host` > 0. Depends on common/http_upstream, common/http_request (header slices),
 * common/buf. Loop thread only. */
#ifndef SVC_COMMON_HTTP_FETCH_H
#define SVC_COMMON_HTTP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "http_request.h"

struct http_fetch;
struct http_fetch_req;

struct http_fetch_response {
    long status;                       /* HTTP status, 0 when no response arrived */
    const struct http_header *headers; /* valid during the callback */
    size_t nheaders;
    struct slice body; /* valid during the callback */
};

/* Called exactly once per request unless it was cancelled (see http_fetch_start for `rc`).
 * The request is freed when this returns. */
typedef void (*http_fetch_done_cb)(void *ud, int rc, const struct http_fetch_response *resp);

struct http_fetch_opts {
    const char *method; /* NULL = GET, or POST when a body is given */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines, copied; may be NULL */
    const void *body;           /* copied */
    size_t body_len;
    uint64_t connect_timeout_ms; /* 0 = 5 s */
    uint64_t timeout_ms;         /* total, including the body; 0 = none */
    size_t max_response;         /* body limit; 0 = 1 MiB */
    http_fetch_done_cb on_done;
    void *ud;
};

/* Creates a fetcher. `max_idle_per_host` = 0 closes every connection after its request (right
 * for infrequent calls to many hosts, e.g. health probes). Never NULL. */
struct http_fetch *http_fetch_new(uv_loop_t *loop, unsigned max_idle_per_host);
/* Cancels every request (no callbacks) and frees the fetcher once its connections are closed;
 * the loop must run for that. NULL-safe. Not from inside this fetcher's callbacks. */
void http_fetch_free(struct http_fetch *f);

/* Starts a request described by `o` (borrowed for this call only). on_done runs exactly once, never
 * from inside this call, unless the request is cancelled: rc = 0 when a response arrived (any
 * status); UV_EINVAL for a URL that is not http://host[:port][/path]; UV_ETIMEDOUT,
 * UV_ECONNREFUSED, UV_ECONNRESET, SVC_EPARSE, SVC_ELIMIT (body above max_response, default 1 MiB)
 * or another libuv error otherwise. Returns a handle valid until on_done returns or
 * http_fetch_cancel; NULL only when `o` has no URL or on_done. */
struct http_fetch_req *http_fetch_start(struct http_fetch *f, const struct http_fetch_opts *o);
/* Abandons a request: on_done is not called. Not from inside this fetcher's callbacks. */
void http_fetch_cancel(struct http_fetch_req *r);
/* Requests in flight. */
size_t http_fetch_active(const struct http_fetch *f);

#endif
