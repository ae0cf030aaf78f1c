/* Instance table and per-model routing views. Depends on common/, router/ring, router/upstream. */
#include "services.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "url.h"
#include "prefix_index.h"
#include "ring.h"
#include "http_upstream.h"
#include "sorted.h"
#include "xalloc.h"

#define RING_VNODES         128
#define ENGINE_LOAD_FRESH_S 15.0
#define EJECT_BASE_MS       1000
#define EJECT_MAX_MS        60000

struct rt_services {
    uv_loop_t *loop;
    unsigned pool_idle;
    struct rt_instance **all; /* sorted by name */
    size_t n, cap;
    struct rt_model_view **views; /* sorted by model */
    size_t nviews;
    uint32_t generation;
    size_t model_count;             /* distinct models, valid for model_count_gen */
    uint32_t model_count_gen;       /* 0 = not computed */
    struct rt_prefix_index *prefix; /* borrowed; NULL = no cache-aware routing */
    size_t prefix_capacity;         /* blocks per instance until its engine reports its size */
};

struct rt_services *rt_services_new(uv_loop_t *loop, unsigned pool_idle)
{
    struct rt_services *s = xcalloc(1, sizeof(*s));

    s->loop = loop;
    s->pool_idle = pool_idle;
    s->generation = 1;
    return s;
}

static void view_free(struct rt_model_view *v)
{
    rt_ring_free(v->ring);
    free(v->members);
    free(v->model);
    free(v);
}

void rt_services_free(struct rt_services *s)
{
    if (s == NULL)
        return;
    while (s->n > 0)
        rt_services_remove(s, s->all[s->n - 1]);
    for (size_t i = 0; i < s->nviews; i++)
        view_free(s->views[i]);
    free(s->views);
    free(s->all);
    free(s);
}

/* ---------------------------------------------------------------- instances */

static void instance_free(struct rt_instance *inst)
{
    http_upstream_pool_free(inst->pool);
    for (size_t i = 0; i < inst->nmodels; i++)
        free(inst->models[i]);
    free(inst->models);
    cJSON_Delete(inst->metadata);
    prom_histogram_free(&inst->latency);
    prom_histogram_free(&inst->ttfb);
    prom_histogram_free(&inst->ttft);
    free(inst->name);
    free(inst->host);
    free(inst->url);
    free(inst->babysitter_url);
    free(inst);
}

void rt_instance_ref(struct rt_instance *inst)
{
    inst->refs++;
}

void rt_instance_unref(struct rt_instance *inst)
{
    SVC_ASSERT(inst->refs > 0);
    if (--inst->refs == 0)
        instance_free(inst);
}

static const char *instance_name_at(const void *all, size_t i)
{
    return ((struct rt_instance *const *)all)[i]->name;
}

/* Index of the instance named `name`, or of its insertion point with *found false. */
static size_t find_index(const struct rt_services *s, const char *name, bool *found)
{
    return sorted_find(s->all, s->n, instance_name_at, name, found);
}

struct rt_instance *rt_services_find(const struct rt_services *s, const char *name)
{
    bool found;
    size_t i = find_index(s, name, &found);

    return found ? s->all[i] : NULL;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Re-derives models, routability, cache class and the static flag from metadata.
 * Returns true when any routing-relevant value changed. */
static bool apply_metadata(struct rt_instance *inst, const cJSON *metadata)
{
    char **old_models = inst->models;
    size_t old_n = inst->nmodels;
    bool old_routable = inst->routable;
    char *old_cache = inst->cache_type != NULL ? xstrdup(inst->cache_type) : NULL;

    cJSON_Delete(inst->metadata);
    inst->metadata =
        metadata != NULL && cJSON_IsObject(metadata) ? json_dup(metadata) : json_new_object();
    const char *type = json_get_string(inst->metadata, "type");
    inst->routable =
        type != NULL ? strcmp(type, "openai-api") == 0 : inst->source == RT_SOURCE_STATIC_FILE;
    bool st = false;
    inst->is_static = json_get_bool(inst->metadata, "static", &st) && st;
    inst->cache_type = json_get_string(inst->metadata, "cache_type");

    const cJSON *models = json_get_array(inst->metadata, "models");
    size_t n = 0;
    inst->models = xcalloc((size_t)cJSON_GetArraySize(models) + 1, sizeof(char *));
    for (const cJSON *m = models != NULL ? models->child : NULL; m != NULL; m = m->next) {
        if (cJSON_IsString(m))
            inst->models[n++] = xstrdup(m->valuestring);
    }
    inst->nmodels = n;

    bool changed =
        old_routable != inst->routable || old_n != n || !same_str(old_cache, inst->cache_type);
    for (size_t i = 0; i < old_n; i++) {
        if (!changed && strcmp(old_models[i], inst->models[i]) != 0)
            changed = true;
        free(old_models[i]);
    }
    free(old_models);
    free(old_cache);
    return changed;
}

static void apply_load(struct rt_instance *inst, const cJSON *load)
{
    struct rt_engine_load *e = &inst->engine;

    if (!cJSON_IsObject(load))
        return;
    e->present = true;
    e->in_flight = e->running = e->waiting = e->kv_usage = e->kv_capacity_tokens = 0;
    json_get_number(load, "kv_capacity_tokens", &e->kv_capacity_tokens);
    json_get_number(load, "in_flight", &e->in_flight);
    json_get_number(load, "running", &e->running);
    json_get_number(load, "waiting", &e->waiting);
    json_get_number(load, "kv_usage", &e->kv_usage);
    if (!json_get_number(load, "updated", &e->updated))
        e->updated = 0;
}

static char *make_url(const char *host, int port)
{
    struct buf b;

    buf_init(&b, 1024);
    buf_appendf(&b, strchr(host, ':') != NULL ? "http://[%s]:%d" : "http://%s:%d", host, port);
    return buf_take(&b, NULL);
}

/* Sets address fields; returns true when where requests go changed (the pool is replaced). */
static bool apply_address(struct rt_services *s, struct rt_instance *inst,
                          const struct rt_instance_desc *d)
{
    char *url = d->url != NULL && d->url[0] != '\0' ? xstrdup(d->url) : make_url(d->host, d->port);
    bool changed = inst->pool == NULL || inst->port != d->port || !same_str(inst->host, d->host) ||
                   !same_str(inst->url, url);

    if (!changed) {
        free(url);
        return false;
    }
    free(inst->host);
    free(inst->url);
    free(inst->babysitter_url);
    inst->host = xstrdup(d->host);
    inst->port = d->port;
    inst->url = url;
    inst->babysitter_url = make_url(d->host, d->port + 1);
    http_upstream_pool_free(inst->pool);
    /* Connect where the URL points (it may differ from host:port, e.g. behind NAT). */
    struct url_http u;
    if (url_parse_http(url, &u) < 0) {
        snprintf(u.host, sizeof(u.host), "%s", d->host);
        u.port = d->port;
    }
    inst->pool = http_upstream_pool_new(s->loop, u.host, u.port, s->pool_idle);
    return true;
}

struct rt_instance *rt_services_upsert(struct rt_services *s, const struct rt_instance_desc *d)
{
    bool found;
    size_t at = find_index(s, d->name, &found);
    struct rt_instance *inst;
    bool changed = false;

    if (found) {
        inst = s->all[at];
    } else {
        inst = xcalloc(1, sizeof(*inst));
        inst->name = xstrdup(d->name);
        inst->refs = 1;
        inst->in_table = true;
        /* Anyone who can reach the registry can register: a new record takes traffic only once
         * its own probe has passed. The static file is the operator's own word. */
        inst->probe_ok = d->source != RT_SOURCE_REGISTRY;
        inst->source = d->source;
        inst->name_hash = hash64_str(d->name);
        inst->prefix_member =
            s->prefix != NULL ? rt_prefix_index_add_member(s->prefix, s->prefix_capacity) : -1;
        prom_histogram_init(&inst->latency, prom_latency_bounds, prom_latency_nbounds);
        prom_histogram_init(&inst->ttfb, prom_latency_bounds, prom_latency_nbounds);
        prom_histogram_init(&inst->ttft, prom_latency_bounds, prom_latency_nbounds);
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 16;
            s->all = xrealloc(s->all, s->cap * sizeof(*s->all));
        }
        memmove(s->all + at + 1, s->all + at, (s->n - at) * sizeof(*s->all));
        s->all[at] = inst;
        s->n++;
        changed = true;
        log_info("services", "instance=%s url=%s/%s added", d->name,
                 d->url != NULL ? d->url : d->host,
                 d->source == RT_SOURCE_REGISTRY ? "registry" : "static");
    }
    inst->source = d->source;
    changed |= apply_address(s, inst, d);
    changed |= apply_metadata(inst, d->metadata);
    unsigned weight = d->weight ? d->weight : 1;
    changed |= weight != inst->weight;
    inst->weight = weight;
    inst->registry_healthy = d->registry_healthy;
    apply_load(inst, d->load);
    inst->last_seen_ms = (double)uv_now(s->loop);
    if (changed) {
        s->generation++;
        inst->generation = s->generation;
    }
    return inst;
}

void rt_services_remove(struct rt_services *s, struct rt_instance *inst)
{
    bool found;
    size_t at = find_index(s, inst->name, &found);

    if (!found || s->all[at] != inst)
        return;
    log_info("services", "instance=%s removed", inst->name);
    memmove(s->all + at, s->all + at + 1, (s->n - at - 1) * sizeof(*s->all));
    s->n--;
    s->generation++;
    inst->in_table = false;
    /* Transfers still holding the instance must not touch a member id another instance may
     * get next. */
    rt_prefix_index_remove_member(s->prefix, inst->prefix_member);
    inst->prefix_member = -1;
    http_upstream_pool_flush(inst->pool);
    rt_instance_unref(inst);
}

struct rt_instance *const *rt_services_all(const struct rt_services *s, size_t *n)
{
    *n = s->n;
    return s->all;
}

uint32_t rt_services_generation(const struct rt_services *s)
{
    return s->generation;
}

/* ---------------------------------------------------------------- views */

static bool serves(const struct rt_instance *inst, const char *model)
{
    if (model[0] == '\0')
        return true;
    for (size_t i = 0; i < inst->nmodels; i++) {
        if (strcmp(inst->models[i], model) == 0)
            return true;
    }
    return false;
}

static void view_build(struct rt_services *s, struct rt_model_view *v)
{
    const char **names = xcalloc(s->n + 1, sizeof(*names));

    free(v->members);
    rt_ring_free(v->ring);
    v->members = xcalloc(s->n + 1, sizeof(*v->members));
    v->n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->all[i]->routable && serves(s->all[i], v->model)) {
            names[v->n] = s->all[i]->name;
            v->members[v->n++] = s->all[i];
        }
    }
    v->ring = rt_ring_new(names, v->n, 0); /* the ring's measured default */
    v->generation = s->generation;
    free(names);
}

static const char *view_model_at(const void *views, size_t i)
{
    return ((struct rt_model_view *const *)views)[i]->model;
}

struct rt_model_view *rt_services_view(struct rt_services *s, const char *model)
{
    bool found;

    if (model == NULL)
        model = "";
    size_t lo = sorted_find(s->views, s->nviews, view_model_at, model, &found);
    if (found) {
        struct rt_model_view *v = s->views[lo];
        if (v->generation != s->generation)
            view_build(s, v);
        return v->n > 0 ? v : NULL;
    }
    /* Cache a view only for a model someone serves, so unknown model names cost nothing. */
    bool any = false;
    for (size_t i = 0; i < s->n && !any; i++)
        any = s->all[i]->routable && serves(s->all[i], model);
    if (!any)
        return NULL;
    struct rt_model_view *v = xcalloc(1, sizeof(*v));
    v->model = xstrdup(model);
    view_build(s, v);
    s->views = xrealloc(s->views, (s->nviews + 1) * sizeof(*s->views));
    memmove(s->views + lo + 1, s->views + lo, (s->nviews - lo) * sizeof(*s->views));
    s->views[lo] = v;
    s->nviews++;
    return v;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t rt_services_model_count(struct rt_services *s)
{
    if (s->model_count_gen == s->generation)
        return s->model_count;
    size_t total = 0, k = 0, distinct = 0;
    for (size_t i = 0; i < s->n; i++)
        total += s->all[i]->routable ? s->all[i]->nmodels : 0;
    const char **names = xcalloc(total + 1, sizeof(*names));
    for (size_t i = 0; i < s->n; i++) {
        for (size_t j = 0; s->all[i]->routable && j < s->all[i]->nmodels; j++)
            names[k++] = s->all[i]->models[j];
    }
    qsort(names, k, sizeof(*names), cmp_str);
    for (size_t i = 0; i < k; i++)
        distinct += i == 0 || strcmp(names[i], names[i - 1]) != 0;
    free(names);
    s->model_count = distinct;
    s->model_count_gen = s->generation;
    return distinct;
}

/* ---------------------------------------------------------------- health and load */

void rt_services_use_prefix_index(struct rt_services *s, struct rt_prefix_index *idx,
                                  size_t capacity)
{
    s->prefix = idx;
    s->prefix_capacity = capacity;
    for (size_t i = 0; i < s->n; i++) {
        if (s->all[i]->prefix_member < 0)
            s->all[i]->prefix_member = rt_prefix_index_add_member(idx, capacity);
    }
}

bool rt_instance_engine_fresh(const struct rt_instance *inst, double now_s)
{
    return inst->engine.present && now_s - inst->engine.updated < ENGINE_LOAD_FRESH_S;
}

bool rt_instance_is_eligible(const struct rt_instance *inst, uint64_t now_ms)
{
    return inst->in_table && inst->routable && inst->registry_healthy && inst->probe_ok &&
           (inst->ejected_until_ms == 0 || now_ms >= inst->ejected_until_ms);
}

unsigned rt_instance_load(const struct rt_instance *inst, double now_s)
{
    unsigned load = inst->in_flight;
    const struct rt_engine_load *e = &inst->engine;

    /* The engine's own queue includes other routers' requests; use it while fresh. */
    if (rt_instance_engine_fresh(inst, now_s)) {
        double engine = e->running + e->waiting;
        if (engine > load)
            load = (unsigned)fmin(engine, 1e9);
    }
    return load;
}

void rt_instance_note_success(struct rt_instance *inst)
{
    if (inst->ejected_until_ms != 0)
        log_info("services", "instance=%s answered, back in rotation", inst->name);
    inst->consecutive_failures = 0;
    inst->ejections = 0;
    inst->ejected_until_ms = 0;
}

bool rt_instance_note_failure(struct rt_instance *inst, enum rt_fault fault, unsigned threshold,
                              uint64_t now_ms)
{
    inst->errors++;
    inst->consecutive_failures++;
    /* Requests in flight when the server died or hung fail one after another: one incident. */
    if (inst->ejected_until_ms != 0 && now_ms < inst->ejected_until_ms)
        return false;
    if (fault != RT_FAULT_TIMEOUT && inst->consecutive_failures < (threshold ? threshold : 1))
        return false;
    uint64_t backoff = EJECT_BASE_MS << (inst->ejections < 6 ? inst->ejections : 6);
    if (backoff > EJECT_MAX_MS)
        backoff = EJECT_MAX_MS;
    inst->ejected_at_ms = now_ms;
    inst->ejected_until_ms = now_ms + backoff;
    inst->eject_cause = fault;
    inst->ejections++;
    inst->ejections_total++;
    log_warn("services", "instance=%s failures=%u cause=%s backoff_ms=%llu ejected", inst->name,
             inst->consecutive_failures, fault == RT_FAULT_TIMEOUT ? "timeout" : "transport",
             (unsigned long long)backoff);
    return true;
}

void rt_instance_note_probe(struct rt_instance *inst, bool ok, uint64_t started_ms)
{
    inst->probe_ok = ok;
    if (!ok || inst->ejected_until_ms == 0)
        return;
    if (inst->eject_cause == RT_FAULT_TRANSPORT && started_ms >= inst->ejected_at_ms) {
        log_info("services", "instance=%s probe ok after its ejection, back in rotation",
                 inst->name);
        inst->ejected_until_ms = 0;
        inst->consecutive_failures = 0;
    }
}
