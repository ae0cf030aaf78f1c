/* Reads the engine's token accounting out of a response as it streams past, without buffering
 * it: the last `"prompt_tokens": N` and `"cached_tokens": N` (OpenAI's
 * usage.prompt_tokens_details.cached_tokens) in a JSON body or in SSE events, whatever the chunk
 * boundaries. A byte-at-a-time state machine over the raw bytes: a key counts only when its
 * opening quote is not escaped, so the same words inside generated text (where quotes appear
 * as \") never match. Pure; depends on libc only. */
#ifndef SVC_ROUTER_USAGE_SCAN_H
#define SVC_ROUTER_USAGE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_usage_scan {
    /* Results: the last value seen of each key. */
    bool has_prompt, has_cached;
    uint64_t prompt_tokens, cached_tokens;
    /* State. */
    uint8_t state, key, pos;
    bool escaped; /* previous byte was a backslash that escapes the next one */
    uint64_t value;
};

/* Starts a scan (all results cleared). */
void rt_usage_scan_init(struct rt_usage_scan *s);
/* Feeds the next `len` bytes of the response body (borrowed). */
void rt_usage_scan_feed(struct rt_usage_scan *s, const char *data, size_t len);
/* Ends the scan: a number running to the very end of the body counts. */
void rt_usage_scan_finish(struct rt_usage_scan *s);

#endif
