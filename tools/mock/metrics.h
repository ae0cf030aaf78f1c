/* infini-mock's Prometheus exposition under vLLM's metric names, so that scrapers written for
 * vLLM (the babysitter's load probe, dashboards) work unchanged: prefix-cache queries and hits
 * (tokens), running and waiting requests, KV cache usage, finished requests, prompt and
 * generation tokens, and a TTFT histogram, each labelled with model_name. Engine-wide values
 * carry the default (first) model's label, as a one-model vLLM instance would. The KV cache's
 * size is the info metric vllm:cache_config_info (value 1, the figures in its labels
 * block_size and num_gpu_blocks), labelled like vLLM's V1 engine.
 * Depends on common/prom, common/buf and tools/mock/engine (its stats struct). */
#ifndef SVC_TOOLS_MOCK_METRICS_H
#define SVC_TOOLS_MOCK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "prom.h"

struct buf;
struct mock_engine_stats;

/* Counters of one served model. */
struct mock_metrics_model {
    char *labels; /* model_name="..." */
    uint64_t finished_length, finished_stop, failed;
    uint64_t prompt_tokens, generation_tokens;
    struct prom_histogram ttft; /* seconds */
};

struct mock_metrics {
    struct mock_metrics_model *models;
    size_t nmodels;
    int block_size; /* tokens per KV block, for vllm:cache_config_info */
};

/* Sets up counters for `n` models named `ids` (copied) on an engine whose KV blocks hold
 * `block_size` tokens. */
void mock_metrics_init(struct mock_metrics *m, char *const *ids, size_t n, int block_size);
void mock_metrics_close(struct mock_metrics *m);
/* Appends the exposition for `m` and the engine's `st` to `out`. */
void mock_metrics_write(struct buf *out, const struct mock_metrics *m,
                        const struct mock_engine_stats *st);

#endif
