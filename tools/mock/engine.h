/* The mock engine: a deterministic scheduler and timing model standing in for a GPU serving
 * engine, with a prefix KV cache (tools/mock/kvcache).
 *
 * Timing model:
 *  1. A job first waits `stall_ms` (a fault switch; a failing job ends there), then enters a
 *     FIFO queue; at most `max_batch` jobs are admitted (running) at once.
 *  2. Prefill is serialised: an admitted job waits for the single prefill unit, then looks up
 *     its chained block hashes in the cache (cached = leading hits * block_size, capped at the
 *     prompt) and holds the unit for (prompt - cached) / prefill_tok_per_s seconds.
 *  3. At the end of prefill its full blocks are inserted into the LRU cache and token 1 is
 *     emitted (TTFT = queue wait + prefill wait + prefill time); tokens 2..max_tokens follow
 *     every decode_ms_per_token, concurrently with other jobs; the last one frees the slot.
 * With hold_running (paged cache only), the cache is vLLM's block pool: from its prefill start
 * until it ends or is cancelled, a job pins its cached hits and holds anonymous blocks for the
 * rest of its prompt (ceil(prompt / block_size) blocks in all), which become its cached, still
 * pinned blocks at the end of prefill; while decoding it takes one more anonymous block each
 * time its sequence (prompt + tokens emitted) outgrows the blocks held. Taking blocks evicts
 * least recently used unpinned ones; when every block is pinned or held the job over-commits
 * (never waits: admission stays max_batch and the prefill unit) and the excess is counted. At
 * the end, as vLLM caches every full block of a sequence, generated tokens included, the blocks
 * the sequence filled beyond its prompt become cached blocks too (their hashes continue the
 * prompt's chain from its partial last block and the output's position, so the same prompt on
 * the same engine makes the same blocks; the synthetic token ids match no prompt); then all its
 * blocks go back to the LRU order, the prompt's head most recent and the output's tail least
 * (tools/mock/kvcache).
 * With cache_type MOCK_CACHE_STATIC, steps 2 and 3 use the job's batch slot instead of the
 * shared LRU cache: the lookup takes the free slot holding the longest prefix of the prompt
 * (tools/mock/slotcache), and the end of prefill makes the prompt that slot's resident sequence.
 * Time is virtual (milliseconds on the monotonic clock; each event happens at its scheduled
 * time even when its timer fires late) and driven by one libuv timer for the whole engine, so
 * jobs own no handles and can be freed synchronously. When nothing has to wait (free slot and
 * prefill unit, negligible prefill cost, no decode delay) a job completes inside
 * mock_engine_submit without touching the timer.
 * Depends on libuv, common/xalloc and tools/mock/{kvcache,slotcache}. Single-threaded (the loop
 * thread). */
#ifndef SVC_TOOLS_MOCK_ENGINE_H
#define SVC_TOOLS_MOCK_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct mock_engine;
struct mock_job;

/* Block hashes a job keeps without an allocation (short prompts). */
#define MOCK_JOB_INLINE_HASHES 4

enum mock_cache_type {
    MOCK_CACHE_PAGED,  /* one LRU pool of kv_blocks blocks shared by all (tools/mock/kvcache) */
    MOCK_CACHE_STATIC, /* max_batch slots of max_cache_len tokens (tools/mock/slotcache) */
};

struct mock_engine_params {
    int block_size;                  /* tokens per KV block, >= 1 */
    int chars_per_token;             /* prompt bytes per token, >= 1 */
    size_t kv_blocks;                /* paged: capacity in blocks, 1..MOCK_KVCACHE_MAX_BLOCKS */
    enum mock_cache_type cache_type; /* paged (the default, 0) or static */
    size_t max_cache_len;            /* static: tokens per slot (prompt + output), >= block_size */
    double prefill_tok_per_s;        /* uncached prompt tokens per second, > 0 */
    double decode_ms_per_token;      /* >= 0 */
    int max_batch;                   /* jobs admitted at once, >= 1 (static: the slots) */
    bool hold_running;               /* paged: running jobs hold blocks (see above) */
};

enum mock_job_state {
    MOCK_JOB_NEW = 0,      /* not submitted */
    MOCK_JOB_STALLED,      /* waiting out stall_ms */
    MOCK_JOB_QUEUED,       /* waiting for a batch slot */
    MOCK_JOB_PREFILL_WAIT, /* admitted; waiting for the prefill unit */
    MOCK_JOB_PREFILL,      /* holding the prefill unit */
    MOCK_JOB_DECODE,       /* emitting tokens */
    MOCK_JOB_DONE,         /* finished, failed or cancelled */
};

/* Reports progress: more tokens (job->emitted grew; only for want_tokens jobs before the end)
 * or the end (job->state == MOCK_JOB_DONE). Called from the engine's timer only, never from
 * inside mock_engine_submit/_cancel. The job may be cancelled or freed inside the callback. */
typedef void (*mock_engine_progress_cb)(struct mock_job *job, void *ud);

/* One request. Callers allocate it (zeroed), fill the first group and keep it alive until it is
 * DONE or cancelled. */
struct mock_job {
    /* Set by the caller before mock_engine_submit(). */
    int max_tokens;    /* >= 1 */
    bool want_tokens;  /* report every token (streaming), not only the end */
    bool fail;         /* end as failed once the stall is over, generating nothing */
    uint64_t stall_ms; /* delay before the job reaches the queue */
    uint64_t seed;     /* hash chain seed (e.g. per model, so models share no blocks) */
    mock_engine_progress_cb cb;
    void *ud;

    /* Read-only for the caller. */
    enum mock_job_state state;
    bool failed;
    int prompt_tokens;
    int cached_tokens;                         /* known from prefill start */
    int emitted;                               /* tokens generated so far */
    double submit_ms, first_token_ms, done_ms; /* virtual times (engine clock, ms) */

    /* Engine-private. */
    uint64_t seq;
    int slot; /* static cache: the slot held from prefill on; -1 = none */
    size_t heap_index;
    double deadline, first_at;
    struct mock_job *prev, *next; /* wait or prefill FIFO */
    struct mock_job *nprev, *nnext;
    bool notify_pending;
    uint64_t *hashes;   /* kept until the end when holding blocks (unpinned by hash); the
                           output's full blocks are appended at the end */
    uint64_t tail_hash; /* hold_running: the prompt's partial last block, chained */
    size_t nhashes;
    size_t npinned, nheld; /* hold_running: hashes[0..npinned) pinned; anonymous blocks */
    uint64_t inline_hashes[MOCK_JOB_INLINE_HASHES];
    uint32_t *tokens; /* ids of the full blocks' tokens, only with a KV observer */
};

struct mock_engine_stats {
    uint64_t running; /* admitted: waiting for or in prefill, or decoding */
    uint64_t waiting; /* queued for a batch slot */
    uint64_t active;  /* submitted and not yet done (includes stalled jobs) */
    size_t kv_used;   /* blocks in use: cached ones, or with hold_running (as vLLM's
                         usage) those running jobs hold, pinned or anonymous */
    size_t kv_capacity;
    size_t kv_cached;          /* cached blocks (pinned or not) */
    uint64_t kv_overcommitted; /* blocks taken beyond the capacity (hold_running) so far */
    uint64_t queries_tokens, hits_tokens; /* prefix cache lookups, in tokens */
    uint64_t evictions;
};

/* Creates an engine whose timer lives on `loop`. `p` is copied and must be valid (see the
 * field comments). Never NULL. */
struct mock_engine *mock_engine_new(uv_loop_t *loop, const struct mock_engine_params *p);
/* Closes the timer; the memory is released by the close callback, so jobs may still be
 * cancelled until the loop runs again (abort callbacks during server teardown). Jobs still
 * active are forgotten without callbacks. NULL-safe. */
void mock_engine_free(struct mock_engine *e);

/* Submits `job` with its prompt (`text`, `len` bytes, borrowed for this call only). Returns 1
 * when the job finished inside this call (DONE; no callback will follow), 0 when it goes on
 * (callbacks follow; job->emitted may already be > 0 and the caller should look at it now).
 * Tokens: ceil(len / chars_per_token). */
int mock_engine_submit(struct mock_engine *e, struct mock_job *job, const char *text, size_t len);
/* Whether a sequence of `prompt_tokens` + `max_tokens` fits the cache: always with the paged
 * cache (it keeps what fits), with the static cache when it fits one slot (max_cache_len). */
bool mock_engine_fits(const struct mock_engine *e, int prompt_tokens, int max_tokens);
/* Withdraws a job in any state at once, releasing its batch slot, prefill unit and queue
 * position, and drops any pending callback. No-op for jobs that are NEW or already cancelled.
 * Safe inside callbacks (including the job's own). */
void mock_engine_cancel(struct mock_engine *e, struct mock_job *job);

/* Shutdown: stops admitting callers' work (mock_engine_is_stopping turns true); once no job is
 * active, stops the timer and calls `idle(ud)` (from the timer, or inside this call when
 * already idle). */
void mock_engine_stop(struct mock_engine *e, void (*idle)(void *ud), void *ud);
bool mock_engine_is_stopping(const struct mock_engine *e);

void mock_engine_get_stats(const struct mock_engine *e, struct mock_engine_stats *out);

/* What the paged prefix cache stores and evicts, for KV cache events. At the end of each
 * prefill: `removed` for each block evicted, then `stored` for each block newly inserted, in
 * chain order (`parent` = the previous block's hash, NULL for the first block of a prompt;
 * `tokens` = its block_size token ids, borrowed for the call), then `flush` once. With
 * hold_running, evictions happen when blocks are taken instead (prefill start, decode): each
 * time `removed` for each, then `flush`; the end of prefill then only stores, and so does the
 * end of a request that filled blocks with generated tokens (`tokens` are synthetic ids).
 * mock_engine_reset_cache reports `cleared` then `flush`, or, when running jobs hold cached
 * blocks (which stay), `removed` for each block dropped then `flush`. The static cache reports
 * nothing. */
struct mock_engine_kv_observer {
    void (*removed)(void *ud, uint64_t hash);
    void (*stored)(void *ud, const uint64_t *parent, uint64_t hash, const uint32_t *tokens,
                   size_t ntokens);
    void (*cleared)(void *ud);
    void (*flush)(void *ud);
    void *ud;
};
/* Sets (copies) or, with NULL, removes the observer. Jobs submitted from then on keep their
 * token ids (tools/mock/tokenize) until their prefill ends. */
void mock_engine_set_kv_observer(struct mock_engine *e, const struct mock_engine_kv_observer *o);
/* Empties the prefix cache (vLLM's POST /reset_prefix_cache), but for the blocks running jobs
 * hold (hold_running). */
void mock_engine_reset_cache(struct mock_engine *e);
const struct mock_engine_params *mock_engine_params(const struct mock_engine *e);
/* The engine clock: milliseconds on the monotonic clock (uv_hrtime). */
double mock_engine_now_ms(void);

#endif
