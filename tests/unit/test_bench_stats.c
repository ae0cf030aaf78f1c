/* Unit tests for tools/bench/stats (percentiles and standard deviation against values numpy
 * gives), tools/bench/rng and tools/bench/arrival (Poisson and gamma arrival schedules). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "arrival.h"
#include "harness.h"
#include "rng.h"

#define ASSERT_NEAR(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            HARNESS_FAIL_("%s ~= %s: %.9g vs %.9g", #a, #b, a_, b_);                               \
    } while (0)

TEST(percentiles_interpolate_like_numpy)
{
    /* numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 99, 100]) */
    double v[] = {1, 2, 3, 4};
    ASSERT_NEAR(bench_stats_percentile(v, 4, 0), 1.0, 1e-12);
    ASSERT_NEAR(bench_stats_percentile(v, 4, 25), 1.75, 1e-12);
    ASSERT_NEAR(bench_stats_percentile(v, 4, 50), 2.5, 1e-12);
    ASSERT_NEAR(bench_stats_percentile(v, 4, 90), 3.7, 1e-12);
    ASSERT_NEAR(bench_stats_percentile(v, 4, 99), 3.97, 1e-12);
    ASSERT_NEAR(bench_stats_percentile(v, 4, 100), 4.0, 1e-12);
    double one[] = {7};
    ASSERT_NEAR(bench_stats_percentile(one, 1, 99), 7.0, 1e-12);
    ASSERT_NEAR(bench_stats_percentile(NULL, 0, 50), 0.0, 0);
}

TEST(summary_of_known_values)
{
    /* Unsorted on purpose; sorted {2,4,4,4,5,5,7,9}. numpy: mean 5, std 2 (population),
     * median 4.5, p90 7.6 (rank 6.3), p99 8.86 (rank 6.93). */
    double v[] = {7, 2, 4, 5, 4, 9, 4, 5};
    struct bench_stats s;

    bench_stats_compute(v, 8, &s);
    ASSERT_EQ(s.n, 8);
    ASSERT_NEAR(s.mean, 5.0, 1e-12);
    ASSERT_NEAR(s.std, 2.0, 1e-12);
    ASSERT_NEAR(s.median, 4.5, 1e-12);
    ASSERT_NEAR(s.p90, 7.6, 1e-12);
    ASSERT_NEAR(s.p99, 8.86, 1e-12);
    ASSERT_NEAR(s.min, 2.0, 0);
    ASSERT_NEAR(s.max, 9.0, 0);
    bench_stats_scale(&s, 1000.0);
    ASSERT_NEAR(s.mean, 5000.0, 1e-9);
    ASSERT_NEAR(s.std, 2000.0, 1e-9);
    ASSERT_EQ(s.n, 8);
}

TEST(empty_summary_is_zero)
{
    struct bench_stats s;

    bench_stats_compute(NULL, 0, &s);
    ASSERT_EQ(s.n, 0);
    ASSERT_NEAR(s.mean, 0.0, 0);
    ASSERT_NEAR(s.p99, 0.0, 0);
    ASSERT_NEAR(s.std, 0.0, 0);
}

TEST(rng_is_deterministic_by_seed)
{
    struct bench_rng a, b, c;

    bench_rng_seed(&a, 42);
    bench_rng_seed(&b, 42);
    bench_rng_seed(&c, 43);
    int same_c = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = bench_rng_next(&a);
        ASSERT_TRUE(x == bench_rng_next(&b));
        same_c += x == bench_rng_next(&c);
    }
    ASSERT_EQ(same_c, 0);
    for (int i = 0; i < 1000; i++) {
        double u = bench_rng_uniform(&a);
        ASSERT_TRUE(u >= 0.0 && u < 1.0);
        ASSERT_LT(bench_rng_below(&a, 7), 7);
    }
}

TEST(gamma_variates_have_the_right_mean)
{
    struct bench_rng r;
    const int n = 200000;

    bench_rng_seed(&r, 7);
    double shapes[] = {0.5, 1.0, 2.0, 4.0};
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        double sum = 0.0, sq = 0.0, theta = 0.25 / shapes[k]; /* mean 0.25 */
        for (int i = 0; i < n; i++) {
            double x = bench_rng_gamma(&r, shapes[k], theta);
            ASSERT_TRUE(x >= 0.0);
            sum += x;
            sq += x * x;
        }
        double mean = sum / n, var = sq / n - mean * mean;
        ASSERT_NEAR(mean, 0.25, 0.25 * 0.01);
        /* Gamma variance is k * theta^2. */
        ASSERT_NEAR(var, shapes[k] * theta * theta, shapes[k] * theta * theta * 0.05);
    }
}

TEST(poisson_arrivals_mean_gap_is_one_over_rate)
{
    enum { N = 20000 };
    double *t = calloc(N, sizeof(double));
    const double rate = 8.0;

    bench_arrival_schedule(N, rate, 1.0, 42, t);
    double sum = 0.0, sq = 0.0, prev = 0.0;
    for (int i = 0; i < N; i++) {
        double gap = t[i] - prev;
        ASSERT_TRUE(gap >= 0.0);
        sum += gap;
        sq += gap * gap;
        prev = t[i];
    }
    double mean = sum / N, sd = sqrt(sq / N - mean * mean);
    ASSERT_NEAR(mean, 1.0 / rate, 1e-9); /* rescaled so the last arrival is N / rate */
    ASSERT_NEAR(t[N - 1], N / rate, 1e-6);
    /* Exponential gaps: standard deviation equals the mean. */
    ASSERT_NEAR(sd / mean, 1.0, 0.03);
    free(t);
}

TEST(arrivals_follow_burstiness_and_seed)
{
    enum { N = 20000 };
    double *even = calloc(N, sizeof(double)), *bursty = calloc(N, sizeof(double));
    double *again = calloc(N, sizeof(double));

    bench_arrival_schedule(N, 2.0, 4.0, 1, even);
    bench_arrival_schedule(N, 2.0, 0.25, 1, bursty);
    bench_arrival_schedule(N, 2.0, 4.0, 1, again);
    double cv[2];
    double *sets[2] = {even, bursty};
    for (int s = 0; s < 2; s++) {
        double sum = 0.0, sq = 0.0, prev = 0.0;
        for (int i = 0; i < N; i++) {
            double gap = sets[s][i] - prev;
            sum += gap;
            sq += gap * gap;
            prev = sets[s][i];
        }
        double mean = sum / N;
        cv[s] = sqrt(sq / N - mean * mean) / mean;
    }
    /* Gamma gaps: coefficient of variation 1 / sqrt(shape). */
    ASSERT_NEAR(cv[0], 0.5, 0.03);
    ASSERT_NEAR(cv[1], 2.0, 0.15);
    for (int i = 0; i < N; i++)
        ASSERT_TRUE(even[i] == again[i]);
    free(even);
    free(bursty);
    free(again);
}

TEST(infinite_rate_sends_everything_at_once)
{
    double t[5] = {1, 1, 1, 1, 1};

    bench_arrival_schedule(5, INFINITY, 1.0, 42, t);
    for (int i = 0; i < 5; i++)
        ASSERT_NEAR(t[i], 0.0, 0);
}

HARNESS_MAIN(CASE(percentiles_interpolate_like_numpy), CASE(summary_of_known_values),
             CASE(empty_summary_is_zero), CASE(rng_is_deterministic_by_seed),
             CASE(gamma_variates_have_the_right_mean),
             CASE(poisson_arrivals_mean_gap_is_one_over_rate),
             CASE(arrivals_follow_burstiness_and_seed),
             CASE(infinite_rate_sends_everything_at_once))
