/* vLLM-named Prometheus metrics of infini-mock. Depends on common/prom, common/buf and the
 * engine's stats struct. */
#include "metrics.h"

#include <stdlib.h>

#include "buf.h"
#include "engine.h"
#include "xalloc.h"

void mock_metrics_init(struct mock_metrics *m, char *const *ids, size_t n, int block_size)
{
    m->models = xcalloc(n, sizeof(*m->models));
    m->nmodels = n;
    m->block_size = block_size;
    for (size_t i = 0; i < n; i++) {
        struct buf labels;
        buf_init(&labels, BUF_UNLIMITED);
        prom_label(&labels, "model_name", ids[i]);
        m->models[i].labels = buf_take(&labels, NULL);
        prom_histogram_init(&m->models[i].ttft, prom_latency_bounds, prom_latency_nbounds);
    }
}

void mock_metrics_close(struct mock_metrics *m)
{
    for (size_t i = 0; i < m->nmodels; i++) {
        free(m->models[i].labels);
        prom_histogram_free(&m->models[i].ttft);
    }
    free(m->models);
    m->models = NULL;
    m->nmodels = 0;
}

/* vLLM's CacheConfig as an info gauge, its labels in vLLM's (sorted) order and Python's
 * spelling of the values; only the fields that mean something for the mock. */
static void cache_config_info(struct buf *out, int block_size, size_t num_gpu_blocks)
{
    struct buf lab;

    buf_init(&lab, 256);
    buf_appendf(&lab,
                "block_size=\"%d\",cache_dtype=\"auto\",enable_prefix_caching=\"True\","
                "engine=\"0\",num_gpu_blocks=\"%zu\"",
                block_size, num_gpu_blocks);
    prom_family(out, "vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig");
    prom_sample(out, "vllm:cache_config_info", buf_cstr(&lab), 1);
    buf_free(&lab);
}

static void engine_metrics(struct buf *out, const char *labels, const struct mock_engine_stats *st)
{
    double usage = st->kv_capacity > 0 ? (double)st->kv_used / (double)st->kv_capacity : 0;

    prom_family(out, "vllm:num_requests_running", "gauge",
                "Number of requests in model execution batches.");
    prom_sample(out, "vllm:num_requests_running", labels, (double)st->running);
    prom_family(out, "vllm:num_requests_waiting", "gauge",
                "Number of requests waiting to be processed.");
    prom_sample(out, "vllm:num_requests_waiting", labels, (double)st->waiting);
    prom_family(out, "vllm:gpu_cache_usage_perc", "gauge",
                "KV-cache usage. 1 means 100 percent usage.");
    prom_sample(out, "vllm:gpu_cache_usage_perc", labels, usage);
    prom_family(out, "vllm:kv_cache_usage_perc", "gauge",
                "KV-cache usage. 1 means 100 percent usage.");
    prom_sample(out, "vllm:kv_cache_usage_perc", labels, usage);
    prom_family(out, "vllm:prefix_cache_queries_total", "counter",
                "Prefix cache queries, in terms of number of queried tokens.");
    prom_sample(out, "vllm:prefix_cache_queries_total", labels, (double)st->queries_tokens);
    prom_family(out, "vllm:prefix_cache_hits_total", "counter",
                "Prefix cache hits, in terms of number of cached tokens.");
    prom_sample(out, "vllm:prefix_cache_hits_total", labels, (double)st->hits_tokens);
    prom_family(out, "mock:kv_cache_evictions_total", "counter",
                "Blocks evicted from the simulated prefix cache.");
    prom_sample(out, "mock:kv_cache_evictions_total", labels, (double)st->evictions);
    prom_family(out, "mock:kv_cache_cached_blocks", "gauge",
                "Blocks in the simulated prefix cache, held by running requests or not.");
    prom_sample(out, "mock:kv_cache_cached_blocks", labels, (double)st->kv_cached);
    prom_family(out, "mock:kv_cache_overcommitted_blocks_total", "counter",
                "Blocks running requests took beyond the capacity (--hold-running on).");
    prom_sample(out, "mock:kv_cache_overcommitted_blocks_total", labels,
                (double)st->kv_overcommitted);
}

void mock_metrics_write(struct buf *out, const struct mock_metrics *m,
                        const struct mock_engine_stats *st)
{
    struct buf lab;

    cache_config_info(out, m->block_size, st->kv_capacity);
    engine_metrics(out, m->nmodels > 0 ? m->models[0].labels : "", st);
    buf_init(&lab, BUF_UNLIMITED);
    prom_family(out, "vllm:request_success_total", "counter",
                "Count of successfully processed requests.");
    for (size_t i = 0; i < m->nmodels; i++) {
        const struct mock_metrics_model *mm = &m->models[i];
        buf_reset(&lab);
        buf_appendf(&lab, "finished_reason=\"length\",%s", mm->labels);
        prom_sample(out, "vllm:request_success_total", buf_cstr(&lab), (double)mm->finished_length);
        buf_reset(&lab);
        buf_appendf(&lab, "finished_reason=\"stop\",%s", mm->labels);
        prom_sample(out, "vllm:request_success_total", buf_cstr(&lab), (double)mm->finished_stop);
    }
    buf_free(&lab);
    prom_family(out, "mock:request_failures_total", "counter",
                "Generation requests answered with an injected failure (--fail-rate).");
    for (size_t i = 0; i < m->nmodels; i++)
        prom_sample(out, "mock:request_failures_total", m->models[i].labels,
                    (double)m->models[i].failed);
    prom_family(out, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.");
    for (size_t i = 0; i < m->nmodels; i++)
        prom_sample(out, "vllm:prompt_tokens_total", m->models[i].labels,
                    (double)m->models[i].prompt_tokens);
    prom_family(out, "vllm:generation_tokens_total", "counter",
                "Number of generation tokens processed.");
    for (size_t i = 0; i < m->nmodels; i++)
        prom_sample(out, "vllm:generation_tokens_total", m->models[i].labels,
                    (double)m->models[i].generation_tokens);
    prom_family(out, "vllm:time_to_first_token_seconds", "histogram",
                "Histogram of time to first token in seconds.");
    for (size_t i = 0; i < m->nmodels; i++)
        prom_histogram_write(out, "vllm:time_to_first_token_seconds", m->models[i].labels,
                             &m->models[i].ttft);
}
