/* Event-loop plumbing shared by the daemons: SIGINT/SIGTERM delivery, SIGPIPE ignored, and the
 * final close-every-handle teardown. Depends on libuv only. */
#ifndef SVC_COMMON_LOOP_H
#define SVC_COMMON_LOOP_H

#include <uv.h>

/* Called on SIGINT or SIGTERM; `count` is 1 for the first signal, 2 for the second, ... */
typedef void (*loop_signal_cb)(int signum, int count, void *ud);

struct loop_signals {
    uv_signal_t sigint;
    uv_signal_t sigterm;
    loop_signal_cb cb;
    void *ud;
    int count;
    int open;
};

/* Starts watching SIGINT and SIGTERM and ignores SIGPIPE. 0, or a negative libuv code. */
int loop_signals_start(struct loop_signals *ls, uv_loop_t *loop, loop_signal_cb cb, void *ud);
/* Stops watching (closes both handles; asynchronous). Safe to call twice. */
void loop_signals_close(struct loop_signals *ls);

/* Closes every handle still open on `loop`, runs the loop until they are closed (at most a few
 * seconds), and returns uv_loop_close()'s result: 0 when everything was released. */
int loop_close_all(uv_loop_t *loop);

#endif
