/* Estimated-TTFT choice. Depends on router/services, router/prefix_index, router/kv_index,
 * common/hash. */
#include "cache_aware.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "hash.h"
#include "kv_index.h"
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
/* Utilisation beyond which a move's added prefill counts no more (u / (1 - u) = 4 times
 * itself): closer to saturation the queues' own estimates say more than the formula. */
#define UTILISATION_MAX 0.8

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

/* The instance's decayed work as of `now_s` (a clock gone back decays nothing). */
static double work_now(const struct rt_instance *inst, double now_s)
{
    double dt = now_s - inst->work_at;

    return dt > 0 ? inst->work_sent * exp(-dt / RT_WORK_DECAY_S) : inst->work_sent;
}

void rt_cache_aware_note_work(struct rt_instance *inst, double tokens, double now_s)
{
    inst->work_sent = work_now(inst, now_s) + tokens;
    inst->work_at = now_s > inst->work_at ? now_s : inst->work_at;
}

double rt_cache_aware_work_rate(const struct rt_instance *inst, double now_s)
{
    return work_now(inst, now_s) / RT_WORK_DECAY_S;
}

/* Prefill sent to the candidates lately over what they can do: their utilisation, at most
 * UTILISATION_MAX. */
static double utilisation(struct rt_instance *const *cands, size_t n, double default_rate,
                          double now_s)
{
    double work = 0, rate = 0;

    for (size_t i = 0; i < n; i++) {
        work += rt_cache_aware_work_rate(cands[i], now_s);
        rate += cands[i]->prefill_rate > 0 ? cands[i]->prefill_rate : default_rate;
    }
    double u = rate > 0 ? work / rate : 0;
    return u < UTILISATION_MAX ? u : UTILISATION_MAX;
}

static uint64_t score(const struct rt_instance *inst, uint64_t key)
{
    return hash64_u64(inst->name_hash, key);
}

/* Chains of the prompt's token ids, one per block size met among the candidates (engines of
 * one model nearly always share one), computed on first use. */
#define KV_SIZES 4

struct kv_match {
    const uint32_t *tokens;
    size_t ntokens;
    struct {
        unsigned bs;
        uint64_t *chain;
        size_t n;
    } sizes[KV_SIZES];
    size_t nsizes;
};

static void kv_match_init(struct kv_match *m, const uint32_t *tokens, size_t ntokens)
{
    m->tokens = tokens;
    m->ntokens = ntokens;
    m->nsizes = 0;
}

/* Tokens of the prompt instance view `k` holds (its block size in *bs), or -1 when it has no
 * view or no known block size. */
static double kv_match_held(struct kv_match *m, const struct rt_kv_inst *k, unsigned *bs)
{
    unsigned b = rt_kv_index_block_size(k);

    if (k == NULL || b == 0 || m->tokens == NULL)
        return -1;
    size_t i = 0;
    while (i < m->nsizes && m->sizes[i].bs != b)
        i++;
    if (i == m->nsizes) {
        if (m->nsizes == KV_SIZES)
            return -1;
        size_t max = m->ntokens / b + 1;
        m->sizes[i].bs = b;
        m->sizes[i].chain = xmalloc(max * sizeof(uint64_t));
        m->sizes[i].n = rt_kv_chain(m->tokens, m->ntokens, b, rt_kv_chain_seed(NULL, 0),
                                    m->sizes[i].chain, max);
        if (m->sizes[i].n > max)
            m->sizes[i].n = max;
        m->nsizes++;
    }
    *bs = b;
    return (double)rt_kv_index_match(k, m->sizes[i].chain, m->sizes[i].n) * b;
}

static void kv_match_free(struct kv_match *m)
{
    for (size_t i = 0; i < m->nsizes; i++)
        free(m->sizes[i].chain);
    m->nsizes = 0;
}

/* The longest prefix of `blocks` that a prompt this router sent to `inst` and still pending
 * shares (in the prefix chain's blocks). Few pending prompts per instance; each comparison
 * stops at the first block that differs. */
static size_t pending_depth(const struct rt_instance *inst, const uint64_t *blocks, size_t n)
{
    size_t best = 0;

    for (const struct rt_pending_chain *c = inst->pending_chains; c != NULL; c = c->next) {
        size_t k = 0, m = c->n < n ? c->n : n;
        while (k < m && c->blocks[k] == blocks[k])
            k++;
        best = k > best ? k : best;
    }
    return best;
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

/* True when every candidate's engine says (KV events) it holds none of the prompt while this
 * router's approximate index remembers sending some of it somewhere: the prefix was placed once
 * and has been evicted everywhere since. Its old home is worth no more than any other instance,
 * and any choice writes the whole prompt into one cache, so nothing is copied twice. */
static bool evicted_everywhere(const unsigned *exact_bs, const uint32_t *depth, size_t n)
{
    bool seen = false;

    for (size_t i = 0; i < n; i++) {
        if (exact_bs[i] == 0)
            return false;
        seen = seen || depth[i] > 0;
    }
    return seen;
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
    double held_stack[STACK_CANDS];
    double *held = n <= STACK_CANDS ? held_stack : xmalloc(n * sizeof(*held));
    unsigned bs_stack[STACK_CANDS];
    unsigned *exact_bs = n <= STACK_CANDS ? bs_stack : xmalloc(n * sizeof(*exact_bs));

    for (size_t i = 0; i < n; i++)
        ids[i] = cands[i]->prefix_member;
    rt_prefix_index_match(idx, r->blocks, r->nblocks, ids, n, depth);
    /* Tokens each candidate holds: exact from its KV events when the engine tokenized the
     * prompt and the candidate publishes them, else from the approximate index. */
    double bpt = p->bytes_per_token > 0 ? p->bytes_per_token : 4.0;
    double prompt = r->ntokens > 0 ? (double)r->ntokens : (double)r->text_bytes / bpt;
    struct kv_match km;
    kv_match_init(&km, r->tokens, r->ntokens);
    for (size_t i = 0; i < n; i++) {
        exact_bs[i] = 0;
        double h = -1;
        if (r->tokens != NULL && r->kv_find != NULL)
            h = kv_match_held(&km, r->kv_find(r->kv_ctx, cands[i]->name), &exact_bs[i]);
        if (h >= 0) {
            /* What its queue will have computed by the time this prompt's prefill starts,
             * which no event tells yet. */
            double queued = (double)pending_depth(cands[i], r->blocks, r->nblocks) *
                            (double)p->block_chars / bpt;
            h = queued > h ? queued : h;
        } else {
            h = (double)depth[i] * (double)p->block_chars / bpt;
            exact_bs[i] = 0;
        }
        held[i] = h < prompt ? h : prompt;
    }
    kv_match_free(&km);

    uint64_t tie_key = r->nblocks > 0 ? r->blocks[0] : r->head;
    size_t aff = p->affinity_blocks < r->nblocks ? p->affinity_blocks : r->nblocks;
    uint64_t owner_key = aff > 0 ? r->blocks[aff - 1] : r->head;
    size_t best = 0, owner = 0, second = n, session = n, sess_owner = 0;
    uint64_t best_tie = 0, owner_score = 0, second_score = 0, sess_score = 0;
    double max_held = 0;

    /* An instance not measured yet is assumed as fast as its measured peers (else the default):
     * assumed slower, it would never be chosen, so never measured. */
    struct rt_ca_params peer = *p;
    double rates = 0;
    size_t measured = 0;
    for (size_t i = 0; i < n; i++) {
        if (cands[i]->prefill_rate > 0) {
            rates += cands[i]->prefill_rate;
            measured++;
        }
    }
    if (measured > 0)
        peer.default_rate = rates / (double)measured;
    p = &peer;

    for (size_t i = 0; i < n; i++) {
        est[i] = rt_cache_aware_estimate(cands[i], p, prompt - held[i], r->now_s);
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
        if (held[i] > max_held)
            max_held = held[i];
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
    bool evicted = max_held <= 0 && evicted_everywhere(exact_bs, depth, n);
    if (max_held > 0) {
        /* Among the instances holding about the longest prefix (a block or an eighth of it short,
         * e.g. a tail evicted from one copy): for a prefix taking more than one instance's share
         * of the traffic (hot), the least busy copy, so its copies share its load; for any
         * other, the prompt's rendezvous owner among them, one stable home, so that a copy made
         * under load is left to age out once the load is gone. */
        double block = (double)p->block_chars / bpt;
        double near = max_held / 8 > block ? max_held / 8 : block;
        uint64_t pref_score = 0;
        /* Where the prompt holds only a short shared head (a system prompt whose conversation
         * was evicted), most of it is written afresh wherever it goes: the least busy holder
         * is then its new home, as for a hot prefix. */
        bool by_load = hot || max_held < prompt / 2;
        for (size_t i = 0; i < n; i++) {
            if (held[i] + near < max_held || held[i] <= 0)
                continue;
            uint64_t sc = score(cands[i], owner_key);
            if (pref == n || (by_load ? est[i] < est[pref] : sc > pref_score)) {
                pref = i;
                pref_score = sc;
            }
        }
    } else if (evicted) {
        pref = best;
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
        double whole = prompt / rate;
        double extra = 0;
        if (!hot && held[pref] > held[best]) {
            /* Moving adds the prefill the preferred instance would have skipped: work every
             * later request queues behind. Near idle it is free; as the instances fill up it
             * costs u / (1 - u) times itself (a queue's marginal delay). A hot prefix is exempt:
             * its second copy pays for itself. */
            double u = utilisation(cands, n, p->default_rate, r->now_s);
            extra = (held[pref] - held[best]) / rate * u / (1 - u);
        }
        if (est[pref] <= est[best] + p->cold_slack * whole + extra + TIE_S)
            choice = pref;
    }

    out->index = choice;
    out->exact = exact_bs[choice] != 0;
    out->depth = out->exact ? (uint32_t)(held[choice] / exact_bs[choice]) : depth[choice];
    out->total_blocks =
        out->exact ? (uint32_t)(r->ntokens / exact_bs[choice]) : (uint32_t)r->nblocks;
    out->held_tokens = held[choice];
    out->best_held_tokens = max_held;
    out->est_s = est[choice];
    out->uncached_tokens = prompt - held[choice];
    if (choice != pref)
        out->reason = "spill";
    else if (held[choice] > 0)
        out->reason = "prefix";
    else
        out->reason = evicted ? "evicted" : session < n ? "session" : "cold-owner";

    if (n > STACK_CANDS) {
        free(ids);
        free(depth);
        free(est);
        free(held);
        free(exact_bs);
    }
}
