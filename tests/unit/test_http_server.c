/* Unit tests for common/http_server + http_reply: keep-alive, pipelining, bodies, every limit,
 * timeouts, 100-continue, aborts, backpressure, drain. A real server runs on a private loop
 * thread on 127.0.0.1 (port chosen by the OS); the test drives it with blocking sockets. */
#include "http_server.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "http_reply.h"
#include "json.h"
#include "loop_thread.h"
#include "tcp_client.h"
#include "xalloc.h"

struct delayed {
    uv_timer_t timer;
    struct http_request *req;
    int closes;
};

struct streamer {
    struct http_request *req;
    int chunks_left;
    size_t chunk_size;
    char *chunk;
};

struct fixture {
    struct loop_thread lt;
    struct http_server *server;
    int port;
    /* observed on the loop thread */
    int aborts;
    int drains;
    int pauses;
    size_t max_queued;
    int drained_called;
    struct streamer *streamer;
};

static struct fixture fx;

static void on_delay_abort(void *ud)
{
    struct delayed *d = ud;

    fx.aborts++;
    d->req = NULL;
}

static void on_delay_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_delay(uv_timer_t *t)
{
    struct delayed *d = t->data;

    if (d->req != NULL)
        http_reply_send(d->req, 200, "text/plain", "late", 4);
    uv_close((uv_handle_t *)&d->timer, on_delay_closed);
}

static void stream_pump(struct streamer *st);

static void stream_on_drain(void *ud)
{
    fx.drains++;
    stream_pump(ud);
}

static void stream_on_abort(void *ud)
{
    struct streamer *st = ud;

    fx.aborts++;
    free(st->chunk);
    free(st);
    fx.streamer = NULL;
}

static void stream_pump(struct streamer *st)
{
    while (st->chunks_left > 0) {
        int rc = http_reply_write(st->req, st->chunk, st->chunk_size);
        st->chunks_left--;
        size_t q = http_reply_queued(st->req);
        if (q > fx.max_queued)
            fx.max_queued = q;
        if (rc < 0)
            return;
        if (rc == 1) {
            fx.pauses++;
            return; /* resumed by the drain callback */
        }
    }
    http_reply_end(st->req);
    free(st->chunk);
    free(st);
    fx.streamer = NULL;
}

static void count_abort(void *ud)
{
    (void)ud;
    fx.aborts++;
}

static long query_long(struct http_request *req, const char *key, long def)
{
    char v[32];

    return http_request_query(req, key, v, sizeof(v)) ? strtol(v, NULL, 10) : def;
}

static void handler(struct http_request *req, void *ud)
{
    (void)ud;
    if (slice_eq(req->path, "/echo")) {
        struct buf b;
        buf_init(&b, BUF_UNLIMITED);
        buf_appendf(&b, "%s %.*s %zu:", req->method_name, (int)req->target.len, req->target.ptr,
                    req->body.len);
        buf_append_slice(&b, req->body);
        struct slice x = http_request_header(req, "x-test");
        if (x.ptr != NULL) {
            buf_append_str(&b, " x-test=");
            buf_append_slice(&b, x);
        }
        http_reply_add_header(req, "X-Reply", "yes");
        http_reply_add_header(req, "X-Bad", "a\r\nInjected: 1");
        http_reply_send(req, 200, "text/plain", b.data, b.len);
        buf_free(&b);
    } else if (slice_eq(req->path, "/delay")) {
        struct delayed *d = xcalloc(1, sizeof(*d));
        d->req = req;
        uv_timer_init(&fx.lt.loop, &d->timer);
        d->timer.data = d;
        uv_timer_start(&d->timer, on_delay, (uint64_t)query_long(req, "ms", 100), 0);
        http_reply_on_abort(req, on_delay_abort, d);
    } else if (slice_eq(req->path, "/stream")) {
        struct streamer *st = xcalloc(1, sizeof(*st));
        st->req = req;
        st->chunks_left = (int)query_long(req, "n", 10);
        st->chunk_size = (size_t)query_long(req, "size", 100);
        st->chunk = xmalloc(st->chunk_size);
        memset(st->chunk, 'z', st->chunk_size);
        fx.streamer = st;
        http_reply_on_abort(req, stream_on_abort, st);
        http_reply_on_drain(req, stream_on_drain, st);
        http_reply_start(req, 200, "text/event-stream", HTTP_REPLY_UNKNOWN_LENGTH);
        stream_pump(st);
    } else if (slice_eq(req->path, "/abort")) {
        /* Starts a chunked body, writes n chunks, then gives up mid-response. */
        http_reply_on_abort(req, count_abort, NULL);
        http_reply_start(req, 200, "text/event-stream", HTTP_REPLY_UNKNOWN_LENGTH);
        for (long i = query_long(req, "n", 2); i > 0; i--)
            http_reply_write(req, "data: x\n\n", 9);
        http_reply_abort(req);
    } else if (slice_eq(req->path, "/begin")) {
        /* Held head: leaves with the first body bytes (or on flush when ?flush is given). */
        http_reply_add_header(req, "X-Held", "1");
        http_reply_begin(req, 200, "text/plain", 5);
        if (req->query.len > 0)
            http_reply_flush(req);
        http_reply_write(req, "he", 2);
        http_reply_write(req, "llo", 3);
        http_reply_end(req);
    } else if (slice_eq(req->path, "/begin-chunked")) {
        http_reply_begin(req, 200, "text/event-stream", HTTP_REPLY_UNKNOWN_LENGTH);
        http_reply_end(req); /* no body at all: head and last chunk together */
    } else if (slice_eq(req->path, "/json")) {
        cJSON *doc = json_new_object();
        json_set_string(doc, "zeta", "last");
        json_set_number(doc, "alpha", 1);
        http_reply_json(req, 201, doc);
        cJSON_Delete(doc);
    } else {
        http_reply_error(req, 404, "no route for %.*s", (int)req->path.len, req->path.ptr);
    }
}

static void setup_with(const struct http_server_limits *limits)
{
    memset(&fx, 0, sizeof(fx));
    loop_thread_init(&fx.lt);
    fx.server = http_server_new(&fx.lt.loop, limits, handler, NULL);
    ASSERT_EQ(http_server_port(fx.server), 0);
    ASSERT_OK(http_server_listen(fx.server, "127.0.0.1", 0, &fx.port));
    ASSERT_TRUE(fx.port > 0);
    ASSERT_EQ(http_server_port(fx.server), fx.port);
    loop_thread_start(&fx.lt);
}

static void setup(void)
{
    setup_with(NULL);
}

static void free_server(void *ud)
{
    (void)ud;
    http_server_free(fx.server);
}

static void teardown(void)
{
    ASSERT_EQ(loop_thread_stop(&fx.lt, free_server, NULL), 0);
}

static void expect_response(int fd, int status, const char *body_part)
{
    struct tcp_response r;

    ASSERT_OK(tcp_read_response(fd, &r));
    ASSERT_EQ(r.status, status);
    if (body_part != NULL)
        ASSERT_CONTAINS(buf_cstr(&r.body), body_part);
    tcp_response_free(&r);
}

TEST(keep_alive_serves_many_requests)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_TRUE(fd >= 0);
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(tcp_send_str(fd, "GET /echo?i=1 HTTP/1.1\r\nHost: x\r\nX-Test: v\r\n\r\n"));
        struct tcp_response r;
        ASSERT_OK(tcp_read_response(fd, &r));
        ASSERT_EQ(r.status, 200);
        ASSERT_STR_EQ(buf_cstr(&r.body), "GET /echo?i=1 0: x-test=v");
        ASSERT_TRUE(r.keep_alive);
        char *h = tcp_response_header(&r, "x-reply");
        ASSERT_STR_EQ(h, "yes");
        free(h);
        /* A header value with CR/LF must be dropped, never injected. */
        ASSERT_NULL(tcp_response_header(&r, "injected"));
        ASSERT_NULL(tcp_response_header(&r, "x-bad"));
        tcp_response_free(&r);
    }
    close(fd);
    teardown();
}

TEST(pipelined_requests_answered_in_order)
{
    setup();
    int fd = tcp_connect(fx.port);
    /* The first is answered late (async) and must still come first. */
    ASSERT_OK(tcp_send_str(fd, "GET /delay?ms=150 HTTP/1.1\r\nHost: x\r\n\r\n"
                               "POST /echo?n=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                               "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect_response(fd, 200, "late");
    expect_response(fd, 200, "POST /echo?n=2 3:abc");
    expect_response(fd, 200, "GET /echo?n=3 0:");
    close(fd);
    teardown();
}

TEST(chunked_request_body_is_decoded)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                               "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    expect_response(fd, 200, "POST /echo 11:hello world");
    /* Sent in tiny pieces, split inside the chunk framing. */
    const char *msg = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "3\r\nabc\r\n0\r\n\r\n";
    for (size_t i = 0; msg[i] != '\0'; i++) {
        ASSERT_OK(tcp_send(fd, msg + i, 1));
        if (i % 7 == 0)
            usleep(1000);
    }
    expect_response(fd, 200, "POST /echo 3:abc");
    close(fd);
    teardown();
}

TEST(url_too_long_is_414_json)
{
    struct http_server_limits l;

    http_server_limits_default(&l);
    l.max_url = 64;
    setup_with(&l);
    int fd = tcp_connect(fx.port);
    char req[512];
    snprintf(req, sizeof(req), "GET /echo?%0100d HTTP/1.1\r\nHost: x\r\n\r\n", 7);
    ASSERT_OK(tcp_send_str(fd, req));
    struct tcp_response r;
    ASSERT_OK(tcp_read_response(fd, &r));
    ASSERT_EQ(r.status, 414);
    ASSERT_CONTAINS(buf_cstr(&r.body), "\"code\":\"uri_too_long\"");
    ASSERT_CONTAINS(buf_cstr(&r.body), "{\"error\":{");
    ASSERT_FALSE(r.keep_alive);
    tcp_response_free(&r);
    ASSERT_TRUE(tcp_wait_closed(fd, 2000));
    close(fd);
    teardown();
}

TEST(header_limits_are_431)
{
    struct http_server_limits l;

    http_server_limits_default(&l);
    l.max_header_bytes = 200;
    l.max_headers = 4;
    setup_with(&l);
    int fd = tcp_connect(fx.port);
    char big[400];
    memset(big, 'a', 300);
    big[300] = '\0';
    char req[600];
    snprintf(req, sizeof(req), "GET /echo HTTP/1.1\r\nX-Big: %s\r\n\r\n", big);
    ASSERT_OK(tcp_send_str(fd, req));
    expect_response(fd, 431, "headers_too_large");
    close(fd);

    fd = tcp_connect(fx.port);
    ASSERT_OK(
        tcp_send_str(fd, "GET /echo HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n"));
    expect_response(fd, 431, "too many");
    close(fd);

    fd = tcp_connect(fx.port); /* exactly at the count limit is fine */
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"));
    expect_response(fd, 200, "GET /echo");
    close(fd);
    teardown();
}

TEST(body_limits_are_413)
{
    struct http_server_limits l;

    http_server_limits_default(&l);
    l.max_body = 10;
    setup_with(&l);
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"));
    expect_response(fd, 413, "payload_too_large");
    close(fd);

    fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
    expect_response(fd, 413, "too large");
    close(fd);

    fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"));
    expect_response(fd, 200, "10:0123456789");
    close(fd);
    teardown();
}

TEST(expect_100_continue)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                               "Expect: 100-continue\r\n\r\n"));
    expect_response(fd, 100, NULL);
    ASSERT_OK(tcp_send_str(fd, "data"));
    expect_response(fd, 200, "4:data");
    close(fd);
    teardown();
}

TEST(malformed_request_is_400)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.1\r\nBad Header Name: x\r\n\r\n"));
    expect_response(fd, 400, "\"type\":\"invalid_request_error\"");
    ASSERT_TRUE(tcp_wait_closed(fd, 2000));
    close(fd);
    fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "POST /echo HTTP/1.1\r\nContent-Length: 1\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    expect_response(fd, 400, NULL);
    close(fd);
    teardown();
}

static void read_rejected(void *ud)
{
    struct http_server_stats st;

    http_server_get_stats(fx.server, &st);
    *(int *)ud = (int)st.rejected_total;
}

TEST(header_timeout_sends_408)
{
    struct http_server_limits l;
    int rejected = -1;

    http_server_limits_default(&l);
    l.header_timeout_ms = 150;
    setup_with(&l);
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.1\r\nHost: x\r\n"));
    expect_response(fd, 408, "request_timeout");
    ASSERT_TRUE(tcp_wait_closed(fd, 2000));
    close(fd);
    loop_thread_call(&fx.lt, read_rejected, &rejected);
    ASSERT_EQ(rejected, 1); /* one rejection, counted once */
    teardown();
}

TEST(idle_keepalive_connection_is_closed)
{
    struct http_server_limits l;

    http_server_limits_default(&l);
    l.idle_timeout_ms = 100;
    setup_with(&l);
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect_response(fd, 200, NULL);
    ASSERT_TRUE(tcp_wait_closed(fd, 2000));
    close(fd);
    teardown();
}

static void read_counters(void *ud)
{
    int *out = ud;

    out[0] = fx.aborts;
    out[1] = fx.pauses;
    out[2] = fx.drains;
    out[3] = (int)fx.max_queued;
    out[4] = fx.drained_called;
}

TEST(client_abort_runs_abort_callback)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /delay?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"));
    usleep(50 * 1000);
    close(fd);
    int c[5] = {0};
    for (int i = 0; i < 200 && c[0] == 0; i++) {
        usleep(5000);
        loop_thread_call(&fx.lt, read_counters, c);
    }
    ASSERT_EQ(c[0], 1);
    usleep(400 * 1000); /* the timer fires later and must not touch the dead request */
    teardown();
}

TEST(http10_and_head)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.0\r\n\r\n"));
    struct tcp_response r;
    ASSERT_OK(tcp_read_response(fd, &r));
    ASSERT_EQ(r.status, 200);
    ASSERT_FALSE(r.keep_alive);
    tcp_response_free(&r);
    ASSERT_TRUE(tcp_wait_closed(fd, 2000));
    close(fd);

    fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    ASSERT_OK(tcp_read_response(fd, &r));
    ASSERT_TRUE(r.keep_alive);
    tcp_response_free(&r);
    ASSERT_OK(tcp_send_str(fd, "HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
    /* HEAD: Content-Length of the would-be body, no body bytes. llhttp does not know the
     * request was HEAD, so read the head only and check nothing else follows. */
    char buf[512];
    usleep(100 * 1000);
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    ASSERT_TRUE(n > 0);
    buf[n] = '\0';
    ASSERT_CONTAINS(buf, "HTTP/1.1 200 OK");
    ASSERT_CONTAINS(buf, "Content-Length: 13"); /* "HEAD /echo 0:" */
    ASSERT_TRUE(strstr(buf, "\r\n\r\n") + 4 == buf + n);
    close(fd);
    teardown();
}

TEST(json_reply_is_sorted_compact)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /json HTTP/1.1\r\n\r\n"));
    struct tcp_response r;
    ASSERT_OK(tcp_read_response(fd, &r));
    ASSERT_EQ(r.status, 201);
    ASSERT_STR_EQ(buf_cstr(&r.body), "{\"alpha\":1,\"zeta\":\"last\"}");
    char *ct = tcp_response_header(&r, "content-type");
    ASSERT_STR_EQ(ct, "application/json");
    free(ct);
    tcp_response_free(&r);
    ASSERT_OK(tcp_send_str(fd, "GET /nope HTTP/1.1\r\n\r\n"));
    expect_response(fd, 404,
                    "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for /nope\"");
    close(fd);
    teardown();
}

TEST(held_head_leaves_with_body)
{
    setup();
    int fd = tcp_connect(fx.port);
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(tcp_send_str(fd, i == 0 ? "GET /begin HTTP/1.1\r\n\r\n"
                                          : "GET /begin?flush HTTP/1.1\r\n\r\n"));
        struct tcp_response r;
        ASSERT_OK(tcp_read_response(fd, &r));
        ASSERT_EQ(r.status, 200);
        ASSERT_STR_EQ(buf_cstr(&r.body), "hello");
        char *h = tcp_response_header(&r, "x-held");
        ASSERT_STR_EQ(h, "1");
        free(h);
        tcp_response_free(&r);
    }
    ASSERT_OK(tcp_send_str(fd, "GET /begin-chunked HTTP/1.1\r\n\r\n"));
    expect_response(fd, 200, NULL);
    ASSERT_OK(tcp_send_str(fd, "GET /json HTTP/1.1\r\n\r\n"));
    expect_response(fd, 201, "alpha"); /* the connection is still in step */
    close(fd);
    teardown();
}

TEST(slow_reader_pauses_producer)
{
    struct http_server_limits l;

    http_server_limits_default(&l);
    l.write_high_water = 64 * 1024;
    l.write_low_water = 16 * 1024;
    setup_with(&l);
    int fd = tcp_connect(fx.port);
    /* 64 MiB in 16 KiB chunks: far more than the kernel's socket buffers hold (a few MiB), so
     * the producer must pause while the client does not read. (A tiny SO_RCVBUF would instead
     * push loopback TCP into zero-window probing and make the transfer crawl.) */
    ASSERT_OK(tcp_send_str(fd, "GET /stream?n=4096&size=16384 HTTP/1.1\r\nHost: x\r\n\r\n"));
    usleep(300 * 1000);
    int c[5] = {0};
    loop_thread_call(&fx.lt, read_counters, c);
    ASSERT_TRUE(c[1] >= 1); /* paused */
    /* Bounded: high water + one chunk (plus framing). */
    ASSERT_LE(c[3], 64 * 1024 + 16384 + 64);
    /* Now read everything; the producer must resume and finish. */
    struct tcp_response r;
    ASSERT_OK(tcp_read_response(fd, &r));
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body.len, 4096 * 16384);
    tcp_response_free(&r);
    loop_thread_call(&fx.lt, read_counters, c);
    ASSERT_TRUE(c[2] >= 1); /* drained */
    ASSERT_LE(c[3], 64 * 1024 + 16384 + 64);
    close(fd);
    teardown();
}

static void on_drained(struct http_server *s, void *ud)
{
    (void)s;
    (void)ud;
    fx.drained_called++;
}

static void start_drain(void *ud)
{
    http_server_drain(fx.server, *(uint64_t *)ud, on_drained, NULL);
}

TEST(drain_finishes_in_flight_then_closes)
{
    setup();
    int idle = tcp_connect(fx.port);
    int busy = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(busy, "GET /delay?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n"));
    usleep(50 * 1000);
    uint64_t deadline = 5000;
    loop_thread_call(&fx.lt, start_drain, &deadline);
    ASSERT_TRUE(tcp_wait_closed(idle, 1000)); /* idle connections go at once */
    struct tcp_response r;
    ASSERT_OK(tcp_read_response(busy, &r)); /* in-flight one completes */
    ASSERT_EQ(r.status, 200);
    ASSERT_FALSE(r.keep_alive);
    tcp_response_free(&r);
    ASSERT_TRUE(tcp_wait_closed(busy, 2000));
    ASSERT_TRUE(tcp_connect(fx.port) < 0); /* no longer listening */
    close(idle);
    close(busy); /* the server lingers until our FIN */
    int c[5] = {0};
    for (int i = 0; i < 100 && c[4] == 0; i++) {
        usleep(10000);
        loop_thread_call(&fx.lt, read_counters, c);
    }
    ASSERT_EQ(c[4], 1);
    teardown();
}

TEST(drain_deadline_aborts_stragglers)
{
    setup();
    int busy = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(busy, "GET /delay?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n"));
    usleep(50 * 1000);
    uint64_t deadline = 100;
    loop_thread_call(&fx.lt, start_drain, &deadline);
    ASSERT_TRUE(tcp_wait_closed(busy, 2000));
    int c[5] = {0};
    for (int i = 0; i < 100 && c[4] == 0; i++) {
        usleep(10000);
        loop_thread_call(&fx.lt, read_counters, c);
    }
    ASSERT_EQ(c[0], 1); /* abort callback ran */
    ASSERT_EQ(c[4], 1);
    close(busy);
    /* The 3 s timer is still pending; stopping closes it too (uv_loop_close must be 0). */
    teardown();
}

static void read_in_flight(void *ud)
{
    struct http_server_stats st;

    http_server_get_stats(fx.server, &st);
    *(int *)ud = (int)st.requests_in_flight;
}

TEST(reply_abort_closes_connection_mid_response)
{
    setup();
    int fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /abort?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
    /* Everything up to EOF: the head and three chunks, never the terminating chunk. */
    struct buf got;
    char tmp[4096];
    ssize_t n;
    buf_init(&got, 1 << 20);
    while ((n = recv(fd, tmp, sizeof(tmp), 0)) > 0)
        ASSERT_OK(buf_append(&got, tmp, (size_t)n));
    ASSERT_TRUE(n == 0 || n == -1); /* FIN, or a reset */
    ASSERT_CONTAINS(buf_cstr(&got), "HTTP/1.1 200 OK");
    ASSERT_CONTAINS(buf_cstr(&got), "Transfer-Encoding: chunked");
    ASSERT_CONTAINS(buf_cstr(&got), "9\r\ndata: x\n\n\r\n9\r\ndata: x\n\n\r\n9\r\n");
    ASSERT_TRUE(strstr(buf_cstr(&got), "0\r\n\r\n") == NULL);
    buf_free(&got);
    close(fd);
    /* Before the head: the client gets no response at all. */
    fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /abort?n=0 HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(tcp_wait_closed(fd, 2000));
    close(fd);
    /* The abort callback did not run, nothing is left in flight, the server goes on. */
    int c[5] = {0}, in_flight = -1;
    loop_thread_call(&fx.lt, read_counters, c);
    loop_thread_call(&fx.lt, read_in_flight, &in_flight);
    ASSERT_EQ(c[0], 0);
    ASSERT_EQ(in_flight, 0);
    fd = tcp_connect(fx.port);
    ASSERT_OK(tcp_send_str(fd, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect_response(fd, 200, "GET /echo 0:");
    close(fd);
    teardown();
}

HARNESS_MAIN(CASE(keep_alive_serves_many_requests), CASE(pipelined_requests_answered_in_order),
             CASE(chunked_request_body_is_decoded), CASE(url_too_long_is_414_json),
             CASE(header_limits_are_431), CASE(body_limits_are_413), CASE(expect_100_continue),
             CASE(malformed_request_is_400), CASE(header_timeout_sends_408),
             CASE(idle_keepalive_connection_is_closed), CASE(client_abort_runs_abort_callback),
             CASE(http10_and_head), CASE(json_reply_is_sorted_compact),
             CASE(held_head_leaves_with_body), CASE(slow_reader_pauses_producer),
             CASE(drain_finishes_in_flight_then_closes), CASE(drain_deadline_aborts_stragglers),
             CASE(reply_abort_closes_connection_mid_response))
