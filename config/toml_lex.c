/* The TOML cursor: whitespace, newlines, comments, keys and strings, with exact positions for
 * every error. UTF-8 is validated wherever non-ASCII may legally appear (strings, comments,
 * quoted keys); anywhere else a non-ASCII byte is an error. Depends on libc and
 * common/{buf,err}. */
#include "toml_lex.h"

#include <stdarg.h>
#include <stdio.h>

#include "err.h"
#include "toml.h"

void toml_lex_init(struct toml_lex *lx, const char *data, size_t len, struct err_msg *err)
{
    lx->start = data != NULL ? data : "";
    lx->p = lx->start;
    lx->end = lx->start + (data != NULL ? len : 0);
    lx->mark = lx->start;
    lx->mark_line = 1;
    lx->mark_col = 1;
    lx->err = err;
    lx->failed = false;
    buf_init(&lx->str, TOML_MAX_BYTES);
}

void toml_lex_close(struct toml_lex *lx)
{
    buf_free(&lx->str);
}

int toml_lex_peek(const struct toml_lex *lx)
{
    return lx->p < lx->end ? (unsigned char)*lx->p : -1;
}

bool toml_lex_at(const struct toml_lex *lx, const char *lit)
{
    const char *q = lx->p;

    for (; *lit != '\0'; lit++, q++)
        if (q >= lx->end || *q != *lit)
            return false;
    return true;
}

void toml_lex_locate(struct toml_lex *lx, const char *at, int *line, int *col)
{
    if (at < lx->mark) {
        lx->mark = lx->start;
        lx->mark_line = 1;
        lx->mark_col = 1;
    }
    for (const char *q = lx->mark; q < at; q++) {
        if (*q == '\n') {
            lx->mark_line++;
            lx->mark_col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            lx->mark_col++;
        }
    }
    lx->mark = at;
    *line = lx->mark_line;
    *col = lx->mark_col;
}

int toml_lex_fail(struct toml_lex *lx, const char *at, const char *fmt, ...)
{
    va_list ap;
    int line, col;

    if (lx->failed)
        return SVC_EPARSE;
    lx->failed = true;
    toml_lex_locate(lx, at, &line, &col);
    va_start(ap, fmt);
    err_setv(lx->err, line, col, fmt, ap);
    va_end(ap);
    return SVC_EPARSE;
}

size_t toml_lex_utf8(const char *p, const char *end, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t avail = (size_t)(end - p);
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (avail == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        *cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        *cp = s[0] & 0x0F;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = s[0] == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        *cp = s[0] & 0x07;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    *cp = (*cp << 6) | (s[1] & 0x3F);
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

static bool is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7F;
}

int toml_lex_fail_expected(struct toml_lex *lx, const char *expected)
{
    const char *at = lx->p;
    uint32_t cp;

    if (at >= lx->end)
        return toml_lex_fail(lx, at, "expected %s, found end of input", expected);
    unsigned char c = (unsigned char)*at;
    if (c == '\n' || (c == '\r' && at + 1 < lx->end && at[1] == '\n'))
        return toml_lex_fail(lx, at, "expected %s, found end of line", expected);
    if (c == '\r')
        return toml_lex_fail(lx, at, "bare carriage return (CR not followed by LF)");
    if (is_control(c))
        return toml_lex_fail(lx, at, "expected %s, found control character U+%04X", expected, c);
    size_t n = toml_lex_utf8(at, lx->end, &cp);
    if (n == 0)
        return toml_lex_fail(lx, at, "invalid UTF-8");
    return toml_lex_fail(lx, at, "expected %s, found '%.*s'", expected, (int)n, at);
}

void toml_lex_skip_ws(struct toml_lex *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
        lx->p++;
}

int toml_lex_newline(struct toml_lex *lx)
{
    if (toml_lex_at(lx, "\n")) {
        lx->p++;
        return 1;
    }
    if (toml_lex_at(lx, "\r\n")) {
        lx->p += 2;
        return 1;
    }
    if (toml_lex_at(lx, "\r"))
        return toml_lex_fail(lx, lx->p, "bare carriage return (CR not followed by LF)");
    return 0;
}

int toml_lex_comment(struct toml_lex *lx)
{
    uint32_t cp;

    if (!toml_lex_at(lx, "#"))
        return 0;
    lx->p++;
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;
        if (c == '\n' || toml_lex_at(lx, "\r\n"))
            break;
        if (c == '\r')
            return toml_lex_fail(lx, lx->p, "bare carriage return (CR not followed by LF)");
        if (is_control(c))
            return toml_lex_fail(lx, lx->p, "control character U+%04X in comment", c);
        size_t n = toml_lex_utf8(lx->p, lx->end, &cp);
        if (n == 0)
            return toml_lex_fail(lx, lx->p, "invalid UTF-8");
        lx->p += n;
    }
    return 0;
}

int toml_lex_end_of_line(struct toml_lex *lx, const char *what)
{
    char expected[64];

    toml_lex_skip_ws(lx);
    int rc = toml_lex_comment(lx);
    if (rc < 0 || lx->p == lx->end)
        return rc;
    rc = toml_lex_newline(lx);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    snprintf(expected, sizeof(expected), "a newline after %s", what);
    return toml_lex_fail_expected(lx, expected);
}

int toml_lex_skip_blank(struct toml_lex *lx)
{
    for (;;) {
        toml_lex_skip_ws(lx);
        int rc = toml_lex_comment(lx);
        if (rc < 0)
            return rc;
        rc = toml_lex_newline(lx);
        if (rc <= 0)
            return rc;
    }
}

bool toml_lex_is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int put(struct toml_lex *lx, const char *p, size_t n)
{
    if (buf_append(&lx->str, p, n) < 0)
        return toml_lex_fail(lx, lx->p, "string too long");
    return 0;
}

/* Copies the run of ordinary characters at the cursor into lx->str. Stops at `quote`, at a
 * backslash when `escapes`, at any control character except tab, or at the end. */
static int take_plain(struct toml_lex *lx, char quote, bool escapes)
{
    const char *run = lx->p;
    uint32_t cp;

    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;
        if (c >= 0x80) {
            size_t n = toml_lex_utf8(lx->p, lx->end, &cp);
            if (n == 0)
                return toml_lex_fail(lx, lx->p, "invalid UTF-8");
            lx->p += n;
            continue;
        }
        if (c == (unsigned char)quote || (escapes && c == '\\') || is_control(c))
            break;
        lx->p++;
    }
    return put(lx, run, (size_t)(lx->p - run));
}

static int put_utf8(struct toml_lex *lx, uint32_t cp)
{
    char out[4];
    size_t n;

    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put(lx, out, n);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* \uXXXX or \UXXXXXXXX at `bs` (the backslash). */
static int unicode_escape(struct toml_lex *lx, const char *bs)
{
    int ndig = bs[1] == 'u' ? 4 : 8;
    uint32_t cp = 0;

    for (int i = 0; i < ndig; i++) {
        const char *q = bs + 2 + i;
        int d = q < lx->end ? hex_digit(*q) : -1;
        if (d < 0)
            return toml_lex_fail(lx, bs, "\\%c escape needs %d hex digits", bs[1], ndig);
        cp = cp << 4 | (uint32_t)d;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return toml_lex_fail(lx, bs, "\\%c%.*s is not a Unicode scalar value", bs[1], ndig, bs + 2);
    lx->p = bs + 2 + ndig;
    return put_utf8(lx, cp);
}

static int escape(struct toml_lex *lx)
{
    const char *bs = lx->p;
    char c;

    if (bs + 1 >= lx->end)
        return toml_lex_fail(lx, bs, "incomplete escape sequence");
    switch (bs[1]) {
    case 'b':
        c = '\b';
        break;
    case 't':
        c = '\t';
        break;
    case 'n':
        c = '\n';
        break;
    case 'f':
        c = '\f';
        break;
    case 'r':
        c = '\r';
        break;
    case '"':
        c = '"';
        break;
    case '\\':
        c = '\\';
        break;
    case 'u':
    case 'U':
        return unicode_escape(lx, bs);
    default:
        if (bs[1] > ' ' && bs[1] < 0x7F)
            return toml_lex_fail(lx, bs, "invalid escape sequence '\\%c'", bs[1]);
        return toml_lex_fail(lx, bs, "invalid escape sequence");
    }
    lx->p += 2;
    return put(lx, &c, 1);
}

static int control_in_string(struct toml_lex *lx)
{
    return toml_lex_fail(lx, lx->p, "control character U+%04X in string", (unsigned char)*lx->p);
}

/* "..." or '...'. */
static int single_line(struct toml_lex *lx, char quote)
{
    const char *open = lx->p++;

    for (;;) {
        int rc = take_plain(lx, quote, quote == '"');
        if (rc < 0)
            return rc;
        if (lx->p == lx->end || *lx->p == '\n' || toml_lex_at(lx, "\r\n"))
            return toml_lex_fail(lx, open, "unterminated string");
        if (*lx->p == '\r')
            return toml_lex_fail(lx, lx->p, "bare carriage return (CR not followed by LF)");
        if (*lx->p == quote) {
            lx->p++;
            return 0;
        }
        if (*lx->p != '\\')
            return control_in_string(lx);
        rc = escape(lx);
        if (rc < 0)
            return rc;
    }
}

/* A backslash at the end of a line (spaces may follow it) in a multi-line basic string:
 * trims it with every space, tab and newline after it. Returns 1 when it was one, 0 when the
 * backslash starts an ordinary escape, SVC_EPARSE on a bare CR. */
static int line_ending_backslash(struct toml_lex *lx)
{
    const char *q = lx->p + 1;

    while (q < lx->end && (*q == ' ' || *q == '\t'))
        q++;
    if (q == lx->end || (*q != '\n' && *q != '\r'))
        return 0;
    lx->p = q;
    for (;;) {
        toml_lex_skip_ws(lx);
        int rc = toml_lex_newline(lx);
        if (rc <= 0)
            return rc < 0 ? rc : 1;
    }
}

/* Quotes inside a multi-line string: up to two are content; three end the string, and up to
 * two more right before those belong to the content. Returns 1 at the end, 0 otherwise. */
static int ml_quotes(struct toml_lex *lx, char quote, int *done)
{
    size_t n = 0;

    while (lx->p + n < lx->end && lx->p[n] == quote)
        n++;
    *done = n >= 3;
    if (n >= 3)
        n = n > 5 ? 2 : n - 3;
    int rc = put(lx, lx->p, n);
    lx->p += n + (*done ? 3 : 0);
    return rc;
}

/* """...""" or '''...'''. */
static int multi_line(struct toml_lex *lx, char quote)
{
    const char *open = lx->p;
    bool basic = quote == '"';
    int rc, done;

    lx->p += 3;
    if (toml_lex_at(lx, "\n"))
        lx->p++;
    else if (toml_lex_at(lx, "\r\n"))
        lx->p += 2;
    for (;;) {
        rc = take_plain(lx, quote, basic);
        if (rc < 0)
            return rc;
        if (lx->p == lx->end)
            return toml_lex_fail(lx, open, "unterminated multi-line string");
        char c = *lx->p;
        if (c == quote) {
            rc = ml_quotes(lx, quote, &done);
            if (rc < 0 || done)
                return rc;
        } else if (c == '\\') {
            rc = line_ending_backslash(lx);
            if (rc == 0)
                rc = escape(lx);
            if (rc < 0)
                return rc;
        } else if (c == '\n' || toml_lex_at(lx, "\r\n")) {
            lx->p += c == '\n' ? 1 : 2;
            rc = put(lx, "\n", 1);
            if (rc < 0)
                return rc;
        } else if (c == '\r') {
            return toml_lex_fail(lx, lx->p, "bare carriage return (CR not followed by LF)");
        } else {
            return control_in_string(lx);
        }
    }
}

int toml_lex_string(struct toml_lex *lx)
{
    buf_reset(&lx->str);
    if (toml_lex_at(lx, "\"\"\""))
        return multi_line(lx, '"');
    if (toml_lex_at(lx, "'''"))
        return multi_line(lx, '\'');
    return single_line(lx, *lx->p);
}

int toml_lex_key_part(struct toml_lex *lx)
{
    buf_reset(&lx->str);
    int c = toml_lex_peek(lx);
    if (c == '"' || c == '\'') {
        if (toml_lex_at(lx, "\"\"\"") || toml_lex_at(lx, "'''"))
            return toml_lex_fail(lx, lx->p, "a key cannot be a multi-line string");
        return single_line(lx, (char)c);
    }
    if (!toml_lex_is_bare(c))
        return toml_lex_fail_expected(lx, "a key");
    const char *start = lx->p;
    while (lx->p < lx->end && toml_lex_is_bare((unsigned char)*lx->p))
        lx->p++;
    return put(lx, start, (size_t)(lx->p - start));
}
