/* Response bodies of infini-mock. Everything a request can influence is a number here; the
 * strings (instance name, model id, words) are escaped once, at setup. Pure; depends on
 * common/buf, common/json, common/hash and tools/mock/prompt (token counts). */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "json.h"
#include "prompt.h"
#include "xalloc.h"

#define MAX_GREETING_WORDS 64
#define EMBEDDING_DIM      8

static const char *const filler[] = {
    "lorem",  "ipsum",   "dolor",  "sit",     "amet",         "consectetur", "adipiscing",
    "elit",   "sed",     "do",     "eiusmod", "tempor",       "incididunt",  "ut",
    "labore", "et",      "dolore", "magna",   "aliqua",       "enim",        "ad",
    "minim",  "veniam",  "quis",   "nostrud", "exercitation", "ullamco",     "laboris",
    "nisi",   "aliquip", "ex",     "commodo",
};
#define NFILLER (sizeof(filler) / sizeof(filler[0]))

struct mock_words {
    char *model_json; /* "\"model-1\"" */
    struct buf text;  /* escaped greeting words, back to back */
    size_t off[MAX_GREETING_WORDS], len[MAX_GREETING_WORDS];
    size_t ngreeting;
};

/* Appends `s` JSON-escaped without the quotes. */
static void append_escaped(struct buf *out, const char *s, size_t len)
{
    struct buf tmp;

    buf_init(&tmp, BUF_UNLIMITED);
    json_print_string(&tmp, s, len);
    buf_append(out, tmp.data + 1, tmp.len - 2);
    buf_free(&tmp);
}

struct mock_words *mock_render_words_new(const char *name, const char *model)
{
    struct mock_words *w = xcalloc(1, sizeof(*w));
    struct buf greeting, quoted;

    buf_init(&greeting, BUF_UNLIMITED);
    buf_appendf(&greeting, "Hello from %s (model: %s)", name, model);
    buf_init(&w->text, BUF_UNLIMITED);
    /* Split on spaces; a name with spaces just makes more words. */
    const char *p = buf_cstr(&greeting);
    while (*p != '\0' && w->ngreeting < MAX_GREETING_WORDS) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        w->off[w->ngreeting] = w->text.len;
        append_escaped(&w->text, p, n);
        w->len[w->ngreeting] = w->text.len - w->off[w->ngreeting];
        w->ngreeting++;
        p += n;
    }
    buf_free(&greeting);
    buf_init(&quoted, BUF_UNLIMITED);
    json_print_string(&quoted, model, strlen(model));
    w->model_json = buf_take(&quoted, NULL);
    return w;
}

void mock_render_words_free(struct mock_words *w)
{
    if (w == NULL)
        return;
    free(w->model_json);
    buf_free(&w->text);
    free(w);
}

const char *mock_render_model_json(const struct mock_words *w)
{
    return w->model_json;
}

/* Appends token `i`'s text (escaped, with its leading space). */
static void append_word(struct buf *out, const struct mock_words *w, int i)
{
    if (i > 0)
        buf_putc(out, ' ');
    if ((size_t)i < w->ngreeting)
        buf_append(out, w->text.data + w->off[i], w->len[i]);
    else
        buf_append_str(out, filler[((size_t)i - w->ngreeting) % NFILLER]);
}

static const char *id_prefix(const struct mock_render_reply *r)
{
    return r->api == MOCK_RENDER_CHAT ? "chatcmpl-" : "cmpl-";
}

/* The hot path appends strings and integers directly: printf cost more than everything else
 * this file does for a small response. */
static void append_int(struct buf *out, long long v)
{
    if (v < 0) {
        buf_putc(out, '-');
        buf_append_uint(out, (unsigned long long)-(v + 1) + 1);
        return;
    }
    buf_append_uint(out, (unsigned long long)v);
}

static int nchoices(const struct mock_render_reply *r);

static void append_usage(struct buf *out, const struct mock_render_reply *r)
{
    long long completion = (long long)r->completion_tokens * nchoices(r);

    buf_append_str(out, "\"usage\":{\"completion_tokens\":");
    append_int(out, completion);
    buf_append_str(out, ",\"prompt_tokens\":");
    append_int(out, r->prompt_tokens);
    buf_append_str(out, ",\"prompt_tokens_details\":{\"cached_tokens\":");
    append_int(out, r->cached_tokens);
    buf_append_str(out, "},\"total_tokens\":");
    append_int(out, (long long)r->prompt_tokens + completion);
    buf_putc(out, '}');
}

/* `"created":..,"id":..,"model":..,"object":..` — the keys that follow "choices". */
static void append_envelope(struct buf *out, const struct mock_render_reply *r, const char *object)
{
    buf_append_str(out, ",\"created\":");
    append_int(out, r->created);
    buf_append_str(out, ",\"id\":\"");
    buf_append_str(out, id_prefix(r));
    buf_append_uint(out, r->id);
    buf_append_str(out, "\",\"model\":");
    buf_append_str(out, r->words->model_json);
    buf_append_str(out, ",\"object\":\"");
    buf_append_str(out, object);
    buf_putc(out, '"');
}

/* `{"finish_reason":"<r>"` or `{"finish_reason":null`, opening a choice object. */
static void append_finish(struct buf *out, const char *reason)
{
    if (reason == NULL) {
        buf_append_str(out, "\"finish_reason\":null");
        return;
    }
    buf_append_str(out, "\"finish_reason\":\"");
    buf_append_str(out, reason);
    buf_putc(out, '"');
}

/* The number of choices (n), at least one. */
static int nchoices(const struct mock_render_reply *r)
{
    return r->n > 1 ? r->n : 1;
}

/* `,"index":<k>` */
static void append_index(struct buf *out, int k)
{
    buf_append_str(out, ",\"index\":");
    append_int(out, k);
}

/* Every choice carries the same text: `n` only has to produce n well-formed choices. */
void mock_render_completion(struct buf *out, const struct mock_render_reply *r)
{
    buf_append_str(out, "{\"choices\":[");
    for (int k = 0; k < nchoices(r); k++) {
        buf_append_str(out, k > 0 ? ",{" : "{");
        append_finish(out, r->finish_reason);
        append_index(out, k);
        buf_append_str(out, r->api == MOCK_RENDER_CHAT
                                ? ",\"logprobs\":null,\"message\":{\"content\":\""
                                : ",\"logprobs\":null,\"text\":\"");
        for (int i = 0; i < r->completion_tokens; i++)
            append_word(out, r->words, i);
        buf_append_str(out, r->api == MOCK_RENDER_CHAT ? "\",\"role\":\"assistant\"}}" : "\"}");
    }
    buf_putc(out, ']');
    append_envelope(out, r, r->api == MOCK_RENDER_CHAT ? "chat.completion" : "text_completion");
    buf_putc(out, ',');
    append_usage(out, r);
    buf_putc(out, '}');
}

void mock_render_chunk(struct buf *out, const struct mock_render_reply *r, int token)
{
    for (int k = 0; k < nchoices(r); k++) {
        if (r->api == MOCK_RENDER_CHAT) {
            buf_append_str(out, "data: {\"choices\":[{\"delta\":{\"content\":\"");
            append_word(out, r->words, token);
            buf_append_str(out, token == 0 ? "\",\"role\":\"assistant\"}" : "\"}");
            buf_append_str(out, ",\"finish_reason\":null");
            append_index(out, k);
            buf_append_str(out, ",\"logprobs\":null}]");
            append_envelope(out, r, "chat.completion.chunk");
        } else {
            buf_append_str(out, "data: {\"choices\":[{\"finish_reason\":null");
            append_index(out, k);
            buf_append_str(out, ",\"logprobs\":null,\"text\":\"");
            append_word(out, r->words, token);
            buf_append_str(out, "\"}]");
            append_envelope(out, r, "text_completion");
        }
        buf_append_str(out, "}\n\n");
    }
}

void mock_render_final_chunk(struct buf *out, const struct mock_render_reply *r)
{
    for (int k = 0; k < nchoices(r); k++) {
        if (r->api == MOCK_RENDER_CHAT) {
            buf_append_str(out, "data: {\"choices\":[{\"delta\":{},");
            append_finish(out, r->finish_reason);
            append_index(out, k);
            buf_append_str(out, ",\"logprobs\":null}]");
            append_envelope(out, r, "chat.completion.chunk");
        } else {
            buf_append_str(out, "data: {\"choices\":[{");
            append_finish(out, r->finish_reason);
            append_index(out, k);
            buf_append_str(out, ",\"logprobs\":null,\"text\":\"\"}]");
            append_envelope(out, r, "text_completion");
        }
        buf_append_str(out, "}\n\n");
    }
}

void mock_render_usage_chunk(struct buf *out, const struct mock_render_reply *r)
{
    buf_append_str(out, "data: {\"choices\":[]");
    append_envelope(out, r,
                    r->api == MOCK_RENDER_CHAT ? "chat.completion.chunk" : "text_completion");
    buf_putc(out, ',');
    append_usage(out, r);
    buf_append_str(out, "}\n\n");
}

void mock_render_done(struct buf *out)
{
    buf_append_str(out, "data: [DONE]\n\n");
}

/* A unit vector derived from the input's bytes. */
static void embed(const char *text, size_t len, uint64_t seed, double v[EMBEDDING_DIM])
{
    uint64_t h = hash64(text, len, seed);
    double norm = 0;

    for (int i = 0; i < EMBEDDING_DIM; i++) {
        h = hash64_u64(h, (uint64_t)i);
        v[i] = (double)(h >> 11) / 9007199254740992.0 * 2.0 - 1.0; /* [-1, 1) */
        norm += v[i] * v[i];
    }
    norm = sqrt(norm);
    for (int i = 0; i < EMBEDDING_DIM; i++)
        v[i] = norm > 0 ? v[i] / norm : 0;
}

/* `v` as base64 of little-endian IEEE float32s, byte order fixed whatever the host's. */
static void append_base64_f32(struct buf *out, const double *v, int n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t bytes[EMBEDDING_DIM * 4];
    size_t len = 0;

    for (int i = 0; i < n; i++) {
        float f = (float)v[i];
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        for (int b = 0; b < 4; b++)
            bytes[len++] = (uint8_t)(bits >> (8 * b));
    }
    for (size_t i = 0; i < len; i += 3) {
        uint32_t chunk = (uint32_t)bytes[i] << 16;
        if (i + 1 < len)
            chunk |= (uint32_t)bytes[i + 1] << 8;
        if (i + 2 < len)
            chunk |= bytes[i + 2];
        buf_putc(out, digits[(chunk >> 18) & 63]);
        buf_putc(out, digits[(chunk >> 12) & 63]);
        buf_putc(out, i + 1 < len ? digits[(chunk >> 6) & 63] : '=');
        buf_putc(out, i + 2 < len ? digits[chunk & 63] : '=');
    }
}

void mock_render_embeddings(struct buf *out, const struct mock_words *w, const char *inputs,
                            size_t count, int chars_per_token, uint64_t seed, bool base64)
{
    const char *p = inputs;
    long long tokens = 0;

    buf_append_str(out, "{\"data\":[");
    for (size_t k = 0; k < count; k++) {
        size_t len = strlen(p);
        double v[EMBEDDING_DIM];
        embed(p, len, seed, v);
        tokens += mock_prompt_tokens(len, chars_per_token);
        buf_appendf(out, "%s{\"embedding\":%c", k > 0 ? "," : "", base64 ? '"' : '[');
        if (base64)
            append_base64_f32(out, v, EMBEDDING_DIM);
        for (int i = 0; !base64 && i < EMBEDDING_DIM; i++)
            buf_appendf(out, "%s%.6f", i > 0 ? "," : "", v[i]);
        buf_appendf(out, "%c,\"index\":%zu,\"object\":\"embedding\"}", base64 ? '"' : ']', k);
        p += len + 1;
    }
    buf_appendf(out,
                "],\"model\":%s,\"object\":\"list\",\"usage\":{\"prompt_tokens\":%lld,"
                "\"total_tokens\":%lld}}",
                w->model_json, tokens, tokens);
}
