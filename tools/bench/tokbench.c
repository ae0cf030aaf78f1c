/* infini-tokenize-bench: what `--tokenizer engine` costs the router per request. Sends N
 * sequential /tokenize calls through router/tokenize (body building, common/http_fetch with a
 * kept-alive connection, answer parsing) to an engine or infini-mock, and prints the latency
 * percentiles and the process CPU time per call, plus the CPU of body building and answer
 * parsing alone. A tool run by hand; never a test.
 * Usage: infini-tokenize-bench URL [calls=2000] [prompt_bytes=8192] [model=model-1] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "buf.h"
#include "http_fetch.h"
#include "tokenize.h"

struct run {
    uv_loop_t *loop;
    int done, failed;
    size_t ntokens;
};

static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void on_tokens(void *ud, int rc, const uint32_t *ids, size_t n)
{
    struct run *r = ud;

    (void)ids;
    r->done = 1;
    r->failed = rc < 0;
    r->ntokens = n;
}

static char *chat_request(size_t prompt_bytes, const char *model)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    buf_appendf(&b,
                "{\"model\":\"%s\",\"max_tokens\":16,\"stream\":true,\"messages\":["
                "{\"role\":\"system\",\"content\":\"You are helpful.\"},"
                "{\"role\":\"user\",\"content\":\"",
                model);
    for (size_t i = 0; i < prompt_bytes; i++)
        buf_putc(&b, (char)('a' + (i * 7 + i / 13) % 26));
    buf_append_str(&b, "\"}]}");
    return buf_take(&b, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [calls] [prompt_bytes] [model]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    long calls = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    long bytes = argc > 3 ? strtol(argv[3], NULL, 10) : 8192;
    const char *model = argc > 4 ? argv[4] : "model-1";
    if (calls < 1 || bytes < 1)
        return 2;
    char *req = chat_request((size_t)bytes, model);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct http_fetch *f = http_fetch_new(&loop, 1);
    double *lat = malloc((size_t)calls * sizeof(*lat));
    struct buf body;
    buf_init(&body, BUF_UNLIMITED);
    struct run r = {.loop = &loop};
    int failures = 0;
    double build_cpu = 0, cpu0 = cpu_s();

    for (long i = 0; i < calls; i++) {
        uint64_t t0 = uv_hrtime();
        double c0 = cpu_s();
        buf_reset(&body);
        if (rt_tokenize_body(req, strlen(req), true, &body) < 0)
            return 1;
        build_cpu += cpu_s() - c0;
        r.done = 0;
        rt_tokenize_start(f, url, body.data, body.len, NULL, 1000, on_tokens, &r);
        while (!r.done)
            uv_run(&loop, UV_RUN_ONCE);
        failures += r.failed;
        lat[i] = (double)(uv_hrtime() - t0) / 1e3;
    }
    double total_cpu = cpu_s() - cpu0;
    qsort(lat, (size_t)calls, sizeof(*lat), cmp_double);
    printf("calls=%ld prompt_bytes=%ld tokens=%zu failures=%d\n", calls, bytes, r.ntokens,
           failures);
    printf("latency_us p50=%.1f p90=%.1f p99=%.1f max=%.1f\n", lat[calls / 2], lat[calls * 9 / 10],
           lat[calls * 99 / 100], lat[calls - 1]);
    printf("cpu_us_per_call total=%.1f body_build=%.1f (process CPU, this side only)\n",
           total_cpu * 1e6 / (double)calls, build_cpu * 1e6 / (double)calls);
    http_fetch_free(f);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    buf_free(&body);
    free(lat);
    free(req);
    return failures > 0;
}
