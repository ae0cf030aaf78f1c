/* Event-loop lag: how late a timer armed every `interval` fires. A single-threaded daemon whose
 * callbacks run long, or whose process the machine does not schedule, answers everyone late by
 * that much; this measures it from the inside, for /metrics (a histogram and the largest lag
 * since start). The timer is unreferenced: it never keeps the loop alive. Depends on libuv and
 * common/prom. */
#ifndef SVC_COMMON_LOOP_LAG_H
#define SVC_COMMON_LOOP_LAG_H

#include <stdint.h>

#include <uv.h>

#include "prom.h"

struct loop_lag {
    uv_timer_t timer;
    uint64_t interval_ms;
    uint64_t due_ns; /* when the timer should fire next (uv_hrtime clock) */
    double max_s;
    struct prom_histogram hist; /* seconds */
};

/* Starts sampling every `interval_ms` (>= 1) on `loop`. 0, or a negative libuv code. */
int loop_lag_start(struct loop_lag *l, uv_loop_t *loop, uint64_t interval_ms);
/* Stops and closes the timer; `l` may be freed once the loop ran the close callback (or when
 * loop_close_all has run). Releases the histogram. */
void loop_lag_close(struct loop_lag *l);
/* Appends `<prefix>_loop_lag_seconds` (histogram) and `<prefix>_loop_lag_max_seconds` (gauge). */
void loop_lag_write(const struct loop_lag *l, const char *prefix, struct buf *out);

#endif
