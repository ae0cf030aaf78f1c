/* Prefix cache of the mock engine: XXH64 block hashes chained like vLLM's, and an LRU set of
 * them. The set is an open-addressing table (linear probing, backward-shift deletion, load at
 * most 1/2) of indexes into a fixed node array whose nodes form the LRU list, so lookups,
 * touches, inserts and evictions are O(1) and nothing is allocated after creation.
 * Pure; depends on libc and common/xalloc only. */
#include "kvcache.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define NIL UINT32_MAX

/* ---------------------------------------------------------------- XXH64 */

static const uint64_t P1 = 0x9E3779B185EBCA87ULL;
static const uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t P3 = 0x165667B19E3779F9ULL;
static const uint64_t P4 = 0x85EBCA77C2B2AE63ULL;
static const uint64_t P5 = 0x27D4EB2F165667C5ULL;

static inline uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Little-endian reads through memcpy: no alignment or aliasing assumptions. */
static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t read32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t round64(uint64_t acc, uint64_t input)
{
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t merge64(uint64_t acc, uint64_t val)
{
    acc ^= round64(0, val);
    return acc * P1 + P4;
}

uint64_t mock_kvcache_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t h;

    if (len >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        const unsigned char *limit = end - 32;
        do {
            v1 = round64(v1, read64(p));
            v2 = round64(v2, read64(p + 8));
            v3 = round64(v3, read64(p + 16));
            v4 = round64(v4, read64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge64(h, v1);
        h = merge64(h, v2);
        h = merge64(h, v3);
        h = merge64(h, v4);
    } else {
        h = seed + P5;
    }
    h += (uint64_t)len;
    for (; p + 8 <= end; p += 8) {
        h ^= round64(0, read64(p));
        h = rotl(h, 27) * P1 + P4;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)read32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++) {
        h ^= (uint64_t)*p * P5;
        h = rotl(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

size_t mock_kvcache_block_hashes(const char *text, size_t len, size_t block_chars, uint64_t seed,
                                 uint64_t *out, size_t max)
{
    size_t n = block_chars > 0 ? len / block_chars : 0;
    uint64_t h = seed;

    for (size_t i = 0; i < n && i < max; i++) {
        h = mock_kvcache_hash(text + i * block_chars, block_chars, h);
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
    return victim;
}

static void touch(struct mock_kvcache *c, uint64_t hash)
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
}

void mock_kvcache_insert(struct mock_kvcache *c, const uint64_t *hashes, size_t n)
{
    /* Only the first `capacity` blocks can stay: touching the others would just evict them
     * again (and the chain's own head with them). */
    if (n > c->capacity)
        n = c->capacity;
    for (size_t i = n; i > 0; i--)
        touch(c, hashes[i - 1]);
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
