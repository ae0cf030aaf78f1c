/* Upstream connection pool and HTTP/1.1 exchanges. One struct http_upstream is
 * both a connection and, while a request is on it, that exchange; idle connections sit in
 * their pool's LIFO list (the most recently used first: warm and least likely to have been
 * closed by the server). The request is written from the caller's buffers, never copied: what
 * the socket does not take at once is queued as one write pointing into them, and every way an
 * exchange ends with that write still queued closes the socket first (libuv cancels the write
 * and never reads the buffers again), so the caller may free them as soon as it hears of the
 * end. Depends on libuv, llhttp, common/. */
#include "http_upstream.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "err.h"
#include "log.h"
#include "xalloc.h"

#define IDLE_TIMEOUT_MS 60000
#define RESOLVE_TTL_MS  30000
#define MAX_HEAD_BYTES  (64 * 1024)
#define MAX_HEADERS     128

enum up_state {
    UP_RESOLVING, /* waiting for the pool's address */
    UP_CONNECTING,
    UP_WAITING, /* request sent, no response byte yet */
    UP_READING, /* response under way */
    UP_IDLE,    /* in the pool */
    UP_CLOSED,  /* uv_close called */
};

struct hdr_span {
    size_t name_off, name_len, value_off, value_len;
};

struct http_upstream_pool {
    uv_loop_t *loop;
    char *host;
    int port;
    struct sockaddr_storage addr;
    bool addr_ok, numeric, resolving, freed;
    uint64_t addr_expiry_ms;
    uv_getaddrinfo_t gai;
    struct http_upstream *idle;    /* LIFO */
    struct http_upstream *waiting; /* connections waiting for the address */
    unsigned nidle, max_idle, nconns, nactive;
};

struct http_upstream {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t creq;
    llhttp_t parser;
    struct http_upstream_pool *pool;
    struct http_upstream *next; /* idle or waiting list */
    int pending_closes;
    enum up_state state;
    bool reused, started, head_done, msg_done, paused, reading, head_request, detached;
    bool writing;    /* `wreq` is queued: it points into the caller's head and body */
    int deferred_rc; /* failure to report from the timer (never from inside start) */

    struct http_upstream_cbs cbs;
    void *ud;
    struct slice req_head, req_body;
    uv_write_t wreq; /* what uv_try_write() left of the request */
    uint64_t first_byte_timeout_ms, total_deadline_ms;
    uint64_t idle_timeout_ms; /* longest silence while reading the response; 0 = none */
    uint64_t last_read_ms;    /* loop time of the last response bytes */

    int status;
    long long content_length;
    struct buf rhead;
    struct hdr_span *spans; /* grown on demand: most responses have few headers */
    struct http_header *headers;
    unsigned nspans, cap;
    bool in_value;
};

static void up_close(struct http_upstream *u);
static void up_fail(struct http_upstream *u, int rc);
static void up_send(struct http_upstream *u);
static void pool_maybe_free(struct http_upstream_pool *p);

/* ---------------------------------------------------------------- timers */

static void arm(struct http_upstream *u, uint64_t phase_ms);

static void on_timer(uv_timer_t *t)
{
    struct http_upstream *u = t->data;

    if (u->state == UP_IDLE) {
        up_close(u); /* idle too long */
        return;
    }
    /* The response idle timer is not moved on every read (a timer-heap update per read costs
     * more than the check): when it fires early, it re-arms itself for the rest. While the
     * client is slow (paused), silence is ours, so only the total deadline counts. */
    if (u->state == UP_READING && u->deferred_rc == 0) {
        uint64_t now = uv_now(u->pool->loop);
        bool total_due = u->total_deadline_ms != 0 && now >= u->total_deadline_ms;
        if (!total_due && u->paused) {
            arm(u, 0);
            return;
        }
        if (!total_due && u->idle_timeout_ms != 0 && now < u->last_read_ms + u->idle_timeout_ms) {
            arm(u, u->last_read_ms + u->idle_timeout_ms - now);
            return;
        }
    }
    up_fail(u, u->deferred_rc != 0 ? u->deferred_rc : UV_ETIMEDOUT);
}

/* Arms the timer for min(phase timeout, total deadline). */
static void arm(struct http_upstream *u, uint64_t phase_ms)
{
    uint64_t now = uv_now(u->pool->loop);
    uint64_t due = phase_ms ? now + phase_ms : 0;

    if (u->total_deadline_ms && (due == 0 || u->total_deadline_ms < due))
        due = u->total_deadline_ms;
    if (due == 0) {
        uv_timer_stop(&u->timer);
        return;
    }
    uv_timer_start(&u->timer, on_timer, due > now ? due - now : 0, 0);
}

static void defer_failure(struct http_upstream *u, int rc)
{
    u->deferred_rc = rc;
    uv_timer_start(&u->timer, on_timer, 0, 0);
}

/* ---------------------------------------------------------------- response parsing */

static struct http_upstream *up_of(llhttp_t *p)
{
    return p->data;
}

static int on_message_begin(llhttp_t *p)
{
    struct http_upstream *u = up_of(p);

    buf_reset(&u->rhead);
    u->nspans = 0;
    u->in_value = false;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct http_upstream *u = up_of(p);

    if (u->nspans == 0 || u->in_value) {
        if (u->nspans == MAX_HEADERS)
            return HPE_USER;
        if (u->nspans == u->cap) {
            u->cap = u->cap ? u->cap * 2 : 16;
            u->spans = xrealloc(u->spans, u->cap * sizeof(*u->spans));
            u->headers = xrealloc(u->headers, u->cap * sizeof(*u->headers));
        }
        u->spans[u->nspans++] =
            (struct hdr_span){.name_off = u->rhead.len, .value_off = u->rhead.len};
        u->in_value = false;
    }
    u->spans[u->nspans - 1].name_len += len;
    return buf_append(&u->rhead, at, len) < 0 ? HPE_USER : 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    struct http_upstream *u = up_of(p);

    u->spans[u->nspans - 1].value_off = u->rhead.len;
    u->in_value = true;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct http_upstream *u = up_of(p);

    u->spans[u->nspans - 1].value_len += len;
    return buf_append(&u->rhead, at, len) < 0 ? HPE_USER : 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct http_upstream *u = up_of(p);
    int status = llhttp_get_status_code(p);

    if (status < 200)
        return 0; /* 1xx: another head follows */
    u->status = status;
    u->head_done = true;
    u->content_length = (p->flags & F_CONTENT_LENGTH) && !(p->flags & F_CHUNKED)
                            ? (long long)p->content_length
                            : -1;
    for (unsigned i = 0; i < u->nspans; i++) {
        const char *base = u->rhead.data;
        u->headers[i].name = (struct slice){base + u->spans[i].name_off, u->spans[i].name_len};
        u->headers[i].value =
            slice_trim((struct slice){base + u->spans[i].value_off, u->spans[i].value_len});
    }
    bool no_body = u->head_request || status == 204 || status == 304;
    if (no_body)
        u->content_length = u->head_request ? u->content_length : 0;
    u->cbs.on_head(u->ud, status, u->headers, u->nspans, u->content_length);
    return no_body ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct http_upstream *u = up_of(p);

    if (u->detached)
        return HPE_USER;
    if (u->cbs.on_body(u->ud, at, len))
        u->paused = true;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct http_upstream *u = up_of(p);

    if (!u->head_done)
        return 0; /* end of a 1xx message */
    u->msg_done = true;
    return HPE_PAUSED;
}

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---------------------------------------------------------------- connection lifecycle */

static void on_conn_closed(uv_handle_t *h)
{
    struct http_upstream *u = h->data;
    struct http_upstream_pool *p = u->pool;

    if (--u->pending_closes > 0)
        return;
    buf_free(&u->rhead);
    free(u->spans);
    free(u->headers);
    free(u);
    p->nconns--;
    pool_maybe_free(p);
}

static void list_remove(struct http_upstream **head, struct http_upstream *u)
{
    for (struct http_upstream **pp = head; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == u) {
            *pp = u->next;
            u->next = NULL;
            return;
        }
    }
}

static void up_close(struct http_upstream *u)
{
    struct http_upstream_pool *p = u->pool;

    if (u->state == UP_CLOSED)
        return;
    if (u->state == UP_IDLE) {
        list_remove(&p->idle, u);
        p->nidle--;
    } else if (u->state == UP_RESOLVING) {
        list_remove(&p->waiting, u);
        p->nactive--;
    } else {
        p->nactive--;
    }
    u->state = UP_CLOSED;
    u->pending_closes = 2;
    uv_close((uv_handle_t *)&u->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&u->timer, on_conn_closed);
}

/* Ends the exchange with an error; the callback runs once, then the connection closes. */
static void up_fail(struct http_upstream *u, int rc)
{
    if (u->state == UP_CLOSED || u->state == UP_IDLE)
        return;
    bool stale = u->reused && !u->started && rc != UV_ETIMEDOUT;
    struct http_upstream_cbs cbs = u->cbs;
    void *ud = u->ud;
    bool detached = u->detached;

    up_close(u);
    if (!detached)
        cbs.on_done(ud, rc, u->started, stale);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out);

/* The response is complete: report, then pool or close the connection. */
static void up_finish(struct http_upstream *u, bool reusable)
{
    struct http_upstream_pool *p = u->pool;
    struct http_upstream_cbs cbs = u->cbs;
    void *ud = u->ud;

    uv_timer_stop(&u->timer);
    /* A server that answered before reading the whole request leaves part of it queued: the
     * connection cannot carry another request, and closing it is what releases the caller's
     * buffers, so it closes before on_done. */
    if (!reusable || p->freed || p->nidle >= p->max_idle || u->detached || u->writing) {
        bool detached = u->detached;
        up_close(u);
        if (!detached)
            cbs.on_done(ud, 0, true, false);
        return;
    }
    p->nactive--;
    p->nidle++;
    u->state = UP_IDLE;
    u->next = p->idle;
    p->idle = u;
    u->ud = NULL;
    u->paused = false;
    /* Keep reading: data or EOF on an idle connection means the server is done with it.
     * on_read serves both states, so a reused connection needs no restart. */
    if (!u->reading && uv_read_start((uv_stream_t *)&u->tcp, on_alloc, on_read) == 0)
        u->reading = true;
    uv_timer_start(&u->timer, on_timer, IDLE_TIMEOUT_MS, 0);
    cbs.on_done(ud, 0, true, false);
}

/* ---------------------------------------------------------------- reading */

static char readbuf[64 * 1024]; /* loop thread only; fully consumed inside each read callback */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)h;
    (void)suggested;
    *out = uv_buf_init(readbuf, sizeof(readbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct http_upstream *u = s->data;

    if (u->state == UP_IDLE) {
        if (nread != 0)
            up_close(u); /* data or EOF on an idle connection: the server is done with it */
        return;
    }
    if (nread == 0)
        return;
    if (nread < 0) {
        /* A close-delimited body ends here; anything else is a failure. */
        if (nread == UV_EOF && llhttp_finish(&u->parser) == HPE_OK && u->msg_done) {
            up_finish(u, false);
            return;
        }
        up_fail(u, nread == UV_EOF ? (u->started ? UV_EOF : UV_ECONNRESET) : (int)nread);
        return;
    }
    u->last_read_ms = uv_now(u->pool->loop);
    if (!u->started) {
        u->started = true;
        u->state = UP_READING;
        arm(u, u->idle_timeout_ms); /* from now on the idle timeout and the total deadline */
    }
    llhttp_errno_t e = llhttp_execute(&u->parser, b->base, (size_t)nread);
    if (u->state == UP_CLOSED)
        return;
    if (e == HPE_PAUSED && u->msg_done) {
        size_t used = (size_t)(llhttp_get_error_pos(&u->parser) - b->base);
        /* Extra bytes after the response mean the server is confused: do not reuse. */
        up_finish(u, used == (size_t)nread && llhttp_should_keep_alive(&u->parser));
        return;
    }
    if (e != HPE_OK) {
        up_fail(u, SVC_EPARSE);
        return;
    }
    if (u->paused && u->reading) {
        uv_read_stop((uv_stream_t *)&u->tcp);
        u->reading = false;
    }
    if (u->cbs.on_read_done != NULL && !u->detached)
        u->cbs.on_read_done(u->ud);
}

/* ---------------------------------------------------------------- writing */

/* Runs when the queued rest of the request is written, failed, or was cancelled by the close
 * (libuv calls it before the close callback, so `u` is still there). */
static void on_write(uv_write_t *w, int status)
{
    struct http_upstream *u = w->data;

    u->writing = false;
    /* A server may answer (and close) before reading the whole body; the response decides. */
    if (status < 0 && status != UV_ECANCELED && !u->msg_done && !u->started)
        up_fail(u, status);
}

static void up_send(struct http_upstream *u)
{
    uv_buf_t bufs[2] = {uv_buf_init((char *)(uintptr_t)u->req_head.ptr, (unsigned)u->req_head.len),
                        uv_buf_init((char *)(uintptr_t)u->req_body.ptr, (unsigned)u->req_body.len)};
    size_t total = u->req_head.len + u->req_body.len;
    int w = uv_try_write((uv_stream_t *)&u->tcp, bufs, 2);

    u->state = UP_WAITING;
    llhttp_init(&u->parser, HTTP_RESPONSE, &parser_settings);
    u->parser.data = u;
    if (w < 0 && w != UV_EAGAIN) {
        defer_failure(u, w);
        return;
    }
    size_t done = w > 0 ? (size_t)w : 0;
    if (done < total) {
        /* Queue the rest straight from the caller's buffers (borrowed until the exchange ends):
         * a copy would hold a second image of a large body for as long as the server takes to
         * read it. */
        uv_buf_t rest[2];
        unsigned n = 0;
        for (int i = 0; i < 2; i++) {
            size_t skip = done > bufs[i].len ? bufs[i].len : done;
            done -= skip;
            if (bufs[i].len > skip)
                rest[n++] = uv_buf_init(bufs[i].base + skip, (unsigned)(bufs[i].len - skip));
        }
        u->wreq.data = u;
        int rc = uv_write(&u->wreq, (uv_stream_t *)&u->tcp, rest, n, on_write);
        if (rc < 0) {
            defer_failure(u, rc);
            return;
        }
        u->writing = true;
    }
    if (!u->reading) {
        if (uv_read_start((uv_stream_t *)&u->tcp, on_alloc, on_read) < 0) {
            defer_failure(u, UV_EIO);
            return;
        }
        u->reading = true;
    }
    arm(u, u->first_byte_timeout_ms);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct http_upstream *u = req->data;

    if (u->state == UP_CLOSED)
        return;
    if (status < 0) {
        up_fail(u, status == UV_ECANCELED ? UV_ECONNREFUSED : status);
        return;
    }
    uv_tcp_nodelay(&u->tcp, 1);
    up_send(u);
}

static void up_connect(struct http_upstream *u)
{
    u->state = UP_CONNECTING;
    u->creq.data = u;
    int rc = uv_tcp_connect(&u->creq, &u->tcp, (const struct sockaddr *)&u->pool->addr, on_connect);
    if (rc < 0)
        defer_failure(u, rc);
}

/* ---------------------------------------------------------------- resolution */

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct http_upstream_pool *p = req->data;
    struct http_upstream *list = p->waiting;

    p->resolving = false;
    if (status == 0 && res != NULL) {
        memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
        if (p->addr.ss_family == AF_INET)
            ((struct sockaddr_in *)&p->addr)->sin_port = htons((uint16_t)p->port);
        else
            ((struct sockaddr_in6 *)&p->addr)->sin6_port = htons((uint16_t)p->port);
        p->addr_ok = true;
        p->addr_expiry_ms = uv_now(p->loop) + RESOLVE_TTL_MS;
    } else {
        log_warn_uv(status, "upstream", "host=%s cannot resolve", p->host);
    }
    uv_freeaddrinfo(res);
    p->waiting = NULL;
    while (list != NULL) {
        struct http_upstream *u = list;
        list = u->next;
        u->next = NULL;
        if (u->detached) {
            up_close(u); /* aborted while waiting */
        } else if (status == 0 && p->addr_ok) {
            up_connect(u);
        } else {
            u->state = UP_CONNECTING;
            defer_failure(u, status < 0 ? status : UV_EAI_NONAME);
        }
    }
    pool_maybe_free(p);
}

static void pool_resolve(struct http_upstream_pool *p)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};

    if (p->resolving)
        return;
    p->gai.data = p;
    int rc = uv_getaddrinfo(p->loop, &p->gai, on_resolved, p->host, NULL, &hints);
    if (rc < 0) {
        on_resolved(&p->gai, rc, NULL);
        return;
    }
    p->resolving = true;
}

/* ---------------------------------------------------------------- pool */

struct http_upstream_pool *http_upstream_pool_new(uv_loop_t *loop, const char *host, int port,
                                                  unsigned max_idle)
{
    struct http_upstream_pool *p = xcalloc(1, sizeof(*p));

    p->loop = loop;
    p->host = xstrdup(host);
    p->port = port;
    p->max_idle = max_idle;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&p->addr) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&p->addr) == 0) {
        p->numeric = true;
        p->addr_ok = true;
    }
    return p;
}

static void pool_maybe_free(struct http_upstream_pool *p)
{
    if (!p->freed || p->nconns > 0 || p->resolving)
        return;
    free(p->host);
    free(p);
}

void http_upstream_pool_flush(struct http_upstream_pool *p)
{
    while (p->idle != NULL)
        up_close(p->idle);
}

void http_upstream_pool_free(struct http_upstream_pool *p)
{
    if (p == NULL)
        return;
    p->freed = true;
    http_upstream_pool_flush(p);
    pool_maybe_free(p);
}

size_t http_upstream_pool_idle(const struct http_upstream_pool *p)
{
    return p->nidle;
}

size_t http_upstream_pool_active(const struct http_upstream_pool *p)
{
    return p->nactive;
}

/* ---------------------------------------------------------------- exchanges */

static void attach(struct http_upstream *u, const struct http_upstream_opts *o,
                   const struct http_upstream_cbs *cbs, void *ud)
{
    u->cbs = *cbs;
    u->ud = ud;
    u->req_head = o->head;
    u->req_body = o->body;
    u->head_request = o->head_request;
    u->first_byte_timeout_ms = o->first_byte_timeout_ms;
    u->idle_timeout_ms = o->idle_timeout_ms;
    u->total_deadline_ms = o->total_timeout_ms ? uv_now(u->pool->loop) + o->total_timeout_ms : 0;
    u->started = u->head_done = u->msg_done = u->paused = u->detached = false;
    u->deferred_rc = 0;
    u->status = 0;
    u->content_length = -1;
}

struct http_upstream *http_upstream_start(struct http_upstream_pool *p,
                                          const struct http_upstream_opts *o,
                                          const struct http_upstream_cbs *cbs, void *ud)
{
    struct http_upstream *u = NULL;

    if (!o->fresh && p->idle != NULL) {
        u = p->idle;
        p->idle = u->next;
        u->next = NULL;
        p->nidle--;
        p->nactive++;
        u->reused = true;
        attach(u, o, cbs, ud);
        up_send(u);
        return u;
    }
    u = xcalloc(1, sizeof(*u));
    u->pool = p;
    buf_init(&u->rhead, MAX_HEAD_BYTES);
    uv_tcp_init(p->loop, &u->tcp);
    uv_timer_init(p->loop, &u->timer);
    u->tcp.data = u;
    u->timer.data = u;
    p->nconns++;
    p->nactive++;
    attach(u, o, cbs, ud);
    arm(u, o->connect_timeout_ms ? o->connect_timeout_ms : 5000);
    if (!p->addr_ok || (!p->numeric && uv_now(p->loop) >= p->addr_expiry_ms)) {
        u->state = UP_RESOLVING;
        u->next = p->waiting;
        p->waiting = u;
        pool_resolve(p);
        return u;
    }
    up_connect(u);
    return u;
}

void http_upstream_resume(struct http_upstream *u)
{
    if (!u->paused || u->state == UP_CLOSED)
        return;
    u->paused = false;
    if (!u->reading && uv_read_start((uv_stream_t *)&u->tcp, on_alloc, on_read) == 0)
        u->reading = true;
    if (u->state == UP_READING && u->idle_timeout_ms != 0) {
        u->last_read_ms = uv_now(u->pool->loop); /* the silence while paused was ours */
        arm(u, u->idle_timeout_ms);
    }
}

void http_upstream_abort(struct http_upstream *u)
{
    u->detached = true;
    if (u->state == UP_RESOLVING)
        return; /* closed when the address arrives */
    up_close(u);
}
