/* Binary search in arrays that their owner keeps sorted by a string key in strcmp order (the
 * router's instances and KV-event subscriptions by name, its model views by model id): one
 * search gives both the match and, without one, where a new key goes. The caller owns the array,
 * inserts and removes; this module only finds. Depends on libc only. */
#ifndef SVC_COMMON_SORTED_H
#define SVC_COMMON_SORTED_H

#include <stdbool.h>
#include <stddef.h>

/* The key of element `i` of `items` (borrowed; never NULL). */
typedef const char *(*sorted_key_cb)(const void *items, size_t i);

/* Searches the `n` elements of `items` (borrowed; may be NULL when n is 0), sorted by key_at()
 * in strcmp order with distinct keys, for `key`. Returns the index of the match with *found
 * true, or, with *found false, the index (0..n) at which `key` goes to keep the order. */
size_t sorted_find(const void *items, size_t n, sorted_key_cb key_at, const char *key, bool *found);

#endif
