/* Unit tests for router/headers: hop-by-hop filtering and the upstream request head. */
#include "headers.h"

#include <llhttp.h>
#include <string.h>

#include "buf.h"
#include "harness.h"

static struct slice S(const char *s) {
    return slice_from_cstr(s);
}

TEST(hop_by_hop_headers_are_dropped)
{
    const char *drop[] = {"Connection",
                          "keep-alive",
                          "Proxy-Authorization",
                          "TE",
                          "Trailer",
                          "Transfer-Encoding",
                          "Upgrade",
                          "Content-Length",
                          "Host",
                          "Proxy-Connection",
                          "Expect"};
    const char *keep[] = {"Authorization", "Content-Type", "Accept",
                          "X-Request-Id",  "Cookie",       "User-Agent"};

    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
        ASSERT_TRUE(rt_header_is_hop_by_hop(S(drop[i]), (struct slice){NULL, 0}));
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        ASSERT_FALSE(rt_header_is_hop_by_hop(S(keep[i]), (struct slice){NULL, 0}));
    /* Headers named by Connection are hop-by-hop too. */
    ASSERT_TRUE(rt_header_is_hop_by_hop(S("X-Secret"), S("keep-alive, x-secret")));
    ASSERT_FALSE(rt_header_is_hop_by_hop(S("X-Secre"), S("keep-alive, x-secret")));
    ASSERT_FALSE(rt_header_is_hop_by_hop(S("X-Other"), S("close")));
}

static struct http_request make_req(struct http_header *h, size_t n, const char *method, int m,
                                    const char *target, const char *body)
{
    struct http_request r = {0};

    r.method = m;
    r.method_name = method;
    r.target = S(target);
    r.headers = h;
    r.nheaders = n;
    r.body = S(body);
    r.peer_ip = "10.1.2.3";
    return r;
}

/* Asserts that the upstream head built for `r` and `f` is `want`. */
static void expect_head(const struct http_request *r, const struct rt_forward *f, const char *want)
{
    struct buf out;

    buf_init(&out, 4096);
    ASSERT_OK(rt_headers_build_request(&out, r, f));
    ASSERT_STR_EQ(buf_cstr(&out), want);
    buf_free(&out);
}

TEST(request_head_forwards_and_rewrites)
{
    struct http_header h[] = {
        {S("Host"), S("router:8000")},
        {S("Content-Type"), S("application/json")},
        {S("Connection"), S("keep-alive, X-Hop")},
        {S("X-Hop"), S("secret")},
        {S("Transfer-Encoding"), S("chunked")},
        {S("Authorization"), S("Bearer abc")},
        {S("X-Forwarded-For"), S("1.1.1.1")},
    };
    struct http_request r = make_req(h, 7, "POST", HTTP_POST, "/v1/chat/completions?x=1", "{}");
    struct rt_forward f = {.host = "127.0.0.1", .port = 8100};

    expect_head(&r, &f,
                "POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
                "Host: 127.0.0.1:8100\r\n"
                "Content-Type: application/json\r\n"
                "Authorization: Bearer abc\r\n"
                "X-Forwarded-For: 1.1.1.1, 10.1.2.3\r\n"
                "X-Forwarded-Proto: http\r\n"
                "Content-Length: 2\r\n\r\n");
}

TEST(request_head_for_get_and_ipv6)
{
    struct http_header h[] = {{S("X-Forwarded-Proto"), S("https")}};
    struct http_request r = make_req(h, 1, "GET", HTTP_GET, "/v1/models", "");
    struct rt_forward f = {.host = "::1", .port = 9000};
    struct buf out;

    expect_head(&r, &f,
                "GET /v1/models HTTP/1.1\r\nHost: [::1]:9000\r\n"
                "X-Forwarded-Proto: https\r\n"
                "X-Forwarded-For: 10.1.2.3\r\n\r\n");
    /* A head that does not fit is refused, not truncated. */
    buf_init(&out, 16);
    ASSERT_EQ(rt_headers_build_request(&out, &r, &f), SVC_ELIMIT);
    buf_free(&out);
}

TEST(request_id_and_authorization_are_replaced)
{
    struct http_header h[] = {
        {S("Authorization"), S("Bearer client-key")},
        {S("X-Request-Id"), S("from-client")},
        {S("Accept"), S("*/*")},
    };
    struct http_request r = make_req(h, 3, "POST", HTTP_POST, "/v1/completions", "{}");
    struct rt_forward f = {
        .host = "h", .port = 1, .request_id = S("rid-1"), .drop_authorization = true};
    struct buf out;

    /* --api-keys: the client's key was for the router; never passed on. */
    expect_head(&r, &f,
                "POST /v1/completions HTTP/1.1\r\nHost: h:1\r\n"
                "Accept: */*\r\n"
                "X-Request-Id: rid-1\r\n"
                "X-Forwarded-For: 10.1.2.3\r\n"
                "X-Forwarded-Proto: http\r\n"
                "Content-Length: 2\r\n\r\n");
    /* --upstream-api-key replaces it. */
    buf_init(&out, 4096);
    f.drop_authorization = false;
    f.upstream_auth = "Authorization: Bearer server-key";
    ASSERT_OK(rt_headers_build_request(&out, &r, &f));
    ASSERT_CONTAINS(buf_cstr(&out), "Authorization: Bearer server-key\r\n");
    ASSERT_TRUE(strstr(buf_cstr(&out), "client-key") == NULL);
    ASSERT_TRUE(strstr(buf_cstr(&out), "from-client") == NULL);
    buf_free(&out);
}

HARNESS_MAIN(CASE(hop_by_hop_headers_are_dropped), CASE(request_head_forwards_and_rewrites),
             CASE(request_head_for_get_and_ipv6), CASE(request_id_and_authorization_are_replaced))
