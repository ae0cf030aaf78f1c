/* Prefix index: a pool of nodes, one per (block hash, member) pair. Nodes with the same hash form
 * a short list whose head sits in an open-addressing table (linear probing, backward-shift
 * deletion, at most half full); each member's nodes form its LRU list. Node indexes are stable
 * across growth (the pool is reallocated, the table rebuilt), so lists link by index.
 * Depends on libc and common/xalloc. */
#include "prefix_index.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define NIL           UINT32_MAX
#define INITIAL_NODES 1024u

struct node {
    uint64_t hash;
    uint32_t same;       /* next node with the same hash (another member); NIL at the end */
    uint32_t prev, next; /* member LRU list: towards the most / least recently used end */
    uint16_t member;
};

struct member {
    bool used;
    size_t capacity; /* 0 = no own limit */
    size_t count;
    uint32_t mru, lru;
    uint32_t stamp, depth; /* match scratch */
};

struct rt_prefix_index {
    struct node *nodes;
    size_t ncap;     /* nodes allocated */
    size_t nmax;     /* nodes the memory cap allows */
    size_t nfresh;   /* nodes below this index were handed out at least once */
    uint32_t free;   /* free list through `next` */
    uint32_t *slots; /* head node + 1; 0 = empty */
    size_t mask;
    int shift;
    struct member *members;
    size_t nmembers; /* allocated */
    size_t blocks;
    uint32_t stamp;
    uint64_t evictions, cap_evictions;
};

static size_t table_size_for(size_t nodes)
{
    size_t size = 16;

    while (size < nodes * 2)
        size *= 2;
    return size;
}

static void table_alloc(struct rt_prefix_index *x, size_t size)
{
    int bits = 0;

    while (((size_t)1 << bits) < size)
        bits++;
    x->slots = xcalloc(size, sizeof(*x->slots));
    x->mask = size - 1;
    x->shift = 64 - bits;
}

struct rt_prefix_index *rt_prefix_index_new(size_t max_bytes)
{
    struct rt_prefix_index *x = xcalloc(1, sizeof(*x));

    x->nmax = max_bytes / RT_PREFIX_BYTES_PER_BLOCK;
    if (x->nmax < INITIAL_NODES)
        x->nmax = INITIAL_NODES;
    if (x->nmax > NIL - 1)
        x->nmax = NIL - 1;
    x->ncap = INITIAL_NODES;
    x->nodes = xmalloc(x->ncap * sizeof(*x->nodes));
    x->free = NIL;
    table_alloc(x, table_size_for(x->ncap));
    return x;
}

void rt_prefix_index_free(struct rt_prefix_index *x)
{
    if (x == NULL)
        return;
    free(x->nodes);
    free(x->slots);
    free(x->members);
    free(x);
}

/* ---------------------------------------------------------------- hash table of list heads */

/* Blocks of a chain are looked up one after another, but their table slots are known up front:
 * fetching the slots (and then the nodes) a few blocks ahead overlaps the cache misses of a
 * large index instead of paying them one at a time. */
#define AHEAD_SLOT 16
#define AHEAD_NODE 8

static inline size_t home(const struct rt_prefix_index *x, uint64_t hash)
{
    /* Chain hashes are already uniform; the multiply only guards hand-made test values. */
    return (size_t)((hash * UINT64_C(0x9E3779B97F4A7C15)) >> x->shift);
}

static inline void prefetch_slot(const struct rt_prefix_index *x, uint64_t hash)
{
    __builtin_prefetch(&x->slots[home(x, hash)]);
}

static inline void prefetch_node(const struct rt_prefix_index *x, uint64_t hash)
{
    uint32_t s = x->slots[home(x, hash)];

    if (s != 0)
        __builtin_prefetch(&x->nodes[s - 1]);
}

/* Slot holding the list for `hash`, or the empty slot where it would go. */
static size_t find_slot(const struct rt_prefix_index *x, uint64_t hash)
{
    size_t i = home(x, hash);

    while (x->slots[i] != 0 && x->nodes[x->slots[i] - 1].hash != hash)
        i = (i + 1) & x->mask;
    return i;
}

static void slot_delete(struct rt_prefix_index *x, size_t i)
{
    size_t j = i;

    x->slots[i] = 0;
    for (;;) {
        j = (j + 1) & x->mask;
        if (x->slots[j] == 0)
            return;
        size_t k = home(x, x->nodes[x->slots[j] - 1].hash);
        /* Leave the entry when its home lies cyclically in (i, j]: it is still reachable. */
        if (((j - k) & x->mask) < ((j - i) & x->mask))
            continue;
        x->slots[i] = x->slots[j];
        x->slots[j] = 0;
        i = j;
    }
}

/* The node of `member` for `hash`, or NIL. */
static uint32_t find_node(const struct rt_prefix_index *x, uint64_t hash, int member)
{
    uint32_t head = x->slots[find_slot(x, hash)];

    for (uint32_t n = head != 0 ? head - 1 : NIL; n != NIL; n = x->nodes[n].same) {
        if (x->nodes[n].member == member)
            return n;
    }
    return NIL;
}

/* ---------------------------------------------------------------- member LRU lists */

static void lru_unlink(struct rt_prefix_index *x, uint32_t n)
{
    struct node *d = &x->nodes[n];
    struct member *m = &x->members[d->member];

    if (d->prev != NIL)
        x->nodes[d->prev].next = d->next;
    else
        m->mru = d->next;
    if (d->next != NIL)
        x->nodes[d->next].prev = d->prev;
    else
        m->lru = d->prev;
}

static void lru_push_mru(struct rt_prefix_index *x, uint32_t n)
{
    struct node *d = &x->nodes[n];
    struct member *m = &x->members[d->member];

    d->prev = NIL;
    d->next = m->mru;
    if (m->mru != NIL)
        x->nodes[m->mru].prev = n;
    m->mru = n;
    if (m->lru == NIL)
        m->lru = n;
}

/* ---------------------------------------------------------------- nodes */

static void node_remove(struct rt_prefix_index *x, uint32_t n)
{
    struct node *d = &x->nodes[n];
    size_t slot = find_slot(x, d->hash);
    uint32_t head = x->slots[slot] - 1;

    lru_unlink(x, n);
    if (head == n) {
        if (d->same != NIL)
            x->slots[slot] = d->same + 1;
        else
            slot_delete(x, slot);
    } else {
        uint32_t p = head;
        while (x->nodes[p].same != n)
            p = x->nodes[p].same;
        x->nodes[p].same = d->same;
    }
    x->members[d->member].count--;
    x->blocks--;
    d->next = x->free;
    x->free = n;
}

static void evict_lru(struct rt_prefix_index *x, int member)
{
    node_remove(x, x->members[member].lru);
    x->evictions++;
}

/* Doubles the pool (up to the cap) and rebuilds the table for it. */
static bool grow(struct rt_prefix_index *x)
{
    if (x->ncap >= x->nmax)
        return false;
    size_t ncap = x->ncap * 2 < x->nmax ? x->ncap * 2 : x->nmax;
    uint32_t *old = x->slots;
    size_t old_size = x->mask + 1;

    x->nodes = xrealloc(x->nodes, ncap * sizeof(*x->nodes));
    x->ncap = ncap;
    size_t size = table_size_for(ncap);
    if (size != old_size) {
        table_alloc(x, size);
        for (size_t i = 0; i < old_size; i++) {
            if (old[i] != 0)
                x->slots[find_slot(x, x->nodes[old[i] - 1].hash)] = old[i];
        }
        free(old);
    }
    return true;
}

/* A node for a new pair: a free one, a new one, or one taken from the member that holds the
 * most (the memory cap). May change the table. */
static uint32_t node_alloc(struct rt_prefix_index *x)
{
    if (x->free == NIL && x->nfresh == x->ncap && !grow(x)) {
        size_t victim = 0;
        for (size_t i = 1; i < x->nmembers; i++) {
            if (x->members[i].count > x->members[victim].count)
                victim = i;
        }
        evict_lru(x, (int)victim);
        x->cap_evictions++;
    }
    if (x->free != NIL) {
        uint32_t n = x->free;
        x->free = x->nodes[n].next;
        return n;
    }
    return (uint32_t)x->nfresh++;
}

/* ---------------------------------------------------------------- members */

static bool valid(const struct rt_prefix_index *x, int member)
{
    return x != NULL && member >= 0 && (size_t)member < x->nmembers && x->members[member].used;
}

int rt_prefix_index_add_member(struct rt_prefix_index *x, size_t capacity)
{
    size_t i = 0;

    while (i < x->nmembers && x->members[i].used)
        i++;
    if (i >= RT_PREFIX_MAX_MEMBERS)
        return -1;
    if (i == x->nmembers) {
        size_t n = x->nmembers ? x->nmembers * 2 : 8;
        x->members = xrealloc(x->members, n * sizeof(*x->members));
        memset(x->members + x->nmembers, 0, (n - x->nmembers) * sizeof(*x->members));
        x->nmembers = n;
    }
    x->members[i] = (struct member){.used = true, .capacity = capacity, .mru = NIL, .lru = NIL};
    return (int)i;
}

void rt_prefix_index_clear_member(struct rt_prefix_index *x, int member)
{
    if (!valid(x, member))
        return;
    while (x->members[member].lru != NIL)
        node_remove(x, x->members[member].lru);
}

void rt_prefix_index_remove_member(struct rt_prefix_index *x, int member)
{
    if (!valid(x, member))
        return;
    rt_prefix_index_clear_member(x, member);
    x->members[member].used = false;
}

void rt_prefix_index_set_capacity(struct rt_prefix_index *x, int member, size_t capacity)
{
    if (!valid(x, member))
        return;
    struct member *m = &x->members[member];
    m->capacity = capacity;
    while (capacity > 0 && m->count > capacity)
        evict_lru(x, member);
}

size_t rt_prefix_index_member_blocks(const struct rt_prefix_index *x, int member)
{
    return valid(x, member) ? x->members[member].count : 0;
}

size_t rt_prefix_index_capacity(const struct rt_prefix_index *x, int member)
{
    return valid(x, member) ? x->members[member].capacity : 0;
}

/* ---------------------------------------------------------------- lookups and updates */

void rt_prefix_index_match(struct rt_prefix_index *x, const uint64_t *h, size_t n,
                           const int *members, size_t nmembers, uint32_t *depth)
{
    uint32_t stamp = ++x->stamp;
    size_t alive = 0;

    if (stamp == 0) { /* wrapped: old stamps could collide */
        for (size_t i = 0; i < x->nmembers; i++)
            x->members[i].stamp = 0;
        stamp = x->stamp = 1;
    }
    for (size_t k = 0; k < nmembers; k++) {
        if (valid(x, members[k]) && x->members[members[k]].stamp != stamp) {
            x->members[members[k]].stamp = stamp;
            x->members[members[k]].depth = 0;
            alive++;
        }
    }
    /* Block by block, a member still matching advances when it holds the next block too; stop
     * when none did. Cost: the members holding each block, for the matched blocks only. */
    for (size_t i = 0; i < n && alive > 0; i++) {
        if (i + AHEAD_SLOT < n)
            prefetch_slot(x, h[i + AHEAD_SLOT]);
        if (i + AHEAD_NODE < n)
            prefetch_node(x, h[i + AHEAD_NODE]);
        uint32_t head = x->slots[find_slot(x, h[i])];
        size_t advanced = 0;
        for (uint32_t d = head != 0 ? head - 1 : NIL; d != NIL; d = x->nodes[d].same) {
            struct member *m = &x->members[x->nodes[d].member];
            if (m->stamp == stamp && m->depth == i) {
                m->depth = (uint32_t)i + 1;
                advanced++;
            }
        }
        alive = advanced;
    }
    for (size_t k = 0; k < nmembers; k++)
        depth[k] = valid(x, members[k]) ? x->members[members[k]].depth : 0;
}

void rt_prefix_index_insert(struct rt_prefix_index *x, int member, const uint64_t *h, size_t n)
{
    if (!valid(x, member))
        return;
    size_t cap = x->members[member].capacity;
    if (cap > 0 && n > cap)
        n = cap; /* the rest would only evict the chain's own head */
    if (n > x->nmax)
        n = x->nmax;
    for (size_t i = n; i > 0; i--) {
        uint64_t hash = h[i - 1];
        if (i > AHEAD_SLOT)
            prefetch_slot(x, h[i - 1 - AHEAD_SLOT]);
        if (i > AHEAD_NODE)
            prefetch_node(x, h[i - 1 - AHEAD_NODE]);
        uint32_t d = find_node(x, hash, member);
        if (d != NIL) {
            if (x->members[member].mru != d) {
                lru_unlink(x, d);
                lru_push_mru(x, d);
            }
            continue;
        }
        if (cap > 0 && x->members[member].count >= cap)
            evict_lru(x, member);
        d = node_alloc(x);
        size_t slot = find_slot(x, hash); /* after any eviction or growth */
        x->nodes[d] = (struct node){.hash = hash,
                                    .same = x->slots[slot] != 0 ? x->slots[slot] - 1 : NIL,
                                    .member = (uint16_t)member};
        x->slots[slot] = d + 1;
        lru_push_mru(x, d);
        x->members[member].count++;
        x->blocks++;
    }
}

size_t rt_prefix_index_truncate(struct rt_prefix_index *x, int member, const uint64_t *h,
                                size_t from, size_t n)
{
    size_t dropped = 0;

    if (!valid(x, member))
        return 0;
    for (size_t i = from; i < n; i++) {
        uint32_t d = find_node(x, h[i], member);
        if (d != NIL) {
            node_remove(x, d);
            dropped++;
        }
    }
    return dropped;
}

void rt_prefix_index_stats(const struct rt_prefix_index *x, struct rt_prefix_stats *out)
{
    out->blocks = x->blocks;
    out->bytes = x->ncap * sizeof(*x->nodes) + (x->mask + 1) * sizeof(*x->slots) +
                 x->nmembers * sizeof(*x->members) + sizeof(*x);
    out->max_blocks = x->nmax;
    out->evictions = x->evictions;
    out->cap_evictions = x->cap_evictions;
}
