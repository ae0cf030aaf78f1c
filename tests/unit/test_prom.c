/* Unit tests for common/prom: exposition format, label escaping, histogram buckets and
 * quantile estimates. */
#include "prom.h"

#include "buf.h"
#include "harness.h"

TEST(samples_and_labels)
{
    struct buf out, labels;

    buf_init(&out, BUF_UNLIMITED);
    buf_init(&labels, BUF_UNLIMITED);
    prom_family(&out, "x_total", "counter", "Things.");
    prom_label(&labels, "instance", "a\"b\\c\nd");
    prom_label(&labels, "code", "200");
    prom_sample(&out, "x_total", labels.data, 3);
    prom_sample(&out, "y", NULL, 0.5);
    ASSERT_STR_EQ(buf_cstr(&out), "# HELP x_total Things.\n# TYPE x_total counter\n"
                                  "x_total{instance=\"a\\\"b\\\\c\\nd\",code=\"200\"} 3\n"
                                  "y 0.5\n");
    buf_free(&out);
    buf_free(&labels);
}

TEST(histogram_buckets_are_cumulative)
{
    static const double bounds[] = {1, 2, 5};
    struct prom_histogram h;
    struct buf out;

    prom_histogram_init(&h, bounds, 3);
    prom_histogram_observe(&h, 0.5);
    prom_histogram_observe(&h, 1.5);
    prom_histogram_observe(&h, 1.7);
    prom_histogram_observe(&h, 9);
    buf_init(&out, BUF_UNLIMITED);
    prom_histogram_write(&out, "lat", "i=\"a\"", &h);
    ASSERT_STR_EQ(buf_cstr(&out), "lat_bucket{i=\"a\",le=\"1\"} 1\n"
                                  "lat_bucket{i=\"a\",le=\"2\"} 3\n"
                                  "lat_bucket{i=\"a\",le=\"5\"} 3\n"
                                  "lat_bucket{i=\"a\",le=\"+Inf\"} 4\n"
                                  "lat_sum{i=\"a\"} 12.7\n"
                                  "lat_count{i=\"a\"} 4\n");
    buf_free(&out);
    prom_histogram_free(&h);
}

TEST(quantiles_interpolate)
{
    struct prom_histogram h;

    prom_histogram_init(&h, prom_latency_bounds, prom_latency_nbounds);
    ASSERT_TRUE(prom_histogram_quantile(&h, 0.5) == 0);
    for (int i = 0; i < 100; i++)
        prom_histogram_observe(&h, 0.003); /* bucket (0.0025, 0.005] */
    double p50 = prom_histogram_quantile(&h, 0.5);
    ASSERT_TRUE(p50 > 0.0025 && p50 <= 0.005);
    prom_histogram_observe(&h, 1000); /* +Inf bucket */
    ASSERT_TRUE(prom_histogram_quantile(&h, 1.0) >= 120);
    prom_histogram_free(&h);
}

HARNESS_MAIN(CASE(samples_and_labels), CASE(histogram_buckets_are_cumulative),
             CASE(quantiles_interpolate))
