/* Event-loop lag sampling. Depends on libuv and common/prom. */
#include "loop_lag.h"

#include <stdio.h>

#include "buf.h"

static const double lag_bounds[] = {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                    0.025,  0.05,   0.1,   0.25,   0.5,   1};

static void on_tick(uv_timer_t *t)
{
    struct loop_lag *l = t->data;
    uint64_t now = uv_hrtime();
    double lag = now > l->due_ns ? (double)(now - l->due_ns) / 1e9 : 0;

    prom_histogram_observe(&l->hist, lag);
    if (lag > l->max_s)
        l->max_s = lag;
    l->due_ns = now + l->interval_ms * 1000000;
}

int loop_lag_start(struct loop_lag *l, uv_loop_t *loop, uint64_t interval_ms)
{
    int rc = uv_timer_init(loop, &l->timer);

    if (rc < 0)
        return rc;
    l->timer.data = l;
    l->interval_ms = interval_ms ? interval_ms : 1;
    l->max_s = 0;
    prom_histogram_init(&l->hist, lag_bounds, sizeof(lag_bounds) / sizeof(lag_bounds[0]));
    l->due_ns = uv_hrtime() + l->interval_ms * 1000000;
    uv_unref((uv_handle_t *)&l->timer);
    return uv_timer_start(&l->timer, on_tick, l->interval_ms, l->interval_ms);
}

void loop_lag_close(struct loop_lag *l)
{
    uv_timer_stop(&l->timer);
    if (!uv_is_closing((uv_handle_t *)&l->timer))
        uv_close((uv_handle_t *)&l->timer, NULL);
    prom_histogram_free(&l->hist);
}

void loop_lag_write(const struct loop_lag *l, const char *prefix, struct buf *out)
{
    char name[128];

    snprintf(name, sizeof(name), "%s_loop_lag_seconds", prefix);
    prom_family(out, name, "histogram",
                "How late a periodic timer fired: the event loop's own delay.");
    prom_histogram_write(out, name, NULL, &l->hist);
    snprintf(name, sizeof(name), "%s_loop_lag_max_seconds", prefix);
    prom_family(out, name, "gauge", "The largest event-loop lag since start.");
    prom_sample(out, name, NULL, l->max_s);
}
