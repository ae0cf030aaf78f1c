/* Session table. Depends on libc and common/xalloc. */
#include "session.h"

#include <stdlib.h>

#include "xalloc.h"

struct entry {
    uint64_t key; /* 0 = empty (key 0 is stored as 1) */
    uint64_t instance;
    double expires;
};

struct rt_sessions {
    struct entry *e;
    size_t size, count, max;
};

struct rt_sessions *rt_sessions_new(size_t max_entries)
{
    struct rt_sessions *s = xcalloc(1, sizeof(*s));

    s->max = max_entries < 16 ? 16 : max_entries;
    s->size = 64;
    s->e = xcalloc(s->size, sizeof(*s->e));
    return s;
}

void rt_sessions_free(struct rt_sessions *s)
{
    if (s == NULL)
        return;
    free(s->e);
    free(s);
}

static inline uint64_t norm(uint64_t key)
{
    return key != 0 ? key : 1;
}

static inline size_t home(const struct rt_sessions *s, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (s->size - 1);
}

static size_t find(const struct rt_sessions *s, uint64_t key)
{
    size_t i = home(s, key);

    while (s->e[i].key != 0 && s->e[i].key != key)
        i = (i + 1) & (s->size - 1);
    return i;
}

static void delete_at(struct rt_sessions *s, size_t i)
{
    size_t mask = s->size - 1, j = i;

    s->e[i].key = 0;
    s->count--;
    for (;;) {
        j = (j + 1) & mask;
        if (s->e[j].key == 0)
            return;
        size_t k = home(s, s->e[j].key);
        if (((j - k) & mask) < ((j - i) & mask))
            continue;
        s->e[i] = s->e[j];
        s->e[j].key = 0;
        i = j;
    }
}

static void grow(struct rt_sessions *s)
{
    struct entry *old = s->e;
    size_t old_size = s->size;

    s->size *= 2;
    s->e = xcalloc(s->size, sizeof(*s->e));
    for (size_t i = 0; i < old_size; i++) {
        if (old[i].key != 0)
            s->e[find(s, old[i].key)] = old[i];
    }
    free(old);
}

/* Drops expired entries (a full sweep: only when the table is at its bound). */
static void sweep(struct rt_sessions *s, double now)
{
    for (size_t i = 0; i < s->size;) {
        if (s->e[i].key != 0 && s->e[i].expires <= now)
            delete_at(s, i); /* an entry may have shifted into i: look again */
        else
            i++;
    }
}

bool rt_sessions_get(struct rt_sessions *s, uint64_t key, double now, uint64_t *instance)
{
    size_t i = find(s, norm(key));

    if (s->e[i].key == 0)
        return false;
    if (s->e[i].expires <= now) {
        delete_at(s, i);
        return false;
    }
    *instance = s->e[i].instance;
    return true;
}

void rt_sessions_put(struct rt_sessions *s, uint64_t key, uint64_t instance, double now,
                     double expires)
{
    key = norm(key);
    size_t i = find(s, key);
    if (s->e[i].key == 0) {
        if (s->count >= s->max) {
            sweep(s, now);
            if (s->count >= s->max) { /* all live: replace the entry nearest the key's home */
                size_t j = home(s, key);
                while (s->e[j].key == 0)
                    j = (j + 1) & (s->size - 1);
                delete_at(s, j);
            }
        } else if ((s->count + 1) * 4 > s->size * 3) {
            grow(s);
        }
        i = find(s, key);
        s->count++;
    }
    s->e[i] = (struct entry){key, instance, expires};
}

size_t rt_sessions_count(const struct rt_sessions *s)
{
    return s->count;
}
