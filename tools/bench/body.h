/* Request bodies for the OpenAI endpoints, built from dataset records before the run starts (so
 * no JSON work happens while requests are timed). Chat bodies carry the record's "messages"
 * (or one user message holding its "prompt"); completion bodies carry its "prompt" (or the
 * messages as "<role>: <content>" lines). Pure; depends on cJSON, common/json, common/buf and
 * tools/bench/keypattern. */
#ifndef SVC_TOOLS_BENCH_BODY_H
#define SVC_TOOLS_BENCH_BODY_H

#include <stdbool.h>

#include <cJSON.h>

struct buf;
struct err_msg;
struct bench_keypattern;

enum bench_endpoint {
    BENCH_ENDPOINT_CHAT = 0,    /* /v1/chat/completions */
    BENCH_ENDPOINT_COMPLETIONS, /* /v1/completions */
};

struct bench_body_opts {
    enum bench_endpoint endpoint;
    const char *model;                  /* borrowed */
    bool stream;                        /* adds stream_options.include_usage */
    int max_tokens;                     /* > 0: sent; 0: the record's max_tokens, if any */
    int max_output_tokens;              /* > 0: cap on the above, sent even when neither is */
    const struct bench_keypattern *key; /* borrowed; NULL: the record's prompt_cache_key */
    bool no_cache_key;                  /* send no prompt_cache_key at all */
    const cJSON *extra;                 /* object merged last (wins); borrowed; may be NULL */
};

/* Appends the body of request number `request_id` made from `rec` (borrowed) to `out`.
 * 0; SVC_ENOTFOUND with `err` set when the key pattern needs a field the record lacks. */
int bench_body_build(const struct bench_body_opts *o, const cJSON *rec, long long request_id,
                     struct buf *out, struct err_msg *err);

/* Characters of the record's prompt text (for a token estimate when the server reports none). */
size_t bench_body_prompt_chars(const cJSON *rec);

#endif
