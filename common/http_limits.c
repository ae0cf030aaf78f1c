/* The HTTP server's defences against slow and greedy clients: the per-connection deadline
 * (header timeout from accept, body progress and minimum rate, keep-alive idle, lingering
 * close), the list of evictable connections that makes room at the connection cap, the
 * request-body budget shared by all connections, and the reports of the server's own
 * rejections. The parsing and the connection lifecycle stay in http_server.c.
 * Knows no daemon; depends on libuv, llhttp, common/buf and common/log. */
#include "http_server.h"

#include <string.h>

#include "http_server_internal.h"
#include "log.h"

#define REJECT_PATH_MAX 256

void http_server_limits_default(struct http_server_limits *l)
{
    *l = (struct http_server_limits){
        .max_url = 8 * 1024,
        .max_header_bytes = 32 * 1024,
        .max_headers = 100,
        .max_body = 1024 * 1024,
        .header_timeout_ms = 10000,
        .body_timeout_ms = 30000,
        .min_body_rate = 1024,
        .idle_timeout_ms = 75000,
        .write_high_water = 1024 * 1024,
        .write_low_water = 256 * 1024,
        .max_connections = 10000,
        .max_buffered_body = 256u * 1024 * 1024,
    };
}

/* ---------------------------------------------------------------- the deadline */

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
    /* A connection that never sent a byte, an idle keep-alive connection, or a lingering
     * close that is done: nothing to answer. */
    http_conn_close(c);
}

void http_limits_arm(struct http_conn *c, enum conn_timeout kind, uint64_t ms)
{
    if (c->state == CONN_CLOSED)
        return;
    c->timeout = kind;
    c->deadline = ms > 0 ? uv_now(c->server->loop) + ms : 0;
    if (c->deadline != 0 && (c->timer_due == 0 || c->deadline < c->timer_due)) {
        c->timer_due = c->deadline;
        uv_timer_start(&c->timer, on_timer, ms, 0);
    }
}

void http_limits_disarm(struct http_conn *c)
{
    c->timeout = TIMEOUT_NONE;
    c->deadline = 0; /* the libuv timer, if running, finds nothing due and stops */
}

/* Apache mod_reqtimeout's MinRate idea: each read buys time in proportion to its size, so the
 * deadline keeps up with a client sending at least min_body_rate and falls behind (408) for
 * one that trickles, while a pause longer than body_timeout_ms ends any body. */
void http_limits_body_progress(struct http_conn *c, size_t len)
{
    const struct http_server_limits *l = &c->server->limits;
    uint64_t now = uv_now(c->server->loop);
    uint64_t latest = now + l->body_timeout_ms;

    if (l->body_timeout_ms == 0)
        return;
    if (l->min_body_rate == 0 || c->timeout != TIMEOUT_BODY || c->deadline == 0) {
        http_limits_arm(c, TIMEOUT_BODY, l->body_timeout_ms);
        return;
    }
    uint64_t credit = (uint64_t)len * 1000 / l->min_body_rate;
    uint64_t next = c->deadline + credit;
    c->deadline = next < latest ? next : latest; /* later or equal: the timer re-arms itself */
}

/* ---------------------------------------------------------------- the body budget */

int http_limits_body_reserve(struct http_conn *c, size_t len)
{
    struct http_server *s = c->server;
    size_t budget = s->limits.max_buffered_body;

    if (budget != 0 && (len > budget || s->body_bytes > budget - len)) {
        s->stats.body_budget_rejections++;
        return -1;
    }
    s->body_bytes += len;
    c->body_reserved += len;
    s->stats.buffered_body_bytes = s->body_bytes;
    return 0;
}

void http_limits_body_release(struct http_conn *c)
{
    struct http_server *s = c->server;

    s->body_bytes -= c->body_reserved;
    c->body_reserved = 0;
    s->stats.buffered_body_bytes = s->body_bytes;
}

/* ---------------------------------------------------------------- the connection cap */

void http_limits_evictable_add(struct http_conn *c)
{
    struct http_server *s = c->server;

    http_limits_evictable_remove(c);
    if (c->state == CONN_CLOSED)
        return;
    c->evictable = true;
    c->evict_prev = s->evict_tail;
    c->evict_next = NULL;
    if (s->evict_tail != NULL)
        s->evict_tail->evict_next = c;
    else
        s->evict_head = c;
    s->evict_tail = c;
}

void http_limits_evictable_remove(struct http_conn *c)
{
    struct http_server *s = c->server;

    if (!c->evictable)
        return;
    c->evictable = false;
    if (c->evict_prev != NULL)
        c->evict_prev->evict_next = c->evict_next;
    else
        s->evict_head = c->evict_next;
    if (c->evict_next != NULL)
        c->evict_next->evict_prev = c->evict_prev;
    else
        s->evict_tail = c->evict_prev;
    c->evict_prev = c->evict_next = NULL;
}

/* Refusing the newcomer instead would let anyone who opens max_connections idle sockets lock
 * every client out (heartbeats included) until they time out; the oldest idle connection is
 * the one least likely to be used again. Connections busy with a request body, a handler or a
 * response are never evicted. */
bool http_limits_make_room(struct http_server *s)
{
    struct http_conn *victim = s->evict_head;

    if (victim == NULL)
        return false;
    log_debug("http", "peer=%s connection cap reached; closing the oldest idle connection",
              victim->peer_ip);
    s->stats.evicted_total++;
    http_conn_close(victim);
    return true;
}

/* ---------------------------------------------------------------- rejections */

void http_server_on_reject(struct http_server *s, http_server_reject_cb cb, void *ud)
{
    s->reject_cb = cb;
    s->reject_ud = ud;
}

/* The target as far as it was read, up to '?' and at most REJECT_PATH_MAX bytes, with
 * anything unprintable cut off (llhttp may have stopped inside it). */
static struct slice rejected_path(const struct http_conn *c)
{
    size_t n = c->url_len < REJECT_PATH_MAX ? c->url_len : REJECT_PATH_MAX;
    const char *p = c->head.data;
    size_t i = 0;

    if (p == NULL)
        return (struct slice){"", 0};
    while (i < n && p[i] != '?' && (unsigned char)p[i] > ' ' && (unsigned char)p[i] < 0x7f)
        i++;
    return (struct slice){p, i};
}

void http_limits_report_reject(struct http_conn *c, int status, const char *reason)
{
    struct http_server *s = c->server;
    struct http_server_rejection r = {
        .peer_ip = c->peer_ip,
        .method = c->method_known ? llhttp_method_name((llhttp_method_t)c->parser.method) : "-",
        .path = rejected_path(c),
        .status = status,
        .reason = reason != NULL ? reason : "",
        .ms = c->in_request ? (double)(uv_hrtime() - c->req.start_ns) / 1e6 : 0,
    };

    if (s->reject_cb != NULL) {
        s->reject_cb(&r, s->reject_ud);
        return;
    }
    if (log_access_enabled())
        log_access("peer=%s method=%s path=%.*s status=%d ms=%.3f rejected=\"%s\"", r.peer_ip,
                   r.method, (int)r.path.len, r.path.ptr, r.status, r.ms, r.reason);
}
