/* Engine tokenization over common/http_fetch. The request body is parsed once with cJSON and
 * only the fields /tokenize takes are re-serialised (compact, keys sorted: the values are the
 * client's, unchanged); the answer is read by a small allocation-light scanner. Depends on
 * common/ (buf, err, http_fetch, json, xalloc). */
#include "tokenize.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http_fetch.h"
#include "json.h"
#include "xalloc.h"

struct rt_tokenize_req {
    struct http_fetch_req *fetch;
    rt_tokenize_cb cb;
    void *ud;
};

/* Fields a chat request passes on as they are (vLLM's TokenizeChatRequest). */
static const char *const chat_fields[] = {
    "messages", "add_generation_prompt", "tools", "chat_template_kwargs", "continue_final_message",
    NULL,
};

int rt_tokenize_body(const char *body, size_t len, bool chat, struct buf *out)
{
    cJSON *req = json_parse(body, len, NULL);
    cJSON *tok = NULL;
    const char *model = json_get_string(req, "model");
    int rc = SVC_EPARSE;

    if (model == NULL)
        goto out;
    tok = json_new_object();
    json_set_string(tok, "model", model);
    if (chat) {
        if (json_get_array(req, "messages") == NULL)
            goto out;
        for (size_t i = 0; chat_fields[i] != NULL; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, chat_fields[i]);
            if (v != NULL)
                json_set_item(tok, chat_fields[i], json_dup(v));
        }
    } else {
        const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(req, "prompt");
        if (!cJSON_IsString(prompt) && !cJSON_IsArray(prompt))
            goto out;
        json_set_item(tok, "prompt", json_dup(prompt));
    }
    rc = json_print(tok, out);
out:
    cJSON_Delete(tok);
    cJSON_Delete(req);
    return rc;
}

/* ---------------------------------------------------------------- answer scanner */

/* A minimal JSON walker for the answer: cJSON takes about 1 us per token id (9 ms for 8,000),
 * this about 5 ns, and the answer of a long prompt is the bulk of what --tokenizer engine costs
 * the router. It validates what it skips (strings, numbers, literals, nesting up to 64). */
struct scan {
    const char *p, *end;
};

static void ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool eat(struct scan *s, char c)
{
    ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* At the opening quote: stores the raw content (escapes kept) and moves past the close. */
static bool string(struct scan *s, struct slice *out)
{
    if (!eat(s, '"'))
        return false;
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"') {
        if ((unsigned char)*s->p < 0x20)
            return false;
        if (*s->p == '\\' && ++s->p == s->end)
            return false;
        s->p++;
    }
    if (s->p == s->end)
        return false;
    *out = (struct slice){start, (size_t)(s->p - start)};
    s->p++;
    return true;
}

static bool uint_value(struct scan *s, uint64_t max, uint64_t *v)
{
    ws(s);
    const char *start = s->p;
    *v = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        *v = *v * 10 + (uint64_t)(*s->p - '0');
        if (*v > max || s->p - start > 10)
            return false;
        s->p++;
    }
    return s->p > start && (s->p - start == 1 || *start != '0');
}

static bool skip_value(struct scan *s, int depth)
{
    struct slice str;

    ws(s);
    if (s->p == s->end || depth > 64)
        return false;
    char c = *s->p;
    if (c == '"')
        return string(s, &str);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        s->p++;
        if (eat(s, close))
            return true;
        do {
            if (c == '{' && (!string(s, &str) || !eat(s, ':')))
                return false;
            if (!skip_value(s, depth + 1))
                return false;
        } while (eat(s, ','));
        return eat(s, close);
    }
    const char *start = s->p;
    while (s->p < s->end && strchr("+-.0123456789eEtruefalsn", *s->p) != NULL)
        s->p++;
    size_t n = (size_t)(s->p - start);
    if (n == 0)
        return false;
    if ((c >= '0' && c <= '9') || c == '-') {
        char num[64], *endp;
        if (n >= sizeof(num))
            return false;
        memcpy(num, start, n);
        num[n] = '\0';
        (void)strtod(num, &endp);
        return endp == num + n;
    }
    struct slice lit = {start, n};
    return slice_eq(lit, "true") || slice_eq(lit, "false") || slice_eq(lit, "null");
}

static int scan_tokens(struct scan *s, uint32_t **ids, size_t *n, size_t *cap)
{
    if (!eat(s, '['))
        return SVC_EPARSE;
    if (eat(s, ']'))
        return 0;
    do {
        uint64_t v;
        if (!uint_value(s, UINT32_MAX, &v))
            return SVC_EPARSE;
        if (*n == RT_TOKENIZE_MAX_TOKENS)
            return SVC_ELIMIT;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *ids = xrealloc(*ids, *cap * sizeof(**ids));
        }
        (*ids)[(*n)++] = (uint32_t)v;
    } while (eat(s, ','));
    return eat(s, ']') ? 0 : SVC_EPARSE;
}

int rt_tokenize_parse(const char *body, size_t len, uint32_t **ids, size_t *n)
{
    struct scan s = {body, body + len};
    uint32_t *out = NULL;
    size_t count = 0, cap = 0;
    uint64_t declared = 0;
    bool has_tokens = false, has_count = false;
    int rc = SVC_EPARSE;

    *ids = NULL;
    *n = 0;
    if (!eat(&s, '{'))
        goto out;
    if (!eat(&s, '}')) {
        do {
            struct slice key;
            if (!string(&s, &key) || !eat(&s, ':'))
                goto out;
            if (slice_eq(key, "tokens") && !has_tokens) {
                has_tokens = true;
                if ((rc = scan_tokens(&s, &out, &count, &cap)) < 0)
                    goto out;
                rc = SVC_EPARSE;
            } else if (slice_eq(key, "count") && !has_count) {
                has_count = true;
                if (!uint_value(&s, UINT64_MAX / 16, &declared))
                    goto out;
            } else if (!skip_value(&s, 0)) {
                goto out;
            }
        } while (eat(&s, ','));
        if (!eat(&s, '}'))
            goto out;
    }
    ws(&s);
    if (s.p != s.end || !has_tokens || (has_count && declared != count))
        goto out;
    *ids = out;
    *n = count;
    out = NULL;
    rc = 0;
out:
    free(out);
    return rc;
}

static void on_done(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct rt_tokenize_req *r = ud;
    uint32_t *ids = NULL;
    size_t n = 0;

    if (rc == 0 && resp->status != 200)
        rc = SVC_EHTTP;
    if (rc == 0)
        rc = rt_tokenize_parse(resp->body.ptr, resp->body.len, &ids, &n);
    r->cb(r->ud, rc, rc == 0 ? ids : NULL, rc == 0 ? n : 0);
    free(ids);
    free(r);
}

struct rt_tokenize_req *rt_tokenize_start(struct http_fetch *f, const char *base_url,
                                          const char *tok_body, size_t len,
                                          const char *const *headers, uint64_t timeout_ms,
                                          rt_tokenize_cb cb, void *ud)
{
    const char *hdrs[RT_TOKENIZE_MAX_HEADERS + 2] = {"Content-Type: application/json"};
    size_t nh = 1;
    struct buf url;

    if (base_url == NULL || cb == NULL)
        return NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL && i < RT_TOKENIZE_MAX_HEADERS; i++)
        hdrs[nh++] = headers[i];
    struct rt_tokenize_req *r = xcalloc(1, sizeof(*r));
    r->cb = cb;
    r->ud = ud;
    buf_init(&url, BUF_UNLIMITED);
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    buf_append(&url, base_url, blen);
    buf_append_str(&url, "/tokenize");
    struct http_fetch_opts o = {
        .method = "POST",
        .url = buf_cstr(&url),
        .headers = hdrs,
        .body = tok_body,
        .body_len = len,
        .connect_timeout_ms = timeout_ms > 0 ? timeout_ms : RT_TOKENIZE_DEFAULT_TIMEOUT_MS,
        .timeout_ms = timeout_ms > 0 ? timeout_ms : RT_TOKENIZE_DEFAULT_TIMEOUT_MS,
        .max_response = 64u << 20,
        .on_done = on_done,
        .ud = r,
    };
    r->fetch = http_fetch_start(f, &o);
    buf_free(&url);
    if (r->fetch == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

void rt_tokenize_cancel(struct rt_tokenize_req *r)
{
    if (r == NULL)
        return;
    http_fetch_cancel(r->fetch);
    free(r);
}

bool rt_tokenize_worth(size_t content_bytes, size_t min_chars)
{
    return content_bytes >= min_chars;
}
