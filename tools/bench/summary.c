/* Run metrics from per-request outcomes. Depends on libc, common/xalloc, tools/bench/outcome and
 * tools/bench/stats. */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "xalloc.h"

static void count_instance(struct bench_summary *s, const char *name)
{
    for (size_t i = 0; i < s->ninstances; i++) {
        if (strcmp(s->instances[i].name, name) == 0) {
            s->instances[i].requests++;
            return;
        }
    }
    s->instances = xrealloc(s->instances, (s->ninstances + 1) * sizeof(*s->instances));
    s->instances[s->ninstances++] = (struct bench_instance_count){xstrdup(name), 1};
}

static int cmp_instance(const void *a, const void *b)
{
    return strcmp(((const struct bench_instance_count *)a)->name,
                  ((const struct bench_instance_count *)b)->name);
}

/* vLLM's peak output rate: text chunks counted into one-second buckets from the earliest start
 * of a successful request. */
static double peak_tokens_per_s(const struct bench_outcome *o, size_t n)
{
    double first = INFINITY, last = -INFINITY, peak = 0.0;

    for (size_t i = 0; i < n; i++) {
        if (!o[i].ok)
            continue;
        first = fmin(first, o[i].start_s);
        last = fmax(last, o[i].start_s + o[i].e2e_s);
    }
    if (!isfinite(first))
        return 0.0;
    size_t nb = (size_t)ceil(last - first) + 1;
    double *buckets = xcalloc(nb, sizeof(*buckets));
    for (size_t i = 0; i < n; i++) {
        if (!o[i].ok)
            continue;
        double t = o[i].start_s + o[i].ttft_s;
        for (size_t k = 0;; k++) {
            size_t b = (size_t)(t - first);
            if (t >= first && b < nb)
                buckets[b] += 1.0;
            if (k >= o[i].nitls)
                break;
            t += o[i].itls[k];
        }
    }
    for (size_t b = 0; b < nb; b++)
        peak = fmax(peak, buckets[b]);
    free(buckets);
    return peak;
}

/* Latency statistics over successful requests; `itls` needs every gap of every request. */
static void latency_stats(const struct bench_outcome *o, size_t n, struct bench_summary *s)
{
    size_t nitl = 0, k = 0, kt = 0, ki = 0;

    for (size_t i = 0; i < n; i++)
        nitl += o[i].ok ? o[i].nitls : 0;
    double *ttft = xcalloc(n + 1, sizeof(double)), *e2el = xcalloc(n + 1, sizeof(double));
    double *tpot = xcalloc(n + 1, sizeof(double)), *itl = xcalloc(nitl + 1, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        if (!o[i].ok)
            continue;
        long long out_tok = bench_outcome_output_tokens(&o[i]);
        ttft[k] = o[i].ttft_s;
        e2el[k++] = o[i].e2e_s;
        if (out_tok > 1)
            tpot[kt++] = (o[i].e2e_s - o[i].ttft_s) / (double)(out_tok - 1);
        for (size_t j = 0; j < o[i].nitls; j++)
            itl[ki++] = o[i].itls[j];
    }
    bench_stats_compute(ttft, k, &s->ttft);
    bench_stats_compute(e2el, k, &s->e2el);
    bench_stats_compute(tpot, kt, &s->tpot);
    bench_stats_compute(itl, ki, &s->itl);
    bench_stats_scale(&s->ttft, 1e3);
    bench_stats_scale(&s->e2el, 1e3);
    bench_stats_scale(&s->tpot, 1e3);
    bench_stats_scale(&s->itl, 1e3);
    free(ttft);
    free(e2el);
    free(tpot);
    free(itl);
}

static void cache_split(const struct bench_outcome *o, size_t n, struct bench_summary *s)
{
    double hit_sum = 0.0, miss_sum = 0.0;

    for (size_t i = 0; i < n; i++) {
        if (!o[i].ok)
            continue;
        if (bench_outcome_cached_tokens(&o[i]) > 0) {
            s->hit_requests++;
            hit_sum += o[i].ttft_s;
        } else {
            s->miss_requests++;
            miss_sum += o[i].ttft_s;
        }
    }
    s->mean_ttft_hit_ms = s->hit_requests ? hit_sum / (double)s->hit_requests * 1e3 : NAN;
    s->mean_ttft_miss_ms = s->miss_requests ? miss_sum / (double)s->miss_requests * 1e3 : NAN;
    s->hit_rate = s->total_input > 0 ? (double)s->total_cached / (double)s->total_input : NAN;
}

void bench_summary_compute(const struct bench_outcome *o, size_t n, double duration_s,
                           size_t max_concurrent, struct bench_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->duration_s = duration_s;
    out->max_concurrent = max_concurrent;
    for (size_t i = 0; i < n; i++) {
        if (o[i].instance != NULL)
            count_instance(out, o[i].instance);
        if (!o[i].ok) {
            out->failed += o[i].sent ? 1 : 0;
            continue;
        }
        out->completed++;
        out->total_input += bench_outcome_input_tokens(&o[i]);
        out->total_output += bench_outcome_output_tokens(&o[i]);
        out->total_cached += bench_outcome_cached_tokens(&o[i]);
    }
    if (out->ninstances > 1)
        qsort(out->instances, out->ninstances, sizeof(*out->instances), cmp_instance);
    if (duration_s > 0.0) {
        out->request_throughput = (double)out->completed / duration_s;
        out->output_throughput = (double)out->total_output / duration_s;
        out->total_token_throughput = (double)(out->total_input + out->total_output) / duration_s;
    }
    out->max_output_tokens_per_s = peak_tokens_per_s(o, n);
    latency_stats(o, n, out);
    cache_split(o, n, out);
}

void bench_summary_free(struct bench_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ninstances; i++)
        free(s->instances[i].name);
    free(s->instances);
    s->instances = NULL;
    s->ninstances = 0;
}
