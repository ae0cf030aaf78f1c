/* What one proxied request contributes to cache-aware routing and learns from the engine
 * (DESIGN.md section 4a), from routing to the end of its response:
 *  - before routing: the prompt's block chain (router/prefix_hash) and its session key;
 *  - once an instance is chosen: its chain is recorded in the prefix index, its estimated
 *    uncached tokens count as pending prefill on the instance, its session remembers it;
 *  - at the first response body byte (the first token of a stream): the pending prefill is
 *    released and the time to first token recorded;
 *  - as the body passes: usage.prompt_tokens and cached_tokens are read (router/usage_scan);
 *  - at the end: bytes per token are learned for the model, predicted and actual cached tokens
 *    are counted, a false hit cuts the instance's chain at the depth the engine really held,
 *    and a streamed request's prefill rate sample updates the instance's rate.
 * Every exit path releases what the request holds (rt_feedback_detach). Depends on
 * router/prefix_hash, router/prefix_index, router/cache_aware, router/session, router/usage_scan,
 * router/services, router/config. Loop thread only. */
#ifndef SVC_ROUTER_FEEDBACK_H
#define SVC_ROUTER_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache_aware.h"
#include "services.h"
#include "usage_scan.h"

struct http_request;
struct rt_extract;
struct rt_instance;
struct rt_pick;
struct rt_router;

#define RT_FEEDBACK_INLINE_BLOCKS 32
/* Longest prompt indexed, in blocks (2 MiB of text at the default block size). */
#define RT_FEEDBACK_MAX_BLOCKS 8192

struct rt_feedback {
    bool active;            /* the request takes part (cache-aware policy, a prompt, no key) */
    struct rt_ca_params ca; /* the router's, with the model's learned bytes per token */
    struct rt_ca_request car;
    uint64_t *blocks; /* inline_blocks or allocated */
    uint64_t inline_blocks[RT_FEEDBACK_INLINE_BLOCKS];
    /* the current attempt */
    struct rt_instance *inst; /* borrowed: the transfer holds the reference */
    bool indexed;             /* this attempt was placed by the index (fields below are set) */
    bool pending;             /* pending_tokens counted on inst */
    double pending_tokens;
    double pending_before;         /* the instance's pending prefill when this was sent */
    struct rt_pending_chain chain; /* in the instance's list while pending */
    double rate_at_send;           /* the prefill rate the estimate used */
    uint32_t depth;                /* blocks the approximate index said inst held (0 when exact) */
    bool exact;                    /* placed on inst's KV events (precise mode) */
    uint32_t kv_clock;             /* exact: inst's KV event clock at the decision */
    double predicted_tokens;       /* prompt tokens we believed inst held */
    /* Precise mode: the prompt's token ids from the engine (owned), NULL when not asked. */
    uint32_t *tokens;
    size_t ntokens;
    uint64_t send_ns, first_ns;
    struct rt_usage_scan usage;
};

/* Prepares `fb` for a request (`ex` is its extraction). Inactive unless the router runs the
 * cache-aware policy with an index, the body holds a prompt and no prompt_cache_key. */
void rt_feedback_init(struct rt_feedback *fb, struct rt_router *rt, const struct http_request *req,
                      const struct rt_extract *ex);
/* The request was sent to `inst` as `pick` decided (any policy; ignored when inactive or the
 * pick was not a cache-aware one). */
void rt_feedback_sent(struct rt_feedback *fb, struct rt_router *rt, struct rt_instance *inst,
                      const struct rt_pick *pick, bool streamed);
/* First body byte of the response (call for every request: it records the TTFT histogram). */
void rt_feedback_first_byte(struct rt_feedback *fb, struct rt_instance *inst, uint64_t start_ns);
/* Response body bytes as they pass. */
void rt_feedback_body(struct rt_feedback *fb, const char *data, size_t len);
/* The response ended completely with `status`: learn from it. */
void rt_feedback_done(struct rt_feedback *fb, struct rt_router *rt, int status, bool streamed,
                      const char *model, size_t model_len);
/* The attempt ends without a learnable response (failure, abort, retry): releases the pending
 * prefill. Safe to call more than once. */
void rt_feedback_detach(struct rt_feedback *fb);
/* The engine's token ids for the prompt (borrowed; copied): the next decision is judged on the
 * instances' KV events where they publish them. Ignored when inactive. */
void rt_feedback_set_tokens(struct rt_feedback *fb, struct rt_router *rt, const uint32_t *ids,
                            size_t n);
/* Releases memory. */
void rt_feedback_free(struct rt_feedback *fb);

#endif
