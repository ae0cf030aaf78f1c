/* Unit tests for tools/bench/sse: event splitting across every byte boundary (\n, \r\n and \r
 * line ends, comments, multi-line data, other fields), limits, the end-of-stream flush, and the
 * interpretation of content, [DONE], usage, error and non-streamed chunks. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "harness.h"

#define MAX_EVENTS 16

struct collected {
    char *events[MAX_EVENTS];
    size_t n;
};

static int collect(void *ud, const char *data, size_t len)
{
    struct collected *c = ud;

    ASSERT_LT(c->n, MAX_EVENTS);
    ASSERT_EQ(strlen(data), len); /* NUL-terminated at len */
    c->events[c->n++] = strndup(data, len);
    return 0;
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->events[i]);
    c->n = 0;
}

static const char stream[] =
    ": keep-alive comment\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\n"
    "event: message\r\n"
    "id: 7\r\n"
    "data:{\"choices\":[{\"delta\":{\"content\":\" world\"}}]}\r\n\r\n"
    "data: first line\rdata: second line\r\r"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,"
    "\"prompt_tokens_details\":{\"cached_tokens\":8}}}\n\n"
    "data: [DONE]\n\n";

static const char *const want[] = {
    "{\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\" world\"}}]}",
    "first line\nsecond line",
    ("{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,"
     "\"prompt_tokens_details\":{\"cached_tokens\":8}}}"),
    "[DONE]",
};
#define NWANT (sizeof(want) / sizeof(want[0]))

static void check_events(struct collected *c)
{
    ASSERT_EQ(c->n, NWANT);
    for (size_t i = 0; i < NWANT; i++)
        ASSERT_STR_EQ(c->events[i], want[i]);
}

TEST(whole_stream_in_one_piece)
{
    struct bench_sse p;
    struct collected c = {0};

    bench_sse_init(&p, 4096);
    ASSERT_OK(bench_sse_feed(&p, stream, sizeof(stream) - 1, collect, &c));
    ASSERT_OK(bench_sse_finish(&p, collect, &c));
    check_events(&c);
    collected_free(&c);
    bench_sse_free(&p);
}

TEST(split_at_every_byte_boundary)
{
    size_t len = sizeof(stream) - 1;

    for (size_t cut = 0; cut <= len; cut++) {
        struct bench_sse p;
        struct collected c = {0};
        bench_sse_init(&p, 4096);
        ASSERT_OK(bench_sse_feed(&p, stream, cut, collect, &c));
        ASSERT_OK(bench_sse_feed(&p, stream + cut, len - cut, collect, &c));
        ASSERT_OK(bench_sse_finish(&p, collect, &c));
        check_events(&c);
        collected_free(&c);
        bench_sse_free(&p);
    }
}

TEST(split_at_every_pair_of_boundaries)
{
    size_t len = sizeof(stream) - 1;

    for (size_t a = 0; a <= len; a += 3) {
        for (size_t b = a; b <= len; b++) {
            struct bench_sse p;
            struct collected c = {0};
            bench_sse_init(&p, 4096);
            ASSERT_OK(bench_sse_feed(&p, stream, a, collect, &c));
            ASSERT_OK(bench_sse_feed(&p, stream + a, b - a, collect, &c));
            ASSERT_OK(bench_sse_feed(&p, stream + b, len - b, collect, &c));
            ASSERT_OK(bench_sse_finish(&p, collect, &c));
            check_events(&c);
            collected_free(&c);
            bench_sse_free(&p);
        }
    }
}

TEST(byte_by_byte)
{
    struct bench_sse p;
    struct collected c = {0};

    bench_sse_init(&p, 4096);
    for (size_t i = 0; i < sizeof(stream) - 1; i++)
        ASSERT_OK(bench_sse_feed(&p, stream + i, 1, collect, &c));
    ASSERT_OK(bench_sse_finish(&p, collect, &c));
    check_events(&c);
    collected_free(&c);
    bench_sse_free(&p);
}

TEST(finish_flushes_an_unterminated_event)
{
    struct bench_sse p;
    struct collected c = {0};
    const char s[] = "data: [DONE]";

    bench_sse_init(&p, 4096);
    ASSERT_OK(bench_sse_feed(&p, s, sizeof(s) - 1, collect, &c));
    ASSERT_EQ(c.n, 0);
    ASSERT_OK(bench_sse_finish(&p, collect, &c));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.events[0], "[DONE]");
    collected_free(&c);
    bench_sse_free(&p);
}

TEST(oversized_event_is_rejected)
{
    struct bench_sse p;
    struct collected c = {0};
    char big[200];

    memset(big, 'x', sizeof(big));
    memcpy(big, "data: ", 6);
    bench_sse_init(&p, 64);
    ASSERT_EQ(bench_sse_feed(&p, big, sizeof(big), collect, &c), SVC_ELIMIT);
    bench_sse_free(&p);
}

static int stop_at_second(void *ud, const char *data, size_t len)
{
    int *count = ud;

    (void)data;
    (void)len;
    return ++*count == 2 ? -42 : 0;
}

TEST(callback_error_stops_parsing)
{
    struct bench_sse p;
    int count = 0;

    bench_sse_init(&p, 4096);
    ASSERT_EQ(bench_sse_feed(&p, stream, sizeof(stream) - 1, stop_at_second, &count), -42);
    ASSERT_EQ(count, 2);
    bench_sse_free(&p);
}

static struct bench_sse_chunk parse(const char *s)
{
    struct bench_sse_chunk ch;

    ASSERT_OK(bench_sse_chunk_parse(s, strlen(s), &ch));
    return ch;
}

TEST(chunk_content_and_done)
{
    struct bench_sse_chunk ch = parse(want[0]);
    ASSERT_FALSE(ch.done);
    ASSERT_TRUE(ch.has_choices);
    ASSERT_EQ(ch.content_len, 5);
    ASSERT_FALSE(ch.has_usage);
    ASSERT_EQ(ch.cached_tokens, -1);

    ch = parse("[DONE]");
    ASSERT_TRUE(ch.done);
    ch = parse("[DONE]  ");
    ASSERT_TRUE(ch.done);

    /* The finish chunk: choices but no text. */
    ch = parse("{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}");
    ASSERT_TRUE(ch.has_choices);
    ASSERT_EQ(ch.content_len, 0);

    ch = parse("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\",\"content\":null}}]}");
    ASSERT_EQ(ch.content_len, 3);
    ch = parse("{\"choices\":[{\"text\":\" from\",\"index\":0}]}");
    ASSERT_EQ(ch.content_len, 5);
}

TEST(chunk_usage)
{
    struct bench_sse_chunk ch = parse(want[3]);

    ASSERT_FALSE(ch.has_choices);
    ASSERT_TRUE(ch.has_usage);
    ASSERT_EQ(ch.prompt_tokens, 12);
    ASSERT_EQ(ch.completion_tokens, 2);
    ASSERT_EQ(ch.cached_tokens, 8);

    ch = parse("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}");
    ASSERT_TRUE(ch.has_usage);
    ASSERT_EQ(ch.cached_tokens, -1);
    ch = parse("{\"usage\":null}");
    ASSERT_FALSE(ch.has_usage);
}

TEST(chunk_error_and_whole_response)
{
    struct bench_sse_chunk ch = parse("{\"error\":{\"message\":\"overloaded\",\"code\":503}}");
    ASSERT_STR_EQ(ch.error, "overloaded");
    ch = parse("{\"error\":\"no instance\"}");
    ASSERT_STR_EQ(ch.error, "no instance");

    ch =
        parse("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Hello from m1\"}}],"
              "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,"
              "\"prompt_tokens_details\":{\"cached_tokens\":0}}}");
    ASSERT_TRUE(ch.has_choices);
    ASSERT_EQ(ch.content_len, 13);
    ASSERT_EQ(ch.cached_tokens, 0);
    ASSERT_STR_EQ(ch.error, "");

    struct bench_sse_chunk bad;
    ASSERT_EQ(bench_sse_chunk_parse("{\"choices\":", 11, &bad), SVC_EPARSE);
    ASSERT_EQ(bench_sse_chunk_parse("[1,2]", 5, &bad), SVC_EPARSE);
    ASSERT_EQ(bench_sse_chunk_parse("", 0, &bad), SVC_EPARSE);
}

HARNESS_MAIN(CASE(whole_stream_in_one_piece), CASE(split_at_every_byte_boundary),
             CASE(split_at_every_pair_of_boundaries), CASE(byte_by_byte),
             CASE(finish_flushes_an_unterminated_event), CASE(oversized_event_is_rejected),
             CASE(callback_error_stops_parsing), CASE(chunk_content_and_done), CASE(chunk_usage),
             CASE(chunk_error_and_whole_response))
