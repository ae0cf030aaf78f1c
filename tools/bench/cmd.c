/* gen and serve: wiring of options, dataset, bodies, arrival schedule, runner, summary and
 * result file. Everything that can be checked is checked before the first request is sent, so a
 * bad pattern or dataset costs nothing. Depends on libuv, common/ and the
 * other tools/bench modules (compare excepted). */
#include "cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "arrival.h"
#include "body.h"
#include "buf.h"
#include "dataset.h"
#include "err.h"
#include "options.h"
#include "outcome.h"
#include "progress.h"
#include "result.h"
#include "runner.h"
#include "summary.h"
#include "trace.h"
#include "wallclock.h"
#include "xalloc.h"

#define MAX_BODY_BYTES ((size_t)256 << 20)

int bench_cmd_gen(int argc, char **argv)
{
    struct bench_options opt;
    struct bench_dataset ds = {0};
    struct err_msg err = {0};
    int code = 0;

    int rc = bench_options_parse_gen(&opt, argc, argv, &err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "infini-bench gen: %s\n", err.msg);
        code = rc < 0 ? 2 : 0;
        goto out;
    }
    rc = bench_dataset_generate(&opt.gen, &ds, &err);
    if (rc < 0) {
        fprintf(stderr, "infini-bench gen: %s\n", err.msg);
        code = 2;
        goto out;
    }
    rc = bench_dataset_save(&ds, opt.output, &err);
    if (rc < 0) {
        fprintf(stderr, "infini-bench gen: %s\n", err.msg);
        code = 1;
        goto out;
    }
    printf("wrote %zu records to %s\n", ds.n, opt.output);
out:
    bench_dataset_free(&ds);
    bench_options_free(&opt);
    return code;
}

/* Everything a run needs, prepared before it starts. */
struct serve_plan {
    struct bench_dataset ds;
    size_t n;
    struct buf *bodies;
    double *arrivals;
    struct bench_outcome *outcomes;
    char *url;
};

static void plan_free(struct serve_plan *p)
{
    for (size_t i = 0; p->bodies != NULL && i < p->n; i++)
        buf_free(&p->bodies[i]);
    for (size_t i = 0; p->outcomes != NULL && i < p->n; i++)
        bench_outcome_free(&p->outcomes[i]);
    free(p->bodies);
    free(p->arrivals);
    free(p->outcomes);
    free(p->url);
    bench_dataset_free(&p->ds);
}

static int build_bodies(const struct bench_options *opt, struct serve_plan *p, struct err_msg *err)
{
    struct bench_body_opts bo = {
        .endpoint = opt->endpoint_kind,
        .model = opt->model,
        .stream = opt->streaming,
        .max_tokens = opt->max_tokens,
        .max_output_tokens = opt->max_output_tokens,
        .key = opt->key,
        .no_cache_key = opt->no_cache_key,
        .extra = opt->extra,
    };

    p->bodies = xcalloc(p->n, sizeof(*p->bodies));
    p->outcomes = xcalloc(p->n, sizeof(*p->outcomes));
    for (size_t i = 0; i < p->n; i++) {
        /* Fewer records than requests: go round the dataset again. */
        const cJSON *rec = p->ds.recs[i % p->ds.n];
        struct err_msg berr = {0};
        buf_init(&p->bodies[i], MAX_BODY_BYTES);
        int rc = bench_body_build(&bo, rec, (long long)i, &p->bodies[i], &berr);
        if (rc < 0) {
            err_set(err, 0, 0, "request %zu (record %zu): %s", i, i % p->ds.n,
                    rc == SVC_ELIMIT ? "body too large" : berr.msg);
            return rc;
        }
        p->outcomes[i].prompt_estimate = (long long)(bench_body_prompt_chars(rec) + 3) / 4;
        p->outcomes[i].prompt_tokens = p->outcomes[i].completion_tokens = -1;
        p->outcomes[i].cached_tokens = -1;
    }
    return 0;
}

static int plan_prepare(const struct bench_options *opt, struct serve_plan *p, struct err_msg *err)
{
    int rc;

    struct bench_trace_opts to = {opt->chars_per_token, opt->sample_conversations};

    if (opt->trace)
        rc = bench_trace_load(opt->dataset, &to, &p->ds, err);
    else if (opt->dataset != NULL)
        rc = bench_dataset_load(opt->dataset, &p->ds, err);
    else
        rc = bench_dataset_generate(&opt->gen, &p->ds, err);
    if (rc < 0)
        return rc;
    p->n = opt->num_prompts > 0 ? (size_t)opt->num_prompts : p->ds.n;
    if (opt->trace && p->n > p->ds.n)
        p->n = p->ds.n; /* a trace is replayed once: its timestamps do not wrap */
    rc = build_bodies(opt, p, err);
    if (rc < 0)
        return rc;
    p->arrivals = xcalloc(p->n, sizeof(*p->arrivals));
    if (opt->trace && !opt->rate_given)
        bench_trace_arrivals(&p->ds, p->n, opt->time_scale, p->arrivals);
    else
        bench_arrival_schedule(p->n, opt->rate, opt->burstiness, (unsigned long long)opt->seed,
                               p->arrivals);
    struct buf url;
    buf_init(&url, 64 * 1024);
    size_t blen = strlen(opt->base_url);
    while (blen > 0 && opt->base_url[blen - 1] == '/')
        blen--;
    buf_append(&url, opt->base_url, blen);
    buf_append_str(&url, opt->endpoint);
    p->url = buf_take(&url, NULL);
    return 0;
}

/* The rate a run is labelled with: the configured one, or for a trace replayed on its own
 * timestamps the mean rate they give, to 0.01 (all at once when they are all equal). */
static double run_rate(const struct bench_options *opt, const struct serve_plan *p)
{
    if (!opt->trace || opt->rate_given)
        return opt->rate;
    double span = p->n > 0 ? p->arrivals[p->n - 1] : 0;
    return span > 0 ? round((double)p->n / span * 100.0) / 100.0 : INFINITY;
}

static void print_traffic(const struct bench_options *opt, const struct serve_plan *p)
{
    char rate[64], burst[64];

    if (opt->trace) {
        printf("Trace: %zu requests from %zu records%s\n", p->n, p->ds.n,
               opt->sample_conversations > 1 ? " (sampled conversations)" : "");
        if (!opt->rate_given)
            printf("Trace replay: timestamps / %g, last request at %.2f s\n", opt->time_scale,
                   p->n > 0 ? p->arrivals[p->n - 1] : 0.0);
    }
    bench_result_format_rate(run_rate(opt, p), rate, sizeof(rate));
    bench_result_format_rate(opt->burstiness, burst, sizeof(burst));
    printf("Traffic request rate: %s\n", rate);
    if (opt->trace && !opt->rate_given)
        printf("Burstiness factor: - (trace timestamps)\n");
    else
        printf("Burstiness factor: %s (%s)\n", burst,
               opt->burstiness == 1.0 ? "Poisson process" : "Gamma distribution");
    if (opt->max_concurrency > 0)
        printf("Maximum request concurrency: %d\n", opt->max_concurrency);
    else
        printf("Maximum request concurrency: None\n");
    fflush(stdout);
}

static int run_plan(const struct bench_options *opt, struct serve_plan *p,
                    struct bench_runner_stats *st)
{
    uv_loop_t loop;
    struct bench_progress progress;
    int rc = uv_loop_init(&loop);

    if (rc < 0) {
        fprintf(stderr, "infini-bench serve: cannot create the event loop: %s\n", err_str(rc));
        return rc;
    }
    bench_progress_init(&progress, stderr, p->n, true, uv_hrtime());
    struct bench_runner_opts ro = {
        .url = p->url,
        .bodies = p->bodies,
        .arrivals = p->arrivals,
        .n = p->n,
        .max_concurrency = opt->max_concurrency,
        .timeout_s = opt->timeout,
        .progress = &progress,
    };
    rc = bench_runner_run(&loop, &ro, p->outcomes, st);
    bench_progress_finish(&progress);
    if (rc < 0)
        fprintf(stderr, "infini-bench serve: cannot start: %s\n", err_str(rc));
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "infini-bench serve: warning: handles left open on the loop\n");
    return rc;
}

static int report(const struct bench_options *opt, const struct serve_plan *p,
                  const struct bench_runner_stats *st)
{
    struct bench_summary sum;
    char date[BENCH_RESULT_DATE_LEN];
    const char *backend = opt->endpoint_kind == BENCH_ENDPOINT_CHAT ? "openai-chat" : "openai";
    int code;

    bench_result_date(wallclock_now(), date);
    struct bench_run_info ri = {
        .label = opt->label != NULL ? opt->label : backend,
        .model = opt->model,
        .backend = backend,
        .date = date,
        .num_prompts = p->n,
        .request_rate = run_rate(opt, p),
        .burstiness = opt->burstiness,
        .max_concurrency = opt->max_concurrency,
    };
    bench_summary_compute(p->outcomes, p->n, st->duration_s, st->max_concurrent, &sum);
    bench_result_print(stdout, &ri, &sum);
    code = sum.completed > 0 ? 0 : 1;
    if (sum.failed > 0) {
        for (size_t i = 0; i < p->n; i++) {
            if (p->outcomes[i].sent && !p->outcomes[i].ok) {
                printf("First error (request %zu): %s\n", i, p->outcomes[i].error);
                break;
            }
        }
    }
    if (opt->save_result) {
        struct buf name, path;
        struct err_msg err = {0};
        buf_init(&name, 4096);
        buf_init(&path, 8192);
        bench_result_filename(&ri, &name);
        cJSON *doc = bench_result_json(&ri, &sum, p->outcomes, p->n);
        if (bench_result_save(doc, opt->result_dir, buf_cstr(&name), &path, &err) < 0) {
            fprintf(stderr, "infini-bench serve: cannot save the result: %s\n", err.msg);
            code = 1;
        } else {
            printf("Saved result to %s\n", buf_cstr(&path));
        }
        cJSON_Delete(doc);
        buf_free(&path);
        buf_free(&name);
    }
    bench_summary_free(&sum);
    return code;
}

int bench_cmd_serve(int argc, char **argv)
{
    struct bench_options opt;
    struct serve_plan plan = {0};
    struct bench_runner_stats st;
    struct err_msg err = {0};
    int code;

    int rc = bench_options_parse_serve(&opt, argc, argv, &err);
    if (rc == 0)
        rc = plan_prepare(&opt, &plan, &err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "infini-bench serve: %s\n", err.msg);
        code = rc < 0 ? 2 : 0;
        goto out;
    }
    print_traffic(&opt, &plan);
    rc = run_plan(&opt, &plan, &st);
    code = rc < 0 ? 1 : report(&opt, &plan, &st);
out:
    plan_free(&plan);
    bench_options_free(&opt);
    return code;
}
