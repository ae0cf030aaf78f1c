/* Unit tests for common/http_client: buffered and streamed responses, connection reuse,
 * timeouts, refused connections, size limits, pause/resume, abort and cancel. Client and a
 * common/http_server run on one private loop on 127.0.0.1; every test bounds its run time and
 * ends with uv_loop_close() == 0. */
#include "http_client.h"

#include <stdlib.h>
#include <string.h>

#include "fixture_server.h"
#include "harness.h"
#include "http_reply.h"
#include "http_server.h"
#include "xalloc.h"

static uv_loop_t loop;
static struct http_server *server;
static struct http_client *client;
static int port;
static uv_timer_t watchdog;

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    HARNESS_FAIL_("test did not finish within 10 s");
}

static void setup(void)
{
    ASSERT_EQ(uv_loop_init(&loop), 0);
    server = fixture_server_start(&loop, &port);
    client = http_client_new(&loop, 8);
    uv_timer_init(&loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 10000, 0);
    uv_unref((uv_handle_t *)&watchdog);
}

static void run_until(const int *flag)
{
    while (!*flag)
        uv_run(&loop, UV_RUN_ONCE);
}

static void teardown(void)
{
    http_client_free(client);
    http_server_free(server);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

static char *url(const char *path)
{
    static char u[128];

    snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", port, path);
    return u;
}

struct result {
    int done;
    int rc;
    long status;
    char body[256];
    size_t body_len;
    char answer[16];
    int heads;
    int datas;
    int pauses_left;
    int abort_at;
    struct buf streamed;
};

static void on_done(void *ud, int rc, const struct http_client_response *resp)
{
    struct result *r = ud;

    r->done++;
    r->rc = rc;
    r->status = resp->status;
    r->body_len = resp->body.len;
    memcpy(r->body, resp->body.ptr, resp->body.len < 255 ? resp->body.len : 255);
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (slice_eq_nocase(resp->headers[i].name, "x-answer"))
            snprintf(r->answer, sizeof(r->answer), "%.*s", (int)resp->headers[i].value.len,
                     resp->headers[i].value.ptr);
    }
}

static struct http_client_req *get(const char *path, struct result *r, uint64_t timeout_ms)
{
    struct http_client_opts o = {
        .url = url(path), .timeout_ms = timeout_ms, .on_done = on_done, .ud = r};
    return http_client_start(client, &o);
}

TEST(buffered_get_and_headers)
{
    struct result r = {0};

    setup();
    ASSERT_NOT_NULL(get("/hello", &r, 2000));
    run_until(&r.done);
    ASSERT_EQ(r.rc, 0);
    ASSERT_EQ(r.status, 200);
    ASSERT_STR_EQ(r.body, "hello");
    ASSERT_STR_EQ(r.answer, "42");
    teardown();
}

TEST(post_body_and_connection_reuse)
{
    setup();
    for (int i = 0; i < 3; i++) {
        struct result r = {0};
        const char *hdrs[] = {"Content-Type: application/json", NULL};
        struct http_client_opts o = {.url = url("/echo"),
                                     .method = "POST",
                                     .headers = hdrs,
                                     .body = "{\"k\":1}",
                                     .body_len = 7,
                                     .on_done = on_done,
                                     .ud = &r};
        ASSERT_NOT_NULL(http_client_start(client, &o));
        run_until(&r.done);
        ASSERT_EQ(r.rc, 0);
        ASSERT_EQ(r.status, 201);
        ASSERT_STR_EQ(r.body, "{\"k\":1}");
    }
    struct http_server_stats st;
    http_server_get_stats(server, &st);
    ASSERT_EQ(st.requests_total, 3);
    ASSERT_EQ(st.connections_total, 1); /* one kept-alive connection served all three */
    teardown();
}

TEST(total_timeout)
{
    struct result r = {0};

    setup();
    get("/slow", &r, 100);
    run_until(&r.done);
    ASSERT_EQ(r.rc, UV_ETIMEDOUT);
    teardown();
}

TEST(connection_refused)
{
    struct result r = {0};
    struct http_client_opts o = {.url = "http://127.0.0.1:1/x", .on_done = on_done, .ud = &r};

    setup();
    http_client_start(client, &o);
    run_until(&r.done);
    ASSERT_EQ(r.rc, UV_ECONNREFUSED);
    ASSERT_EQ(r.status, 0);
    teardown();
}

TEST(response_limit)
{
    struct result r = {0};

    setup();
    struct http_client_opts o = {
        .url = url("/big"), .max_response = 1000, .on_done = on_done, .ud = &r};
    http_client_start(client, &o);
    run_until(&r.done);
    ASSERT_EQ(r.rc, SVC_ELIMIT);
    teardown();
}

static uv_timer_t resume_timer;
static struct http_client_req *paused_req;

static void on_resume(uv_timer_t *t)
{
    (void)t;
    http_client_resume(paused_req);
}

static void on_head(void *ud, const struct http_client_response *resp)
{
    struct result *r = ud;

    r->heads++;
    r->status = resp->status;
}

static int on_data(void *ud, const char *data, size_t len)
{
    struct result *r = ud;

    r->datas++;
    if (r->abort_at > 0 && r->datas >= r->abort_at)
        return HTTP_CLIENT_ABORT;
    if (r->pauses_left > 0) {
        r->pauses_left--;
        uv_timer_start(&resume_timer, on_resume, 20, 0);
        return HTTP_CLIENT_PAUSE;
    }
    buf_append(&r->streamed, data, len);
    return 0;
}

TEST(streaming_with_pause_resume)
{
    struct result r = {.pauses_left = 3};

    setup();
    buf_init(&r.streamed, 1 << 20);
    uv_timer_init(&loop, &resume_timer);
    struct http_client_opts o = {.url = url("/stream"),
                                 .on_head = on_head,
                                 .on_data = on_data,
                                 .on_done = on_done,
                                 .ud = &r};
    paused_req = http_client_start(client, &o);
    run_until(&r.done);
    ASSERT_EQ(r.rc, 0);
    ASSERT_EQ(r.heads, 1);
    ASSERT_EQ(r.status, 200);
    /* Every event exactly once, in order, although the transfer paused three times. */
    ASSERT_TRUE(strncmp(buf_cstr(&r.streamed), "data: 20\n\ndata: 19\n\n", 20) == 0);
    ASSERT_CONTAINS(buf_cstr(&r.streamed), "data: 2\n\ndata: 1\n\n");
    int events = 0;
    for (const char *p = buf_cstr(&r.streamed); (p = strstr(p, "data: ")) != NULL; p++)
        events++;
    ASSERT_EQ(events, 20);
    buf_free(&r.streamed);
    uv_close((uv_handle_t *)&resume_timer, NULL);
    teardown();
}

TEST(data_callback_abort)
{
    struct result r = {.abort_at = 2};

    setup();
    buf_init(&r.streamed, 1 << 20);
    struct http_client_opts o = {.url = url("/stream"),
                                 .on_head = on_head,
                                 .on_data = on_data,
                                 .on_done = on_done,
                                 .ud = &r};
    http_client_start(client, &o);
    run_until(&r.done);
    ASSERT_EQ(r.rc, SVC_ECANCELED);
    buf_free(&r.streamed);
    teardown();
}

static void on_cancel_timer(uv_timer_t *t)
{
    http_client_cancel(t->data);
    uv_close((uv_handle_t *)t, NULL);
}

TEST(cancel_and_free_with_requests_in_flight)
{
    struct result r1 = {0}, r2 = {0};
    uv_timer_t t;

    setup();
    struct http_client_req *a = get("/slow", &r1, 0);
    get("/slow", &r2, 0);
    ASSERT_EQ(http_client_active(client), 2);
    uv_timer_init(&loop, &t);
    t.data = a;
    uv_timer_start(&t, on_cancel_timer, 50, 0);
    int flag = 0;
    while (http_client_active(client) != 1 && flag++ < 1000)
        uv_run(&loop, UV_RUN_ONCE);
    ASSERT_EQ(http_client_active(client), 1);
    /* Freeing the client drops the other request without calling back. */
    teardown();
    ASSERT_EQ(r1.done, 0);
    ASSERT_EQ(r2.done, 0);
}

HARNESS_MAIN(CASE(buffered_get_and_headers), CASE(post_body_and_connection_reuse),
             CASE(total_timeout), CASE(connection_refused), CASE(response_limit),
             CASE(streaming_with_pause_resume), CASE(data_callback_abort),
             CASE(cancel_and_free_with_requests_in_flight))
