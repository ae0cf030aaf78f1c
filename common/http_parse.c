/* The llhttp side of the HTTP server: the parser callbacks, which enforce the URL, header and
 * body limits (414/431/413), the request-line rules (origin form, HTTP/1.x), the body budget
 * and 100-continue, and build the request's slices; and feeding received bytes to the parser.
 * Knows no daemon; depends on llhttp, common/buf, common/http_request. */
#include "http_server.h"

#include <string.h>

#include "http_server_internal.h"
#include "xalloc.h"

static struct http_conn *conn_of(llhttp_t *p)
{
    return (struct http_conn *)p->data;
}

static int refuse(struct http_conn *c, int status, const char *reason)
{
    c->reject_status = status;
    c->reject_reason = reason;
    llhttp_set_error_reason(&c->parser, reason);
    return HPE_USER;
}

static int on_message_begin(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    const struct http_server_limits *l = &c->server->limits;

    c->in_request = true;
    c->req.start_ns = uv_hrtime();
    /* The first request's headers are timed from accept (a client must not hold a slot for
     * the idle timeout by sending nothing); a later request's from its first byte. */
    if (c->timeout != TIMEOUT_HEADER)
        http_limits_arm(c, TIMEOUT_HEADER, l->header_timeout_ms);
    return 0;
}

static int on_method_complete(llhttp_t *p)
{
    conn_of(p)->method_known = true;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);

    if (c->url_len + len > c->server->limits.max_url)
        return refuse(c, 414, "request target too long");
    if (buf_append(&c->head, at, len) < 0)
        return refuse(c, 414, "request target too long");
    c->url_len += len;
    return 0;
}

static int add_header_bytes(struct http_conn *c, const char *at, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes > c->server->limits.max_header_bytes)
        return refuse(c, 431, "request header fields too large");
    if (buf_append(&c->head, at, len) < 0)
        return refuse(c, 431, "request header fields too large");
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);

    if (c->nhdrs == 0 || c->last_was_value) {
        if (c->nhdrs >= c->server->limits.max_headers)
            return refuse(c, 431, "too many request header fields");
        if (c->nhdrs == c->hdr_cap) {
            c->hdr_cap = c->hdr_cap ? c->hdr_cap * 2 : 16;
            c->hdrs = xrealloc(c->hdrs, c->hdr_cap * sizeof(*c->hdrs));
            c->headers = xrealloc(c->headers, c->hdr_cap * sizeof(*c->headers));
        }
        c->hdrs[c->nhdrs++] = (struct hdr_off){.name_off = c->head.len};
        c->last_was_value = false;
    }
    c->hdrs[c->nhdrs - 1].name_len += len;
    return add_header_bytes(c, at, len);
}

static int on_header_field_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);

    c->hdrs[c->nhdrs - 1].value_off = c->head.len;
    c->last_was_value = true; /* an empty value has no on_header_value call */
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);

    c->hdrs[c->nhdrs - 1].value_len += len;
    return add_header_bytes(c, at, len);
}

static struct slice head_slice(const struct http_conn *c, size_t off, size_t len)
{
    return (struct slice){c->head.data != NULL ? c->head.data + off : "", len};
}

/* Builds the request's slices from the offsets; head.data no longer moves after this. */
static void build_request(struct http_conn *c)
{
    struct http_request *r = &c->req;

    r->target = head_slice(c, 0, c->url_len);
    const char *q = memchr(r->target.ptr, '?', r->target.len);
    r->path = r->target;
    r->query = (struct slice){"", 0};
    if (q != NULL) {
        r->path.len = (size_t)(q - r->target.ptr);
        r->query = (struct slice){q + 1, r->target.len - r->path.len - 1};
    }
    for (unsigned i = 0; i < c->nhdrs; i++) {
        c->headers[i].name = head_slice(c, c->hdrs[i].name_off, c->hdrs[i].name_len);
        c->headers[i].value = slice_trim(head_slice(c, c->hdrs[i].value_off, c->hdrs[i].value_len));
    }
    r->headers = c->headers;
    r->nheaders = c->nhdrs;
}

/* A path, or "*" for OPTIONS. The absolute form (a proxy request) and the authority form are
 * refused: forwarding "GET http://evil.example/" verbatim would let a client pick the host a
 * proxying daemon's upstream sees. */
static bool is_origin_form(struct slice target, int method)
{
    if (target.len > 0 && target.ptr[0] == '/')
        return true;
    return method == HTTP_OPTIONS && slice_eq(target, "*");
}

static int on_headers_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    const struct http_server_limits *l = &c->server->limits;

    c->headers_done = true;
    http_limits_evictable_remove(c); /* committed to a request: never evicted from here on */
    build_request(c);
    if (llhttp_get_method(p) == HTTP_CONNECT)
        return refuse(c, 501, "CONNECT is not supported");
    if (p->http_major < 1)
        return refuse(c, 400, "HTTP/0.9 requests are not supported");
    if (!is_origin_form(c->req.target, llhttp_get_method(p)))
        return refuse(c, 400, "the request target must be a path (origin form)");
    p->upgrade = 0; /* protocol upgrades are not offered: treat as a plain request */
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > l->max_body)
        return refuse(c, 413, "request body too large");
    /* Refused before a byte of the body is read: the budget bounds memory, not work done. */
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0) {
        if (http_limits_body_reserve(c, (size_t)p->content_length) < 0)
            return refuse(c, 503, "server busy: too many request bodies in progress");
        if (buf_reserve(&c->body, (size_t)p->content_length) < 0)
            return refuse(c, 413, "request body too large");
    }
    struct slice expect = http_request_header(&c->req, "expect");
    if (expect.ptr != NULL) {
        if (!slice_eq_nocase(expect, "100-continue"))
            return refuse(c, 417, "unsupported expectation");
        if (p->http_major == 1 && p->http_minor >= 1) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            uv_buf_t b = http_cbuf(cont, sizeof(cont) - 1);
            if (http_conn_write(c, &b, 1) < 0)
                return refuse(c, 400, "connection lost");
        }
    }
    http_limits_arm(c, TIMEOUT_BODY, l->body_timeout_ms);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);

    if (c->body.len + len > c->server->limits.max_body)
        return refuse(c, 413, "request body too large");
    /* A chunked body reserves budget as it grows (a Content-Length one reserved it whole). */
    if (c->body.len + len > c->body_reserved &&
        http_limits_body_reserve(c, c->body.len + len - c->body_reserved) < 0)
        return refuse(c, 503, "server busy: too many request bodies in progress");
    if (buf_append(&c->body, at, len) < 0)
        return refuse(c, 413, "request body too large");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    struct http_request *r = &c->req;

    if (p->http_major < 1)
        return refuse(c, 400, "HTTP/0.9 requests are not supported");
    build_request(c); /* trailer fields may have grown (and moved) the head buffer */
    r->body = (struct slice){c->body.data != NULL ? c->body.data : "", c->body.len};
    r->method = llhttp_get_method(p);
    r->method_name = llhttp_method_name((llhttp_method_t)r->method);
    r->version_major = p->http_major;
    r->version_minor = p->http_minor;
    r->keep_alive = llhttp_should_keep_alive(p) != 0;
    return HPE_PAUSED; /* one request at a time: the caller dispatches it */
}

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_method_complete = on_method_complete,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_parse_init(struct http_conn *c)
{
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    c->parser.data = c;
}

int http_parse_feed(struct http_conn *c, const char *data, size_t len, size_t *used)
{
    if (llhttp_get_errno(&c->parser) == HPE_PAUSED)
        llhttp_resume(&c->parser);
    llhttp_errno_t e = llhttp_execute(&c->parser, data, len);
    if (e == HPE_OK) {
        *used = len;
        return 0;
    }
    if (e == HPE_PAUSED) {
        *used = (size_t)(llhttp_get_error_pos(&c->parser) - data);
        return 1;
    }
    *used = len;
    if (c->reject_status != 0)
        http_conn_reject(c, c->reject_status, c->reject_reason);
    else
        http_conn_reject(c, 400, llhttp_get_error_reason(&c->parser));
    return -1;
}
