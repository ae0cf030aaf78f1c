/* Descriptive statistics over samples: mean, median, population standard deviation and
 * percentiles with linear interpolation between closest ranks (numpy's default, which vLLM's
 * benchmark uses, so numbers are comparable). Pure; depends on libc only. */
#ifndef SVC_TOOLS_BENCH_STATS_H
#define SVC_TOOLS_BENCH_STATS_H

#include <stddef.h>

struct bench_stats {
    size_t n;
    double mean, median, std, p90, p99, min, max;
};

/* The p-th percentile (0 <= p <= 100) of `sorted` (ascending, n values, borrowed):
 * linear interpolation at rank p/100 * (n - 1). 0 when n is 0. */
double bench_stats_percentile(const double *sorted, size_t n, double p);

/* Sorts `vals` (n values) in place and fills `out`. Every field is 0 when n is 0 (as vLLM
 * reports an empty metric). */
void bench_stats_compute(double *vals, size_t n, struct bench_stats *out);

/* Scales every field except n by `factor` (seconds to milliseconds: 1000). */
void bench_stats_scale(struct bench_stats *s, double factor);

#endif
