/* Per-request outcome bookkeeping. Depends on libc and common/xalloc. */
#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void bench_outcome_free(struct bench_outcome *o)
{
    if (o == NULL)
        return;
    free(o->itls);
    free(o->instance);
    free(o->error);
    memset(o, 0, sizeof(*o));
}

void bench_outcome_add_itl(struct bench_outcome *o, double gap_s)
{
    if (o->nitls == o->itls_cap) {
        o->itls_cap = o->itls_cap ? o->itls_cap * 2 : 16;
        o->itls = xrealloc(o->itls, o->itls_cap * sizeof(*o->itls));
    }
    o->itls[o->nitls++] = gap_s;
}

void bench_outcome_set_error(struct bench_outcome *o, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free(o->error);
    o->error = xstrdup(msg);
}

long long bench_outcome_output_tokens(const struct bench_outcome *o)
{
    if (!o->ok)
        return 0;
    return o->completion_tokens >= 0 ? o->completion_tokens : (long long)o->text_chunks;
}

long long bench_outcome_input_tokens(const struct bench_outcome *o)
{
    return o->prompt_tokens >= 0 ? o->prompt_tokens : o->prompt_estimate;
}

long long bench_outcome_cached_tokens(const struct bench_outcome *o)
{
    return o->ok && o->cached_tokens > 0 ? o->cached_tokens : 0;
}
