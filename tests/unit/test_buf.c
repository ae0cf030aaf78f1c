/* Unit tests for common/buf: limits, growth, consume, slices. */
#include "buf.h"

#include "harness.h"

TEST(append_respects_max)
{
    struct buf b;

    buf_init(&b, 8);
    ASSERT_OK(buf_append(&b, "abcd", 4));
    ASSERT_OK(buf_appendf(&b, "%d", 123));
    ASSERT_EQ(buf_append(&b, "xy", 2), SVC_ELIMIT);
    ASSERT_STR_EQ(buf_cstr(&b), "abcd123");
    ASSERT_EQ(buf_appendf(&b, "%s", "long string"), SVC_ELIMIT);
    ASSERT_EQ(b.len, 7);
    ASSERT_OK(buf_putc(&b, '!'));
    ASSERT_EQ(b.len, 8);
    buf_free(&b);
    ASSERT_NULL(b.data);
}

TEST(appendf_large_and_consume)
{
    struct buf b;
    char big[1000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_init(&b, BUF_UNLIMITED);
    ASSERT_OK(buf_appendf(&b, "[%s]", big));
    ASSERT_EQ(b.len, 1001);
    buf_consume(&b, 1000);
    ASSERT_STR_EQ(buf_cstr(&b), "]");
    buf_consume(&b, 5);
    ASSERT_EQ(b.len, 0);
    ASSERT_STR_EQ(buf_cstr(&b), "");
    size_t n;
    char *s = buf_take(&b, &n);
    ASSERT_EQ(n, 0);
    free(s);
    buf_free(&b);
}

TEST(slices)
{
    struct slice s = slice_trim(slice_from_cstr("  Content-Length\t"));
    unsigned long long v;

    ASSERT_TRUE(slice_eq(s, "Content-Length"));
    ASSERT_TRUE(slice_eq_nocase(s, "content-length"));
    ASSERT_FALSE(slice_eq(s, "Content-Lengt"));
    ASSERT_TRUE(slice_starts_with(s, "Content"));
    ASSERT_OK(slice_to_u64(slice_from_cstr("18446744073709551615"), ~0ULL, &v));
    ASSERT_TRUE(v == ~0ULL);
    ASSERT_EQ(slice_to_u64(slice_from_cstr("18446744073709551616"), ~0ULL, &v), SVC_EPARSE);
    ASSERT_EQ(slice_to_u64(slice_from_cstr("7"), 5, &v), SVC_EPARSE);
    ASSERT_EQ(slice_to_u64(slice_from_cstr("12a"), 100, &v), SVC_EPARSE);
    ASSERT_EQ(slice_to_u64(slice_from_cstr(""), 100, &v), SVC_EPARSE);
    ASSERT_OK(slice_to_u64(slice_from_cstr("100"), 100, &v));
    ASSERT_EQ(v, 100);
}

TEST(read_file_missing)
{
    struct buf b;

    buf_init(&b, 100);
    ASSERT_TRUE(buf_read_file(&b, "/nonexistent/file") < 0);
    buf_free(&b);
}

TEST(append_uint)
{
    struct buf b;

    buf_init(&b, 64);
    ASSERT_OK(buf_append_uint(&b, 0));
    ASSERT_OK(buf_putc(&b, ' '));
    ASSERT_OK(buf_append_uint(&b, 7));
    ASSERT_OK(buf_putc(&b, ' '));
    ASSERT_OK(buf_append_uint(&b, 1234567890));
    ASSERT_OK(buf_putc(&b, ' '));
    ASSERT_OK(buf_append_uint(&b, 18446744073709551615ULL));
    ASSERT_STR_EQ(buf_cstr(&b), "0 7 1234567890 18446744073709551615");
    buf_free(&b);
    /* Past the maximum: refused, buffer unchanged. */
    buf_init(&b, 3);
    ASSERT_OK(buf_append_uint(&b, 12));
    ASSERT_EQ(buf_append_uint(&b, 34), SVC_ELIMIT);
    ASSERT_STR_EQ(buf_cstr(&b), "12");
    buf_free(&b);
}

HARNESS_MAIN(CASE(append_respects_max), CASE(appendf_large_and_consume), CASE(slices),
             CASE(read_file_missing), CASE(append_uint))
