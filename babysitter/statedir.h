/* The babysitter's state directory (babysitter.state_dir): created 0700 and locked (flock) for
 * the babysitter's lifetime, so two babysitters never share it; it holds server.pid, the PID
 * and start time of the model server the babysitter runs. A babysitter killed with SIGKILL
 * leaves that file behind, and the next one started with the same directory finds the server
 * it describes, when it still runs (same PID and same start time, so a reused PID is never
 * mistaken for it), and stops it before launching a new one (see babysitter/leftover).
 * Linux (/proc). Depends on libc, common/err, common/log, common/xalloc. */
#ifndef SVC_BABYSITTER_STATEDIR_H
#define SVC_BABYSITTER_STATEDIR_H

#include <stddef.h>
#include <stdint.h>

struct err_msg;
struct bs_statedir;

/* The default directory for a babysitter `name` whose model server listens on `port` in the
 * current network namespace (inode N of /proc/self/ns/net):
 * $XDG_RUNTIME_DIR/infini-babysitter/<name>-<port>-<N> when XDG_RUNTIME_DIR is an absolute
 * path, else /tmp/infini-babysitter-<uid>/<name>-<port>-<N>; characters of `name` other than
 * [A-Za-z0-9._-] become '_'. Caller frees. */
char *bs_statedir_default(const char *name, int port);

/* Creates `path` (and its parent, both 0700, when missing), checks that it is a directory owned
 * by this user and takes its lock. Returns the open state directory, or NULL with `err` set (a
 * second babysitter on the same directory gets "in use by another babysitter"). */
struct bs_statedir *bs_statedir_open(const char *path, struct err_msg *err);
/* Releases the lock; with `remove_all`, deletes server.pid, the lock file and the directory
 * (a clean shutdown leaves nothing behind). NULL-safe. */
void bs_statedir_close(struct bs_statedir *sd, int remove_all);

/* Records `pid` (a child just spawned) with its start time. 0 or a negative errno. */
int bs_statedir_record(struct bs_statedir *sd, int pid);
/* The child is gone: deletes server.pid. */
void bs_statedir_clear(struct bs_statedir *sd);
/* The model server recorded by a previous babysitter, when it may still run: its PID (which is
 * also its process group id), else 0. A PID that runs a process started at another time is
 * not ours (0); a PID with no process whose group still has members is ours (the group id
 * cannot be reused while the group exists). */
int bs_statedir_leftover(const struct bs_statedir *sd);

/* The start time of process `pid` in clock ticks since boot (/proc/<pid>/stat), or 0 when it
 * does not exist. */
uint64_t bs_statedir_start_time(int pid);

#endif
