/* Token-block index per instance. Each instance keeps a slab of engine-block entries (engine
 * key, router hash, reference count, depth in its chain) and two open-addressing tables with
 * linear probing and backward-shift deletion (no tombstones), both sized twice the slab: engine
 * key -> slab index (for parents and removals) and router hash -> number of entries carrying it
 * (for queries). Growth, shrinking and eviction all go through one rebuild that copies the live
 * entries into fresh arrays. Depends on libc, common/hash, common/xalloc and router/kv_decode. */
#include "kv_index.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "kv_decode.h"
#include "xalloc.h"

#define MIN_CAP    16u
#define FREE_DEPTH UINT32_MAX
#define DEPTH_BINS 1024u
#define GOLDEN     UINT64_C(0x9E3779B97F4A7C15)

struct entry {
    uint64_t ekey;  /* engine hash mixed with its KV cache group */
    uint64_t rhash; /* router chain hash */
    uint32_t refs;  /* stores minus removals; the free list's link when free */
    uint32_t depth; /* blocks before it in its chain; FREE_DEPTH = free slot */
};

struct rslot {
    uint64_t rhash;
    uint32_t count; /* entries carrying rhash; 0 = empty slot */
    uint32_t since; /* the instance's clock when count last went from 0 to 1 */
};

/* Bytes per slab slot: the entry plus its share of both tables. */
#define SLOT_BYTES (sizeof(struct entry) + 2 * sizeof(uint32_t) + 2 * sizeof(struct rslot))

struct rt_kv_inst {
    struct entry *e;
    uint32_t cap;  /* slab size, a power of two */
    uint32_t hi;   /* slots ever used since the last rebuild */
    uint32_t used; /* live entries */
    uint32_t free_head;
    uint32_t *eidx; /* 2*cap slots: slab index + 1, 0 = empty */
    struct rslot *rs;
    int shift;      /* 64 - log2(2*cap) */
    size_t nr;      /* distinct router hashes */
    uint32_t clock; /* events applied (wraps) */
    struct rt_kv_inst_stats st;
    struct rt_kv_inst *prev, *next;
};

struct rt_kv_index {
    size_t max_bytes, bytes;
    uint64_t evictions;
    struct rt_kv_inst *head;
};

/* ---------------------------------------------------------------- chain */

size_t rt_kv_chain(const uint32_t *tokens, size_t ntokens, unsigned block_size, uint64_t seed,
                   uint64_t *out, size_t max)
{
    size_t n = block_size > 0 ? ntokens / block_size : 0;
    uint64_t h = seed;

    for (size_t i = 0; i < n && i < max; i++) {
        h = hash64(tokens + i * block_size, (size_t)block_size * sizeof(*tokens), h);
        out[i] = h;
    }
    return n;
}

uint64_t rt_kv_chain_seed(const char *name, size_t len)
{
    return name == NULL || len == 0 ? 0 : hash64(name, len, GOLDEN) | 1;
}

/* ---------------------------------------------------------------- tables */

static inline size_t home(const struct rt_kv_inst *k, uint64_t key)
{
    return (size_t)((key * GOLDEN) >> k->shift);
}

static inline size_t tmask(const struct rt_kv_inst *k)
{
    return (size_t)k->cap * 2 - 1;
}

/* eidx slot holding `ekey`, or the empty slot where it would go. */
static size_t efind(const struct rt_kv_inst *k, uint64_t ekey)
{
    size_t i = home(k, ekey);

    while (k->eidx[i] != 0 && k->e[k->eidx[i] - 1].ekey != ekey)
        i = (i + 1) & tmask(k);
    return i;
}

/* Slot of `rhash` in a router-hash table `rs` hashed with `shift` and `mask`, or the empty slot
 * where it would go. */
static size_t rs_find(const struct rslot *rs, int shift, size_t mask, uint64_t rhash)
{
    size_t i = (size_t)((rhash * GOLDEN) >> shift);

    while (rs[i].count != 0 && rs[i].rhash != rhash)
        i = (i + 1) & mask;
    return i;
}

static size_t rfind(const struct rt_kv_inst *k, uint64_t rhash)
{
    return rs_find(k->rs, k->shift, tmask(k), rhash);
}

/* Whether an entry whose home is `h` may move from slot j back to the hole at i. */
static inline bool movable(size_t h, size_t i, size_t j, size_t mask)
{
    return ((j - h) & mask) >= ((j - i) & mask);
}

static void edelete(struct rt_kv_inst *k, size_t i)
{
    size_t mask = tmask(k);

    k->eidx[i] = 0;
    for (size_t j = (i + 1) & mask; k->eidx[j] != 0; j = (j + 1) & mask) {
        if (!movable(home(k, k->e[k->eidx[j] - 1].ekey), i, j, mask))
            continue;
        k->eidx[i] = k->eidx[j];
        k->eidx[j] = 0;
        i = j;
    }
}

static void rs_add(struct rt_kv_inst *k, uint64_t rhash)
{
    size_t i = rfind(k, rhash);

    if (k->rs[i].count == 0) {
        k->rs[i].rhash = rhash;
        k->rs[i].since = k->clock;
        k->nr++;
    }
    k->rs[i].count++;
}

static void rs_del(struct rt_kv_inst *k, uint64_t rhash)
{
    size_t mask = tmask(k);
    size_t i = rfind(k, rhash);

    if (k->rs[i].count == 0 || --k->rs[i].count > 0)
        return;
    k->nr--;
    for (size_t j = (i + 1) & mask; k->rs[j].count != 0; j = (j + 1) & mask) {
        if (!movable(home(k, k->rs[j].rhash), i, j, mask))
            continue;
        k->rs[i] = k->rs[j];
        k->rs[j].count = 0;
        i = j;
    }
}

/* ---------------------------------------------------------------- rebuild */

static void alloc_arrays(struct rt_kv_inst *k, uint32_t cap)
{
    int bits = 0;

    while (((size_t)1 << bits) < (size_t)cap * 2)
        bits++;
    k->cap = cap;
    k->shift = 64 - bits;
    k->e = xmalloc((size_t)cap * sizeof(*k->e));
    k->eidx = xcalloc((size_t)cap * 2, sizeof(*k->eidx));
    k->rs = xcalloc((size_t)cap * 2, sizeof(*k->rs));
    k->hi = k->used = 0;
    k->free_head = UINT32_MAX;
    k->nr = 0;
}

static void insert_entry(struct rt_kv_inst *k, uint64_t ekey, uint64_t rhash, uint32_t refs,
                         uint32_t depth)
{
    uint32_t n;

    if (k->free_head != UINT32_MAX) {
        n = k->free_head;
        k->free_head = k->e[n].refs;
    } else {
        SVC_ASSERT(k->hi < k->cap);
        n = k->hi++;
    }
    k->e[n] = (struct entry){ekey, rhash, refs, depth};
    k->eidx[efind(k, ekey)] = n + 1;
    rs_add(k, rhash);
    k->used++;
}

/* Copies the live entries with depth below `max_depth` into arrays of `cap` slots (which must
 * hold them). Returns how many entries were left out. */
static uint32_t rebuild(struct rt_kv_index *idx, struct rt_kv_inst *k, uint32_t cap,
                        uint32_t max_depth)
{
    struct entry *old = k->e;
    struct rslot *oldrs = k->rs;
    uint32_t oldhi = k->hi, oldcap = k->cap, dropped = 0;
    int oldshift = k->shift;
    size_t oldmask = tmask(k);

    free(k->eidx);
    alloc_arrays(k, cap);
    for (uint32_t i = 0; i < oldhi; i++) {
        if (old[i].depth == FREE_DEPTH)
            continue;
        if (old[i].depth >= max_depth) {
            dropped++;
            continue;
        }
        insert_entry(k, old[i].ekey, old[i].rhash, old[i].refs, old[i].depth);
    }
    /* A block held before the rebuild is still held since then. */
    for (size_t i = 0; i <= tmask(k); i++) {
        if (k->rs[i].count != 0)
            k->rs[i].since = oldrs[rs_find(oldrs, oldshift, oldmask, k->rs[i].rhash)].since;
    }
    free(oldrs);
    free(old);
    idx->bytes = idx->bytes - (size_t)oldcap * SLOT_BYTES + (size_t)cap * SLOT_BYTES;
    return dropped;
}

/* Smallest power of two >= MIN_CAP with room for `n` entries plus growth headroom. */
static uint32_t cap_for(uint32_t n)
{
    uint32_t cap = MIN_CAP;

    while (cap < n + n / 3 + 1)
        cap *= 2;
    return cap;
}

static void delete_entry(struct rt_kv_inst *k, size_t slot)
{
    uint32_t n = k->eidx[slot] - 1;

    edelete(k, slot);
    rs_del(k, k->e[n].rhash);
    k->e[n].depth = FREE_DEPTH;
    k->e[n].refs = k->free_head;
    k->free_head = n;
    k->used--;
}

/* ---------------------------------------------------------------- memory cap */

/* The depth at or above which about a quarter of `k`'s entries lie. */
static uint32_t eviction_depth(const struct rt_kv_inst *k)
{
    uint32_t *bins = xcalloc(DEPTH_BINS, sizeof(*bins));
    uint32_t target = k->used / 4 + 1, sum = 0, d = DEPTH_BINS;

    for (uint32_t i = 0; i < k->hi; i++) {
        if (k->e[i].depth != FREE_DEPTH)
            bins[k->e[i].depth < DEPTH_BINS ? k->e[i].depth : DEPTH_BINS - 1]++;
    }
    while (d > 0 && sum < target)
        sum += bins[--d];
    free(bins);
    return d; /* the last bin also holds everything deeper, so its index is its floor too */
}

static void enforce_cap(struct rt_kv_index *idx)
{
    while (idx->bytes > idx->max_bytes) {
        struct rt_kv_inst *victim = NULL;
        for (struct rt_kv_inst *k = idx->head; k != NULL; k = k->next) {
            if (victim == NULL || k->used > victim->used)
                victim = k;
        }
        if (victim == NULL || victim->used == 0)
            return; /* only the per-instance floors are left */
        uint32_t depth = eviction_depth(victim);
        uint32_t survivors = 0;
        for (uint32_t i = 0; i < victim->hi; i++)
            survivors += victim->e[i].depth != FREE_DEPTH && victim->e[i].depth < depth;
        uint32_t dropped = rebuild(idx, victim, cap_for(survivors), depth);
        victim->st.evicted += dropped;
        idx->evictions += dropped;
    }
}

/* ---------------------------------------------------------------- API */

struct rt_kv_index *rt_kv_index_new(size_t max_bytes)
{
    struct rt_kv_index *idx = xcalloc(1, sizeof(*idx));

    idx->max_bytes = max_bytes;
    return idx;
}

void rt_kv_index_free(struct rt_kv_index *idx)
{
    if (idx == NULL)
        return;
    while (idx->head != NULL)
        rt_kv_index_inst_free(idx, idx->head);
    free(idx);
}

struct rt_kv_inst *rt_kv_index_inst_new(struct rt_kv_index *idx, unsigned block_size)
{
    struct rt_kv_inst *k = xcalloc(1, sizeof(*k));

    alloc_arrays(k, MIN_CAP);
    idx->bytes += (size_t)MIN_CAP * SLOT_BYTES;
    k->st.block_size = block_size;
    k->next = idx->head;
    if (idx->head != NULL)
        idx->head->prev = k;
    idx->head = k;
    return k;
}

void rt_kv_index_inst_free(struct rt_kv_index *idx, struct rt_kv_inst *k)
{
    if (k == NULL)
        return;
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        idx->head = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    idx->bytes -= (size_t)k->cap * SLOT_BYTES;
    free(k->e);
    free(k->eidx);
    free(k->rs);
    free(k);
}

void rt_kv_index_clear(struct rt_kv_index *idx, struct rt_kv_inst *k)
{
    k->hi = 0; /* every entry becomes garbage: rebuild keeps nothing */
    rebuild(idx, k, MIN_CAP, 0);
    k->st.cleared++;
}

static uint64_t engine_key(const struct rt_kv_event *ev, uint64_t hash)
{
    return ev->has_group && ev->group_idx != 0 ? hash64_u64(hash, (uint64_t)ev->group_idx) : hash;
}

/* Adds or re-references one engine block. */
static void store_one(struct rt_kv_index *idx, struct rt_kv_inst *k, uint64_t ekey, uint64_t rhash,
                      uint32_t depth)
{
    size_t slot = efind(k, ekey);

    if (k->eidx[slot] != 0) {
        struct entry *e = &k->e[k->eidx[slot] - 1];
        if (e->rhash == rhash) {
            if (e->refs < UINT32_MAX)
                e->refs++;
            return;
        }
        /* The engine reused a hash for other tokens: the new content wins. */
        rs_del(k, e->rhash);
        e->rhash = rhash;
        e->depth = depth;
        e->refs = 1;
        rs_add(k, rhash);
        return;
    }
    if (k->hi == k->cap && k->free_head == UINT32_MAX)
        rebuild(idx, k, k->cap * 2, FREE_DEPTH);
    insert_entry(k, ekey, rhash, 1, depth);
}

static void apply_stored(struct rt_kv_index *idx, struct rt_kv_inst *k,
                         const struct rt_kv_event *ev)
{
    uint64_t prev;
    uint32_t depth = 0;

    if (ev->block_size != k->st.block_size) {
        if (k->used > 0 && k->st.block_size != 0) {
            k->st.foreign_size++;
            return;
        }
        k->st.block_size = ev->block_size;
    }
    if (ev->has_parent) {
        size_t slot = efind(k, engine_key(ev, ev->parent));
        if (k->eidx[slot] == 0) {
            k->st.parent_unknown++;
            return;
        }
        prev = k->e[k->eidx[slot] - 1].rhash;
        depth = k->e[k->eidx[slot] - 1].depth + 1;
    } else {
        prev = ev->lora_name.ptr != NULL ? rt_kv_chain_seed(ev->lora_name.ptr, ev->lora_name.len)
               : ev->has_lora_id         ? hash64_u64((uint64_t)ev->lora_id, GOLDEN) | 1
                                         : 0;
    }
    for (size_t b = 0; b < ev->nblocks; b++) {
        uint64_t r = hash64(ev->token_ids + b * ev->block_size,
                            (size_t)ev->block_size * sizeof(*ev->token_ids), prev);
        if (ev->extra != NULL && ev->extra[b] != 0)
            r = hash64_u64(ev->extra[b], r);
        store_one(idx, k, engine_key(ev, ev->block_hashes[b]), r,
                  depth < FREE_DEPTH - 1 ? depth : FREE_DEPTH - 1);
        prev = r;
        depth++;
    }
    k->st.stored += ev->nblocks;
    enforce_cap(idx);
}

static void apply_removed(struct rt_kv_inst *k, const struct rt_kv_event *ev)
{
    for (size_t b = 0; b < ev->nblocks; b++) {
        size_t slot = efind(k, engine_key(ev, ev->block_hashes[b]));
        if (k->eidx[slot] == 0) {
            k->st.remove_unknown++;
            continue;
        }
        k->st.removed++;
        if (--k->e[k->eidx[slot] - 1].refs == 0)
            delete_entry(k, slot);
    }
}

void rt_kv_index_apply(struct rt_kv_index *idx, struct rt_kv_inst *k, const struct rt_kv_event *ev)
{
    k->clock++;
    switch (ev->type) {
    case RT_KV_BLOCK_STORED:
        apply_stored(idx, k, ev);
        break;
    case RT_KV_BLOCK_REMOVED:
        apply_removed(k, ev);
        if (k->used < k->cap / 8 && k->cap > MIN_CAP)
            rebuild(idx, k, cap_for(k->used), FREE_DEPTH);
        break;
    case RT_KV_ALL_CLEARED:
        rt_kv_index_clear(idx, k);
        break;
    }
}

size_t rt_kv_index_match(const struct rt_kv_inst *k, const uint64_t *chain, size_t n)
{
    size_t i = 0;

    if (k == NULL)
        return 0;
    while (i < n && k->rs[rfind(k, chain[i])].count != 0)
        i++;
    return i;
}

uint32_t rt_kv_index_clock(const struct rt_kv_inst *k)
{
    return k != NULL ? k->clock : 0;
}

bool rt_kv_index_held_since(const struct rt_kv_inst *k, uint64_t rhash, uint32_t clock)
{
    if (k == NULL)
        return false;
    const struct rslot *r = &k->rs[rfind(k, rhash)];
    return r->count != 0 && (int32_t)(r->since - clock) <= 0;
}

unsigned rt_kv_index_block_size(const struct rt_kv_inst *k)
{
    return k != NULL ? k->st.block_size : 0;
}

void rt_kv_index_inst_stats(const struct rt_kv_inst *k, struct rt_kv_inst_stats *out)
{
    *out = k->st;
    out->blocks = k->nr;
    out->entries = k->used;
}

size_t rt_kv_index_bytes(const struct rt_kv_index *idx)
{
    return idx->bytes;
}

uint64_t rt_kv_index_evictions(const struct rt_kv_index *idx)
{
    return idx->evictions;
}
