/* HTTP/1.1 server: accepting, reading and parsing requests, limits, timeouts, the connection
 * lifecycle and the write queue. The response side (formatting) lives in http_reply.c.
 * Knows no daemon; depends on libuv, llhttp and common/buf. */
#include "http_server.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http_server_internal.h"
#include "http_status.h"
#include "log.h"
#include "xalloc.h"

#define LINGER_MS 2000
/* Bytes a client may send ahead while its request is being handled (pipelining). */
#define PIPELINE_MAX (64 * 1024)

void http_server_limits_default(struct http_server_limits *l)
{
    *l = (struct http_server_limits){
        .max_url = 8 * 1024,
        .max_header_bytes = 32 * 1024,
        .max_headers = 100,
        .max_body = 1024 * 1024,
        .header_timeout_ms = 10000,
        .body_timeout_ms = 30000,
        .idle_timeout_ms = 75000,
        .write_high_water = 1024 * 1024,
        .write_low_water = 256 * 1024,
        .max_connections = 10000,
    };
}

static void conn_close(struct http_conn *c);
static void conn_run(struct http_conn *c);
static void server_maybe_done(struct http_server *s);

/* ---------------------------------------------------------------- parser callbacks */

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

static void arm_timer(struct http_conn *c, uint64_t ms);
static void disarm_timer(struct http_conn *c);

static int on_message_begin(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    const struct http_server_limits *l = &c->server->limits;

    c->in_request = true;
    c->req.start_ns = uv_hrtime();
    arm_timer(c, l->header_timeout_ms);
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

static int on_headers_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    const struct http_server_limits *l = &c->server->limits;

    c->headers_done = true;
    build_request(c);
    if (llhttp_get_method(p) == HTTP_CONNECT)
        return refuse(c, 501, "CONNECT is not supported");
    p->upgrade = 0; /* protocol upgrades are not offered: treat as a plain request */
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > l->max_body)
        return refuse(c, 413, "request body too large");
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
    arm_timer(c, l->body_timeout_ms);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);

    if (c->body.len + len > c->server->limits.max_body || buf_append(&c->body, at, len) < 0)
        return refuse(c, 413, "request body too large");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    struct http_request *r = &c->req;

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
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---------------------------------------------------------------- requests */

static void reset_request(struct http_conn *c)
{
    const size_t keep = 64 * 1024; /* do not pin large buffers to idle connections */

    if (c->body.cap > keep)
        buf_free(&c->body);
    if (c->head.cap > keep)
        buf_free(&c->head);
    buf_reset(&c->body);
    buf_reset(&c->head);
    buf_reset(&c->extra);
    buf_reset(&c->held);
    c->nhdrs = 0;
    c->url_len = 0;
    c->header_bytes = 0;
    c->last_was_value = false;
    c->in_request = false;
    c->headers_done = false;
    c->resp_started = c->resp_chunked = c->resp_until_close = c->resp_no_body = false;
    c->drain_cb = NULL;
    c->abort_cb = NULL;
    memset(&c->req, 0, sizeof(c->req));
    c->req.conn = c;
    c->req.peer_ip = c->peer_ip;
}

/* Feeds bytes to the parser. Sets *used to the bytes consumed. Returns 1 when a complete
 * request is ready, 0 when all input was consumed, -1 when the connection was rejected. */
static int parse(struct http_conn *c, const char *data, size_t len, size_t *used)
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

static void dispatch(struct http_conn *c)
{
    struct http_server *s = c->server;

    disarm_timer(c);
    c->state = CONN_HANDLING;
    c->req.id = ++s->next_id;
    s->stats.requests_total++;
    s->stats.requests_in_flight++;
    c->in_handler = true;
    s->handler(&c->req, s->ud);
    c->in_handler = false;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    struct http_conn *c = h->data;

    (void)suggested;
    *out = uv_buf_init(c->server->readbuf, sizeof(c->server->readbuf));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b);

static void set_reading(struct http_conn *c, bool on)
{
    if (on == c->reading || c->state == CONN_CLOSED)
        return;
    int rc = on ? uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)
                : uv_read_stop((uv_stream_t *)&c->tcp);
    if (rc < 0) {
        conn_close(c);
        return;
    }
    c->reading = on;
}

/* Parses what is buffered in c->in while no request is with a handler. */
static void conn_run(struct http_conn *c)
{
    while (c->state == CONN_READING && c->in.len > 0) {
        size_t used = 0;
        int r = parse(c, c->in.data, c->in.len, &used);
        buf_consume(&c->in, used);
        if (r < 0)
            return;
        if (r == 1)
            dispatch(c);
    }
    if (c->state == CONN_READING)
        set_reading(c, true);
}

static void on_input(struct http_conn *c, const char *data, size_t len)
{
    if (c->state == CONN_LINGER)
        return; /* discarded: we only wait for the client's FIN */
    if (c->state == CONN_HANDLING || c->in.len > 0) {
        /* Keep reading while a request is handled so that a client going away is noticed
         * at once; hold pipelined bytes, and stop reading when too many pile up. */
        if (buf_append(&c->in, data, len) < 0) {
            conn_close(c);
            return;
        }
        if (c->state == CONN_HANDLING && c->in.len >= PIPELINE_MAX)
            set_reading(c, false);
        conn_run(c);
        return;
    }
    if (c->in_request && c->headers_done)
        arm_timer(c, c->server->limits.body_timeout_ms);
    size_t used = 0;
    int r = parse(c, data, len, &used);
    if (r < 0)
        return;
    if (used < len && buf_append(&c->in, data + used, len - used) < 0) {
        conn_close(c);
        return;
    }
    if (r == 1)
        dispatch(c);
    conn_run(c);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    struct http_conn *c = stream->data;

    if (nread > 0) {
        on_input(c, b->base, (size_t)nread);
        return;
    }
    if (nread == 0)
        return;
    /* EOF or error. A client that leaves mid-request or while its request is handled aborts
     * it; an idle keep-alive connection just ends. */
    if (nread != UV_EOF)
        log_debug("http", "peer=%s read error", c->peer_ip);
    conn_close(c);
}

/* ---------------------------------------------------------------- timers */

/* A connection has one deadline. The libuv timer moves only when the deadline moves earlier,
 * because a timer-heap update costs about as much as parsing a small request and a request
 * changes the deadline four times (begin, headers, dispatch, idle); a timer that fires early
 * re-arms itself for the rest. */
static void on_timer(uv_timer_t *t)
{
    struct http_conn *c = t->data;
    uint64_t now = uv_now(c->server->loop);

    c->timer_due = 0;
    if (c->deadline == 0)
        return;
    if (now < c->deadline) {
        c->timer_due = c->deadline;
        uv_timer_start(&c->timer, on_timer, c->deadline - now, 0);
        return;
    }
    c->deadline = 0;
    if (c->state == CONN_READING && c->in_request) {
        http_conn_reject(c, 408, "request not received in time");
        return;
    }
    conn_close(c); /* idle keep-alive connection, or lingering close done */
}

static void arm_timer(struct http_conn *c, uint64_t ms)
{
    if (c->state == CONN_CLOSED)
        return;
    c->deadline = ms > 0 ? uv_now(c->server->loop) + ms : 0;
    if (c->deadline != 0 && (c->timer_due == 0 || c->deadline < c->timer_due)) {
        c->timer_due = c->deadline;
        uv_timer_start(&c->timer, on_timer, ms, 0);
    }
}

static void disarm_timer(struct http_conn *c)
{
    c->deadline = 0; /* the libuv timer, if running, finds nothing due and stops */
}

/* ---------------------------------------------------------------- writing */

struct wreq {
    uv_write_t req;
    struct http_conn *conn;
    size_t len;
    char data[];
};

static void begin_shutdown(struct http_conn *c);

static void on_write(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;
    struct http_conn *c = wr->conn;

    c->queued -= wr->len;
    free(wr);
    if (c->state == CONN_CLOSED)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->above_high && c->queued <= c->server->limits.write_low_water) {
        c->above_high = false;
        if (c->drain_cb != NULL)
            c->drain_cb(c->drain_ud);
        if (c->state == CONN_CLOSED)
            return;
    }
    if (c->queued == 0 && c->close_after && c->state != CONN_HANDLING)
        begin_shutdown(c);
}

int http_conn_write(struct http_conn *c, const uv_buf_t *bufs, unsigned n)
{
    size_t total = 0, skip = 0;

    if (c->state == CONN_CLOSED || c->shutting_down)
        return UV_ECANCELED;
    for (unsigned i = 0; i < n; i++)
        total += bufs[i].len;
    if (total == 0)
        return 0;
    if (c->queued == 0) {
        int w = uv_try_write((uv_stream_t *)&c->tcp, bufs, n);
        if (w < 0 && w != UV_EAGAIN) {
            conn_close(c);
            return w;
        }
        skip = w > 0 ? (size_t)w : 0;
        if (skip == total)
            return 0;
    }
    struct wreq *wr = xmalloc(sizeof(*wr) + total - skip);
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t len = bufs[i].len;
        const char *p = bufs[i].base;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        memcpy(wr->data + at, p + skip, len - skip);
        at += len - skip;
        skip = 0;
    }
    wr->conn = c;
    wr->len = at;
    uv_buf_t one = uv_buf_init(wr->data, (unsigned)at);
    int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &one, 1, on_write);
    if (rc < 0) {
        free(wr);
        conn_close(c);
        return rc;
    }
    c->queued += at;
    if (c->queued > c->server->limits.write_high_water)
        c->above_high = true;
    return c->above_high ? 1 : 0;
}

/* ---------------------------------------------------------------- lifecycle */

static void on_conn_closed(uv_handle_t *h)
{
    struct http_conn *c = h->data;
    struct http_server *s = c->server;

    if (--c->pending_closes > 0)
        return;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->stats.connections_open--;
    buf_free(&c->in);
    buf_free(&c->head);
    buf_free(&c->body);
    buf_free(&c->extra);
    buf_free(&c->held);
    free(c->hdrs);
    free(c->headers);
    free(c);
    server_maybe_done(s);
}

static void conn_close(struct http_conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    bool aborted = c->state == CONN_HANDLING;
    c->state = CONN_CLOSED;
    c->pending_closes = 2;
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
    if (aborted) {
        c->server->stats.requests_in_flight--;
        void (*cb)(void *) = c->abort_cb;
        c->abort_cb = NULL;
        c->drain_cb = NULL;
        if (cb != NULL)
            cb(c->abort_ud);
    }
}

void http_conn_abort(struct http_conn *c)
{
    c->abort_cb = NULL;
    c->drain_cb = NULL;
    conn_close(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct http_conn *c = req->data;

    if (c->state == CONN_CLOSED)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    /* Lingering close: read until the client's FIN so that its unread data cannot turn our
     * close into a reset that destroys the response in flight. */
    c->state = CONN_LINGER;
    set_reading(c, true);
    arm_timer(c, LINGER_MS);
}

static void begin_shutdown(struct http_conn *c)
{
    if (c->shutting_down || c->state == CONN_CLOSED)
        return;
    c->shutting_down = true;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
        conn_close(c);
}

void http_conn_response_done(struct http_conn *c)
{
    struct http_server *s = c->server;
    bool keep = c->req.keep_alive && !c->close_after && !s->draining;

    if (c->state != CONN_HANDLING)
        return;
    s->stats.requests_in_flight--;
    reset_request(c);
    if (!keep) {
        c->close_after = true;
        c->state = CONN_READING; /* no longer handling; nothing more will be parsed */
        buf_reset(&c->in);
        set_reading(c, false);
        if (c->queued == 0)
            begin_shutdown(c);
        return;
    }
    c->state = CONN_READING;
    arm_timer(c, s->limits.idle_timeout_ms);
    if (!c->in_handler)
        conn_run(c);
    else
        set_reading(c, true);
}

void http_conn_reject(struct http_conn *c, int status, const char *message)
{
    struct buf *out = &c->server->scratch;
    char head[256];

    if (c->state == CONN_CLOSED || c->shutting_down)
        return;
    c->server->stats.rejected_total++;
    buf_reset(out);
    http_status_error_body(out, status, NULL, NULL, message);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, http_status_reason(status), out->len);
    uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)n), uv_buf_init(out->data, (unsigned)out->len)};
    if (c->state == CONN_HANDLING) {
        c->server->stats.requests_in_flight--;
        c->abort_cb = NULL;
    }
    c->state = CONN_READING;
    c->in_request = false;
    c->close_after = true;
    disarm_timer(c);
    set_reading(c, false);
    if (http_conn_write(c, bufs, 2) < 0)
        return;
    if (c->queued == 0)
        begin_shutdown(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct http_server *s = listener->data;
    struct http_conn *c;

    if (status < 0) {
        log_warn_uv(status, "http", "accept failed");
        return;
    }
    c = xcalloc(1, sizeof(*c));
    c->server = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->state = CONN_READING;
    buf_init(&c->in, PIPELINE_MAX + sizeof(s->readbuf));
    buf_init(&c->head, s->limits.max_url + s->limits.max_header_bytes);
    buf_init(&c->body, s->limits.max_body);
    buf_init(&c->extra, 64 * 1024);
    buf_init(&c->held, 128 * 1024);
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->stats.connections_total++;
    s->stats.connections_open++;
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    c->parser.data = c;
    reset_request(c);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0 || s->draining ||
        s->stats.connections_open > s->limits.max_connections) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer_ip, sizeof(c->peer_ip));
        else
            uv_ip4_name((struct sockaddr_in *)&ss, c->peer_ip, sizeof(c->peer_ip));
    }
    set_reading(c, true);
    arm_timer(c, s->limits.idle_timeout_ms);
}

/* ---------------------------------------------------------------- server */

struct http_server *http_server_new(uv_loop_t *loop, const struct http_server_limits *limits,
                                    http_server_handler_cb handler, void *ud)
{
    struct http_server *s = xcalloc(1, sizeof(*s));

    s->loop = loop;
    if (limits != NULL)
        s->limits = *limits;
    else
        http_server_limits_default(&s->limits);
    s->handler = handler;
    s->ud = ud;
    buf_init(&s->scratch, BUF_UNLIMITED);
    return s;
}

int http_server_listen(struct http_server *s, const char *addr, int port, int *bound_port)
{
    struct sockaddr_storage ss;
    int rc;

    if (strchr(addr, ':') != NULL)
        rc = uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss);
    else
        rc = uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss);
    if (rc < 0)
        return rc;
    rc = uv_tcp_init(s->loop, &s->listener);
    if (rc < 0)
        return rc;
    s->listener.data = s;
    s->listening = true;
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc == 0) {
        int len = sizeof(ss);
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
        if (rc == 0)
            s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
        if (rc == 0 && bound_port != NULL)
            *bound_port = s->port;
    }
    return rc;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

static void on_server_handle_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;

    s->pending_closes--;
    server_maybe_done(s);
}

static void close_server_handles(struct http_server *s)
{
    if (s->listening) {
        s->listening = false;
        s->pending_closes++;
        uv_close((uv_handle_t *)&s->listener, on_server_handle_closed);
    }
    if (s->drain_timer_on) {
        s->drain_timer_on = false;
        s->pending_closes++;
        uv_close((uv_handle_t *)&s->drain_timer, on_server_handle_closed);
    }
}

/* Runs the drained callback and frees the server once everything it owns is closed. The
 * callback may free the server, so nothing touches `s` after it. */
static void server_maybe_done(struct http_server *s)
{
    if (s->conns != NULL)
        return;
    if (s->draining || s->freeing)
        close_server_handles(s); /* the drain timer has nothing left to wait for */
    if (s->pending_closes > 0)
        return;
    if (s->freeing) {
        buf_free(&s->scratch);
        free(s);
        return;
    }
    if (s->draining && s->drained_cb != NULL && !s->listening && !s->drain_timer_on) {
        http_server_drained_cb cb = s->drained_cb;
        s->drained_cb = NULL;
        cb(s, s->drained_ud);
    }
}

static void on_drain_deadline(uv_timer_t *t)
{
    struct http_server *s = t->data;

    close_server_handles(s);
    for (struct http_conn *c = s->conns; c != NULL; c = c->next)
        conn_close(c);
    server_maybe_done(s);
}

void http_server_drain(struct http_server *s, uint64_t deadline_ms, http_server_drained_cb cb,
                       void *ud)
{
    s->draining = true;
    s->drained_cb = cb;
    s->drained_ud = ud;
    if (s->listening) {
        s->listening = false;
        s->pending_closes++;
        uv_close((uv_handle_t *)&s->listener, on_server_handle_closed);
    }
    for (struct http_conn *c = s->conns; c != NULL; c = c->next) {
        if (c->state == CONN_READING && !c->in_request && c->queued == 0)
            conn_close(c);
        else
            c->close_after = true;
    }
    if (s->conns != NULL && !s->drain_timer_on) {
        uv_timer_init(s->loop, &s->drain_timer);
        s->drain_timer.data = s;
        s->drain_timer_on = true;
        uv_timer_start(&s->drain_timer, on_drain_deadline, deadline_ms, 0);
    }
    server_maybe_done(s);
}

void http_server_free(struct http_server *s)
{
    if (s == NULL)
        return;
    s->freeing = true;
    close_server_handles(s);
    for (struct http_conn *c = s->conns; c != NULL; c = c->next)
        conn_close(c);
    server_maybe_done(s);
}

void http_server_get_stats(const struct http_server *s, struct http_server_stats *out)
{
    *out = s->stats;
}
