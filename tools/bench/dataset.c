/* Synthetic prompt sets and JSONL I/O. Texts come from a fixed word list driven by a seeded
 * generator; every prefix, suffix and conversation has its own generator stream, so an item's
 * text depends only on (seed, item) and not on how many items precede it. Depends on cJSON,
 * common/json, common/buf, common/err and tools/bench/{rng,tracegen}. */
#include "dataset.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "rng.h"
#include "tracegen.h"
#include "xalloc.h"

#define MAX_FILE_BYTES ((size_t)1 << 31)

/* Generator streams, kept apart so that prefixes, suffixes, conversations and orderings never
 * draw from the same sequence. */
#define STREAM_PREFIX 0ULL
#define STREAM_SUFFIX (1ULL << 40)
#define STREAM_CONV   (2ULL << 40)
#define STREAM_ORDER  (3ULL << 40)

static const char *const words[] = {
    "the",     "quick",    "model",   "serves",  "tokens", "cache",   "prefix",  "router",
    "request", "latency",  "between", "every",   "simple", "system",  "answer",  "question",
    "river",   "mountain", "garden",  "window",  "orange", "silver",  "engine",  "signal",
    "library", "history",  "careful", "bright",  "quiet",  "planet",  "number",  "letter",
    "morning", "evening",  "travel",  "harbor",  "forest", "little",  "golden",  "winter",
    "summer",  "pattern",  "measure", "balance", "gentle", "village", "kitchen", "station",
    "market",  "paper",    "stone",   "water",   "light",  "shadow",  "music",   "story",
    "friend",  "bridge",   "island",  "thunder", "valley", "copper",  "meadow",  "lantern",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const topics[] = {
    "machine learning", "climate science", "ancient history", "space exploration",
    "home cooking",     "music theory",    "ocean biology",   "city planning",
};
#define NTOPICS (sizeof(topics) / sizeof(topics[0]))

static const char code_alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

int bench_dataset_kind_parse(const char *s, enum bench_dataset_kind *out)
{
    if (strcmp(s, "shared-prefix") == 0)
        *out = BENCH_DATASET_SHARED_PREFIX;
    else if (strcmp(s, "multi-prefix") == 0)
        *out = BENCH_DATASET_MULTI_PREFIX;
    else if (strcmp(s, "conversations") == 0)
        *out = BENCH_DATASET_CONVERSATIONS;
    else if (strcmp(s, "trace") == 0)
        *out = BENCH_DATASET_TRACE;
    else
        return SVC_EPARSE;
    return 0;
}

void bench_dataset_code(struct buf *out, unsigned long long k)
{
    do {
        buf_putc(out, code_alphabet[k % 52]);
        k /= 52;
    } while (k > 0);
}

void bench_dataset_filler(struct bench_rng *r, const char *lead, size_t len, struct buf *out)
{
    size_t start = out->len;

    buf_append_str(out, lead);
    while (out->len - start < len) {
        if (out->len > start)
            buf_putc(out, ' ');
        buf_append_str(out, words[bench_rng_below(r, NWORDS)]);
    }
    if (out->data != NULL) {
        out->len = start + len;
        out->data[out->len] = '\0';
    }
}

void bench_dataset_push(struct bench_dataset *d, cJSON *rec)
{
    d->recs = xrealloc(d->recs, (d->n + 1) * sizeof(*d->recs));
    d->recs[d->n++] = rec;
}

static cJSON *user_messages(const char *content)
{
    cJSON *msgs = json_new_array(), *m = json_new_object();

    json_set_string(m, "role", "user");
    json_set_string(m, "content", content);
    json_array_push(msgs, m);
    return msgs;
}

/* Seeded Fisher-Yates shuffle of `v` (n ints). */
static void shuffle_ints(int *v, size_t n, unsigned long long seed, unsigned long long stream)
{
    struct bench_rng r;

    bench_rng_seed2(&r, seed, stream);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bench_rng_below(&r, i);
        int t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static char **make_prefixes(const struct bench_gen_params *p, int k)
{
    char **prefixes = xcalloc((size_t)k, sizeof(*prefixes));
    struct buf text;

    buf_init(&text, BUF_UNLIMITED);
    for (int i = 0; i < k; i++) {
        struct bench_rng r;
        struct buf lead;
        bench_rng_seed2(&r, p->seed, STREAM_PREFIX + (unsigned long long)i);
        buf_init(&lead, 64);
        bench_dataset_code(&lead, (unsigned long long)i);
        buf_reset(&text);
        bench_dataset_filler(&r, buf_cstr(&lead), (size_t)p->prefix_len, &text);
        /* End on a space so the suffix starts a new word; the first character stays distinct. */
        if (p->prefix_len >= 2)
            text.data[text.len - 1] = ' ';
        prefixes[i] = xstrdup(buf_cstr(&text));
        buf_free(&lead);
    }
    buf_free(&text);
    return prefixes;
}

/* Prefix of each request: i % k, or with a hot share s, prefix 0 at the requests where
 * floor((i + 1) * s) steps (so the hot requests are spread evenly and number floor(n * s))
 * and prefixes 1..k-1 in turn at the others. */
static void assign_prefixes(const struct bench_gen_params *p, int k, int *assign)
{
    int n = p->num_prompts, cold = 0;

    for (int i = 0; i < n; i++) {
        if (p->hot_share <= 0.0 || k < 2)
            assign[i] = i % k;
        else if (p->hot_share >= 1.0 ||
                 floor((double)(i + 1) * p->hot_share) > floor((double)i * p->hot_share))
            assign[i] = 0;
        else
            assign[i] = 1 + cold++ % (k - 1);
    }
}

static int gen_prefixed(const struct bench_gen_params *p, struct bench_dataset *d)
{
    int k = p->kind == BENCH_DATASET_SHARED_PREFIX ? 1 : p->num_prefixes;
    int n = p->num_prompts;
    char **prefixes = make_prefixes(p, k);
    int *assign = xcalloc((size_t)n, sizeof(*assign));
    int *seen = xcalloc((size_t)k, sizeof(*seen));
    struct buf text, lead;

    assign_prefixes(p, k, assign);
    if (p->shuffle)
        shuffle_ints(assign, (size_t)n, p->seed, STREAM_ORDER);
    buf_init(&text, BUF_UNLIMITED);
    buf_init(&lead, 64);
    for (int i = 0; i < n; i++) {
        struct bench_rng r;
        int pid = assign[i];
        bench_rng_seed2(&r, p->seed, STREAM_SUFFIX + (unsigned long long)i);
        buf_reset(&lead);
        bench_dataset_code(&lead, (unsigned long long)seen[pid]++);
        buf_reset(&text);
        buf_append_str(&text, prefixes[pid]);
        bench_dataset_filler(&r, buf_cstr(&lead), (size_t)p->suffix_len, &text);
        cJSON *rec = json_new_object();
        json_set_string(rec, "prompt", buf_cstr(&text));
        json_set_item(rec, "messages", user_messages(buf_cstr(&text)));
        json_set_number(rec, "prefix_id", pid);
        json_set_number(rec, "request_id", i);
        bench_dataset_push(d, rec);
    }
    buf_free(&lead);
    buf_free(&text);
    for (int i = 0; i < k; i++)
        free(prefixes[i]);
    free(prefixes);
    free(assign);
    free(seen);
    return 0;
}

/* The 2 * turns message texts of conversation `c`: user 0, assistant 0, user 1, ... */
static char **conversation_texts(const struct bench_gen_params *p, int c)
{
    int nmsg = 2 * p->messages_per_conv;
    char **texts = xcalloc((size_t)nmsg, sizeof(*texts));
    const char *topic = topics[(size_t)c % NTOPICS];
    struct bench_rng r;
    struct buf text, lead;

    bench_rng_seed2(&r, p->seed, STREAM_CONV + (unsigned long long)c);
    buf_init(&text, BUF_UNLIMITED);
    buf_init(&lead, 256);
    for (int m = 0; m < nmsg; m++) {
        int turn = m / 2;
        size_t len = (size_t)(m % 2 == 1 || turn == 0 ? p->context_len : p->new_msg_len);
        buf_reset(&lead);
        if (m == 0) {
            bench_dataset_code(&lead, (unsigned long long)c);
            buf_appendf(&lead, " Let us talk about %s.", topic);
        } else if (m % 2 == 0) {
            buf_appendf(&lead, "Tell me more about %s, part %d.", topic, turn + 1);
        } else {
            buf_appendf(&lead, "Here is what I know about %s.", topic);
        }
        buf_reset(&text);
        bench_dataset_filler(&r, buf_cstr(&lead), len, &text);
        texts[m] = xstrdup(buf_cstr(&text));
    }
    buf_free(&lead);
    buf_free(&text);
    return texts;
}

static cJSON *conversation_record(char **texts, int c, int turn)
{
    cJSON *rec = json_new_object(), *msgs = json_new_array();
    struct buf prompt, key;

    buf_init(&prompt, BUF_UNLIMITED);
    buf_init(&key, 64);
    for (int m = 0; m < 2 * (turn + 1); m++) {
        const char *role = m % 2 == 0 ? "user" : "assistant";
        cJSON *msg = json_new_object();
        json_set_string(msg, "role", role);
        json_set_string(msg, "content", texts[m]);
        json_array_push(msgs, msg);
        if (m > 0)
            buf_putc(&prompt, '\n');
        buf_appendf(&prompt, "%s: %s", role, texts[m]);
    }
    buf_appendf(&key, "conv_%d", c);
    json_set_item(rec, "messages", msgs);
    json_set_string(rec, "prompt", buf_cstr(&prompt));
    json_set_string(rec, "prompt_cache_key", buf_cstr(&key));
    json_set_number(rec, "conversation_id", c);
    json_set_number(rec, "message_index", turn);
    json_set_number(rec, "prefix_id", c);
    buf_free(&key);
    buf_free(&prompt);
    return rec;
}

static int gen_conversations(const struct bench_gen_params *p, struct bench_dataset *d)
{
    int nc = p->num_conversations, nt = p->messages_per_conv;
    size_t total = (size_t)nc * (size_t)nt;
    int *order = xcalloc(total, sizeof(*order));
    int *turn = xcalloc((size_t)nc, sizeof(*turn));
    char ***texts = xcalloc((size_t)nc, sizeof(*texts));

    for (size_t i = 0; i < total; i++)
        order[i] = (int)(i / (size_t)nt);
    shuffle_ints(order, total, p->seed, STREAM_ORDER);
    for (int c = 0; c < nc; c++)
        texts[c] = conversation_texts(p, c);
    for (size_t i = 0; i < total; i++) {
        int c = order[i];
        bench_dataset_push(d, conversation_record(texts[c], c, turn[c]++));
    }
    for (int c = 0; c < nc; c++) {
        for (int m = 0; m < 2 * nt; m++)
            free(texts[c][m]);
        free(texts[c]);
    }
    free(texts);
    free(turn);
    free(order);
    return 0;
}

static int check_params(const struct bench_gen_params *p, struct err_msg *err)
{
    if (p->kind == BENCH_DATASET_TRACE)
        return bench_tracegen_check(p, err);
    if (p->kind == BENCH_DATASET_CONVERSATIONS) {
        if (p->num_conversations < 1 || p->messages_per_conv < 1 || p->context_len < 1 ||
            p->new_msg_len < 0) {
            err_set(err, 0, 0,
                    "conversations need --num-conversations >= 1, "
                    "--messages-per-conv >= 1, --context-len >= 1 and --new-msg-len >= 0");
            return SVC_EBADCONFIG;
        }
        if ((long long)p->num_conversations * p->messages_per_conv > 10000000) {
            err_set(err, 0, 0, "too many records (at most 10 million)");
            return SVC_EBADCONFIG;
        }
        return 0;
    }
    if (p->num_prompts < 1 || p->prefix_len < 1 || p->suffix_len < 0 ||
        (p->kind == BENCH_DATASET_MULTI_PREFIX && p->num_prefixes < 1)) {
        err_set(err, 0, 0,
                "prefix datasets need --num-prompts >= 1, --num-prefixes >= 1, "
                "--prefix-len >= 1 and --suffix-len >= 0");
        return SVC_EBADCONFIG;
    }
    if (!(p->hot_share >= 0.0 && p->hot_share <= 1.0)) {
        err_set(err, 0, 0, "--hot-share must be between 0 and 1");
        return SVC_EBADCONFIG;
    }
    if (p->hot_share > 0.0 && (p->kind != BENCH_DATASET_MULTI_PREFIX || p->num_prefixes < 2)) {
        err_set(err, 0, 0, "--hot-share needs multi-prefix with --num-prefixes >= 2");
        return SVC_EBADCONFIG;
    }
    return 0;
}

int bench_dataset_generate(const struct bench_gen_params *p, struct bench_dataset *out,
                           struct err_msg *err)
{
    int rc = check_params(p, err);

    if (rc < 0)
        return rc;
    if (p->kind == BENCH_DATASET_TRACE)
        return bench_tracegen_generate(p, out);
    if (p->kind == BENCH_DATASET_CONVERSATIONS)
        return gen_conversations(p, out);
    return gen_prefixed(p, out);
}

int bench_dataset_save(const struct bench_dataset *d, const char *path, struct err_msg *err)
{
    FILE *f = fopen(path, "w");
    struct buf line;
    int rc = 0;

    if (f == NULL) {
        rc = -errno;
        err_set(err, 0, 0, "%s: %s", path, err_str(rc));
        return rc;
    }
    buf_init(&line, BUF_UNLIMITED);
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        buf_reset(&line);
        json_print(d->recs[i], &line);
        buf_putc(&line, '\n');
        if (fwrite(line.data, 1, line.len, f) != line.len)
            rc = -errno;
    }
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        err_set(err, 0, 0, "%s: %s", path, err_str(rc));
    buf_free(&line);
    return rc;
}

int bench_dataset_read_jsonl(const char *path, bench_dataset_line_cb cb, void *ud,
                             struct err_msg *err)
{
    struct buf text;
    int rc, line_no = 0;

    buf_init(&text, MAX_FILE_BYTES);
    rc = buf_read_file(&text, path);
    if (rc < 0) {
        err_set(err, 0, 0, "%s: %s", path, err_str(rc));
        goto out;
    }
    for (const char *p = buf_cstr(&text), *end = p + text.len; p < end && rc == 0;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        struct slice s = slice_trim((struct slice){p, (size_t)(stop - p)});
        line_no++;
        p = stop + 1;
        while (s.len > 0 && (s.ptr[s.len - 1] == '\r'))
            s.len--;
        if (s.len == 0)
            continue;
        struct err_msg jerr = {0};
        cJSON *value = json_parse(s.ptr, s.len, &jerr);
        if (value == NULL) {
            err_set(err, line_no, 0, "%s:%d: %s", path, line_no, jerr.msg);
            rc = SVC_EPARSE;
            goto out;
        }
        rc = cb(ud, value, line_no, err);
    }
out:
    buf_free(&text);
    return rc;
}

struct load_ctx {
    const char *path;
    struct bench_dataset *out;
};

static int take_record(void *ud, cJSON *rec, int line_no, struct err_msg *err)
{
    struct load_ctx *c = ud;

    if (!cJSON_IsObject(rec) ||
        (json_get_string(rec, "prompt") == NULL && json_get_array(rec, "messages") == NULL)) {
        err_set(err, line_no, 0, "%s:%d: need an object with \"prompt\" or \"messages\"", c->path,
                line_no);
        cJSON_Delete(rec);
        return SVC_EPARSE;
    }
    bench_dataset_push(c->out, rec);
    return 0;
}

int bench_dataset_load(const char *path, struct bench_dataset *out, struct err_msg *err)
{
    struct load_ctx c = {path, out};
    int rc = bench_dataset_read_jsonl(path, take_record, &c, err);

    if (rc == 0 && out->n == 0) {
        err_set(err, 0, 0, "%s: no records", path);
        rc = SVC_EPARSE;
    }
    return rc;
}

void bench_dataset_free(struct bench_dataset *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        cJSON_Delete(d->recs[i]);
    free(d->recs);
    d->recs = NULL;
    d->n = 0;
}
