/* Decayed request counts. Depends on libc and common/xalloc. */
#include "demand.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "xalloc.h"

#define PROBES 8

struct entry {
    uint64_t key; /* 0 = empty (key 0 is stored as 1) */
    double count; /* as of `at` */
    double at;
};

struct rt_demand {
    struct entry *e;
    size_t mask;
};

struct rt_demand *rt_demand_new(size_t slots)
{
    struct rt_demand *d = xcalloc(1, sizeof(*d));
    size_t n = 64;

    while (n < slots)
        n *= 2;
    d->e = xcalloc(n, sizeof(*d->e));
    d->mask = n - 1;
    return d;
}

void rt_demand_free(struct rt_demand *d)
{
    if (d == NULL)
        return;
    free(d->e);
    free(d);
}

static double decayed(const struct entry *e, double now)
{
    return now > e->at ? e->count * exp(-(now - e->at) / RT_DEMAND_DECAY_S) : e->count;
}

/* Adds one to `key`'s count and returns it. */
static double bump(struct rt_demand *d, uint64_t key, double now)
{
    size_t home = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & d->mask;
    size_t victim = home;
    double weakest = INFINITY;

    key = key != 0 ? key : 1;
    for (size_t k = 0; k < PROBES; k++) {
        struct entry *e = &d->e[(home + k) & d->mask];
        if (e->key == key || e->key == 0) {
            e->count = (e->key == key ? decayed(e, now) : 0) + 1;
            e->key = key;
            e->at = now;
            return e->count;
        }
        double c = decayed(e, now);
        if (c < weakest) {
            weakest = c;
            victim = (home + k) & d->mask;
        }
    }
    d->e[victim] = (struct entry){key, 1, now};
    return 1;
}

double rt_demand_note(struct rt_demand *d, uint64_t key, uint64_t total_key, double now)
{
    double mine = bump(d, key, now);
    double total = bump(d, total_key ^ UINT64_C(0x746f74616c), now);

    return total >= mine ? mine / total : 1.0;
}
