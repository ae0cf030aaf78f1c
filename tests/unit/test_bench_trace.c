/* Unit tests for tools/bench/trace and tools/bench/tracegen: hash-id text is deterministic and
 * distinct from the first bytes, prompts are the blocks of their ids cut to input_length, records
 * carry the conversation (first hash id), the capped output and time order, sampling keeps whole
 * conversations, bad records name their line, arrivals follow the scaled timestamps, and the
 * generator's later turns extend earlier ones' ids and share system prompts. */
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dataset.h"
#include "err.h"
#include "harness.h"
#include "json.h"
#include "tracegen.h"

#define CPT   4
#define BLOCK (BENCH_TRACE_BLOCK_TOKENS * CPT)

static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/test_bench_trace-XXXXXX");
    int fd = mkstemp(path);

    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static char *block(unsigned long long id, size_t len)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    bench_trace_block_text(id, len, &b);
    ASSERT_EQ(b.len, len);
    return buf_take(&b, NULL);
}

static long long int_field(const cJSON *rec, const char *key)
{
    long long v = -1;

    ASSERT_TRUE(json_get_int(rec, key, 0, 1LL << 53, &v));
    return v;
}

static void load(const char *text, int sample, struct bench_dataset *d)
{
    char *path = temp_file(text);
    struct bench_trace_opts o = {CPT, sample};
    struct err_msg err = {0};

    memset(d, 0, sizeof(*d));
    if (bench_trace_load(path, &o, d, &err) < 0)
        HARNESS_FAIL_("load: %s", err.msg);
    unlink(path);
    free(path);
}

TEST(block_text_is_deterministic_and_distinct)
{
    char *a = block(7, BLOCK), *b = block(7, BLOCK), *part = block(7, 100);

    ASSERT_STR_EQ(a, b);
    ASSERT_TRUE(memcmp(a, part, 100) == 0); /* a shorter block is a prefix of the full one */
    ASSERT_TRUE(strchr(a, ' ') != NULL && strchr(a, '"') == NULL);
    for (unsigned long long i = 0; i < 200; i++) {
        char *x = block(i, 8);
        for (unsigned long long j = i + 1; j < 200; j++) {
            char *y = block(j, 8);
            ASSERT_TRUE(memcmp(x, y, 3) != 0); /* differ within the first three bytes */
            if (i < 52 && j < 52)
                ASSERT_TRUE(x[0] != y[0]);
            free(y);
        }
        free(x);
    }
    free(a);
    free(b);
    free(part);
}

TEST(prompts_follow_hash_ids)
{
    struct bench_dataset d;
    /* Out of time order on purpose; the two at 500 ms keep their file order. */
    load("{\"timestamp\":500,\"input_length\":1100,\"output_length\":7,\"hash_ids\":[5,6,9]}\n"
         "\n"
         "{\"timestamp\":0,\"input_length\":600,\"output_length\":0,\"hash_ids\":[5,6]}\r\n"
         "{\"timestamp\":500,\"input_length\":512,\"output_length\":3,\"hash_ids\":[8]}\n"
         "{\"timestamp\":250.5,\"input_length\":10,\"output_length\":1,\"hash_ids\":[5,1,2]}\n",
         1, &d);
    ASSERT_EQ(d.n, 4);
    const char *p[4];
    for (size_t i = 0; i < 4; i++)
        p[i] = json_get_string(d.recs[i], "prompt");
    double ts;
    ASSERT_TRUE(json_get_number(d.recs[1], "timestamp", &ts) && ts == 250.5);
    ASSERT_EQ(strlen(p[0]), 600 * CPT);
    ASSERT_EQ(strlen(p[1]), 10 * CPT);
    ASSERT_EQ(strlen(p[2]), 1100 * CPT);
    ASSERT_EQ(strlen(p[3]), 512 * CPT);
    char *b5 = block(5, BLOCK), *b6 = block(6, BLOCK), *b9 = block(9, 1100 * CPT - 2 * BLOCK);
    ASSERT_TRUE(memcmp(p[2], b5, BLOCK) == 0);
    ASSERT_TRUE(memcmp(p[2] + BLOCK, b6, BLOCK) == 0);
    ASSERT_TRUE(memcmp(p[2] + 2 * BLOCK, b9, strlen(b9)) == 0);
    /* Equal ids, equal text; the next id differs at once. */
    ASSERT_TRUE(memcmp(p[0], p[2], 600 * CPT) == 0);
    ASSERT_TRUE(memcmp(p[1], b5, 10 * CPT) == 0);
    free(b5);
    free(b6);
    free(b9);
    long long conv[4] = {5, 5, 5, 8}, out[4] = {1, 1, 7, 3};
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ(int_field(d.recs[i], "conversation_id"), conv[i]);
        ASSERT_EQ(int_field(d.recs[i], "prefix_id"), conv[i]);
        ASSERT_EQ(int_field(d.recs[i], "max_tokens"), out[i]);
    }
    double at[4];
    bench_trace_arrivals(&d, 4, 2.0, at);
    ASSERT_EQ(at[0], 0);
    ASSERT_TRUE(fabs(at[1] - 0.12525) < 1e-12); /* 250.5 ms / 2 */
    ASSERT_EQ(at[2], 0.25);
    ASSERT_EQ(at[3], 0.25);
    bench_dataset_free(&d);
}

TEST(bad_records_name_their_line)
{
    const struct {
        const char *line, *message;
    } cases[] = {
        {"[1,2]", "need an object"},
        {"{\"input_length\":1,\"output_length\":1,\"hash_ids\":[1]}", "timestamp"},
        {"{\"timestamp\":-1,\"input_length\":1,\"output_length\":1,\"hash_ids\":[1]}", "timestamp"},
        {"{\"timestamp\":0,\"input_length\":0,\"output_length\":1,\"hash_ids\":[1]}",
         "input_length"},
        {"{\"timestamp\":0,\"input_length\":1.5,\"output_length\":1,\"hash_ids\":[1]}",
         "input_length"},
        {"{\"timestamp\":0,\"input_length\":1,\"output_length\":-2,\"hash_ids\":[1]}",
         "output_length"},
        {"{\"timestamp\":0,\"input_length\":1,\"output_length\":1,\"hash_ids\":[]}", "hash_ids"},
        {"{\"timestamp\":0,\"input_length\":1,\"output_length\":1,\"hash_ids\":[\"a\"]}",
         "integers"},
        {"{\"timestamp\":0,\"input_length\":1,\"output_length\":1,\"hash_ids\":[-3]}", "integers"},
        {"{\"timestamp\":0,\"input_length\":1,\"output_length\":1,\"hash_ids\":[0.5]}", "integers"},
        {"{\"timestamp\":0,\"input_length\":513,\"output_length\":1,\"hash_ids\":[4]}",
         "fewer tokens"},
        {"{\"timestamp\":0,\"input_length\":", "invalid JSON"},
    };
    struct bench_trace_opts o = {CPT, 1};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf text;
        buf_init(&text, BUF_UNLIMITED);
        buf_appendf(&text,
                    "{\"timestamp\":0,\"input_length\":1,\"output_length\":1,\"hash_ids\":[1]}\n"
                    "%s\n",
                    cases[i].line);
        char *path = temp_file(buf_cstr(&text));
        struct bench_dataset d = {0};
        struct err_msg err = {0};
        ASSERT_EQ(bench_trace_load(path, &o, &d, &err), SVC_EPARSE);
        ASSERT_CONTAINS(err.msg, ":2: ");
        ASSERT_CONTAINS(err.msg, cases[i].message);
        bench_dataset_free(&d);
        unlink(path);
        free(path);
        buf_free(&text);
    }
    struct bench_dataset d = {0};
    struct err_msg err = {0};
    ASSERT_TRUE(bench_trace_load("/nonexistent/trace.jsonl", &o, &d, &err) < 0);
    ASSERT_CONTAINS(err.msg, "no such file");
}

static struct bench_gen_params trace_params(void)
{
    struct bench_gen_params p = {.kind = BENCH_DATASET_TRACE,
                                 .num_conversations = 30,
                                 .messages_per_conv = 5,
                                 .num_prefixes = 6,
                                 .prefix_len = 4096, /* 1024 tokens: two shared blocks */
                                 .context_len = 2048,
                                 .new_msg_len = 300,
                                 .chars_per_token = CPT,
                                 .rate = 10,
                                 .seed = 42};
    return p;
}

static char *save(const struct bench_dataset *d)
{
    char *path = temp_file("");
    struct err_msg err = {0};

    ASSERT_OK(bench_dataset_save(d, path, &err));
    return path;
}

/* Whether `b` starts with all of `a`'s ids. */
static bool extends(const cJSON *a, const cJSON *b, int n)
{
    for (int i = 0; i < n; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, i), *y = cJSON_GetArrayItem(b, i);
        if (x == NULL || y == NULL || x->valuedouble != y->valuedouble)
            return false;
    }
    return true;
}

TEST(generated_turns_extend_and_share_system_prompts)
{
    struct bench_gen_params p = trace_params();
    struct bench_dataset d = {0};
    struct err_msg err = {0};
    int later_turns = 0;

    ASSERT_OK(bench_dataset_generate(&p, &d, &err));
    ASSERT_EQ(d.n, 150);
    double prev_ts = -1, ts;
    for (size_t i = 0; i < d.n; i++) {
        const cJSON *ids = json_get_array(d.recs[i], "hash_ids");
        long long input = int_field(d.recs[i], "input_length");
        ASSERT_TRUE(json_get_number(d.recs[i], "timestamp", &ts));
        ASSERT_LE(prev_ts, ts);
        prev_ts = ts;
        ASSERT_EQ(int_field(d.recs[i], "output_length"), 512);
        ASSERT_EQ(cJSON_GetArraySize(ids), (input + 511) / 512);
        /* The first two blocks are one of the 6 system prompts: ids 0..11. */
        ASSERT_EQ(cJSON_GetArrayItem(ids, 1)->valuedouble,
                  cJSON_GetArrayItem(ids, 0)->valuedouble + 1);
        ASSERT_LT(cJSON_GetArrayItem(ids, 0)->valuedouble, 12);
        ASSERT_TRUE(cJSON_GetArrayItem(ids, 2)->valuedouble >= 12);
        if (input == 1024 + 512)
            continue; /* a first turn */
        /* A later turn extends an earlier record of its conversation (same third id) by its
         * reply and a new message, keeping that record's full blocks. */
        bool found = false;
        for (size_t j = 0; j < i && !found; j++) {
            const cJSON *old = json_get_array(d.recs[j], "hash_ids");
            long long was = int_field(d.recs[j], "input_length");
            found = was + 512 + 75 == input && extends(old, ids, (int)(was / 512));
        }
        ASSERT_TRUE(found);
        later_turns++;
    }
    ASSERT_EQ(later_turns, 120);
    bench_dataset_free(&d);
    p.context_len = 3; /* less than a token */
    ASSERT_EQ(bench_dataset_generate(&p, &d, &err), SVC_EBADCONFIG);
    p = trace_params();
    p.rate = 0;
    ASSERT_EQ(bench_dataset_generate(&p, &d, &err), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--request-rate");
}

TEST(sampling_keeps_whole_conversations)
{
    struct bench_gen_params p = trace_params();
    struct bench_dataset gen = {0}, all, some;
    struct err_msg err = {0};

    p.prefix_len = 1000; /* under one block: every conversation starts with its own id */
    ASSERT_OK(bench_dataset_generate(&p, &gen, &err));
    char *path = save(&gen);
    struct bench_trace_opts o = {CPT, 1};
    memset(&all, 0, sizeof(all));
    ASSERT_OK(bench_trace_load(path, &o, &all, &err));
    o.sample_conversations = 3;
    memset(&some, 0, sizeof(some));
    ASSERT_OK(bench_trace_load(path, &o, &some, &err));
    ASSERT_EQ(all.n, 150);
    ASSERT_LT(some.n, all.n);
    size_t kept_convs = 0;
    for (size_t i = 0; i < all.n; i++) {
        long long conv = int_field(all.recs[i], "conversation_id");
        size_t in_all = 0, in_some = 0, first = i;
        for (size_t j = 0; j < all.n; j++) {
            in_all += int_field(all.recs[j], "conversation_id") == conv;
            first = int_field(all.recs[j], "conversation_id") == conv && j < first ? j : first;
        }
        for (size_t j = 0; j < some.n; j++)
            in_some += int_field(some.recs[j], "conversation_id") == conv;
        ASSERT_EQ(in_all, 5);
        ASSERT_TRUE(in_some == 0 || in_some == 5); /* whole conversations or nothing */
        ASSERT_EQ(in_some > 0, bench_trace_keeps((unsigned long long)conv, 3));
        kept_convs += in_some > 0 && first == i;
    }
    ASSERT_EQ(some.n, 5 * kept_convs);
    ASSERT_TRUE(kept_convs >= 3 && kept_convs <= 18); /* about 10 of 30 */
    bench_dataset_free(&some);
    o.sample_conversations = 1000000000; /* keeps nothing here: an error, not an empty run */
    memset(&some, 0, sizeof(some));
    ASSERT_EQ(bench_trace_load(path, &o, &some, &err), SVC_EPARSE);
    ASSERT_CONTAINS(err.msg, "no records left");
    bench_dataset_free(&some);
    bench_dataset_free(&all);
    bench_dataset_free(&gen);
    unlink(path);
    free(path);
}

HARNESS_MAIN(CASE(block_text_is_deterministic_and_distinct), CASE(prompts_follow_hash_ids),
             CASE(bad_records_name_their_line),
             CASE(generated_turns_extend_and_share_system_prompts),
             CASE(sampling_keeps_whole_conversations))
