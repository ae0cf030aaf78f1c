/* Bounded growable byte buffer and (ptr,len) slices.
 * Every buffer has a maximum set at init; appends past it fail with SVC_ELIMIT and leave the
 * buffer unchanged (the curl dynbuf rule). The bytes are always followed by a NUL that is not
 * counted in `len`, so a buffer holding text can be used as a C string. Depends on libc only. */
#ifndef SVC_COMMON_BUF_H
#define SVC_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap; /* allocated bytes, including the NUL */
    size_t max; /* largest allowed `len` */
};

/* A borrowed view of bytes; not NUL-terminated. */
struct slice {
    const char *ptr;
    size_t len;
};

#define BUF_UNLIMITED ((size_t)-1 / 2)

/* Initialises an empty buffer that may grow to `max` bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Releases the memory; the buffer is empty and may be reused. NULL-safe. */
void buf_free(struct buf *b);
/* Empties the buffer and keeps its memory. */
void buf_reset(struct buf *b);
/* Ensures room for `extra` more bytes. 0, or SVC_ELIMIT past the maximum. */
int buf_reserve(struct buf *b, size_t extra);
/* Appends bytes. 0, or SVC_ELIMIT (buffer unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_slice(struct buf *b, struct slice s);
int buf_putc(struct buf *b, char c);
/* Appends `v` in decimal, without printf (for hot paths). 0, or SVC_ELIMIT (buffer unchanged). */
int buf_append_uint(struct buf *b, unsigned long long v);
/* printf-style append. 0, or SVC_ELIMIT (buffer unchanged). */
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first `n` bytes (all of them if n >= len). */
void buf_consume(struct buf *b, size_t n);
/* Returns the contents as a NUL-terminated string (borrowed; "" when empty). */
const char *buf_cstr(const struct buf *b);
/* Moves the contents out: returns a malloc'ed NUL-terminated string the caller frees with
 * free(), and leaves the buffer empty. Sets *len when `len` is not NULL. */
char *buf_take(struct buf *b, size_t *len);
/* Replaces the contents with the file at `path` (a startup-time, blocking read).
 * 0, SVC_ELIMIT when larger than the maximum, or a negative libuv code from the OS error. */
int buf_read_file(struct buf *b, const char *path);

/* Slices. */
struct slice slice_from_cstr(const char *s);
bool slice_eq(struct slice s, const char *lit);
/* ASCII case-insensitive comparison, for header names and tokens. */
bool slice_eq_nocase(struct slice s, const char *lit);
bool slice_starts_with(struct slice s, const char *lit);
/* Removes leading and trailing spaces and tabs. */
struct slice slice_trim(struct slice s);
/* Parses the whole slice as a non-negative decimal integer no larger than `max`.
 * 0, or SVC_EPARSE (empty, non-digit, overflow). */
int slice_to_u64(struct slice s, unsigned long long max, unsigned long long *out);

#endif
