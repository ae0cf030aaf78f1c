/* Allocation-free scanner for generation request bodies (see scan.h). Every function returns
 * false to mean "not sure: use the cJSON path", never an error of its own. JSON is checked
 * strictly (RFC 8259 grammar), so nothing cJSON rejects gets through. Depends on common/buf. */
#include "scan.h"

#include <string.h>

#include "buf.h"

#define MAX_DEPTH 32

struct scanner {
    const char *p, *end;
    struct buf *text;
};

static void ws(struct scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static bool peek(struct scanner *s, char c)
{
    ws(s);
    return s->p < s->end && *s->p == c;
}

static bool eat(struct scanner *s, char c)
{
    if (!peek(s, c))
        return false;
    s->p++;
    return true;
}

static bool literal(struct scanner *s, const char *lit)
{
    size_t n = strlen(lit);

    ws(s);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

/* A string: `raw` gets the bytes between the quotes. Only the short escapes are accepted
 * (\" \\ \/ \b \f \n \r \t; *escaped tells whether there were any); \u escapes and raw control
 * bytes are left to cJSON. */
static bool string_raw(struct scanner *s, struct slice *raw, bool *escaped)
{
    if (!eat(s, '"'))
        return false;
    const char *start = s->p;
    *escaped = false;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            *raw = (struct slice){start, (size_t)(s->p - start)};
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (s->end - s->p < 2 || strchr("\"\\/bfnrt", s->p[1]) == NULL || s->p[1] == '\0')
                return false;
            *escaped = true;
            s->p += 2;
            continue;
        }
        s->p++;
    }
    return false;
}

static bool append_decoded(struct buf *out, struct slice raw, bool escaped)
{
    if (!escaped)
        return buf_append(out, raw.ptr, raw.len) == 0;
    const char *p = raw.ptr, *end = raw.ptr + raw.len;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t n = bs != NULL ? (size_t)(bs - p) : (size_t)(end - p);
        if (buf_append(out, p, n) < 0)
            return false;
        if (bs == NULL)
            break;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        char c = to[strchr(from, bs[1]) - from];
        if (buf_putc(out, c) < 0)
            return false;
        p = bs + 2;
    }
    return true;
}

/* Decodes the string at s->p into the prompt text. */
static bool string_text(struct scanner *s)
{
    struct slice raw;
    bool escaped;

    return string_raw(s, &raw, &escaped) && append_decoded(s->text, raw, escaped);
}

static bool digits(struct scanner *s)
{
    const char *start = s->p;

    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

/* A number in strict JSON grammar. *integer (may be NULL) gets its value when it is a plain
 * non-negative integer below 2^31, else -1. */
static bool number(struct scanner *s, long long *integer)
{
    ws(s);
    const char *start = s->p;
    bool plain = true;

    if (s->p < s->end && *s->p == '-') {
        s->p++;
        plain = false;
    }
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        plain = false;
        if (!digits(s))
            return false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        plain = false;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digits(s))
            return false;
    }
    if (integer != NULL) {
        *integer = -1;
        if (plain && s->p - start <= 10) {
            long long v = 0;
            for (const char *q = start; q < s->p; q++)
                v = v * 10 + (*q - '0');
            *integer = v < 2147483648LL ? v : -1;
        }
    }
    return true;
}

static bool skip_value(struct scanner *s, int depth);

static bool skip_members(struct scanner *s, int depth)
{
    struct slice key;
    bool escaped;

    if (eat(s, '}'))
        return true;
    do {
        if (!string_raw(s, &key, &escaped) || !eat(s, ':') || !skip_value(s, depth))
            return false;
    } while (eat(s, ','));
    return eat(s, '}');
}

static bool skip_value(struct scanner *s, int depth)
{
    struct slice raw;
    bool escaped;

    ws(s);
    if (s->p >= s->end || depth > MAX_DEPTH)
        return false;
    switch (*s->p) {
    case '"':
        return string_raw(s, &raw, &escaped);
    case '{':
        s->p++;
        return skip_members(s, depth + 1);
    case '[':
        s->p++;
        if (eat(s, ']'))
            return true;
        do {
            if (!skip_value(s, depth + 1))
                return false;
        } while (eat(s, ','));
        return eat(s, ']');
    case 't':
        return literal(s, "true");
    case 'f':
        return literal(s, "false");
    case 'n':
        return literal(s, "null");
    default:
        return number(s, NULL);
    }
}

/* An object key without escapes (keys with escapes are left to cJSON), and its colon. */
static bool key(struct scanner *s, struct slice *k)
{
    bool escaped;

    return string_raw(s, k, &escaped) && !escaped && eat(s, ':');
}

/* An optional boolean: true, false or null (leaves *out). */
static bool opt_bool(struct scanner *s, bool *out)
{
    if (peek(s, 't') && literal(s, "true"))
        *out = true;
    else if (peek(s, 'f') && literal(s, "false"))
        *out = false;
    else if (!literal(s, "null"))
        return false;
    return true;
}

/* One part of an array content: its `text` or `content` string (not both). */
static bool part(struct scanner *s, int depth)
{
    struct slice k;
    bool seen = false;

    if (!eat(s, '{'))
        return false;
    if (eat(s, '}'))
        return true;
    do {
        if (!key(s, &k))
            return false;
        if (slice_eq(k, "text") || slice_eq(k, "content")) {
            if (seen || !peek(s, '"') || !string_text(s))
                return false;
            seen = true;
        } else if (!skip_value(s, depth + 1)) {
            return false;
        }
    } while (eat(s, ','));
    return eat(s, '}');
}

static bool content(struct scanner *s, int depth)
{
    ws(s);
    if (peek(s, '"'))
        return string_text(s);
    if (peek(s, 'n'))
        return literal(s, "null");
    if (!eat(s, '['))
        return false;
    if (eat(s, ']'))
        return true;
    do {
        if (!part(s, depth + 1))
            return false;
    } while (eat(s, ','));
    return eat(s, ']');
}

/* A message: "role\ncontent\n". The role must come first (it does in every client seen). */
static bool message(struct scanner *s, int depth)
{
    struct slice k;
    bool has_role = false, has_content = false;

    if (!eat(s, '{'))
        return false;
    if (!eat(s, '}')) {
        do {
            if (!key(s, &k))
                return false;
            if (slice_eq(k, "role")) {
                if (has_role || !peek(s, '"') || !string_text(s) || buf_putc(s->text, '\n') < 0)
                    return false;
                has_role = true;
            } else if (slice_eq(k, "content")) {
                if (!has_role || has_content || !content(s, depth + 1))
                    return false;
                has_content = true;
            } else if (!skip_value(s, depth + 1)) {
                return false;
            }
        } while (eat(s, ','));
        if (!eat(s, '}'))
            return false;
    }
    return has_role && buf_putc(s->text, '\n') == 0;
}

static bool messages(struct scanner *s)
{
    if (!eat(s, '[') || peek(s, ']'))
        return false;
    do {
        if (!message(s, 2))
            return false;
    } while (eat(s, ','));
    return eat(s, ']');
}

static bool prompt(struct scanner *s)
{
    if (peek(s, '"'))
        return string_text(s);
    if (!eat(s, '[') || peek(s, ']'))
        return false;
    bool first = true;
    do {
        if (!first && buf_putc(s->text, '\n') < 0)
            return false;
        first = false;
        if (!peek(s, '"') || !string_text(s))
            return false;
    } while (eat(s, ','));
    return eat(s, ']');
}

static bool stream_options(struct scanner *s, struct mock_prompt_args *out)
{
    struct slice k;
    bool seen = false;

    if (peek(s, 'n'))
        return literal(s, "null");
    if (!eat(s, '{'))
        return false;
    if (eat(s, '}'))
        return true;
    do {
        if (!key(s, &k))
            return false;
        if (slice_eq(k, "include_usage")) {
            if (seen || !opt_bool(s, &out->include_usage))
                return false;
            seen = true;
        } else if (!skip_value(s, 2)) {
            return false;
        }
    } while (eat(s, ','));
    return eat(s, '}');
}

/* max_tokens or max_completion_tokens: an integer in 1..limit, or null (-1 in *v). */
static bool max_tokens(struct scanner *s, int limit, long long *v)
{
    if (peek(s, 'n')) {
        *v = -1;
        return literal(s, "null");
    }
    return number(s, v) && *v >= 1 && *v <= limit;
}

enum field { F_MODEL, F_STREAM, F_OPTIONS, F_MAX, F_MAX_COMPLETION, F_N, F_PROMPT, F_OTHER };

static enum field field_of(struct slice k, bool chat)
{
    if (slice_eq(k, "model"))
        return F_MODEL;
    if (slice_eq(k, "stream"))
        return F_STREAM;
    if (slice_eq(k, "stream_options"))
        return F_OPTIONS;
    if (slice_eq(k, "max_tokens"))
        return F_MAX;
    if (slice_eq(k, "max_completion_tokens"))
        return F_MAX_COMPLETION;
    if (slice_eq(k, "n"))
        return F_N;
    if (slice_eq(k, chat ? "messages" : "prompt"))
        return F_PROMPT;
    return F_OTHER;
}

static bool member(struct scanner *s, enum field f, bool chat, int limit,
                   struct mock_prompt_args *out, long long max[2])
{
    struct slice raw;
    bool escaped;

    switch (f) {
    case F_MODEL:
        if (peek(s, 'n'))
            return literal(s, "null");
        if (!string_raw(s, &raw, &escaped) || escaped)
            return false;
        out->model = raw;
        return true;
    case F_STREAM:
        return opt_bool(s, &out->stream);
    case F_OPTIONS:
        return stream_options(s, out);
    case F_MAX:
        return max_tokens(s, limit, &max[0]);
    case F_MAX_COMPLETION:
        return max_tokens(s, limit, &max[1]);
    case F_N: {
        long long n = -1; /* same shape as max_tokens: an integer in range, or null */
        if (!max_tokens(s, MOCK_PROMPT_MAX_N, &n))
            return false;
        out->n = n > 0 ? (int)n : 1;
        return true;
    }
    case F_PROMPT:
        return chat ? messages(s) : prompt(s);
    case F_OTHER:
        return skip_value(s, 1);
    }
    return false;
}

bool mock_scan_generation(const char *body, size_t len, bool chat, int max_tokens_limit,
                          struct mock_prompt_args *out, struct buf *text)
{
    struct scanner s = {body, body + len, text};
    unsigned seen = 0;
    long long max[2] = {-1, -1}; /* max_tokens, max_completion_tokens */
    struct slice k;

    *out = (struct mock_prompt_args){{NULL, 0}, false, false, false, 0, 1};
    if (!eat(&s, '{') || eat(&s, '}'))
        return false;
    do {
        if (!key(&s, &k))
            return false;
        enum field f = field_of(k, chat);
        if (f != F_OTHER && (seen & (1u << f)) != 0)
            return false; /* duplicate: cJSON's first-match rule is not worth copying */
        seen |= 1u << f;
        if (!member(&s, f, chat, max_tokens_limit, out, max))
            return false;
    } while (eat(&s, ','));
    if (!eat(&s, '}'))
        return false;
    ws(&s);
    if (s.p != s.end || (seen & (1u << F_PROMPT)) == 0)
        return false;
    long long m = max[1] >= 0 ? max[1] : max[0];
    out->max_given = m >= 0;
    out->max_tokens = m >= 0 ? (int)m : 0;
    return true;
}
