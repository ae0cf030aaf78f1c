/* Unit tests for tools/bench/result, summary and outcome: result file names (vLLM's format),
 * rate formatting, the date stamp, the summary computed from known outcomes (hit/miss split,
 * hit rate, TPOT, per-instance counts, failures), every field of the result document, and the
 * compare table and chart script. */
#include "result.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compare.h"
#include "harness.h"
#include "json.h"
#include "outcome.h"
#include "summary.h"
#include "xalloc.h"

#define ASSERT_NEAR(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            HARNESS_FAIL_("%s ~= %s: %.9g vs %.9g", #a, #b, a_, b_);                               \
    } while (0)

static struct bench_run_info info(const char *label, double rate, int conc, const char *model)
{
    struct bench_run_info ri = {.label = label,
                                .model = model,
                                .backend = "openai-chat",
                                .date = "20260209-205110",
                                .num_prompts = 4,
                                .request_rate = rate,
                                .burstiness = 1.0,
                                .max_concurrency = conc};
    return ri;
}

static void assert_name(const struct bench_run_info *ri, const char *want)
{
    struct buf b;

    buf_init(&b, 4096);
    ASSERT_OK(bench_result_filename(ri, &b));
    ASSERT_STR_EQ(buf_cstr(&b), want);
    buf_free(&b);
}

TEST(file_name_format)
{
    struct bench_run_info ri = info("cache-routing", 1.0, 0, "9g_8b_thinking");
    assert_name(&ri, "cache-routing-1.0qps-9g_8b_thinking-20260209-205110.json");
    ri = info("2paged-round-robin", 1.0, 4, "/models/Qwen/Qwen3-32B");
    assert_name(&ri, "2paged-round-robin-1.0qps-concurrency4-Qwen3-32B-20260209-205110.json");
    ri = info("openai-chat", INFINITY, 0, "model-1");
    assert_name(&ri, "openai-chat-infqps-model-1-20260209-205110.json");
    ri = info("a/b", 0.5, 0, "m");
    assert_name(&ri, "a_b-0.5qps-m-20260209-205110.json");
}

TEST(rates_print_like_python_floats)
{
    char s[64];
    struct {
        double v;
        const char *want;
    } cases[] = {{INFINITY, "inf"},
                 {1.0, "1.0"},
                 {10.0, "10.0"},
                 {0.5, "0.5"},
                 {2.25, "2.25"},
                 {0.1, "0.1"},
                 {1.0 / 3.0, "0.3333333333333333"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bench_result_format_rate(cases[i].v, s, sizeof(s));
        ASSERT_STR_EQ(s, cases[i].want);
    }
}

TEST(date_stamp_shape)
{
    char d[BENCH_RESULT_DATE_LEN];

    bench_result_date(1770715585.0, d);
    ASSERT_EQ(strlen(d), 15);
    ASSERT_EQ(d[8], '-');
    for (int i = 0; i < 15; i++)
        ASSERT_TRUE(i == 8 || (d[i] >= '0' && d[i] <= '9'));
    ASSERT_TRUE(strncmp(d, "2026021", 7) == 0); /* 2026-02-10 09:26 UTC, any time zone */
}

/* Four requests: two hits on instance b, one miss on a, one failure on a. */
static void make_outcomes(struct bench_outcome *o)
{
    memset(o, 0, 4 * sizeof(*o));
    for (int i = 0; i < 4; i++) {
        o[i].sent = true;
        o[i].prompt_tokens = o[i].completion_tokens = o[i].cached_tokens = -1;
        o[i].prompt_estimate = 10;
    }
    /* 0: miss, 100 prompt tokens, 5 output tokens, ttft 1.0 s, e2e 1.4 s */
    o[0] = (struct bench_outcome){.sent = true,
                                  .ok = true,
                                  .status = 200,
                                  .start_s = 0.0,
                                  .ttft_s = 1.0,
                                  .e2e_s = 1.4,
                                  .text_chunks = 5,
                                  .prompt_tokens = 100,
                                  .completion_tokens = 5,
                                  .cached_tokens = 0,
                                  .instance = xstrdup("a")};
    for (int k = 0; k < 4; k++)
        bench_outcome_add_itl(&o[0], 0.1);
    /* 1, 2: hits, 64 of 100 tokens cached, ttft 0.2 s */
    for (int i = 1; i <= 2; i++) {
        o[i] = (struct bench_outcome){.sent = true,
                                      .ok = true,
                                      .status = 200,
                                      .start_s = 0.1 * i,
                                      .ttft_s = 0.2,
                                      .e2e_s = 0.6,
                                      .text_chunks = 3,
                                      .prompt_tokens = 100,
                                      .completion_tokens = 5,
                                      .cached_tokens = 64,
                                      .instance = xstrdup("b")};
        bench_outcome_add_itl(&o[i], 0.2);
        bench_outcome_add_itl(&o[i], 0.2);
    }
    /* 3: failed with HTTP 500, no usage */
    o[3].status = 500;
    o[3].e2e_s = 0.05;
    o[3].instance = xstrdup("a");
    bench_outcome_set_error(&o[3], "HTTP %d: %s", 500, "injected");
}

TEST(summary_of_known_outcomes)
{
    struct bench_outcome o[4];
    struct bench_summary s;

    make_outcomes(o);
    bench_summary_compute(o, 4, 2.0, 3, &s);
    ASSERT_EQ(s.completed, 3);
    ASSERT_EQ(s.failed, 1);
    ASSERT_EQ(s.total_input, 300);
    ASSERT_EQ(s.total_output, 15);
    ASSERT_EQ(s.total_cached, 128);
    ASSERT_NEAR(s.request_throughput, 1.5, 1e-12);
    ASSERT_NEAR(s.output_throughput, 7.5, 1e-12);
    ASSERT_NEAR(s.total_token_throughput, 157.5, 1e-12);
    ASSERT_EQ(s.max_concurrent, 3);
    ASSERT_NEAR(s.ttft.mean, (1000.0 + 200 + 200) / 3, 1e-9);
    ASSERT_NEAR(s.ttft.median, 200.0, 1e-9);
    ASSERT_NEAR(s.e2el.mean, (1400.0 + 600 + 600) / 3, 1e-9);
    /* TPOT = (e2e - ttft) / (out - 1): 0.4/4 = 100 ms, 0.4/4 = 100 ms. */
    ASSERT_NEAR(s.tpot.mean, 100.0, 1e-9);
    ASSERT_EQ(s.itl.n, 8);
    ASSERT_NEAR(s.itl.mean, (4 * 100.0 + 4 * 200.0) / 8, 1e-9);
    ASSERT_EQ(s.hit_requests, 2);
    ASSERT_EQ(s.miss_requests, 1);
    ASSERT_NEAR(s.mean_ttft_hit_ms, 200.0, 1e-9);
    ASSERT_NEAR(s.mean_ttft_miss_ms, 1000.0, 1e-9);
    ASSERT_NEAR(s.hit_rate, 128.0 / 300.0, 1e-12);
    ASSERT_EQ(s.ninstances, 2);
    ASSERT_STR_EQ(s.instances[0].name, "a");
    ASSERT_EQ(s.instances[0].requests, 2);
    ASSERT_STR_EQ(s.instances[1].name, "b");
    ASSERT_EQ(s.instances[1].requests, 2);
    /* Text chunks per one-second bucket: all 11 chunks fall within the first 1.4 s. */
    ASSERT_TRUE(s.max_output_tokens_per_s >= 6 && s.max_output_tokens_per_s <= 11);
    bench_summary_free(&s);
    for (int i = 0; i < 4; i++)
        bench_outcome_free(&o[i]);
}

TEST(summary_without_successes)
{
    struct bench_outcome o[2];
    struct bench_summary s;

    memset(o, 0, sizeof(o));
    o[0].sent = o[1].sent = true;
    bench_outcome_set_error(&o[0], "connection refused");
    bench_outcome_set_error(&o[1], "connection refused");
    bench_summary_compute(o, 2, 0.01, 2, &s);
    ASSERT_EQ(s.completed, 0);
    ASSERT_EQ(s.failed, 2);
    ASSERT_TRUE(isnan(s.hit_rate));
    ASSERT_TRUE(isnan(s.mean_ttft_hit_ms));
    ASSERT_NEAR(s.ttft.mean, 0.0, 0);
    ASSERT_EQ(s.ninstances, 0);
    bench_summary_free(&s);
    bench_outcome_free(&o[0]);
    bench_outcome_free(&o[1]);
}

static const char *const required_fields[] = {"date",
                                              "endpoint_type",
                                              "backend",
                                              "label",
                                              "model_id",
                                              "tokenizer_id",
                                              "num_prompts",
                                              "request_rate",
                                              "burstiness",
                                              "max_concurrency",
                                              "duration",
                                              "completed",
                                              "failed",
                                              "total_input_tokens",
                                              "total_output_tokens",
                                              "request_throughput",
                                              "request_goodput",
                                              "output_throughput",
                                              "total_token_throughput",
                                              "max_output_tokens_per_s",
                                              "max_concurrent_requests",
                                              "prefix_cache_hit_rate",
                                              "per_instance",
                                              "hit_requests",
                                              "miss_requests",
                                              "mean_ttft_hit_ms",
                                              "mean_ttft_miss_ms",
                                              "ttfts",
                                              "itls",
                                              "e2els",
                                              "input_lens",
                                              "output_lens",
                                              "cached_tokens",
                                              "instances",
                                              "errors"};

TEST(result_document_has_every_field)
{
    struct bench_outcome o[4];
    struct bench_summary s;
    struct bench_run_info ri = info("lbl", 2.0, 0, "model-1");
    static const char *const metrics[] = {"ttft", "tpot", "itl", "e2el"};
    static const char *const stats[] = {"mean", "median", "std", "p90", "p99"};

    make_outcomes(o);
    bench_summary_compute(o, 4, 2.0, 3, &s);
    cJSON *doc = bench_result_json(&ri, &s, o, 4);
    for (size_t i = 0; i < sizeof(required_fields) / sizeof(required_fields[0]); i++) {
        if (cJSON_GetObjectItemCaseSensitive(doc, required_fields[i]) == NULL)
            HARNESS_FAIL_("missing field %s", required_fields[i]);
    }
    for (int m = 0; m < 4; m++) {
        for (int k = 0; k < 5; k++) {
            char key[64];
            snprintf(key, sizeof(key), "%s_%s_ms", stats[k], metrics[m]);
            double v;
            if (!json_get_number(doc, key, &v))
                HARNESS_FAIL_("missing number %s", key);
        }
    }
    char *text = json_print_str(doc);
    ASSERT_CONTAINS(text, "\"max_concurrency\":null");
    ASSERT_CONTAINS(text, "\"request_rate\":2.0");
    ASSERT_CONTAINS(text, "\"per_instance\":{\"a\":2,\"b\":2}");
    ASSERT_CONTAINS(text, "\"instances\":[\"a\",\"b\",\"b\",\"a\"]");
    ASSERT_CONTAINS(text, "\"errors\":[\"\",\"\",\"\",\"HTTP 500: injected\"]");
    ASSERT_CONTAINS(text, "\"cached_tokens\":[0,64,64,0]");
    ASSERT_CONTAINS(text, "\"output_lens\":[5,5,5,0]");
    ASSERT_CONTAINS(text, "\"input_lens\":[100,100,100,10]");
    ASSERT_CONTAINS(text, "\"ttfts\":[1,0.2,0.2,0]");
    ASSERT_CONTAINS(text, "\"itls\":[[0.1,0.1,0.1,0.1],[0.2,0.2],[0.2,0.2],[]]");
    free(text);
    cJSON_Delete(doc);

    ri.request_rate = INFINITY;
    ri.max_concurrency = 8;
    doc = bench_result_json(&ri, &s, o, 4);
    text = json_print_str(doc);
    ASSERT_CONTAINS(text, "\"request_rate\":\"inf\"");
    ASSERT_CONTAINS(text, "\"max_concurrency\":8");
    free(text);
    cJSON_Delete(doc);
    bench_summary_free(&s);
    for (int i = 0; i < 4; i++)
        bench_outcome_free(&o[i]);
}

static void load_text(struct bench_compare_file *f, const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    struct err_msg err = {0};

    ASSERT_NOT_NULL(fp);
    fputs(text, fp);
    fclose(fp);
    ASSERT_OK(bench_compare_load(path, f, &err));
}

TEST(compare_table)
{
    char dir[] = "/tmp/test_bench_result-XXXXXX";
    struct bench_compare_file f[2];
    char pa[128], pb[128];

    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(pa, sizeof(pa), "%s/a.json", dir);
    snprintf(pb, sizeof(pb), "%s/b.json", dir);
    load_text(&f[0], pa,
              "{\"label\":\"round-robin\",\"mean_ttft_ms\":200,\"failed\":0,"
              "\"prefix_cache_hit_rate\":0.25,\"output_throughput\":100}");
    /* vLLM's own file: no label, no hit rate. */
    load_text(&f[1], pb,
              "{\"label\":null,\"backend\":\"vllm\",\"mean_ttft_ms\":150,\"failed\":2,"
              "\"output_throughput\":125}");
    ASSERT_STR_EQ(f[1].label, "vllm");
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    bench_compare_print(mem, f, 2);
    fclose(mem);
    ASSERT_CONTAINS(out, "round-robin");
    ASSERT_CONTAINS(out, "[2] vs [1]");
    ASSERT_CONTAINS(out, "200.00       150.00       -25.0%");
    ASSERT_CONTAINS(out, "25.00            -            -"); /* hit rate missing in [2] */
    ASSERT_CONTAINS(out, "100.00       125.00       +25.0%");
    ASSERT_CONTAINS(out, "0            2          n/a");
    free(out);
    struct buf script;
    buf_init(&script, BUF_UNLIMITED);
    ASSERT_OK(bench_compare_script("/t/data.dat", "/o/it's.png", &script));
    ASSERT_CONTAINS(buf_cstr(&script), "set output '/o/it''s.png'");
    ASSERT_CONTAINS(buf_cstr(&script), "plot '/t/data.dat' using 2:xtic(1)");
    buf_free(&script);
    bench_compare_file_free(&f[0]);
    bench_compare_file_free(&f[1]);
    unlink(pa);
    unlink(pb);
    rmdir(dir);
}

HARNESS_MAIN(CASE(file_name_format), CASE(rates_print_like_python_floats), CASE(date_stamp_shape),
             CASE(summary_of_known_outcomes), CASE(summary_without_successes),
             CASE(result_document_has_every_field), CASE(compare_table))
