/* HTTP/1.1 server: accepting, reading, dispatching requests one at a time per connection, the
 * connection lifecycle and the write queue. The llhttp callbacks live in http_parse.c; timeouts,
 * the connection cap, the body budget and rejection reports in http_limits.c; the response side
 * (formatting) in http_reply.c.
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

static void conn_run(struct http_conn *c);
static void server_maybe_done(struct http_server *s);

/* ---------------------------------------------------------------- requests */

static void reset_request(struct http_conn *c)
{
    const size_t keep = 64 * 1024; /* do not pin large buffers to idle connections */

    http_limits_body_release(c);
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
    c->method_known = false;
    c->resp_started = c->resp_chunked = c->resp_until_close = c->resp_no_body = false;
    c->drain_cb = NULL;
    c->abort_cb = NULL;
    memset(&c->req, 0, sizeof(c->req));
    c->req.conn = c;
    c->req.peer_ip = c->peer_ip;
}

static void dispatch(struct http_conn *c)
{
    struct http_server *s = c->server;

    http_limits_disarm(c);
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
        http_conn_close(c);
        return;
    }
    c->reading = on;
}

/* Parses what is buffered in c->in while no request is with a handler. */
static void conn_run(struct http_conn *c)
{
    while (c->state == CONN_READING && c->in.len > 0) {
        size_t used = 0;
        int r = http_parse_feed(c, c->in.data, c->in.len, &used);
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
            http_conn_close(c);
            return;
        }
        if (c->state == CONN_HANDLING && c->in.len >= PIPELINE_MAX)
            set_reading(c, false);
        conn_run(c);
        return;
    }
    if (c->in_request && c->headers_done)
        http_limits_body_progress(c, len);
    size_t used = 0;
    int r = http_parse_feed(c, data, len, &used);
    if (r < 0)
        return;
    if (used < len && buf_append(&c->in, data + used, len - used) < 0) {
        http_conn_close(c);
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
    http_conn_close(c);
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
        http_conn_close(c);
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
            http_conn_close(c);
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
        http_conn_close(c);
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
    s->conns_closing--;
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

void http_conn_close(struct http_conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    bool aborted = c->state == CONN_HANDLING;
    http_limits_evictable_remove(c);
    http_limits_body_release(c);
    c->state = CONN_CLOSED;
    c->server->conns_closing++;
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
    http_conn_close(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct http_conn *c = req->data;

    if (c->state == CONN_CLOSED)
        return;
    if (status < 0) {
        http_conn_close(c);
        return;
    }
    /* Lingering close: read until the client's FIN so that its unread data cannot turn our
     * close into a reset that destroys the response in flight. */
    c->state = CONN_LINGER;
    set_reading(c, true);
    http_limits_arm(c, TIMEOUT_LINGER, LINGER_MS);
}

static void begin_shutdown(struct http_conn *c)
{
    if (c->shutting_down || c->state == CONN_CLOSED)
        return;
    c->shutting_down = true;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
        http_conn_close(c);
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
    http_limits_arm(c, TIMEOUT_IDLE, s->limits.idle_timeout_ms);
    http_limits_evictable_add(c);
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
    http_limits_report_reject(c, status, message);
    http_limits_evictable_remove(c);
    http_limits_body_release(c); /* nothing more of this body will be kept */
    buf_reset(out);
    http_status_error_body(out, status, NULL, NULL, message);
    /* The server's own 503 (the body budget) is momentary: say when to come back. */
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
                     status, http_status_reason(status), out->len,
                     status == 503 ? "Retry-After: 1\r\n" : "");
    uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)n), uv_buf_init(out->data, (unsigned)out->len)};
    if (c->state == CONN_HANDLING) {
        c->server->stats.requests_in_flight--;
        c->abort_cb = NULL;
    }
    c->state = CONN_READING;
    c->in_request = false;
    c->close_after = true;
    http_limits_disarm(c);
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
    http_parse_init(c);
    reset_request(c);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0 || s->draining) {
        http_conn_close(c);
        return;
    }
    if (s->stats.connections_open - s->conns_closing > s->limits.max_connections &&
        !http_limits_make_room(s)) {
        log_debug("http", "connection cap reached and every connection is busy; refusing one");
        http_conn_close(c);
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
    http_limits_arm(c, TIMEOUT_HEADER, s->limits.header_timeout_ms);
    http_limits_evictable_add(c);
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
        http_conn_close(c);
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
            http_conn_close(c);
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
        http_conn_close(c);
    server_maybe_done(s);
}

void http_server_get_stats(const struct http_server *s, struct http_server_stats *out)
{
    *out = s->stats;
}
