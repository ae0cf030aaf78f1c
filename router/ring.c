/* Consistent-hash ring (key order only), in one of two modes chosen by size alone (so every
 * router picks the same one for the same members):
 * - up to RT_RING_RENDEZVOUS_MAX distinct names, rendezvous (highest random weight) hashing: a
 *   key visits members in descending hash(key, name) order. That is the limit of infinitely
 *   many points per member: no vnode imbalance, and a join or leave moves exactly the keys of
 *   the member that changed. It costs one hash per member per lookup, cheap at this size.
 * - above it, vnode points, where hashing every member per lookup would cost too much and the
 *   imbalance of 160 points per member is small next to each member's share.
 * Points live in two parallel arrays sorted by position
 * (positions alone for a cache-friendly binary search, owners beside them), built once by a
 * bucket sort on the top bits of the uniformly distributed positions, which is linear in
 * practice where qsort would take tens of milliseconds for 1,000 members x 160 points. A walk
 * remembers the members it has met in a small on-stack array and switches to a bitmap only for
 * long walks, so the common lookup touches no allocator. Depends on common/hash, common/xalloc
 * and libc only. */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xalloc.h"

#define RING_NONE       UINT32_MAX
#define WALK_SMALL      16
#define WALK_STACK_BITS 1024 /* words: bitmaps for up to 65536 members stay on the stack */

struct rt_ring {
    size_t n_members;  /* as given, duplicates included */
    size_t n_distinct; /* distinct names: a walk that met this many has met everyone */
    uint64_t *seed;    /* rendezvous mode: [n_distinct] hashes of the names, in name order */
    uint32_t *rep;     /* rendezvous mode: [n_distinct] lowest member index of each name */
    size_t n_points;
    uint64_t *pos;      /* ascending */
    uint32_t *owner;    /* lowest member index carrying the point's name */
    uint32_t *next_dup; /* [n_members]: next index with the same name, or RING_NONE */
};

/* A point while building: the name decides ties between equal positions. */
struct bpoint {
    uint64_t pos;
    const char *name;
    uint32_t member;
};

struct named {
    const char *name;
    uint32_t idx;
};

static int named_cmp(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool bpoint_less(const struct bpoint *a, const struct bpoint *b)
{
    if (a->pos != b->pos)
        return a->pos < b->pos;
    return strcmp(a->name, b->name) < 0;
}

static int bpoint_cmp(const void *a, const void *b)
{
    const struct bpoint *x = a, *y = b;

    return bpoint_less(x, y) ? -1 : bpoint_less(y, x);
}

static void insertion_sort(struct bpoint *p, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct bpoint v = p[i];
        size_t j = i;
        while (j > 0 && bpoint_less(&v, &p[j - 1])) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = v;
    }
}

/* Sorts `in` into `out` (both n entries): scatter by the top bits (positions are hash values,
 * so buckets hold ~2 points), then sort each bucket. A pathological bucket falls back to qsort,
 * so the worst case stays O(n log n). */
static void sort_points(const struct bpoint *in, struct bpoint *out, size_t n)
{
    unsigned bits = 1;
    while (bits < 24 && ((size_t)1 << bits) < n / 2)
        bits++;
    size_t nb = (size_t)1 << bits;
    uint32_t *end = xcalloc(nb + 1, sizeof(*end));

    for (size_t i = 0; i < n; i++)
        end[(in[i].pos >> (64 - bits)) + 1]++;
    for (size_t b = 1; b <= nb; b++)
        end[b] += end[b - 1];
    /* end[b] is now the start of bucket b; scattering advances it to the bucket's end. */
    for (size_t i = 0; i < n; i++)
        out[end[in[i].pos >> (64 - bits)]++] = in[i];
    for (size_t b = 0, start = 0; b < nb; start = end[b], b++) {
        size_t len = end[b] - start;
        if (len > 32)
            qsort(out + start, len, sizeof(*out), bpoint_cmp);
        else if (len > 1)
            insertion_sort(out + start, len);
    }
    free(end);
}

/* Links members with equal names (next_dup, in index order) and returns how many distinct
 * names there are; *rep_of[i] receives the lowest index carrying names[i]; `reps` (may be
 * NULL) receives those lowest indexes in name order. */
static size_t group_names(struct rt_ring *r, const char *const *names, uint32_t *rep_of,
                          uint32_t *reps)
{
    size_t n = r->n_members, distinct = 0;
    struct named *byname = xmalloc((n ? n : 1) * sizeof(*byname));

    for (size_t i = 0; i < n; i++)
        byname[i] = (struct named){names[i], (uint32_t)i};
    qsort(byname, n, sizeof(*byname), named_cmp);
    for (size_t i = 0; i < n; i++) {
        r->next_dup[i] = RING_NONE;
        if (i == 0 || strcmp(byname[i - 1].name, byname[i].name) != 0) {
            if (reps != NULL)
                reps[distinct] = byname[i].idx;
            distinct++;
            rep_of[byname[i].idx] = byname[i].idx;
        } else {
            rep_of[byname[i].idx] = rep_of[byname[i - 1].idx];
        }
    }
    for (size_t i = 1; i < n; i++)
        if (rep_of[byname[i].idx] == rep_of[byname[i - 1].idx])
            r->next_dup[byname[i - 1].idx] = byname[i].idx;
    free(byname);
    return distinct;
}

struct rt_ring *rt_ring_new(const char *const *names, size_t n, unsigned vnodes)
{
    if (vnodes == 0)
        vnodes = RT_RING_DEFAULT_VNODES;
    if (vnodes > RT_RING_MAX_VNODES || n > RT_RING_MAX_MEMBERS || (n > 0 && names == NULL))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (names[i] == NULL)
            return NULL;

    struct rt_ring *r = xcalloc(1, sizeof(*r));
    uint32_t *rep_of = xmalloc((n ? n : 1) * sizeof(*rep_of));
    uint32_t *reps = xmalloc((n ? n : 1) * sizeof(*reps));
    r->n_members = n;
    r->next_dup = xmalloc((n ? n : 1) * sizeof(*r->next_dup));
    r->n_distinct = group_names(r, names, rep_of, reps);
    if (r->n_distinct <= RT_RING_RENDEZVOUS_MAX) {
        r->rep = reps;
        r->seed = xmalloc((r->n_distinct ? r->n_distinct : 1) * sizeof(*r->seed));
        for (size_t i = 0; i < r->n_distinct; i++)
            r->seed[i] = hash64_str(names[reps[i]]);
        free(rep_of);
        return r;
    }
    free(reps);
    if (r->n_distinct * vnodes > RT_RING_MAX_POINTS) {
        free(rep_of);
        rt_ring_free(r);
        return NULL;
    }
    r->n_points = r->n_distinct * vnodes;

    size_t np = r->n_points, k = 0;
    struct bpoint *pts = xmalloc((np ? np : 1) * 2 * sizeof(*pts));
    for (size_t i = 0; i < n; i++) {
        if (rep_of[i] != i)
            continue;
        uint64_t h = hash64_str(names[i]);
        for (unsigned v = 0; v < vnodes; v++)
            pts[k++] = (struct bpoint){hash64_u64(v, h), names[i], (uint32_t)i};
    }
    sort_points(pts, pts + np, np);
    r->pos = xmalloc((np ? np : 1) * sizeof(*r->pos));
    r->owner = xmalloc((np ? np : 1) * sizeof(*r->owner));
    for (size_t i = 0; i < np; i++) {
        r->pos[i] = pts[np + i].pos;
        r->owner[i] = pts[np + i].member;
    }
    free(pts);
    free(rep_of);
    return r;
}

void rt_ring_free(struct rt_ring *r)
{
    if (r == NULL)
        return;
    free(r->pos);
    free(r->owner);
    free(r->next_dup);
    free(r->seed);
    free(r->rep);
    free(r);
}

size_t rt_ring_size(const struct rt_ring *r)
{
    return r->n_members;
}

/* Index of the first point at or after `key`, or n_points when there is none (wrap to 0).
 * Branch-free halving: the loop runs log2(n) times whatever the key. */
static size_t lower_bound(const uint64_t *pos, size_t n, uint64_t key)
{
    const uint64_t *b = pos;

    while (n > 1) {
        size_t half = n / 2;
        b = (b[half - 1] < key) ? b + half : b;
        n -= half;
    }
    return (size_t)(b - pos) + (*b < key);
}

/* Members met so far on one walk. */
struct visited {
    uint32_t small[WALK_SMALL];
    size_t n_small;
    uint64_t *bits; /* NULL until the small array overflows */
    bool heap;
    uint64_t stack_bits[WALK_STACK_BITS];
};

/* Marks `m` as met; returns whether it had been met already. */
static bool visit(struct visited *v, uint32_t m, size_t n_members)
{
    if (v->bits != NULL) {
        uint64_t mask = UINT64_C(1) << (m % 64);
        bool was = (v->bits[m / 64] & mask) != 0;
        v->bits[m / 64] |= mask;
        return was;
    }
    for (size_t i = 0; i < v->n_small; i++)
        if (v->small[i] == m)
            return true;
    if (v->n_small < WALK_SMALL) {
        v->small[v->n_small++] = m;
        return false;
    }
    size_t words = (n_members + 63) / 64;
    if (words <= WALK_STACK_BITS) {
        v->bits = v->stack_bits;
        memset(v->bits, 0, words * sizeof(*v->bits));
    } else {
        v->bits = xcalloc(words, sizeof(*v->bits));
        v->heap = true;
    }
    for (size_t i = 0; i < v->n_small; i++)
        v->bits[v->small[i] / 64] |= UINT64_C(1) << (v->small[i] % 64);
    return visit(v, m, n_members);
}

/* Rendezvous walk: members in descending score order, found by repeated selection (a walk
 * almost always stops at the first member, so sorting every score would be wasted). */
static int walk_rendezvous(const struct rt_ring *r, uint64_t key_hash, rt_ring_accept_cb accept,
                           void *ud)
{
    uint64_t score[RT_RING_RENDEZVOUS_MAX];
    uint64_t met[RT_RING_RENDEZVOUS_MAX / 64] = {0};
    size_t k = r->n_distinct;

    for (size_t i = 0; i < k; i++)
        score[i] = hash64_u64(key_hash, r->seed[i]);
    for (size_t round = 0; round < k; round++) {
        size_t best = k;
        for (size_t i = 0; i < k; i++) {
            bool seen = (met[i / 64] >> (i % 64)) & 1u;
            /* Equal scores go to the name that sorts first (the lower index). */
            if (!seen && (best == k || score[i] > score[best]))
                best = i;
        }
        met[best / 64] |= UINT64_C(1) << (best % 64);
        for (uint32_t j = r->rep[best]; j != RING_NONE; j = r->next_dup[j]) {
            if (accept(ud, j))
                return (int)j;
        }
    }
    return -1;
}

int rt_ring_walk(const struct rt_ring *r, uint64_t key_hash, rt_ring_accept_cb accept, void *ud)
{
    size_t np = r->n_points;

    if (r->seed != NULL)
        return walk_rendezvous(r, key_hash, accept, ud);
    if (np == 0)
        return -1;

    struct visited v;
    v.n_small = 0;
    v.bits = NULL;
    v.heap = false;
    int found = -1;
    size_t i = lower_bound(r->pos, np, key_hash), seen = 0;
    uint32_t last = RING_NONE;
    if (i == np)
        i = 0;
    for (size_t step = 0; step < np; step++) {
        uint32_t m = r->owner[i];
        if (++i == np)
            i = 0;
        /* Neighbouring points often share an owner; skip those without a lookup. */
        if (m == last)
            continue;
        last = m;
        if (visit(&v, m, r->n_members))
            continue;
        for (uint32_t j = m; j != RING_NONE; j = r->next_dup[j]) {
            if (accept(ud, j)) {
                found = (int)j;
                goto out;
            }
        }
        if (++seen == r->n_distinct)
            break;
    }
out:
    if (v.heap)
        free(v.bits);
    return found;
}
