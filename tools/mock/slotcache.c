/* The per-slot ("static") KV cache simulation of infini-mock; see slotcache.h for the model.
 * Slots are a small array scanned linearly (there are max_batch of them); each resident
 * sequence is a growable array of block hashes. Pure; depends on libc and common/xalloc. */
#include "slotcache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct slot {
    uint64_t *hashes; /* resident sequence */
    size_t n, cap;
    uint64_t last_used; /* tick of the last acquire; 0 = never */
    bool busy;
};

struct mock_slotcache {
    struct slot *slots;
    size_t nslots, slot_blocks, used;
    uint64_t tick, evictions;
};

struct mock_slotcache *mock_slotcache_new(size_t nslots, size_t slot_blocks)
{
    struct mock_slotcache *c = xcalloc(1, sizeof(*c));

    SVC_ASSERT(nslots >= 1 && slot_blocks >= 1);
    c->slots = xcalloc(nslots, sizeof(*c->slots));
    c->nslots = nslots;
    c->slot_blocks = slot_blocks;
    return c;
}

void mock_slotcache_free(struct mock_slotcache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nslots; i++)
        free(c->slots[i].hashes);
    free(c->slots);
    free(c);
}

static size_t common_prefix(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0;

    while (i < na && i < nb && a[i] == b[i])
        i++;
    return i;
}

int mock_slotcache_acquire(struct mock_slotcache *c, const uint64_t *hashes, size_t n,
                           size_t *matched)
{
    int best = -1;
    size_t best_match = 0;

    for (size_t i = 0; i < c->nslots; i++) {
        const struct slot *s = &c->slots[i];
        if (s->busy)
            continue;
        size_t m = common_prefix(s->hashes, s->n, hashes, n);
        /* Longest reuse first; among equals the least recently used, so that a slot holding
         * something another conversation may come back for is overwritten last. */
        if (best < 0 || m > best_match ||
            (m == best_match && s->last_used < c->slots[best].last_used)) {
            best = (int)i;
            best_match = m;
        }
    }
    *matched = best >= 0 ? best_match : 0;
    if (best >= 0) {
        c->slots[best].busy = true;
        c->slots[best].last_used = ++c->tick;
    }
    return best;
}

void mock_slotcache_store(struct mock_slotcache *c, int slot, const uint64_t *hashes, size_t n)
{
    SVC_ASSERT(slot >= 0 && (size_t)slot < c->nslots);
    struct slot *s = &c->slots[slot];

    if (n > c->slot_blocks)
        n = c->slot_blocks;
    c->evictions += s->n - common_prefix(s->hashes, s->n, hashes, n);
    if (n > s->cap) {
        s->cap = n;
        s->hashes = xrealloc(s->hashes, n * sizeof(*s->hashes));
    }
    if (n > 0)
        memcpy(s->hashes, hashes, n * sizeof(*hashes));
    c->used = c->used - s->n + n;
    s->n = n;
}

void mock_slotcache_release(struct mock_slotcache *c, int slot)
{
    SVC_ASSERT(slot >= 0 && (size_t)slot < c->nslots);
    c->slots[slot].busy = false;
}

size_t mock_slotcache_used(const struct mock_slotcache *c)
{
    return c->used;
}

size_t mock_slotcache_capacity(const struct mock_slotcache *c)
{
    return c->nslots * c->slot_blocks;
}

uint64_t mock_slotcache_evictions(const struct mock_slotcache *c)
{
    return c->evictions;
}
