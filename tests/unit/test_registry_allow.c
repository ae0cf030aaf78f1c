/* Unit tests for registry/allow: the default policy (link-local refused in every spelling),
 * CIDR ranges of both families and their boundaries, names matched literally, brackets, and
 * bad lists refused with the entry named. Pure: no loop. */
#include "allow.h"

#include <stddef.h>

#include "err.h"
#include "harness.h"

static struct reg_allow *parse_ok(const char *spec)
{
    struct err_msg err = {0};
    struct reg_allow *a = reg_allow_parse(spec, &err);

    ASSERT_NOT_NULL(a);
    return a;
}

TEST(default_refuses_link_local_only)
{
    struct reg_allow *a = parse_ok(NULL);

    ASSERT_FALSE(reg_allow_is_listed(a));
    ASSERT_FALSE(reg_allow_host(a, "169.254.169.254"));
    ASSERT_FALSE(reg_allow_host(a, "169.254.0.1"));
    ASSERT_FALSE(reg_allow_host(a, "2852039166"));          /* inet_aton's decimal form */
    ASSERT_FALSE(reg_allow_host(a, "0xa9.0xfe.0xa9.0xfe")); /* and its hex form */
    ASSERT_FALSE(reg_allow_host(a, "::ffff:169.254.169.254"));
    ASSERT_FALSE(reg_allow_host(a, "fe80::1"));
    ASSERT_FALSE(reg_allow_host(a, "[fe80::1]"));
    ASSERT_FALSE(reg_allow_host(a, ""));
    ASSERT_TRUE(reg_allow_host(a, "169.255.0.1"));
    ASSERT_TRUE(reg_allow_host(a, "10.0.0.1"));
    ASSERT_TRUE(reg_allow_host(a, "gpu-7.lab"));
    ASSERT_TRUE(reg_allow_host(a, "::1"));
    ASSERT_TRUE(reg_allow_host(NULL, "127.0.0.1")); /* NULL is the default policy */
    ASSERT_FALSE(reg_allow_host(NULL, "169.254.1.1"));
    reg_allow_free(a);
}

TEST(ranges_and_names)
{
    struct reg_allow *a = parse_ok(" 10.0.0.0/8 ,192.168.1.7, fd00::/8,GPU-1.lab,, 127.0.0.1/32");

    ASSERT_TRUE(reg_allow_is_listed(a));
    ASSERT_TRUE(reg_allow_host(a, "10.255.255.255"));
    ASSERT_TRUE(reg_allow_host(a, "10.0.0.0"));
    ASSERT_FALSE(reg_allow_host(a, "11.0.0.0"));
    ASSERT_FALSE(reg_allow_host(a, "9.255.255.255"));
    ASSERT_TRUE(reg_allow_host(a, "192.168.1.7"));
    ASSERT_FALSE(reg_allow_host(a, "192.168.1.8"));
    ASSERT_TRUE(reg_allow_host(a, "::ffff:10.1.2.3")); /* the same address, mapped */
    ASSERT_TRUE(reg_allow_host(a, "fd12:3456::1"));
    ASSERT_TRUE(reg_allow_host(a, "[fd12::1]"));
    ASSERT_FALSE(reg_allow_host(a, "fe80::1"));
    ASSERT_TRUE(reg_allow_host(a, "gpu-1.LAB"));
    ASSERT_FALSE(reg_allow_host(a, "gpu-1.lab.evil.example"));
    ASSERT_FALSE(reg_allow_host(a, "127.0.0.2"));
    ASSERT_TRUE(reg_allow_host(a, "127.0.0.1"));
    ASSERT_FALSE(reg_allow_host(a, "localhost")); /* names are never resolved */
    reg_allow_free(a);
}

TEST(odd_prefix_lengths)
{
    struct reg_allow *a = parse_ok("192.168.4.0/22,2001:db8::/33,0.0.0.0/0");

    ASSERT_TRUE(reg_allow_host(a, "203.0.113.9")); /* /0 allows every IPv4 address */
    ASSERT_FALSE(reg_allow_host(a, "2001:db8:8000::1"));
    ASSERT_TRUE(reg_allow_host(a, "2001:db8:7fff::1"));
    reg_allow_free(a);
    a = parse_ok("192.168.4.0/22");
    ASSERT_TRUE(reg_allow_host(a, "192.168.7.255"));
    ASSERT_FALSE(reg_allow_host(a, "192.168.8.0"));
    ASSERT_FALSE(reg_allow_host(a, "::1"));
    reg_allow_free(a);
}

TEST(bad_lists_are_refused)
{
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::1/129",
                                      "bad host",    "a/8",       "-1/8",       "h_ost!"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct err_msg err = {0};
        ASSERT_NULL(reg_allow_parse(bad[i], &err));
        ASSERT_CONTAINS(err.msg, "--allow-hosts");
    }
}

HARNESS_MAIN(CASE(default_refuses_link_local_only), CASE(ranges_and_names),
             CASE(odd_prefix_lengths), CASE(bad_lists_are_refused))
