/* Unit tests for common/http_fetch (over common/http_upstream): buffered GET and POST,
 * headers, keep-alive reuse or closing per fetcher, timeouts, refused connections, bad URLs
 * reported asynchronously, size limits, and cancel/free with requests in flight. A
 * common/http_server runs on the same private loop; each test ends with uv_loop_close() == 0. */
#include "http_fetch.h"

#include <stdlib.h>
#include <string.h>

#include "fixture_server.h"
#include "harness.h"
#include "http_reply.h"
#include "http_server.h"
#include "xalloc.h"

static uv_loop_t loop;
static struct http_server *server;
static struct http_fetch *fetch;
static int port;
static uv_timer_t watchdog;

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    HARNESS_FAIL_("test did not finish within 10 s");
}

static void setup(unsigned max_idle)
{
    ASSERT_EQ(uv_loop_init(&loop), 0);
    server = fixture_server_start(&loop, &port);
    fetch = http_fetch_new(&loop, max_idle);
    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 10000, 0);
    uv_unref((uv_handle_t *)&watchdog);
}

static void teardown(void)
{
    http_fetch_free(fetch);
    http_server_free(server);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

static const char *url(const char *path)
{
    static char u[128];

    snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", port, path);
    return u;
}

struct result {
    int done, rc;
    long status;
    char body[256];
    char header[64];
};

static void on_done(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct result *r = ud;

    r->done++;
    r->rc = rc;
    r->status = resp->status;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->body.len, resp->body.ptr);
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (slice_eq_nocase(resp->headers[i].name, "x-answer") ||
            slice_eq_nocase(resp->headers[i].name, "x-custom"))
            snprintf(r->header, sizeof(r->header), "%.*s", (int)resp->headers[i].value.len,
                     resp->headers[i].value.ptr);
    }
}

static void run_until(const int *flag)
{
    while (!*flag)
        uv_run(&loop, UV_RUN_ONCE);
}

static void get(const char *path, struct result *r, uint64_t timeout_ms, size_t max)
{
    struct http_fetch_opts o = {.url = url(path),
                                .timeout_ms = timeout_ms,
                                .max_response = max,
                                .on_done = on_done,
                                .ud = r};
    ASSERT_NOT_NULL(http_fetch_start(fetch, &o));
}

TEST(get_post_and_reuse)
{
    setup(4);
    for (int i = 0; i < 3; i++) {
        struct result r = {0};
        get("/hello", &r, 2000, 0);
        run_until(&r.done);
        ASSERT_EQ(r.rc, 0);
        ASSERT_EQ(r.status, 200);
        ASSERT_STR_EQ(r.body, "hello");
        ASSERT_STR_EQ(r.header, "42");
    }
    struct result p = {0};
    const char *hdrs[] = {"X-Custom: yes", "X-Bad: a\r\nInjected: 1", NULL};
    struct http_fetch_opts o = {.url = url("/echo"),
                                .method = "POST",
                                .headers = hdrs,
                                .body = "{\"k\":1}",
                                .body_len = 7,
                                .on_done = on_done,
                                .ud = &p};
    http_fetch_start(fetch, &o);
    run_until(&p.done);
    ASSERT_EQ(p.status, 201);
    ASSERT_STR_EQ(p.body, "{\"k\":1}");
    ASSERT_STR_EQ(p.header, "yes");
    struct http_server_stats st;
    http_server_get_stats(server, &st);
    ASSERT_EQ(st.connections_total, 1); /* all four on one kept-alive connection */
    ASSERT_EQ(http_fetch_active(fetch), 0);
    teardown();
}

TEST(no_idle_means_a_connection_each)
{
    setup(0);
    for (int i = 0; i < 3; i++) {
        struct result r = {0};
        get("/hello", &r, 2000, 0);
        run_until(&r.done);
        ASSERT_EQ(r.rc, 0);
    }
    struct http_server_stats st;
    http_server_get_stats(server, &st);
    ASSERT_EQ(st.connections_total, 3);
    teardown();
}

TEST(errors_are_reported_later)
{
    struct result t = {0}, refused = {0}, bad = {0}, big = {0};

    setup(1);
    get("/slow", &t, 100, 0);
    struct http_fetch_opts o = {.url = "http://127.0.0.1:1/x", .on_done = on_done, .ud = &refused};
    http_fetch_start(fetch, &o);
    o.url = "https://example/";
    o.ud = &bad;
    http_fetch_start(fetch, &o);
    ASSERT_EQ(bad.done, 0); /* never from inside start */
    get("/big", &big, 2000, 1000);
    run_until(&t.done);
    run_until(&refused.done);
    run_until(&bad.done);
    run_until(&big.done);
    ASSERT_EQ(t.rc, UV_ETIMEDOUT);
    ASSERT_EQ(refused.rc, UV_ECONNREFUSED);
    ASSERT_EQ(bad.rc, UV_EINVAL);
    ASSERT_EQ(big.rc, SVC_ELIMIT);
    ASSERT_EQ(http_fetch_active(fetch), 0);
    struct http_fetch_opts no_callback = {.url = url("/x")};
    ASSERT_NULL(http_fetch_start(fetch, &no_callback));
    teardown();
}

TEST(cancel_and_free_in_flight)
{
    struct result a = {0}, b = {0}, c = {0};

    setup(2);
    get("/slow", &a, 0, 0);
    get("/slow", &b, 0, 0);
    struct http_fetch_opts o = {.url = "not a url", .on_done = on_done, .ud = &c};
    struct http_fetch_req *failing = http_fetch_start(fetch, &o);
    ASSERT_EQ(http_fetch_active(fetch), 3);
    http_fetch_cancel(failing); /* cancelled while its failure waits to be reported */
    for (int i = 0; i < 5; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(http_fetch_active(fetch), 2);
    teardown(); /* frees the fetcher with two requests in flight: no callbacks */
    ASSERT_EQ(a.done + b.done + c.done, 0);
}

HARNESS_MAIN(CASE(get_post_and_reuse), CASE(no_idle_means_a_connection_each),
             CASE(errors_are_reported_later), CASE(cancel_and_free_in_flight))
