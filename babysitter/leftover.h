/* Stops a model server that a previous babysitter left running (found through
 * babysitter/statedir), before a new one is launched on the same port: SIGTERM and SIGCONT to
 * its process group (and to the recorded process, should it have left the group), a check
 * every 100 ms until no live member is left, SIGKILL once the grace period is over, and after
 * 5 s more it gives up with an error (the new server may then fail to bind). Zombies count as
 * gone: they hold no port. The checks read /proc (a few hundred small files, only during this
 * startup phase). Linux. Depends on libuv, common/log, common/xalloc. */
#ifndef SVC_BABYSITTER_LEFTOVER_H
#define SVC_BABYSITTER_LEFTOVER_H

#include <stdbool.h>

#include <uv.h>

struct bs_leftover;

/* Called once the leftover is gone (or given up on). May free the stopper. */
typedef void (*bs_leftover_done_cb)(void *ud, bool gone);

/* Starts stopping process group `pgid` (its leader's PID) with `grace` seconds between SIGTERM
 * and SIGKILL. Never NULL. */
struct bs_leftover *bs_leftover_start(uv_loop_t *loop, int pgid, double grace,
                                      bs_leftover_done_cb cb, void *ud);
/* Stops checking (no callback afterwards) and frees once the timer is closed. NULL-safe. */
void bs_leftover_free(struct bs_leftover *l);

/* Whether process `pid` runs and is not a zombie; whether any live process is in group `pgid`.
 * Read from /proc. */
bool bs_leftover_process_alive(int pid);
bool bs_leftover_group_alive(int pgid);

#endif
