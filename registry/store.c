/* Record map: chained hash table (FNV-1a, power-of-two buckets, doubled at load factor 1) plus
 * a doubly linked list in registration order. Depends on registry/record. */
#include "store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

struct reg_store {
    struct reg_record **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    struct reg_record *head, *tail;
    uint64_t next_id;
    double heartbeat_timeout;
    double expire_after;
    reg_store_change_cb on_change;
    void *change_ud;
};

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

struct reg_store *reg_store_new(double heartbeat_timeout, double expire_after)
{
    struct reg_store *s = xcalloc(1, sizeof(*s));

    s->nbuckets = 64;
    s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
    s->heartbeat_timeout = heartbeat_timeout;
    s->expire_after = expire_after;
    return s;
}

void reg_store_free(struct reg_store *s)
{
    if (s == NULL)
        return;
    struct reg_record *r = s->head;
    while (r != NULL) {
        struct reg_record *next = r->next;
        reg_record_free(r);
        r = next;
    }
    free(s->buckets);
    free(s);
}

void reg_store_on_change(struct reg_store *s, reg_store_change_cb cb, void *ud)
{
    s->on_change = cb;
    s->change_ud = ud;
}

void reg_store_touch(struct reg_store *s)
{
    if (s->on_change != NULL)
        s->on_change(s->change_ud);
}

struct reg_record *reg_store_get(const struct reg_store *s, const char *name)
{
    uint32_t h = hash_name(name);

    for (struct reg_record *r = s->buckets[h & (s->nbuckets - 1)]; r != NULL; r = r->hnext) {
        if (r->hash == h && strcmp(r->name, name) == 0)
            return r;
    }
    return NULL;
}

static void grow(struct reg_store *s)
{
    size_t n = s->nbuckets * 2;
    struct reg_record **b = xcalloc(n, sizeof(*b));

    for (struct reg_record *r = s->head; r != NULL; r = r->next) {
        size_t i = r->hash & (n - 1);
        r->hnext = b[i];
        b[i] = r;
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
}

/* Unlinks `rec` from its bucket and the list; does not free it. */
static void unlink_record(struct reg_store *s, struct reg_record *rec)
{
    struct reg_record **pp = &s->buckets[rec->hash & (s->nbuckets - 1)];

    while (*pp != rec)
        pp = &(*pp)->hnext;
    *pp = rec->hnext;
    if (rec->prev != NULL)
        rec->prev->next = rec->next;
    else
        s->head = rec->next;
    if (rec->next != NULL)
        rec->next->prev = rec->prev;
    else
        s->tail = rec->prev;
    s->count--;
}

bool reg_store_put(struct reg_store *s, struct reg_record *rec)
{
    struct reg_record *old = reg_store_get(s, rec->name);

    if (old != NULL) {
        unlink_record(s, old);
        reg_record_free(old);
    }
    if (s->count >= s->nbuckets)
        grow(s);
    rec->hash = hash_name(rec->name);
    rec->id = ++s->next_id;
    size_t i = rec->hash & (s->nbuckets - 1);
    rec->hnext = s->buckets[i];
    s->buckets[i] = rec;
    rec->next = NULL;
    rec->prev = s->tail;
    if (s->tail != NULL)
        s->tail->next = rec;
    else
        s->head = rec;
    s->tail = rec;
    s->count++;
    reg_store_touch(s);
    return old != NULL;
}

int reg_store_remove(struct reg_store *s, const char *name)
{
    struct reg_record *rec = reg_store_get(s, name);

    if (rec == NULL)
        return SVC_ENOTFOUND;
    unlink_record(s, rec);
    reg_record_free(rec);
    reg_store_touch(s);
    return 0;
}

size_t reg_store_expire(struct reg_store *s, double now, reg_store_expired_cb cb, void *ud)
{
    size_t removed = 0;
    struct reg_record *r = s->head;

    while (r != NULL) {
        struct reg_record *next = r->next;
        double age = now - r->last_heartbeat;
        if (age > s->expire_after) {
            if (cb != NULL)
                cb(ud, r, age);
            unlink_record(s, r);
            reg_record_free(r);
            removed++;
        }
        r = next;
    }
    if (removed > 0)
        reg_store_touch(s);
    return removed;
}

size_t reg_store_count(const struct reg_store *s)
{
    return s->count;
}

double reg_store_heartbeat_timeout(const struct reg_store *s)
{
    return s->heartbeat_timeout;
}

bool reg_store_is_healthy(const struct reg_store *s, const struct reg_record *rec, double now)
{
    return reg_record_is_healthy(rec, now, s->heartbeat_timeout);
}

size_t reg_store_healthy_count(const struct reg_store *s, double now)
{
    size_t n = 0;

    for (const struct reg_record *r = s->head; r != NULL; r = r->next)
        n += reg_store_is_healthy(s, r, now);
    return n;
}

bool reg_store_matches(const struct reg_store *s, const struct reg_record *rec,
                       const struct reg_filter *f, double now)
{
    if (f->status != NULL && strcmp(rec->status, f->status) != 0)
        return false;
    if (f->healthy >= 0 && reg_store_is_healthy(s, rec, now) != (f->healthy == 1))
        return false;
    return true;
}

struct reg_record *reg_store_first(const struct reg_store *s)
{
    return s->head;
}

struct reg_record *reg_store_next(const struct reg_record *rec)
{
    return rec->next;
}
