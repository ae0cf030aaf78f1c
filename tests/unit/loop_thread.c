/* Loop-on-a-thread test support. */
#include "loop_thread.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void on_wake(uv_async_t *a)
{
    struct loop_thread *lt = a->data;

    uv_mutex_lock(&lt->lock);
    loop_thread_cb cb = lt->pending_cb;
    void *ud = lt->pending_ud;
    lt->pending_cb = NULL;
    uv_mutex_unlock(&lt->lock);
    if (cb != NULL)
        cb(ud);
    uv_mutex_lock(&lt->lock);
    lt->done = 1;
    uv_mutex_unlock(&lt->lock);
}

void loop_thread_init(struct loop_thread *lt)
{
    memset(lt, 0, sizeof(*lt));
    SVC_ASSERT(uv_loop_init(&lt->loop) == 0);
    SVC_ASSERT(uv_mutex_init(&lt->lock) == 0);
    SVC_ASSERT(uv_async_init(&lt->loop, &lt->wake, on_wake) == 0);
    lt->wake.data = lt;
}

static void run(void *arg)
{
    struct loop_thread *lt = arg;

    uv_run(&lt->loop, UV_RUN_DEFAULT);
}

void loop_thread_start(struct loop_thread *lt)
{
    SVC_ASSERT(uv_thread_create(&lt->tid, run, lt) == 0);
}

void loop_thread_call(struct loop_thread *lt, loop_thread_cb cb, void *ud)
{
    uv_mutex_lock(&lt->lock);
    lt->pending_cb = cb;
    lt->pending_ud = ud;
    lt->done = 0;
    uv_mutex_unlock(&lt->lock);
    uv_async_send(&lt->wake);
    for (int i = 0; i < 10000; i++) {
        uv_mutex_lock(&lt->lock);
        int d = lt->done;
        uv_mutex_unlock(&lt->lock);
        if (d)
            return;
        uv_sleep(1);
    }
    SVC_ASSERT(!"loop thread did not answer within 10 s");
}

struct stop_ctx {
    struct loop_thread *lt;
    loop_thread_cb cb;
    void *ud;
};

static void do_stop(void *arg)
{
    struct stop_ctx *s = arg;

    if (s->cb != NULL)
        s->cb(s->ud);
    uv_close((uv_handle_t *)&s->lt->wake, NULL);
}

int loop_thread_stop(struct loop_thread *lt, loop_thread_cb cb, void *ud)
{
    struct stop_ctx s = {lt, cb, ud};

    loop_thread_call(lt, do_stop, &s);
    uv_thread_join(&lt->tid);
    uv_mutex_destroy(&lt->lock);
    return uv_loop_close(&lt->loop);
}
