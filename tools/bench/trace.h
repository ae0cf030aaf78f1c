/* Replay of production traces in the Mooncake format: one JSON object per line with
 * "timestamp" (ms), "input_length" and "output_length" (tokens) and "hash_ids" (one id per
 * 512-token block of the input; equal ids = equal prefix blocks), turned into benchmark records.
 *  - Text: each hash id becomes a deterministic block of 512 x chars_per_token bytes of
 *    readable filler words drawn from a generator seeded by the id alone (not by --seed, so a
 *    trace always replays the same text), led by a tag of the id (tools/bench/dataset's code), so
 *    equal ids give equal text and different ids differ within their first bytes. A request's
 *    prompt is its blocks concatenated, cut to input_length x chars_per_token bytes.
 *  - Records: {"prompt","conversation_id","prefix_id","max_tokens","timestamp"}. A conversation
 *    is the set of records that share their first hash id; both ids are that first hash id, so
 *    the key patterns {conversation_id} and {prefix_id} name it. max_tokens = output_length (at
 *    least 1); timestamp as given. Records are ordered by timestamp (stable).
 *  - Sampling: 1 in M conversations are kept, whole, chosen by a hash of the first id (the same
 *    choice in every run).
 * Depends on cJSON, common/{json,buf,err,hash} and tools/bench/{dataset,rng}. Blocking file
 * I/O: call before the event loop runs. */
#ifndef SVC_TOOLS_BENCH_TRACE_H
#define SVC_TOOLS_BENCH_TRACE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct err_msg;
struct bench_dataset;

/* Tokens per hash id in the Mooncake format. */
#define BENCH_TRACE_BLOCK_TOKENS 512

struct bench_trace_opts {
    int chars_per_token;      /* bytes of text per token, >= 1 */
    int sample_conversations; /* keep 1 in M conversations; <= 1 keeps all */
};

/* Appends the first `len` bytes of hash id `id`'s text to `out` (the full block is
 * BENCH_TRACE_BLOCK_TOKENS x chars_per_token bytes; a shorter `len` gives its prefix). */
void bench_trace_block_text(unsigned long long id, size_t len, struct buf *out);

/* Whether sampling 1 in `m` keeps the conversation whose first hash id is `first_id`. */
bool bench_trace_keeps(unsigned long long first_id, int m);

/* Reads the trace at `path` into records appended to `out` (empty on entry; release with
 * bench_dataset_free()). 0; or a negative code with `err` set: an unreadable file, invalid JSON,
 * a record without a valid field ("<path>:<line>: ..."), or no record left after sampling. */
int bench_trace_load(const char *path, const struct bench_trace_opts *o, struct bench_dataset *out,
                     struct err_msg *err);

/* Send times of the first `n` records of `d` (loaded by bench_trace_load): seconds after the
 * first record, (timestamp_i - timestamp_0) / 1000 / time_scale; time_scale > 1 replays faster.
 */
void bench_trace_arrivals(const struct bench_dataset *d, size_t n, double time_scale, double *out);

#endif
