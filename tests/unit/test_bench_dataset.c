/* Unit tests for tools/bench/dataset and tools/bench/body: generation is deterministic by seed,
 * prompts with the same prefix_id share exactly prefix-len leading characters and differ right
 * after, a hot share skews multi-prefix evenly through the run, conversation records grow turn by
 * turn in an interleaved order, JSONL round-trips, and request bodies carry messages/prompt,
 * max_tokens (and its cap), stream options and cache keys. */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "body.h"
#include "buf.h"
#include "err.h"
#include "harness.h"
#include "json.h"
#include "keypattern.h"

static struct bench_gen_params prefix_params(enum bench_dataset_kind kind, int n, int k)
{
    struct bench_gen_params p = {.kind = kind,
                                 .num_prompts = n,
                                 .num_prefixes = k,
                                 .prefix_len = 500,
                                 .suffix_len = 40,
                                 .seed = 42};
    return p;
}

static struct bench_gen_params conv_params(int c, int m)
{
    struct bench_gen_params p = {.kind = BENCH_DATASET_CONVERSATIONS,
                                 .num_conversations = c,
                                 .messages_per_conv = m,
                                 .context_len = 300,
                                 .new_msg_len = 50,
                                 .seed = 42};
    return p;
}

static void generate(const struct bench_gen_params *p, struct bench_dataset *d)
{
    struct err_msg err = {0};

    memset(d, 0, sizeof(*d));
    if (bench_dataset_generate(p, d, &err) < 0)
        HARNESS_FAIL_("generate: %s", err.msg);
}

static char *dump(const struct bench_dataset *d)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    for (size_t i = 0; i < d->n; i++) {
        json_print(d->recs[i], &b);
        buf_putc(&b, '\n');
    }
    return buf_take(&b, NULL);
}

static long long int_field(const cJSON *rec, const char *key)
{
    long long v = -1;

    ASSERT_TRUE(json_get_int(rec, key, 0, 1LL << 40, &v));
    return v;
}

TEST(generation_is_deterministic_by_seed)
{
    struct bench_gen_params p = prefix_params(BENCH_DATASET_MULTI_PREFIX, 20, 3);
    struct bench_dataset a, b, c;

    generate(&p, &a);
    generate(&p, &b);
    p.seed = 43;
    generate(&p, &c);
    char *sa = dump(&a), *sb = dump(&b), *sc = dump(&c);
    ASSERT_STR_EQ(sa, sb);
    ASSERT_TRUE(strcmp(sa, sc) != 0);
    free(sa);
    free(sb);
    free(sc);
    bench_dataset_free(&a);
    bench_dataset_free(&b);
    bench_dataset_free(&c);

    struct bench_gen_params q = conv_params(3, 4);
    generate(&q, &a);
    generate(&q, &b);
    sa = dump(&a);
    sb = dump(&b);
    ASSERT_STR_EQ(sa, sb);
    free(sa);
    free(sb);
    bench_dataset_free(&a);
    bench_dataset_free(&b);
}

TEST(prefix_sharing_is_exact)
{
    struct bench_gen_params p = prefix_params(BENCH_DATASET_MULTI_PREFIX, 60, 5);
    struct bench_dataset d;

    generate(&p, &d);
    ASSERT_EQ(d.n, 60);
    for (size_t i = 0; i < d.n; i++) {
        const char *pi = json_get_string(d.recs[i], "prompt");
        const cJSON *msgs = json_get_array(d.recs[i], "messages");
        ASSERT_EQ(strlen(pi), 540);
        ASSERT_EQ(int_field(d.recs[i], "prefix_id"), (long long)(i % 5));
        ASSERT_EQ(int_field(d.recs[i], "request_id"), (long long)i);
        ASSERT_EQ(cJSON_GetArraySize(msgs), 1);
        ASSERT_STR_EQ(json_get_string(cJSON_GetArrayItem(msgs, 0), "content"), pi);
        ASSERT_STR_EQ(json_get_string(cJSON_GetArrayItem(msgs, 0), "role"), "user");
        for (size_t j = i + 1; j < d.n; j++) {
            const char *pj = json_get_string(d.recs[j], "prompt");
            if (i % 5 == j % 5) {
                ASSERT_TRUE(memcmp(pi, pj, 500) == 0);
                ASSERT_TRUE(pi[500] != pj[500]);
            } else {
                ASSERT_TRUE(pi[0] != pj[0]);
            }
        }
    }
    bench_dataset_free(&d);
}

TEST(shared_prefix_is_one_prefix)
{
    struct bench_gen_params p = prefix_params(BENCH_DATASET_SHARED_PREFIX, 10, 7);
    struct bench_dataset d;

    generate(&p, &d);
    const char *p0 = json_get_string(d.recs[0], "prompt");
    for (size_t i = 0; i < d.n; i++) {
        ASSERT_EQ(int_field(d.recs[i], "prefix_id"), 0);
        ASSERT_TRUE(memcmp(p0, json_get_string(d.recs[i], "prompt"), 500) == 0);
    }
    bench_dataset_free(&d);
}

TEST(shuffle_keeps_prefix_counts)
{
    struct bench_gen_params p = prefix_params(BENCH_DATASET_MULTI_PREFIX, 40, 4);
    struct bench_dataset d;
    int count[4] = {0}, in_order = 0;

    p.shuffle = true;
    generate(&p, &d);
    for (size_t i = 0; i < d.n; i++) {
        long long pid = int_field(d.recs[i], "prefix_id");
        count[pid]++;
        in_order += pid == (long long)(i % 4);
    }
    for (int k = 0; k < 4; k++)
        ASSERT_EQ(count[k], 10);
    ASSERT_LT(in_order, 40);
    bench_dataset_free(&d);
}

TEST(hot_share_skews_evenly)
{
    struct bench_gen_params p = prefix_params(BENCH_DATASET_MULTI_PREFIX, 40, 5);
    struct bench_dataset d;
    int count[5] = {0}, hot_first_half = 0;

    p.hot_share = 0.5;
    generate(&p, &d);
    for (size_t i = 0; i < d.n; i++) {
        long long pid = int_field(d.recs[i], "prefix_id");
        count[pid]++;
        hot_first_half += pid == 0 && i < 20;
        if (i % 2 == 1)
            ASSERT_EQ(pid, 0); /* every second request: spread, not bunched */
    }
    ASSERT_EQ(count[0], 20);
    for (int k = 1; k < 5; k++)
        ASSERT_EQ(count[k], 5);
    ASSERT_EQ(hot_first_half, 10);
    bench_dataset_free(&d);
    p.shuffle = true; /* the same counts in another order */
    p.hot_share = 0.25;
    generate(&p, &d);
    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < d.n; i++)
        count[int_field(d.recs[i], "prefix_id")]++;
    ASSERT_EQ(count[0], 10);
    for (int k = 1; k < 5; k++)
        ASSERT_EQ(count[k], 30 / 4 + (k <= 30 % 4));
    bench_dataset_free(&d);
    p.hot_share = 1;
    generate(&p, &d);
    for (size_t i = 0; i < d.n; i++)
        ASSERT_EQ(int_field(d.recs[i], "prefix_id"), 0);
    bench_dataset_free(&d);
}

static void check_turn(const cJSON *rec, const struct bench_gen_params *p, int turn)
{
    const cJSON *msgs = json_get_array(rec, "messages");
    struct buf prompt;

    ASSERT_EQ(cJSON_GetArraySize(msgs), 2 * (turn + 1));
    buf_init(&prompt, BUF_UNLIMITED);
    for (int m = 0; m < 2 * (turn + 1); m++) {
        const cJSON *msg = cJSON_GetArrayItem(msgs, m);
        const char *role = json_get_string(msg, "role"), *content = json_get_string(msg, "content");
        size_t want = m % 2 == 1 || m == 0 ? (size_t)p->context_len : (size_t)p->new_msg_len;
        ASSERT_STR_EQ(role, m % 2 == 0 ? "user" : "assistant");
        ASSERT_EQ(strlen(content), want);
        buf_appendf(&prompt, "%s%s: %s", m > 0 ? "\n" : "", role, content);
    }
    ASSERT_STR_EQ(json_get_string(rec, "prompt"), buf_cstr(&prompt));
    buf_free(&prompt);
}

TEST(conversations_grow_and_interleave)
{
    struct bench_gen_params p = conv_params(3, 4);
    struct bench_dataset d;
    const cJSON *last[3] = {NULL, NULL, NULL};
    int next_turn[3] = {0, 0, 0}, switches_back = 0;
    long long prev_conv = -1;

    generate(&p, &d);
    ASSERT_EQ(d.n, 12);
    for (size_t i = 0; i < d.n; i++) {
        const cJSON *rec = d.recs[i];
        long long c = int_field(rec, "conversation_id"), t = int_field(rec, "message_index");
        char key[32];
        snprintf(key, sizeof(key), "conv_%lld", c);
        ASSERT_STR_EQ(json_get_string(rec, "prompt_cache_key"), key);
        ASSERT_EQ(int_field(rec, "prefix_id"), c);
        ASSERT_EQ(t, next_turn[c]++); /* turn order kept */
        check_turn(rec, &p, (int)t);
        if (last[c] != NULL) {
            /* The history so far is carried over unchanged. */
            const cJSON *old = json_get_array(last[c], "messages");
            const cJSON *now = json_get_array(rec, "messages");
            for (int m = 0; m < cJSON_GetArraySize(old); m++)
                ASSERT_TRUE(
                    cJSON_Compare(cJSON_GetArrayItem(old, m), cJSON_GetArrayItem(now, m), true));
            ASSERT_LT(strlen(json_get_string(last[c], "prompt")),
                      strlen(json_get_string(rec, "prompt")));
        }
        last[c] = rec;
        switches_back += c < prev_conv;
        prev_conv = c;
    }
    ASSERT_TRUE(switches_back > 0); /* interleaved, not one conversation after another */
    /* Conversations differ from their first character on. */
    ASSERT_TRUE(json_get_string(last[0], "prompt")[6] != json_get_string(last[1], "prompt")[6]);
    bench_dataset_free(&d);
}

TEST(bad_parameters_are_rejected)
{
    struct bench_gen_params p = prefix_params(BENCH_DATASET_MULTI_PREFIX, 0, 2);
    struct bench_dataset d = {0};
    struct err_msg err = {0};

    ASSERT_EQ(bench_dataset_generate(&p, &d, &err), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--num-prompts");
    struct bench_gen_params q = conv_params(0, 2);
    ASSERT_EQ(bench_dataset_generate(&q, &d, &err), SVC_EBADCONFIG);
    struct bench_gen_params h = prefix_params(BENCH_DATASET_MULTI_PREFIX, 10, 1);
    h.hot_share = 0.5; /* a hot prefix needs cold ones */
    ASSERT_EQ(bench_dataset_generate(&h, &d, &err), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--hot-share");
    h.num_prefixes = 3;
    h.hot_share = 1.5;
    ASSERT_EQ(bench_dataset_generate(&h, &d, &err), SVC_EBADCONFIG);
    h = prefix_params(BENCH_DATASET_SHARED_PREFIX, 10, 1);
    h.hot_share = 0.5;
    ASSERT_EQ(bench_dataset_generate(&h, &d, &err), SVC_EBADCONFIG);
    ASSERT_EQ(d.n, 0);
    enum bench_dataset_kind k;
    ASSERT_OK(bench_dataset_kind_parse("multi-prefix", &k));
    ASSERT_EQ(k, BENCH_DATASET_MULTI_PREFIX);
    ASSERT_OK(bench_dataset_kind_parse("trace", &k));
    ASSERT_EQ(k, BENCH_DATASET_TRACE);
    ASSERT_EQ(bench_dataset_kind_parse("sharegpt", &k), SVC_EPARSE);
}

static char *temp_path(void)
{
    char *path = strdup("/tmp/test_bench_dataset-XXXXXX");
    int fd = mkstemp(path);

    ASSERT_TRUE(fd >= 0);
    close(fd);
    return path;
}

TEST(jsonl_round_trip_and_errors)
{
    struct bench_gen_params p = conv_params(2, 3);
    struct bench_dataset d, back = {0};
    struct err_msg err = {0};
    char *path = temp_path();

    generate(&p, &d);
    ASSERT_OK(bench_dataset_save(&d, path, &err));
    ASSERT_OK(bench_dataset_load(path, &back, &err));
    char *a = dump(&d), *b = dump(&back);
    ASSERT_STR_EQ(a, b);
    free(a);
    free(b);
    bench_dataset_free(&back);

    FILE *f = fopen(path, "w");
    fputs("{\"prompt\":\"one\"}\n\n{\"messages\":[]}\r\n{\"other\":1}\n", f);
    fclose(f);
    ASSERT_EQ(bench_dataset_load(path, &back, &err), SVC_EPARSE);
    ASSERT_CONTAINS(err.msg, ":4: need an object");
    bench_dataset_free(&back);
    f = fopen(path, "w");
    fputs("{\"prompt\":\"one\"}\n{\"prompt\":\n", f);
    fclose(f);
    ASSERT_EQ(bench_dataset_load(path, &back, &err), SVC_EPARSE);
    ASSERT_CONTAINS(err.msg, ":2: invalid JSON");
    bench_dataset_free(&back);
    unlink(path);
    ASSERT_TRUE(bench_dataset_load(path, &back, &err) < 0);
    ASSERT_CONTAINS(err.msg, "no such file");
    free(path);
    bench_dataset_free(&d);
}

static cJSON *build(const struct bench_body_opts *o, const char *rec_text, long long id)
{
    cJSON *rec = json_parse(rec_text, strlen(rec_text), NULL);
    struct buf out;
    struct err_msg err = {0};

    ASSERT_NOT_NULL(rec);
    buf_init(&out, BUF_UNLIMITED);
    ASSERT_OK(bench_body_build(o, rec, id, &out, &err));
    cJSON *body = json_parse(out.data, out.len, NULL);
    ASSERT_NOT_NULL(body);
    buf_free(&out);
    cJSON_Delete(rec);
    return body;
}

TEST(chat_body)
{
    struct err_msg err = {0};
    struct bench_keypattern *kp = bench_keypattern_compile("bench_key_{request_id % 4}", &err);
    struct bench_body_opts o = {
        .endpoint = BENCH_ENDPOINT_CHAT, .model = "m", .stream = true, .max_tokens = 16, .key = kp};
    const char *rec = "{\"prompt\":\"p\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                      "\"prefix_id\":1,\"prompt_cache_key\":\"own\"}";

    cJSON *b = build(&o, rec, 6);
    char *s = json_print_str(b);
    ASSERT_STR_EQ(s, "{\"max_tokens\":16,\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],"
                     "\"model\":\"m\",\"prompt_cache_key\":\"bench_key_2\",\"stream\":true,"
                     "\"stream_options\":{\"include_usage\":true}}");
    free(s);
    cJSON_Delete(b);

    o.key = NULL; /* the record's own key */
    o.stream = false;
    o.max_tokens = 0;
    b = build(&o, rec, 6);
    s = json_print_str(b);
    ASSERT_STR_EQ(s, "{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"model\":\"m\","
                     "\"prompt_cache_key\":\"own\",\"stream\":false}");
    free(s);
    cJSON_Delete(b);

    o.no_cache_key = true;
    b = build(&o, "{\"prompt\":\"only a prompt\",\"prompt_cache_key\":\"own\",\"max_tokens\":3}",
              0);
    s = json_print_str(b);
    ASSERT_STR_EQ(s, "{\"max_tokens\":3,\"messages\":[{\"content\":\"only a prompt\","
                     "\"role\":\"user\"}],\"model\":\"m\",\"stream\":false}");
    free(s);
    cJSON_Delete(b);
    bench_keypattern_free(kp);
}

TEST(max_output_tokens_caps_max_tokens)
{
    struct bench_body_opts o = {.endpoint = BENCH_ENDPOINT_CHAT, .model = "m"};
    const char *big = "{\"prompt\":\"p\",\"max_tokens\":500}", *none = "{\"prompt\":\"p\"}";
    const struct {
        int max_tokens, cap;
        const char *rec;
        int want; /* 0: no max_tokens in the body */
    } cases[] = {
        {0, 0, big, 500}, {0, 32, big, 32},  {0, 800, big, 500}, {0, 32, none, 32},
        {0, 0, none, 0},  {64, 32, big, 32}, {16, 32, big, 16},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        o.max_tokens = cases[i].max_tokens;
        o.max_output_tokens = cases[i].cap;
        cJSON *b = build(&o, cases[i].rec, 0);
        long long got = 0;
        if (cases[i].want == 0)
            ASSERT_FALSE(json_get_int(b, "max_tokens", 0, 1 << 30, &got));
        else
            ASSERT_TRUE(json_get_int(b, "max_tokens", 0, 1 << 30, &got) && got == cases[i].want);
        cJSON_Delete(b);
    }
}

TEST(completions_body_and_extra)
{
    cJSON *extra = json_parse("{\"temperature\":0,\"max_tokens\":2}", 32, NULL);
    struct bench_body_opts o = {
        .endpoint = BENCH_ENDPOINT_COMPLETIONS, .model = "m", .max_tokens = 9, .extra = extra};

    cJSON *b = build(&o,
                     "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                     "{\"role\":\"assistant\",\"content\":\"b\"}]}",
                     0);
    char *s = json_print_str(b);
    ASSERT_STR_EQ(s, "{\"max_tokens\":2,\"model\":\"m\",\"prompt\":\"user: a\\nassistant: b\","
                     "\"stream\":false,\"temperature\":0}");
    free(s);
    cJSON_Delete(b);
    cJSON_Delete(extra);

    cJSON *rec = json_parse("{\"prompt\":\"abcdef\"}", 19, NULL);
    ASSERT_EQ(bench_body_prompt_chars(rec), 6);
    cJSON_Delete(rec);
}

TEST(key_pattern_needing_a_missing_field_fails)
{
    struct err_msg err = {0};
    struct bench_keypattern *kp = bench_keypattern_compile("c{conversation_id}", &err);
    struct bench_body_opts o = {.endpoint = BENCH_ENDPOINT_CHAT, .model = "m", .key = kp};
    cJSON *rec = json_parse("{\"prompt\":\"x\"}", 14, NULL);
    struct buf out;

    buf_init(&out, 4096);
    ASSERT_EQ(bench_body_build(&o, rec, 0, &out, &err), SVC_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "conversation_id");
    buf_free(&out);
    cJSON_Delete(rec);
    bench_keypattern_free(kp);
}

HARNESS_MAIN(CASE(generation_is_deterministic_by_seed), CASE(prefix_sharing_is_exact),
             CASE(shared_prefix_is_one_prefix), CASE(shuffle_keeps_prefix_counts),
             CASE(hot_share_skews_evenly), CASE(max_output_tokens_caps_max_tokens),
             CASE(conversations_grow_and_interleave), CASE(bad_parameters_are_rejected),
             CASE(jsonl_round_trip_and_errors), CASE(chat_body), CASE(completions_body_and_extra),
             CASE(key_pattern_needing_a_missing_field_fails))
