/* Unit tests for babysitter/scrape: vLLM's Prometheus exposition (HELP/TYPE lines, labels,
 * several label sets, both KV-cache metric names, the cache size from cache_config_info's
 * labels), garbage lines, and servers without vLLM metrics. */
#include "scrape.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"

/* Abridged from a vLLM 0.6 server with one model: the metric set of the V0 engine. */
static const char vllm_v0[] =
    "# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n"
    "# TYPE vllm:cache_config_info gauge\n"
    "vllm:cache_config_info{block_size=\"16\",cache_dtype=\"auto\",enable_prefix_caching=\"True\","
    "gpu_memory_utilization=\"0.9\",num_cpu_blocks=\"2048\",num_gpu_blocks=\"7861\","
    "sliding_window=\"None\",swap_space_bytes=\"4294967296\"} 1.0\n"
    "# HELP vllm:num_requests_running Number of requests currently running on GPU.\n"
    "# TYPE vllm:num_requests_running gauge\n"
    "vllm:num_requests_running{model_name=\"9g_8b_thinking\"} 3.0\n"
    "# HELP vllm:num_requests_swapped Number of requests swapped to CPU.\n"
    "# TYPE vllm:num_requests_swapped gauge\n"
    "vllm:num_requests_swapped{model_name=\"9g_8b_thinking\"} 0.0\n"
    "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
    "# TYPE vllm:num_requests_waiting gauge\n"
    "vllm:num_requests_waiting{model_name=\"9g_8b_thinking\"} 2.0\n"
    "# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.\n"
    "# TYPE vllm:gpu_cache_usage_perc gauge\n"
    "vllm:gpu_cache_usage_perc{model_name=\"9g_8b_thinking\"} 0.4375\n"
    "# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.\n"
    "# TYPE vllm:num_preemptions_total counter\n"
    "vllm:num_preemptions_total{model_name=\"9g_8b_thinking\"} 0.0\n"
    "# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.\n"
    "# TYPE vllm:time_to_first_token_seconds histogram\n"
    "vllm:time_to_first_token_seconds_bucket{le=\"0.001\",model_name=\"9g_8b_thinking\"} 0.0\n"
    "vllm:time_to_first_token_seconds_sum{model_name=\"9g_8b_thinking\"} 12.5\n";

/* The V1 engine with data parallelism: one label set per engine, the new KV metric name, and
 * the old one still exported with a different value (which must be ignored). */
static const char vllm_v1_dp[] =
    "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
    "# TYPE vllm:num_requests_running gauge\n"
    "vllm:num_requests_running{engine=\"0\",model_name=\"qwen\"} 4.0\n"
    "vllm:num_requests_running{engine=\"1\",model_name=\"qwen\"} 6.0\n"
    "# TYPE vllm:num_requests_waiting gauge\n"
    "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen\"} 1.0\n"
    "vllm:num_requests_waiting{engine=\"1\",model_name=\"qwen\"} 0\n"
    "# TYPE vllm:kv_cache_usage_perc gauge\n"
    "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"qwen\"} 0.5\n"
    "vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"qwen\"} 0.25\n"
    "vllm:gpu_cache_usage_perc{engine=\"0\",model_name=\"qwen\"} 0.99\n";

static bool parse(const char *text, struct bs_load *l)
{
    return bs_scrape_parse(text, strlen(text), l);
}

/* Asserts that `l` at time `now` reads `want` as /load JSON. */
static void expect_load_json(const struct bs_load *l, double now, const char *want)
{
    cJSON *o = bs_scrape_load_json(l, now);
    char *s = json_print_str(o);

    ASSERT_STR_EQ(s, want);
    free(s);
    cJSON_Delete(o);
}

TEST(vllm_v0_exposition)
{
    struct bs_load l;

    ASSERT_TRUE(parse(vllm_v0, &l));
    ASSERT_TRUE(l.has_running && l.has_waiting && l.has_kv);
    ASSERT_EQ(l.running, 3);
    ASSERT_EQ(l.waiting, 2);
    ASSERT_EQ(l.kv_usage * 10000, 4375);
    ASSERT_TRUE(l.has_capacity);
    ASSERT_EQ(l.kv_capacity_tokens, 7861 * 16);
    ASSERT_EQ(l.block_size, 16);
}

/* vLLM V1 with two data-parallel engines, each with its own cache (infini-mock writes the same
 * label set with engine="0"). */
TEST(cache_config_of_engines_adds_up)
{
    const char text[] =
        "# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n"
        "# TYPE vllm:cache_config_info gauge\n"
        "vllm:cache_config_info{block_size=\"16\",cache_dtype=\"auto\","
        "enable_prefix_caching=\"True\",engine=\"0\",num_gpu_blocks=\"1000\"} 1.0\n"
        "vllm:cache_config_info{num_gpu_blocks=\"500\", engine=\"1\",block_size=\"16\"} 1.0\n";
    struct bs_load l;

    ASSERT_TRUE(parse(text, &l)); /* the size alone is load enough */
    ASSERT_FALSE(l.has_running || l.has_waiting || l.has_kv);
    ASSERT_TRUE(l.has_capacity);
    ASSERT_EQ(l.kv_capacity_tokens, 1500 * 16);
    ASSERT_EQ(l.block_size, 16);
}

TEST(cache_config_without_figures_is_skipped)
{
    const char text[] =
        "vllm:cache_config_info{block_size=\"16\",num_gpu_blocks=\"None\"} 1.0\n"
        "vllm:cache_config_info{num_gpu_blocks=\"100\"} 1.0\n"
        "vllm:cache_config_info{block_size=\"0\",num_gpu_blocks=\"100\"} 1.0\n"
        "vllm:cache_config_info{block_size=\"16\",num_gpu_blocks=\"-5\"} 1.0\n"
        "vllm:cache_config_info{block_size=\"16x\",num_gpu_blocks=\"100\"} 1.0\n"
        "vllm:cache_config_info{block_size=\"16\",num_gpu_blocks=\"100\"\n" /* unterminated */
        "vllm:cache_config_info{block_size=\"16\",num_gpu_blocks=\"100\"} x\n"
        "vllm:cache_config_info 1.0\n"
        "vllm:num_requests_running 2\n";
    struct bs_load l;

    ASSERT_TRUE(parse(text, &l));
    ASSERT_EQ(l.running, 2);
    ASSERT_FALSE(l.has_capacity);
    cJSON *o = bs_scrape_load_json(&l, 5);
    ASSERT_NULL(cJSON_GetObjectItemCaseSensitive(o, "kv_capacity_tokens"));
    cJSON_Delete(o);
    /* A label value holding an escaped quote and a brace does not end the set early. */
    const char odd[] = "vllm:cache_config_info{model=\"a\\\"}\",block_size=\"32\","
                       "num_gpu_blocks=\"10\"} 1\n";
    ASSERT_TRUE(parse(odd, &l));
    ASSERT_EQ(l.kv_capacity_tokens, 320);
}

TEST(label_sets_are_summed_and_kv_averaged)
{
    struct bs_load l;

    ASSERT_TRUE(parse(vllm_v1_dp, &l));
    ASSERT_EQ(l.running, 10);
    ASSERT_EQ(l.waiting, 1);
    ASSERT_EQ(l.kv_usage * 1000, 375); /* kv_cache_usage_perc wins over the old name */
}

TEST(old_kv_name_alone)
{
    const char text[] = "vllm:gpu_cache_usage_perc 0.75\n";
    struct bs_load l;

    ASSERT_TRUE(parse(text, &l));
    ASSERT_FALSE(l.has_running);
    ASSERT_TRUE(l.has_kv);
    ASSERT_EQ(l.kv_usage * 100, 75);
}

TEST(garbage_lines_are_skipped)
{
    const char text[] = "garbage\n"
                        "vllm:num_requests_running{model_name=\"a\"\n" /* unterminated */
                        "vllm:num_requests_running{model_name=\"a}\" 5\n"
                        "vllm:num_requests_running{model_name=\"x\\\"y\",\x01} 7\n"
                        "vllm:num_requests_running{model_name=\"x\\\"y\",} 7\n"
                        "vllm:num_requests_running NaN\n"
                        "vllm:num_requests_running +Inf\n"
                        "vllm:num_requests_running -1\n"
                        "vllm:num_requests_running 1e\n"
                        "vllm:num_requests_runningX 9\n"
                        "vllm:num_requests_running\n"
                        "vllm:num_requests_running{a=\"b\"} 2 1712345678000\r\n"
                        "  vllm:num_requests_waiting   4  \n"
                        "vllm:num_requests_waiting{a=\"} }\",b=\"c\"} 1\n"
                        "{} 3\n";
    struct bs_load l;

    ASSERT_TRUE(parse(text, &l));
    ASSERT_EQ(l.running, 9); /* the escaped quote's 7 and the timestamped 2 */
    ASSERT_EQ(l.waiting, 5);
    ASSERT_FALSE(l.has_kv);
}

TEST(no_vllm_metrics_means_no_load)
{
    const char text[] = "# HELP infini_mock_requests_total Requests.\n"
                        "# TYPE infini_mock_requests_total counter\n"
                        "infini_mock_requests_total 12\n"
                        "process_resident_memory_bytes 1.2e+07\n";
    struct bs_load l;

    ASSERT_FALSE(parse(text, &l));
    ASSERT_FALSE(bs_scrape_parse("", 0, &l));
    ASSERT_FALSE(bs_scrape_parse("vllm:num_requests_running\n", 26, &l));
}

TEST(kv_usage_is_clamped)
{
    const char text[] = "vllm:kv_cache_usage_perc 1.5\n";
    struct bs_load l;

    ASSERT_TRUE(parse(text, &l));
    ASSERT_EQ(l.kv_usage, 1);
}

TEST(load_json_shape)
{
    struct bs_load l;

    ASSERT_TRUE(parse(vllm_v1_dp, &l));
    expect_load_json(&l, 1770715585.7,
                     "{\"in_flight\":11,\"kv_usage\":0.375,\"running\":10,\"updated\":1770715585,"
                     "\"waiting\":1}");
    ASSERT_TRUE(parse("vllm:num_requests_waiting 3\n", &l));
    expect_load_json(&l, 10, "{\"in_flight\":3,\"running\":0,\"updated\":10,\"waiting\":3}");
    ASSERT_TRUE(parse(vllm_v0, &l));
    expect_load_json(&l, 10,
                     "{\"block_size\":16,\"in_flight\":5,\"kv_capacity_tokens\":125776,"
                     "\"kv_usage\":0.4375,\"running\":3,\"updated\":10,\"waiting\":2}");
}

HARNESS_MAIN(CASE(vllm_v0_exposition), CASE(cache_config_of_engines_adds_up),
             CASE(cache_config_without_figures_is_skipped),
             CASE(label_sets_are_summed_and_kv_averaged), CASE(old_kv_name_alone),
             CASE(garbage_lines_are_skipped), CASE(no_vllm_metrics_means_no_load),
             CASE(kv_usage_is_clamped), CASE(load_json_shape))
