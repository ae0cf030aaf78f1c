/* Session affinity memory: where each client session's last request went, for a limited time
 * (DESIGN.md section 4a). A session is a 64-bit key (hash of X-Session-Id, the body's "user", or
 * the client address); an entry remembers the instance by its name's hash, so a removed instance
 * can never be returned, only a name that no candidate has. Entries expire after their TTL; the
 * table is bounded (when full, expired entries go first, then the one in the new key's place).
 * Open addressing with backward-shift deletion; grows by doubling up to the bound.
 * Pure; depends on libc and common/xalloc. */
#ifndef SVC_ROUTER_SESSION_H
#define SVC_ROUTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rt_sessions;

/* A table holding at most `max_entries` (>= 16) sessions. Never NULL. NULL-safe free. */
struct rt_sessions *rt_sessions_new(size_t max_entries);
void rt_sessions_free(struct rt_sessions *s);

/* The instance name hash stored for `key` when its entry has not expired at `now`. */
bool rt_sessions_get(struct rt_sessions *s, uint64_t key, double now, uint64_t *instance);
/* Stores or refreshes `key` -> `instance`, valid until `expires`. */
void rt_sessions_put(struct rt_sessions *s, uint64_t key, uint64_t instance, double now,
                     double expires);
size_t rt_sessions_count(const struct rt_sessions *s);

#endif
