/* Asynchronous HTTP client: the libcurl multi-socket API driven by libuv (one uv_poll_t per
 * curl socket, one uv_timer_t). Never blocks the loop; connections are reused across requests;
 * per-request connect and total timeouts; responses either buffered (bounded) or streamed to a
 * callback that can pause the transfer. Local addresses never go through an HTTP proxy.
 * Depends on libcurl, libuv and common/buf. Single-threaded (the loop thread). */
#ifndef SVC_TOOLS_BENCH_HTTP_CLIENT_H
#define SVC_TOOLS_BENCH_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "http_request.h"

struct http_client;
struct http_client_req;

struct http_client_response {
    long status;                       /* HTTP status, 0 when no response arrived */
    const struct http_header *headers; /* of the final response; valid during the callback */
    size_t nheaders;
    struct slice body; /* buffered mode only; valid during the callback */
};

/* Streaming mode: the status and headers arrived (after any 1xx). */
typedef void (*http_client_head_cb)(void *ud, const struct http_client_response *resp);
/* Streaming mode: body bytes. Return 0 to go on, HTTP_CLIENT_PAUSE to pause the transfer (the
 * same bytes are delivered again after http_client_resume), or HTTP_CLIENT_ABORT to fail it with
 * SVC_ECANCELED. Must not call any http_client function. */
typedef int (*http_client_data_cb)(void *ud, const char *data, size_t len);
/* Called exactly once per request unless it was cancelled: rc = 0 when a response arrived
 * (whatever its status), else UV_ETIMEDOUT, UV_ECONNREFUSED, UV_ECONNRESET, SVC_ELIMIT (body
 * larger than max_response), SVC_ECANCELED (aborted by the data callback), UV_EAI_NONAME or
 * UV_EIO. The request is freed when this returns. */
typedef void (*http_client_done_cb)(void *ud, int rc, const struct http_client_response *resp);

#define HTTP_CLIENT_PAUSE 1
#define HTTP_CLIENT_ABORT 2

struct http_client_opts {
    const char *method; /* NULL = GET, or POST when a body is given */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines, copied; may be NULL */
    const void *body;           /* copied */
    size_t body_len;
    uint64_t connect_timeout_ms; /* 0 = 5 s */
    uint64_t timeout_ms;         /* total, including the body; 0 = none */
    size_t max_response;         /* buffered mode limit; 0 = 1 MiB */
    http_client_head_cb on_head; /* set both on_head and on_data for streaming mode */
    http_client_data_cb on_data;
    http_client_done_cb on_done;
    void *ud;
};

/* Creates a client on `loop` keeping up to `max_idle_conns` idle connections (0 = 64).
 * Never NULL. */
struct http_client *http_client_new(uv_loop_t *loop, unsigned max_idle_conns);
/* Cancels every request (no callbacks), closes every handle, and frees the client once they are
 * closed; the loop must run for that. NULL-safe. Not from inside this client's callbacks. */
void http_client_free(struct http_client *c);

/* Starts a request. Returns a handle valid until on_done returns or http_client_cancel; NULL
 * only when `opts` is invalid (no URL or no on_done). */
struct http_client_req *http_client_start(struct http_client *c,
                                          const struct http_client_opts *opts);
/* Abandons a request: on_done is not called. Not from inside this client's callbacks. */
void http_client_cancel(struct http_client_req *r);
/* Resumes a transfer paused by its data callback. Not from inside this client's callbacks. */
void http_client_resume(struct http_client_req *r);

/* Number of requests in flight. */
size_t http_client_active(const struct http_client *c);

#endif
