/* Prefix cache of the mock engine: block hashes (common/hash) chained like vLLM's, and an LRU
 * set of them. The set is an open-addressing table (linear probing, backward-shift deletion, load
 * at most 1/2) of indexes into a fixed node array; unpinned nodes form the LRU list, pinned ones
 * (referenced by running requests) are off it, free ones on a free list. Lookups, touches,
 * inserts, pins and evictions are O(1) per block and nothing is allocated after creation.
 * Anonymous blocks (held by running requests, no hash) are only a count against the capacity.
 * Pure; depends on libc, common/hash and common/xalloc only. */
#include "kvcache.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xalloc.h"

#define NIL UINT32_MAX

size_t mock_kvcache_block_hashes(const char *text, size_t len, size_t block_chars, uint64_t seed,
                                 uint64_t *out, size_t max)
{
    size_t n = block_chars > 0 ? len / block_chars : 0;
    uint64_t h = seed;

    for (size_t i = 0; i < n && i < max; i++) {
        h = hash64(text + i * block_chars, block_chars, h);
        out[i] = h;
    }
    return n;
}

/* ---------------------------------------------------------------- LRU set */

struct node {
    uint64_t hash;
    uint32_t prev, next; /* towards the most / least recently used end; next: free list */
    uint32_t refs;       /* running requests pinning it; on the LRU list only when 0 */
};

struct mock_kvcache {
    struct node *nodes; /* capacity entries: live, on the free list, or at `fresh` and after */
    uint32_t *slots;    /* node index + 1; 0 = empty */
    size_t capacity, used, mask;
    size_t fresh;        /* nodes never used yet start here */
    size_t pinned, anon; /* live nodes with refs > 0; anonymous blocks */
    int shift;           /* 64 - log2(table size), for Fibonacci hashing */
    uint32_t mru, lru;   /* list ends; NIL when empty */
    uint32_t free_head;  /* nodes freed by eviction; NIL when none */
    uint64_t evictions, overcommitted;
    struct mock_kvcache_observer obs;
};

struct mock_kvcache *mock_kvcache_new(size_t capacity)
{
    struct mock_kvcache *c = xcalloc(1, sizeof(*c));
    size_t size = 16;
    int bits = 4;

    SVC_ASSERT(capacity >= 1 && capacity <= MOCK_KVCACHE_MAX_BLOCKS);
    while (size < capacity * 2) {
        size *= 2;
        bits++;
    }
    c->nodes = xcalloc(capacity, sizeof(*c->nodes));
    c->slots = xcalloc(size, sizeof(*c->slots));
    c->capacity = capacity;
    c->mask = size - 1;
    c->shift = 64 - bits;
    c->mru = c->lru = c->free_head = NIL;
    return c;
}

void mock_kvcache_free(struct mock_kvcache *c)
{
    if (c == NULL)
        return;
    free(c->nodes);
    free(c->slots);
    free(c);
}

static inline size_t home(const struct mock_kvcache *c, uint64_t hash)
{
    /* Callers may pick any 64-bit values (tests use 1, 2, 3...): spread them. */
    return (size_t)((hash * 0x9E3779B97F4A7C15ULL) >> c->shift);
}

/* Slot holding `hash`, or the empty slot where it would go. */
static size_t find_slot(const struct mock_kvcache *c, uint64_t hash)
{
    size_t i = home(c, hash);

    while (c->slots[i] != 0 && c->nodes[c->slots[i] - 1].hash != hash)
        i = (i + 1) & c->mask;
    return i;
}

bool mock_kvcache_contains(const struct mock_kvcache *c, uint64_t hash)
{
    return c->slots[find_slot(c, hash)] != 0;
}

size_t mock_kvcache_match(const struct mock_kvcache *c, const uint64_t *hashes, size_t n)
{
    size_t i = 0;

    while (i < n && mock_kvcache_contains(c, hashes[i]))
        i++;
    return i;
}

/* Removes the entry in slot `i`, shifting later members of its probe run back. */
static void slot_delete(struct mock_kvcache *c, size_t i)
{
    size_t j = i;

    c->slots[i] = 0;
    for (;;) {
        j = (j + 1) & c->mask;
        if (c->slots[j] == 0)
            return;
        size_t k = home(c, c->nodes[c->slots[j] - 1].hash);
        /* Leave the entry when its home lies cyclically in (i, j]: it is still reachable. */
        if (((j - k) & c->mask) < ((j - i) & c->mask))
            continue;
        c->slots[i] = c->slots[j];
        c->slots[j] = 0;
        i = j;
    }
}

static void list_unlink(struct mock_kvcache *c, uint32_t n)
{
    struct node *x = &c->nodes[n];

    if (x->prev != NIL)
        c->nodes[x->prev].next = x->next;
    else
        c->mru = x->next;
    if (x->next != NIL)
        c->nodes[x->next].prev = x->prev;
    else
        c->lru = x->prev;
}

static void list_push_mru(struct mock_kvcache *c, uint32_t n)
{
    struct node *x = &c->nodes[n];

    x->prev = NIL;
    x->next = c->mru;
    if (c->mru != NIL)
        c->nodes[c->mru].prev = n;
    c->mru = n;
    if (c->lru == NIL)
        c->lru = n;
}

/* Drops the least recently used unpinned block and reports it; false when every cached block
 * is pinned (or none is cached). */
static bool drop_lru(struct mock_kvcache *c)
{
    uint32_t victim = c->lru;

    if (victim == NIL)
        return false;
    list_unlink(c, victim);
    slot_delete(c, find_slot(c, c->nodes[victim].hash));
    c->nodes[victim].next = c->free_head;
    c->free_head = victim;
    c->used--;
    if (c->obs.evicted != NULL)
        c->obs.evicted(c->obs.ud, c->nodes[victim].hash);
    return true;
}

static bool evict_lru(struct mock_kvcache *c)
{
    if (!drop_lru(c))
        return false;
    c->evictions++;
    return true;
}

/* Whether one more block fits without going over the capacity. */
static bool is_full(const struct mock_kvcache *c)
{
    return c->used + c->anon >= c->capacity;
}

/* A node for a new entry (the caller made room first), or NIL when all are live. */
static uint32_t alloc_node(struct mock_kvcache *c)
{
    uint32_t n = c->free_head;

    if (n != NIL)
        c->free_head = c->nodes[n].next;
    else if (c->fresh < c->capacity)
        n = (uint32_t)c->fresh++;
    else
        return NIL;
    c->used++;
    c->nodes[n].refs = 0;
    return n;
}

/* Adds `hash` (absent) as a new entry, evicting while the cache is full; reports it as block
 * `index`. Returns the node, or NIL when every entry is pinned and either no node is left or
 * `must_fit` and the cache is still full. */
static uint32_t add_entry(struct mock_kvcache *c, uint64_t hash, size_t index, bool must_fit)
{
    while (is_full(c) && evict_lru(c)) {
    }
    if (must_fit && is_full(c))
        return NIL;
    uint32_t n = alloc_node(c);
    if (n == NIL)
        return NIL;
    /* Eviction may have shifted entries into the probe run: look the slot up now. */
    c->slots[find_slot(c, hash)] = n + 1;
    c->nodes[n].hash = hash;
    if (c->obs.stored != NULL)
        c->obs.stored(c->obs.ud, index);
    return n;
}

static void touch(struct mock_kvcache *c, uint64_t hash, size_t index)
{
    size_t i = find_slot(c, hash);

    if (c->slots[i] != 0) {
        uint32_t n = c->slots[i] - 1;
        if (c->nodes[n].refs == 0 && c->mru != n) {
            list_unlink(c, n);
            list_push_mru(c, n);
        }
        return;
    }
    uint32_t n = add_entry(c, hash, index, true);
    if (n != NIL)
        list_push_mru(c, n);
}

void mock_kvcache_insert(struct mock_kvcache *c, const uint64_t *hashes, size_t n)
{
    /* Only the first `capacity` blocks can stay: touching the others would just evict them
     * again (and the chain's own head with them). */
    if (n > c->capacity)
        n = c->capacity;
    for (size_t i = n; i > 0; i--)
        touch(c, hashes[i - 1], i - 1);
}

void mock_kvcache_set_observer(struct mock_kvcache *c, const struct mock_kvcache_observer *o)
{
    c->obs = o != NULL ? *o : (struct mock_kvcache_observer){0};
}

/* ---------------------------------------------------------------- running requests' blocks */

void mock_kvcache_pin(struct mock_kvcache *c, const uint64_t *hashes, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = find_slot(c, hashes[k]);
        SVC_ASSERT(c->slots[i] != 0);
        struct node *x = &c->nodes[c->slots[i] - 1];
        if (x->refs++ == 0) {
            list_unlink(c, c->slots[i] - 1);
            c->pinned++;
        }
    }
}

void mock_kvcache_unpin(struct mock_kvcache *c, const uint64_t *hashes, size_t n)
{
    for (size_t k = n; k > 0; k--) {
        size_t i = find_slot(c, hashes[k - 1]);
        SVC_ASSERT(c->slots[i] != 0 && c->nodes[c->slots[i] - 1].refs > 0);
        uint32_t x = c->slots[i] - 1;
        if (--c->nodes[x].refs == 0) {
            list_push_mru(c, x);
            c->pinned--;
        }
    }
}

size_t mock_kvcache_take(struct mock_kvcache *c, size_t n)
{
    size_t over = 0;

    for (size_t k = 0; k < n; k++) {
        if (is_full(c) && !evict_lru(c))
            over++;
        c->anon++;
    }
    c->overcommitted += over;
    return over;
}

void mock_kvcache_give(struct mock_kvcache *c, size_t n)
{
    SVC_ASSERT(n <= c->anon);
    c->anon -= n;
}

size_t mock_kvcache_store_pinned(struct mock_kvcache *c, const uint64_t *hashes, size_t from,
                                 size_t n)
{
    size_t k;

    for (k = from; k < n; k++) {
        SVC_ASSERT(c->anon > 0);
        size_t i = find_slot(c, hashes[k]);
        if (c->slots[i] != 0) {
            /* Cached meanwhile (or further down a broken chain): share it, as vLLM would use the
             * cached block for a later request. */
            c->anon--;
            mock_kvcache_pin(c, &hashes[k], 1);
            continue;
        }
        /* The anonymous block becomes the entry: it needs a node, not room (when over-committed,
         * making room evicts what was unpinned since). */
        c->anon--;
        uint32_t x = add_entry(c, hashes[k], k, false);
        if (x == NIL) {
            c->anon++;
            break;
        }
        c->nodes[x].refs = 1;
        c->pinned++;
    }
    return k;
}

/* ---------------------------------------------------------------- the whole cache */

bool mock_kvcache_clear(struct mock_kvcache *c)
{
    if (c->pinned > 0) {
        while (drop_lru(c)) {
        }
        return false;
    }
    memset(c->slots, 0, (c->mask + 1) * sizeof(*c->slots));
    c->used = c->fresh = 0;
    c->mru = c->lru = c->free_head = NIL;
    return true;
}

size_t mock_kvcache_used(const struct mock_kvcache *c)
{
    return c->used;
}

size_t mock_kvcache_capacity(const struct mock_kvcache *c)
{
    return c->capacity;
}

uint64_t mock_kvcache_evictions(const struct mock_kvcache *c)
{
    return c->evictions;
}

size_t mock_kvcache_pinned(const struct mock_kvcache *c)
{
    return c->pinned;
}

size_t mock_kvcache_anonymous(const struct mock_kvcache *c)
{
    return c->anon;
}

uint64_t mock_kvcache_overcommitted(const struct mock_kvcache *c)
{
    return c->overcommitted;
}

bool mock_kvcache_lru(const struct mock_kvcache *c, uint64_t *hash)
{
    if (c->lru == NIL)
        return false;
    *hash = c->nodes[c->lru].hash;
    return true;
}
