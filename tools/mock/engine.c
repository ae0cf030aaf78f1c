/* The mock engine's scheduler: stall, FIFO admission into a bounded batch, a serialised prefill
 * unit in front of the prefix cache, and per-token decode, all on virtual time driven by one
 * timer (see engine.h for the model). Transitions happen wherever they become due (submit,
 * cancel, the timer) but callbacks run only from the timer, through a notification list, so
 * that no caller is re-entered. Depends on libuv, common/xalloc and tools/mock/kvcache. */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "kvcache.h"
#include "prompt.h"
#include "slotcache.h"
#include "tokenize.h"
#include "xalloc.h"

/* Below this a delay is no delay: the job moves on synchronously. */
#define EPS_MS      0.001
#define NOT_IN_HEAP SIZE_MAX

struct fifo {
    struct mock_job *head, *tail;
    uint64_t len;
};

struct mock_engine {
    uv_loop_t *loop;
    uv_timer_t timer;
    struct mock_engine_params p;
    struct mock_kvcache *cache;
    struct mock_slotcache *slots; /* the static cache instead of `cache`, else NULL */
    size_t block_chars;
    struct mock_job **heap; /* min-heap on (deadline, seq) */
    size_t nheap, heap_cap;
    struct fifo waiting, prefill_queue;
    struct mock_job *prefilling;
    struct mock_job *notify_head, *notify_tail;
    struct mock_engine_kv_observer kvobs;
    size_t *kv_new; /* indexes of the blocks the current prefill newly stored */
    size_t nkv_new, kv_new_cap;
    uint64_t running, active, next_seq;
    uint64_t queries, hits;
    double armed_at; /* deadline the timer is armed for; -1 = stopped */
    bool stopping, closing, in_pump, scheduling;
    void (*idle_cb)(void *ud);
    void *idle_ud;
};

double mock_engine_now_ms(void)
{
    return (double)uv_hrtime() / 1e6;
}

/* ---------------------------------------------------------------- heap */

static bool before(const struct mock_job *a, const struct mock_job *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct mock_engine *e, size_t i, struct mock_job *j)
{
    e->heap[i] = j;
    j->heap_index = i;
}

static void sift_up(struct mock_engine *e, size_t i)
{
    struct mock_job *j = e->heap[i];

    while (i > 0 && before(j, e->heap[(i - 1) / 2])) {
        heap_set(e, i, e->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(e, i, j);
}

static void sift_down(struct mock_engine *e, size_t i)
{
    struct mock_job *j = e->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= e->nheap)
            break;
        if (c + 1 < e->nheap && before(e->heap[c + 1], e->heap[c]))
            c++;
        if (!before(e->heap[c], j))
            break;
        heap_set(e, i, e->heap[c]);
        i = c;
    }
    heap_set(e, i, j);
}

static void heap_push(struct mock_engine *e, struct mock_job *j, double deadline)
{
    j->deadline = deadline;
    if (e->nheap == e->heap_cap) {
        e->heap_cap = e->heap_cap ? e->heap_cap * 2 : 64;
        e->heap = xrealloc(e->heap, e->heap_cap * sizeof(*e->heap));
    }
    heap_set(e, e->nheap++, j);
    sift_up(e, e->nheap - 1);
}

static void heap_remove(struct mock_engine *e, struct mock_job *j)
{
    size_t i = j->heap_index;

    if (i == NOT_IN_HEAP)
        return;
    j->heap_index = NOT_IN_HEAP;
    if (--e->nheap == i)
        return;
    struct mock_job *moved = e->heap[e->nheap];
    heap_set(e, i, moved);
    sift_down(e, i);
    sift_up(e, moved->heap_index);
}

/* ---------------------------------------------------------------- lists */

static void fifo_push(struct fifo *q, struct mock_job *j)
{
    j->next = NULL;
    j->prev = q->tail;
    if (q->tail != NULL)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->len++;
}

static void fifo_remove(struct fifo *q, struct mock_job *j)
{
    if (j->prev != NULL)
        j->prev->next = j->next;
    else
        q->head = j->next;
    if (j->next != NULL)
        j->next->prev = j->prev;
    else
        q->tail = j->prev;
    j->prev = j->next = NULL;
    q->len--;
}

static struct mock_job *fifo_pop(struct fifo *q)
{
    struct mock_job *j = q->head;

    if (j != NULL)
        fifo_remove(q, j);
    return j;
}

/* Queues a callback for `j` (once, however many events happen before it runs). */
static void notify(struct mock_engine *e, struct mock_job *j)
{
    if (j->notify_pending)
        return;
    j->notify_pending = true;
    j->nnext = NULL;
    j->nprev = e->notify_tail;
    if (e->notify_tail != NULL)
        e->notify_tail->nnext = j;
    else
        e->notify_head = j;
    e->notify_tail = j;
}

static void notify_remove(struct mock_engine *e, struct mock_job *j)
{
    if (!j->notify_pending)
        return;
    j->notify_pending = false;
    if (j->nprev != NULL)
        j->nprev->nnext = j->nnext;
    else
        e->notify_head = j->nnext;
    if (j->nnext != NULL)
        j->nnext->nprev = j->nprev;
    else
        e->notify_tail = j->nprev;
    j->nprev = j->nnext = NULL;
}

/* ---------------------------------------------------------------- transitions */

static void release_hashes(struct mock_job *j)
{
    if (j->hashes != j->inline_hashes)
        free(j->hashes);
    j->hashes = NULL;
    j->nhashes = 0;
    free(j->tokens);
    j->tokens = NULL;
}

/* ---------------------------------------------------------------- held blocks (hold_running) */

static bool is_holding(const struct mock_engine *e)
{
    return e->p.hold_running && e->slots == NULL;
}

static void kv_flush(struct mock_engine *e)
{
    if (e->kvobs.flush != NULL)
        e->kvobs.flush(e->kvobs.ud);
}

/* Blocks the job's sequence needs for its next step: the prompt and the tokens emitted so far
 * (vLLM allocates the slot of each token before the step that computes it). */
static size_t seq_blocks(const struct mock_engine *e, const struct mock_job *j)
{
    size_t bs = (size_t)e->p.block_size;

    return ((size_t)j->prompt_tokens + (size_t)j->emitted + bs - 1) / bs;
}

/* Takes the blocks the job lacks for its next step (evictions are published at once). */
static void hold_grow(struct mock_engine *e, struct mock_job *j)
{
    size_t want = seq_blocks(e, j), have = j->npinned + j->nheld;

    if (want <= have)
        return;
    mock_kvcache_take(e->cache, want - have);
    j->nheld += want - have;
    kv_flush(e);
}

/* Returns every block the job holds: its pinned prompt blocks go back to the LRU order. */
static void hold_release(struct mock_engine *e, struct mock_job *j)
{
    if (j->npinned > 0)
        mock_kvcache_unpin(e->cache, j->hashes, j->npinned);
    if (j->nheld > 0)
        mock_kvcache_give(e->cache, j->nheld);
    j->npinned = j->nheld = 0;
}

static void release_slot(struct mock_engine *e, struct mock_job *j)
{
    if (j->slot >= 0)
        mock_slotcache_release(e->slots, j->slot);
    j->slot = -1;
}

static void schedule(struct mock_engine *e, double t);
static void cache_output(struct mock_engine *e, struct mock_job *j);

/* The job has produced its last token (or failed): it leaves the engine at time `t`. */
static void complete(struct mock_engine *e, struct mock_job *j, double t)
{
    bool was_running = j->state >= MOCK_JOB_PREFILL_WAIT && j->state <= MOCK_JOB_DECODE;

    heap_remove(e, j);
    if (j->state == MOCK_JOB_DECODE && is_holding(e))
        cache_output(e, j);
    hold_release(e, j);
    release_hashes(j);
    release_slot(e, j);
    j->state = MOCK_JOB_DONE;
    j->done_ms = t;
    e->active--;
    notify(e, j);
    if (was_running) {
        e->running--;
        schedule(e, t);
    }
}

/* Time of the job's next decode event: its next token when streaming, else its last one, or
 * earlier when it must take a block first (holding blocks). */
static double next_decode_at(const struct mock_engine *e, const struct mock_job *j)
{
    long long next = j->want_tokens ? j->emitted + 1 : j->max_tokens;

    if (is_holding(e)) {
        /* The token count at which the sequence outgrows the blocks held. */
        long long grow =
            (long long)((j->npinned + j->nheld) * (size_t)e->p.block_size) - j->prompt_tokens + 1;
        if (grow > j->emitted && grow < next)
            next = grow;
    }
    return j->first_at + e->p.decode_ms_per_token * (double)(next - 1);
}

/* Schedules the job's next decode event after its first token at time `t`. */
static void schedule_decode(struct mock_engine *e, struct mock_job *j, double t)
{
    if (j->emitted >= j->max_tokens || e->p.decode_ms_per_token < EPS_MS) {
        j->emitted = j->max_tokens;
        complete(e, j, t);
        return;
    }
    if (is_holding(e))
        hold_grow(e, j);
    heap_push(e, j, next_decode_at(e, j));
}

/* KV events: the cache reports as it inserts; stores are replayed in chain order after. */
static void on_cache_stored(void *ud, size_t i)
{
    struct mock_engine *e = ud;

    if (e->nkv_new == e->kv_new_cap) {
        e->kv_new_cap = e->kv_new_cap ? e->kv_new_cap * 2 : 64;
        e->kv_new = xrealloc(e->kv_new, e->kv_new_cap * sizeof(*e->kv_new));
    }
    e->kv_new[e->nkv_new++] = i;
}

static void on_cache_evicted(void *ud, uint64_t hash)
{
    struct mock_engine *e = ud;

    e->kvobs.removed(e->kvobs.ud, hash);
}

/* Reports the blocks the cache just stored for `j` (their indexes in e->kv_new) in chain order,
 * parents first: insert stores from the last block to the first (`reverse`), store_pinned from
 * the first to the last. Block i's token ids are tokens + (i - first) * block_size. */
static void report_stored(struct mock_engine *e, const struct mock_job *j, const uint32_t *tokens,
                          size_t first, bool reverse)
{
    size_t bs = (size_t)e->p.block_size;

    for (size_t k = 0; k < e->nkv_new; k++) {
        size_t i = e->kv_new[reverse ? e->nkv_new - 1 - k : k];
        e->kvobs.stored(e->kvobs.ud, i > 0 ? &j->hashes[i - 1] : NULL, j->hashes[i],
                        tokens + (i - first) * bs, bs);
    }
    e->nkv_new = 0;
    kv_flush(e);
}

static void kv_insert(struct mock_engine *e, struct mock_job *j)
{
    bool holding = is_holding(e);

    if (holding) {
        /* The prompt's anonymous blocks become its cached blocks, still pinned. */
        size_t upto = mock_kvcache_store_pinned(e->cache, j->hashes, j->npinned, j->nhashes);
        j->nheld -= upto - j->npinned;
        j->npinned = upto;
    } else {
        mock_kvcache_insert(e->cache, j->hashes, j->nhashes);
    }
    if (e->kvobs.stored == NULL || j->tokens == NULL) {
        e->nkv_new = 0; /* a job from before the observer: nothing to report */
        return;
    }
    report_stored(e, j, j->tokens, 0, !holding);
}

/* The end of a request holding blocks: the blocks its sequence filled beyond the prompt's full
 * ones (the prompt's partial last block and the generated tokens) become cached blocks, still
 * pinned until hold_release, as vLLM caches every full block of a sequence. Skipped when the
 * prompt's own blocks were not all stored (over-committed): the chain would have a hole. */
static void cache_output(struct mock_engine *e, struct mock_job *j)
{
    size_t bs = (size_t)e->p.block_size, from = j->nhashes;
    size_t full = ((size_t)j->prompt_tokens + (size_t)j->emitted) / bs;

    if (full <= from || j->npinned != from)
        return;
    if (full - from > j->nheld) {
        /* Decode took no time (or no step ran): the blocks it would have taken. */
        mock_kvcache_take(e->cache, full - from - j->nheld);
        j->nheld = full - from;
    }
    if (j->hashes != j->inline_hashes) {
        j->hashes = xrealloc(j->hashes, full * sizeof(*j->hashes));
    } else if (full > MOCK_JOB_INLINE_HASHES) {
        j->hashes = xmalloc(full * sizeof(*j->hashes));
        memcpy(j->hashes, j->inline_hashes, from * sizeof(*j->hashes));
    }
    /* The mock's output is a function of the prompt: its block k is named by the chain so far,
     * the prompt's partial tail and k. */
    uint64_t prev = from > 0 ? j->hashes[from - 1] : j->seed;
    for (size_t i = from; i < full; i++) {
        prev = hash64_u64(j->tail_hash ^ ((uint64_t)(i - from + 1) * 0x9e3779b97f4a7c15ull), prev);
        j->hashes[i] = prev;
    }
    j->nhashes = full;
    size_t upto = mock_kvcache_store_pinned(e->cache, j->hashes, from, full);
    j->nheld -= upto - from;
    j->npinned = upto;
    if (e->kvobs.stored == NULL || e->nkv_new == 0) {
        e->nkv_new = 0;
        return;
    }
    /* Synthetic ids (31 bits, as the mock's tokenizer's) that no prompt's tokens chain to. */
    uint32_t *ids = xmalloc((full - from) * bs * sizeof(*ids));
    for (size_t i = from; i < full; i++)
        for (size_t t = 0; t < bs; t++)
            ids[(i - from) * bs + t] = (uint32_t)(hash64_u64(t, j->hashes[i]) >> 33);
    report_stored(e, j, ids, from, false);
    free(ids);
}

static void finish_prefill(struct mock_engine *e, struct mock_job *j, double t)
{
    if (e->slots != NULL)
        mock_slotcache_store(e->slots, j->slot, j->hashes, j->nhashes);
    else
        kv_insert(e, j);
    if (is_holding(e)) {
        /* The pinned blocks are unpinned by hash when the job ends. */
        free(j->tokens);
        j->tokens = NULL;
    } else {
        release_hashes(j);
    }
    e->prefilling = NULL;
    j->state = MOCK_JOB_DECODE;
    j->emitted = 1;
    j->first_token_ms = t;
    j->first_at = t;
    if (j->want_tokens)
        notify(e, j);
    schedule_decode(e, j, t);
    schedule(e, t);
}

/* Looks the job's blocks up and gives it the prefill unit; returns the prefill cost in ms. */
static double begin_prefill(struct mock_engine *e, struct mock_job *j)
{
    size_t matched;

    if (e->slots != NULL) {
        /* Admission keeps running jobs <= max_batch = slots, so one is free. */
        j->slot = mock_slotcache_acquire(e->slots, j->hashes, j->nhashes, &matched);
        SVC_ASSERT(j->slot >= 0);
    } else {
        matched = mock_kvcache_match(e->cache, j->hashes, j->nhashes);
    }
    if (is_holding(e)) {
        /* Pin the hits before taking the rest, so that making room cannot evict them. */
        mock_kvcache_pin(e->cache, j->hashes, matched);
        j->npinned = matched;
        hold_grow(e, j);
    }
    long long cached = (long long)matched * e->p.block_size;

    if (cached > j->prompt_tokens)
        cached = j->prompt_tokens;
    j->cached_tokens = (int)cached;
    e->queries += (uint64_t)j->prompt_tokens;
    e->hits += (uint64_t)cached;
    j->state = MOCK_JOB_PREFILL;
    e->prefilling = j;
    return (double)(j->prompt_tokens - j->cached_tokens) * 1000.0 / e->p.prefill_tok_per_s;
}

/* At time `t`: fills free batch slots from the wait queue and gives a free prefill unit to the
 * next admitted job. Prefills that cost nothing pass through at once, which may free slots
 * again; this loops rather than recursing, so long chains of such jobs use no stack. */
static void schedule(struct mock_engine *e, double t)
{
    if (e->scheduling)
        return; /* the outer call's loop picks the new state up */
    e->scheduling = true;
    for (;;) {
        while (e->running < (uint64_t)e->p.max_batch && e->waiting.head != NULL) {
            struct mock_job *j = fifo_pop(&e->waiting);
            j->state = MOCK_JOB_PREFILL_WAIT;
            e->running++;
            fifo_push(&e->prefill_queue, j);
        }
        if (e->prefilling != NULL || e->prefill_queue.head == NULL)
            break;
        struct mock_job *j = fifo_pop(&e->prefill_queue);
        double cost = begin_prefill(e, j);
        if (cost >= EPS_MS) {
            heap_push(e, j, t + cost);
            break;
        }
        finish_prefill(e, j, t);
    }
    e->scheduling = false;
}

static void enqueue(struct mock_engine *e, struct mock_job *j, double t)
{
    if (j->fail) {
        j->failed = true;
        complete(e, j, t);
        return;
    }
    j->state = MOCK_JOB_QUEUED;
    fifo_push(&e->waiting, j);
    schedule(e, t);
}

/* The job's heap event is due; `t` is its scheduled (virtual) time. */
static void fire(struct mock_engine *e, struct mock_job *j, double t)
{
    switch (j->state) {
    case MOCK_JOB_STALLED:
        enqueue(e, j, t);
        break;
    case MOCK_JOB_PREFILL:
        finish_prefill(e, j, t);
        break;
    case MOCK_JOB_DECODE: {
        double step = e->p.decode_ms_per_token;
        long long k = 1 + (long long)floor((t - j->first_at) / step + 1e-9);
        j->emitted = k >= j->max_tokens ? j->max_tokens : (int)k;
        if (j->emitted >= j->max_tokens) {
            complete(e, j, t);
            break;
        }
        /* Not streaming, the job is here only to take a block (holding blocks). */
        if (j->want_tokens)
            notify(e, j);
        if (is_holding(e))
            hold_grow(e, j);
        heap_push(e, j, next_decode_at(e, j));
        break;
    }
    default:
        SVC_ASSERT(!"job in the heap in a state without events");
    }
}

/* ---------------------------------------------------------------- timer */

static void on_timer(uv_timer_t *t);

/* Arms the timer for the earliest pending work, or stops it. */
static void rearm(struct mock_engine *e)
{
    double due = -1;

    if (e->closing || e->in_pump)
        return;
    if (e->notify_head != NULL || (e->stopping && e->active == 0))
        due = 0;
    else if (e->nheap > 0)
        due = e->heap[0]->deadline;
    if (due == e->armed_at)
        return;
    e->armed_at = due;
    if (due < 0) {
        uv_timer_stop(&e->timer);
        return;
    }
    /* The loop's cached time may be stale after a long callback; the timer counts from it. */
    uv_update_time(e->loop);
    double wait = due == 0 ? 0 : ceil(due - mock_engine_now_ms());
    uv_timer_start(&e->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

static void run_due(struct mock_engine *e)
{
    double now = mock_engine_now_ms();

    while (e->nheap > 0 && e->heap[0]->deadline <= now + EPS_MS) {
        struct mock_job *j = e->heap[0];
        heap_remove(e, j);
        fire(e, j, j->deadline);
    }
}

static void on_timer(uv_timer_t *t)
{
    struct mock_engine *e = t->data;

    e->armed_at = -1;
    e->in_pump = true;
    for (;;) {
        run_due(e);
        struct mock_job *j = e->notify_head;
        if (j == NULL)
            break;
        notify_remove(e, j);
        /* The callback may cancel, free or submit jobs, this one included. */
        j->cb(j, j->ud);
    }
    e->in_pump = false;
    if (e->stopping && e->active == 0 && e->idle_cb != NULL) {
        void (*cb)(void *) = e->idle_cb;
        e->idle_cb = NULL;
        uv_timer_stop(&e->timer);
        cb(e->idle_ud);
        return;
    }
    rearm(e);
}

/* ---------------------------------------------------------------- API */

struct mock_engine *mock_engine_new(uv_loop_t *loop, const struct mock_engine_params *p)
{
    struct mock_engine *e = xcalloc(1, sizeof(*e));

    SVC_ASSERT(p->block_size >= 1 && p->chars_per_token >= 1 && p->max_batch >= 1);
    SVC_ASSERT(p->prefill_tok_per_s > 0 && p->decode_ms_per_token >= 0);
    e->loop = loop;
    e->p = *p;
    if (p->cache_type == MOCK_CACHE_STATIC) {
        SVC_ASSERT(p->max_cache_len >= (size_t)p->block_size);
        e->slots =
            mock_slotcache_new((size_t)p->max_batch, p->max_cache_len / (size_t)p->block_size);
    }
    e->cache = mock_kvcache_new(p->kv_blocks);
    e->block_chars = (size_t)p->block_size * (size_t)p->chars_per_token;
    e->armed_at = -1;
    int rc = uv_timer_init(loop, &e->timer);
    SVC_ASSERT(rc == 0); /* cannot fail on Unix */
    e->timer.data = e;
    return e;
}

static void on_closed(uv_handle_t *h)
{
    struct mock_engine *e = h->data;

    mock_kvcache_free(e->cache);
    free(e->kv_new);
    mock_slotcache_free(e->slots);
    free(e->heap);
    free(e);
}

void mock_engine_free(struct mock_engine *e)
{
    if (e == NULL || e->closing)
        return;
    e->closing = true;
    uv_close((uv_handle_t *)&e->timer, on_closed);
}

int mock_engine_submit(struct mock_engine *e, struct mock_job *j, const char *text, size_t len)
{
    size_t n = len / e->block_chars;

    SVC_ASSERT(j->state == MOCK_JOB_NEW && j->max_tokens >= 1 && j->cb != NULL);
    j->heap_index = NOT_IN_HEAP;
    j->seq = e->next_seq++;
    j->slot = -1;
    j->npinned = j->nheld = 0;
    j->prompt_tokens = mock_prompt_tokens(len, e->p.chars_per_token);
    j->submit_ms = mock_engine_now_ms();
    j->hashes = n <= MOCK_JOB_INLINE_HASHES ? j->inline_hashes : xmalloc(n * sizeof(*j->hashes));
    j->nhashes = mock_kvcache_block_hashes(text, len, e->block_chars, j->seed, j->hashes, n);
    if (is_holding(e))
        j->tail_hash = hash64(text + n * e->block_chars, len - n * e->block_chars,
                              n > 0 ? j->hashes[n - 1] : j->seed);
    if (e->kvobs.stored != NULL && e->slots == NULL && n > 0) {
        size_t ntok = n * (size_t)e->p.block_size;
        j->tokens = xmalloc(ntok * sizeof(*j->tokens));
        mock_tokenize_ids(text, n * e->block_chars, e->p.chars_per_token, j->seed, j->tokens, ntok);
    }
    e->active++;
    if (j->stall_ms > 0) {
        j->state = MOCK_JOB_STALLED;
        heap_push(e, j, j->submit_ms + (double)j->stall_ms);
    } else {
        enqueue(e, j, j->submit_ms);
    }
    /* The caller learns about this job's own progress from the return value and fields. */
    notify_remove(e, j);
    if (j->state == MOCK_JOB_DONE)
        return 1;
    rearm(e);
    return 0;
}

bool mock_engine_fits(const struct mock_engine *e, int prompt_tokens, int max_tokens)
{
    return e->slots == NULL ||
           (long long)prompt_tokens + max_tokens <= (long long)e->p.max_cache_len;
}

void mock_engine_cancel(struct mock_engine *e, struct mock_job *j)
{
    double now = mock_engine_now_ms();

    notify_remove(e, j);
    switch (j->state) {
    case MOCK_JOB_NEW:
    case MOCK_JOB_DONE:
        return;
    case MOCK_JOB_STALLED:
        heap_remove(e, j);
        break;
    case MOCK_JOB_QUEUED:
        fifo_remove(&e->waiting, j);
        break;
    case MOCK_JOB_PREFILL_WAIT:
        fifo_remove(&e->prefill_queue, j);
        e->running--;
        break;
    case MOCK_JOB_PREFILL:
        heap_remove(e, j);
        e->prefilling = NULL;
        e->running--;
        break;
    case MOCK_JOB_DECODE:
        heap_remove(e, j);
        e->running--;
        break;
    }
    hold_release(e, j);
    release_hashes(j);
    release_slot(e, j);
    j->state = MOCK_JOB_DONE;
    j->done_ms = now;
    e->active--;
    schedule(e, now);
    rearm(e);
}

void mock_engine_stop(struct mock_engine *e, void (*idle)(void *ud), void *ud)
{
    e->stopping = true;
    if (e->active == 0) {
        uv_timer_stop(&e->timer);
        e->armed_at = -1;
        idle(ud);
        return;
    }
    e->idle_cb = idle;
    e->idle_ud = ud;
}

bool mock_engine_is_stopping(const struct mock_engine *e)
{
    return e->stopping;
}

void mock_engine_set_kv_observer(struct mock_engine *e, const struct mock_engine_kv_observer *o)
{
    e->kvobs = o != NULL ? *o : (struct mock_engine_kv_observer){0};
    if (e->cache == NULL)
        return;
    const struct mock_kvcache_observer co = {on_cache_stored, on_cache_evicted, e};
    mock_kvcache_set_observer(e->cache, o != NULL ? &co : NULL);
}

void mock_engine_reset_cache(struct mock_engine *e)
{
    if (e->cache != NULL && !mock_kvcache_clear(e->cache)) {
        kv_flush(e); /* running jobs' blocks stayed: the others were reported as removed */
        return;
    }
    if (e->kvobs.cleared != NULL) {
        e->kvobs.cleared(e->kvobs.ud);
        kv_flush(e);
    }
}

void mock_engine_get_stats(const struct mock_engine *e, struct mock_engine_stats *out)
{
    const struct mock_slotcache *sc = e->slots;

    size_t cached = mock_kvcache_used(e->cache);
    /* vLLM's usage when requests hold blocks: cached blocks no request holds count as free. */
    size_t used =
        is_holding(e) ? mock_kvcache_pinned(e->cache) + mock_kvcache_anonymous(e->cache) : cached;
    *out = (struct mock_engine_stats){
        .running = e->running,
        .waiting = e->waiting.len,
        .active = e->active,
        .kv_used = sc != NULL ? mock_slotcache_used(sc) : used,
        .kv_cached = sc != NULL ? mock_slotcache_used(sc) : cached,
        .kv_overcommitted = mock_kvcache_overcommitted(e->cache),
        .kv_capacity = sc != NULL ? mock_slotcache_capacity(sc) : mock_kvcache_capacity(e->cache),
        .queries_tokens = e->queries,
        .hits_tokens = e->hits,
        .evictions = sc != NULL ? mock_slotcache_evictions(sc) : mock_kvcache_evictions(e->cache),
    };
}

const struct mock_engine_params *mock_engine_params(const struct mock_engine *e)
{
    return &e->p;
}
