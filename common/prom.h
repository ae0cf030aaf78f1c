/* Prometheus text exposition format (version 0.0.4) into a buf: metric families, samples with
 * escaped labels, and fixed-bucket histograms that also answer quantile estimates for JSON
 * status pages. Depends on common/buf. */
#ifndef SVC_COMMON_PROM_H
#define SVC_COMMON_PROM_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Writes the "# HELP" and "# TYPE" lines; `type` is "counter", "gauge" or "histogram". */
void prom_family(struct buf *out, const char *name, const char *type, const char *help);
/* Writes `name{labels} value`; `labels` is preformatted (see prom_label) or NULL/"". */
void prom_sample(struct buf *out, const char *name, const char *labels, double value);
/* Appends `key="value"` (value escaped) to a label list in `labels`, comma-separated. */
void prom_label(struct buf *labels, const char *key, const char *value);

struct prom_histogram {
    const double *bounds; /* upper bounds, ascending, borrowed (static tables) */
    size_t nbounds;
    uint64_t *counts; /* nbounds + 1 (the last is +Inf), not cumulative */
    uint64_t count;
    double sum;
};

/* Latency buckets in seconds, 0.5 ms .. 120 s. */
extern const double prom_latency_bounds[];
extern const size_t prom_latency_nbounds;

void prom_histogram_init(struct prom_histogram *h, const double *bounds, size_t nbounds);
void prom_histogram_free(struct prom_histogram *h);
void prom_histogram_observe(struct prom_histogram *h, double value);
/* Estimates the q-quantile (0..1) by linear interpolation inside the bucket; 0 when empty. */
double prom_histogram_quantile(const struct prom_histogram *h, double q);
/* Writes _bucket (cumulative, with le), _sum and _count samples. */
void prom_histogram_write(struct buf *out, const char *name, const char *labels,
                          const struct prom_histogram *h);

#endif
