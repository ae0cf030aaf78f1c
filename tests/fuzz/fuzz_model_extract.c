/* Fuzz target: router/model_extract against cJSON as a differential oracle. Whatever the
 * input, a rejected body must carry no fields and spans must point between quotes inside the
 * body. When cJSON accepts the body as an object (no trailing bytes but JSON whitespace), the
 * extractor must accept it; when both accept, they must agree on model, prompt_cache_key,
 * stream, content_bytes and the number of spans; when cJSON rejects it, so must the extractor.
 *
 * cJSON 1.7 is more lenient than RFC 8259 in ways the extractor deliberately is not, so an
 * acceptance by cJSON alone proves nothing when the body has: any byte below 0x20 inside a
 * string or, other than tab/LF/CR, outside one (cJSON skips every byte <= 0x20 as whitespace
 * and copies control bytes into strings); invalid UTF-8 (cJSON does not validate it); a \u
 * escape with a non-hex digit (cJSON decodes it as U+0000); a leading UTF-8 BOM (cJSON skips
 * it); a number outside the strict grammar (cJSON hands [-+.eE0-9]* to strtod, so it takes 01,
 * 1., -.5); or nesting deeper than our limit. cJSON is stricter in one way: it reads at most 63
 * characters of a number, so a longer number is skipped in the other direction. Bodies with
 * \u0000 skip the string comparisons, because cJSON's NUL-terminated strings stop there. cJSON
 * keeps every duplicate key, so the oracle walks the children and takes the last, as we do.
 *
 * Every body then feeds the cache-aware path (router/prefix_hash into router/prefix_index): the
 * chain is hashed at a small block size, matched and inserted for a member of a small index that
 * lives across inputs (so eviction runs), and the member's longest held prefix must then be the
 * whole chain, as far as its capacity allows. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz.h"
#include "model_extract.h"
#include "prefix_hash.h"
#include "prefix_index.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Strict RFC 8259 number grammar over exactly n bytes. */
static bool strict_number(const unsigned char *p, size_t n)
{
    size_t i = 0;

    if (i < n && p[i] == '-')
        i++;
    if (i < n && p[i] == '0')
        i++;
    else if (i < n && p[i] >= '1' && p[i] <= '9')
        while (i < n && is_digit(p[i]))
            i++;
    else
        return false;
    if (i < n && p[i] == '.') {
        size_t d = ++i;
        while (i < n && is_digit(p[i]))
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && is_digit(p[i]))
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* UTF-8 well-formedness (Unicode table 3-7), written apart from the extractor's. */
static bool valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i], lo = 0x80, hi = 0xbf;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c >= 0xe0 && c <= 0xef)
            k = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3;
        else
            return false;
        if (n - i <= k)
            return false;
        lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : lo;
        hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : hi;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++)
            if ((p[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

static bool is_num_char(unsigned char c)
{
    return is_digit(c) || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

struct lex {
    bool lenient;    /* cJSON may accept what RFC 8259 forbids */
    bool long_num;   /* cJSON may reject a valid long number */
    bool nul_escape; /* \u0000 somewhere: skip string comparisons */
};

/* A rough lexer that only looks for the constructs cJSON treats differently. */
static struct lex lex_body(const unsigned char *p, size_t n)
{
    struct lex l = {.lenient = !valid_utf8(p, n) || (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)};
    bool in_str = false;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (in_str) {
            if (c < 0x20)
                l.lenient = true;
            if (c == '"')
                in_str = false;
            if (c == '\\' && i + 1 < n && p[i + 1] == 'u') {
                for (size_t j = i + 2; j < i + 6 && j < n; j++)
                    if (!is_digit(p[j]) && !((p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'f'))
                        l.lenient = true;
                if (i + 6 <= n && memcmp(p + i + 2, "0000", 4) == 0)
                    l.nul_escape = true;
            }
            if (c == '\\')
                i++;
        } else if (c == '"') {
            in_str = true;
        } else if (c < 0x20 && !is_ws(c)) {
            l.lenient = true;
        } else if (c == '-' || is_digit(c)) {
            size_t j = i;
            while (j < n && is_num_char(p[j]))
                j++;
            l.lenient |= !strict_number(p + i, j - i);
            l.long_num |= j - i >= 63;
            i = j - 1;
        }
    }
    return l;
}

static int depth_of(const cJSON *v)
{
    int d = 0;

    if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
        return 0;
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        int cd = depth_of(c);
        d = cd > d ? cd : d;
    }
    return d + 1;
}

/* The last child named `key` (cJSON keeps duplicates; the extractor takes the last). */
static const cJSON *last(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL;

    for (const cJSON *c = obj->child; c != NULL; c = c->next)
        if (c->string != NULL && strcmp(c->string, key) == 0)
            found = c;
    return found;
}

static void count_string(const cJSON *v, size_t *bytes, size_t *pieces)
{
    if (cJSON_IsString(v)) {
        *bytes += strlen(v->valuestring);
        (*pieces)++;
    }
}

static void count_message(const cJSON *m, size_t *bytes, size_t *pieces)
{
    for (const cJSON *f = m->child; f != NULL; f = f->next) {
        if (strcmp(f->string, "role") == 0 && cJSON_IsString(f)) {
            (*pieces)++;
        } else if (strcmp(f->string, "content") == 0 && cJSON_IsArray(f)) {
            for (const cJSON *part = f->child; part != NULL; part = part->next) {
                if (!cJSON_IsObject(part))
                    continue;
                for (const cJSON *t = part->child; t != NULL; t = t->next)
                    if (strcmp(t->string, "text") == 0 || strcmp(t->string, "content") == 0)
                        count_string(t, bytes, pieces);
            }
        } else if (strcmp(f->string, "content") == 0) {
            count_string(f, bytes, pieces);
        }
    }
}

/* Expected content_bytes and number of pieces, following the header's definition. */
static void expected_content(const cJSON *root, size_t *bytes, size_t *pieces)
{
    const cJSON *msgs = last(root, "messages"), *prompt = last(root, "prompt");

    *bytes = *pieces = 0;
    if (cJSON_IsArray(msgs)) {
        for (const cJSON *m = msgs->child; m != NULL; m = m->next)
            if (cJSON_IsObject(m))
                count_message(m, bytes, pieces);
    } else if (cJSON_IsArray(prompt)) {
        for (const cJSON *s = prompt->child; s != NULL; s = s->next)
            count_string(s, bytes, pieces);
    } else if (prompt != NULL) {
        count_string(prompt, bytes, pieces);
    }
}

static int count_key(const cJSON *root, const char *key)
{
    int n = 0;

    for (const cJSON *c = root->child; c != NULL; c = c->next)
        n += c->string != NULL && strcmp(c->string, key) == 0;
    return n;
}

static void check_string_field(const cJSON *v, bool has, bool too_long, const char *got,
                               size_t got_len, size_t cap, bool nonempty)
{
    if (!cJSON_IsString(v) || (nonempty && v->valuestring[0] == '\0')) {
        CHECK(!has && !too_long);
        return;
    }
    size_t n = strlen(v->valuestring);
    CHECK(has == (n < cap));
    CHECK(too_long == (n >= cap));
    if (has)
        CHECK(got_len == n && memcmp(got, v->valuestring, n) == 0 && got[n] == '\0');
}

static void compare(const cJSON *root, const struct rt_extract *e, const struct lex *l)
{
    if (l->nul_escape)
        return;
    CHECK(e->stream == cJSON_IsTrue(last(root, "stream")));
    check_string_field(last(root, "model"), e->has_model, e->model_too_long, e->model, e->model_len,
                       RT_EXTRACT_MODEL_MAX, false);
    check_string_field(last(root, "prompt_cache_key"), e->has_key, e->key_too_long, e->key,
                       e->key_len, RT_EXTRACT_KEY_MAX, true);
    check_string_field(last(root, "user"), e->has_user, e->user_too_long, e->user, e->user_len,
                       RT_EXTRACT_KEY_MAX, true);
    size_t bytes, pieces;
    expected_content(root, &bytes, &pieces);
    CHECK(e->content_bytes == bytes);
    /* Duplicate messages/prompt keys can hide pieces (documented); otherwise exact. */
    if (count_key(root, "messages") <= 1 && count_key(root, "prompt") <= 1) {
        size_t want = pieces < RT_EXTRACT_MAX_SPANS ? pieces : RT_EXTRACT_MAX_SPANS;
        CHECK(e->n_spans == want);
        CHECK(e->spans_truncated == (pieces > RT_EXTRACT_MAX_SPANS));
    }
}

static void check_invariants(const uint8_t *data, size_t size, const struct rt_extract *e)
{
    CHECK(e->n_spans <= RT_EXTRACT_MAX_SPANS);
    if (!e->json_ok) {
        CHECK(!e->has_model && !e->model_too_long && e->model_len == 0 && !e->has_key);
        CHECK(!e->key_too_long && !e->stream && e->content_bytes == 0 && e->n_spans == 0);
        CHECK(!e->has_user && !e->user_too_long);
        CHECK(!e->spans_truncated);
    }
    CHECK(!e->has_model || (e->model_len < RT_EXTRACT_MODEL_MAX && e->model[e->model_len] == 0));
    CHECK(!e->has_key || (e->key_len > 0 && e->key_len < RT_EXTRACT_KEY_MAX));
    CHECK(!e->has_user || (e->user_len > 0 && e->user_len < RT_EXTRACT_KEY_MAX));
    for (size_t i = 0; i < e->n_spans; i++) {
        const struct rt_extract_span *s = &e->spans[i];
        CHECK(s->off >= 1 && s->off + s->len < size);
        CHECK(data[s->off - 1] == '"' && data[s->off + s->len] == '"');
    }
}

/* The index feeding path, with an index kept across inputs. */
static void feed_index(const uint8_t *data, const struct rt_extract *e)
{
    static struct rt_prefix_index *x;
    static int member[3];
    static unsigned turn;
    uint64_t h[64];
    uint32_t depth[3];
    struct rt_prefix_text info;

    if (x == NULL) {
        x = rt_prefix_index_new(0); /* the smallest: 1,024 blocks, so the cap evicts */
        for (int i = 0; i < 3; i++)
            member[i] = rt_prefix_index_add_member(x, i == 0 ? 16 : 0);
    }
    size_t n = rt_prefix_hash((const char *)data, e, RT_PREFIX_MIN_BLOCK_CHARS,
                              rt_prefix_seed(e->model, e->model_len), h, 64, &info);
    CHECK(n <= 64 && n <= info.nblocks);
    CHECK(e->json_ok || (n == 0 && info.text_bytes == 0));
    CHECK(info.nblocks == info.text_bytes / RT_PREFIX_MIN_BLOCK_CHARS);
    int m = member[turn++ % 3];
    rt_prefix_index_match(x, h, n, member, 3, depth);
    for (int i = 0; i < 3; i++)
        CHECK(depth[i] <= n);
    rt_prefix_index_insert(x, m, h, n);
    size_t cap = rt_prefix_index_capacity(x, m);
    rt_prefix_index_match(x, h, n, &m, 1, depth);
    CHECK(depth[0] == (cap > 0 && n > cap ? cap : n));
    if (n > 2 && turn % 5 == 0)
        rt_prefix_index_truncate(x, m, h, 1, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rt_extract e;

    rt_extract_body((const char *)data, size, &e);
    check_invariants(data, size, &e);
    feed_index(data, &e);

    const char *end = NULL;
    cJSON *root = size > 0 ? cJSON_ParseWithLengthOpts((const char *)data, size, &end, 0) : NULL;
    size_t used = root != NULL ? (size_t)((const uint8_t *)end - data) : 0;
    while (root != NULL && used < size && is_ws(data[used]))
        used++;
    bool cjson_ok = root != NULL && cJSON_IsObject(root) && used == size;
    struct lex l = lex_body(data, size);

    /* Everything the lexer flags is invalid JSON, which the extractor must refuse itself. */
    CHECK(!(e.json_ok && l.lenient));
    if (cjson_ok && !l.lenient && depth_of(root) <= RT_EXTRACT_MAX_DEPTH)
        CHECK(e.json_ok);
    if (cjson_ok && e.json_ok)
        compare(root, &e, &l);
    if (!cjson_ok && !l.long_num)
        CHECK(!e.json_ok);
    cJSON_Delete(root);
    return 0;
}
