/* What the router needs from an OpenAI-style request body, found in one validating pass over
 * the bytes without building a tree or copying the body: the top-level "model",
 * "prompt_cache_key", "user" and "stream", the decoded size of the prompt text (reference §2.5.1
 * item 3) and where the prompt text pieces lie, for prefix hashing. Unlike the reference, each
 * field is judged on its own (a token-id prompt or a numeric prompt_cache_key does not lose the
 * model). Depends on libc only. */
#ifndef SVC_ROUTER_MODEL_EXTRACT_H
#define SVC_ROUTER_MODEL_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#define RT_EXTRACT_MODEL_MAX 256 /* buffer bytes, including the NUL: names up to 255 bytes */
#define RT_EXTRACT_KEY_MAX   512 /* buffer bytes, including the NUL: keys up to 511 bytes */
#define RT_EXTRACT_MAX_SPANS 128
#define RT_EXTRACT_MAX_DEPTH 128 /* deepest nesting of objects and arrays, the body included */

enum rt_extract_span_kind {
    RT_EXTRACT_SPAN_ROLE,    /* a message's "role" */
    RT_EXTRACT_SPAN_CONTENT, /* a message's string "content", or a part's "text" or "content" */
    RT_EXTRACT_SPAN_PROMPT,  /* "prompt" as a string, or one string of a "prompt" array */
};

/* Raw bytes of one string between its quotes, escapes undecoded: body[off .. off+len). */
struct rt_extract_span {
    size_t off;
    size_t len;
    enum rt_extract_span_kind kind;
};

struct rt_extract {
    /* True when the whole body is one valid JSON object (RFC 8259: strict numbers, strings of
     * valid UTF-8 without raw control characters or lone surrogates, nothing after the object
     * but whitespace) nested no deeper than RT_EXTRACT_MAX_DEPTH. When false, every other
     * field is empty: nothing is taken from a body the backend may read differently. */
    bool json_ok;

    /* Top-level "model" when it is a string of at most RT_EXTRACT_MODEL_MAX - 1 decoded bytes:
     * decoded, NUL-terminated, model_len bytes (it may contain NUL bytes from \u0000: compare
     * with model_len). Longer: absent with model_too_long set. Other types: absent. */
    bool has_model;
    bool model_too_long;
    char model[RT_EXTRACT_MODEL_MAX];
    size_t model_len;

    /* Top-level "prompt_cache_key" when it is a non-empty string; same rules as model. */
    bool has_key;
    bool key_too_long;
    char key[RT_EXTRACT_KEY_MAX];
    size_t key_len;

    /* Top-level "user" (the OpenAI end-user id, a session for affinity) when it is a non-empty
     * string; same rules as prompt_cache_key. */
    bool has_user;
    bool user_too_long;
    char user[RT_EXTRACT_KEY_MAX];
    size_t user_len;

    /* Top-level "stream" is the literal true. */
    bool stream;

    /* Decoded UTF-8 bytes of the prompt text: when the top-level "messages" is an array, the
     * sum over its object elements of "content" when a string, or, when an array, of the "text"
     * and "content" strings of its object elements (image parts and roles count 0); otherwise
     * the top-level "prompt" when a string, or the sum of the strings in it when an array
     * (token ids count 0); otherwise 0. */
    size_t content_bytes;

    /* The pieces counted above, in body order, except that each message's "role" comes before
     * that message's content pieces; when "messages" is an array, only its pieces. At most
     * RT_EXTRACT_MAX_SPANS; spans_truncated says pieces are missing (more pieces than that, or,
     * with duplicate keys, a "messages" array later replaced by a non-array hid the prompt's). */
    size_t n_spans;
    bool spans_truncated;
    struct rt_extract_span spans[RT_EXTRACT_MAX_SPANS];
};

/* Scans `len` bytes at `body` (borrowed; need not be NUL-terminated; may be NULL when len is 0)
 * and fills `out` (every field is written). Only top-level keys count: a "model" inside messages
 * is ignored. With duplicate top-level keys the last one wins, each field on its own; inside
 * messages and parts every "role", "content" and "text" counts. Never fails hard: a malformed
 * body gives json_ok = false and no fields, whatever was found before the error. Returns 0. */
int rt_extract_body(const char *body, size_t len, struct rt_extract *out);

/* Decodes the escape at `esc` (a backslash inside a string rt_extract_body() accepted, so it
 * is complete and valid; a high surrogate's \u is followed by its low one) into `out` as UTF-8.
 * Returns the bytes written (1..4) and sets *used to the escape's length (2, 6 or 12). */
size_t rt_extract_unescape(const char *esc, char out[4], size_t *used);

#endif
