/* Canonical prompt text of an OpenAI-style request body, as the mock engine hashes and counts
 * it. Chat `messages`: for each message, its role, a newline, its content and a newline; content
 * is a string, an array of parts (the `text` and `content` strings of each part, concatenated;
 * other parts such as images add nothing) or null. Completions `prompt`: a string, or an array of
 * strings joined with newlines (one prompt, not a batch). Embeddings `input` likewise. Token
 * counts are bytes / chars_per_token, rounded up. Pure; depends on cJSON (through common/json)
 * and common/buf. */
#ifndef SVC_TOOLS_MOCK_PROMPT_H
#define SVC_TOOLS_MOCK_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "buf.h"

struct err_msg;

/* What a generation request asks for, besides its prompt text. */
struct mock_prompt_args {
    struct slice model; /* ptr NULL when absent or null; borrowed from the body or its tree */
    bool stream;
    bool include_usage; /* stream_options.include_usage */
    bool max_given;     /* max_completion_tokens, else max_tokens, was set */
    int max_tokens;     /* when max_given */
    int n;              /* choices to generate, 1..MOCK_PROMPT_MAX_N (1 when absent or null) */
};

/* Largest accepted `n`. */
#define MOCK_PROMPT_MAX_N 16

/* Reads a chat (`chat` true) or completions request from its parsed body (borrowed): `args`,
 * and the canonical prompt text appended to `text`. 0; SVC_EPARSE with `err` naming the field
 * when a field has the wrong type or range (max tokens outside 1..max_tokens_limit) or the
 * prompt is missing or malformed; SVC_ELIMIT when `text` is full. */
int mock_prompt_request(const cJSON *body, bool chat, int max_tokens_limit,
                        struct mock_prompt_args *args, struct buf *text, struct err_msg *err);

/* Appends the canonical text of a chat request's `messages` (borrowed from the parsed body) to
 * `out`. 0, or SVC_EPARSE with `err` saying what is wrong (missing or empty messages, a message
 * that is not an object, a role or content of the wrong type), or SVC_ELIMIT when `out` is
 * full. */
int mock_prompt_chat(const cJSON *body, struct buf *out, struct err_msg *err);
/* Same for a completions request's `prompt` (a string or an array of strings). */
int mock_prompt_completion(const cJSON *body, struct buf *out, struct err_msg *err);
/* Same for an embeddings request's `input`; also stores the number of inputs in *count
 * (1 for a string). Each input's text is appended followed by a NUL byte so that callers can
 * walk them one by one. */
int mock_prompt_inputs(const cJSON *body, struct buf *out, size_t *count, struct err_msg *err);

/* ceil(bytes / chars_per_token); chars_per_token >= 1. */
int mock_prompt_tokens(size_t bytes, int chars_per_token);

#endif
