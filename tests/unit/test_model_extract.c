/* Unit tests for router/model_extract: every body shape of the reference (chat with string or
 * part contents, completions prompts, embeddings), per-field typing, top-level-only keys,
 * escapes and UTF-8 accounting, duplicate keys, spans, limits, and malformed bodies (which must
 * yield json_ok = false and no fields). Bodies are copied into exact-size allocations, so ASan
 * catches any read past the end. */
#include "model_extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct rt_extract ex;

/* Extracts `len` bytes of `body` from an exact-size copy. Offsets in ex.spans refer to `body`. */
static const struct rt_extract *extract_n(const char *body, size_t len)
{
    char *copy = malloc(len ? len : 1);

    ASSERT_NOT_NULL(copy);
    if (len > 0)
        memcpy(copy, body, len);
    memset(&ex, 0x5a, sizeof(ex)); /* every field must be written */
    ASSERT_EQ(rt_extract_body(body != NULL ? copy : NULL, len, &ex), 0);
    free(copy);
    return &ex;
}

static const struct rt_extract *extract(const char *body)
{
    return extract_n(body, strlen(body));
}

static void assert_nothing(const struct rt_extract *e)
{
    ASSERT_FALSE(e->json_ok);
    ASSERT_FALSE(e->has_model);
    ASSERT_FALSE(e->model_too_long);
    ASSERT_EQ(e->model_len, 0);
    ASSERT_STR_EQ(e->model, "");
    ASSERT_FALSE(e->has_key);
    ASSERT_FALSE(e->key_too_long);
    ASSERT_EQ(e->key_len, 0);
    ASSERT_FALSE(e->stream);
    ASSERT_EQ(e->content_bytes, 0);
    ASSERT_EQ(e->n_spans, 0);
    ASSERT_FALSE(e->spans_truncated);
}

static void assert_rejected(const char *body)
{
    const struct rt_extract *e = extract(body);

    if (e->json_ok)
        HARNESS_FAIL_("accepted malformed body: %s", body);
    assert_nothing(e);
}

/* Span i as text (raw bytes between the quotes) and kind. */
static void assert_span(const char *body, size_t i, enum rt_extract_span_kind kind,
                        const char *text)
{
    char got[256];

    ASSERT_TRUE(i < ex.n_spans);
    ASSERT_EQ(ex.spans[i].kind, kind);
    ASSERT_LT(ex.spans[i].len, sizeof(got));
    memcpy(got, body + ex.spans[i].off, ex.spans[i].len);
    got[ex.spans[i].len] = '\0';
    ASSERT_STR_EQ(got, text);
}

TEST(chat_string_content)
{
    const char *b = "{\"model\":\"qwen3-8b\",\"messages\":[{\"role\":\"system\",\"content\":"
                    "\"Be brief.\"},{\"role\":\"user\",\"content\":\"h\xc3\xa9llo\"}],"
                    "\"stream\":true,\"prompt_cache_key\":\"conv-1\",\"max_tokens\":16}";
    const struct rt_extract *e = extract(b);

    ASSERT_TRUE(e->json_ok);
    ASSERT_TRUE(e->has_model);
    ASSERT_STR_EQ(e->model, "qwen3-8b");
    ASSERT_EQ(e->model_len, 8);
    ASSERT_TRUE(e->has_key);
    ASSERT_STR_EQ(e->key, "conv-1");
    ASSERT_EQ(e->key_len, 6);
    ASSERT_TRUE(e->stream);
    ASSERT_EQ(e->content_bytes, 9 + 6);
    ASSERT_EQ(e->n_spans, 4);
    ASSERT_FALSE(e->spans_truncated);
    assert_span(b, 0, RT_EXTRACT_SPAN_ROLE, "system");
    assert_span(b, 1, RT_EXTRACT_SPAN_CONTENT, "Be brief.");
    assert_span(b, 2, RT_EXTRACT_SPAN_ROLE, "user");
    assert_span(b, 3, RT_EXTRACT_SPAN_CONTENT, "h\xc3\xa9llo");
}

TEST(chat_parts_content)
{
    const char *b = "{\"messages\":[{\"role\":\"user\",\"content\":["
                    "{\"type\":\"text\",\"text\":\"abc\"},"
                    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\","
                    "\"text\":\"nested, not a part key\"}},"
                    "{\"type\":\"input_text\",\"content\":\"de\"},"
                    "{\"text\":\"f\",\"content\":\"gh\"},"
                    "\"bare string\",5,null,[\"x\"]]}],\"model\":\"vl\"}";
    const struct rt_extract *e = extract(b);

    ASSERT_TRUE(e->json_ok);
    ASSERT_STR_EQ(e->model, "vl");
    ASSERT_EQ(e->content_bytes, 3 + 2 + 1 + 2);
    ASSERT_EQ(e->n_spans, 5);
    assert_span(b, 0, RT_EXTRACT_SPAN_ROLE, "user");
    assert_span(b, 1, RT_EXTRACT_SPAN_CONTENT, "abc");
    assert_span(b, 2, RT_EXTRACT_SPAN_CONTENT, "de");
    assert_span(b, 3, RT_EXTRACT_SPAN_CONTENT, "f");
    assert_span(b, 4, RT_EXTRACT_SPAN_CONTENT, "gh");
}

TEST(chat_null_and_odd_content)
{
    const char *b = "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,"
                    "\"tool_calls\":[{\"id\":\"1\",\"function\":{\"arguments\":\"{}\"}}]},"
                    "{\"role\":\"tool\",\"content\":{\"text\":\"obj\"}},"
                    "{\"role\":7,\"content\":\"ab\"},\"not an object\",null,{}]}";
    const struct rt_extract *e = extract(b);

    ASSERT_TRUE(e->json_ok);
    ASSERT_EQ(e->content_bytes, 2);
    ASSERT_EQ(e->n_spans, 3);
    assert_span(b, 0, RT_EXTRACT_SPAN_ROLE, "assistant");
    assert_span(b, 1, RT_EXTRACT_SPAN_ROLE, "tool");
    assert_span(b, 2, RT_EXTRACT_SPAN_CONTENT, "ab");
}

TEST(completions_prompt_shapes)
{
    const char *s = "{\"model\":\"m\",\"prompt\":\"Once upon\"}";
    const struct rt_extract *e = extract(s);
    ASSERT_TRUE(e->json_ok);
    ASSERT_EQ(e->content_bytes, 9);
    ASSERT_EQ(e->n_spans, 1);
    assert_span(s, 0, RT_EXTRACT_SPAN_PROMPT, "Once upon");

    const char *a = "{\"prompt\":[\"ab\",\"\",\"c\\u00e9\"],\"model\":\"m\"}";
    e = extract(a);
    ASSERT_EQ(e->content_bytes, 2 + 0 + 3);
    ASSERT_EQ(e->n_spans, 3);
    assert_span(a, 2, RT_EXTRACT_SPAN_PROMPT, "c\\u00e9");

    /* Token ids: the reference lost the model here (bug #3); each field stands on its own. */
    e = extract("{\"model\":\"m\",\"prompt\":[1,2,3],\"prompt_cache_key\":\"k\"}");
    ASSERT_TRUE(e->json_ok);
    ASSERT_TRUE(e->has_model);
    ASSERT_TRUE(e->has_key);
    ASSERT_EQ(e->content_bytes, 0);
    ASSERT_EQ(e->n_spans, 0);
    e = extract("{\"model\":\"m\",\"prompt\":[[1,2],[3]]}");
    ASSERT_TRUE(e->has_model);
    ASSERT_EQ(e->content_bytes, 0);
    e = extract("{\"model\":\"m\",\"prompt\":[\"ab\",[1],7,\"c\"]}");
    ASSERT_EQ(e->content_bytes, 3);
    ASSERT_EQ(e->n_spans, 2);
}

TEST(embeddings_input_ignored)
{
    const struct rt_extract *e =
        extract("{\"model\":\"bge\",\"input\":[\"a long text\",\"another\"],"
                "\"encoding_format\":\"float\"}");

    ASSERT_TRUE(e->json_ok);
    ASSERT_STR_EQ(e->model, "bge");
    ASSERT_EQ(e->content_bytes, 0);
    ASSERT_EQ(e->n_spans, 0);
    ASSERT_FALSE(e->stream);
}

TEST(missing_fields)
{
    const struct rt_extract *e = extract("{}");

    ASSERT_TRUE(e->json_ok);
    ASSERT_FALSE(e->has_model);
    ASSERT_FALSE(e->has_key);
    ASSERT_FALSE(e->stream);
    ASSERT_EQ(e->content_bytes, 0);
    e = extract("{\"temperature\":0.5,\"n\":1}");
    ASSERT_TRUE(e->json_ok);
    ASSERT_FALSE(e->has_model);
}

TEST(wrong_types_per_field)
{
    const struct rt_extract *e =
        extract("{\"model\":5,\"prompt_cache_key\":\"k\",\"stream\":\"true\",\"prompt\":\"x\"}");
    ASSERT_TRUE(e->json_ok);
    ASSERT_FALSE(e->has_model);
    ASSERT_TRUE(e->has_key);
    ASSERT_FALSE(e->stream);
    ASSERT_EQ(e->content_bytes, 1);

    e = extract("{\"model\":\"m\",\"prompt_cache_key\":123,\"stream\":1}");
    ASSERT_TRUE(e->has_model);
    ASSERT_FALSE(e->has_key);
    ASSERT_FALSE(e->stream);

    e = extract("{\"model\":null,\"prompt_cache_key\":\"\",\"stream\":false}");
    ASSERT_FALSE(e->has_model);
    ASSERT_FALSE(e->has_key);
    e = extract("{\"model\":[\"m\"],\"prompt_cache_key\":{\"k\":\"v\"},\"stream\":null}");
    ASSERT_TRUE(e->json_ok);
    ASSERT_FALSE(e->has_model);
    ASSERT_FALSE(e->has_key);

    /* An empty model is still a string the caller can match (and fail to match). */
    e = extract("{\"model\":\"\"}");
    ASSERT_TRUE(e->has_model);
    ASSERT_EQ(e->model_len, 0);

    /* "messages" not an array: the prompt counts. */
    e = extract("{\"messages\":\"hello\",\"prompt\":\"abcd\"}");
    ASSERT_EQ(e->content_bytes, 4);
    ASSERT_EQ(e->n_spans, 1);
    e = extract("{\"messages\":{\"content\":\"abc\"}}");
    ASSERT_EQ(e->content_bytes, 0);
    e = extract("{\"prompt\":{\"text\":\"abc\"}}");
    ASSERT_EQ(e->content_bytes, 0);
    ASSERT_EQ(e->n_spans, 0);
}

TEST(only_top_level_keys_count)
{
    const char *b =
        "{\"metadata\":{\"model\":\"decoy\",\"prompt_cache_key\":\"decoy\",\"stream\":true,"
        "\"messages\":[{\"role\":\"user\",\"content\":\"decoy\"}],\"prompt\":\"decoy\"},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"ok\",\"model\":\"decoy\","
        "\"messages\":[{\"content\":\"decoy\"}]}],"
        "\"tools\":[{\"model\":\"decoy\"}],\"note\":\"\\\"model\\\":\\\"decoy\\\"\","
        "\"model\":\"real\"}";
    const struct rt_extract *e = extract(b);

    ASSERT_TRUE(e->json_ok);
    ASSERT_STR_EQ(e->model, "real");
    ASSERT_FALSE(e->has_key);
    ASSERT_FALSE(e->stream);
    ASSERT_EQ(e->content_bytes, 2);
    ASSERT_EQ(e->n_spans, 2);
}

TEST(escapes_in_model_and_key)
{
    /* Escaped key names are the same keys. */
    const struct rt_extract *e = extract("{\"mo\\u0064el\":\"a\\/b\\u00e9\\ud83d\\ude00\\\\\","
                                         "\"prompt_cache_\\u006bey\":\"line\\nq\\\"t\\tend\"}");

    ASSERT_TRUE(e->json_ok);
    ASSERT_TRUE(e->has_model);
    ASSERT_STR_EQ(e->model, "a/b\xc3\xa9\xf0\x9f\x98\x80\\");
    ASSERT_EQ(e->model_len, 10);
    ASSERT_TRUE(e->has_key);
    ASSERT_STR_EQ(e->key, "line\nq\"t\tend");
    ASSERT_EQ(e->key_len, 12);

    /* \u0000 decodes to a NUL byte: model_len, not strlen, is the length. */
    e = extract("{\"model\":\"a\\u0000b\"}");
    ASSERT_TRUE(e->has_model);
    ASSERT_EQ(e->model_len, 3);
    ASSERT_TRUE(memcmp(e->model, "a\0b", 4) == 0);

    /* Every one-letter escape. */
    e = extract("{\"model\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u20AC\"}");
    ASSERT_STR_EQ(e->model, "\"\\/\b\f\n\r\tA\xe2\x82\xac");
}

TEST(content_bytes_exact)
{
    /* Decoded sizes: \u00e9 2, \ud83d\ude00 4, \n 1, \u0041 1, \u20ac 3, raw e-acute 2, raw
     * emoji 4, raw euro 3, plain ASCII 1 each. */
    const struct rt_extract *e =
        extract("{\"messages\":[{\"role\":\"user\",\"content\":\"\\u00e9\\ud83d\\ude00\\n"
                "\\u0041\\u20ac\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac"
                "abc\"}]}");

    ASSERT_TRUE(e->json_ok);
    ASSERT_EQ(e->content_bytes, 2 + 4 + 1 + 1 + 3 + 2 + 4 + 3 + 3);
    /* The same text written three ways counts the same. */
    size_t a = extract("{\"prompt\":\"\xe4\xbd\xa0\xe5\xa5\xbd\"}")->content_bytes;
    size_t b = extract("{\"prompt\":\"\\u4f60\\u597d\"}")->content_bytes;
    size_t c = extract("{\"prompt\":\"\\u4F60\xe5\xa5\xbd\"}")->content_bytes;
    ASSERT_EQ(a, 6);
    ASSERT_EQ(b, 6);
    ASSERT_EQ(c, 6);
    /* Each UTF-8 length boundary of \u escapes, one string per code point. */
    static const struct {
        const char *esc;
        size_t bytes;
    } edges[] = {{"\\u0001", 1},        {"\\u007f", 1},       {"\\u0080", 2}, {"\\u07ff", 2},
                 {"\\u0800", 3},        {"\\ud7ff", 3},       {"\\ue000", 3}, {"\\uffff", 3},
                 {"\\ud800\\udc00", 4}, {"\\uDBFF\\uDFFF", 4}};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"prompt\":\"%s\"}", edges[i].esc);
        e = extract(body);
        ASSERT_TRUE(e->json_ok);
        ASSERT_EQ(e->content_bytes, edges[i].bytes);
        snprintf(body, sizeof(body), "{\"model\":\"%s\"}", edges[i].esc);
        ASSERT_EQ(extract(body)->model_len, edges[i].bytes);
    }
    /* Roles do not count; the 4-byte scalar at the edge of the plane, U+10FFFF. */
    e = extract("{\"messages\":[{\"role\":\"a-long-role\",\"content\":\"\\udbff\\udfff\"}]}");
    ASSERT_EQ(e->content_bytes, 4);
}

/* Bodies RFC 8259 forbids (or that are not an object), one construct each. */
static const char *const malformed[] = {
    "",
    " ",
    "{",
    "}",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\":1,}",
    "{,}",
    "{\"a\" 1}",
    "{\"a\":1 \"b\":2}",
    "{a:1}",
    "{'a':1}",
    "{\"a\":[1,]}",
    "{\"a\":[1 2]}",
    "{\"a\":[}",
    "{\"a\":1}x",
    "{} {}",
    "{},",
    "{}]",
    "[]",
    "[{}]",
    "\"s\"",
    "1",
    "null",
    "true",
    "{\"a\":1}/* c */",
    "{\"a\":// c\n1}",
    "\xef\xbb\xbf{}",
    "{\"a\":tru}",
    "{\"a\":nul}",
    "{\"a\":True}",
    "{\"a\":nan}",
    "{\"a\":NaN}",
    "{\"a\":Infinity}",
    "{\"a\":-Infinity}",
    "{\"a\":01}",
    "{\"a\":-01}",
    "{\"a\":1.}",
    "{\"a\":.5}",
    "{\"a\":-}",
    "{\"a\":+1}",
    "{\"a\":1e}",
    "{\"a\":1e+}",
    "{\"a\":1.e5}",
    "{\"a\":0x10}",
    "{\"a\":-.5}",
    "{\"a\":1.5e+-3}",
    "{\"a\" : \"x}",
    "{\"a\":\"x\"",
    "{\"a\":\"x\\\"}",
    "{\"a\":\"\\x41\"}",
    "{\"a\":\"\\u12\"}",
    "{\"a\":\"\\u12G4\"}",
    "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00\"}",
    "{\"a\":\"\\ud800\\u0041\"}",
    "{\"a\":\"\\ud800\\ud800\"}",
    "{\"a\":\"\\ud800x\"}",
    "{\"a\":\"\\U0041\"}",
    "{\"a\":\"\\'\"}",
    "{\"a\":\"\\\"}",
    "{\"a\":\"tab\there\"}",
    "{\"a\":\"nl\nhere\"}",
    "{\"a\":\"\x7f ok but \x01 not\"}",
    "{\"a\":\"\xc0\x80\"}",
    "{\"a\":\"\xc1\xbf\"}",
    "{\"a\":\"\xe0\x80\xaf\"}",
    "{\"a\":\"\xed\xa0\x80\"}",
    "{\"a\":\"\xf4\x90\x80\x80\"}",
    "{\"a\":\"\xf5\x80\x80\x80\"}",
    "{\"a\":\"\xff\"}",
    "{\"a\":\"\x80\"}",
    "{\"a\":\"\xc3\"}",
    "{\"a\":\"\xe2\x82\"}",
    "{\"a\":\"\xe2\x82x\"}",
    "{\"a\":\"\xf0\x9f\x98\"}",
    "\x01{}",
    "{}\x0c",
    "{\"a\":1\x0b}",
};

TEST(malformed_syntax)
{
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
        assert_rejected(malformed[i]);
    /* A NUL byte is not whitespace either. */
    assert_nothing(extract_n("{}\0", 3));
    assert_nothing(extract_n("{\"a\":\"\0\"}", 8));
    assert_nothing(extract_n(NULL, 0));
    /* The 0x7f byte alone is fine in a string, as is every valid UTF-8 boundary sequence. */
    ASSERT_TRUE(extract("{\"a\":\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
                        "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}")
                    ->json_ok);
    ASSERT_TRUE(extract("{\"a\":[-0,0.5,-1.5e10,2E-3,1e+2,123456789012345678901234567890,"
                        "true,false,null,{},[],\"\"]}")
                    ->json_ok);
}

/* Fields found before the error are dropped, whatever they were. */
TEST(malformed_discards_fields)
{
    const char *body = "{\"model\":\"m\",\"prompt_cache_key\":\"k\",\"stream\":true,\"messages\":"
                       "[{\"role\":\"user\",\"content\":\"hello \\u00e9\"}],\"n\":1}";
    size_t len = strlen(body);

    ASSERT_TRUE(extract(body)->json_ok);
    /* Every proper prefix is truncated JSON. */
    for (size_t i = 0; i < len; i++) {
        const struct rt_extract *e = extract_n(body, i);
        if (e->json_ok)
            HARNESS_FAIL_("prefix of %zu bytes accepted", i);
        assert_nothing(e);
    }
    assert_rejected("{\"model\":\"m\",\"prompt_cache_key\":\"k\",\"stream\":true,\"x\":}");
    assert_rejected("{\"model\":\"m\",\"stream\":true}garbage");
}

static void nest(char *buf, size_t depth)
{
    size_t k = 0;

    k += (size_t)snprintf(buf, 16, "{\"a\":");
    for (size_t i = 1; i < depth; i++)
        buf[k++] = '[';
    for (size_t i = 1; i < depth; i++)
        buf[k++] = ']';
    buf[k++] = '}';
    buf[k] = '\0';
}

TEST(depth_limit)
{
    static char buf[400000];

    nest(buf, RT_EXTRACT_MAX_DEPTH);
    ASSERT_TRUE(extract(buf)->json_ok);
    nest(buf, RT_EXTRACT_MAX_DEPTH + 1);
    assert_rejected(buf);
    /* A depth bomb is refused without recursing all the way down. */
    nest(buf, 150000);
    assert_rejected(buf);
    /* Objects count too; the limit includes the body itself. */
    size_t k = 0;
    for (int i = 0; i < RT_EXTRACT_MAX_DEPTH + 1; i++)
        k += (size_t)snprintf(buf + k, 16, "{\"a\":");
    k += (size_t)snprintf(buf + k, 16, "1");
    for (int i = 0; i < RT_EXTRACT_MAX_DEPTH + 1; i++)
        buf[k++] = '}';
    buf[k] = '\0';
    assert_rejected(buf);
}

TEST(whitespace_variants)
{
    const char *b = " \r\n\t{ \"model\" :\t\"m\" ,\r\n  \"messages\" : [ { \"role\" : \"user\" , "
                    "\"content\" : [ { \"text\" : \"ab\" } ] } ] ,\"stream\"\n:\ntrue\n}\r\n\t ";
    const struct rt_extract *e = extract(b);

    ASSERT_TRUE(e->json_ok);
    ASSERT_STR_EQ(e->model, "m");
    ASSERT_TRUE(e->stream);
    ASSERT_EQ(e->content_bytes, 2);
    ASSERT_EQ(e->n_spans, 2);
    ASSERT_TRUE(extract("{ }")->json_ok);
    ASSERT_TRUE(extract("{\"a\":[ ],\"b\":{ }}")->json_ok);
}

TEST(duplicate_top_level_keys_last_wins)
{
    const struct rt_extract *e =
        extract("{\"model\":\"a\",\"stream\":true,\"prompt_cache_key\":\"k\",\"model\":\"b\","
                "\"stream\":false,\"prompt_cache_key\":\"\"}");
    ASSERT_TRUE(e->json_ok);
    ASSERT_STR_EQ(e->model, "b");
    ASSERT_FALSE(e->stream);
    ASSERT_FALSE(e->has_key);

    e = extract("{\"model\":\"a\",\"model\":5}");
    ASSERT_FALSE(e->has_model);
    e = extract("{\"model\":5,\"model\":\"a\"}");
    ASSERT_STR_EQ(e->model, "a");

    /* messages beats prompt in either order; the last messages counts. */
    const char *b = "{\"prompt\":\"pppp\",\"messages\":[{\"content\":\"m1\"}],"
                    "\"messages\":[{\"content\":\"m22\"}],\"prompt\":\"qq\"}";
    e = extract(b);
    ASSERT_EQ(e->content_bytes, 3);
    ASSERT_EQ(e->n_spans, 1);
    assert_span(b, 0, RT_EXTRACT_SPAN_CONTENT, "m22");

    /* A later non-array "messages" hands over to the prompt, whose spans were dropped. */
    e = extract("{\"prompt\":\"pppp\",\"messages\":[{\"content\":\"m1\"}],\"messages\":null}");
    ASSERT_EQ(e->content_bytes, 4);
    ASSERT_EQ(e->n_spans, 0);
    ASSERT_TRUE(e->spans_truncated);
    b = "{\"messages\":[{\"content\":\"m1\"}],\"messages\":null,\"prompt\":\"pppp\"}";
    e = extract(b);
    ASSERT_EQ(e->content_bytes, 4);
    ASSERT_EQ(e->n_spans, 1);
    ASSERT_FALSE(e->spans_truncated);
    assert_span(b, 0, RT_EXTRACT_SPAN_PROMPT, "pppp");
    /* The last prompt wins. */
    b = "{\"prompt\":\"pppp\",\"prompt\":[\"q\",\"rr\"]}";
    e = extract(b);
    ASSERT_EQ(e->content_bytes, 3);
    ASSERT_EQ(e->n_spans, 2);
    assert_span(b, 0, RT_EXTRACT_SPAN_PROMPT, "q");
}

TEST(spans_role_first_and_raw)
{
    const char *b = "{\"messages\":[{\"content\":[{\"text\":\"a\\nb\"},{\"text\":\"c\"}],"
                    "\"role\":\"user\",\"role\":\"again\"},{\"content\":\"d\",\"role\":\"x\"}]}";
    const struct rt_extract *e = extract(b);

    ASSERT_TRUE(e->json_ok);
    ASSERT_EQ(e->n_spans, 6);
    assert_span(b, 0, RT_EXTRACT_SPAN_ROLE, "user");
    assert_span(b, 1, RT_EXTRACT_SPAN_CONTENT, "a\\nb");
    assert_span(b, 2, RT_EXTRACT_SPAN_CONTENT, "c");
    assert_span(b, 3, RT_EXTRACT_SPAN_ROLE, "again");
    assert_span(b, 4, RT_EXTRACT_SPAN_ROLE, "x");
    assert_span(b, 5, RT_EXTRACT_SPAN_CONTENT, "d");
    ASSERT_EQ(e->content_bytes, 3 + 1 + 1);
}

TEST(spans_truncated_past_max)
{
    static char buf[20000];
    size_t k = (size_t)snprintf(buf, sizeof(buf), "{\"messages\":[");

    for (int i = 0; i < RT_EXTRACT_MAX_SPANS; i++)
        k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s{\"role\":\"u\",\"content\":\"%03d\"}",
                              i ? "," : "", i);
    snprintf(buf + k, sizeof(buf) - k, "]}");
    const struct rt_extract *e = extract(buf);
    ASSERT_TRUE(e->json_ok);
    ASSERT_EQ(e->n_spans, RT_EXTRACT_MAX_SPANS);
    ASSERT_TRUE(e->spans_truncated);
    ASSERT_EQ(e->content_bytes, 3 * RT_EXTRACT_MAX_SPANS);
    assert_span(buf, RT_EXTRACT_MAX_SPANS - 1, RT_EXTRACT_SPAN_CONTENT, "063");
}

static void long_string_field(const char *field, size_t n, bool escaped)
{
    static char buf[4096];
    size_t k = (size_t)snprintf(buf, sizeof(buf), "{\"%s\":\"", field);

    for (size_t i = 0; i < n; i++) {
        if (escaped)
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\u0078");
        else
            buf[k++] = 'x';
    }
    snprintf(buf + k, sizeof(buf) - k, "\",\"stream\":true}");
    extract(buf);
}

TEST(model_and_key_length_limits)
{
    for (int escaped = 0; escaped < 2; escaped++) {
        long_string_field("model", RT_EXTRACT_MODEL_MAX - 1, escaped);
        ASSERT_TRUE(ex.has_model);
        ASSERT_FALSE(ex.model_too_long);
        ASSERT_EQ(ex.model_len, RT_EXTRACT_MODEL_MAX - 1);
        ASSERT_EQ(strlen(ex.model), RT_EXTRACT_MODEL_MAX - 1);
        long_string_field("model", RT_EXTRACT_MODEL_MAX, escaped);
        ASSERT_TRUE(ex.json_ok);
        ASSERT_FALSE(ex.has_model);
        ASSERT_TRUE(ex.model_too_long);
        ASSERT_EQ(ex.model_len, 0);
        ASSERT_TRUE(ex.stream);
        long_string_field("prompt_cache_key", RT_EXTRACT_KEY_MAX - 1, escaped);
        ASSERT_TRUE(ex.has_key);
        ASSERT_EQ(ex.key_len, RT_EXTRACT_KEY_MAX - 1);
        long_string_field("prompt_cache_key", RT_EXTRACT_KEY_MAX, escaped);
        ASSERT_FALSE(ex.has_key);
        ASSERT_TRUE(ex.key_too_long);
    }
    /* The decoded length counts: 300 raw bytes decoding to 50 fit. */
    static char buf[512];
    size_t k = (size_t)snprintf(buf, sizeof(buf), "{\"model\":\"");
    for (int i = 0; i < 50; i++)
        k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\u0079");
    snprintf(buf + k, sizeof(buf) - k, "\"}");
    ASSERT_TRUE(extract(buf)->has_model);
    ASSERT_EQ(ex.model_len, 50);
    /* A later short model replaces a too-long one, flag included. */
    k = (size_t)snprintf(buf, sizeof(buf), "{\"model\":\"");
    memset(buf + k, 'z', 300);
    snprintf(buf + k + 300, sizeof(buf) - k - 300, "\",\"model\":\"ok\"}");
    ASSERT_STR_EQ(extract(buf)->model, "ok");
    ASSERT_FALSE(ex.model_too_long);
}

/* A 1 MiB content string: ASCII with multi-byte characters and escapes sprinkled in. */
TEST(one_mib_content)
{
    const size_t n = 1u << 20;
    char *b = malloc(n + 256);
    size_t k = (size_t)snprintf(b, 128,
                                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                "\"content\":\"");
    size_t start = k, expect = 0;

    ASSERT_NOT_NULL(b);
    while (k - start < n) {
        size_t i = k - start;
        if (i % 4099 == 0) {
            memcpy(b + k, "\xe4\xbd\xa0", 3); /* 3 raw, 3 decoded */
            k += 3;
            expect += 3;
        } else if (i % 997 == 0) {
            memcpy(b + k, "\\u00e9", 6); /* 6 raw, 2 decoded */
            k += 6;
            expect += 2;
        } else if (i % 499 == 0) {
            memcpy(b + k, "\\n", 2);
            k += 2;
            expect += 1;
        } else {
            b[k++] = (char)('a' + i % 26);
            expect++;
        }
    }
    size_t raw = k - start;
    k += (size_t)snprintf(b + k, 64, "\"}],\"stream\":true}");
    const struct rt_extract *e = extract_n(b, k);
    ASSERT_TRUE(e->json_ok);
    ASSERT_STR_EQ(e->model, "m");
    ASSERT_TRUE(e->stream);
    ASSERT_EQ(e->content_bytes, expect);
    ASSERT_EQ(e->n_spans, 2);
    ASSERT_EQ(e->spans[1].off, start);
    ASSERT_EQ(e->spans[1].len, raw);
    /* One bad byte deep inside spoils the whole body. */
    b[start + n / 2] = '\x01';
    assert_nothing(extract_n(b, k));
    free(b);
}

HARNESS_MAIN(CASE(chat_string_content), CASE(chat_parts_content), CASE(chat_null_and_odd_content),
             CASE(completions_prompt_shapes), CASE(embeddings_input_ignored), CASE(missing_fields),
             CASE(wrong_types_per_field), CASE(only_top_level_keys_count),
             CASE(escapes_in_model_and_key), CASE(content_bytes_exact), CASE(malformed_syntax),
             CASE(malformed_discards_fields), CASE(depth_limit), CASE(whitespace_variants),
             CASE(duplicate_top_level_keys_last_wins), CASE(spans_role_first_and_raw),
             CASE(spans_truncated_past_max), CASE(model_and_key_length_limits),
             CASE(one_mib_content))
