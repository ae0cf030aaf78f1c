/* Single-pass validating JSON scanner specialised for request bodies. It walks the bytes once,
 * validates everything (RFC 8259 grammar, UTF-8, escapes, depth) and looks only at the handful of
 * keys the router routes on; other values are validated and skipped. String contents, which are
 * nearly all of a large body, are scanned 8 bytes at a time and only the bytes that need a look
 * (quote, backslash, control, non-ASCII) take the slow path; their decoded length is counted
 * from the escapes without decoding. Only short strings (keys, model, prompt_cache_key) are
 * decoded, after validation. Results are written into the caller's struct and wiped when the
 * body turns out to be malformed. Depends on libc only. */
#include "model_extract.h"

#include <stdint.h>
#include <string.h>

enum key_id {
    K_OTHER,
    K_MODEL,
    K_KEY,
    K_USER,
    K_STREAM,
    K_MESSAGES,
    K_PROMPT,
    K_ROLE,
    K_CONTENT,
    K_TEXT
};

/* Which field the recorded spans belong to; "messages" takes precedence over "prompt". */
enum span_src { SRC_NONE, SRC_PROMPT, SRC_MESSAGES };

struct scan {
    const unsigned char *p;
    const unsigned char *end;
    const unsigned char *base;
    unsigned depth;
    struct rt_extract *out;
    size_t msg_bytes;     /* content bytes of the last top-level "messages" */
    size_t prompt_bytes;  /* content bytes of the last top-level "prompt" */
    size_t prompt_pieces; /* strings in the last "prompt" */
    bool msgs_present;    /* the last top-level "messages" is an array */
    enum span_src span_src;
};

/* A validated string: raw bytes between the quotes and its decoded length. */
struct jstr {
    const unsigned char *raw;
    size_t raw_len;
    size_t dec_len;
    bool escaped;
};

typedef bool (*member_cb)(struct scan *s, enum key_id key, void *ctx);
typedef bool (*elem_cb)(struct scan *s, void *ctx);

static bool skip_value(struct scan *s);

static inline int peek(const struct scan *s)
{
    return s->p < s->end ? *s->p : -1;
}

static inline void skip_ws(struct scan *s)
{
    const unsigned char *p = s->p, *end = s->end;

    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Whether any of the 8 bytes is a quote, a backslash, below 0x20 or above 0x7f. When no byte
 * has its top bit set, the per-byte subtractions borrow exactly where a byte is below 0x20 or
 * equal to the one xored away, so the test has no false negatives; bytes with the top bit set
 * make it true by themselves. Byte order does not matter. */
static inline bool needs_look(uint64_t w)
{
    uint64_t lt = w - ONES * 0x20;
    uint64_t q = (w ^ (ONES * '"')) - ONES;
    uint64_t b = (w ^ (ONES * '\\')) - ONES;
    return ((lt | q | b | w) & HIGHS) != 0;
}

static int hex4(const unsigned char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Validates the escape at *pp (a backslash) and adds (raw - decoded) bytes to *shrink. */
static bool scan_escape(const unsigned char **pp, const unsigned char *end, size_t *shrink)
{
    const unsigned char *p = *pp;

    if (end - p < 2)
        return false;
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        *shrink += 1;
        *pp = p + 2;
        return true;
    case 'u':
        break;
    default:
        return false;
    }
    int cp = end - p >= 6 ? hex4(p + 2) : -1;
    if (cp < 0 || (cp >= 0xdc00 && cp <= 0xdfff))
        return false;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        /* A high surrogate must be followed by an escaped low one: 12 raw bytes, 4 decoded. */
        if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
            return false;
        int lo = hex4(p + 8);
        if (lo < 0xdc00 || lo > 0xdfff)
            return false;
        *shrink += 8;
        *pp = p + 12;
        return true;
    }
    *shrink += 6 - (cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3);
    *pp = p + 6;
    return true;
}

/* Validates one UTF-8 sequence of 2..4 bytes at *pp: no overlong forms, no surrogates, nothing
 * above U+10FFFF (the Unicode table of well-formed sequences). */
static bool scan_utf8(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;

    if (c >= 0xc2 && c <= 0xdf)
        n = 1;
    else if (c >= 0xe0 && c <= 0xef)
        n = 2;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 3;
    else
        return false;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if ((size_t)(end - p) <= n || p[1] < lo || p[1] > hi)
        return false;
    for (size_t i = 2; i <= n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return false;
    *pp = p + n + 1;
    return true;
}

/* Validates the string whose opening quote is at s->p and leaves s->p past the closing one. */
static bool scan_string(struct scan *s, struct jstr *str)
{
    const unsigned char *p = s->p + 1, *end = s->end;
    size_t shrink = 0;

    str->raw = p;
    str->escaped = false;
    for (;;) {
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, sizeof(w));
            if (needs_look(w))
                break;
            p += 8;
        }
        if (p >= end)
            return false;
        unsigned c = *p;
        if (c == '"')
            break;
        if (c == '\\') {
            if (!scan_escape(&p, end, &shrink))
                return false;
            str->escaped = true;
        } else if (c < 0x20) {
            return false;
        } else if (c < 0x80) {
            p++;
        } else {
            /* Non-ASCII text (CJK) comes in runs: stay here instead of bouncing off the
             * 8-byte test at every character. */
            do {
                if (!scan_utf8(&p, end))
                    return false;
            } while (p < end && *p >= 0x80);
        }
    }
    str->raw_len = (size_t)(p - str->raw);
    str->dec_len = str->raw_len - shrink;
    s->p = p + 1;
    return true;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* The byte a validated one-letter escape stands for. */
static char unescape(unsigned char c)
{
    switch (c) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return (char)c; /* '"', '\\' and '/' stand for themselves */
    }
}

size_t rt_extract_unescape(const char *esc, char out[4], size_t *used)
{
    const unsigned char *p = (const unsigned char *)esc;

    if (p[1] != 'u') {
        out[0] = unescape(p[1]);
        *used = 2;
        return 1;
    }
    unsigned cp = (unsigned)hex4(p + 2);
    *used = 6;
    if (cp >= 0xd800 && cp <= 0xdbff) { /* validated: a low surrogate escape follows */
        cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)hex4(p + 8) - 0xdc00);
        *used = 12;
    }
    return (size_t)(put_utf8(out, cp) - out);
}

/* Decodes a string scan_string() accepted into `dst`, which has room for its dec_len bytes. */
static void decode_string(const struct jstr *str, char *dst)
{
    const unsigned char *p = str->raw, *end = p + str->raw_len;
    char *o = dst;

    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs != NULL ? bs : end) - p);
        memcpy(o, p, run);
        o += run;
        p += run;
        if (bs == NULL)
            break;
        size_t used;
        o += rt_extract_unescape((const char *)p, o, &used);
        p += used;
    }
}

static enum key_id key_lookup(const struct jstr *k)
{
    char buf[16];
    const char *name = (const char *)k->raw;
    size_t len = k->dec_len;

    if (len < 4 || len > sizeof(buf))
        return K_OTHER;
    if (k->escaped) {
        decode_string(k, buf);
        name = buf;
    }
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("model"))
        return K_MODEL;
    if (IS("prompt_cache_key"))
        return K_KEY;
    if (IS("user"))
        return K_USER;
    if (IS("stream"))
        return K_STREAM;
    if (IS("messages"))
        return K_MESSAGES;
    if (IS("prompt"))
        return K_PROMPT;
    if (IS("role"))
        return K_ROLE;
    if (IS("content"))
        return K_CONTENT;
    if (IS("text"))
        return K_TEXT;
#undef IS
    return K_OTHER;
}

static bool skip_literal(struct scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool skip_digits(struct scan *s)
{
    const unsigned char *start = s->p;

    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; what follows is checked by the caller. */
static bool skip_number(struct scan *s)
{
    if (peek(s) == '-')
        s->p++;
    if (peek(s) == '0')
        s->p++;
    else if (peek(s) < '1' || peek(s) > '9' || !skip_digits(s))
        return false;
    if (peek(s) == '.') {
        s->p++;
        if (!skip_digits(s))
            return false;
    }
    if (peek(s) == 'e' || peek(s) == 'E') {
        s->p++;
        if (peek(s) == '+' || peek(s) == '-')
            s->p++;
        if (!skip_digits(s))
            return false;
    }
    return true;
}

/* s->p at '{'. Calls member(s, key, ctx) with s->p at each value, which it must consume;
 * member == NULL skips every value (keys are validated but not looked up). */
static bool scan_object(struct scan *s, member_cb member, void *ctx)
{
    if (++s->depth > RT_EXTRACT_MAX_DEPTH)
        return false;
    s->p++;
    skip_ws(s);
    if (peek(s) == '}') {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        struct jstr k;
        if (peek(s) != '"' || !scan_string(s, &k))
            return false;
        skip_ws(s);
        if (peek(s) != ':')
            return false;
        s->p++;
        skip_ws(s);
        if (!(member != NULL ? member(s, key_lookup(&k), ctx) : skip_value(s)))
            return false;
        skip_ws(s);
        int c = peek(s);
        if (c != ',' && c != '}')
            return false;
        s->p++;
        if (c == '}')
            break;
        skip_ws(s);
    }
    s->depth--;
    return true;
}

/* s->p at '['. Calls elem(s, ctx) with s->p at each element; NULL skips them. */
static bool scan_array(struct scan *s, elem_cb elem, void *ctx)
{
    if (++s->depth > RT_EXTRACT_MAX_DEPTH)
        return false;
    s->p++;
    skip_ws(s);
    if (peek(s) == ']') {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        if (!(elem != NULL ? elem(s, ctx) : skip_value(s)))
            return false;
        skip_ws(s);
        int c = peek(s);
        if (c != ',' && c != ']')
            return false;
        s->p++;
        if (c == ']')
            break;
        skip_ws(s);
    }
    s->depth--;
    return true;
}

static bool skip_value(struct scan *s)
{
    struct jstr j;

    switch (peek(s)) {
    case '{':
        return scan_object(s, NULL, NULL);
    case '[':
        return scan_array(s, NULL, NULL);
    case '"':
        return scan_string(s, &j);
    case 't':
        return skip_literal(s, "true", 4);
    case 'f':
        return skip_literal(s, "false", 5);
    case 'n':
        return skip_literal(s, "null", 4);
    default:
        return skip_number(s);
    }
}

static void reset_spans(struct scan *s, enum span_src src)
{
    s->out->n_spans = 0;
    s->out->spans_truncated = false;
    s->span_src = src;
}

/* Records `str` when the spans currently belong to the field `kind` comes from. Returns whether
 * it was recorded (false when full: the list is then marked truncated). */
static bool add_span(struct scan *s, const struct jstr *str, enum rt_extract_span_kind kind)
{
    struct rt_extract *o = s->out;

    if (s->span_src != (kind == RT_EXTRACT_SPAN_PROMPT ? SRC_PROMPT : SRC_MESSAGES))
        return false;
    if (o->n_spans == RT_EXTRACT_MAX_SPANS) {
        o->spans_truncated = true;
        return false;
    }
    o->spans[o->n_spans++] = (struct rt_extract_span){
        .off = (size_t)(str->raw - s->base), .len = str->raw_len, .kind = kind};
    return true;
}

/* A prompt text string at s->p: counted into *bytes and recorded. */
static bool take_piece(struct scan *s, enum rt_extract_span_kind kind, size_t *bytes)
{
    struct jstr j;

    if (!scan_string(s, &j))
        return false;
    *bytes += j.dec_len;
    add_span(s, &j, kind);
    return true;
}

static bool part_member(struct scan *s, enum key_id key, void *ctx)
{
    (void)ctx;
    if ((key == K_TEXT || key == K_CONTENT) && peek(s) == '"')
        return take_piece(s, RT_EXTRACT_SPAN_CONTENT, &s->msg_bytes);
    return skip_value(s);
}

static bool part_elem(struct scan *s, void *ctx)
{
    (void)ctx;
    if (peek(s) == '{')
        return scan_object(s, part_member, NULL);
    return skip_value(s);
}

/* Per message: where its spans start and where its first role span went. */
struct msg_ctx {
    size_t first;
    size_t role;
    bool has_role;
};

static bool message_member(struct scan *s, enum key_id key, void *ctx)
{
    struct msg_ctx *m = ctx;

    if (key == K_ROLE && peek(s) == '"') {
        struct jstr j;
        size_t at = s->out->n_spans;
        if (!scan_string(s, &j))
            return false;
        if (add_span(s, &j, RT_EXTRACT_SPAN_ROLE) && !m->has_role) {
            m->has_role = true;
            m->role = at;
        }
        return true;
    }
    if (key == K_CONTENT && peek(s) == '"')
        return take_piece(s, RT_EXTRACT_SPAN_CONTENT, &s->msg_bytes);
    if (key == K_CONTENT && peek(s) == '[')
        return scan_array(s, part_elem, NULL);
    return skip_value(s);
}

static bool message_elem(struct scan *s, void *ctx)
{
    (void)ctx;
    if (peek(s) != '{')
        return skip_value(s);
    struct msg_ctx m = {.first = s->out->n_spans};
    if (!scan_object(s, message_member, &m))
        return false;
    /* The role keyed after the content still leads the message, so that the same conversation
     * gives the same sequence of pieces whatever the client's key order. */
    if (m.has_role && m.role > m.first) {
        struct rt_extract_span *sp = s->out->spans, role = sp[m.role];
        memmove(&sp[m.first + 1], &sp[m.first], (m.role - m.first) * sizeof(*sp));
        sp[m.first] = role;
    }
    return true;
}

static bool prompt_elem(struct scan *s, void *ctx)
{
    (void)ctx;
    if (peek(s) != '"')
        return skip_value(s);
    s->prompt_pieces++;
    return take_piece(s, RT_EXTRACT_SPAN_PROMPT, &s->prompt_bytes);
}

static bool take_messages(struct scan *s)
{
    s->msg_bytes = 0;
    s->msgs_present = peek(s) == '[';
    if (!s->msgs_present) {
        if (s->span_src == SRC_MESSAGES)
            reset_spans(s, SRC_NONE);
        return skip_value(s);
    }
    reset_spans(s, SRC_MESSAGES);
    return scan_array(s, message_elem, NULL);
}

static bool take_prompt(struct scan *s)
{
    s->prompt_bytes = 0;
    s->prompt_pieces = 0;
    if (s->span_src != SRC_MESSAGES)
        reset_spans(s, SRC_PROMPT);
    if (peek(s) == '[')
        return scan_array(s, prompt_elem, NULL);
    if (peek(s) == '"')
        return prompt_elem(s, NULL);
    return skip_value(s);
}

/* A top-level string field (model, prompt_cache_key): last occurrence wins, so every field is
 * reset before looking; too long means absent, never truncated. */
static bool take_string(struct scan *s, char *buf, size_t cap, size_t *len, bool *has,
                        bool *too_long)
{
    struct jstr j;

    *has = false;
    *too_long = false;
    *len = 0;
    buf[0] = '\0';
    if (peek(s) != '"')
        return skip_value(s);
    if (!scan_string(s, &j))
        return false;
    if (j.dec_len >= cap) {
        *too_long = true;
        return true;
    }
    decode_string(&j, buf);
    buf[j.dec_len] = '\0';
    *len = j.dec_len;
    *has = true;
    return true;
}

static bool top_member(struct scan *s, enum key_id key, void *ctx)
{
    struct rt_extract *o = s->out;
    bool ok;

    (void)ctx;
    switch (key) {
    case K_MODEL:
        return take_string(s, o->model, sizeof(o->model), &o->model_len, &o->has_model,
                           &o->model_too_long);
    case K_KEY:
        ok = take_string(s, o->key, sizeof(o->key), &o->key_len, &o->has_key, &o->key_too_long);
        o->has_key = o->has_key && o->key_len > 0;
        return ok;
    case K_USER:
        ok =
            take_string(s, o->user, sizeof(o->user), &o->user_len, &o->has_user, &o->user_too_long);
        o->has_user = o->has_user && o->user_len > 0;
        return ok;
    case K_STREAM:
        o->stream = peek(s) == 't';
        return skip_value(s);
    case K_MESSAGES:
        return take_messages(s);
    case K_PROMPT:
        return take_prompt(s);
    default:
        return skip_value(s);
    }
}

static void clear(struct rt_extract *out)
{
    out->json_ok = false;
    out->has_model = out->model_too_long = false;
    out->model[0] = '\0';
    out->model_len = 0;
    out->has_key = out->key_too_long = false;
    out->key[0] = '\0';
    out->key_len = 0;
    out->has_user = out->user_too_long = false;
    out->user[0] = '\0';
    out->user_len = 0;
    out->stream = false;
    out->content_bytes = 0;
    out->n_spans = 0;
    out->spans_truncated = false;
}

int rt_extract_body(const char *body, size_t len, struct rt_extract *out)
{
    clear(out);
    if (body == NULL || len == 0)
        return 0;

    struct scan s = {.p = (const unsigned char *)body,
                     .base = (const unsigned char *)body,
                     .end = (const unsigned char *)body + len,
                     .out = out};
    skip_ws(&s);
    bool ok = peek(&s) == '{' && scan_object(&s, top_member, NULL);
    skip_ws(&s);
    if (!ok || s.p != s.end) {
        clear(out);
        return 0;
    }
    out->json_ok = true;
    out->content_bytes = s.msgs_present ? s.msg_bytes : s.prompt_bytes;
    /* A prompt whose pieces were dropped for a "messages" array that a later duplicate key
     * then replaced by a non-array: its bytes count, its spans are gone. */
    if (!s.msgs_present && s.prompt_pieces > 0 && s.span_src != SRC_PROMPT)
        out->spans_truncated = true;
    return 0;
}
