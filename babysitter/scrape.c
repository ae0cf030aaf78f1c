/* Prometheus text parsing for vLLM load metrics. A line is `name{labels} value [timestamp]`;
 * label values are quoted strings with backslash escapes, so a '}' or a space inside one does
 * not end the label set. Depends on libc and common/json. */
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
    METRIC_KV,     /* vllm:kv_cache_usage_perc */
    METRIC_GPU_KV, /* vllm:gpu_cache_usage_perc, the name before vLLM 0.10 */
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
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i].name) == len && memcmp(known[i].name, name, len) == 0)
            return known[i].m;
    return METRIC_NONE;
}

/* Skips `{name="value",...}`; false when the set is malformed or unterminated. */
static bool skip_labels(struct cursor *c)
{
    c->p++; /* '{' */
    while (c->p < c->end) {
        skip_blanks(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return true;
        }
        while (c->p < c->end && is_name_char(*c->p, false))
            c->p++;
        skip_blanks(c);
        if (c->p >= c->end || *c->p != '=')
            return false;
        c->p++;
        skip_blanks(c);
        if (c->p >= c->end || *c->p != '"')
            return false;
        for (c->p++; c->p < c->end && *c->p != '"'; c->p++)
            if (*c->p == '\\')
                c->p++;
        if (c->p >= c->end)
            return false;
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
    double sum[5];
    int count[5];
};

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
    skip_blanks(&c);
    if (c.p < c.end && *c.p == '{') {
        if (!skip_labels(&c))
            return;
    } else {
        c.p = after_name;
    }
    if (c.p < c.end && *c.p != ' ' && *c.p != '\t')
        return; /* e.g. "vllm:num_requests_running{...}x" */
    double v;
    if (!parse_value(&c, &v) || v < 0)
        return;
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
    return out->has_running || out->has_waiting || out->has_kv;
}

cJSON *bs_scrape_load_json(const struct bs_load *load, double now)
{
    cJSON *o = json_new_object();

    json_set_number(o, "in_flight", load->running + load->waiting);
    if (load->has_kv)
        json_set_number(o, "kv_usage", load->kv_usage);
    json_set_number(o, "running", load->running);
    json_set_number(o, "updated", floor(now));
    json_set_number(o, "waiting", load->waiting);
    return o;
}
