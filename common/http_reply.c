/* Response formatting on top of http_server's connection write queue: heads, fixed-length and
 * chunked bodies, JSON and error bodies. Depends on common/http_server(_internal),
 * common/http_status, common/json. */
#include "http_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <llhttp.h>

#include "err.h"
#include "http_server_internal.h"
#include "http_status.h"
#include "json.h"
#include "xalloc.h"

static bool has_crlf(struct slice s)
{
    return memchr(s.ptr, '\r', s.len) != NULL || memchr(s.ptr, '\n', s.len) != NULL;
}

void http_reply_add_header_slice(struct http_request *req, struct slice name, struct slice value)
{
    struct http_conn *c = req->conn;

    if (c->resp_started || name.len == 0 || has_crlf(name) || has_crlf(value))
        return;
    if (buf_reserve(&c->extra, name.len + value.len + 4) < 0)
        return; /* a handler adding 64 KiB of headers is a bug; drop rather than abort */
    buf_append_slice(&c->extra, name);
    buf_append(&c->extra, ": ", 2);
    buf_append_slice(&c->extra, value);
    buf_append(&c->extra, "\r\n", 2);
}

void http_reply_add_header(struct http_request *req, const char *name, const char *value)
{
    http_reply_add_header_slice(req, slice_from_cstr(name), slice_from_cstr(value));
}

/* Formats the status line and headers into `out`. */
static void format_head(struct http_conn *c, struct buf *out, int status, const char *ctype,
                        long long length)
{
    const struct http_request *r = &c->req;
    bool http10 = r->version_major == 1 && r->version_minor == 0;
    bool keep = r->keep_alive && !c->close_after && !c->server->draining;

    c->resp_no_body = r->method == HTTP_HEAD || status == 204 || status == 304;
    c->resp_chunked = length < 0 && !http10 && !c->resp_no_body;
    c->resp_until_close = length < 0 && http10 && !c->resp_no_body;
    if (c->resp_until_close)
        keep = false;
    if (!keep)
        c->close_after = true;
    /* Every response goes through here: no printf (it cost ~15% of a small request's CPU). */
    buf_append_str(out, "HTTP/1.1 ");
    buf_append_uint(out, (unsigned)status);
    buf_putc(out, ' ');
    buf_append_str(out, http_status_reason(status));
    buf_append(out, "\r\n", 2);
    if (ctype != NULL) {
        buf_append_str(out, "Content-Type: ");
        buf_append_str(out, ctype);
        buf_append(out, "\r\n", 2);
    }
    if (length >= 0 && status != 204 && status != 304) {
        buf_append_str(out, "Content-Length: ");
        buf_append_uint(out, (unsigned long long)length);
        buf_append(out, "\r\n", 2);
    } else if (c->resp_chunked) {
        buf_append_str(out, "Transfer-Encoding: chunked\r\n");
    }
    buf_append(out, c->extra.data != NULL ? c->extra.data : "", c->extra.len);
    if (!keep)
        buf_append_str(out, "Connection: close\r\n");
    else if (http10)
        buf_append_str(out, "Connection: keep-alive\r\n");
    buf_append(out, "\r\n", 2);
    c->resp_started = true;
}

void http_reply_send(struct http_request *req, int status, const char *content_type,
                     const void *body, size_t len)
{
    struct http_conn *c = req->conn;
    struct buf *head = &c->server->scratch;

    SVC_ASSERT(!c->resp_started);
    buf_reset(head);
    format_head(c, head, status, content_type, (long long)len);
    uv_buf_t bufs[2] = {uv_buf_init(head->data, (unsigned)head->len),
                        http_cbuf(body, c->resp_no_body ? 0 : len)};
    if (http_conn_write(c, bufs, 2) < 0)
        return; /* the connection closed and ran the abort path */
    http_conn_response_done(c);
}

void http_reply_json(struct http_request *req, int status, const cJSON *doc)
{
    struct buf body;

    buf_init(&body, BUF_UNLIMITED);
    json_print(doc, &body);
    http_reply_send(req, status, "application/json", body.data, body.len);
    buf_free(&body);
}

void http_reply_error_ex(struct http_request *req, int status, const char *type, const char *code,
                         const char *message)
{
    struct buf body;

    buf_init(&body, BUF_UNLIMITED);
    http_status_error_body(&body, status, type, code, message);
    http_reply_send(req, status, "application/json", body.data, body.len);
    buf_free(&body);
}

void http_reply_error(struct http_request *req, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    http_reply_error_ex(req, status, NULL, NULL, msg);
}

bool http_reply_check_method(struct http_request *req, const char *method)
{
    bool get = strcmp(method, "GET") == 0;

    if (strcmp(req->method_name, method) == 0 || (get && req->method == HTTP_HEAD))
        return true;
    http_reply_add_header(req, "Allow", get ? "GET, HEAD" : method);
    http_reply_error(req, 405, "method %s not allowed on %.*s", req->method_name,
                     (int)req->path.len, req->path.ptr);
    return false;
}

int http_reply_start(struct http_request *req, int status, const char *content_type,
                     long long content_length)
{
    struct http_conn *c = req->conn;
    struct buf *head = &c->server->scratch;

    SVC_ASSERT(!c->resp_started);
    buf_reset(head);
    format_head(c, head, status, content_type, content_length);
    uv_buf_t b = uv_buf_init(head->data, (unsigned)head->len);
    return http_conn_write(c, &b, 1);
}

void http_reply_begin(struct http_request *req, int status, const char *content_type,
                      long long content_length)
{
    struct http_conn *c = req->conn;

    SVC_ASSERT(!c->resp_started);
    buf_reset(&c->held);
    format_head(c, &c->held, status, content_type, content_length);
}

/* Writes `n` buffers preceded by a held head, if any, in one call. */
static int write_with_head(struct http_conn *c, uv_buf_t *bufs, unsigned n)
{
    uv_buf_t all[5];

    if (c->held.len == 0)
        return http_conn_write(c, bufs, n);
    SVC_ASSERT(n < 5);
    all[0] = uv_buf_init(c->held.data, (unsigned)c->held.len);
    if (n > 0)
        memcpy(all + 1, bufs, n * sizeof(*bufs));
    int rc = http_conn_write(c, all, n + 1);
    buf_reset(&c->held);
    return rc;
}

int http_reply_flush(struct http_request *req)
{
    return write_with_head(req->conn, NULL, 0);
}

int http_reply_write(struct http_request *req, const void *data, size_t len)
{
    struct http_conn *c = req->conn;
    char size_line[24];

    SVC_ASSERT(c->resp_started);
    if (len == 0 || c->resp_no_body)
        return c->held.len > 0 ? write_with_head(c, NULL, 0) : c->above_high ? 1 : 0;
    if (!c->resp_chunked) {
        uv_buf_t b = http_cbuf(data, len);
        return write_with_head(c, &b, 1);
    }
    int n = snprintf(size_line, sizeof(size_line), "%zx\r\n", len);
    uv_buf_t bufs[3] = {uv_buf_init(size_line, (unsigned)n), http_cbuf(data, len),
                        http_cbuf("\r\n", 2)};
    return write_with_head(c, bufs, 3);
}

void http_reply_end(struct http_request *req)
{
    struct http_conn *c = req->conn;
    uv_buf_t last = http_cbuf("0\r\n\r\n", 5);

    SVC_ASSERT(c->resp_started);
    if (write_with_head(c, &last, c->resp_chunked ? 1 : 0) < 0)
        return;
    http_conn_response_done(c);
}

void http_reply_abort(struct http_request *req)
{
    http_conn_abort(req->conn);
}

bool http_reply_is_started(const struct http_request *req)
{
    return req->conn->resp_started;
}

size_t http_reply_queued(const struct http_request *req)
{
    return req->conn->queued;
}

void http_reply_on_drain(struct http_request *req, http_reply_drain_cb cb, void *ud)
{
    req->conn->drain_cb = cb;
    req->conn->drain_ud = ud;
}

void http_reply_on_abort(struct http_request *req, http_reply_abort_cb cb, void *ud)
{
    req->conn->abort_cb = cb;
    req->conn->abort_ud = ud;
}
