/* Keeps the state file up to date without blocking the loop: a mutation marks the store dirty
 * and arms a debounce timer (not re-armed by later mutations, so a steady stream of heartbeats
 * still gets written about once per debounce period); when it fires, the records are serialised
 * on the loop thread and written by the threadpool (registry/persist's atomic write). One write
 * at a time; changes made during a write are written after it. A failed write is logged and
 * counted, and retried at the next change. Closing writes what is still dirty.
 * Depends on libuv, registry/persist, registry/store, registry/metrics, common/log. */
#ifndef SVC_REGISTRY_PERSISTER_H
#define SVC_REGISTRY_PERSISTER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct reg_metrics;
struct reg_persister;
struct reg_store;

/* A persister writing `store` to `path` (copied). `store` and `metrics` are borrowed and must
 * outlive it. Never NULL. */
struct reg_persister *reg_persister_new(uv_loop_t *loop, const char *path, struct reg_store *store,
                                        struct reg_metrics *metrics, uint64_t debounce_ms);
/* The store changed (usable directly as a reg_store_change_cb with the persister as `ud`). */
void reg_persister_mark_dirty(void *persister);
/* True while nothing is waiting to be written and no write is in flight. */
bool reg_persister_is_idle(const struct reg_persister *p);
/* Final flush: writes the records if they changed since the last write (after a write in
 * flight, if any), closes the timer and frees the persister when all is done; the loop must
 * run for that. Later mark_dirty calls are ignored. NULL-safe. */
void reg_persister_close(struct reg_persister *p);

#endif
