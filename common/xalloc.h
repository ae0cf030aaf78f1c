/* Allocation wrappers that log and abort on out-of-memory (the h2o policy): callers never
 * test for NULL. Sizes controlled by a peer must be checked against limits before calling. */
#ifndef SVC_COMMON_XALLOC_H
#define SVC_COMMON_XALLOC_H

#include <stddef.h>

/* Each returns memory the caller frees with free(); none returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most `n` bytes of `s` and NUL-terminates. */
char *xstrndup(const char *s, size_t n);
/* Copies exactly `n` bytes (may contain NULs) and NUL-terminates. */
char *xmemdup(const void *p, size_t n);

/* Logs file:line and the failed condition, then aborts. Stays on in release builds.
 * Only for "cannot happen"; never for validating input. */
#define SVC_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            xalloc_assert_fail(#cond, __FILE__, __LINE__);                                         \
    } while (0)

void xalloc_assert_fail(const char *cond, const char *file, int line) __attribute__((noreturn));

#endif
