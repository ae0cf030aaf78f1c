/* Unit tests for common/url. */
#include "url.h"

#include "err.h"
#include "harness.h"

TEST(parses_hosts_ports_and_targets)
{
    struct url_http u;

    ASSERT_OK(url_parse_http("http://127.0.0.1:18000/services?healthy=true", &u));
    ASSERT_STR_EQ(u.host, "127.0.0.1");
    ASSERT_EQ(u.port, 18000);
    ASSERT_STR_EQ(u.target, "/services?healthy=true");
    ASSERT_OK(url_parse_http("http://registry", &u));
    ASSERT_STR_EQ(u.host, "registry");
    ASSERT_EQ(u.port, 80);
    ASSERT_STR_EQ(u.target, "/");
    ASSERT_OK(url_parse_http("http://[::1]:8101/health", &u));
    ASSERT_STR_EQ(u.host, "::1");
    ASSERT_EQ(u.port, 8101);
    ASSERT_STR_EQ(u.target, "/health");
    ASSERT_OK(url_parse_http("http://h:1?x=1", &u));
    ASSERT_STR_EQ(u.target, "/?x=1");
}

TEST(rejects_what_it_cannot_reach)
{
    struct url_http u;
    const char *bad[] = {"https://h/",     "h:80/x",          "http://",     "http://:80/",
                         "http://h:0/",    "http://h:65536/", "http://h:x/", "http://[::1/",
                         "http://h/#frag", "http://h:80x/"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (url_parse_http(bad[i], &u) != SVC_EPARSE)
            HARNESS_FAIL_("accepted %s", bad[i]);
    }
}

HARNESS_MAIN(CASE(parses_hosts_ports_and_targets), CASE(rejects_what_it_cannot_reach))
