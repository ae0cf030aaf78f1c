/* Runs one child process and keeps it running: spawns it with uv_spawn from an argv array (no
 * shell) in its own session and process group, pipes its stdout/stderr into the log line by
 * line with a "[<name> stdout]" / "[<name> stderr]" prefix (and into the log file when one is
 * given), restarts it after every exit with the delays of babysitter/backoff until
 * max_restarts restarts in a row were used, and stops it with SIGTERM to the whole group,
 * then SIGKILL after a grace period. Signals reach the group only while the child is not yet
 * reaped (its exit callback has not run), so the group id cannot have been reused; a leader
 * that left its group is signalled alone through uv_process_kill. Once the leader is reaped,
 * whatever is left in its group gets SIGKILL (see kill_leftovers() for why that is safe).
 * Single-threaded (the loop thread).
 * Depends on libuv, common/log, babysitter/{backoff,launch,logfile,output,shim}. */
#ifndef SVC_BABYSITTER_SUPERVISOR_H
#define SVC_BABYSITTER_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct bs_launch;
struct bs_logfile;
struct bs_supervisor;

enum bs_supervisor_state {
    BS_SUP_IDLE,     /* created, first spawn not yet done */
    BS_SUP_RUNNING,  /* a child runs */
    BS_SUP_STOPPING, /* the child was sent SIGTERM (for a restart or for shutdown) */
    BS_SUP_WAITING,  /* no child; waiting out a restart delay */
    BS_SUP_FAILED,   /* no child; gave up after max_restarts restarts in a row */
    BS_SUP_STOPPED,  /* shut down: no child, nothing scheduled */
};

enum bs_supervisor_event {
    BS_SUP_SPAWNED, /* a new child runs (state RUNNING) */
    BS_SUP_EXITED,  /* the child is gone, or could not be spawned (state WAITING or FAILED) */
};

/* Told about every spawn and exit. May call any supervisor function except _free. */
typedef void (*bs_supervisor_cb)(void *ud, enum bs_supervisor_event ev);
/* bs_supervisor_stop() finished: no child is left. */
typedef void (*bs_supervisor_stopped_cb)(void *ud);

struct bs_supervisor_opts {
    const char *name;               /* borrowed; names the child in logs */
    const struct bs_launch *launch; /* borrowed; must outlive the supervisor */
    struct bs_logfile *logfile;     /* borrowed; NULL = log only */
    double restart_delay;           /* s */
    double restart_delay_max;       /* s */
    double stable_after;            /* s of ready uptime that reset the schedule */
    int max_restarts;
    double stop_grace; /* s between SIGTERM and SIGKILL */
    /* When set (BS_SHIM_SELF), the child is spawned through the exec shim of babysitter/shim,
     * so that it dies with the babysitter; NULL = spawned directly (tests). Borrowed. */
    const char *shim;
    bs_supervisor_cb cb;
    void *ud;
};

/* What is known about the last child that ended. */
struct bs_child_exit {
    bool known;      /* a child has ended (or failed to spawn) */
    bool exited;     /* it exited normally: `status` is meaningful */
    int status;      /* exit code */
    int signal;      /* terminating signal, 0 when none */
    int spawn_error; /* negative libuv code when the spawn failed, else 0 */
};

/* Creates a supervisor on `loop` (opts and the strings it points to are borrowed). Never NULL. */
struct bs_supervisor *bs_supervisor_new(uv_loop_t *loop, const struct bs_supervisor_opts *opts);
/* Spawns the first child on the next loop iteration (so that it starts once the loop runs). */
void bs_supervisor_start(struct bs_supervisor *s);
/* Stops the running child for `reason` (logged); its exit then leads to a restart by the usual
 * schedule. Does nothing unless a child is running. */
void bs_supervisor_restart(struct bs_supervisor *s, const char *reason);
/* The running child became ready: from now on its uptime counts towards stable_after. */
void bs_supervisor_mark_ready(struct bs_supervisor *s);
/* Shutdown: no more restarts; SIGTERM the child's group, SIGKILL after the grace period, and
 * call `cb` once the child has exited (at once, possibly before returning, when none runs). */
void bs_supervisor_stop(struct bs_supervisor *s, bs_supervisor_stopped_cb cb, void *ud);
/* SIGKILLs a child still running (and its group), closes every handle and frees the supervisor
 * once they are closed; the loop must run for that. No callback runs afterwards. NULL-safe. */
void bs_supervisor_free(struct bs_supervisor *s);

enum bs_supervisor_state bs_supervisor_state(const struct bs_supervisor *s);
/* PID of the running child, or 0. */
int bs_supervisor_pid(const struct bs_supervisor *s);
/* Restarts so far (every spawn after the first). */
unsigned long bs_supervisor_restarts(const struct bs_supervisor *s);
/* Delay of the restart being waited for (state WAITING), in seconds. */
double bs_supervisor_next_delay(const struct bs_supervisor *s);
const struct bs_child_exit *bs_supervisor_last_exit(const struct bs_supervisor *s);
/* Describes the last exit ("exited with status 3", "killed by signal 9", "could not be
 * spawned: ENOENT") into `out`. */
void bs_supervisor_describe_exit(const struct bs_supervisor *s, char *out, size_t size);
/* Spawn attempts that failed. */
uint64_t bs_supervisor_spawn_failures(const struct bs_supervisor *s);

#endif
