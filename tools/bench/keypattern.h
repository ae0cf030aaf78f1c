/* prompt_cache_key patterns: a literal string with placeholders that are replaced per request.
 *   {request_id}            index of the request in the run (0, 1, 2, ...)
 *   {prefix_id}             the dataset record's prefix_id
 *   {conversation_id}       the dataset record's conversation_id
 *   {VAR % N}               VAR modulo N (N a positive integer; spaces optional)
 *   {VAR // N}              VAR divided by N, rounded down
 *   {{ and }}               a literal brace
 * e.g. "bench_key_{request_id % 4}" gives bench_key_0, bench_key_1, bench_key_2, bench_key_3,
 * bench_key_0, ... Patterns are compiled once and checked up front, so a typo fails before any
 * request is sent. Pure; depends on common/buf and common/err. */
#ifndef SVC_TOOLS_BENCH_KEYPATTERN_H
#define SVC_TOOLS_BENCH_KEYPATTERN_H

#include <stdbool.h>

struct buf;
struct err_msg;
struct bench_keypattern;

enum bench_keyvar {
    BENCH_KEYVAR_REQUEST_ID = 0,
    BENCH_KEYVAR_PREFIX_ID,
    BENCH_KEYVAR_CONVERSATION_ID,
    BENCH_KEYVAR_COUNT,
};

/* Values for one request; a negative value means the record does not carry that field. */
struct bench_keyvars {
    long long v[BENCH_KEYVAR_COUNT];
};

/* Compiles `pattern` (borrowed). Returns a pattern the caller frees with
 * bench_keypattern_free(), or NULL with `err` naming the column (1-based) and the problem. */
struct bench_keypattern *bench_keypattern_compile(const char *pattern, struct err_msg *err);
void bench_keypattern_free(struct bench_keypattern *kp);

/* Whether the pattern refers to `var` (so callers can check records up front). */
bool bench_keypattern_uses(const struct bench_keypattern *kp, enum bench_keyvar var);

/* Appends the expansion for `vars` to `out`. 0; SVC_ENOTFOUND with `err` set when a placeholder
 * names a field the record lacks (negative value); SVC_ELIMIT when `out` is full. */
int bench_keypattern_expand(const struct bench_keypattern *kp, const struct bench_keyvars *vars,
                            struct buf *out, struct err_msg *err);

/* Name of a variable as written in patterns ("request_id", ...). */
const char *bench_keypattern_var_name(enum bench_keyvar var);

#endif
