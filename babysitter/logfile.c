/* Asynchronous appender with size-based rotation. At most one uv_fs request is in flight; its
 * callback decides the next step: write the queue, rotate (close, rename, reopen), or close for
 * good. Depends on libuv, common/buf, common/err, common/log, common/xalloc. */
#include "logfile.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "xalloc.h"

enum op {
    OP_NONE,
    OP_WRITE,
    OP_ROTATE_CLOSE,
    OP_ROTATE_RENAME,
    OP_ROTATE_OPEN,
    OP_FINAL_CLOSE,
};

struct bs_logfile {
    uv_loop_t *loop;
    char *path;
    char *rotated; /* "<path>.1" */
    uv_file fd;    /* -1 while rotating or after a failed reopen */
    uint64_t size, max;
    struct buf queue;   /* bytes not yet handed to a write */
    struct buf writing; /* bytes of the write in flight */
    uv_fs_t req;
    enum op op;
    bool closing;
    bool failed_once; /* an error was logged; later ones are only counted */
    uint64_t dropped;
};

static void kick(struct bs_logfile *lf);

static void fs_error(struct bs_logfile *lf, const char *what, ssize_t rc)
{
    if (!lf->failed_once)
        log_error_uv((int)rc, "logfile", "path=%s %s failed; child output is still logged",
                     lf->path, what);
    lf->failed_once = true;
}

static void on_fs(uv_fs_t *req);

static void destroy(struct bs_logfile *lf)
{
    buf_free(&lf->queue);
    buf_free(&lf->writing);
    free(lf->path);
    free(lf->rotated);
    free(lf);
}

/* Each step of a rotation returns true when it started a request. */
static bool rotate_rename(struct bs_logfile *lf)
{
    lf->op = OP_ROTATE_RENAME;
    if (uv_fs_rename(lf->loop, &lf->req, lf->path, lf->rotated, on_fs) == 0)
        return true;
    lf->op = OP_NONE;
    return false;
}

static bool rotate_open(struct bs_logfile *lf)
{
    lf->op = OP_ROTATE_OPEN;
    if (uv_fs_open(lf->loop, &lf->req, lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644,
                   on_fs) == 0)
        return true;
    lf->op = OP_NONE;
    return false;
}

static void start_rotation(struct bs_logfile *lf)
{
    uv_file fd = lf->fd;

    lf->fd = -1;
    lf->op = OP_ROTATE_CLOSE;
    lf->req.data = lf;
    if (uv_fs_close(lf->loop, &lf->req, fd, on_fs) == 0)
        return;
    lf->op = OP_NONE;
    /* Renaming an open file is harmless; go on so that writing resumes in a fresh file. */
    if (!rotate_rename(lf))
        rotate_open(lf);
}

static void on_fs(uv_fs_t *req)
{
    struct bs_logfile *lf = req->data;
    ssize_t res = req->result;
    enum op op = lf->op;

    uv_fs_req_cleanup(req);
    lf->op = OP_NONE;
    switch (op) {
    case OP_WRITE:
        if (res < 0) {
            fs_error(lf, "write", res);
            lf->dropped += lf->writing.len;
            buf_reset(&lf->writing);
        } else {
            lf->size += (uint64_t)res;
            buf_consume(&lf->writing, (size_t)res); /* a short write leaves the rest */
        }
        break;
    case OP_ROTATE_CLOSE:
        if (rotate_rename(lf) || rotate_open(lf))
            return;
        break;
    case OP_ROTATE_RENAME:
        if (res < 0)
            fs_error(lf, "rename", res);
        if (rotate_open(lf))
            return;
        break;
    case OP_ROTATE_OPEN:
        if (res < 0) {
            fs_error(lf, "reopen", res);
        } else {
            lf->fd = (uv_file)res;
            lf->size = 0;
        }
        break;
    case OP_FINAL_CLOSE:
        destroy(lf);
        return;
    case OP_NONE:
        break;
    }
    kick(lf);
}

static void start_write(struct bs_logfile *lf)
{
    if (lf->writing.len == 0) {
        struct buf t = lf->writing;
        lf->writing = lf->queue;
        lf->queue = t;
    }
    uv_buf_t b = uv_buf_init(lf->writing.data, (unsigned)lf->writing.len);
    lf->op = OP_WRITE;
    lf->req.data = lf;
    int rc = uv_fs_write(lf->loop, &lf->req, lf->fd, &b, 1, -1, on_fs);
    if (rc < 0) {
        lf->op = OP_NONE;
        fs_error(lf, "write", rc);
        lf->dropped += lf->writing.len;
        buf_reset(&lf->writing);
    }
}

/* Starts the next step unless a request is in flight. */
static void kick(struct bs_logfile *lf)
{
    if (lf->op != OP_NONE)
        return;
    if (lf->fd >= 0 && lf->size >= lf->max && lf->writing.len == 0) {
        start_rotation(lf);
        if (lf->op != OP_NONE)
            return;
    }
    if (lf->fd >= 0 && (lf->writing.len > 0 || lf->queue.len > 0)) {
        start_write(lf);
        if (lf->op != OP_NONE)
            return;
    }
    if (lf->fd < 0) {
        /* No file: what is queued cannot be written. */
        lf->dropped += lf->queue.len + lf->writing.len;
        buf_reset(&lf->queue);
        buf_reset(&lf->writing);
    }
    if (lf->closing && lf->queue.len == 0 && lf->writing.len == 0) {
        lf->op = OP_FINAL_CLOSE;
        lf->req.data = lf;
        if (lf->fd >= 0 && uv_fs_close(lf->loop, &lf->req, lf->fd, on_fs) == 0)
            return;
        destroy(lf);
    }
}

struct bs_logfile *bs_logfile_open(uv_loop_t *loop, const char *path, uint64_t max_bytes,
                                   struct err_msg *err)
{
    uv_fs_t req;
    int fd = uv_fs_open(NULL, &req, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644, NULL);

    uv_fs_req_cleanup(&req);
    if (fd < 0) {
        err_set(err, 0, 0, "babysitter.log_file: '%s': %s", path, uv_strerror(fd));
        return NULL;
    }
    struct bs_logfile *lf = xcalloc(1, sizeof(*lf));
    lf->loop = loop;
    lf->path = xstrdup(path);
    size_t n = strlen(path);
    lf->rotated = xmalloc(n + 3);
    memcpy(lf->rotated, path, n);
    memcpy(lf->rotated + n, ".1", 3);
    lf->fd = fd;
    lf->max = max_bytes;
    if (uv_fs_fstat(NULL, &req, fd, NULL) == 0)
        lf->size = req.statbuf.st_size;
    uv_fs_req_cleanup(&req);
    buf_init(&lf->queue, BS_LOGFILE_QUEUE_MAX);
    buf_init(&lf->writing, BS_LOGFILE_QUEUE_MAX);
    return lf;
}

void bs_logfile_write(struct bs_logfile *lf, const char *data, size_t len)
{
    if (lf->closing)
        return;
    if (buf_append(&lf->queue, data, len) < 0) {
        lf->dropped += len;
        return;
    }
    kick(lf);
}

void bs_logfile_close(struct bs_logfile *lf)
{
    if (lf == NULL)
        return;
    lf->closing = true;
    kick(lf);
}

uint64_t bs_logfile_dropped(const struct bs_logfile *lf)
{
    return lf != NULL ? lf->dropped : 0;
}
