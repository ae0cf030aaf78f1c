/* The cache-aware choice for a request without prompt_cache_key (DESIGN.md section 4a): among
 * the eligible candidates (already under the load bound), the instance with the lowest estimated
 * time to first token,
 *     est = (pending prefill + this request's uncached tokens there) / prefill rate + queue term,
 * where the uncached tokens come from the longest prefix of the prompt the prefix index (or the
 * engine's KV events) says the instance holds. Ties break by rendezvous hash of the prompt's first
 * block. A preferred instance keeps the request unless its estimate is clearly worse than the
 * lowest: by more than --cold-owner-slack times the prefill the best would do, plus, when moving
 * means prefilling what the preferred instance holds, that added work weighted by how busy the
 * instances have been lately (u / (1 - u), u their recent utilisation, at most 4): work added
 * near saturation delays every request after it. The preferred instance: the one holding the
 * longest prefix (among several holding about as much, the prompt's rendezvous owner, one stable
 * home, or the least busy when the prefix is hot or only a short head of the prompt); for a
 * prompt no candidate holds ("cold"), the session's instance when the request belongs to a
 * session (where it last went, else the rendezvous owner of the session key), else the
 * rendezvous owner of the prompt's first --prefix-affinity-blocks blocks, so that router
 * replicas place a new prefix alike and later turns extend the chain there; but for a prompt the
 * KV events say was evicted everywhere since this router placed it, simply the best. A hot
 * prefix spreads because its holder's queue makes it lose once the queue costs clearly more than
 * the prefill another instance would redo, and comes back to one holder when the queue drains; a
 * near tie never copies a prefix to a second instance's cache.
 * Pure but for rt_cache_aware_note_work; depends on router/services, router/prefix_index,
 * router/kv_index, common/hash. */
#ifndef SVC_ROUTER_CACHE_AWARE_H
#define SVC_ROUTER_CACHE_AWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_instance;
struct rt_kv_inst;
struct rt_prefix_index;

/* The KV event view of instance `name` in `ctx` (router/kv_events' rt_kv_events_find), NULL
 * when the instance publishes no events. */
typedef const struct rt_kv_inst *(*rt_ca_kv_find)(const void *ctx, const char *name);

struct rt_ca_params {
    size_t block_chars;     /* bytes of canonical text per index block */
    size_t affinity_blocks; /* blocks that place a cold prompt */
    double default_rate;    /* prefill tokens/s of an instance not measured yet */
    double bytes_per_token; /* learned for the request's model */
    double cold_slack;      /* the preferred instance (holder, session, cold owner) may cost
                               this fraction of the best's prefill more and still take it */
};

/* The request as the index sees it. */
struct rt_ca_request {
    const uint64_t *blocks; /* chain hashes of the prompt's full blocks (borrowed) */
    size_t nblocks;
    size_t text_bytes; /* canonical prompt bytes */
    uint64_t head;     /* names a prompt shorter than one block */
    bool has_session;
    uint64_t session_key;      /* the session, when has_session */
    uint64_t session_instance; /* name hash of the instance it last went to, 0 = none */
    double now_s;              /* wall clock, for engine-load freshness */
    double share; /* this prefix's share of its model's recent requests (router/demand) */
    /* Precise mode (DESIGN.md section 4b): the prompt's token ids from the engine's /tokenize
     * (NULL = not asked or failed) and the KV event views to match them against. Candidates
     * that publish events are then judged on the tokens their engine holds; the others on the
     * approximate index. Borrowed. */
    const uint32_t *tokens;
    size_t ntokens;
    rt_ca_kv_find kv_find; /* NULL = no views */
    const void *kv_ctx;
};

struct rt_ca_choice {
    size_t index;            /* into the candidate array */
    bool exact;              /* judged on its engine's KV events, not on the approximate index */
    uint32_t depth;          /* prompt blocks the chosen instance holds (its engine's blocks when
                                exact, the index's otherwise) */
    uint32_t total_blocks;   /* full blocks in the prompt, in the same unit */
    double held_tokens;      /* prompt tokens the chosen instance holds */
    double best_held_tokens; /* the most any candidate holds */
    double est_s;            /* its estimate */
    double uncached_tokens;  /* prefill it is expected to do */
    const char *reason;      /* "prefix", "cold-owner", "session", "evicted" (cold, and the KV
                                events say every engine evicted what this router placed), or
                                "spill" when the estimate overrode the preferred instance
                                (static) */
};

/* Chooses among the `n` (>= 1) candidates (borrowed). Never fails. */
void rt_cache_aware_choose(struct rt_prefix_index *idx, const struct rt_ca_params *p,
                           const struct rt_ca_request *r, struct rt_instance *const *cands,
                           size_t n, struct rt_ca_choice *out);

/* The estimate for one instance, in seconds, given the tokens it would have to prefill. */
double rt_cache_aware_estimate(const struct rt_instance *inst, const struct rt_ca_params *p,
                               double uncached_tokens, double now_s);

/* Seconds over which the work an instance was sent fades by a factor e (its recent load). */
#define RT_WORK_DECAY_S 5.0

/* Records `tokens` of prefill sent to `inst` at `now_s` (wall clock). */
void rt_cache_aware_note_work(struct rt_instance *inst, double tokens, double now_s);
/* The prefill sent to `inst` lately, in tokens/s as of `now_s`: what it was sent over the last
 * RT_WORK_DECAY_S or so. Over its prefill rate, how busy it has been kept. */
double rt_cache_aware_work_rate(const struct rt_instance *inst, double now_s);

/* The tokens a prompt of `text_bytes` leaves to prefill on an instance holding `depth` blocks. */
double rt_cache_aware_uncached(const struct rt_ca_params *p, size_t text_bytes, uint32_t depth);

#endif
