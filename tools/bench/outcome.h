/* What happened to one benchmark request: timings, token counts, the instance that served it and
 * the error, if any. Filled by the runner, read by the summary and the result file. Pure; depends
 * on libc only. */
#ifndef SVC_TOOLS_BENCH_OUTCOME_H
#define SVC_TOOLS_BENCH_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialise, then fill; release the owned fields with bench_outcome_free(). */
struct bench_outcome {
    bool sent;      /* the request was started */
    bool ok;        /* a complete, successful response arrived */
    int status;     /* HTTP status, 0 when none arrived */
    double start_s; /* when it was sent, seconds after the benchmark started */
    double ttft_s;  /* first generated text, from start (the whole latency when not streamed) */
    double e2e_s;   /* last byte, from start */
    double *itls;   /* gaps between chunks carrying text, seconds (owned) */
    size_t nitls, itls_cap;
    size_t text_chunks;          /* chunks that carried generated text */
    long long prompt_tokens;     /* from usage; -1 when the server did not say */
    long long completion_tokens; /* from usage; -1 when the server did not say */
    long long cached_tokens;     /* usage.prompt_tokens_details.cached_tokens; -1 when absent */
    long long prompt_estimate;   /* prompt tokens guessed from its length (chars / 4) */
    char *instance;              /* X-Infini-Instance, else X-Mock-Instance (owned; may be NULL) */
    char *error;                 /* why it failed (owned; NULL when ok) */
};

/* Releases the owned fields and zeroes `o`. NULL-safe. */
void bench_outcome_free(struct bench_outcome *o);
/* Appends one inter-token gap. */
void bench_outcome_add_itl(struct bench_outcome *o, double gap_s);
/* Replaces the error text with a printf-style message (truncated to a few hundred bytes). */
void bench_outcome_set_error(struct bench_outcome *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Output tokens: usage.completion_tokens when reported, else the number of text chunks (one token
 * per chunk, as servers stream them). 0 for a failed request. */
long long bench_outcome_output_tokens(const struct bench_outcome *o);
/* Input tokens: usage.prompt_tokens when reported, else the length-based estimate. */
long long bench_outcome_input_tokens(const struct bench_outcome *o);
/* Cached prompt tokens: 0 when not reported or failed. */
long long bench_outcome_cached_tokens(const struct bench_outcome *o);

#endif
