/* Benchmark datasets: generation of synthetic prompt sets and JSONL load/save.
 * Kinds (all text is readable filler words, deterministic for a seed):
 *  - shared-prefix: every prompt = the same prefix + a unique suffix (multi-prefix with K = 1).
 *  - multi-prefix:  K prefixes that differ from their first character on; prompt i uses prefix
 *    i % K (a seeded permutation of that assignment with `shuffle`) + a unique suffix whose
 *    first character differs among the first 52 prompts of a prefix. Records:
 *    {"prompt","messages":[{"role":"user","content":prompt}],"prefix_id","request_id"}.
 *  - conversations: the reference's accumulate-context shape: turn t of conversation c appends
 *    a user message (context_len chars at t = 0, new_msg_len after) and a simulated assistant
 *    reply (context_len chars); each record carries the whole history so far:
 *    {"messages","prompt" ("<role>: <content>" lines joined by \n),"prompt_cache_key":"conv_<c>",
 *    "conversation_id","message_index","prefix_id"}; conversations are interleaved in a seeded
 *    order while each keeps its turn order.
 *  - trace: a synthetic trace in the Mooncake format (tools/bench/tracegen), not prompts: to be
 *    written by `gen` and replayed with tools/bench/trace.
 * Multi-prefix can be skewed: with hot_share s > 0, prefix 0 gets s of the requests (spread
 * evenly through the run before any shuffle) and the others share the rest in turn.
 * Records are cJSON objects. Depends on cJSON, common/json, common/buf, common/err and
 * tools/bench/{rng,tracegen}. Blocking file I/O: call before the event loop runs. */
#ifndef SVC_TOOLS_BENCH_DATASET_H
#define SVC_TOOLS_BENCH_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

struct buf;
struct err_msg;
struct bench_rng;

enum bench_dataset_kind {
    BENCH_DATASET_SHARED_PREFIX = 0,
    BENCH_DATASET_MULTI_PREFIX,
    BENCH_DATASET_CONVERSATIONS,
    BENCH_DATASET_TRACE,
};

struct bench_gen_params {
    enum bench_dataset_kind kind;
    /* shared-prefix and multi-prefix */
    int num_prompts;  /* >= 1 */
    int num_prefixes; /* >= 1; ignored (1) for shared-prefix */
    int prefix_len;   /* characters, >= 1 */
    int suffix_len;   /* characters, >= 0 */
    bool shuffle;
    double hot_share; /* multi-prefix: share of requests on prefix 0, 0..1 (0: even) */
    /* conversations (and trace) */
    int num_conversations; /* >= 1 */
    int messages_per_conv; /* turns per conversation, >= 1 */
    int context_len;       /* >= 1 */
    int new_msg_len;       /* >= 0 */
    /* trace (also num_conversations, messages_per_conv, num_prefixes, the lengths above) */
    int chars_per_token; /* >= 1: converts the character lengths to tokens */
    double rate;         /* requests/s of the timestamps, > 0 */
    unsigned long long seed;
};

/* An array of records (each a cJSON object owned by the dataset). */
struct bench_dataset {
    cJSON **recs;
    size_t n;
};

/* Parses "shared-prefix", "multi-prefix", "conversations" or "trace". 0, or SVC_EPARSE. */
int bench_dataset_kind_parse(const char *s, enum bench_dataset_kind *out);

/* Generates records into `out` (empty on entry; release with bench_dataset_free()).
 * 0, or SVC_EBADCONFIG with `err` set when a parameter is out of range. */
int bench_dataset_generate(const struct bench_gen_params *p, struct bench_dataset *out,
                           struct err_msg *err);

/* Appends exactly `len` characters to `out`: `lead`, then words drawn from `r`, cut at `len`
 * (so `lead` itself may be cut). */
void bench_dataset_filler(struct bench_rng *r, const char *lead, size_t len, struct buf *out);

/* Appends a short tag for `k` whose first character cycles fastest (base 52, least significant
 * digit first): tags of 0..51 differ in their first character, all tags within a few. */
void bench_dataset_code(struct buf *out, unsigned long long k);

/* Called for each non-blank line of a JSONL file with the parsed value (owned by the callee) and
 * the 1-based line number; returns 0 to go on, or a negative code with `err` set to stop. */
typedef int (*bench_dataset_line_cb)(void *ud, cJSON *value, int line_no, struct err_msg *err);

/* Reads the JSONL file at `path` line by line (CR LF accepted), calling `cb` for every value.
 * 0; a negative libuv code for an unreadable file or SVC_EPARSE for invalid JSON, with `err`
 * saying "<path>:<line>: ..."; or what `cb` returned. */
int bench_dataset_read_jsonl(const char *path, bench_dataset_line_cb cb, void *ud,
                             struct err_msg *err);

/* Appends `rec` (taken) to `d`. */
void bench_dataset_push(struct bench_dataset *d, cJSON *rec);

/* Writes one compact JSON object per line. 0, or a negative libuv code with `err` set. */
int bench_dataset_save(const struct bench_dataset *d, const char *path, struct err_msg *err);

/* Reads a JSONL file (blank lines skipped); every record must be an object with a string
 * "prompt" or an array "messages". 0, or a negative code with `err` naming the line. */
int bench_dataset_load(const char *path, struct bench_dataset *out, struct err_msg *err);

/* Releases the records and empties `d`. NULL-safe. */
void bench_dataset_free(struct bench_dataset *d);

#endif
