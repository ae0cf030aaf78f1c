/* Unit tests for common/http_upstream's request bodies, which are written from the caller's
 * memory and never copied: a large body reaches a server that reads it late, intact, and the
 * connection is pooled; what the socket did not take at once leaves from the caller's buffer
 * (changes to it show at the server); a server answering before reading the body gets its
 * connection closed (it could not carry another request), and the caller frees the body from
 * on_done; an abort with most of the body queued, a reset in the middle of the body followed by a
 * retry of the same body elsewhere, and a stale keep-alive connection re-sent on a fresh one. Each
 * test frees the body as soon as the contract allows, so under AddressSanitizer a write from it
 * afterwards would be a use after free. A raw libuv server on the same private loop plays the
 * upstream; each test ends with uv_loop_close() == 0. */
#include "http_upstream.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "xalloc.h"

/* Larger than what loopback socket buffers take at once, so part of it is always queued. */
#define BIG_BODY  (48u << 20)
#define MAX_PEERS 8

/* What the server does with a connection, by accept order. */
enum peer_mode {
    PEER_ANSWER, /* reads each request whole, answers 200 "<body bytes off the pattern>" */
    PEER_HOLD,   /* reads nothing until peer_release() */
    PEER_EARLY,  /* after the head: answers 413 at once and stops reading */
    PEER_RESET,  /* after the head: resets the connection */
    PEER_ONCE,   /* answers the first request, resets on the second one's head */
    PEER_DRAIN,  /* reads and discards everything */
};

struct peer {
    uv_tcp_t tcp;
    enum peer_mode mode;
    bool reading, eof, closed;
    size_t got;       /* bytes read in all */
    char head[4096];  /* the current request head, while it arrives */
    size_t head_len;  /* 0 and in_body false: waiting for a head */
    bool in_body;     /* inside a request body */
    size_t body_at;   /* body bytes of the current request so far */
    size_t body_len;  /* its Content-Length */
    size_t bad_bytes; /* body bytes that were not the pattern */
    int requests;     /* heads seen */
};

static uv_loop_t loop;
static uv_tcp_t listener;
static int port;
static enum peer_mode modes[MAX_PEERS];
static struct peer *peers[MAX_PEERS];
static int accepted;
static uv_timer_t watchdog;
static uv_timer_t tick; /* run_ms() */
static char readbuf[64 * 1024];

static unsigned char pattern(size_t i)
{
    return (unsigned char)((i ^ (i >> 9) ^ (i >> 17)) * 31u);
}

static char *make_body(size_t len)
{
    char *b = xmalloc(len);

    for (size_t i = 0; i < len; i++)
        b[i] = (char)pattern(i);
    return b;
}

/* ---------------------------------------------------------------- the server */

static void on_peer_closed(uv_handle_t *h)
{
    struct peer *p = h->data;

    p->closed = true;
}

static void peer_close(struct peer *p)
{
    if (!uv_is_closing((uv_handle_t *)&p->tcp))
        uv_close((uv_handle_t *)&p->tcp, on_peer_closed);
}

static void peer_write(struct peer *p, const char *text)
{
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)text, (unsigned)strlen(text));

    ASSERT_EQ(uv_try_write((uv_stream_t *)&p->tcp, &b, 1), (int)b.len);
}

static void peer_reading(struct peer *p, bool on);

/* The head of a request is complete: act on it. Returns false when the connection is done. */
static bool peer_head(struct peer *p)
{
    const char *cl = strstr(p->head, "Content-Length: ");

    p->requests++;
    p->body_len = cl != NULL ? (size_t)strtoull(cl + 16, NULL, 10) : 0;
    p->body_at = 0;
    p->in_body = true;
    if (p->mode == PEER_RESET || (p->mode == PEER_ONCE && p->requests == 2)) {
        ASSERT_EQ(uv_tcp_close_reset(&p->tcp, on_peer_closed), 0);
        return false;
    }
    if (p->mode == PEER_EARLY) {
        peer_write(p, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\nno");
        peer_reading(p, false);
        return false;
    }
    return true;
}

static void peer_body_done(struct peer *p)
{
    char count[32], answer[128];

    snprintf(count, sizeof(count), "%zu", p->bad_bytes);
    snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(count), count);
    peer_write(p, answer);
    p->in_body = false;
    p->head_len = 0;
    p->bad_bytes = 0;
}

static void peer_input(struct peer *p, const char *data, size_t len)
{
    size_t at = 0;

    while (at < len && !uv_is_closing((uv_handle_t *)&p->tcp) && p->reading) {
        if (p->mode == PEER_DRAIN || p->mode == PEER_HOLD)
            return;
        if (!p->in_body) {
            ASSERT_LT(p->head_len, sizeof(p->head) - 1);
            p->head[p->head_len++] = data[at++];
            p->head[p->head_len] = '\0';
            if (p->head_len >= 4 && memcmp(p->head + p->head_len - 4, "\r\n\r\n", 4) == 0 &&
                !peer_head(p))
                return;
            if (!p->in_body || p->body_len > 0)
                continue;
        }
        size_t n = len - at < p->body_len - p->body_at ? len - at : p->body_len - p->body_at;
        for (size_t i = 0; i < n; i++)
            p->bad_bytes += (unsigned char)data[at + i] != pattern(p->body_at + i);
        p->body_at += n;
        at += n;
        if (p->body_at == p->body_len)
            peer_body_done(p);
    }
}

static void on_peer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)h;
    (void)suggested;
    *out = uv_buf_init(readbuf, sizeof(readbuf));
}

static void on_peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct peer *p = s->data;

    if (nread < 0) {
        p->eof = true;
        peer_reading(p, false);
        peer_close(p);
        return;
    }
    p->got += (size_t)nread;
    peer_input(p, b->base, (size_t)nread);
}

static void peer_reading(struct peer *p, bool on)
{
    if (on == p->reading || uv_is_closing((uv_handle_t *)&p->tcp))
        return;
    if (on)
        ASSERT_EQ(uv_read_start((uv_stream_t *)&p->tcp, on_peer_alloc, on_peer_read), 0);
    else
        uv_read_stop((uv_stream_t *)&p->tcp);
    p->reading = on;
}

/* Lets a held or early-answering connection go on in `mode`. */
static void peer_release(struct peer *p, enum peer_mode mode)
{
    p->mode = mode;
    peer_reading(p, true);
}

static void on_connection(uv_stream_t *l, int status)
{
    ASSERT_EQ(status, 0);
    ASSERT_LT(accepted, MAX_PEERS);
    struct peer *p = xcalloc(1, sizeof(*p));
    ASSERT_EQ(uv_tcp_init(&loop, &p->tcp), 0);
    p->tcp.data = p;
    p->mode = modes[accepted];
    peers[accepted++] = p;
    ASSERT_EQ(uv_accept(l, (uv_stream_t *)&p->tcp), 0);
    if (p->mode != PEER_HOLD)
        peer_reading(p, true);
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    HARNESS_FAIL_("test did not finish within 60 s");
}

static void setup(void)
{
    struct sockaddr_in sa;
    struct sockaddr_storage ss;
    int len = sizeof(ss);

    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_EQ(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
    ASSERT_EQ(uv_tcp_init(&loop, &listener), 0);
    ASSERT_EQ(uv_tcp_bind(&listener, (const struct sockaddr *)&sa, 0), 0);
    ASSERT_EQ(uv_listen((uv_stream_t *)&listener, 16, on_connection), 0);
    ASSERT_EQ(uv_tcp_getsockname(&listener, (struct sockaddr *)&ss, &len), 0);
    port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    accepted = 0;
    memset(peers, 0, sizeof(peers));
    for (int i = 0; i < MAX_PEERS; i++)
        modes[i] = PEER_ANSWER;
    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 60000, 0);
    uv_unref((uv_handle_t *)&watchdog);
    uv_timer_init(&loop, &tick);
}

static void teardown(void)
{
    for (int i = 0; i < accepted; i++)
        peer_close(peers[i]);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    for (int i = 0; i < accepted; i++)
        free(peers[i]);
}

/* ---------------------------------------------------------------- the client */

struct exchange {
    char head[128];
    char *body; /* owned by the test; freed from on_done where the test says so */
    size_t body_len;
    bool free_on_done;
    int done, rc, status; /* done counts every on_done */
    bool started, stale;
    int first_rc; /* of the first on_done */
    bool first_started, first_stale;
    char answer[16];
    size_t answer_len;
    struct http_upstream *u;
};

static void on_head(void *ud, int status, const struct http_header *h, size_t n, long long len)
{
    struct exchange *x = ud;

    (void)h;
    (void)n;
    (void)len;
    x->status = status;
}

static bool on_body(void *ud, const char *data, size_t len)
{
    struct exchange *x = ud;
    size_t room = sizeof(x->answer) - 1 - x->answer_len;

    memcpy(x->answer + x->answer_len, data, len < room ? len : room);
    x->answer_len += len < room ? len : room;
    x->answer[x->answer_len] = '\0';
    return false;
}

static void on_done(void *ud, int rc, bool started, bool stale)
{
    struct exchange *x = ud;

    x->done++;
    x->rc = rc;
    x->started = started;
    x->stale = stale;
    if (x->done == 1) {
        x->first_rc = rc;
        x->first_started = started;
        x->first_stale = stale;
    }
    x->u = NULL;
    if (x->free_on_done) {
        /* The contract: nothing reads the body any more. Poison it first, then free it. */
        memset(x->body, 0, x->body_len);
        free(x->body);
        x->body = NULL;
    }
}

static const struct http_upstream_cbs cbs = {on_head, on_body, on_done, NULL};

static void send_on(struct http_upstream_pool *pool, struct exchange *x, bool fresh)
{
    snprintf(x->head, sizeof(x->head),
             "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
             x->body_len);
    struct http_upstream_opts o = {.head = {x->head, strlen(x->head)},
                                   .body = {x->body, x->body_len},
                                   .fresh = fresh,
                                   .connect_timeout_ms = 5000,
                                   .total_timeout_ms = 50000};
    x->status = 0;
    x->answer_len = 0;
    x->answer[0] = '\0';
    x->u = http_upstream_start(pool, &o, &cbs, x);
}

static void run_until(const bool *flag)
{
    while (!*flag)
        uv_run(&loop, UV_RUN_ONCE);
}

/* Runs the loop until on_done has run `n` times in all for the exchange. */
static void run_until_done(const struct exchange *x, int n)
{
    while (x->done < n)
        uv_run(&loop, UV_RUN_ONCE);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

static void run_ms(uint64_t ms)
{
    uint64_t end = uv_now(&loop) + ms;

    while (uv_now(&loop) < end) {
        uv_timer_start(&tick, on_tick, end - uv_now(&loop), 0);
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&tick);
}

/* ---------------------------------------------------------------- tests */

TEST(big_body_reaches_a_late_reader_intact)
{
    setup();
    struct http_upstream_pool *pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct exchange x = {.body = make_body(BIG_BODY), .body_len = BIG_BODY};

    modes[0] = PEER_HOLD;
    send_on(pool, &x, false);
    /* The server reads nothing for a while: most of the body waits in the queue. */
    run_ms(200);
    ASSERT_EQ(accepted, 1);
    ASSERT_EQ(x.done, 0);
    peer_release(peers[0], PEER_ANSWER);
    run_until_done(&x, 1);
    ASSERT_EQ(x.rc, 0);
    ASSERT_EQ(x.status, 200);
    ASSERT_STR_EQ(x.answer, "0");
    ASSERT_EQ(peers[0]->body_at, BIG_BODY);
    /* Written whole before the answer: the connection goes back to the pool and is reused. */
    ASSERT_EQ(http_upstream_pool_idle(pool), 1);
    free(x.body);
    struct exchange y = {.body = make_body(1000), .body_len = 1000, .free_on_done = true};
    send_on(pool, &y, false);
    run_until_done(&y, 1);
    ASSERT_EQ(y.rc, 0);
    ASSERT_STR_EQ(y.answer, "0");
    ASSERT_EQ(accepted, 1);
    ASSERT_EQ(peers[0]->requests, 2);
    http_upstream_pool_free(pool);
    teardown();
}

/* What the socket did not take at once is written from the caller's buffer, not from a copy:
 * bytes the caller changes meanwhile (which the contract forbids, to prove the point) are what
 * the server gets. With a copy the server got the original bytes and this count was 0. */
TEST(queued_rest_is_written_from_the_callers_buffer)
{
    enum { CHANGED = 1 << 20 };
    setup();
    struct http_upstream_pool *pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct exchange x = {.body = make_body(BIG_BODY), .body_len = BIG_BODY, .free_on_done = true};

    modes[0] = PEER_HOLD;
    send_on(pool, &x, false);
    run_ms(200); /* connected and sent: the socket took a few MB, the rest is queued */
    ASSERT_EQ(accepted, 1);
    for (size_t i = BIG_BODY - CHANGED; i < BIG_BODY; i++)
        x.body[i] = (char)~pattern(i);
    peer_release(peers[0], PEER_ANSWER);
    run_until_done(&x, 1);
    ASSERT_EQ(x.rc, 0);
    ASSERT_EQ(x.status, 200);
    ASSERT_EQ(strtol(x.answer, NULL, 10), CHANGED);
    http_upstream_pool_free(pool);
    teardown();
}

/* Without the fix the connection went back to the pool with the rest of the body still queued
 * on it (from a copy), and the next request on it followed that rest. */
TEST(early_answer_with_the_body_unread_closes_the_connection)
{
    setup();
    struct http_upstream_pool *pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct exchange x = {.body = make_body(BIG_BODY), .body_len = BIG_BODY, .free_on_done = true};

    modes[0] = PEER_EARLY;
    send_on(pool, &x, false);
    run_until_done(&x, 1);
    ASSERT_EQ(x.rc, 0);
    ASSERT_EQ(x.status, 413);
    ASSERT_STR_EQ(x.answer, "no");
    ASSERT_NULL(x.body); /* freed by on_done while the server had read almost nothing */
    ASSERT_LT(peers[0]->got, BIG_BODY / 2);
    ASSERT_EQ(http_upstream_pool_idle(pool), 0);
    ASSERT_EQ(http_upstream_pool_active(pool), 0);
    /* The server reads on: it finds the connection closed, short of the body. */
    peer_release(peers[0], PEER_DRAIN);
    run_until(&peers[0]->eof);
    ASSERT_LT(peers[0]->got, BIG_BODY);
    /* The next request goes on a new connection and arrives clean. */
    struct exchange y = {.body = make_body(5000), .body_len = 5000, .free_on_done = true};
    send_on(pool, &y, false);
    run_until_done(&y, 1);
    ASSERT_EQ(y.rc, 0);
    ASSERT_EQ(y.status, 200);
    ASSERT_STR_EQ(y.answer, "0");
    ASSERT_EQ(accepted, 2);
    http_upstream_pool_free(pool);
    teardown();
}

TEST(abort_with_the_body_queued)
{
    setup();
    struct http_upstream_pool *pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct exchange x = {.body = make_body(BIG_BODY), .body_len = BIG_BODY};

    modes[0] = PEER_HOLD;
    send_on(pool, &x, false);
    run_ms(100);
    ASSERT_EQ(accepted, 1);
    http_upstream_abort(x.u);
    /* The contract: once abort returns the body is the caller's again. */
    memset(x.body, 0, x.body_len);
    free(x.body);
    peer_release(peers[0], PEER_DRAIN);
    run_until(&peers[0]->eof);
    ASSERT_LT(peers[0]->got, BIG_BODY);
    ASSERT_EQ(x.done, 0);
    ASSERT_EQ(http_upstream_pool_active(pool), 0);
    http_upstream_pool_free(pool);
    teardown();
}

/* The retry of a failed attempt re-sends the same body on another server's pool from inside
 * on_done, as the router's proxy does. */
static struct http_upstream_pool *retry_pool;

static void on_done_retry(void *ud, int rc, bool started, bool stale)
{
    struct exchange *x = ud;

    on_done(ud, rc, started, stale);
    if (x->done == 1)
        send_on(retry_pool, x, false);
}

TEST(reset_mid_body_then_retry_elsewhere)
{
    setup();
    struct http_upstream_pool *a = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct exchange x = {.body = make_body(BIG_BODY), .body_len = BIG_BODY};
    static const struct http_upstream_cbs retry_cbs = {on_head, on_body, on_done_retry, NULL};

    retry_pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    modes[0] = PEER_RESET;
    snprintf(x.head, sizeof(x.head), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
             x.body_len);
    struct http_upstream_opts o = {
        .head = {x.head, strlen(x.head)}, .body = {x.body, x.body_len}, .connect_timeout_ms = 5000};
    x.u = http_upstream_start(a, &o, &retry_cbs, &x);
    run_until_done(&x, 2);
    ASSERT_TRUE(x.first_rc < 0);
    ASSERT_FALSE(x.first_started);
    ASSERT_FALSE(x.first_stale);
    ASSERT_EQ(x.rc, 0);
    ASSERT_EQ(x.status, 200);
    ASSERT_STR_EQ(x.answer, "0");
    ASSERT_EQ(accepted, 2);
    free(x.body);
    http_upstream_pool_free(a);
    http_upstream_pool_free(retry_pool);
    teardown();
}

TEST(stale_keep_alive_resends_the_body_on_a_fresh_connection)
{
    setup();
    struct http_upstream_pool *pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct exchange first = {.body = make_body(100), .body_len = 100, .free_on_done = true};

    modes[0] = PEER_ONCE;
    send_on(pool, &first, false);
    run_until_done(&first, 1);
    ASSERT_EQ(first.status, 200);
    ASSERT_EQ(http_upstream_pool_idle(pool), 1);
    /* The pooled connection is reset as the big request arrives on it. */
    struct exchange x = {.body = make_body(BIG_BODY), .body_len = BIG_BODY};
    send_on(pool, &x, false);
    run_until_done(&x, 1);
    ASSERT_TRUE(x.rc < 0);
    ASSERT_FALSE(x.started);
    ASSERT_TRUE(x.stale);
    x.free_on_done = true;
    send_on(pool, &x, true);
    run_until_done(&x, 2);
    ASSERT_EQ(x.rc, 0);
    ASSERT_STR_EQ(x.answer, "0");
    ASSERT_NULL(x.body);
    ASSERT_EQ(accepted, 2);
    http_upstream_pool_free(pool);
    teardown();
}

HARNESS_MAIN(CASE(big_body_reaches_a_late_reader_intact),
             CASE(queued_rest_is_written_from_the_callers_buffer),
             CASE(early_answer_with_the_body_unread_closes_the_connection),
             CASE(abort_with_the_body_queued), CASE(reset_mid_body_then_retry_elsewhere),
             CASE(stale_keep_alive_resends_the_body_on_a_fresh_connection))
