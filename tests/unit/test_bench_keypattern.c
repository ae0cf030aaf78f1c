/* Unit tests for tools/bench/keypattern: every placeholder, % and // with and without spaces,
 * literal braces, and clear errors for invalid patterns and records lacking a field. */
#include "keypattern.h"

#include <stdlib.h>

#include "buf.h"
#include "err.h"
#include "harness.h"

/* Expands `pattern` for the given variables; returns a malloc'ed string (NULL on error). */
static char *expand(const char *pattern, long long request_id, long long prefix_id,
                    long long conversation_id)
{
    struct err_msg err = {0};
    struct bench_keypattern *kp = bench_keypattern_compile(pattern, &err);
    struct bench_keyvars vars = {{request_id, prefix_id, conversation_id}};
    struct buf out;

    if (kp == NULL)
        HARNESS_FAIL_("'%s' did not compile: %s", pattern, err.msg);
    buf_init(&out, 4096);
    int rc = bench_keypattern_expand(kp, &vars, &out, &err);
    bench_keypattern_free(kp);
    if (rc < 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_take(&out, NULL);
}

#define ASSERT_EXPANDS(pattern, rid, pid, cid, want)                                               \
    do {                                                                                           \
        char *got_ = expand(pattern, rid, pid, cid);                                               \
        ASSERT_STR_EQ(got_, want);                                                                 \
        free(got_);                                                                                \
    } while (0)

/* Compiling must fail with a message containing `needle`. */
static void assert_rejected(const char *pattern, const char *needle)
{
    struct err_msg err = {0};
    struct bench_keypattern *kp = bench_keypattern_compile(pattern, &err);

    if (kp != NULL)
        HARNESS_FAIL_("'%s' compiled but should not", pattern);
    ASSERT_CONTAINS(err.msg, needle);
}

TEST(literal_only)
{
    ASSERT_EXPANDS("fixed-key", 7, 1, 2, "fixed-key");
    ASSERT_EXPANDS("", 7, 1, 2, "");
}

TEST(request_id)
{
    ASSERT_EXPANDS("bench_key_{request_id}", 0, -1, -1, "bench_key_0");
    ASSERT_EXPANDS("bench_key_{request_id}", 12345, -1, -1, "bench_key_12345");
    ASSERT_EXPANDS("{request_id}", 3, -1, -1, "3");
}

TEST(modulo_with_and_without_spaces)
{
    ASSERT_EXPANDS("bench_key_{request_id % 4}", 0, -1, -1, "bench_key_0");
    ASSERT_EXPANDS("bench_key_{request_id % 4}", 5, -1, -1, "bench_key_1");
    ASSERT_EXPANDS("bench_key_{request_id%4}", 7, -1, -1, "bench_key_3");
    ASSERT_EXPANDS("bench_key_{ request_id  %  4 }", 8, -1, -1, "bench_key_0");
    ASSERT_EXPANDS("k{request_id % 1}", 99, -1, -1, "k0");
}

TEST(floor_division_with_and_without_spaces)
{
    ASSERT_EXPANDS("g{request_id // 10}", 9, -1, -1, "g0");
    ASSERT_EXPANDS("g{request_id // 10}", 10, -1, -1, "g1");
    ASSERT_EXPANDS("g{request_id//10}", 25, -1, -1, "g2");
    ASSERT_EXPANDS("g{ request_id //3 }", 8, -1, -1, "g2");
}

TEST(prefix_and_conversation_ids)
{
    ASSERT_EXPANDS("p{prefix_id}", 9, 3, -1, "p3");
    ASSERT_EXPANDS("conv_{conversation_id}", 9, 3, 11, "conv_11");
    ASSERT_EXPANDS("{prefix_id % 2}-{conversation_id // 5}", 0, 7, 11, "1-2");
    ASSERT_EXPANDS("{request_id}/{prefix_id}/{conversation_id}", 1, 2, 3, "1/2/3");
}

TEST(literal_braces)
{
    ASSERT_EXPANDS("{{request_id}}", 5, -1, -1, "{request_id}");
    ASSERT_EXPANDS("a{{b}}c{request_id}", 5, -1, -1, "a{b}c5");
}

TEST(missing_field_is_an_error)
{
    struct err_msg err = {0};
    struct bench_keypattern *kp = bench_keypattern_compile("p{prefix_id}", &err);
    struct bench_keyvars vars = {{4, -1, -1}};
    struct buf out;

    ASSERT_NOT_NULL(kp);
    ASSERT_TRUE(bench_keypattern_uses(kp, BENCH_KEYVAR_PREFIX_ID));
    ASSERT_FALSE(bench_keypattern_uses(kp, BENCH_KEYVAR_REQUEST_ID));
    buf_init(&out, 64);
    ASSERT_EQ(bench_keypattern_expand(kp, &vars, &out, &err), SVC_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "no prefix_id");
    buf_free(&out);
    bench_keypattern_free(kp);
}

TEST(invalid_patterns)
{
    assert_rejected("key_{request_id", "unterminated '{' at column 5");
    assert_rejected("key_{request_{id}", "unterminated");
    assert_rejected("key_}", "unmatched '}' at column 5");
    assert_rejected("key_{req}", "unknown placeholder '{req}'");
    assert_rejected("key_{}", "unknown placeholder");
    assert_rejected("key_{request_id % 0}", "must be positive");
    assert_rejected("key_{request_id %}", "expected a positive integer after '%'");
    assert_rejected("key_{request_id // x}", "expected a positive integer after '//'");
    assert_rejected("key_{request_id / 2}", "expected '%' or '//'");
    assert_rejected("key_{request_id % 2 % 3}", "expected a positive integer");
    assert_rejected("key_{request_id % -2}", "expected a positive integer");
}

HARNESS_MAIN(CASE(literal_only), CASE(request_id), CASE(modulo_with_and_without_spaces),
             CASE(floor_division_with_and_without_spaces), CASE(prefix_and_conversation_ids),
             CASE(literal_braces), CASE(missing_field_is_an_error), CASE(invalid_patterns))
