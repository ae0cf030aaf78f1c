/* Error codes and error messages shared by every module.
 * Functions return 0 on success and a negative code on failure: libuv codes (UV_E*) for I/O
 * and resource failures, the SVC_E* domain codes below for everything else. Depends on libc
 * and libuv's error names only. */
#ifndef SVC_COMMON_ERR_H
#define SVC_COMMON_ERR_H

#include <stdarg.h>

/* libuv's codes stop at -4096, so domain codes start well below. */
enum svc_err {
    SVC_EBADCONFIG = -10000, /* configuration invalid */
    SVC_EPARSE,              /* malformed input (JSON, HTTP, TOML) */
    SVC_ELIMIT,              /* a configured limit was exceeded */
    SVC_ENOTFOUND,           /* no such object */
    SVC_EAUTH,               /* missing or wrong credentials */
    SVC_EHTTP,               /* peer answered with an unexpected HTTP status */
    SVC_ECORRUPT,            /* stored state failed validation */
    SVC_ENOROUTE,            /* no instance can take the request */
    SVC_ECANCELED,           /* the operation was abandoned by its owner */
};

/* A human-readable reason with an optional position (line/column, 1-based; 0 = none). */
struct err_msg {
    int line;
    int col;
    char msg[256];
};

/* Returns a static description of `rc` (a domain code or any libuv code). Never NULL. */
const char *err_str(int rc);

/* Fills `e` (may be NULL: then does nothing) with a position and a printf-style message,
 * truncated to fit. */
void err_set(struct err_msg *e, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like err_set() with a va_list. */
void err_setv(struct err_msg *e, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
