/* Debounced, off-loop state-file writes. The serialised bytes are owned by the work request
 * while the threadpool writes them; the worker touches nothing else. Depends on libuv,
 * registry/persist, registry/store, registry/metrics, common/log, common/wallclock. */
#include "persister.h"

#include <stdlib.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "persist.h"
#include "store.h"
#include "wallclock.h"
#include "xalloc.h"

struct write_job {
    uv_work_t work;
    struct reg_persister *p;
    char *data;
    size_t len;
    int rc;
};

struct reg_persister {
    uv_loop_t *loop;
    uv_timer_t timer;
    char *path;
    struct reg_store *store;
    struct reg_metrics *metrics;
    uint64_t debounce_ms;
    bool dirty;       /* changed since the last serialisation */
    bool timer_armed; /* a write is scheduled */
    bool writing;     /* a job is in the threadpool */
    bool failed;      /* the last write failed: wait for the next change */
    bool closing;     /* reg_persister_close() was called */
    bool timer_closed;
};

static void start_write(struct reg_persister *p);

static void maybe_free(struct reg_persister *p)
{
    if (!p->closing || !p->timer_closed || p->writing)
        return;
    free(p->path);
    free(p);
}

static void on_timer(uv_timer_t *t)
{
    struct reg_persister *p = t->data;

    p->timer_armed = false;
    if (!p->writing)
        start_write(p);
}

static void arm(struct reg_persister *p)
{
    if (p->timer_armed || p->writing || p->closing)
        return;
    p->timer_armed = true;
    uv_timer_start(&p->timer, on_timer, p->debounce_ms, 0);
}

struct reg_persister *reg_persister_new(uv_loop_t *loop, const char *path, struct reg_store *store,
                                        struct reg_metrics *metrics, uint64_t debounce_ms)
{
    struct reg_persister *p = xcalloc(1, sizeof(*p));

    p->loop = loop;
    SVC_ASSERT(uv_timer_init(loop, &p->timer) == 0);
    p->timer.data = p;
    p->path = xstrdup(path);
    p->store = store;
    p->metrics = metrics;
    p->debounce_ms = debounce_ms;
    return p;
}

void reg_persister_mark_dirty(void *persister)
{
    struct reg_persister *p = persister;

    if (p->closing)
        return;
    p->dirty = true;
    p->failed = false;
    arm(p);
}

bool reg_persister_is_idle(const struct reg_persister *p)
{
    return !p->dirty && !p->writing;
}

static void work_write(uv_work_t *w)
{
    struct write_job *job = w->data;

    job->rc = reg_persist_write_file(job->p->path, job->data, job->len);
}

static void after_write(uv_work_t *w, int status)
{
    struct write_job *job = w->data;
    struct reg_persister *p = job->p;
    int rc = status < 0 ? status : job->rc;

    p->writing = false;
    if (rc < 0) {
        p->metrics->state_write_failures++;
        p->failed = true;
        p->dirty = true; /* retried at the next change, or at close */
        log_warn_uv(rc, "state", "file=%s write failed; retrying at the next change", p->path);
    } else {
        p->metrics->state_writes++;
        log_debug("state", "file=%s bytes=%zu written", p->path, job->len);
    }
    free(job->data);
    free(job);
    if (p->closing && p->dirty && rc == 0)
        start_write(p);
    else if (p->dirty && !p->failed)
        arm(p);
    maybe_free(p);
}

static void start_write(struct reg_persister *p)
{
    struct write_job *job;
    struct buf text;

    if (!p->dirty)
        return;
    buf_init(&text, BUF_UNLIMITED);
    reg_persist_encode(p->store, wallclock_now(), &text);
    job = xcalloc(1, sizeof(*job));
    job->p = p;
    job->data = buf_take(&text, &job->len);
    job->work.data = job;
    int rc = uv_queue_work(p->loop, &job->work, work_write, after_write);
    if (rc < 0) {
        log_error_uv(rc, "state", "file=%s cannot queue write", p->path);
        p->metrics->state_write_failures++;
        free(job->data);
        free(job);
        return;
    }
    p->dirty = false;
    p->writing = true;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct reg_persister *p = h->data;

    p->timer_closed = true;
    maybe_free(p);
}

void reg_persister_close(struct reg_persister *p)
{
    if (p == NULL || p->closing)
        return;
    p->closing = true;
    p->timer_armed = false;
    uv_close((uv_handle_t *)&p->timer, on_timer_closed);
    if (!p->writing)
        start_write(p);
}
