/* Unit tests for router/tokenize: the /tokenize body keeps exactly the fields vLLM's tokenize
 * request takes, with the client's values unchanged; vLLM's answer parses into ids and every
 * malformed answer is refused. */
#include "tokenize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "harness.h"

static char *body_of(const char *req, bool chat, int *rc)
{
    struct buf out;

    buf_init(&out, 1 << 20);
    *rc = rt_tokenize_body(req, strlen(req), chat, &out);
    return buf_take(&out, NULL);
}

TEST(chat_body_keeps_template_fields)
{
    int rc;
    char *b = body_of("{\"model\":\"m\",\"stream\":true,\"max_tokens\":5,\"temperature\":0.5,"
                      "\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
                      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
                      "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                      "\"chat_template_kwargs\":{\"enable_thinking\":false},"
                      "\"add_generation_prompt\":true,\"continue_final_message\":false,"
                      "\"prompt_cache_key\":\"k\"}",
                      true, &rc);

    ASSERT_OK(rc);
    ASSERT_STR_EQ(b, "{\"add_generation_prompt\":true,"
                     "\"chat_template_kwargs\":{\"enable_thinking\":false},"
                     "\"continue_final_message\":false,"
                     "\"messages\":[{\"content\":\"S\",\"role\":\"system\"},"
                     "{\"content\":[{\"text\":\"hi\",\"type\":\"text\"}],\"role\":\"user\"}],"
                     "\"model\":\"m\","
                     "\"tools\":[{\"function\":{\"name\":\"f\"},\"type\":\"function\"}]}");
    free(b);
}

TEST(completion_body_and_refusals)
{
    int rc;
    char *b = body_of("{\"model\":\"m\",\"prompt\":\"abc\",\"max_tokens\":3}", false, &rc);

    ASSERT_OK(rc);
    ASSERT_STR_EQ(b, "{\"model\":\"m\",\"prompt\":\"abc\"}");
    free(b);
    b = body_of("{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", false, &rc);
    ASSERT_OK(rc);
    ASSERT_STR_EQ(b, "{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}");
    free(b);

    static const struct {
        const char *req;
        bool chat;
    } bad[] = {
        {"", true},
        {"[]", true},
        {"{\"messages\":[]}", true}, /* no model */
        {"{\"model\":\"m\"}", true}, /* no messages */
        {"{\"model\":\"m\",\"messages\":{}}", true},
        {"{\"model\":\"m\",\"prompt\":3}", false},
        {"{\"model\":7,\"prompt\":\"x\"}", false},
        {"{\"model\":\"m\",\"prompt\":\"x\"", false}, /* truncated */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        b = body_of(bad[i].req, bad[i].chat, &rc);
        if (rc != SVC_EPARSE)
            HARNESS_FAIL_("bad[%zu]: rc %d", i, rc);
        free(b);
    }
}

TEST(answer_parses_into_ids)
{
    static const char ok[] = "{\"count\":4,\"max_model_len\":32768,"
                             "\"tokens\":[0,1,151643,4294967295],\"token_strs\":null}";
    uint32_t *ids;
    size_t n;

    ASSERT_OK(rt_tokenize_parse(ok, strlen(ok), &ids, &n));
    ASSERT_EQ(n, 4);
    ASSERT_EQ(ids[2], 151643);
    ASSERT_TRUE(ids[3] == UINT32_MAX);
    free(ids);
    static const char spaced[] = " { \"token_strs\" : [\"a\\\"b\", null] , \"tokens\" : [ 1 , 2 ] ,"
                                 " \"count\" : 2, \"x\": {\"y\": [-1.5e3, true, {}]} } ";
    ASSERT_OK(rt_tokenize_parse(spaced, strlen(spaced), &ids, &n));
    ASSERT_EQ(n, 2);
    ASSERT_EQ(ids[1], 2);
    free(ids);
    ASSERT_OK(rt_tokenize_parse("{\"tokens\":[]}", 13, &ids, &n));
    ASSERT_EQ(n, 0);
    ASSERT_NULL(ids);

    static const char *const bad[] = {
        "",
        "{}",
        "{\"tokens\":{}}",
        "{\"tokens\":[1,-1]}",
        "{\"tokens\":[1.5]}",
        "{\"tokens\":[4294967296]}",
        "{\"tokens\":[\"1\"]}",
        "{\"count\":3,\"tokens\":[1,2]}",
        "{\"tokens\":[1,2]",
        "{\"tokens\":[01]}",
        "{\"tokens\":[1,]}",
        "{\"tokens\":[1],\"x\":tru}",
        "{\"tokens\":[1],\"x\":\"unterminated}",
        "{\"tokens\":[1]} x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = rt_tokenize_parse(bad[i], strlen(bad[i]), &ids, &n);
        if (rc != SVC_EPARSE)
            HARNESS_FAIL_("bad[%zu] %s: rc %d", i, bad[i], rc);
        ASSERT_NULL(ids);
        ASSERT_EQ(n, 0);
    }
}

TEST(worth_asking)
{
    ASSERT_FALSE(rt_tokenize_worth(10, 256));
    ASSERT_TRUE(rt_tokenize_worth(256, 256));
    ASSERT_TRUE(rt_tokenize_worth(0, 0));
}

HARNESS_MAIN(CASE(chat_body_keeps_template_fields), CASE(completion_body_and_refusals),
             CASE(answer_parses_into_ids), CASE(worth_asking))
