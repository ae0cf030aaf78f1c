/* Aggregate metrics of a run, computed from the per-request outcomes the way vLLM's `bench
 * serve` computes them (token totals, throughputs and latency statistics over successful
 * requests only; TPOT only for requests with more than one output token), plus this tool's
 * additions: per-instance request counts, the cache hit/miss split and the prefix-cache hit
 * rate. Pure; depends on tools/bench/outcome and tools/bench/stats. */
#ifndef SVC_TOOLS_BENCH_SUMMARY_H
#define SVC_TOOLS_BENCH_SUMMARY_H

#include <stddef.h>

#include "stats.h"

struct bench_outcome;

struct bench_instance_count {
    char *name; /* owned */
    size_t requests;
};

struct bench_summary {
    size_t completed, failed;
    double duration_s;
    long long total_input, total_output, total_cached;                    /* successful requests */
    double request_throughput, output_throughput, total_token_throughput; /* per second */
    double max_output_tokens_per_s;             /* busiest one-second bucket of text chunks */
    size_t max_concurrent;                      /* most requests in flight at once */
    struct bench_stats ttft, tpot, itl, e2el;   /* milliseconds */
    size_t hit_requests;                        /* successful with cached_tokens > 0 */
    size_t miss_requests;                       /* successful with cached_tokens == 0 */
    double mean_ttft_hit_ms, mean_ttft_miss_ms; /* NAN when there is no such request */
    double hit_rate; /* sum(cached_tokens) / sum(prompt_tokens); NAN when no prompt tokens */
    struct bench_instance_count *instances; /* sorted by name; owned */
    size_t ninstances;
};

/* Computes the summary of `n` outcomes (borrowed) over a run of `duration_s` seconds during
 * which at most `max_concurrent` requests were in flight. Release with bench_summary_free(). */
void bench_summary_compute(const struct bench_outcome *o, size_t n, double duration_s,
                           size_t max_concurrent, struct bench_summary *out);
/* Releases the owned fields. NULL-safe. */
void bench_summary_free(struct bench_summary *s);

#endif
