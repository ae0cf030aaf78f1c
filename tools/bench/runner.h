/* The load generator: sends pre-built request bodies on a libuv loop through
 * tools/bench/http_client (no threads, nothing blocking), at the scheduled arrival times and within
 * a concurrency limit, and records each request's outcome: TTFT (first SSE chunk carrying text,
 * from the moment the request was handed to the client), the gaps between text chunks, E2E latency,
 * usage counts (prompt, completion and cached tokens), the HTTP status, the serving instance
 * (X-Infini-Instance, else X-Mock-Instance) and the error text. A request waiting for a free
 * slot is timed from when it gets the slot, as in vLLM. SIGINT/SIGTERM stop the run early: the
 * requests in flight are cancelled and recorded as failed, unsent ones are left out.
 * Depends on libuv, tools/bench/http_client, common/loop and tools/bench/{sse,outcome,progress}. */
#ifndef SVC_TOOLS_BENCH_RUNNER_H
#define SVC_TOOLS_BENCH_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct buf;
struct bench_outcome;
struct bench_progress;

struct bench_runner_opts {
    const char *url;          /* the endpoint's full URL */
    const struct buf *bodies; /* n JSON bodies (borrowed) */
    const double *arrivals;   /* n send times in seconds, non-decreasing (borrowed) */
    size_t n;
    int max_concurrency;             /* 0: unlimited */
    double timeout_s;                /* per request, headers to last byte; 0: none */
    struct bench_progress *progress; /* may be NULL */
};

struct bench_runner_stats {
    double duration_s;     /* from the start to the last request's end */
    size_t max_concurrent; /* most requests in flight at once */
    bool interrupted;      /* stopped by a signal */
};

/* Runs the benchmark on `loop` (which must have no other active handles) until every request
 * has finished or a signal stopped it; the loop is left with no handles. `out` holds n zeroed
 * outcomes whose prompt_estimate the caller may preset; release each with bench_outcome_free().
 * 0, or a negative libuv code when the loop could not be set up (nothing was sent). */
int bench_runner_run(uv_loop_t *loop, const struct bench_runner_opts *o, struct bench_outcome *out,
                     struct bench_runner_stats *stats);

#endif
