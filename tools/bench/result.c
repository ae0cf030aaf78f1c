/* Summary printing, result document, file naming and saving. Depends on cJSON, common/json,
 * common/buf, common/err, tools/bench/summary and tools/bench/outcome. */
#include "result.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "outcome.h"
#include "summary.h"
#include "xalloc.h"

#define WIDTH 50

/* ---------------------------------------------------------------- summary table */

static void header(FILE *f, const char *title, char fill)
{
    size_t len = strlen(title), left = len < WIDTH ? (WIDTH - len) / 2 : 0;
    size_t right = len + left < WIDTH ? WIDTH - len - left : 0;

    for (size_t i = 0; i < left; i++)
        fputc(fill, f);
    fputs(title, f);
    for (size_t i = 0; i < right; i++)
        fputc(fill, f);
    fputc('\n', f);
}

static void row_int(FILE *f, const char *label, long long v)
{
    fprintf(f, "%-40s %-10lld\n", label, v);
}

static void row_num(FILE *f, const char *label, double v)
{
    if (isfinite(v))
        fprintf(f, "%-40s %-10.2f\n", label, v);
    else
        fprintf(f, "%-40s %-10s\n", label, "-");
}

static void metric_rows(FILE *f, const char *title, const char *name, const struct bench_stats *s)
{
    char label[64];

    header(f, title, '-');
    snprintf(label, sizeof(label), "Mean %s (ms):", name);
    row_num(f, label, s->mean);
    snprintf(label, sizeof(label), "Median %s (ms):", name);
    row_num(f, label, s->median);
    snprintf(label, sizeof(label), "Std %s (ms):", name);
    row_num(f, label, s->std);
    snprintf(label, sizeof(label), "P90 %s (ms):", name);
    row_num(f, label, s->p90);
    snprintf(label, sizeof(label), "P99 %s (ms):", name);
    row_num(f, label, s->p99);
}

static void cache_rows(FILE *f, const struct bench_summary *s)
{
    char label[160];

    header(f, "Prefix Cache", '-');
    row_num(f, "Prefix cache hit rate (%):", s->hit_rate * 100.0);
    row_int(f, "Cached prompt tokens:", s->total_cached);
    row_int(f, "Hit requests (cached > 0):", (long long)s->hit_requests);
    row_num(f, "Mean TTFT of hits (ms):", s->mean_ttft_hit_ms);
    row_int(f, "Miss requests (cached = 0):", (long long)s->miss_requests);
    row_num(f, "Mean TTFT of misses (ms):", s->mean_ttft_miss_ms);
    header(f, "Requests per Instance", '-');
    if (s->ninstances == 0)
        fprintf(f, "%-40s %-10s\n", "(no instance header seen)", "-");
    for (size_t i = 0; i < s->ninstances; i++) {
        snprintf(label, sizeof(label), "%.120s:", s->instances[i].name);
        row_int(f, label, (long long)s->instances[i].requests);
    }
}

void bench_result_print(FILE *f, const struct bench_run_info *ri, const struct bench_summary *s)
{
    header(f, " Serving Benchmark Result ", '=');
    row_int(f, "Successful requests:", (long long)s->completed);
    row_int(f, "Failed requests:", (long long)s->failed);
    if (ri->max_concurrency > 0)
        row_int(f, "Maximum request concurrency:", ri->max_concurrency);
    if (isfinite(ri->request_rate))
        row_num(f, "Request rate configured (RPS):", ri->request_rate);
    row_num(f, "Benchmark duration (s):", s->duration_s);
    row_int(f, "Total input tokens:", s->total_input);
    row_int(f, "Total generated tokens:", s->total_output);
    row_num(f, "Request throughput (req/s):", s->request_throughput);
    row_num(f, "Output token throughput (tok/s):", s->output_throughput);
    row_num(f, "Peak output token throughput (tok/s):", s->max_output_tokens_per_s);
    row_int(f, "Peak concurrent requests:", (long long)s->max_concurrent);
    row_num(f, "Total Token throughput (tok/s):", s->total_token_throughput);
    metric_rows(f, "Time to First Token", "TTFT", &s->ttft);
    metric_rows(f, "Time per Output Token (excl. 1st token)", "TPOT", &s->tpot);
    metric_rows(f, "Inter-token Latency", "ITL", &s->itl);
    metric_rows(f, "End-to-end Latency", "E2EL", &s->e2el);
    cache_rows(f, s);
    header(f, "", '=');
}

/* ---------------------------------------------------------------- result document */

static void set_metric(cJSON *doc, const char *name, const struct bench_stats *s)
{
    char key[64];

    snprintf(key, sizeof(key), "mean_%s_ms", name);
    json_set_number(doc, key, s->mean);
    snprintf(key, sizeof(key), "median_%s_ms", name);
    json_set_number(doc, key, s->median);
    snprintf(key, sizeof(key), "std_%s_ms", name);
    json_set_number(doc, key, s->std);
    snprintf(key, sizeof(key), "p90_%s_ms", name);
    json_set_number(doc, key, s->p90);
    snprintf(key, sizeof(key), "p99_%s_ms", name);
    json_set_number(doc, key, s->p99);
}

static void set_settings(cJSON *doc, const struct bench_run_info *ri)
{
    json_set_string(doc, "date", ri->date);
    json_set_string(doc, "endpoint_type", ri->backend);
    json_set_string(doc, "backend", ri->backend);
    json_set_string(doc, "label", ri->label);
    json_set_string(doc, "model_id", ri->model);
    json_set_string(doc, "tokenizer_id", ri->model);
    json_set_number(doc, "num_prompts", (double)ri->num_prompts);
    if (isfinite(ri->request_rate))
        json_set_float(doc, "request_rate", ri->request_rate);
    else
        json_set_string(doc, "request_rate", "inf");
    json_set_float(doc, "burstiness", ri->burstiness);
    if (ri->max_concurrency > 0)
        json_set_number(doc, "max_concurrency", ri->max_concurrency);
    else
        json_set_null(doc, "max_concurrency");
}

static void set_totals(cJSON *doc, const struct bench_summary *s)
{
    json_set_number(doc, "duration", s->duration_s);
    json_set_number(doc, "completed", (double)s->completed);
    json_set_number(doc, "failed", (double)s->failed);
    json_set_number(doc, "total_input_tokens", (double)s->total_input);
    json_set_number(doc, "total_output_tokens", (double)s->total_output);
    json_set_number(doc, "request_throughput", s->request_throughput);
    json_set_null(doc, "request_goodput"); /* no SLOs configured, as vLLM without --goodput */
    json_set_number(doc, "output_throughput", s->output_throughput);
    json_set_number(doc, "total_token_throughput", s->total_token_throughput);
    json_set_number(doc, "max_output_tokens_per_s", s->max_output_tokens_per_s);
    json_set_number(doc, "max_concurrent_requests", (double)s->max_concurrent);
    json_set_number(doc, "prefix_cache_hit_rate", s->hit_rate);
    json_set_number(doc, "hit_requests", (double)s->hit_requests);
    json_set_number(doc, "miss_requests", (double)s->miss_requests);
    json_set_number(doc, "mean_ttft_hit_ms", s->mean_ttft_hit_ms);
    json_set_number(doc, "mean_ttft_miss_ms", s->mean_ttft_miss_ms);
    cJSON *inst = json_new_object();
    for (size_t i = 0; i < s->ninstances; i++)
        json_set_number(inst, s->instances[i].name, (double)s->instances[i].requests);
    json_set_item(doc, "per_instance", inst);
}

static cJSON *number(double v)
{
    cJSON *item = cJSON_CreateNumber(v);

    SVC_ASSERT(item != NULL);
    return item;
}

static void set_arrays(cJSON *doc, const struct bench_outcome *o, size_t n)
{
    cJSON *ttfts = json_new_array(), *itls = json_new_array(), *e2els = json_new_array();
    cJSON *in = json_new_array(), *out = json_new_array(), *cached = json_new_array();
    cJSON *inst = json_new_array(), *errors = json_new_array();

    for (size_t i = 0; i < n; i++) {
        const struct bench_outcome *r = &o[i];
        cJSON *gaps = json_new_array();
        for (size_t k = 0; r->ok && k < r->nitls; k++)
            json_array_push(gaps, number(r->itls[k]));
        json_array_push(ttfts, number(r->ok ? r->ttft_s : 0.0));
        json_array_push(itls, gaps);
        json_array_push(e2els, number(r->e2e_s));
        json_array_push(in, number((double)bench_outcome_input_tokens(r)));
        json_array_push(out, number((double)bench_outcome_output_tokens(r)));
        json_array_push(cached, number((double)bench_outcome_cached_tokens(r)));
        json_array_push(inst,
                        r->instance != NULL ? json_new_string(r->instance) : cJSON_CreateNull());
        json_array_push(errors, json_new_string(r->ok ? "" : (r->error ? r->error : "not sent")));
    }
    json_set_item(doc, "ttfts", ttfts);
    json_set_item(doc, "itls", itls);
    json_set_item(doc, "e2els", e2els);
    json_set_item(doc, "input_lens", in);
    json_set_item(doc, "output_lens", out);
    json_set_item(doc, "cached_tokens", cached);
    json_set_item(doc, "instances", inst);
    json_set_item(doc, "errors", errors);
}

cJSON *bench_result_json(const struct bench_run_info *ri, const struct bench_summary *s,
                         const struct bench_outcome *o, size_t n)
{
    cJSON *doc = json_new_object();

    set_settings(doc, ri);
    set_totals(doc, s);
    set_metric(doc, "ttft", &s->ttft);
    set_metric(doc, "tpot", &s->tpot);
    set_metric(doc, "itl", &s->itl);
    set_metric(doc, "e2el", &s->e2el);
    set_arrays(doc, o, n);
    return doc;
}

/* ---------------------------------------------------------------- file name and saving */

void bench_result_format_rate(double rate, char *out, size_t size)
{
    if (isinf(rate)) {
        snprintf(out, size, "inf");
        return;
    }
    if (rate == floor(rate) && fabs(rate) < 1e16) {
        snprintf(out, size, "%.1f", rate);
        return;
    }
    /* Python prints the shortest text that reads back as the same double. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, rate);
        if (strtod(out, NULL) == rate)
            return;
    }
}

static int append_safe(struct buf *out, const char *s)
{
    int rc = 0;

    for (; *s != '\0' && rc == 0; s++)
        rc = buf_putc(out, *s == '/' ? '_' : *s);
    return rc;
}

int bench_result_filename(const struct bench_run_info *ri, struct buf *out)
{
    const char *slash = strrchr(ri->model, '/');
    const char *model = slash != NULL ? slash + 1 : ri->model;
    char rate[64];
    int rc;

    bench_result_format_rate(ri->request_rate, rate, sizeof(rate));
    rc = append_safe(out, ri->label);
    if (rc == 0)
        rc = buf_appendf(out, "-%sqps", rate);
    if (rc == 0 && ri->max_concurrency > 0)
        rc = buf_appendf(out, "-concurrency%d", ri->max_concurrency);
    if (rc == 0)
        rc = buf_putc(out, '-');
    if (rc == 0)
        rc = append_safe(out, model);
    if (rc == 0)
        rc = buf_appendf(out, "-%s.json", ri->date);
    return rc;
}

void bench_result_date(double t, char out[BENCH_RESULT_DATE_LEN])
{
    time_t secs = (time_t)floor(t);
    struct tm tm;

    localtime_r(&secs, &tm);
    if (strftime(out, BENCH_RESULT_DATE_LEN, "%Y%m%d-%H%M%S", &tm) == 0)
        out[0] = '\0';
}

/* mkdir -p: creates each missing component of `dir`. */
static int make_dirs(const char *dir)
{
    char *copy = xstrdup(dir);
    int rc = 0;

    for (char *p = copy + 1; rc == 0; p++) {
        bool last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        *p = '\0';
        if (mkdir(copy, 0777) < 0 && errno != EEXIST)
            rc = -errno;
        if (last)
            break;
        *p = '/';
    }
    free(copy);
    return rc;
}

int bench_result_save(const cJSON *doc, const char *dir, const char *name, struct buf *path,
                      struct err_msg *err)
{
    struct buf text;
    FILE *f = NULL;
    int rc;

    buf_init(&text, BUF_UNLIMITED);
    buf_reset(path);
    buf_appendf(path, "%s/%s", dir, name);
    rc = dir[0] != '\0' ? make_dirs(dir) : 0;
    if (rc == 0)
        rc = json_print(doc, &text);
    if (rc == 0 && buf_putc(&text, '\n') == 0 && (f = fopen(buf_cstr(path), "w")) == NULL)
        rc = -errno;
    if (f != NULL && fwrite(text.data, 1, text.len, f) != text.len)
        rc = -errno;
    if (f != NULL && fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        err_set(err, 0, 0, "%s: %s", buf_cstr(path), err_str(rc));
    buf_free(&text);
    return rc;
}
