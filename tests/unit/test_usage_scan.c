/* Unit tests for router/usage_scan: usage read from JSON bodies and from the final SSE chunk,
 * split at every byte boundary; keys inside generated text (escaped quotes) never count;
 * prompt_tokens_details is not prompt_tokens; the last value wins. */
#include "usage_scan.h"

#include <string.h>

#include "harness.h"

static struct rt_usage_scan scan_split(const char *text, size_t split)
{
    struct rt_usage_scan s;
    size_t len = strlen(text);

    rt_usage_scan_init(&s);
    if (split > len)
        split = len;
    rt_usage_scan_feed(&s, text, split);
    rt_usage_scan_feed(&s, text + split, len - split);
    rt_usage_scan_finish(&s);
    return s;
}

static const char sse[] =
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"say \\\"prompt_tokens\\\": 999 and \\\\\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" ok\"},"
    "\"finish_reason\":\"length\"}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":2048,\"completion_tokens\""
    ":16,\"total_tokens\":2064,\"prompt_tokens_details\":{\"cached_tokens\":1984}}}\n\n"
    "data: [DONE]\n\n";

TEST(sse_usage_found_at_every_split)
{
    for (size_t split = 0; split <= sizeof(sse) - 1; split++) {
        struct rt_usage_scan s = scan_split(sse, split);
        ASSERT_TRUE(s.has_prompt);
        ASSERT_TRUE(s.has_cached);
        ASSERT_EQ(s.prompt_tokens, 2048);
        ASSERT_EQ(s.cached_tokens, 1984);
    }
}

TEST(byte_by_byte)
{
    struct rt_usage_scan s;

    rt_usage_scan_init(&s);
    for (size_t i = 0; i < sizeof(sse) - 1; i++)
        rt_usage_scan_feed(&s, sse + i, 1);
    rt_usage_scan_finish(&s);
    ASSERT_EQ(s.prompt_tokens, 2048);
    ASSERT_EQ(s.cached_tokens, 1984);
}

TEST(json_body_with_spaces)
{
    struct rt_usage_scan s = scan_split("{\"usage\": {\"prompt_tokens\" : 12 ,\n"
                                        "\"prompt_tokens_details\": {\"cached_tokens\": 0}}}",
                                        7);
    ASSERT_EQ(s.prompt_tokens, 12);
    ASSERT_TRUE(s.has_cached);
    ASSERT_EQ(s.cached_tokens, 0);
}

TEST(escaped_keys_in_text_never_count)
{
    struct rt_usage_scan s =
        scan_split("{\"content\":\"\\\"prompt_tokens\\\":5 \\\"cached_tokens\\\":3\"}", 10);
    ASSERT_FALSE(s.has_prompt);
    ASSERT_FALSE(s.has_cached);
}

TEST(details_without_usage_and_null_details)
{
    struct rt_usage_scan s =
        scan_split("{\"usage\":{\"prompt_tokens\":7,\"prompt_tokens_details\":null}}", 3);
    ASSERT_EQ(s.prompt_tokens, 7);
    ASSERT_FALSE(s.has_cached);
}

TEST(last_value_wins_and_number_at_end_counts)
{
    struct rt_usage_scan s = scan_split("\"prompt_tokens\":1 \"prompt_tokens\":22", 20);
    ASSERT_EQ(s.prompt_tokens, 22);
}

TEST(non_numbers_are_ignored)
{
    struct rt_usage_scan s = scan_split("{\"prompt_tokens\":\"many\",\"cached_tokens\":-1}", 5);
    ASSERT_FALSE(s.has_prompt);
    ASSERT_FALSE(s.has_cached);
}

HARNESS_MAIN(CASE(sse_usage_found_at_every_split), CASE(byte_by_byte), CASE(json_body_with_spaces),
             CASE(escaped_keys_in_text_never_count), CASE(details_without_usage_and_null_details),
             CASE(last_value_wins_and_number_at_end_counts), CASE(non_numbers_are_ignored))
