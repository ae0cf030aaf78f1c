/* Prometheus text parsing for vLLM load metrics. A line is `name{labels} value [timestamp]`;
 * label values are quoted strings with backslash escapes, so a '}' or a space inside one does
 * not end the label set. The labels are read only for vllm:cache_config_info, whose figures
 * live there. Depends on libc and common/json. */
#include "scrape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define NUMBER_MAX 64

enum metric {
    METRIC_NONE,
    METRIC_RUNNING,
    METRIC_WAITING,
    METRIC_KV,           /* vllm:kv_cache_usage_perc */
    METRIC_GPU_KV,       /* vllm:gpu_cache_usage_perc, the name before vLLM 0.10 */
    METRIC_CACHE_CONFIG, /* vllm:cache_config_info: block_size and num_gpu_blocks labels */
    METRIC_COUNT,
};

/* The two labels of vllm:cache_config_info we use; negative when absent or not a number
 * (vLLM writes "None" before the engine has sized its cache). */
struct cache_labels {
    double block_size, num_gpu_blocks;
};

struct cursor {
    const char *p, *end;
};

static bool is_name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

static void skip_blanks(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static enum metric classify(const char *name, size_t len)
{
    static const struct {
        const char *name;
        enum metric m;
    } known[] = {
        {"vllm:num_requests_running", METRIC_RUNNING},
        {"vllm:num_requests_waiting", METRIC_WAITING},
        {"vllm:kv_cache_usage_perc", METRIC_KV},
        {"vllm:gpu_cache_usage_perc", METRIC_GPU_KV},
        {"vllm:cache_config_info", METRIC_CACHE_CONFIG},
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i].name) == len && memcmp(known[i].name, name, len) == 0)
            return known[i].m;
    return METRIC_NONE;
}

/* A label value [start, end) (escapes not decoded: a number has none) as a non-negative
 * number, or -1. */
static double label_number(const char *start, const char *end)
{
    char num[NUMBER_MAX];
    size_t n = (size_t)(end - start);
    char *endp;

    if (n == 0 || n >= sizeof(num))
        return -1;
    memcpy(num, start, n);
    num[n] = '\0';
    double v = strtod(num, &endp);
    return *endp == '\0' && isfinite(v) && v >= 0 ? v : -1;
}

static void keep_label(const char *name, size_t nlen, const char *value, const char *vend,
                       struct cache_labels *out)
{
    if (nlen == 10 && memcmp(name, "block_size", 10) == 0)
        out->block_size = label_number(value, vend);
    else if (nlen == 14 && memcmp(name, "num_gpu_blocks", 14) == 0)
        out->num_gpu_blocks = label_number(value, vend);
}

/* Reads `{name="value",...}`, keeping the cache_config_info figures in `out` when not NULL;
 * false when the set is malformed or unterminated. */
static bool read_labels(struct cursor *c, struct cache_labels *out)
{
    c->p++; /* '{' */
    while (c->p < c->end) {
        skip_blanks(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return true;
        }
        const char *name = c->p;
        while (c->p < c->end && is_name_char(*c->p, false))
            c->p++;
        size_t nlen = (size_t)(c->p - name);
        skip_blanks(c);
        if (c->p >= c->end || *c->p != '=')
            return false;
        c->p++;
        skip_blanks(c);
        if (c->p >= c->end || *c->p != '"')
            return false;
        const char *value = ++c->p;
        for (; c->p < c->end && *c->p != '"'; c->p++)
            if (*c->p == '\\')
                c->p++;
        if (c->p >= c->end)
            return false;
        if (out != NULL)
            keep_label(name, nlen, value, c->p, out);
        c->p++; /* closing quote */
        skip_blanks(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
    }
    return false;
}

/* Parses the sample value; false when it is missing, malformed or not finite. */
static bool parse_value(struct cursor *c, double *out)
{
    char num[NUMBER_MAX];
    size_t n = 0;
    char *endp;

    skip_blanks(c);
    while (c->p + n < c->end && c->p[n] != ' ' && c->p[n] != '\t')
        n++;
    if (n == 0 || n >= sizeof(num))
        return false;
    memcpy(num, c->p, n);
    num[n] = '\0';
    double v = strtod(num, &endp);
    if (*endp != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

struct sums {
    double sum[METRIC_COUNT];
    int count[METRIC_COUNT];
    double block_size; /* of the first cache_config_info label set that had one */
};

/* One engine's cache: num_gpu_blocks x block_size tokens; engines (data parallel) add up. */
static void add_cache_config(struct sums *s, const struct cache_labels *cl)
{
    if (cl->block_size <= 0 || cl->num_gpu_blocks < 0)
        return;
    s->sum[METRIC_CACHE_CONFIG] += cl->num_gpu_blocks * cl->block_size;
    s->count[METRIC_CACHE_CONFIG]++;
    if (s->block_size == 0)
        s->block_size = cl->block_size;
}

static void parse_line(const char *line, size_t len, struct sums *s)
{
    struct cursor c = {line, line + len};

    skip_blanks(&c);
    if (c.p >= c.end || *c.p == '#' || !is_name_char(*c.p, true))
        return;
    const char *name = c.p;
    while (c.p < c.end && is_name_char(*c.p, false))
        c.p++;
    enum metric m = classify(name, (size_t)(c.p - name));
    if (m == METRIC_NONE)
        return;
    const char *after_name = c.p;
    struct cache_labels cl = {-1, -1};
    skip_blanks(&c);
    if (c.p < c.end && *c.p == '{') {
        if (!read_labels(&c, m == METRIC_CACHE_CONFIG ? &cl : NULL))
            return;
    } else {
        c.p = after_name;
    }
    if (c.p < c.end && *c.p != ' ' && *c.p != '\t')
        return; /* e.g. "vllm:num_requests_running{...}x" */
    double v;
    if (!parse_value(&c, &v) || v < 0)
        return;
    if (m == METRIC_CACHE_CONFIG) {
        add_cache_config(s, &cl); /* an info metric: the figures are the labels */
        return;
    }
    s->sum[m] += v;
    s->count[m]++;
}

bool bs_scrape_parse(const char *text, size_t len, struct bs_load *out)
{
    struct sums s;
    const char *p = text, *end = text + len;

    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        parse_line(p, n, &s);
        p = nl != NULL ? nl + 1 : end;
    }
    out->has_running = s.count[METRIC_RUNNING] > 0;
    out->running = s.sum[METRIC_RUNNING];
    out->has_waiting = s.count[METRIC_WAITING] > 0;
    out->waiting = s.sum[METRIC_WAITING];
    /* Servers in transition export both names with the same value: prefer the current one. */
    enum metric kv = s.count[METRIC_KV] > 0 ? METRIC_KV : METRIC_GPU_KV;
    if (s.count[kv] > 0) {
        double mean = s.sum[kv] / s.count[kv];
        out->has_kv = true;
        out->kv_usage = mean > 1 ? 1 : mean;
    }
    if (s.count[METRIC_CACHE_CONFIG] > 0) {
        out->has_capacity = true;
        out->kv_capacity_tokens = s.sum[METRIC_CACHE_CONFIG];
        out->block_size = s.block_size;
    }
    return out->has_running || out->has_waiting || out->has_kv || out->has_capacity;
}

cJSON *bs_scrape_load_json(const struct bs_load *load, double now)
{
    cJSON *o = json_new_object();

    if (load->has_capacity)
        json_set_number(o, "block_size", load->block_size);
    json_set_number(o, "in_flight", load->running + load->waiting);
    if (load->has_capacity)
        json_set_number(o, "kv_capacity_tokens", load->kv_capacity_tokens);
    if (load->has_kv)
        json_set_number(o, "kv_usage", load->kv_usage);
    json_set_number(o, "running", load->running);
    json_set_number(o, "updated", floor(now));
    json_set_number(o, "waiting", load->waiting);
    return o;
}
