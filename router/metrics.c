/* Router metrics. Depends on common/prom, router/services. */
#include "metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache_aware.h"
#include "hash.h"
#include "kv_events.h"
#include "loop_lag.h"
#include "prefix_index.h"
#include "prom.h"
#include "router.h"
#include "services.h"
#include "wallclock.h"
#include "xalloc.h"

/* One labelled series of infini_router_requests_total. Requests find their series through a
 * hash of the raw label values, so formatting and escaping happen once per series, not once per
 * request. */
struct labelled {
    uint64_t hash;
    int status;
    char *model, *instance, *route; /* raw values, to confirm a hash match */
    char *labels;                   /* preformatted, escaped */
    uint64_t count;
};

struct rt_metrics {
    struct labelled **req; /* sorted by labels, for a stable exposition */
    size_t nreq, capreq;
    struct labelled **table; /* open addressing on hash; size a power of two >= 2 * nreq */
    size_t table_size;
    uint64_t counters[RT_M_COUNT];
};

static const struct {
    const char *name, *help;
} counter_info[RT_M_COUNT] = {
    [RT_M_RETRIES] = {"infini_router_retries_total", "Attempts after the first, per request."},
    [RT_M_STALE_RECONNECTS] = {"infini_router_stale_reconnects_total",
                               "Requests re-sent because an idle upstream connection was closed."},
    [RT_M_CLIENT_ABORTS] = {"infini_router_client_aborts_total",
                            "Clients that left before their response ended."},
    [RT_M_UPSTREAM_ERRORS] = {"infini_router_upstream_errors_total",
                              "Upstream transport failures and timeouts."},
    [RT_M_UPSTREAM_TIMEOUTS] = {"infini_router_upstream_timeouts_total", "Upstream timeouts."},
    [RT_M_TRUNCATED] = {"infini_router_truncated_responses_total",
                        "Responses cut because the upstream failed mid-body."},
    [RT_M_NO_ROUTE] = {"infini_router_no_route_total", "Requests no instance could take."},
    [RT_M_REGISTRY_SYNCS] = {"infini_router_registry_syncs_total", "Registry polls."},
    [RT_M_REGISTRY_SYNC_FAILURES] = {"infini_router_registry_sync_failures_total",
                                     "Registry polls that failed (the last view is kept)."},
    [RT_M_PROBES] = {"infini_router_probes_total", "Active health probes."},
    [RT_M_PROBE_FAILURES] = {"infini_router_probe_failures_total", "Failed health probes."},
    [RT_M_AUTH_FAILURES] = {"infini_router_auth_failures_total",
                            "Requests refused for a missing or wrong API key."},
    [RT_M_TOKENIZE_REQUESTS] = {"infini_router_tokenize_requests_total",
                                "Calls to an engine's /tokenize (--tokenizer engine)."},
    [RT_M_TOKENIZE_FAILURES] = {"infini_router_tokenize_failures_total",
                                "Tokenize calls that failed or timed out (the approximate index "
                                "decided)."},
    [RT_M_TOKENIZE_SECONDS] = {"infini_router_tokenize_seconds_total",
                               "Time spent waiting for /tokenize answers."},
};

struct rt_metrics *rt_metrics_new(void)
{
    return xcalloc(1, sizeof(struct rt_metrics));
}

void rt_metrics_free(struct rt_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nreq; i++) {
        free(m->req[i]->model);
        free(m->req[i]->instance);
        free(m->req[i]->route);
        free(m->req[i]->labels);
        free(m->req[i]);
    }
    free(m->req);
    free(m->table);
    free(m);
}

void rt_metrics_inc(struct rt_metrics *m, enum rt_counter c)
{
    m->counters[c]++;
}

void rt_metrics_add_seconds(struct rt_metrics *m, enum rt_counter c, double seconds)
{
    m->counters[c] += (uint64_t)(seconds * 1e6);
}

uint64_t rt_metrics_get(const struct rt_metrics *m, enum rt_counter c)
{
    return m->counters[c];
}

static void table_insert(struct rt_metrics *m, struct labelled *e)
{
    size_t mask = m->table_size - 1;
    size_t i = (size_t)e->hash & mask;

    while (m->table[i] != NULL)
        i = (i + 1) & mask;
    m->table[i] = e;
}

static void table_grow(struct rt_metrics *m)
{
    free(m->table);
    m->table_size = m->table_size ? m->table_size * 2 : 64;
    m->table = xcalloc(m->table_size, sizeof(*m->table));
    for (size_t i = 0; i < m->nreq; i++)
        table_insert(m, m->req[i]);
}

static struct labelled *new_series(struct rt_metrics *m, uint64_t h, const char *model,
                                   const char *instance, int status, const char *route)
{
    struct labelled *e = xcalloc(1, sizeof(*e));
    struct buf labels;
    char code[16];

    e->hash = h;
    e->status = status;
    e->model = xstrdup(model);
    e->instance = xstrdup(instance);
    e->route = xstrdup(route);
    buf_init(&labels, 4096);
    snprintf(code, sizeof(code), "%d", status);
    prom_label(&labels, "model", model);
    prom_label(&labels, "instance", instance);
    prom_label(&labels, "code", code);
    prom_label(&labels, "route", route);
    e->labels = buf_take(&labels, NULL);
    /* Keep the series sorted by labels for the exposition. */
    size_t lo = 0, hi = m->nreq;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->req[mid]->labels, e->labels) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (m->nreq == m->capreq) {
        m->capreq = m->capreq ? m->capreq * 2 : 32;
        m->req = xrealloc(m->req, m->capreq * sizeof(*m->req));
    }
    memmove(m->req + lo + 1, m->req + lo, (m->nreq - lo) * sizeof(*m->req));
    m->req[lo] = e;
    m->nreq++;
    if (2 * m->nreq > m->table_size)
        table_grow(m);
    else
        table_insert(m, e);
    return e;
}

void rt_metrics_request(struct rt_metrics *m, const char *model, const char *instance, int status,
                        const char *route)
{
    if (model == NULL || model[0] == '\0')
        model = "none";
    if (instance == NULL)
        instance = "none";
    if (route == NULL || route[0] == '\0')
        route = "none";
    uint64_t h = hash64(model, strlen(model) + 1, (uint64_t)status);
    h = hash64(instance, strlen(instance) + 1, h);
    h = hash64(route, strlen(route), h);
    if (m->table_size > 0) {
        size_t mask = m->table_size - 1;
        for (size_t i = (size_t)h & mask; m->table[i] != NULL; i = (i + 1) & mask) {
            struct labelled *e = m->table[i];
            if (e->hash == h && e->status == status && strcmp(e->route, route) == 0 &&
                strcmp(e->instance, instance) == 0 && strcmp(e->model, model) == 0) {
                e->count++;
                return;
            }
        }
    }
    new_series(m, h, model, instance, status, route)->count++;
}

static void write_instances(const struct rt_router *rt, struct buf *out)
{
    size_t n;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    uint64_t now = uv_now(rt->loop);
    struct buf l;

    buf_init(&l, 4096);
    prom_family(out, "infini_router_instance_in_flight", "gauge",
                "Requests this router has on each instance.");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_sample(out, "infini_router_instance_in_flight", l.data, all[i]->in_flight);
    }
    prom_family(out, "infini_router_instance_healthy", "gauge",
                "1 when the instance can take requests (probe ok, not ejected).");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_sample(out, "infini_router_instance_healthy", l.data,
                    rt_instance_is_eligible(all[i], now) ? 1 : 0);
    }
    prom_family(out, "infini_router_instance_ejections_total", "counter",
                "Passive ejections after consecutive transport failures.");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_sample(out, "infini_router_instance_ejections_total", l.data,
                    (double)all[i]->ejections_total);
    }
    prom_family(out, "infini_router_upstream_latency_seconds", "histogram",
                "Request start to upstream response end.");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_histogram_write(out, "infini_router_upstream_latency_seconds", l.data,
                             &all[i]->latency);
    }
    prom_family(out, "infini_router_upstream_ttfb_seconds", "histogram",
                "Request start to upstream response head (time to first byte).");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_histogram_write(out, "infini_router_upstream_ttfb_seconds", l.data, &all[i]->ttfb);
    }
    prom_family(out, "infini_router_ttft_seconds", "histogram",
                "Request start to the first response body byte: for a stream, its first token.");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_histogram_write(out, "infini_router_ttft_seconds", l.data, &all[i]->ttft);
    }
    buf_free(&l);
}

/* Routable instances per model, and how many of them can take requests now: the "no healthy
 * instance for a model" alert needs the model, which the per-instance series do not carry. */
struct model_count {
    const char *model; /* borrowed from an instance */
    double total, healthy;
};

static int cmp_model_count(const void *a, const void *b)
{
    return strcmp(((const struct model_count *)a)->model, ((const struct model_count *)b)->model);
}

static void model_family(struct buf *out, struct buf *l, const struct model_count *mc, size_t nm,
                         bool healthy)
{
    const char *name =
        healthy ? "infini_router_model_healthy_instances" : "infini_router_model_instances";

    prom_family(out, name, "gauge",
                healthy ? "Instances serving the model that can take requests (probe ok, not "
                          "ejected)."
                        : "Routable instances serving the model.");
    for (size_t k = 0; k < nm; k++) {
        buf_reset(l);
        prom_label(l, "model", mc[k].model);
        prom_sample(out, name, l->data, healthy ? mc[k].healthy : mc[k].total);
    }
}

static void write_models(const struct rt_router *rt, struct buf *out)
{
    size_t n, nm = 0, cap = 0;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    uint64_t now = uv_now(rt->loop);
    struct model_count *mc = NULL;
    struct buf l;

    for (size_t i = 0; i < n; i++) {
        bool healthy = rt_instance_is_eligible(all[i], now);
        for (size_t j = 0; all[i]->routable && j < all[i]->nmodels; j++) {
            size_t k = 0;
            while (k < nm && strcmp(mc[k].model, all[i]->models[j]) != 0)
                k++;
            if (k == nm) {
                if (nm == cap) {
                    cap = cap ? cap * 2 : 16;
                    mc = xrealloc(mc, cap * sizeof(*mc));
                }
                mc[nm++] = (struct model_count){all[i]->models[j], 0, 0};
            }
            mc[k].total++;
            mc[k].healthy += healthy;
        }
    }
    if (nm > 0)
        qsort(mc, nm, sizeof(*mc), cmp_model_count);
    buf_init(&l, 4096);
    model_family(out, &l, mc, nm, false);
    model_family(out, &l, mc, nm, true);
    buf_free(&l);
    free(mc);
}

/* One gauge or counter sample per instance, read through `get`. */
static void per_instance(struct buf *out, struct rt_instance *const *all, size_t n,
                         const char *name, const char *type, const char *help,
                         double (*get)(const struct rt_instance *))
{
    struct buf l;

    buf_init(&l, 4096);
    prom_family(out, name, type, help);
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_sample(out, name, l.data, get(all[i]));
    }
    buf_free(&l);
}

static double get_rate(const struct rt_instance *i)
{
    return i->prefill_rate;
}
static double get_pending(const struct rt_instance *i)
{
    return i->pending_prefill;
}
static double get_sent(const struct rt_instance *i)
{
    return rt_cache_aware_work_rate(i, wallclock_now());
}
static double get_predicted(const struct rt_instance *i)
{
    return (double)i->predicted_cached;
}
static double get_actual(const struct rt_instance *i)
{
    return (double)i->actual_cached;
}
static double get_false_hits(const struct rt_instance *i)
{
    return (double)i->false_hits;
}
static double get_stale_false_hits(const struct rt_instance *i)
{
    return (double)i->stale_false_hits;
}

/* Cache-aware routing: what the index holds and how well it predicts. */
static void write_cache_aware(const struct rt_router *rt, struct buf *out)
{
    size_t n;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    struct rt_prefix_stats st;
    struct buf l;

    per_instance(out, all, n, "infini_router_prefill_tokens_per_second", "gauge",
                 "Prefill rate learned from the instance's streamed requests (0 = not yet).",
                 get_rate);
    per_instance(out, all, n, "infini_router_pending_prefill_tokens", "gauge",
                 "Estimated prompt tokens sent to the instance whose first token is not back.",
                 get_pending);
    per_instance(out, all, n, "infini_router_prefill_sent_tokens_per_second", "gauge",
                 "Prompt tokens sent to the instance to prefill, per second over the last ~5 s "
                 "(over its prefill rate: how busy the cache-aware policy judges it).",
                 get_sent);
    per_instance(out, all, n, "infini_router_prefix_predicted_cached_tokens_total", "counter",
                 "Cached prompt tokens the prefix index predicted, for responses with usage.",
                 get_predicted);
    per_instance(out, all, n, "infini_router_prefix_actual_cached_tokens_total", "counter",
                 "Cached prompt tokens the engine reported for the same responses.", get_actual);
    per_instance(out, all, n, "infini_router_prefix_false_hits_total", "counter",
                 "Responses whose cached tokens fell short of the prediction by over a block.",
                 get_false_hits);
    per_instance(out, all, n, "infini_router_kv_stale_false_hits_total", "counter",
                 "False hits of KV-event decisions whose index still held the missing blocks "
                 "when the response ended: an eviction no event reported.",
                 get_stale_false_hits);
    if (rt->prefix == NULL)
        return;
    rt_prefix_index_stats(rt->prefix, &st);
    prom_family(out, "infini_router_prefix_index_blocks", "gauge",
                "Prompt blocks the prefix index holds, per instance.");
    buf_init(&l, 4096);
    for (size_t i = 0; i < n; i++) {
        buf_reset(&l);
        prom_label(&l, "instance", all[i]->name);
        prom_sample(out, "infini_router_prefix_index_blocks", l.data,
                    (double)rt_prefix_index_member_blocks(rt->prefix, all[i]->prefix_member));
    }
    buf_free(&l);
    prom_family(out, "infini_router_prefix_index_bytes", "gauge", "Memory of the prefix index.");
    prom_sample(out, "infini_router_prefix_index_bytes", NULL, (double)st.bytes);
    prom_family(out, "infini_router_prefix_index_evictions_total", "counter",
                "Blocks dropped for an instance's capacity or the index's memory cap.");
    prom_sample(out, "infini_router_prefix_index_evictions_total", NULL, (double)st.evictions);
}

/* Routing decisions by policy and reason, summed from the request series (no cost per
 * request): the reason is the route label without "retry" and the size class. */
static void write_decisions(const struct rt_metrics *m, struct buf *out)
{
    struct {
        char label[96];
        uint64_t count;
    } seen[64];
    size_t nseen = 0;
    struct buf l;

    for (size_t i = 0; i < m->nreq; i++) {
        char label[96];
        const char *r = m->req[i]->route;
        size_t at = 0;
        /* "<policy> [retry ][panic ][size-<class> ]<reason>" -> "<policy> <reason>" */
        for (const char *w = r; *w != '\0';) {
            const char *sp = strchr(w, ' ');
            size_t len = sp != NULL ? (size_t)(sp - w) : strlen(w);
            bool skip = w != r &&
                        ((len == 5 && strncmp(w, "retry", 5) == 0) ||
                         (len == 5 && strncmp(w, "panic", 5) == 0) || strncmp(w, "size-", 5) == 0);
            if (!skip && at + len + 1 < sizeof(label)) {
                if (at > 0)
                    label[at++] = ' ';
                memcpy(label + at, w, len);
                at += len;
            }
            w = sp != NULL ? sp + 1 : w + len;
        }
        label[at] = '\0';
        size_t k = 0;
        while (k < nseen && strcmp(seen[k].label, label) != 0)
            k++;
        if (k == nseen) {
            if (nseen == sizeof(seen) / sizeof(seen[0]))
                continue;
            snprintf(seen[nseen].label, sizeof(seen[nseen].label), "%s", label);
            seen[nseen++].count = 0;
        }
        seen[k].count += m->req[i]->count;
    }
    prom_family(out, "infini_router_route_decisions_total", "counter",
                "Requests by routing policy and reason (the X-Infini-Route reason).");
    buf_init(&l, 1024);
    for (size_t k = 0; k < nseen; k++) {
        const char *sp = strchr(seen[k].label, ' ');
        char policy[32];
        size_t pl = sp != NULL ? (size_t)(sp - seen[k].label) : strlen(seen[k].label);
        snprintf(policy, sizeof(policy), "%.*s", (int)pl, seen[k].label);
        buf_reset(&l);
        prom_label(&l, "policy", policy);
        prom_label(&l, "reason", sp != NULL ? sp + 1 : "none");
        prom_sample(out, "infini_router_route_decisions_total", l.data, (double)seen[k].count);
    }
    buf_free(&l);
}

void rt_metrics_write(const struct rt_metrics *m, const struct rt_router *rt, struct buf *out)
{
    prom_family(out, "infini_router_requests_total", "counter",
                "Proxied requests by model, instance, status code and routing reason.");
    for (size_t i = 0; i < m->nreq; i++)
        prom_sample(out, "infini_router_requests_total", m->req[i]->labels,
                    (double)m->req[i]->count);
    for (int c = 0; c < RT_M_COUNT; c++) {
        prom_family(out, counter_info[c].name, "counter", counter_info[c].help);
        prom_sample(out, counter_info[c].name, NULL,
                    c == RT_M_TOKENIZE_SECONDS ? (double)m->counters[c] / 1e6
                                               : (double)m->counters[c]);
    }
    write_decisions(m, out);
    prom_family(out, "infini_router_in_flight", "gauge", "Proxied requests in progress.");
    prom_sample(out, "infini_router_in_flight", NULL, rt->in_flight);
    write_instances(rt, out);
    write_models(rt, out);
    rt_kv_events_write_metrics(rt->kv_events, out);
    write_cache_aware(rt, out);
    if (rt->lag != NULL)
        loop_lag_write(rt->lag, "infini_router", out);
}
