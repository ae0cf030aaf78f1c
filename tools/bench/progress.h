/* A one-line progress bar on a terminal ("[#####.....]  40/100  3.2 req/s  failed 0"), redrawn
 * at most ten times a second. Disabled (prints nothing at all) when the stream is not a
 * terminal, so logs and pipes stay clean. Depends on libc only. */
#ifndef SVC_TOOLS_BENCH_PROGRESS_H
#define SVC_TOOLS_BENCH_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Embedded by the caller; holds no resources. */
struct bench_progress {
    FILE *out; /* borrowed */
    bool on;
    size_t total;
    uint64_t start_ns, last_draw_ns;
};

/* Prepares a bar for `total` requests on `out`; `enabled` false (or a non-terminal `out`)
 * makes every call a no-op. `now_ns` is a monotonic timestamp (uv_hrtime). */
void bench_progress_init(struct bench_progress *p, FILE *out, size_t total, bool enabled,
                         uint64_t now_ns);
/* Redraws with `done` finished requests of which `failed` failed (throttled, except for the
 * last request). */
void bench_progress_update(struct bench_progress *p, size_t done, size_t failed, uint64_t now_ns);
/* Ends the bar's line. */
void bench_progress_finish(struct bench_progress *p);

#endif
