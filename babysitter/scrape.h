/* Load figures from a model server's Prometheus text exposition (format 0.0.4), as vLLM
 * publishes them: vllm:num_requests_running and vllm:num_requests_waiting (summed over every
 * label set: one per engine or model), vllm:kv_cache_usage_perc or its older name
 * vllm:gpu_cache_usage_perc (a fraction per engine: averaged over label sets, because a sum of
 * fractions would leave 0..1), and the KV cache's size in tokens from the info metric
 * vllm:cache_config_info (num_gpu_blocks x block_size, read from its labels; summed over label
 * sets, one per data-parallel engine; a set whose figures are missing or "None" is skipped).
 * Comments, other metrics and malformed lines are skipped. Pure: no I/O. Depends on cJSON
 * through common/json. */
#ifndef SVC_BABYSITTER_SCRAPE_H
#define SVC_BABYSITTER_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

struct bs_load {
    double running;            /* requests being processed */
    double waiting;            /* requests queued */
    double kv_usage;           /* 0..1 */
    double kv_capacity_tokens; /* KV cache size: num_gpu_blocks x block_size, summed */
    double block_size;         /* tokens per KV block (the first engine's) */
    bool has_running, has_waiting, has_kv, has_capacity;
};

/* Parses `len` bytes of exposition text (need not be NUL-terminated) into *out (zeroed first).
 * Returns true when at least one of the metrics above was found with a finite value; false
 * means "this server has no vLLM-style metrics" and the heartbeat carries no load. */
bool bs_scrape_parse(const char *text, size_t len, struct bs_load *out);

/* Builds the heartbeat's load object {"block_size","in_flight","kv_capacity_tokens",
 * "kv_usage","running","updated","waiting"} (in_flight = running + waiting; kv_usage,
 * kv_capacity_tokens and block_size only when known; `updated` = floor(now) Unix seconds).
 * Returns a new object the caller frees with cJSON_Delete(). */
cJSON *bs_scrape_load_json(const struct bs_load *load, double now);

#endif
