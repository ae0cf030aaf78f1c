/* Mean, median, standard deviation and interpolated percentiles. Depends on libc only. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double bench_stats_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    double rank = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(rank), hi = (size_t)ceil(rank);
    if (hi >= n)
        hi = n - 1;
    if (lo >= n)
        lo = n - 1;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - (double)lo);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

void bench_stats_compute(double *vals, size_t n, struct bench_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->n = n;
    if (n == 0)
        return;
    qsort(vals, n, sizeof(*vals), cmp_double);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += vals[i];
    out->mean = sum / (double)n;
    /* Two-pass variance: no cancellation when the spread is small next to the mean. */
    double sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sq += (vals[i] - out->mean) * (vals[i] - out->mean);
    out->std = sqrt(sq / (double)n);
    out->median = bench_stats_percentile(vals, n, 50.0);
    out->p90 = bench_stats_percentile(vals, n, 90.0);
    out->p99 = bench_stats_percentile(vals, n, 99.0);
    out->min = vals[0];
    out->max = vals[n - 1];
}

void bench_stats_scale(struct bench_stats *s, double factor)
{
    s->mean *= factor;
    s->median *= factor;
    s->std *= factor;
    s->p90 *= factor;
    s->p99 *= factor;
    s->min *= factor;
    s->max *= factor;
}
