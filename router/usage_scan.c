/* Streaming usage scanner. States: outside any key; reading a key's name after an unescaped
 * quote; after the key, before the colon; after the colon, before the digits; in the digits.
 * Depends on libc only. */
#include "usage_scan.h"

#include <string.h>

enum { IDLE, NAME, COLON, VALUE, DIGITS };
enum { KEY_PROMPT, KEY_CACHED, KEY_NONE };

/* Names with their closing quote, so "prompt_tokens_details" never matches "prompt_tokens". */
static const char *const names[] = {"prompt_tokens\"", "cached_tokens\""};
static const uint8_t name_len[] = {14, 14};

#define VALUE_MAX (UINT64_C(1) << 53)

void rt_usage_scan_init(struct rt_usage_scan *s)
{
    memset(s, 0, sizeof(*s));
    s->state = IDLE;
    s->key = KEY_NONE;
}

static void commit(struct rt_usage_scan *s)
{
    if (s->key == KEY_PROMPT) {
        s->prompt_tokens = s->value;
        s->has_prompt = true;
    } else if (s->key == KEY_CACHED) {
        s->cached_tokens = s->value;
        s->has_cached = true;
    }
}

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One byte; returns true when the byte must be looked at again in the IDLE state. */
static bool step(struct rt_usage_scan *s, unsigned char c)
{
    switch (s->state) {
    case NAME:
        if (s->pos == 0) {
            s->key = c == 'p' ? KEY_PROMPT : c == 'c' ? KEY_CACHED : KEY_NONE;
            if (s->key == KEY_NONE) {
                s->state = IDLE;
                return c == '"'; /* an empty string ended: that quote opens nothing */
            }
        } else if (c != (unsigned char)names[s->key][s->pos]) {
            s->state = IDLE;
            return true;
        }
        if (++s->pos == name_len[s->key])
            s->state = COLON;
        return false;
    case COLON:
        if (is_ws(c))
            return false;
        s->state = c == ':' ? VALUE : IDLE;
        return s->state == IDLE;
    case VALUE:
        if (is_ws(c))
            return false;
        if (c >= '0' && c <= '9') {
            s->value = (uint64_t)(c - '0');
            s->state = DIGITS;
            return false;
        }
        s->state = IDLE;
        return true;
    case DIGITS:
        if (c >= '0' && c <= '9') {
            if (s->value < VALUE_MAX)
                s->value = s->value * 10 + (uint64_t)(c - '0');
            return false;
        }
        commit(s);
        s->state = IDLE;
        return true;
    default:
        return true;
    }
}

void rt_usage_scan_feed(struct rt_usage_scan *s, const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data, *end = p + len;

    while (p < end) {
        unsigned char c = *p;
        if (s->state != IDLE && step(s, c) == false) {
            p++;
            continue;
        }
        /* Outside a key: a quote opens a name unless an odd run of backslashes escapes it. */
        if (c == '\\') {
            s->escaped = !s->escaped;
        } else {
            if (c == '"' && !s->escaped) {
                s->state = NAME;
                s->pos = 0;
            }
            s->escaped = false;
        }
        p++;
    }
}

void rt_usage_scan_finish(struct rt_usage_scan *s)
{
    if (s->state == DIGITS)
        commit(s);
    s->state = IDLE;
}
