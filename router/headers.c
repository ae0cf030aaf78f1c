/* Header filtering and upstream request heads. Depends on common/buf, common/http_request. */
#include "headers.h"

#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "buf.h"
#include "err.h"

static const char *const hop_by_hop[] = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
    "expect",
    NULL,
};

/* Is `name` one of the comma-separated tokens of the Connection header? */
static bool listed_in_connection(struct slice name, struct slice connection)
{
    const char *p = connection.ptr, *end = connection.ptr + connection.len;

    while (p != NULL && p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        struct slice tok = slice_trim((struct slice){p, (size_t)((comma ? comma : end) - p)});
        if (tok.len == name.len && tok.len > 0 && strncasecmp(tok.ptr, name.ptr, tok.len) == 0)
            return true;
        p = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

bool rt_header_is_hop_by_hop(struct slice name, struct slice connection)
{
    for (const char *const *h = hop_by_hop; *h != NULL; h++) {
        if (slice_eq_nocase(name, *h))
            return true;
    }
    return connection.ptr != NULL && listed_in_connection(name, connection);
}

int rt_headers_build_request(struct buf *out, const struct http_request *req,
                             const char *upstream_host, int upstream_port)
{
    struct slice connection = http_request_header(req, "connection");
    struct slice xff = {NULL, 0};
    bool have_proto = false;
    int rc = 0;

    rc |= buf_appendf(out, "%s %.*s HTTP/1.1\r\n", req->method_name, (int)req->target.len,
                      req->target.ptr);
    rc |= buf_appendf(out, strchr(upstream_host, ':') ? "Host: [%s]:%d\r\n" : "Host: %s:%d\r\n",
                      upstream_host, upstream_port);
    for (size_t i = 0; i < req->nheaders && rc == 0; i++) {
        const struct http_header *h = &req->headers[i];
        if (rt_header_is_hop_by_hop(h->name, connection))
            continue;
        if (slice_eq_nocase(h->name, "x-forwarded-for")) {
            xff = h->value; /* re-emitted below with the peer appended */
            continue;
        }
        if (slice_eq_nocase(h->name, "x-forwarded-proto"))
            have_proto = true;
        rc |= buf_append_slice(out, h->name);
        rc |= buf_append(out, ": ", 2);
        rc |= buf_append_slice(out, h->value);
        rc |= buf_append(out, "\r\n", 2);
    }
    if (xff.ptr != NULL && xff.len > 0)
        rc |=
            buf_appendf(out, "X-Forwarded-For: %.*s, %s\r\n", (int)xff.len, xff.ptr, req->peer_ip);
    else
        rc |= buf_appendf(out, "X-Forwarded-For: %s\r\n", req->peer_ip);
    if (!have_proto)
        rc |= buf_append_str(out, "X-Forwarded-Proto: http\r\n");
    bool body_method =
        req->method == HTTP_POST || req->method == HTTP_PUT || req->method == HTTP_PATCH;
    if (req->body.len > 0 || body_method)
        rc |= buf_appendf(out, "Content-Length: %zu\r\n", req->body.len);
    rc |= buf_append(out, "\r\n", 2);
    return rc != 0 ? SVC_ELIMIT : 0;
}
