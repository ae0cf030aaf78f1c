/* A parsed HTTP request as handed to handlers by common/http_server, and helpers to read its
 * headers and query string. Depends on common/buf only. */
#ifndef SVC_COMMON_HTTP_REQUEST_H
#define SVC_COMMON_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct http_conn;

struct http_header {
    struct slice name;
    struct slice value;
};

/* A parsed request. Owned by its connection and valid from the handler call until the response
 * ends (http_reply_end/http_reply_send...) or the abort callback runs, whichever is first.
 * Slices point into connection buffers. */
struct http_request {
    struct http_conn *conn;
    uint64_t id;             /* unique per server, for logs */
    int method;              /* llhttp_method_t */
    const char *method_name; /* "GET", static */
    struct slice target;     /* raw request-target, e.g. "/v1/x?y=1" */
    struct slice path;       /* target up to '?' */
    struct slice query;      /* after '?', empty when none */
    struct http_header *headers;
    size_t nheaders;
    struct slice body; /* decoded (de-chunked) body; may be empty */
    uint8_t version_major;
    uint8_t version_minor;
    bool keep_alive;     /* the client allows another request on this connection */
    uint64_t start_ns;   /* uv_hrtime() when the request's first byte arrived */
    const char *peer_ip; /* client address, e.g. "127.0.0.1" */
};

/* Returns the value of the first header named `name` (case-insensitive), or a NULL slice. */
struct slice http_request_header(const struct http_request *req, const char *name);
/* Copies the query parameter `key` (percent-decoded, '+' as space) into `out` (NUL-terminated).
 * false when the parameter is absent, badly escaped or does not fit in `size`. */
bool http_request_query(const struct http_request *req, const char *key, char *out, size_t size);
/* Percent-decodes `in` into `out` (NUL-terminated). Returns the decoded length, or -1 when the
 * input has an invalid escape or does not fit. `plus_is_space` applies to query strings. */
long http_percent_decode(struct slice in, char *out, size_t size, bool plus_is_space);

#endif
