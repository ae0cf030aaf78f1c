/* Test support: runs a private uv_loop_t on a thread so that test code can drive servers with
 * blocking sockets. Objects are created on the loop before the thread starts; stopping runs a
 * callback on the loop thread that must close everything, then joins and closes the loop. */
#ifndef SVC_TESTS_LOOP_THREAD_H
#define SVC_TESTS_LOOP_THREAD_H

#include <uv.h>

typedef void (*loop_thread_cb)(void *ud);

struct loop_thread {
    uv_loop_t loop;
    uv_thread_t tid;
    uv_async_t wake;
    uv_mutex_t lock;
    loop_thread_cb pending_cb; /* run on the loop thread at the next wake */
    void *pending_ud;
    int done; /* set by the call */
};

void loop_thread_init(struct loop_thread *lt);
void loop_thread_start(struct loop_thread *lt);
/* Runs `cb(ud)` on the loop thread and waits for it to return. */
void loop_thread_call(struct loop_thread *lt, loop_thread_cb cb, void *ud);
/* Runs `cb(ud)` on the loop thread (it must close every handle it owns), joins the thread, and
 * returns uv_loop_close()'s result. */
int loop_thread_stop(struct loop_thread *lt, loop_thread_cb cb, void *ud);

#endif
