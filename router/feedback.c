/* Per-request cache-aware bookkeeping and learning. Depends on router/prefix_hash,
 * router/prefix_index, router/session, router/usage_scan, router/services, router/config,
 * router/kv_events, router/kv_index, common/hash. */
#include "feedback.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "balancer.h"
#include "config.h"
#include "demand.h"
#include "hash.h"
#include "kv_events.h"
#include "kv_index.h"
#include "http_request.h"
#include "model_extract.h"
#include "prefix_hash.h"
#include "prefix_index.h"
#include "router.h"
#include "services.h"
#include "session.h"
#include "wallclock.h"
#include "xalloc.h"

#define DEFAULT_BYTES_PER_TOKEN 4.0
#define SESSION_SEED            UINT64_C(0x73657373696f6e)
/* Moving-average weights: new samples count this much. */
#define RATE_DOWN 0.02
/* A false hit in precise mode: cached tokens short of the prediction by more than this. */
#define PRECISE_BLOCK_TOKENS 16.0
#define BPT_ALPHA            0.1
/* Prefill samples below this many tokens measure latency, not throughput: skipped. */
#define RATE_MIN_TOKENS 256.0
#define RATE_MIN_S      0.001

static uint64_t session_key(const struct rt_router *rt, const struct http_request *req,
                            const struct rt_extract *ex, bool *has)
{
    const struct rt_config *cfg = rt->cfg;

    *has = true;
    if (strcmp(cfg->session_from, "client-ip") == 0 && req->peer_ip != NULL)
        return hash64_str(req->peer_ip) ^ SESSION_SEED;
    struct slice h = http_request_header(req, cfg->session_header);
    if (h.ptr != NULL && h.len > 0)
        return hash64(h.ptr, h.len, SESSION_SEED);
    if (ex->has_user)
        return hash64(ex->user, ex->user_len, SESSION_SEED);
    *has = false;
    return 0;
}

void rt_feedback_init(struct rt_feedback *fb, struct rt_router *rt, const struct http_request *req,
                      const struct rt_extract *ex)
{
    const struct rt_config *cfg = rt->cfg;

    fb->active = false;
    fb->indexed = false;
    fb->tokens = NULL;
    fb->ntokens = 0;
    fb->blocks = fb->inline_blocks;
    fb->inst = NULL;
    fb->pending = false;
    fb->first_ns = 0;
    rt_usage_scan_init(&fb->usage);
    if (cfg->policy != RT_POLICY_CACHE_AWARE || rt->prefix == NULL || ex->has_key || !ex->json_ok ||
        (ex->n_spans == 0 && ex->content_bytes == 0))
        return;
    const struct rt_model_view *v = rt_services_view(rt->services, ex->has_model ? ex->model : "");
    fb->ca = (struct rt_ca_params){
        .block_chars = (size_t)cfg->prefix_block_chars,
        .affinity_blocks = (size_t)cfg->prefix_affinity_blocks,
        .default_rate = cfg->prefill_rate_default,
        .bytes_per_token =
            v != NULL && v->bytes_per_token > 0 ? v->bytes_per_token : DEFAULT_BYTES_PER_TOKEN,
        .cold_slack = cfg->cold_owner_slack,
    };
    /* Blocks beyond the inline room: one allocation sized from the text length bound. */
    size_t want = ex->content_bytes / fb->ca.block_chars + ex->n_spans + 2;
    if (want > RT_FEEDBACK_MAX_BLOCKS)
        want = RT_FEEDBACK_MAX_BLOCKS;
    if (want > RT_FEEDBACK_INLINE_BLOCKS)
        fb->blocks = xmalloc(want * sizeof(*fb->blocks));
    else
        want = RT_FEEDBACK_INLINE_BLOCKS;
    struct rt_prefix_text info;
    const char *body = req->body.ptr;
    size_t n = rt_prefix_hash(body, ex, fb->ca.block_chars,
                              rt_prefix_seed(ex->has_model ? ex->model : NULL, ex->model_len),
                              fb->blocks, want, &info);
    fb->car = (struct rt_ca_request){
        .blocks = fb->blocks,
        .nblocks = n,
        .text_bytes = info.text_bytes,
        .head = info.head,
        .now_s = wallclock_now(),
    };
    size_t aff = fb->ca.affinity_blocks < n ? fb->ca.affinity_blocks : n;
    uint64_t seed = rt_prefix_seed(ex->has_model ? ex->model : NULL, ex->model_len);
    fb->car.share =
        rt_demand_note(rt->demand, aff > 0 ? fb->blocks[aff - 1] : info.head, seed, fb->car.now_s);
    fb->car.session_key = session_key(rt, req, ex, &fb->car.has_session);
    if (fb->car.has_session && rt->sessions != NULL)
        rt_sessions_get(rt->sessions, fb->car.session_key, fb->car.now_s,
                        &fb->car.session_instance);
    fb->active = true;
}

/* The engine's KV size, converted to index blocks with what we know of bytes per token. */
static void update_capacity(struct rt_feedback *fb, struct rt_router *rt, struct rt_instance *inst)
{
    double tokens = inst->engine.kv_capacity_tokens;

    if (tokens <= 0 || inst->prefix_member < 0)
        return;
    size_t want = (size_t)(tokens * fb->ca.bytes_per_token / (double)fb->ca.block_chars);
    size_t have = rt_prefix_index_capacity(rt->prefix, inst->prefix_member);
    if (want == 0)
        want = 1;
    /* Bytes per token keeps moving a little: follow only changes above 2%. */
    if (have == 0 || want * 50 < have * 49 || want * 50 > have * 51)
        rt_prefix_index_set_capacity(rt->prefix, inst->prefix_member, want);
}

void rt_feedback_sent(struct rt_feedback *fb, struct rt_router *rt, struct rt_instance *inst,
                      const struct rt_pick *pick, bool streamed)
{
    (void)streamed;
    rt_feedback_detach(fb);
    fb->inst = inst;
    fb->send_ns = uv_hrtime();
    fb->first_ns = 0;
    fb->indexed = false;
    rt_usage_scan_init(&fb->usage);
    if (!fb->active || !pick->cache_aware)
        return;
    fb->indexed = true;
    update_capacity(fb, rt, inst);
    rt_prefix_index_insert(rt->prefix, inst->prefix_member, fb->car.blocks, fb->car.nblocks);
    fb->depth = pick->depth;
    fb->exact = pick->exact;
    fb->kv_clock =
        pick->exact ? rt_kv_index_clock(rt_kv_events_find(rt->kv_events, inst->name)) : 0;
    fb->predicted_tokens = pick->held_tokens;
    fb->pending_tokens = pick->uncached_tokens;
    fb->pending_before = inst->pending_prefill;
    fb->rate_at_send = inst->prefill_rate > 0 ? inst->prefill_rate : fb->ca.default_rate;
    inst->pending_prefill += fb->pending_tokens;
    rt_cache_aware_note_work(inst, fb->pending_tokens, fb->car.now_s);
    inst->pending_requests++;
    fb->chain =
        (struct rt_pending_chain){fb->car.blocks, fb->car.nblocks, NULL, inst->pending_chains};
    if (inst->pending_chains != NULL)
        inst->pending_chains->prev = &fb->chain;
    inst->pending_chains = &fb->chain;
    fb->pending = true;
    inst->mean_uncached = inst->mean_uncached > 0
                              ? 0.9 * inst->mean_uncached + 0.1 * fb->pending_tokens
                              : fb->pending_tokens;
    if (fb->car.has_session && rt->sessions != NULL)
        rt_sessions_put(rt->sessions, fb->car.session_key, inst->name_hash, fb->car.now_s,
                        fb->car.now_s + rt->cfg->session_ttl);
}

void rt_feedback_detach(struct rt_feedback *fb)
{
    if (fb->pending && fb->inst != NULL) {
        struct rt_instance *inst = fb->inst;
        inst->pending_requests--;
        if (fb->chain.prev != NULL)
            fb->chain.prev->next = fb->chain.next;
        else
            inst->pending_chains = fb->chain.next;
        if (fb->chain.next != NULL)
            fb->chain.next->prev = fb->chain.prev;
        fb->chain.prev = fb->chain.next = NULL;
        /* The last one out resets the sum, so rounding never accumulates. */
        inst->pending_prefill =
            inst->pending_requests == 0 ? 0 : fmax(0, inst->pending_prefill - fb->pending_tokens);
    }
    fb->pending = false;
}

void rt_feedback_first_byte(struct rt_feedback *fb, struct rt_instance *inst, uint64_t start_ns)
{
    if (fb->first_ns != 0)
        return;
    fb->first_ns = uv_hrtime();
    if (inst != NULL)
        prom_histogram_observe(&inst->ttft, (double)(fb->first_ns - start_ns) / 1e9);
    rt_feedback_detach(fb);
}

void rt_feedback_body(struct rt_feedback *fb, const char *data, size_t len)
{
    rt_usage_scan_feed(&fb->usage, data, len);
}

static void learn_bytes_per_token(struct rt_feedback *fb, struct rt_router *rt, const char *model)
{
    struct rt_model_view *v = rt_services_view(rt->services, model);
    const struct rt_usage_scan *u = &fb->usage;

    if (v == NULL || !u->has_prompt || u->prompt_tokens < 16 || fb->car.text_bytes < 64)
        return;
    double sample = (double)fb->car.text_bytes / (double)u->prompt_tokens;
    if (sample < 0.5 || sample > 32)
        return; /* a template or a tokenizer we cannot follow: keep what we have */
    v->bytes_per_token =
        v->bpt_samples == 0 ? sample : (1 - BPT_ALPHA) * v->bytes_per_token + BPT_ALPHA * sample;
    v->bpt_samples++;
}

/* A false hit of a decision made on KV events (`cached` tokens were really there): stale when
 * the first block the engine lacked has been in the index without a break since the decision,
 * so no event ever reported its eviction. Otherwise the eviction happened after the decision
 * (the request queued behind other prefills) or its event was still on the way, and the index
 * saw the block go (and maybe come back with this very prefill). */
static bool stale(const struct rt_feedback *fb, struct rt_router *rt, uint64_t cached)
{
    const struct rt_kv_inst *k = rt_kv_events_find(rt->kv_events, fb->inst->name);
    unsigned bs = rt_kv_index_block_size(k);

    if (bs == 0 || fb->tokens == NULL)
        return false;
    size_t d = (size_t)cached / bs;
    if (d >= fb->ntokens / bs)
        return false;
    uint64_t *chain = xmalloc((d + 1) * sizeof(*chain));
    rt_kv_chain(fb->tokens, (d + 1) * bs, bs, rt_kv_chain_seed(NULL, 0), chain, d + 1);
    bool held = rt_kv_index_held_since(k, chain[d], fb->kv_clock);
    free(chain);
    return held;
}

/* Predicted vs actual cached tokens; a false hit cuts the chain where the engine's ended. */
static void check_prediction(struct rt_feedback *fb, struct rt_router *rt)
{
    struct rt_instance *inst = fb->inst;
    const struct rt_usage_scan *u = &fb->usage;
    double bpt = fb->ca.bytes_per_token, bc = (double)fb->ca.block_chars;

    if (!u->has_cached)
        return;
    double predicted = fb->predicted_tokens;
    if (u->has_prompt && predicted > (double)u->prompt_tokens)
        predicted = (double)u->prompt_tokens;
    inst->predicted_cached += (uint64_t)predicted;
    inst->actual_cached += u->cached_tokens;
    /* Short of the prediction by more than a block (an engine block when the prediction came
     * from its KV events): the instance did not hold what we believed (evicted by traffic we
     * did not see, reset, restarted). */
    double block = fb->exact ? PRECISE_BLOCK_TOKENS : bc / bpt;
    if ((double)u->cached_tokens + block < predicted) {
        inst->false_hits++;
        if (fb->exact && stale(fb, rt, u->cached_tokens))
            inst->stale_false_hits++;
    }
    size_t held = (size_t)((double)u->cached_tokens * bpt / bc);
    if (!fb->exact && held + 1 < fb->depth) {
        rt_prefix_index_truncate(rt->prefix, inst->prefix_member, fb->car.blocks, held,
                                 fb->depth < fb->car.nblocks ? fb->depth : fb->car.nblocks);
    }
}

static void learn_rate(struct rt_feedback *fb)
{
    struct rt_instance *inst = fb->inst;
    const struct rt_usage_scan *u = &fb->usage;

    if (fb->first_ns <= fb->send_ns)
        return;
    double own = fb->pending_tokens;
    if (u->has_prompt && u->has_cached && u->prompt_tokens >= u->cached_tokens)
        own = (double)(u->prompt_tokens - u->cached_tokens);
    double tokens = fb->pending_before + own;
    double seconds = (double)(fb->first_ns - fb->send_ns) / 1e9;
    if (tokens < RATE_MIN_TOKENS || seconds < RATE_MIN_S)
        return;
    /* What the estimate did not foresee (a wait for a batch slot, other routers' traffic): a
     * per-instance wait that decays while the instance is not measured (cache_aware). */
    double predicted = tokens / fb->rate_at_send;
    double wait = seconds > predicted ? seconds - predicted : 0;
    inst->extra_wait_s = inst->rate_samples == 0 ? wait : 0.7 * inst->extra_wait_s + 0.3 * wait;
    inst->extra_wait_at = wallclock_now();
    /* Rate samples only from requests whose own prefill is most of what preceded their first
     * token: the others' pending tokens are estimates, and a wrong one skews the sample. Waits
     * only ever make a sample slower than the prefill itself, so the rate follows the upper
     * envelope of the samples: up quickly (a quarter at a time at most), down slowly. */
    if (fb->pending_before > own) {
        inst->rate_samples += inst->rate_samples == 0 ? 0 : 1;
        return;
    }
    double sample = tokens / seconds;
    if (inst->prefill_rate <= 0)
        inst->prefill_rate = sample;
    else if (sample > inst->prefill_rate)
        inst->prefill_rate =
            fmin(0.5 * inst->prefill_rate + 0.5 * sample, 1.25 * inst->prefill_rate);
    else
        inst->prefill_rate = (1 - RATE_DOWN) * inst->prefill_rate + RATE_DOWN * sample;
    inst->rate_samples++;
}

void rt_feedback_done(struct rt_feedback *fb, struct rt_router *rt, int status, bool streamed,
                      const char *model, size_t model_len)
{
    (void)model_len;
    rt_usage_scan_finish(&fb->usage);
    rt_feedback_detach(fb);
    if (!fb->indexed || fb->inst == NULL || status < 200 || status >= 300)
        return;
    learn_bytes_per_token(fb, rt, model);
    if (fb->inst->prefix_member >= 0)
        check_prediction(fb, rt);
    if (streamed)
        learn_rate(fb);
}

/* rt_ca_kv_find over the router's subscriptions. */
static const struct rt_kv_inst *kv_view(const void *ctx, const char *name)
{
    return rt_kv_events_find(ctx, name);
}

void rt_feedback_set_tokens(struct rt_feedback *fb, struct rt_router *rt, const uint32_t *ids,
                            size_t n)
{
    free(fb->tokens);
    fb->tokens = NULL;
    fb->ntokens = 0;
    if (!fb->active || ids == NULL || n == 0)
        return;
    fb->tokens = xmalloc(n * sizeof(*ids));
    memcpy(fb->tokens, ids, n * sizeof(*ids));
    fb->ntokens = n;
    fb->car.tokens = fb->tokens;
    fb->car.ntokens = n;
    fb->car.kv_find = kv_view;
    fb->car.kv_ctx = rt->kv_events;
}

void rt_feedback_free(struct rt_feedback *fb)
{
    rt_feedback_detach(fb);
    free(fb->tokens);
    fb->tokens = NULL;
    if (fb->blocks != fb->inline_blocks)
        free(fb->blocks);
    fb->blocks = fb->inline_blocks;
}
