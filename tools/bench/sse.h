/* Incremental server-sent-events parsing and the interpretation of OpenAI-style chunks.
 * Bytes arrive in arbitrary pieces (a `data:` line may be split anywhere, even between \r and
 * \n); the parser keeps the unfinished line and hands each complete event's data to a callback.
 * Lines end with \n, \r\n or \r; `data:` lines of one event are joined with \n; comments (":")
 * and other fields are ignored; a blank line ends the event. Pure; depends on common/buf,
 * common/json and common/err. */
#ifndef SVC_TOOLS_BENCH_SSE_H
#define SVC_TOOLS_BENCH_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Embedded by the caller; release with bench_sse_free(). */
struct bench_sse {
    struct buf line; /* the unfinished line */
    struct buf data; /* data of the unfinished event */
    bool has_data;
    bool after_cr; /* the last byte was \r: a \n right after it ends nothing new */
};

/* Called with one event's data: NUL-terminated, borrowed until the callback returns. A negative
 * return stops parsing and is handed back by bench_sse_feed(). */
typedef int (*bench_sse_event_cb)(void *ud, const char *data, size_t len);

/* Initialises a parser whose lines and events may not exceed `max_event` bytes. */
void bench_sse_init(struct bench_sse *s, size_t max_event);
void bench_sse_free(struct bench_sse *s);

/* Consumes `len` bytes. 0; SVC_ELIMIT when a line or event is larger than the maximum; or the
 * callback's negative value. */
int bench_sse_feed(struct bench_sse *s, const char *p, size_t len, bench_sse_event_cb cb, void *ud);
/* End of stream: dispatches an event whose closing blank line never came (servers that end
 * with a single newline). Same results as bench_sse_feed(). */
int bench_sse_finish(struct bench_sse *s, bench_sse_event_cb cb, void *ud);

#define BENCH_SSE_ERROR_MAX 200

/* What one chunk (or a whole non-streamed response) says. */
struct bench_sse_chunk {
    bool done;          /* the "[DONE]" sentinel */
    bool has_choices;   /* a non-empty choices array */
    size_t content_len; /* bytes of generated text: delta.content, delta.reasoning_content,
                           message.content or text */
    bool has_usage;
    long long prompt_tokens, completion_tokens, cached_tokens; /* -1 when absent */
    char error[BENCH_SSE_ERROR_MAX]; /* the chunk's error message; "" when none */
};

/* Interprets one event's data or one complete JSON response body. 0, or SVC_EPARSE when it is
 * neither [DONE] nor a JSON object (`out` then says nothing). */
int bench_sse_chunk_parse(const char *data, size_t len, struct bench_sse_chunk *out);

#endif
