/* Non-string scalars. A value is first cut out as a token of [A-Za-z0-9_+-.:] (plus the space
 * of "1979-05-27 07:32:00"), then classified and validated character by character so that an
 * error points at the offending character. Floats go through strtod (the process keeps the "C"
 * locale). Depends on libc and common/{buf,err,xalloc}. */
#include "toml_scalar.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "toml_internal.h"
#include "toml_lex.h"
#include "xalloc.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_token_char(char c)
{
    return toml_lex_is_bare((unsigned char)c) || c == '+' || c == '.' || c == ':';
}

static int digit_value(char c, int base)
{
    int d = -1;

    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    return d < base ? d : -1;
}

static bool token_is(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);

    return (size_t)(e - s) == n && memcmp(s, lit, n) == 0;
}

/* Digits of `base` with single underscores between them, starting at *p (at least one digit).
 * Leaves *p after the last digit. */
static int scan_digits(struct toml_lex *lx, const char **p, const char *e, int base)
{
    const char *q = *p;

    if (q == e || digit_value(*q, base) < 0)
        return q == e ? toml_lex_fail(lx, q, "expected a digit, found end of number")
                      : toml_lex_fail(lx, q, "expected a digit");
    while (q < e) {
        if (*q == '_') {
            if (q + 1 == e || digit_value(q[1], base) < 0)
                return toml_lex_fail(lx, q, "'_' must be between two digits");
        } else if (digit_value(*q, base) < 0) {
            break;
        }
        q++;
    }
    *p = q;
    return 0;
}

/* Accumulates the (already validated) digits in [s, e) into a value no larger than `limit`. */
static bool accumulate(const char *s, const char *e, int base, unsigned long long limit,
                       unsigned long long *out)
{
    unsigned long long v = 0;

    for (; s < e; s++) {
        if (*s == '_')
            continue;
        unsigned d = (unsigned)digit_value(*s, base);
        if (v > (limit - d) / (unsigned)base)
            return false;
        v = v * (unsigned)base + d;
    }
    *out = v;
    return true;
}

static int prefixed_integer(struct toml_lex *lx, const char *s, const char *e,
                            struct toml_value *out)
{
    int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
    const char *p = s + 2;
    unsigned long long v;

    int rc = scan_digits(lx, &p, e, base);
    if (rc < 0)
        return rc;
    if (p != e)
        return toml_lex_fail(lx, p, "invalid character in integer");
    if (!accumulate(s + 2, e, base, LLONG_MAX, &v))
        return toml_lex_fail(lx, s, "integer does not fit in 64 bits");
    out->type = TOML_INTEGER;
    out->u.i = (long long)v;
    return 0;
}

static int decimal_integer(struct toml_lex *lx, const char *start, const char *digits,
                           const char *e, struct toml_value *out)
{
    bool neg = *start == '-';
    unsigned long long limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    unsigned long long v;

    if (!accumulate(digits, e, 10, limit, &v))
        return toml_lex_fail(lx, start, "integer does not fit in 64 bits");
    out->type = TOML_INTEGER;
    if (!neg)
        out->u.i = (long long)v;
    else
        out->u.i = v == limit ? LLONG_MIN : -(long long)v;
    return 0;
}

static int to_float(struct toml_lex *lx, const char *s, const char *e, struct toml_value *out)
{
    char *end;

    buf_reset(&lx->str);
    for (const char *q = s; q < e; q++)
        if (*q != '_' && buf_putc(&lx->str, *q) < 0)
            return toml_lex_fail(lx, s, "number too long");
    errno = 0;
    double d = strtod(buf_cstr(&lx->str), &end);
    if (*end != '\0')
        return toml_lex_fail(lx, s, "invalid float");
    if (errno == ERANGE && isinf(d))
        return toml_lex_fail(lx, s, "float out of range");
    out->type = TOML_FLOAT;
    out->u.f = d;
    return 0;
}

static int number(struct toml_lex *lx, const char *s, const char *e, struct toml_value *out)
{
    const char *digits = s + (*s == '+' || *s == '-');
    bool is_float = false;

    if (e - digits > 2 && digits[0] == '0' &&
        (digits[1] == 'x' || digits[1] == 'o' || digits[1] == 'b')) {
        if (digits != s)
            return toml_lex_fail(lx, s, "hex, octal and binary integers cannot have a sign");
        return prefixed_integer(lx, s, e, out);
    }
    const char *p = digits;
    int rc = scan_digits(lx, &p, e, 10);
    if (rc < 0)
        return rc;
    if (*digits == '0' && p - digits > 1)
        return toml_lex_fail(lx, digits, "leading zeros are not allowed");
    if (p < e && *p == '.') {
        p++;
        is_float = true;
        rc = scan_digits(lx, &p, e, 10);
        if (rc < 0)
            return rc;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        is_float = true;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        rc = scan_digits(lx, &p, e, 10);
        if (rc < 0)
            return rc;
    }
    if (p != e)
        return toml_lex_fail(lx, p, "invalid character in number");
    if (is_float)
        return to_float(lx, s, e, out);
    return decimal_integer(lx, s, digits, e, out);
}

/* Matches `pat` ('d' = a digit, anything else literally) at p. Returns NULL on a full match,
 * else the first mismatching position (which may be e). */
static const char *mismatch(const char *p, const char *e, const char *pat)
{
    for (; *pat != '\0'; pat++, p++) {
        if (p == e)
            return p;
        if (*pat == 'd' ? !is_digit(*p) : *p != *pat)
            return p;
    }
    return NULL;
}

static int two(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static int bad_datetime(struct toml_lex *lx, const char *at, const char *e)
{
    if (at == e)
        return toml_lex_fail(lx, at, "incomplete date-time");
    return toml_lex_fail(lx, at, "invalid date-time");
}

static int date(struct toml_lex *lx, const char **pp, const char *e)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = *pp;
    const char *bad = mismatch(p, e, "dddd-dd-dd");

    if (bad != NULL)
        return bad_datetime(lx, bad, e);
    int year = two(p) * 100 + two(p + 2), month = two(p + 5), day = two(p + 8);
    if (month < 1 || month > 12)
        return toml_lex_fail(lx, p + 5, "month out of range");
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int max = month == 2 && !leap ? 28 : mdays[month - 1];
    if (day < 1 || day > max)
        return toml_lex_fail(lx, p + 8, "day out of range");
    *pp = p + 10;
    return 0;
}

static int time_of_day(struct toml_lex *lx, const char **pp, const char *e)
{
    const char *p = *pp;
    const char *bad = mismatch(p, e, "dd:dd:dd");

    if (bad != NULL)
        return bad_datetime(lx, bad, e);
    if (two(p) > 23)
        return toml_lex_fail(lx, p, "hour out of range");
    if (two(p + 3) > 59)
        return toml_lex_fail(lx, p + 3, "minute out of range");
    if (two(p + 6) > 60)
        return toml_lex_fail(lx, p + 6, "second out of range");
    p += 8;
    if (p < e && *p == '.') {
        p++;
        if (p == e || !is_digit(*p))
            return bad_datetime(lx, p, e);
        while (p < e && is_digit(*p))
            p++;
    }
    *pp = p;
    return 0;
}

static int offset(struct toml_lex *lx, const char **pp, const char *e)
{
    const char *p = *pp;

    if (*p == 'Z' || *p == 'z') {
        *pp = p + 1;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return bad_datetime(lx, p, e);
    const char *bad = mismatch(p + 1, e, "dd:dd");
    if (bad != NULL)
        return bad_datetime(lx, bad, e);
    if (two(p + 1) > 23)
        return toml_lex_fail(lx, p + 1, "offset hour out of range");
    if (two(p + 4) > 59)
        return toml_lex_fail(lx, p + 4, "offset minute out of range");
    *pp = p + 6;
    return 0;
}

static int datetime(struct toml_lex *lx, const char *s, const char *e, struct toml_value *out)
{
    const char *p = s;
    enum toml_datetime_kind kind;
    int rc;

    if (e - s >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':') {
        kind = TOML_DATETIME_TIME;
        rc = time_of_day(lx, &p, e);
    } else {
        kind = TOML_DATETIME_DATE;
        rc = date(lx, &p, e);
        if (rc == 0 && p < e) {
            if (*p != 'T' && *p != 't' && *p != ' ')
                return bad_datetime(lx, p, e);
            p++;
            kind = TOML_DATETIME_LOCAL;
            rc = time_of_day(lx, &p, e);
            if (rc == 0 && p < e) {
                kind = TOML_DATETIME_OFFSET;
                rc = offset(lx, &p, e);
            }
        }
    }
    if (rc < 0)
        return rc;
    if (p != e)
        return bad_datetime(lx, p, e);
    out->type = TOML_DATETIME;
    out->dt_kind = kind;
    out->u.str = xmemdup(s, (size_t)(e - s));
    out->len = (size_t)(e - s);
    return 0;
}

/* The end of the token at `s`, including the time after "YYYY-MM-DD " when one follows. */
static const char *token_end(const char *s, const char *end)
{
    const char *q = s;

    while (q < end && is_token_char(*q))
        q++;
    if (q - s == 10 && mismatch(s, q, "dddd-dd-dd") == NULL && end - q >= 4 && q[0] == ' ' &&
        is_digit(q[1]) && is_digit(q[2]) && q[3] == ':') {
        for (q++; q < end && is_token_char(*q);)
            q++;
    }
    return q;
}

int toml_scalar_parse(struct toml_lex *lx, struct toml_value *out)
{
    const char *s = lx->p;
    const char *e = token_end(s, lx->end);

    if (e == s)
        return toml_lex_fail_expected(lx, "a value");
    int rc;
    if (token_is(s, e, "true") || token_is(s, e, "false")) {
        out->type = TOML_BOOL;
        out->u.b = *s == 't';
        rc = 0;
    } else if (token_is(s, e, "inf") || token_is(s, e, "+inf") || token_is(s, e, "-inf")) {
        out->type = TOML_FLOAT;
        out->u.f = *s == '-' ? -INFINITY : INFINITY;
        rc = 0;
    } else if (token_is(s, e, "nan") || token_is(s, e, "+nan") || token_is(s, e, "-nan")) {
        out->type = TOML_FLOAT;
        out->u.f = *s == '-' ? -NAN : NAN;
        rc = 0;
    } else if ((e - s >= 5 && mismatch(s, e, "dddd-") == NULL) ||
               (e - s >= 3 && mismatch(s, e, "dd:") == NULL)) {
        rc = datetime(lx, s, e, out);
    } else if (is_digit(*s) || *s == '+' || *s == '-') {
        rc = number(lx, s, e, out);
    } else {
        rc = toml_lex_fail(lx, s, "invalid value '%.*s'", (int)(e - s > 40 ? 40 : e - s), s);
    }
    if (rc == 0)
        lx->p = e;
    return rc;
}
