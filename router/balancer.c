/* Routing policies over the per-model views. Depends on router/services, router/ring,
 * router/cache_aware, common/hash. */
#include "balancer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_aware.h"
#include "err.h"
#include "hash.h"
#include "ring.h"
#include "services.h"
#include "xalloc.h"

static const char *const policy_names[] = {"key-or-rr", "round-robin", "least-load", "key-hash",
                                           "cache-aware"};
#define NPOLICIES (sizeof(policy_names) / sizeof(policy_names[0]))

int rt_policy_parse(const char *s, enum rt_policy *out)
{
    for (int i = 0; i < (int)NPOLICIES; i++) {
        if (strcmp(s, policy_names[i]) == 0) {
            *out = (enum rt_policy)i;
            return 0;
        }
    }
    return SVC_EPARSE;
}

const char *rt_policy_name(enum rt_policy p)
{
    return (unsigned)p < NPOLICIES ? policy_names[p] : "unknown";
}

/* Per-pick state shared with the ring walk. */
struct pick_ctx {
    const struct rt_pick_req *r;
    const struct rt_model_view *v;
    const char *klass;  /* size class to avoid instances labelled otherwise, or NULL */
    bool panic;         /* ignore ejections */
    uint64_t bound;     /* load bound, 0 = none */
    int first_eligible; /* first member the walk found eligible (ignoring the bound) */
};

static bool excluded(const struct rt_pick_req *r, const struct rt_instance *inst)
{
    for (size_t i = 0; i < r->nexclude; i++) {
        if (r->exclude[i] == inst)
            return true;
    }
    return false;
}

static bool candidate(const struct pick_ctx *x, const struct rt_instance *inst)
{
    if (excluded(x->r, inst))
        return false;
    if (x->klass != NULL && inst->cache_type != NULL && strcmp(inst->cache_type, x->klass) != 0)
        return false;
    if (x->panic)
        return inst->in_table && inst->routable && inst->registry_healthy && inst->probe_ok;
    return rt_instance_is_eligible(inst, x->r->now_ms);
}

static bool accept_member(void *ud, unsigned member)
{
    struct pick_ctx *x = ud;
    const struct rt_instance *inst = x->v->members[member];

    if (!candidate(x, inst))
        return false;
    if (x->first_eligible < 0)
        x->first_eligible = (int)member;
    return x->bound == 0 || rt_instance_load(inst, x->r->now_s) < x->bound;
}

static struct rt_instance *pick_round_robin(struct pick_ctx *x, struct rt_model_view *v)
{
    for (size_t i = 0; i < v->n; i++) {
        struct rt_instance *inst = v->members[(v->rr_cursor + i) % v->n];
        if (candidate(x, inst)) {
            v->rr_cursor += i + 1;
            return inst;
        }
    }
    return NULL;
}

static struct rt_instance *pick_least_load(struct pick_ctx *x, struct rt_model_view *v)
{
    struct rt_instance *best = NULL;
    unsigned best_load = 0;

    /* Start at the round-robin cursor so that ties rotate instead of piling on one. */
    for (size_t i = 0; i < v->n; i++) {
        struct rt_instance *inst = v->members[(v->rr_cursor + i) % v->n];
        unsigned load = rt_instance_load(inst, x->r->now_s);
        if (candidate(x, inst) && (best == NULL || load < best_load)) {
            best = inst;
            best_load = load;
        }
    }
    v->rr_cursor++;
    return best;
}

uint64_t rt_balancer_load_bound(uint64_t total, size_t n, double c, unsigned load_floor)
{
    if (n == 0)
        return 0;
    if (!(c >= 1.0))
        c = 1.0;
    double b = ceil(c * ((double)total + 1.0) / (double)n);
    if (!(b < 18446744073709551616.0))
        return UINT64_MAX;
    /* At a load of one or two requests "c x mean" forces a spill on every small burst, and every
     * spill turns a prefix-cache hit into a miss: below the floor keys stay home. */
    return (uint64_t)b > load_floor ? (uint64_t)b : load_floor;
}

/* The load bound over the candidates (0 when there are none). */
static uint64_t load_bound(struct pick_ctx *x, const struct rt_model_view *v)
{
    const struct rt_pick_req *r = x->r;
    uint64_t total = 0;
    size_t n = 0;

    for (size_t i = 0; i < v->n; i++) {
        if (candidate(x, v->members[i])) {
            total += rt_instance_load(v->members[i], r->now_s);
            n++;
        }
    }
    return rt_balancer_load_bound(total, n, r->balance_factor, r->load_floor);
}

static struct rt_instance *pick_by_key(struct pick_ctx *x, struct rt_model_view *v, bool bounded,
                                       bool *spilled)
{
    const struct rt_pick_req *r = x->r;
    uint64_t h = hash64(r->model != NULL ? r->model : "", r->model != NULL ? strlen(r->model) : 0,
                        0x9e3779b97f4a7c15ULL);

    h = hash64(r->key, r->key_len, h);
    *spilled = false;
    /* The key's owner: the first candidate in its order. Below the floor it takes the request
     * whatever the bound, so the O(candidates) bound is computed only when it matters. */
    x->bound = 0;
    x->first_eligible = -1;
    int m = rt_ring_walk(v->ring, h, accept_member, x);
    if (m < 0)
        return NULL;
    unsigned owner_load = rt_instance_load(v->members[m], r->now_s);
    if (!bounded || owner_load < r->load_floor)
        return v->members[m];
    x->bound = load_bound(x, v);
    if (owner_load < x->bound)
        return v->members[m];
    x->first_eligible = -1;
    m = rt_ring_walk(v->ring, h, accept_member, x);
    if (m < 0)
        return NULL;
    *spilled = m != x->first_eligible;
    return v->members[m];
}

/* The estimated-TTFT choice among the candidates under the load bound. */
static struct rt_instance *pick_cache_aware(struct pick_ctx *x, struct rt_model_view *v,
                                            const char **reason, struct rt_pick *out)
{
    const struct rt_pick_req *r = x->r;
    struct rt_instance *stack[64];
    struct rt_instance **cands = v->n <= 64 ? stack : xmalloc(v->n * sizeof(*cands));
    size_t n = 0;
    unsigned max_load = 0;

    for (size_t i = 0; i < v->n; i++) {
        if (candidate(x, v->members[i])) {
            cands[n++] = v->members[i];
            unsigned load = rt_instance_load(v->members[i], r->now_s);
            max_load = load > max_load ? load : max_load;
        }
    }
    struct rt_instance *inst = NULL;
    if (n > 0) {
        /* The bound matters only once some candidate reaches the floor. */
        if (max_load >= r->load_floor) {
            uint64_t bound = load_bound(x, v);
            size_t kept = 0;
            for (size_t i = 0; i < n; i++) {
                if (rt_instance_load(cands[i], r->now_s) < bound)
                    cands[kept++] = cands[i];
            }
            n = kept; /* never 0: the mean is below the bound */
        }
        struct rt_ca_choice c;
        rt_cache_aware_choose(r->prefix, r->ca, r->car, cands, n, &c);
        inst = cands[c.index];
        *reason = c.reason;
        out->cache_aware = true;
        out->exact = c.exact;
        out->depth = c.exact ? 0 : c.depth;
        out->held_tokens = c.held_tokens;
        out->est_s = c.est_s;
        out->uncached_tokens = c.uncached_tokens;
        snprintf(out->detail, sizeof(out->detail), "%u/%u est=%.0fms%s", c.depth, c.total_blocks,
                 c.est_s * 1000.0, c.exact ? " exact" : "");
    }
    if (cands != stack)
        free(cands);
    return inst;
}

static struct rt_instance *pick_policy(struct pick_ctx *x, struct rt_model_view *v,
                                       const char **reason, struct rt_pick *out)
{
    const struct rt_pick_req *r = x->r;
    bool keyed = r->key != NULL && r->key_len > 0;
    bool spilled = false;
    struct rt_instance *inst;

    switch (r->policy) {
    case RT_POLICY_KEY_OR_RR:
    case RT_POLICY_KEY_HASH:
    case RT_POLICY_CACHE_AWARE:
        if (keyed) {
            inst = pick_by_key(x, v, r->policy != RT_POLICY_KEY_HASH, &spilled);
            *reason = spilled ? "key-spill" : "key-hash";
            return inst;
        }
        if (r->policy == RT_POLICY_CACHE_AWARE) {
            if (r->prefix != NULL && r->ca != NULL && r->car != NULL)
                return pick_cache_aware(x, v, reason, out);
            *reason = "least-load"; /* nothing to match on (no prompt) */
            return pick_least_load(x, v);
        }
        *reason = "round-robin";
        return pick_round_robin(x, v);
    case RT_POLICY_LEAST_LOAD:
        *reason = "least-load";
        return pick_least_load(x, v);
    case RT_POLICY_ROUND_ROBIN:
    default:
        *reason = "round-robin";
        return pick_round_robin(x, v);
    }
}

/* Size class: only when some candidate carries the wanted label; instances labelled with the
 * other class are then avoided, unlabelled ones stay candidates (the reference starved them). */
static const char *size_class(struct pick_ctx *x, const struct rt_model_view *v)
{
    const struct rt_pick_req *r = x->r;

    if (!r->size_known)
        return NULL;
    const char *want = r->content_bytes > r->cache_type_threshold ? "static" : "paged";
    for (size_t i = 0; i < v->n; i++) {
        const struct rt_instance *inst = v->members[i];
        if (inst->cache_type != NULL && strcmp(inst->cache_type, want) == 0 && candidate(x, inst))
            return want;
    }
    return NULL;
}

int rt_balancer_pick(struct rt_services *s, const struct rt_pick_req *r, struct rt_pick *out)
{
    struct rt_model_view *v = rt_services_view(s, r->model);
    struct pick_ctx x = {.r = r, .v = v, .first_eligible = -1};
    const char *reason = NULL;

    out->inst = NULL;
    out->reason[0] = '\0';
    out->detail[0] = '\0';
    out->cache_aware = false;
    if (v == NULL)
        return SVC_ENOROUTE;
    for (int pass = 0; pass < 2 && out->inst == NULL; pass++) {
        x.panic = pass == 1;
        x.klass = size_class(&x, v);
        out->inst = pick_policy(&x, v, &reason, out);
    }
    if (out->inst == NULL)
        return SVC_ENOROUTE;
    snprintf(out->reason, sizeof(out->reason), "%s%s%s%s", x.panic ? "panic " : "",
             x.klass != NULL ? "size-" : "", x.klass != NULL ? x.klass : "",
             x.klass != NULL ? " " : "");
    size_t len = strlen(out->reason);
    snprintf(out->reason + len, sizeof(out->reason) - len, "%s", reason);
    return 0;
}
