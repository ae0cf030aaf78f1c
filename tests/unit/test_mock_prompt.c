/* Unit tests for infini-mock's request reading: canonical prompt text for every body shape,
 * token counting, and the fast body reader (scan.c), which must agree with the cJSON path on
 * everything it accepts. */
#include "scan.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "harness.h"
#include "json.h"
#include "prompt.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- prompt */

/* Canonical text of `json` through `fn`; returns it malloc'ed, or NULL on error (rc in *rc). */
static char *canon(int (*fn)(const cJSON *, struct buf *, struct err_msg *), const char *json,
                   int *rc)
{
    cJSON *body = json_parse(json, strlen(json), NULL);
    struct err_msg err = {0};
    struct buf out;

    ASSERT_NOT_NULL(body);
    buf_init(&out, 1 << 20);
    *rc = fn(body, &out, &err);
    cJSON_Delete(body);
    if (*rc < 0) {
        ASSERT_TRUE(err.msg[0] != '\0');
        buf_free(&out);
        return NULL;
    }
    return buf_take(&out, NULL);
}

static void expect_canon(int (*fn)(const cJSON *, struct buf *, struct err_msg *), const char *json,
                         const char *want)
{
    int rc;
    char *got = canon(fn, json, &rc);

    ASSERT_OK(rc);
    ASSERT_STR_EQ(got, want);
    free(got);
}

static void expect_canon_error(int (*fn)(const cJSON *, struct buf *, struct err_msg *),
                               const char *json)
{
    int rc;
    char *got = canon(fn, json, &rc);

    ASSERT_NULL(got);
    ASSERT_EQ(rc, SVC_EPARSE);
}

TEST(prompt_chat_shapes)
{
    expect_canon(mock_prompt_chat,
                 "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                 "{\"role\":\"user\",\"content\":\"Hi\"}]}",
                 "system\nBe brief.\nuser\nHi\n");
    /* Parts: text (and content) strings concatenated, images add nothing. */
    expect_canon(
        mock_prompt_chat,
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}},"
        "{\"type\":\"text\",\"text\":\"b\"},{\"content\":\"c\"}]}]}",
        "user\nabc\n");
    /* Null or absent content (assistant tool calls), absent role. */
    expect_canon(mock_prompt_chat,
                 "{\"messages\":[{\"role\":\"assistant\",\"content\":null},{\"content\":\"x\"}]}",
                 "assistant\n\nuser\nx\n");
}

TEST(prompt_chat_errors)
{
    expect_canon_error(mock_prompt_chat, "{}");
    expect_canon_error(mock_prompt_chat, "{\"messages\":[]}");
    expect_canon_error(mock_prompt_chat, "{\"messages\":\"hi\"}");
    expect_canon_error(mock_prompt_chat, "{\"messages\":[\"hi\"]}");
    expect_canon_error(mock_prompt_chat, "{\"messages\":[{\"role\":1,\"content\":\"x\"}]}");
    expect_canon_error(mock_prompt_chat, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}");
    expect_canon_error(mock_prompt_chat, "{\"messages\":[{\"role\":\"user\",\"content\":[1]}]}");
    expect_canon_error(mock_prompt_chat, "[1,2]");
}

TEST(prompt_completion_and_inputs)
{
    expect_canon(mock_prompt_completion, "{\"prompt\":\"Once upon\"}", "Once upon");
    expect_canon(mock_prompt_completion, "{\"prompt\":[\"a\",\"bc\",\"\"]}", "a\nbc\n");
    expect_canon_error(mock_prompt_completion, "{}");
    expect_canon_error(mock_prompt_completion, "{\"prompt\":[]}");
    expect_canon_error(mock_prompt_completion, "{\"prompt\":[1,2,3]}");
    expect_canon_error(mock_prompt_completion, "{\"prompt\":7}");

    /* Embedding inputs come out NUL-separated with a count. */
    cJSON *body = json_parse("{\"input\":[\"x\",\"yz\"]}", 20, NULL);
    struct buf out;
    size_t count = 0;
    buf_init(&out, 1024);
    ASSERT_OK(mock_prompt_inputs(body, &out, &count, NULL));
    ASSERT_EQ(count, 2);
    ASSERT_EQ(out.len, 5);
    ASSERT_TRUE(memcmp(out.data, "x\0yz\0", 5) == 0);
    cJSON_Delete(body);
    buf_reset(&out);
    body = json_parse("{\"input\":\"one\"}", 15, NULL);
    ASSERT_OK(mock_prompt_inputs(body, &out, &count, NULL));
    ASSERT_EQ(count, 1);
    ASSERT_EQ(out.len, 4);
    cJSON_Delete(body);
    buf_free(&out);
}

TEST(prompt_token_count)
{
    ASSERT_EQ(mock_prompt_tokens(0, 4), 0);
    ASSERT_EQ(mock_prompt_tokens(1, 4), 1);
    ASSERT_EQ(mock_prompt_tokens(4, 4), 1);
    ASSERT_EQ(mock_prompt_tokens(5, 4), 2);
    ASSERT_EQ(mock_prompt_tokens(8000, 4), 2000);
    ASSERT_EQ(mock_prompt_tokens(7, 1), 7);
    /* The canonical chat text counts roles and separators too. */
    int rc;
    char *t =
        canon(mock_prompt_chat, "{\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}]}", &rc);
    ASSERT_EQ(mock_prompt_tokens(strlen(t), 4), 3); /* "user\nabcd\n" = 10 bytes */
    free(t);
}

/* ---------------------------------------------------------------- fast path */

struct parsed {
    bool ok;
    char *model; /* NULL = absent */
    struct mock_prompt_args args;
    struct buf text;
};

static void parsed_free(struct parsed *p)
{
    free(p->model);
    buf_free(&p->text);
}

static void run_paths(const char *body, size_t len, bool chat, struct parsed *fast,
                      struct parsed *slow)
{
    memset(fast, 0, sizeof(*fast));
    memset(slow, 0, sizeof(*slow));
    buf_init(&fast->text, 1 << 20);
    buf_init(&slow->text, 1 << 20);
    fast->ok = mock_scan_generation(body, len, chat, 100, &fast->args, &fast->text);
    if (fast->ok && fast->args.model.ptr != NULL)
        fast->model = xstrndup(fast->args.model.ptr, fast->args.model.len);
    cJSON *tree = json_parse(body, len, NULL);
    slow->ok =
        tree != NULL && mock_prompt_request(tree, chat, 100, &slow->args, &slow->text, NULL) == 0;
    if (slow->ok && slow->args.model.ptr != NULL)
        slow->model = xstrndup(slow->args.model.ptr, slow->args.model.len);
    cJSON_Delete(tree);
}

/* Whatever the fast path accepts, the cJSON path accepts with the same result. Returns whether
 * the fast path accepted. */
static bool check_agrees(const char *body, size_t len, bool chat)
{
    struct parsed f, s;

    run_paths(body, len, chat, &f, &s);
    if (f.ok) {
        if (!s.ok)
            HARNESS_FAIL_("fast path accepted what cJSON refuses: %.*s", (int)len, body);
        bool same =
            (f.model == NULL) == (s.model == NULL) &&
            (f.model == NULL || strcmp(f.model, s.model) == 0) && f.args.stream == s.args.stream &&
            f.args.include_usage == s.args.include_usage && f.args.max_given == s.args.max_given &&
            (!f.args.max_given || f.args.max_tokens == s.args.max_tokens) &&
            f.text.len == s.text.len &&
            memcmp(buf_cstr(&f.text), buf_cstr(&s.text), f.text.len) == 0;
        if (!same)
            HARNESS_FAIL_("paths disagree on: %.*s\n  fast text \"%s\"\n  slow text \"%s\"",
                          (int)len, body, buf_cstr(&f.text), buf_cstr(&s.text));
    }
    parsed_free(&f);
    parsed_free(&s);
    return f.ok;
}

static void expect_fast(const char *body, bool chat, const char *text)
{
    struct parsed f, s;

    ASSERT_TRUE(check_agrees(body, strlen(body), chat));
    run_paths(body, strlen(body), chat, &f, &s);
    ASSERT_STR_EQ(buf_cstr(&f.text), text);
    parsed_free(&f);
    parsed_free(&s);
}

static const char *const common_bodies[] = {
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}],"
    "\"max_tokens\":1}",
    "{\n  \"messages\": [\n    {\"role\": \"system\", \"content\": \"a\\nb \\\"q\\\" \\\\ \\/ "
    "\\t\"},"
    "\n    {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"x\"},"
    " {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:,\"}}]},\n"
    "    {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"1\"}]}\n  ],\n"
    "  \"stream\": true, \"stream_options\": {\"include_usage\": true},\n"
    "  \"temperature\": 0.7, \"top_p\": 1e-1, \"stop\": [\"\\n\"], \"n\": 1,\n"
    "  \"max_tokens\": 50, \"max_completion_tokens\": 7, \"user\": null, \"seed\": -3\n}\n",
    "{\"stream\":false,\"prompt_cache_key\":\"k1\",\"messages\":[{\"role\":\"user\",\"content\":"
    "\"\xc3\xa9t\xc3\xa9\",\"name\":\"bob\"}],\"max_tokens\":null}",
};

TEST(scan_takes_common_bodies)
{
    expect_fast(common_bodies[0], true, "user\nSay hello.\n");
    expect_fast(common_bodies[1], true, "system\na\nb \"q\" \\ / \t\nuser\nx\nassistant\n\n");
    expect_fast(common_bodies[2], true, "user\n\xc3\xa9t\xc3\xa9\n");
    expect_fast("{\"prompt\":\"Once\",\"model\":null,\"echo\":false}", false, "Once");
    expect_fast("{\"prompt\":[\"a\",\"b\\n\"]}", false, "a\nb\n");
    /* The arguments, too. */
    struct parsed f, s;
    run_paths(common_bodies[1], strlen(common_bodies[1]), true, &f, &s);
    ASSERT_TRUE(f.args.stream && f.args.include_usage && f.args.max_given);
    ASSERT_EQ(f.args.max_tokens, 7); /* max_completion_tokens wins */
    ASSERT_NULL(f.model);
    parsed_free(&f);
    parsed_free(&s);
}

TEST(scan_falls_back_when_unsure)
{
    static const char *const chat[] = {
        "{\"messages\":[{\"role\":\"user\",\"content\":\"\\u00e9\"}]}", /* \u escape */
        "{\"model\":\"a\",\"model\":\"b\",\"messages\":[{\"role\":\"user\"}]}",
        "{\"messages\":[{\"content\":\"x\",\"role\":\"user\"}]}", /* content before role */
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\",\"content\":\"b\"}]}]}",
        "{\"messages\":[{\"role\":\"user\"}],\"max_tokens\":1.5}",
        "{\"messages\":[{\"role\":\"user\"}],\"max_tokens\":0}",
        "{\"messages\":[{\"role\":\"user\"}],\"max_tokens\":101}",
        "{\"messages\":[{\"role\":\"user\"}],\"max_tokens\":\"5\"}",
        "{\"messages\":[{\"role\":\"user\"}],\"temperature\":01}",
        "{\"messages\":[{\"role\":\"user\"},]}",
        "{\"messages\":[{\"role\":\"user\"}]",
        "{\"messages\":[]}",
        "{\"messages\":[{\"role\":\"us\ter\"}]}",
        "\xef\xbb\xbf{\"messages\":[{\"role\":\"user\"}]}",
        "{\"messages\":[{\"role\":\"user\"}],\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]"
        "]]]]]]"
        "]]]]]]]]]]]]]]]]]}",
        "{\"messages\":[{\"role\":\"user\"}]} x",
        "{\"model\":\"m\\/1\",\"messages\":[{\"role\":\"user\"}]}",
        "{\"mod\\u0065l\":\"m\",\"messages\":[{\"role\":\"user\"}]}",
        "{\"messages\":[{\"role\":null}]}",
        "{\"messages\":[{\"role\":\"user\"}],\"stream\":1}",
        "{\"prompt\":\"x\"}",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof(chat) / sizeof(chat[0]); i++) {
        if (check_agrees(chat[i], strlen(chat[i]), true))
            HARNESS_FAIL_("fast path should have given up on: %s", chat[i]);
    }
    static const char *const completion[] = {
        "{\"prompt\":[]}",
        "{\"prompt\":[\"a\",1]}",
        "{\"messages\":[{\"role\":\"user\"}]}",
    };
    for (size_t i = 0; i < sizeof(completion) / sizeof(completion[0]); i++)
        ASSERT_FALSE(check_agrees(completion[i], strlen(completion[i]), false));
}

TEST(scan_agrees_with_cjson_on_mutations)
{
    static const char alphabet[] = "{}[],:\"\\nu0-.e tfa1";
    static const char *const extra[] = {
        "{\"prompt\":[\"one\",\"two\"],\"max_tokens\":3,\"stream\":true}",
        "{\"model\":\"model-1\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"p\"}]}],"
        "\"stream_options\":{\"include_usage\":false}}",
    };
    unsigned long long rng = 99;
    char buf[1024];
    int accepted = 0, total = 0;

    for (size_t seed = 0; seed < 5; seed++) {
        const char *base = seed < 3 ? common_bodies[seed] : extra[seed - 3];
        bool chat = seed < 3 || seed == 4;
        size_t len = strlen(base);
        for (size_t cut = 0; cut <= len; cut++, total++)
            accepted += check_agrees(base, cut, chat); /* every truncation */
        for (int round = 0; round < 4000; round++, total++) {
            memcpy(buf, base, len);
            size_t n = len;
            for (int edits = 1 + round % 3; edits > 0; edits--) {
                rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t at = (size_t)(rng >> 33) % n;
                char c = alphabet[(rng >> 20) % (sizeof(alphabet) - 1)];
                switch ((rng >> 50) % 3) {
                case 0: /* delete */
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                    break;
                case 1: /* insert */
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = c;
                    n++;
                    break;
                default:
                    buf[at] = c;
                }
            }
            accepted += check_agrees(buf, n, chat);
        }
    }
    /* Enough mutants stay valid for the comparison to mean something. */
    printf("fast path accepted %d of %d mutants\n", accepted, total);
    ASSERT_TRUE(accepted > total / 20);
}

HARNESS_MAIN(CASE(prompt_chat_shapes), CASE(prompt_chat_errors), CASE(prompt_completion_and_inputs),
             CASE(prompt_token_count), CASE(scan_takes_common_bodies),
             CASE(scan_falls_back_when_unsure), CASE(scan_agrees_with_cjson_on_mutations))
