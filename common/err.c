/* Error descriptions and message formatting. Knows nothing beyond libc and libuv's names. */
#include "err.h"

#include <stdio.h>
#include <string.h>

#include <uv.h>

const char *err_str(int rc)
{
    switch (rc) {
    case 0:
        return "success";
    case SVC_EBADCONFIG:
        return "invalid configuration";
    case SVC_EPARSE:
        return "malformed input";
    case SVC_ELIMIT:
        return "limit exceeded";
    case SVC_ENOTFOUND:
        return "not found";
    case SVC_EAUTH:
        return "authentication required";
    case SVC_EHTTP:
        return "unexpected HTTP status";
    case SVC_ECORRUPT:
        return "corrupt state";
    case SVC_ENOROUTE:
        return "no route";
    case SVC_ECANCELED:
        return "canceled";
    default:
        return uv_strerror(rc);
    }
}

void err_setv(struct err_msg *e, int line, int col, const char *fmt, va_list ap)
{
    if (e == NULL)
        return;
    e->line = line;
    e->col = col;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void err_set(struct err_msg *e, int line, int col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_setv(e, line, col, fmt, ap);
    va_end(ap);
}
