/* Header filtering and upstream request heads. Depends on common/buf, common/http_request. */
#include "headers.h"

#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "buf.h"
#include "err.h"

struct named {
    const char *name;
    size_t len;
};

#define NAMED(s)                                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct named hop_by_hop[] = {
    NAMED("connection"),
    NAMED("keep-alive"),
    NAMED("proxy-authenticate"),
    NAMED("proxy-authorization"),
    NAMED("proxy-connection"),
    NAMED("te"),
    NAMED("trailer"),
    NAMED("trailers"),
    NAMED("transfer-encoding"),
    NAMED("upgrade"),
    NAMED("content-length"),
    NAMED("host"),
    NAMED("expect"),
    {NULL, 0},
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
    /* Length first: this runs for every header of every request and response. */
    for (const struct named *h = hop_by_hop; h->name != NULL; h++) {
        if (h->len == name.len && strncasecmp(h->name, name.ptr, name.len) == 0)
            return true;
    }
    return connection.ptr != NULL && listed_in_connection(name, connection);
}

int rt_headers_build_request(struct buf *out, const struct http_request *req,
                             const struct rt_forward *f)
{
    const char *upstream_host = f->host;
    bool drop_auth = f->drop_authorization || f->upstream_auth != NULL;
    struct slice connection = http_request_header(req, "connection");
    struct slice xff = {NULL, 0};
    bool have_proto = false;
    int rc = 0;

    /* No printf here: this runs for every proxied request. */
    bool v6 = strchr(upstream_host, ':') != NULL;
    rc |= buf_append_str(out, req->method_name);
    rc |= buf_putc(out, ' ');
    rc |= buf_append_slice(out, req->target);
    rc |= buf_append_str(out, v6 ? " HTTP/1.1\r\nHost: [" : " HTTP/1.1\r\nHost: ");
    rc |= buf_append_str(out, upstream_host);
    rc |= buf_append_str(out, v6 ? "]:" : ":");
    rc |= buf_append_uint(out, (unsigned long long)f->port);
    rc |= buf_append(out, "\r\n", 2);
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
        if (slice_eq_nocase(h->name, "x-request-id") ||
            (drop_auth && slice_eq_nocase(h->name, "authorization")))
            continue; /* replaced below, or never meant for the instance */
        rc |= buf_append_slice(out, h->name);
        rc |= buf_append(out, ": ", 2);
        rc |= buf_append_slice(out, h->value);
        rc |= buf_append(out, "\r\n", 2);
    }
    if (f->request_id.len > 0) {
        rc |= buf_append_str(out, "X-Request-Id: ");
        rc |= buf_append_slice(out, f->request_id);
        rc |= buf_append(out, "\r\n", 2);
    }
    if (f->upstream_auth != NULL) {
        rc |= buf_append_str(out, f->upstream_auth);
        rc |= buf_append(out, "\r\n", 2);
    }
    rc |= buf_append_str(out, "X-Forwarded-For: ");
    if (xff.ptr != NULL && xff.len > 0) {
        rc |= buf_append_slice(out, xff);
        rc |= buf_append(out, ", ", 2);
    }
    rc |= buf_append_str(out, req->peer_ip);
    rc |= buf_append(out, "\r\n", 2);
    if (!have_proto)
        rc |= buf_append_str(out, "X-Forwarded-Proto: http\r\n");
    bool body_method =
        req->method == HTTP_POST || req->method == HTTP_PUT || req->method == HTTP_PATCH;
    if (req->body.len > 0 || body_method) {
        rc |= buf_append_str(out, "Content-Length: ");
        rc |= buf_append_uint(out, (unsigned long long)req->body.len);
        rc |= buf_append(out, "\r\n", 2);
    }
    rc |= buf_append(out, "\r\n", 2);
    return rc != 0 ? SVC_ELIMIT : 0;
}
