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
 * Records are cJSON objects. Depends on cJSON, common/json, common/buf, common/err and
 * tools/bench/rng. Blocking file I/O: call before the event loop runs. */
#ifndef SVC_TOOLS_BENCH_DATASET_H
#define SVC_TOOLS_BENCH_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

struct err_msg;

enum bench_dataset_kind {
    BENCH_DATASET_SHARED_PREFIX = 0,
    BENCH_DATASET_MULTI_PREFIX,
    BENCH_DATASET_CONVERSATIONS,
};

struct bench_gen_params {
    enum bench_dataset_kind kind;
    /* shared-prefix and multi-prefix */
    int num_prompts;  /* >= 1 */
    int num_prefixes; /* >= 1; ignored (1) for shared-prefix */
    int prefix_len;   /* characters, >= 1 */
    int suffix_len;   /* characters, >= 0 */
    bool shuffle;
    /* conversations */
    int num_conversations; /* >= 1 */
    int messages_per_conv; /* turns per conversation, >= 1 */
    int context_len;       /* >= 1 */
    int new_msg_len;       /* >= 0 */
    unsigned long long seed;
};

/* An array of records (each a cJSON object owned by the dataset). */
struct bench_dataset {
    cJSON **recs;
    size_t n;
};

/* Parses "shared-prefix", "multi-prefix" or "conversations". 0, or SVC_EPARSE. */
int bench_dataset_kind_parse(const char *s, enum bench_dataset_kind *out);

/* Generates records into `out` (empty on entry; release with bench_dataset_free()).
 * 0, or SVC_EBADCONFIG with `err` set when a parameter is out of range. */
int bench_dataset_generate(const struct bench_gen_params *p, struct bench_dataset *out,
                           struct err_msg *err);

/* Writes one compact JSON object per line. 0, or a negative libuv code with `err` set. */
int bench_dataset_save(const struct bench_dataset *d, const char *path, struct err_msg *err);

/* Reads a JSONL file (blank lines skipped); every record must be an object with a string
 * "prompt" or an array "messages". 0, or a negative code with `err` naming the line. */
int bench_dataset_load(const char *path, struct bench_dataset *out, struct err_msg *err);

/* Releases the records and empties `d`. NULL-safe. */
void bench_dataset_free(struct bench_dataset *d);

#endif
