/* Terminal progress bar. Depends on libc only. */
#include "progress.h"

#include <unistd.h>

#define BAR_WIDTH 30
#define REDRAW_NS 100000000ULL

void bench_progress_init(struct bench_progress *p, FILE *out, size_t total, bool enabled,
                         uint64_t now_ns)
{
    p->out = out;
    p->total = total;
    p->start_ns = now_ns;
    p->last_draw_ns = 0;
    p->on = enabled && out != NULL && isatty(fileno(out)) == 1;
}

void bench_progress_update(struct bench_progress *p, size_t done, size_t failed, uint64_t now_ns)
{
    char bar[BAR_WIDTH + 1];

    if (!p->on || (done < p->total && now_ns - p->last_draw_ns < REDRAW_NS))
        return;
    p->last_draw_ns = now_ns;
    size_t fill = p->total ? done * BAR_WIDTH / p->total : BAR_WIDTH;
    for (size_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    double secs = (double)(now_ns - p->start_ns) / 1e9;
    fprintf(p->out, "\r[%s] %zu/%zu  %.1f s  %.2f req/s  failed %zu ", bar, done, p->total, secs,
            secs > 0 ? (double)done / secs : 0.0, failed);
    fflush(p->out);
}

void bench_progress_finish(struct bench_progress *p)
{
    if (!p->on)
        return;
    fputc('\n', p->out);
    fflush(p->out);
}
