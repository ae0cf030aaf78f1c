/* prompt_cache_key pattern compiler and expander. A pattern becomes a list of segments, each a
 * literal or a (variable, operator, operand) triple. Depends on common/buf and common/err. */
#include "keypattern.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "xalloc.h"

enum seg_op { OP_NONE, OP_MOD, OP_DIV };

struct segment {
    char *lit; /* literal text (owned) when var < 0 */
    size_t lit_len;
    int var; /* enum bench_keyvar, or -1 for a literal */
    enum seg_op op;
    long long operand;
};

struct bench_keypattern {
    struct segment *segs;
    size_t nsegs;
};

static const char *const var_names[BENCH_KEYVAR_COUNT] = {"request_id", "prefix_id",
                                                          "conversation_id"};

const char *bench_keypattern_var_name(enum bench_keyvar var)
{
    return var >= 0 && var < BENCH_KEYVAR_COUNT ? var_names[var] : "?";
}

static struct segment *push(struct bench_keypattern *kp)
{
    kp->segs = xrealloc(kp->segs, (kp->nsegs + 1) * sizeof(*kp->segs));
    struct segment *s = &kp->segs[kp->nsegs++];
    memset(s, 0, sizeof(*s));
    s->var = -1;
    return s;
}

static void push_literal(struct bench_keypattern *kp, const struct buf *lit)
{
    if (lit->len == 0)
        return;
    struct segment *s = push(kp);
    s->lit = xmemdup(lit->data, lit->len);
    s->lit_len = lit->len;
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Parses the inside of one placeholder, [p, end) (the text between the braces). `col` is the
 * 1-based column of the opening brace, for messages. */
static int parse_placeholder(const char *p, const char *end, int col, struct segment *s,
                             struct err_msg *err)
{
    p = skip_spaces(p, end);
    const char *name = p;
    while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '_'))
        p++;
    size_t nlen = (size_t)(p - name);
    s->var = -1;
    for (int v = 0; v < BENCH_KEYVAR_COUNT; v++) {
        if (strlen(var_names[v]) == nlen && memcmp(var_names[v], name, nlen) == 0)
            s->var = v;
    }
    if (s->var < 0) {
        err_set(err, 0, col,
                "unknown placeholder '{%.*s}' at column %d (use request_id, prefix_id or "
                "conversation_id)",
                (int)(end - name), name, col);
        return SVC_EPARSE;
    }
    p = skip_spaces(p, end);
    if (p == end)
        return 0;
    if (*p == '%') {
        s->op = OP_MOD;
        p++;
    } else if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
        s->op = OP_DIV;
        p += 2;
    } else {
        err_set(err, 0, col, "expected '%%' or '//' after %s in the placeholder at column %d",
                var_names[s->var], col);
        return SVC_EPARSE;
    }
    p = skip_spaces(p, end);
    const char *digits = p;
    long long n = 0;
    while (p < end && *p >= '0' && *p <= '9' && n <= 100000000000000000LL)
        n = n * 10 + (*p++ - '0');
    if (p == digits || skip_spaces(p, end) != end) {
        err_set(err, 0, col,
                "expected a positive integer after '%s' in the placeholder at column %d",
                s->op == OP_MOD ? "%" : "//", col);
        return SVC_EPARSE;
    }
    if (n == 0) {
        err_set(err, 0, col, "the divisor in the placeholder at column %d must be positive", col);
        return SVC_EPARSE;
    }
    s->operand = n;
    return 0;
}

/* Handles the text starting at a '{' (not "{{"): returns the position after the closing brace,
 * or NULL with `err` set. */
static const char *compile_placeholder(struct bench_keypattern *kp, const char *pattern,
                                       const char *p, struct err_msg *err)
{
    int col = (int)(p - pattern) + 1;
    const char *close = strchr(p + 1, '}');
    const char *reopen = strchr(p + 1, '{');

    if (close == NULL || (reopen != NULL && reopen < close)) {
        err_set(err, 0, col, "unterminated '{' at column %d", col);
        return NULL;
    }
    struct segment s;
    memset(&s, 0, sizeof(s));
    if (parse_placeholder(p + 1, close, col, &s, err) < 0)
        return NULL;
    *push(kp) = s;
    return close + 1;
}

struct bench_keypattern *bench_keypattern_compile(const char *pattern, struct err_msg *err)
{
    struct bench_keypattern *kp = xcalloc(1, sizeof(*kp));
    struct buf lit;
    const char *p = pattern;

    buf_init(&lit, BUF_UNLIMITED);
    while (*p != '\0') {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            buf_putc(&lit, p[0]);
            p += 2;
        } else if (p[0] == '}') {
            err_set(err, 0, (int)(p - pattern) + 1,
                    "unmatched '}' at column %d (write }} for a "
                    "literal brace)",
                    (int)(p - pattern) + 1);
            goto fail;
        } else if (p[0] == '{') {
            push_literal(kp, &lit);
            buf_reset(&lit);
            p = compile_placeholder(kp, pattern, p, err);
            if (p == NULL)
                goto fail;
        } else {
            buf_putc(&lit, *p++);
        }
    }
    push_literal(kp, &lit);
    buf_free(&lit);
    return kp;
fail:
    buf_free(&lit);
    bench_keypattern_free(kp);
    return NULL;
}

void bench_keypattern_free(struct bench_keypattern *kp)
{
    if (kp == NULL)
        return;
    for (size_t i = 0; i < kp->nsegs; i++)
        free(kp->segs[i].lit);
    free(kp->segs);
    free(kp);
}

bool bench_keypattern_uses(const struct bench_keypattern *kp, enum bench_keyvar var)
{
    for (size_t i = 0; i < kp->nsegs; i++) {
        if (kp->segs[i].var == (int)var)
            return true;
    }
    return false;
}

int bench_keypattern_expand(const struct bench_keypattern *kp, const struct bench_keyvars *vars,
                            struct buf *out, struct err_msg *err)
{
    for (size_t i = 0; i < kp->nsegs; i++) {
        const struct segment *s = &kp->segs[i];
        int rc;
        if (s->var < 0) {
            rc = buf_append(out, s->lit, s->lit_len);
        } else {
            long long v = vars->v[s->var];
            if (v < 0) {
                err_set(err, 0, 0, "the record has no %s for the key pattern", var_names[s->var]);
                return SVC_ENOTFOUND;
            }
            if (s->op == OP_MOD)
                v %= s->operand;
            else if (s->op == OP_DIV)
                v /= s->operand;
            rc = buf_append_uint(out, (unsigned long long)v);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}
