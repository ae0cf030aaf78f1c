/* Signals and teardown for libuv loops. Depends on libuv only. */
#include "loop.h"

#include <signal.h>
#include <stddef.h>

static void on_signal(uv_signal_t *h, int signum)
{
    struct loop_signals *ls = h->data;

    ls->count++;
    if (ls->cb != NULL)
        ls->cb(signum, ls->count, ls->ud);
}

int loop_signals_start(struct loop_signals *ls, uv_loop_t *loop, loop_signal_cb cb, void *ud)
{
    int rc;

    signal(SIGPIPE, SIG_IGN);
    ls->cb = cb;
    ls->ud = ud;
    ls->count = 0;
    ls->open = 0;
    rc = uv_signal_init(loop, &ls->sigint);
    if (rc < 0)
        return rc;
    ls->open++;
    rc = uv_signal_init(loop, &ls->sigterm);
    if (rc < 0)
        return rc;
    ls->open++;
    ls->sigint.data = ls;
    ls->sigterm.data = ls;
    rc = uv_signal_start(&ls->sigint, on_signal, SIGINT);
    if (rc == 0)
        rc = uv_signal_start(&ls->sigterm, on_signal, SIGTERM);
    return rc;
}

void loop_signals_close(struct loop_signals *ls)
{
    if (ls->open == 0)
        return;
    ls->open = 0;
    uv_close((uv_handle_t *)&ls->sigint, NULL);
    uv_close((uv_handle_t *)&ls->sigterm, NULL);
}

static void close_one(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int loop_close_all(uv_loop_t *loop)
{
    uv_walk(loop, close_one, NULL);
    for (int i = 0; i < 1000 && uv_run(loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    return uv_loop_close(loop);
}
