/* Fast path for generation request bodies: one strict pass over the JSON, no tree and no
 * allocation, extracting only what infini-mock needs (model, stream, stream_options.
 * include_usage, max_tokens / max_completion_tokens, n) and writing the canonical prompt text
 * (tools/mock/prompt) on the way. It accepts only the common shapes and gives up whenever it is
 * not sure to agree with the cJSON path: invalid or unusual JSON (\u escapes, control bytes,
 * leading zeros, exponents in max_tokens, deep nesting), duplicate keys it reads, a message whose
 * content precedes its role, a part with both text and content, wrong types, out-of-range values
 * or a missing prompt. The caller then runs the cJSON path, which also words the errors; every
 * body accepted here gives the cJSON path's result (a differential unit test checks this).
 * Pure; depends on common/buf and tools/mock/prompt (the arguments struct). */
#ifndef SVC_TOOLS_MOCK_SCAN_H
#define SVC_TOOLS_MOCK_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "prompt.h"

struct buf;

/* Scans `len` bytes of a chat (`chat` true: `messages`) or completions (`prompt`) body, appending
 * the canonical prompt text to `text`. Returns true with `out` filled (its model slice points into
 * `body`) exactly as mock_prompt_request() would fill it, or false when the caller must use the
 * cJSON path (`text` then holds garbage: reset it). */
bool mock_scan_generation(const char *body, size_t len, bool chat, int max_tokens_limit,
                          struct mock_prompt_args *out, struct buf *text);

#endif
