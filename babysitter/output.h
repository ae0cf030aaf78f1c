/* Splits a child's output stream into lines for the log: bytes arrive in arbitrary chunks,
 * complete lines leave one at a time (without the newline or a trailing CR). A line longer
 * than BS_OUTPUT_LINE_MAX leaves in pieces of that size, so a child that never writes a newline
 * cannot make the babysitter buffer without bound. Pure: no I/O. Depends on libc only. */
#ifndef SVC_BABYSITTER_OUTPUT_H
#define SVC_BABYSITTER_OUTPUT_H

#include <stddef.h>

#define BS_OUTPUT_LINE_MAX 8192

/* One line (borrowed for the duration of the call; not NUL-terminated). */
typedef void (*bs_output_line_cb)(void *ud, const char *line, size_t len);

struct bs_output {
    bs_output_line_cb cb;
    void *ud;
    size_t len;
    char line[BS_OUTPUT_LINE_MAX];
};

void bs_output_init(struct bs_output *o, bs_output_line_cb cb, void *ud);
/* Consumes `n` bytes, calling the callback for every line they complete. */
void bs_output_feed(struct bs_output *o, const char *data, size_t n);
/* Emits a pending partial line, if any (at end of stream). */
void bs_output_flush(struct bs_output *o);

#endif
