/* Reporting a run: the vLLM-style summary on a stream, the result document (every field of vLLM's
 * result file plus this tool's own) and its file name
 * `<label>-<rate>qps[-concurrency<N>]-<model>-<YYYYMMDD-HHMMSS>.json`. Depends on cJSON,
 * common/json, common/buf, common/err, tools/bench/summary and tools/bench/outcome. Saving is
 * blocking file I/O, done after the event loop finished. */
#ifndef SVC_TOOLS_BENCH_RESULT_H
#define SVC_TOOLS_BENCH_RESULT_H

#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

struct buf;
struct err_msg;
struct bench_outcome;
struct bench_summary;

#define BENCH_RESULT_DATE_LEN 16

/* The run's settings, as recorded in the result. Strings are borrowed. */
struct bench_run_info {
    const char *label;   /* never NULL */
    const char *model;   /* model id as sent */
    const char *backend; /* "openai-chat" or "openai" (vLLM's names) */
    const char *date;    /* YYYYMMDD-HHMMSS, local time */
    size_t num_prompts;
    double request_rate; /* INFINITY: all at once */
    double burstiness;
    int max_concurrency; /* 0: unlimited */
};

/* Prints the summary table (vLLM's layout, with p90, E2E, cache and instance sections). */
void bench_result_print(FILE *out, const struct bench_run_info *ri, const struct bench_summary *s);

/* Builds the result document; the caller frees it with cJSON_Delete(). `o` (n outcomes) feeds the
 * per-request arrays. Latencies in the arrays are seconds (vLLM's unit), metrics milliseconds. */
cJSON *bench_result_json(const struct bench_run_info *ri, const struct bench_summary *s,
                         const struct bench_outcome *o, size_t n);

/* Formats a rate as Python prints a float ("inf", "1.0", "0.5", "2.25"), as vLLM's file names do.
 */
void bench_result_format_rate(double rate, char *out, size_t size);
/* Appends the result file name to `out`: the label and model have '/' replaced (the model keeps
 * only its last path component, like vLLM). 0, or SVC_ELIMIT. */
int bench_result_filename(const struct bench_run_info *ri, struct buf *out);
/* Writes `t` (Unix seconds) as local YYYYMMDD-HHMMSS. */
void bench_result_date(double t, char out[BENCH_RESULT_DATE_LEN]);

/* Writes `doc` to `dir`/`name` (creating `dir` and its parents), setting `path` to the file's
 * path. 0, or a negative libuv code with `err` set. */
int bench_result_save(const cJSON *doc, const char *dir, const char *name, struct buf *path,
                      struct err_msg *err);

#endif
