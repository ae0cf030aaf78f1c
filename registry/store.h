/* The registry's records: a hash map by name (O(1) lookup for heartbeats) threaded on a list in
 * registration order (for listings), liveness and filters evaluated at read time, expiry, and a
 * change hook that persistence uses to learn about mutations. Knows nothing about HTTP, files or
 * the loop; depends on registry/record. Single-threaded. */
#ifndef SVC_REGISTRY_STORE_H
#define SVC_REGISTRY_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct reg_store;

/* Called after every mutation (put, remove, expiry, reg_store_touch). */
typedef void (*reg_store_change_cb)(void *ud);
/* Called for each record removed by reg_store_expire(), just before it is freed. */
typedef void (*reg_store_expired_cb)(void *ud, const struct reg_record *rec, double age);

/* Filters of GET /services. */
struct reg_filter {
    const char *status; /* exact match on status, or NULL */
    int healthy;        /* -1 = any, 1 = is_healthy only, 0 = not is_healthy only */
};

/* A store whose records are healthy while their heartbeat is younger than
 * `heartbeat_timeout` seconds and expire once it is older than `expire_after`. Never NULL. */
struct reg_store *reg_store_new(double heartbeat_timeout, double expire_after);
/* Frees every record. NULL-safe. */
void reg_store_free(struct reg_store *s);

/* Installs the change hook (NULL = none). */
void reg_store_on_change(struct reg_store *s, reg_store_change_cb cb, void *ud);
/* Reports a change made to a record in place (heartbeat, status, health). */
void reg_store_touch(struct reg_store *s);

/* The record named `name`, or NULL (borrowed; valid until it is removed or replaced). */
struct reg_record *reg_store_get(const struct reg_store *s, const char *name);
/* Inserts `rec` (taken), giving it a new id. An existing record of the same name is freed and
 * replaced; returns true in that case. */
bool reg_store_put(struct reg_store *s, struct reg_record *rec);
/* Removes and frees the record named `name`. 0, or SVC_ENOTFOUND. */
int reg_store_remove(struct reg_store *s, const char *name);
/* Removes every record whose last heartbeat is more than expire_after seconds before `now`,
 * calling `cb` (may be NULL) for each. Returns how many were removed. */
size_t reg_store_expire(struct reg_store *s, double now, reg_store_expired_cb cb, void *ud);

size_t reg_store_count(const struct reg_store *s);
size_t reg_store_healthy_count(const struct reg_store *s, double now);
double reg_store_heartbeat_timeout(const struct reg_store *s);
bool reg_store_is_healthy(const struct reg_store *s, const struct reg_record *rec, double now);
bool reg_store_matches(const struct reg_store *s, const struct reg_record *rec,
                       const struct reg_filter *f, double now);

/* Iteration in registration order (borrowed; do not remove while iterating). */
struct reg_record *reg_store_first(const struct reg_store *s);
struct reg_record *reg_store_next(const struct reg_record *rec);

#endif
