/* One-shot HTTP/1.1 requests (plain http:// URLs) over common/http_upstream: the options and
 * response types of common/http_client in buffered mode, without libcurl. Daemons that only
 * talk plain HTTP to their peers (registry probes, router discovery and probes) use this and so
 * never load libcurl and its TLS libraries (about 8-10 MB of resident memory per process).
 * Connections are pooled per host:port when `max_idle_per_host` > 0. Depends on
 * common/http_upstream, common/http_client (types only), common/buf. Loop thread only. */
#ifndef SVC_COMMON_HTTP_FETCH_H
#define SVC_COMMON_HTTP_FETCH_H

#include <stddef.h>

#include <uv.h>

#include "http_client.h"

struct http_fetch;
struct http_fetch_req;

/* Creates a fetcher. `max_idle_per_host` = 0 closes every connection after its request (right
 * for infrequent calls to many hosts, e.g. health probes). Never NULL. */
struct http_fetch *http_fetch_new(uv_loop_t *loop, unsigned max_idle_per_host);
/* Cancels every request (no callbacks) and frees the fetcher once its connections are closed;
 * the loop must run for that. NULL-safe. Not from inside this fetcher's callbacks. */
void http_fetch_free(struct http_fetch *f);

/* Starts a buffered request described like http_client's (on_head/on_data must be NULL;
 * method, url, headers, body, connect_timeout_ms, timeout_ms, max_response, on_done, ud).
 * on_done runs exactly once, never from inside this call, unless the request is cancelled:
 * rc = 0 when a response arrived (any status); UV_EINVAL for a URL that is not
 * http://host[:port][/path]; UV_ETIMEDOUT, UV_ECONNREFUSED, UV_ECONNRESET, SVC_EPARSE,
 * SVC_ELIMIT (body above max_response, default 1 MiB) or another libuv error otherwise.
 * Returns a handle valid until on_done returns or http_fetch_cancel; NULL only when `o` has no
 * URL or on_done, or asks for streaming. */
struct http_fetch_req *http_fetch_start(struct http_fetch *f, const struct http_client_opts *o);
/* Abandons a request: on_done is not called. Not from inside this fetcher's callbacks. */
void http_fetch_cancel(struct http_fetch_req *r);
/* Requests in flight. */
size_t http_fetch_active(const struct http_fetch *f);

#endif
