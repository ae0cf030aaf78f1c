/* Estimated-TTFT choice. Depends on router/services, router/prefix_index, common/hash. */
#include "cache_aware.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "hash.h"
#include "prefix_index.h"
#include "services.h"
#include "xalloc.h"

/* Candidates handled with stack arrays; more take one allocation per decision. */
#define STACK_CANDS 64
/* Estimates closer than this are a tie (seconds). */
#define TIE_S 1e-6
/* Seconds one in-flight request adds to an estimate: nothing next to a prefill, it only makes
 * the less busy of two otherwise equal instances win. */
#define IN_FLIGHT_COST_S 1e-4
/* Seconds over which an unrefreshed extra wait fades by a factor e. */
#define EXTRA_WAIT_FADE_S 2.0

double rt_cache_aware_uncached(const struct rt_ca_params *p, size_t text_bytes, uint32_t depth)
{
    double cached = (double)depth * (double)p->block_chars;
    double left = (double)text_bytes > cached ? (double)text_bytes - cached : 0.0;

    return left / (p->bytes_per_token > 0 ? p->bytes_per_token : 4.0);
}

double rt_cache_aware_estimate(const struct rt_instance *inst, const struct rt_ca_params *p,
                               double uncached_tokens, double now_s)
{
    double rate = inst->prefill_rate > 0 ? inst->prefill_rate : p->default_rate;
    double est = (inst->pending_prefill + uncached_tokens) / rate;

    /* What other routers put there: requests the engine reports waiting beyond ours, each
     * costing a typical prefill; and a cache close to full, which makes the engine preempt. */
    if (rt_instance_engine_fresh(inst, now_s)) {
        double other = inst->engine.waiting - (double)inst->pending_requests;
        double typical = inst->mean_uncached > 0 ? inst->mean_uncached : uncached_tokens;
        if (other > 0)
            est += other * typical / rate;
        if (inst->engine.kv_usage > 0.9)
            est += (inst->engine.kv_usage - 0.9) * 10.0 * uncached_tokens / rate;
    }
    /* The wait the instance's recent first tokens took beyond their prefill (batch slots, other
     * routers): it fades once the instance has not been measured for a while, so an instance
     * passed over for it gets traffic again. */
    if (inst->extra_wait_s > 0 && now_s >= inst->extra_wait_at)
        est += inst->extra_wait_s * exp(-(now_s - inst->extra_wait_at) / EXTRA_WAIT_FADE_S);
    return est + IN_FLIGHT_COST_S * inst->in_flight;
}

static uint64_t score(const struct rt_instance *inst, uint64_t key)
{
    return hash64_u64(inst->name_hash, key);
}

/* Blocks the member can still take before its cache evicts (SIZE_MAX when unbounded). */
static size_t room(const struct rt_prefix_index *idx, const struct rt_instance *inst)
{
    size_t cap = rt_prefix_index_capacity(idx, inst->prefix_member);
    size_t held = rt_prefix_index_member_blocks(idx, inst->prefix_member);

    return cap == 0 ? SIZE_MAX : cap > held ? cap - held : 0;
}

/* The cold owner among the prompt's two rendezvous owners: the first, unless the second has
 * clearly more room in its cache (by more than the prompt itself). Two choices keep the prefixes
 * spread evenly while caches fill, where one rendezvous choice leaves them as uneven as chance
 * makes them; once every cache is full, or for replicas that have seen the same traffic, it is
 * the plain rendezvous owner, so independent routers still agree. */
static size_t roomier(const struct rt_prefix_index *idx, struct rt_instance *const *cands, size_t n,
                      size_t first, size_t second, size_t nblocks)
{
    if (second >= n)
        return first;
    size_t a = room(idx, cands[first]), b = room(idx, cands[second]);
    if (a == SIZE_MAX)
        return first; /* no limit known: room enough */
    return b > a + nblocks ? second : first;
}

void rt_cache_aware_choose(struct rt_prefix_index *idx, const struct rt_ca_params *p,
                           const struct rt_ca_request *r, struct rt_instance *const *cands,
                           size_t n, struct rt_ca_choice *out)
{
    int ids_stack[STACK_CANDS];
    uint32_t depth_stack[STACK_CANDS];
    double est_stack[STACK_CANDS];
    int *ids = n <= STACK_CANDS ? ids_stack : xmalloc(n * sizeof(*ids));
    uint32_t *depth = n <= STACK_CANDS ? depth_stack : xmalloc(n * sizeof(*depth));
    double *est = n <= STACK_CANDS ? est_stack : xmalloc(n * sizeof(*est));

    for (size_t i = 0; i < n; i++)
        ids[i] = cands[i]->prefix_member;
    rt_prefix_index_match(idx, r->blocks, r->nblocks, ids, n, depth);

    uint64_t tie_key = r->nblocks > 0 ? r->blocks[0] : r->head;
    size_t aff = p->affinity_blocks < r->nblocks ? p->affinity_blocks : r->nblocks;
    uint64_t owner_key = aff > 0 ? r->blocks[aff - 1] : r->head;
    size_t best = 0, owner = 0, second = n, session = n, sess_owner = 0;
    uint64_t best_tie = 0, owner_score = 0, second_score = 0, sess_score = 0;
    uint32_t max_depth = 0;

    for (size_t i = 0; i < n; i++) {
        double unc = rt_cache_aware_uncached(p, r->text_bytes, depth[i]);
        est[i] = rt_cache_aware_estimate(cands[i], p, unc, r->now_s);
        uint64_t tie = score(cands[i], tie_key);
        if (i == 0 || est[i] < est[best] - TIE_S ||
            (est[i] <= est[best] + TIE_S && tie > best_tie)) {
            best = i;
            best_tie = tie;
        }
        uint64_t os = score(cands[i], owner_key);
        if (i == 0 || os > owner_score) {
            second = i == 0 ? n : owner;
            second_score = owner_score;
            owner = i;
            owner_score = os;
        } else if (second == n || os > second_score) {
            second = i;
            second_score = os;
        }
        if (depth[i] > max_depth)
            max_depth = depth[i];
        if (r->has_session) {
            if (r->session_instance != 0 && cands[i]->name_hash == r->session_instance)
                session = i;
            uint64_t ss = score(cands[i], r->session_key);
            if (i == 0 || ss > sess_score) {
                sess_owner = i;
                sess_score = ss;
            }
        }
    }
    /* A session seen for the first time (or whose instance left) belongs to its rendezvous
     * owner, so replicas agree on it too. */
    if (r->has_session && session == n)
        session = sess_owner;

    /* The preferred instance: the one holding the longest prefix; for a prompt nobody holds, the
     * session's instance, else the prompt's rendezvous owner. It keeps the request unless its
     * estimate is clearly worse than the best: by more than a fraction of the prefill the best
     * would do for it. Placing a prefix on a second instance costs that instance cache space
     * and a miss, so a near tie must not move it. */
    size_t pref = n;
    bool hot = r->share * (double)n > 1.0;
    if (max_depth > 0) {
        /* Among the instances holding about the longest prefix (a block or an eighth of it short,
         * e.g. a tail evicted from one copy): for a prefix taking more than one instance's share
         * of the traffic (hot), the least busy copy, so its copies share its load; for any
         * other, the prompt's rendezvous owner among them, one stable home, so that a copy made
         * under load is left to age out once the load is gone. */
        uint32_t near = max_depth / 8 > 1 ? max_depth / 8 : 1;
        uint64_t pref_score = 0;
        for (size_t i = 0; i < n; i++) {
            if (depth[i] + near < max_depth || depth[i] == 0)
                continue;
            uint64_t sc = score(cands[i], owner_key);
            if (pref == n || (hot ? est[i] < est[pref] : sc > pref_score)) {
                pref = i;
                pref_score = sc;
            }
        }
    } else if (session < n) {
        pref = session;
    } else {
        pref = roomier(idx, cands, n, owner, second, r->nblocks);
    }
    size_t choice = best;
    if (pref != best) {
        /* "Clearly worse" is measured in the prompt's whole prefill on the best instance: what
         * a miss costs, whether or not the best holds the prefix too. */
        const struct rt_instance *b = cands[best];
        double rate = b->prefill_rate > 0 ? b->prefill_rate : p->default_rate;
        double whole = rt_cache_aware_uncached(p, r->text_bytes, 0) / rate;
        if (est[pref] <= est[best] + p->cold_slack * whole + TIE_S)
            choice = pref;
    }

    out->index = choice;
    out->depth = depth[choice];
    out->best_depth = max_depth;
    out->est_s = est[choice];
    out->uncached_tokens = rt_cache_aware_uncached(p, r->text_bytes, depth[choice]);
    if (choice != pref)
        out->reason = "spill";
    else if (depth[choice] > 0)
        out->reason = "prefix";
    else
        out->reason = session < n ? "session" : "cold-owner";

    if (n > STACK_CANDS) {
        free(ids);
        free(depth);
        free(est);
    }
}
