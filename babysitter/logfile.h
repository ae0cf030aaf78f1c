/* An append-only log file written without blocking the loop: bytes are queued in memory and
 * written by uv_fs_* requests (libuv's thread pool), one at a time. When the file reaches its
 * size limit it is renamed to "<path>.1" (replacing an older one) and a fresh file is started.
 * The queue is bounded: bytes that do not fit are dropped and counted. Opening happens at
 * startup (blocking), so that a bad path is reported before anything runs. Single-threaded
 * (the loop thread). Depends on libuv, common/buf, common/err, common/log. */
#ifndef SVC_BABYSITTER_LOGFILE_H
#define SVC_BABYSITTER_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct bs_logfile;
struct err_msg;

#define BS_LOGFILE_QUEUE_MAX (1u << 20)

/* Opens `path` for appending (creating it, mode 0644) on `loop`; rotates after `max_bytes`.
 * Returns the writer (release with bs_logfile_close()), or NULL with err set. Blocking. */
struct bs_logfile *bs_logfile_open(uv_loop_t *loop, const char *path, uint64_t max_bytes,
                                   struct err_msg *err);
/* Queues `len` bytes (copied). Never blocks; drops what exceeds BS_LOGFILE_QUEUE_MAX. */
void bs_logfile_write(struct bs_logfile *lf, const char *data, size_t len);
/* Writes what is queued, closes the file and frees the writer once its last request finished
 * (the loop must run for that). NULL-safe. */
void bs_logfile_close(struct bs_logfile *lf);
/* Bytes dropped so far because the queue was full or the file could not be written. */
uint64_t bs_logfile_dropped(const struct bs_logfile *lf);

#endif
