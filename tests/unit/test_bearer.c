/* Unit tests for common/bearer: one parsing and comparison rule for every daemon. */
#include "bearer.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct slice S(const char *s) {
    return (struct slice){s, s != NULL ? strlen(s) : 0};
}

TEST(parse_scheme_any_case_and_trims)
{
    struct slice t;

    ASSERT_TRUE(bearer_parse(S("Bearer abc"), &t));
    ASSERT_EQ(t.len, 3);
    ASSERT_TRUE(bearer_parse(S("  bearer \t abc  "), &t));
    ASSERT_EQ(t.len, 3);
    ASSERT_TRUE(memcmp(t.ptr, "abc", 3) == 0);
    ASSERT_TRUE(bearer_parse(S("BEARER\tx"), &t));
}

TEST(parse_rejects_other_schemes_and_empty_tokens)
{
    struct slice t;

    ASSERT_FALSE(bearer_parse(S(NULL), &t));
    ASSERT_FALSE(bearer_parse(S("Basic abc"), &t));
    ASSERT_FALSE(bearer_parse(S("Bearer"), &t));
    ASSERT_FALSE(bearer_parse(S("Bearer    "), &t));
    ASSERT_FALSE(bearer_parse(S("Bearerabc"), &t));
    char *big = malloc(BEARER_MAX_TOKEN + 16);
    memcpy(big, "Bearer ", 7);
    memset(big + 7, 'a', BEARER_MAX_TOKEN + 1);
    big[7 + BEARER_MAX_TOKEN + 1] = '\0';
    ASSERT_FALSE(bearer_parse(S(big), &t));
    free(big);
}

TEST(matches_any_entry_of_a_list)
{
    ASSERT_TRUE(bearer_matches(S("k2"), "k1, k2 ,k3"));
    ASSERT_TRUE(bearer_matches(S("k1"), "k1"));
    ASSERT_FALSE(bearer_matches(S("k"), "k1,k2"));
    ASSERT_FALSE(bearer_matches(S("k12"), "k1,k2"));
    ASSERT_FALSE(bearer_matches(S(""), "k1,,k2"));
    ASSERT_FALSE(bearer_matches(S("k1"), ""));
    ASSERT_FALSE(bearer_matches(S("k1"), NULL));
    /* A presented token longer than the key but sharing its prefix never matches. */
    ASSERT_FALSE(bearer_matches(S("k1k1"), "k1"));
}

TEST(authorized_combines_parse_and_match)
{
    ASSERT_TRUE(bearer_authorized(S("Bearer secret"), "other,secret"));
    ASSERT_FALSE(bearer_authorized(S("Basic secret"), "secret"));
    ASSERT_FALSE(bearer_authorized(S(NULL), "secret"));
}

TEST(header_is_built_once)
{
    char *h = bearer_header_new("tok");
    ASSERT_STR_EQ(h, "Authorization: Bearer tok");
    free(h);
    ASSERT_NULL(bearer_header_new(""));
    ASSERT_NULL(bearer_header_new(NULL));
}

HARNESS_MAIN(CASE(parse_scheme_any_case_and_trims),
             CASE(parse_rejects_other_schemes_and_empty_tokens), CASE(matches_any_entry_of_a_list),
             CASE(authorized_combines_parse_and_match), CASE(header_is_built_once))
