/* Engine tokenization for the router (`--tokenizer engine`, DESIGN.md section 4b): asks one
 * instance of the request's model for the request's exact token ids with vLLM's POST /tokenize,
 * sending the request's own `messages` (plus add_generation_prompt, tools, chat_template_kwargs
 * and continue_final_message as the client sent them, copied verbatim) or `prompt`, so that the
 * engine applies its own chat template. The answer {"count", "max_model_len", "tokens": [...]}
 * becomes uint32 ids, which rt_kv_chain (router/kv_index) hashes with the instance's block size
 * to look the request up in the KV event index. Any failure (timeout, HTTP error, malformed
 * answer) is reported once through the callback; the caller then falls back to the approximate
 * prefix index. Depends on common/http_fetch, common/json, common/buf. Loop thread only. */
#ifndef SVC_ROUTER_TOKENIZE_H
#define SVC_ROUTER_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct http_fetch;
struct rt_tokenize_req;

#define RT_TOKENIZE_DEFAULT_TIMEOUT_MS 50
#define RT_TOKENIZE_MAX_TOKENS         (1u << 22) /* ids accepted in one answer */
#define RT_TOKENIZE_MAX_HEADERS        8          /* extra header lines passed on */

/* Appends the /tokenize body for the client request body `body` (`len` bytes, borrowed; an
 * OpenAI chat request when `chat`, else a completions request) to `out`. 0; SVC_EPARSE when
 * the body is not a JSON object with a model and messages (chat) or prompt (completions);
 * SVC_ELIMIT when `out` is full. */
int rt_tokenize_body(const char *body, size_t len, bool chat, struct buf *out);

/* Parses vLLM's /tokenize answer (`len` bytes, borrowed). On success returns 0 with *ids a
 * malloc'ed array of *n ids (the caller frees it; NULL when n is 0). SVC_EPARSE when the
 * answer is not {"tokens": [integers 0..2^32-1], ...} or "count" disagrees with the tokens;
 * SVC_ELIMIT above RT_TOKENIZE_MAX_TOKENS. */
int rt_tokenize_parse(const char *body, size_t len, uint32_t **ids, size_t *n);

/* Called exactly once per request unless it was cancelled: rc 0 with the ids (borrowed, valid
 * during the call), or a negative code (UV_ETIMEDOUT, SVC_EHTTP for a non-200 answer,
 * SVC_EPARSE, a transport error) with ids NULL and n 0. */
typedef void (*rt_tokenize_cb)(void *ud, int rc, const uint32_t *ids, size_t n);

/* POSTs `tok_body` (`len` bytes from rt_tokenize_body; copied) to `base_url` + "/tokenize"
 * through `f` (borrowed; a fetcher that keeps connections alive pays no connect per call),
 * with a total timeout of `timeout_ms` (0 = RT_TOKENIZE_DEFAULT_TIMEOUT_MS). Content-Type:
 * application/json is sent; `headers` (NULL-terminated "Name: value" lines, at most
 * RT_TOKENIZE_MAX_HEADERS, copied; may be NULL) adds e.g. the client's Authorization for an
 * engine started with --api-key. Returns a
 * handle valid until the callback returns or rt_tokenize_cancel; NULL (no callback) only for a
 * NULL URL or callback. */
struct rt_tokenize_req *rt_tokenize_start(struct http_fetch *f, const char *base_url,
                                          const char *tok_body, size_t len,
                                          const char *const *headers, uint64_t timeout_ms,
                                          rt_tokenize_cb cb, void *ud);
/* Abandons a request: no callback. Not from inside the callback. */
void rt_tokenize_cancel(struct rt_tokenize_req *r);

/* Whether a prompt of `content_bytes` (model_extract's count) is worth asking about: at least
 * `min_chars` (--tokenizer-min-chars), since a short prompt shares little worth routing for. */
bool rt_tokenize_worth(size_t content_bytes, size_t min_chars);

#endif
