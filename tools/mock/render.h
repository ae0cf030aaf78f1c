/* infini-mock's response bodies, built with printf-style templates into a buf (no JSON trees on
 * the hot path): chat.completion / text_completion objects, their SSE chunks, usage objects and
 * embeddings. Keys are written in sorted order, compact, like every JSON this project prints.
 * Generated text: token i is word i of "Hello from <name> (model: <model>)" followed by
 * deterministic filler words; every word but the first has a leading space. Pure; depends on
 * common/buf and common/json (escaping, at setup only). */
#ifndef SVC_TOOLS_MOCK_RENDER_H
#define SVC_TOOLS_MOCK_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct mock_words;

enum mock_render_api {
    MOCK_RENDER_CHAT,       /* chat.completion(.chunk), "chatcmpl-" ids */
    MOCK_RENDER_COMPLETION, /* text_completion, "cmpl-" ids */
};

/* Words for instance `name` serving `model` (both copied and JSON-escaped). Never NULL; release
 * with mock_render_words_free(). */
struct mock_words *mock_render_words_new(const char *name, const char *model);
void mock_render_words_free(struct mock_words *w);
/* The model id as a JSON string literal, quotes included (borrowed from `w`). */
const char *mock_render_model_json(const struct mock_words *w);

struct mock_render_reply {
    enum mock_render_api api;
    const struct mock_words *words;
    uint64_t id;
    long long created; /* Unix seconds */
    int prompt_tokens, cached_tokens;
    int completion_tokens;     /* of one choice; usage counts them n times */
    int n;                     /* choices, each with the same text (0 or 1: one) */
    const char *finish_reason; /* "length" or "stop" */
};

/* Appends the complete non-streaming response object. */
void mock_render_completion(struct buf *out, const struct mock_render_reply *r);
/* Appends one SSE event "data: {...}\n\n" per choice carrying token `token` (0-based); the chat
 * chunk of token 0 also carries the assistant role. */
void mock_render_chunk(struct buf *out, const struct mock_render_reply *r, int token);
/* The last content-less chunk carrying finish_reason, one per choice. */
void mock_render_final_chunk(struct buf *out, const struct mock_render_reply *r);
/* The usage chunk (empty choices) sent when stream_options.include_usage is true. */
void mock_render_usage_chunk(struct buf *out, const struct mock_render_reply *r);
/* "data: [DONE]\n\n". */
void mock_render_done(struct buf *out);

/* Appends an embeddings list for `count` NUL-terminated inputs packed in `inputs` (as
 * mock_prompt_inputs writes them): 8 deterministic floats of unit length per input, derived
 * from its bytes and `seed`, and usage counting ceil(bytes / chars_per_token) per input. With
 * `base64` each embedding is the base64 of its little-endian float32 values (OpenAI's
 * encoding_format "base64", the official SDKs' default) instead of a JSON array. */
void mock_render_embeddings(struct buf *out, const struct mock_words *w, const char *inputs,
                            size_t count, int chars_per_token, uint64_t seed, bool base64);

#endif
