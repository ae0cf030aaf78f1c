/* Mooncake trace reading: field checks, sampling, prompt text from hash ids, timestamp order and
 * the arrival schedule. Depends on cJSON, common/{json,buf,err,hash} and tools/bench/{dataset,
 * rng}. */
#include "trace.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "dataset.h"
#include "err.h"
#include "hash.h"
#include "json.h"
#include "rng.h"
#include "xalloc.h"

#define TEXT_SEED         0x7472616365ULL /* "trace": block text depends on the id alone */
#define SAMPLE_SEED       0x73616d706c65ULL
#define MAX_PROMPT_BYTES  ((long long)64 << 20)
#define MAX_HASH_ID       9007199254740991.0 /* 2^53 - 1: exact in a double */
#define MAX_OUTPUT_TOKENS (1 << 30)

void bench_trace_block_text(unsigned long long id, size_t len, struct buf *out)
{
    struct bench_rng r;
    struct buf lead;

    bench_rng_seed2(&r, TEXT_SEED, id);
    buf_init(&lead, 64);
    bench_dataset_code(&lead, id);
    bench_dataset_filler(&r, buf_cstr(&lead), len, out);
    buf_free(&lead);
}

bool bench_trace_keeps(unsigned long long first_id, int m)
{
    return m <= 1 || hash64_u64(first_id, SAMPLE_SEED) % (uint64_t)m == 0;
}

struct load_ctx {
    const char *path;
    const struct bench_trace_opts *o;
    struct bench_dataset *out;
    struct buf text;
};

static int bad(struct load_ctx *c, int line_no, struct err_msg *err, const char *what)
{
    err_set(err, line_no, 0, "%s:%d: %s", c->path, line_no, what);
    return SVC_EPARSE;
}

/* The prompt of a record whose hash ids are `ids` (checked) into c->text. */
static void prompt_text(struct load_ctx *c, const cJSON *ids, long long input_length)
{
    size_t want = (size_t)input_length * (size_t)c->o->chars_per_token;
    size_t block = (size_t)BENCH_TRACE_BLOCK_TOKENS * (size_t)c->o->chars_per_token;
    const cJSON *id;

    buf_reset(&c->text);
    cJSON_ArrayForEach(id, ids)
    {
        if (c->text.len >= want)
            break;
        size_t left = want - c->text.len;
        bench_trace_block_text((unsigned long long)id->valuedouble, left < block ? left : block,
                               &c->text);
    }
}

/* Checks the hash ids: a non-empty array of integers in [0, 2^53) covering `input_length`. */
static const char *check_ids(const cJSON *ids, long long input_length)
{
    const cJSON *id;
    long long n = 0;

    if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0)
        return "need \"hash_ids\", a non-empty array of block ids";
    cJSON_ArrayForEach(id, ids)
    {
        if (!cJSON_IsNumber(id) || !(id->valuedouble >= 0 && id->valuedouble <= MAX_HASH_ID) ||
            id->valuedouble != floor(id->valuedouble))
            return "\"hash_ids\" must hold integers >= 0";
        n++;
    }
    if (n * BENCH_TRACE_BLOCK_TOKENS < input_length)
        return "\"hash_ids\" cover fewer tokens than \"input_length\" (512 per id)";
    return NULL;
}

static int take_line(void *ud, cJSON *value, int line_no, struct err_msg *err)
{
    struct load_ctx *c = ud;
    long long input, output;
    double ts;
    int rc = 0;

    long long max_input = MAX_PROMPT_BYTES / c->o->chars_per_token;
    const cJSON *ids = cJSON_IsObject(value) ? json_get_array(value, "hash_ids") : NULL;
    const char *why = NULL;
    if (!cJSON_IsObject(value))
        why = "need an object with timestamp, input_length, output_length and hash_ids";
    else if (!json_get_number(value, "timestamp", &ts) || !(ts >= 0) || isinf(ts))
        why = "need \"timestamp\", a number of milliseconds >= 0";
    else if (!json_get_int(value, "input_length", 1, max_input, &input))
        why = "need \"input_length\", an integer of tokens >= 1 (at most 64 MiB of text)";
    else if (!json_get_int(value, "output_length", 0, MAX_OUTPUT_TOKENS, &output))
        why = "need \"output_length\", an integer of tokens >= 0";
    else
        why = check_ids(ids, input);
    if (why != NULL) {
        rc = bad(c, line_no, err, why);
        goto out;
    }
    double first = cJSON_GetArrayItem(ids, 0)->valuedouble;
    if (!bench_trace_keeps((unsigned long long)first, c->o->sample_conversations))
        goto out;
    prompt_text(c, ids, input);
    cJSON *rec = json_new_object();
    json_set_stringn(rec, "prompt", c->text.data != NULL ? c->text.data : "", c->text.len);
    json_set_number(rec, "conversation_id", first);
    json_set_number(rec, "prefix_id", first);
    json_set_number(rec, "max_tokens", (double)(output > 0 ? output : 1));
    json_set_number(rec, "timestamp", ts);
    bench_dataset_push(c->out, rec);
out:
    cJSON_Delete(value);
    return rc;
}

struct stamped {
    double ts;
    size_t idx;
    cJSON *rec;
};

static int by_time(const void *a, const void *b)
{
    const struct stamped *x = a, *y = b;

    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static double timestamp(const cJSON *rec)
{
    double ts = 0;

    (void)json_get_number(rec, "timestamp", &ts); /* set by take_line */
    return ts;
}

/* Traces are usually in time order already; sort (stably) when one is not. */
static void sort_by_time(struct bench_dataset *d)
{
    bool sorted = true;

    for (size_t i = 1; i < d->n && sorted; i++)
        sorted = timestamp(d->recs[i - 1]) <= timestamp(d->recs[i]);
    if (sorted)
        return;
    struct stamped *v = xcalloc(d->n, sizeof(*v));
    for (size_t i = 0; i < d->n; i++)
        v[i] = (struct stamped){timestamp(d->recs[i]), i, d->recs[i]};
    qsort(v, d->n, sizeof(*v), by_time);
    for (size_t i = 0; i < d->n; i++)
        d->recs[i] = v[i].rec;
    free(v);
}

int bench_trace_load(const char *path, const struct bench_trace_opts *o, struct bench_dataset *out,
                     struct err_msg *err)
{
    struct load_ctx c = {.path = path, .o = o, .out = out};
    int rc;

    buf_init(&c.text, (size_t)MAX_PROMPT_BYTES + 1);
    rc = bench_dataset_read_jsonl(path, take_line, &c, err);
    buf_free(&c.text);
    if (rc < 0)
        return rc;
    if (out->n == 0) {
        err_set(err, 0, 0, "%s: no records%s", path,
                o->sample_conversations > 1 ? " left after --sample-conversations" : "");
        return SVC_EPARSE;
    }
    sort_by_time(out);
    return 0;
}

void bench_trace_arrivals(const struct bench_dataset *d, size_t n, double time_scale, double *out)
{
    double t0 = n > 0 ? timestamp(d->recs[0]) : 0;

    for (size_t i = 0; i < n; i++)
        out[i] = (timestamp(d->recs[i]) - t0) / 1000.0 / time_scale;
}
