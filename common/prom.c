/* Prometheus text exposition. Depends on common/buf. */
#include "prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

const double prom_latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                      0.5,    1,     2.5,    5,     10,   30,    60,   120};
const size_t prom_latency_nbounds = sizeof(prom_latency_bounds) / sizeof(prom_latency_bounds[0]);

void prom_family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void append_value(struct buf *out, double v)
{
    if (isnan(v))
        buf_append_str(out, "NaN");
    else if (isinf(v))
        buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        buf_appendf(out, "%.0f", v);
    else
        buf_appendf(out, "%.9g", v);
}

void prom_sample(struct buf *out, const char *name, const char *labels, double value)
{
    buf_append_str(out, name);
    if (labels != NULL && labels[0] != '\0')
        buf_appendf(out, "{%s}", labels);
    buf_putc(out, ' ');
    append_value(out, value);
    buf_putc(out, '\n');
}

void prom_label(struct buf *labels, const char *key, const char *value)
{
    if (labels->len > 0)
        buf_putc(labels, ',');
    buf_appendf(labels, "%s=\"", key);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            buf_putc(labels, '\\');
        if (*p == '\n')
            buf_append_str(labels, "\\n");
        else
            buf_putc(labels, *p);
    }
    buf_putc(labels, '"');
}

void prom_histogram_init(struct prom_histogram *h, const double *bounds, size_t nbounds)
{
    h->bounds = bounds;
    h->nbounds = nbounds;
    h->counts = xcalloc(nbounds + 1, sizeof(*h->counts));
    h->count = 0;
    h->sum = 0;
}

void prom_histogram_free(struct prom_histogram *h)
{
    if (h == NULL)
        return;
    free(h->counts);
    h->counts = NULL;
}

void prom_histogram_observe(struct prom_histogram *h, double value)
{
    size_t i = 0;

    while (i < h->nbounds && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

double prom_histogram_quantile(const struct prom_histogram *h, double q)
{
    if (h->count == 0)
        return 0;
    double rank = q * (double)h->count;
    uint64_t seen = 0;
    for (size_t i = 0; i <= h->nbounds; i++) {
        if (h->counts[i] == 0 || (double)(seen + h->counts[i]) < rank) {
            seen += h->counts[i];
            continue;
        }
        double lo = i == 0 ? 0 : h->bounds[i - 1];
        if (i == h->nbounds)
            return lo; /* +Inf bucket: the best bound we know */
        double frac = (rank - (double)seen) / (double)h->counts[i];
        return lo + (h->bounds[i] - lo) * (frac < 0 ? 0 : frac);
    }
    return h->nbounds > 0 ? h->bounds[h->nbounds - 1] : 0;
}

void prom_histogram_write(struct buf *out, const char *name, const char *labels,
                          const struct prom_histogram *h)
{
    const char *sep = labels != NULL && labels[0] != '\0' ? "," : "";
    uint64_t cum = 0;

    if (labels == NULL)
        labels = "";
    for (size_t i = 0; i <= h->nbounds; i++) {
        cum += h->counts[i];
        buf_appendf(out, "%s_bucket{%s%sle=\"", name, labels, sep);
        if (i < h->nbounds)
            append_value(out, h->bounds[i]);
        else
            buf_append_str(out, "+Inf");
        buf_appendf(out, "\"} %llu\n", (unsigned long long)cum);
    }
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    buf_appendf(out, "%s_sum%s%s%s ", name, open, labels, close);
    append_value(out, h->sum);
    buf_appendf(out, "\n%s_count%s%s%s %llu\n", name, open, labels, close,
                (unsigned long long)h->count);
}
