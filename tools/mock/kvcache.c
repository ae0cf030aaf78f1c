/* Prefix cache of the mock engine: block hashes (common/hash) chained like vLLM's, and an LRU
 * set of them. The set is an open-addressing table (linear probing, backward-shift deletion, load
 * at most 1/2) of indexes into a fixed node array whose nodes form the LRU list, so lookups,
 * touches, inserts and evictions are O(1) and nothing is allocated after creation.
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
    uint32_t prev, next; /* towards the most / least recently used end */
};

struct mock_kvcache {
    struct node *nodes; /* capacity entries; the first `used` are live */
    uint32_t *slots;    /* node index + 1; 0 = empty */
    size_t capacity, used, mask;
    int shift;         /* 64 - log2(table size), for Fibonacci hashing */
    uint32_t mru, lru; /* list ends; NIL when empty */
    uint64_t evictions;
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
    c->mru = c->lru = NIL;
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

/* Takes a node for a new entry: a fresh one, or the evicted least recently used one. */
static uint32_t take_node(struct mock_kvcache *c)
{
    if (c->used < c->capacity)
        return (uint32_t)c->used++;
    uint32_t victim = c->lru;
    list_unlink(c, victim);
    slot_delete(c, find_slot(c, c->nodes[victim].hash));
    c->evictions++;
    if (c->obs.evicted != NULL)
        c->obs.evicted(c->obs.ud, c->nodes[victim].hash);
    return victim;
}

static void touch(struct mock_kvcache *c, uint64_t hash, size_t index)
{
    size_t i = find_slot(c, hash);

    if (c->slots[i] != 0) {
        uint32_t n = c->slots[i] - 1;
        if (c->mru != n) {
            list_unlink(c, n);
            list_push_mru(c, n);
        }
        return;
    }
    uint32_t n = take_node(c);
    /* Eviction may have shifted entries into the probe run: look the slot up again. */
    i = find_slot(c, hash);
    c->nodes[n].hash = hash;
    c->slots[i] = n + 1;
    list_push_mru(c, n);
    if (c->obs.stored != NULL)
        c->obs.stored(c->obs.ud, index);
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

void mock_kvcache_clear(struct mock_kvcache *c)
{
    memset(c->slots, 0, (c->mask + 1) * sizeof(*c->slots));
    c->used = 0;
    c->mru = c->lru = NIL;
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

bool mock_kvcache_lru(const struct mock_kvcache *c, uint64_t *hash)
{
    if (c->lru == NIL)
        return false;
    *hash = c->nodes[c->lru].hash;
    return true;
}
