/* One-shot HTTP requests over http_upstream. Failures found before anything was sent (a bad
 * URL) are reported from a zero-delay timer so that on_done never runs inside
 * http_fetch_start. Depends on common/http_upstream, common/url, common/buf. */
#include "http_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http_upstream.h"
#include "url.h"
#include "xalloc.h"

struct pool_entry {
    char *key; /* "host:port" */
    struct http_upstream_pool *pool;
};

struct http_fetch {
    uv_loop_t *loop;
    unsigned max_idle;
    struct pool_entry *pools; /* kept only when max_idle > 0 */
    size_t npools;
    struct http_fetch_req *reqs;   /* in flight, doubly linked */
    struct http_fetch_req *failed; /* to report from the timer */
    uv_timer_t timer;
    size_t active;
};

struct http_fetch_req {
    struct http_fetch *f;
    struct http_fetch_req *prev, *next;
    struct http_upstream *u;
    struct buf head; /* request head */
    char *body;
    size_t body_len;
    struct buf resp;     /* response body */
    struct buf hdrblock; /* header names and values of the response, copied */
    struct http_header *hdrs;
    size_t nhdrs;
    long status;
    int fail_rc;
    http_fetch_done_cb on_done;
    void *ud;
};

static void req_unlink(struct http_fetch_req *r)
{
    struct http_fetch *f = r->f;

    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        f->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void req_free(struct http_fetch_req *r)
{
    buf_free(&r->head);
    buf_free(&r->resp);
    buf_free(&r->hdrblock);
    free(r->hdrs);
    free(r->body);
    free(r);
}

/* Reports the outcome and frees the request (already out of every list). */
static void report(struct http_fetch_req *r, int rc)
{
    struct http_fetch_response resp = {.status = r->status};

    if (rc == 0) {
        /* Header slices point into hdrblock, which no longer grows. */
        const char *base = r->hdrblock.data;
        for (size_t i = 0; i < r->nhdrs; i++) {
            r->hdrs[i].name.ptr = base + (size_t)(uintptr_t)r->hdrs[i].name.ptr;
            r->hdrs[i].value.ptr = base + (size_t)(uintptr_t)r->hdrs[i].value.ptr;
        }
        resp.headers = r->hdrs;
        resp.nheaders = r->nhdrs;
        resp.body = (struct slice){r->resp.data != NULL ? r->resp.data : "", r->resp.len};
    }
    r->on_done(r->ud, rc, &resp);
    req_free(r);
}

/* ---------------------------------------------------------------- upstream callbacks */

static void on_head(void *ud, int status, const struct http_header *h, size_t n, long long len)
{
    struct http_fetch_req *r = ud;

    (void)len;
    r->status = status;
    r->hdrs = xcalloc(n ? n : 1, sizeof(*r->hdrs));
    /* Store offsets now; report() turns them into pointers once the block stops moving. */
    for (size_t i = 0; i < n; i++) {
        size_t name_at = r->hdrblock.len;
        if (buf_append_slice(&r->hdrblock, h[i].name) < 0)
            break;
        size_t value_at = r->hdrblock.len;
        if (buf_append_slice(&r->hdrblock, h[i].value) < 0)
            break;
        r->hdrs[i].name = (struct slice){(const char *)(uintptr_t)name_at, h[i].name.len};
        r->hdrs[i].value = (struct slice){(const char *)(uintptr_t)value_at, h[i].value.len};
        r->nhdrs++;
    }
}

static void schedule_failure(struct http_fetch_req *r, int rc);

static bool on_body(void *ud, const char *data, size_t len)
{
    struct http_fetch_req *r = ud;

    if (buf_append(&r->resp, data, len) < 0) {
        /* Too large: drop the exchange (safe from its own callback) and report later. */
        http_upstream_abort(r->u);
        r->u = NULL;
        schedule_failure(r, SVC_ELIMIT);
        return true;
    }
    return false;
}

static void on_done(void *ud, int rc, bool started, bool stale)
{
    struct http_fetch_req *r = ud;

    (void)started;
    (void)stale;
    r->u = NULL;
    req_unlink(r);
    r->f->active--;
    report(r, rc);
}

static const struct http_upstream_cbs fetch_cbs = {on_head, on_body, on_done, NULL};

/* ---------------------------------------------------------------- deferred failures */

static void on_timer(uv_timer_t *t)
{
    struct http_fetch *f = t->data;

    while (f->failed != NULL) {
        struct http_fetch_req *r = f->failed;
        f->failed = r->next;
        r->next = NULL;
        f->active--;
        report(r, r->fail_rc);
    }
}

static void schedule_failure(struct http_fetch_req *r, int rc)
{
    struct http_fetch *f = r->f;

    req_unlink(r); /* still counted in `active` until reported */
    r->fail_rc = rc;
    r->next = f->failed;
    f->failed = r;
    uv_timer_start(&f->timer, on_timer, 0, 0);
}

/* ---------------------------------------------------------------- API */

struct http_fetch *http_fetch_new(uv_loop_t *loop, unsigned max_idle_per_host)
{
    struct http_fetch *f = xcalloc(1, sizeof(*f));

    f->loop = loop;
    f->max_idle = max_idle_per_host;
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    return f;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void http_fetch_free(struct http_fetch *f)
{
    if (f == NULL)
        return;
    while (f->reqs != NULL)
        http_fetch_cancel(f->reqs);
    while (f->failed != NULL)
        http_fetch_cancel(f->failed);
    for (size_t i = 0; i < f->npools; i++) {
        http_upstream_pool_free(f->pools[i].pool);
        free(f->pools[i].key);
    }
    free(f->pools);
    uv_close((uv_handle_t *)&f->timer, on_timer_closed);
}

/* The pool for host:port: cached when connections are kept, else a fresh one that frees itself
 * once its single exchange ends. */
static struct http_upstream_pool *pool_for(struct http_fetch *f, const struct url_http *u,
                                           bool *transient)
{
    char key[300];

    *transient = f->max_idle == 0;
    if (*transient)
        return http_upstream_pool_new(f->loop, u->host, u->port, 0);
    snprintf(key, sizeof(key), "%s:%d", u->host, u->port);
    for (size_t i = 0; i < f->npools; i++) {
        if (strcmp(f->pools[i].key, key) == 0)
            return f->pools[i].pool;
    }
    f->pools = xrealloc(f->pools, (f->npools + 1) * sizeof(*f->pools));
    f->pools[f->npools].key = xstrdup(key);
    f->pools[f->npools].pool = http_upstream_pool_new(f->loop, u->host, u->port, f->max_idle);
    return f->pools[f->npools++].pool;
}

static void build_head(struct http_fetch_req *r, const struct http_fetch_opts *o,
                       const struct url_http *u)
{
    const char *method = o->method != NULL ? o->method : (o->body != NULL ? "POST" : "GET");

    buf_appendf(&r->head, "%s %s HTTP/1.1\r\n", method, u->target);
    buf_appendf(&r->head, strchr(u->host, ':') ? "Host: [%s]:%d\r\n" : "Host: %s:%d\r\n", u->host,
                u->port);
    for (const char *const *h = o->headers; h != NULL && *h != NULL; h++) {
        if (strpbrk(*h, "\r\n") == NULL)
            buf_appendf(&r->head, "%s\r\n", *h);
    }
    if (o->body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        buf_appendf(&r->head, "Content-Length: %zu\r\n", o->body_len);
    if (r->f->max_idle == 0)
        buf_append_str(&r->head, "Connection: close\r\n");
    buf_append_str(&r->head, "\r\n");
}

struct http_fetch_req *http_fetch_start(struct http_fetch *f, const struct http_fetch_opts *o)
{
    struct url_http u;
    bool transient;

    if (o->url == NULL || o->on_done == NULL)
        return NULL;
    struct http_fetch_req *r = xcalloc(1, sizeof(*r));
    r->f = f;
    r->on_done = o->on_done;
    r->ud = o->ud;
    buf_init(&r->head, 64 * 1024);
    buf_init(&r->resp, o->max_response ? o->max_response : 1024 * 1024);
    buf_init(&r->hdrblock, 64 * 1024);
    r->next = f->reqs;
    if (f->reqs != NULL)
        f->reqs->prev = r;
    f->reqs = r;
    f->active++;
    if (url_parse_http(o->url, &u) < 0) {
        schedule_failure(r, UV_EINVAL);
        return r;
    }
    build_head(r, o, &u);
    if (o->body != NULL) {
        r->body = xmemdup(o->body, o->body_len);
        r->body_len = o->body_len;
    }
    struct http_upstream_pool *pool = pool_for(f, &u, &transient);
    struct http_upstream_opts uo = {
        .head = {r->head.data, r->head.len},
        .body = {r->body != NULL ? r->body : "", r->body_len},
        .head_request = o->method != NULL && strcmp(o->method, "HEAD") == 0,
        .connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 5000,
        .total_timeout_ms = o->timeout_ms,
    };
    r->u = http_upstream_start(pool, &uo, &fetch_cbs, r);
    if (transient)
        http_upstream_pool_free(pool); /* lives on until its one connection closes */
    return r;
}

void http_fetch_cancel(struct http_fetch_req *r)
{
    struct http_fetch *f;

    if (r == NULL)
        return;
    f = r->f;
    if (r->u == NULL && r->fail_rc != 0) {
        /* Waiting in the failed list. */
        for (struct http_fetch_req **pp = &f->failed; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == r) {
                *pp = r->next;
                break;
            }
        }
    } else {
        if (r->u != NULL)
            http_upstream_abort(r->u);
        req_unlink(r);
    }
    f->active--;
    req_free(r);
}

size_t http_fetch_active(const struct http_fetch *f)
{
    return f->active;
}
