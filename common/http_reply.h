/* Writing responses to requests received by common/http_server: status lines and headers,
 * complete bodies, OpenAI-shaped JSON errors, and streamed (chunked / SSE) bodies with
 * write-queue accounting: above the high watermark the producer is told to pause, and its drain
 * callback runs once the queue falls below the low watermark.
 * After a response ends (http_reply_send, _json, _error, _end) the request is invalid.
 * Depends on common/http_server, common/json, common/buf. */
#ifndef SVC_COMMON_HTTP_REPLY_H
#define SVC_COMMON_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "buf.h"
#include "http_status.h" /* callers of http_reply_error_* use its mapping */

struct http_request;

typedef void (*http_reply_drain_cb)(void *ud);
/* The connection closed before the response ended (client gone, drain deadline, server freed).
 * The request is invalid once this returns. */
typedef void (*http_reply_abort_cb)(void *ud);

#define HTTP_REPLY_UNKNOWN_LENGTH (-1LL)

/* Adds a header to the response about to start (copied). Headers whose name or value holds
 * CR or LF are dropped. Framing headers (Content-Length, Transfer-Encoding, Connection) are
 * managed here and must not be added. */
void http_reply_add_header(struct http_request *req, const char *name, const char *value);
void http_reply_add_header_slice(struct http_request *req, struct slice name, struct slice value);

/* Complete responses. `content_type` may be NULL (no header). */
void http_reply_send(struct http_request *req, int status, const char *content_type,
                     const void *body, size_t len);
/* Serialises `doc` compact and key-sorted (common/json) as application/json. */
void http_reply_json(struct http_request *req, int status, const cJSON *doc);
/* {"error":{"code":...,"message":...,"type":...}} with type and code derived from `status`. */
void http_reply_error(struct http_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same with explicit type and code strings. */
void http_reply_error_ex(struct http_request *req, int status, const char *type, const char *code,
                         const char *message);
/* Returns true when the request's method is `method` ("GET" also admits HEAD). Otherwise
 * answers 405 with an Allow header and an OpenAI-shaped error, and returns false (the request
 * is then invalid): `if (!http_reply_check_method(req, "GET")) return;` */
bool http_reply_check_method(struct http_request *req, const char *method);

/* Streaming: sends the status line and headers. `content_length` >= 0 frames the body by length,
 * HTTP_REPLY_UNKNOWN_LENGTH by chunked encoding (or by closing, for HTTP/1.0 clients).
 * Returns like http_reply_write(). */
int http_reply_start(struct http_request *req, int status, const char *content_type,
                     long long content_length);
/* Like http_reply_start, but the head is held back and leaves with the first body bytes, the end
 * of the response, or http_reply_flush(), whichever comes first: a small response then costs one
 * write instead of two. */
void http_reply_begin(struct http_request *req, int status, const char *content_type,
                      long long content_length);
/* Writes a head held by http_reply_begin, if any. Returns like http_reply_write(). */
int http_reply_flush(struct http_request *req);
/* Queues body bytes (framed as a chunk when chunked). 0 = go on; 1 = the client is slow: pause
 * until the drain callback; negative = the connection is gone (the abort callback has run or
 * will run; stop producing). */
int http_reply_write(struct http_request *req, const void *data, size_t len);
/* Ends the response (writes the last chunk when chunked). */
void http_reply_end(struct http_request *req);
/* Gives up on the response: closes the connection at once, before or after the head. Bytes not
 * yet written are dropped, so the client sees the connection end early (no response, or a
 * truncated body without the last chunk). The abort callback does not run (the caller knows);
 * the request is invalid afterwards. For handlers that must give up and for fault injection. */
void http_reply_abort(struct http_request *req);
bool http_reply_is_started(const struct http_request *req);
/* Bytes queued to the client and not yet written. */
size_t http_reply_queued(const struct http_request *req);

void http_reply_on_drain(struct http_request *req, http_reply_drain_cb cb, void *ud);
void http_reply_on_abort(struct http_request *req, http_reply_abort_cb cb, void *ud);

#endif
