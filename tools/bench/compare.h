/* `infini-bench compare`: loads result files (this tool's or vLLM's own), prints a side-by-side
 * table (one column per file, then the % change of every later file against the first) and,
 * when gnuplot is installed, draws a PNG bar chart of mean/p90 TTFT and output throughput.
 * gnuplot runs through uv_spawn on a generated script file, never through a shell. Missing
 * fields show as "-". Depends on cJSON, libuv, common/json, common/buf and common/err. */
#ifndef SVC_TOOLS_BENCH_COMPARE_H
#define SVC_TOOLS_BENCH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

struct buf;
struct err_msg;

/* One loaded result file. */
struct bench_compare_file {
    const char *path; /* borrowed */
    cJSON *doc;       /* owned */
    char *label;      /* owned: the result's label, else its backend, else the file name */
};

/* Loads `path` into `f`. 0, or a negative code with `err` set. Release with
 * bench_compare_file_free() whatever the result. */
int bench_compare_load(const char *path, struct bench_compare_file *f, struct err_msg *err);
void bench_compare_file_free(struct bench_compare_file *f);

/* Prints the table for `n` files (borrowed). */
void bench_compare_print(FILE *out, const struct bench_compare_file *files, size_t n);

/* Appends the gnuplot script drawing `data_path` into `png_path` to `out` (exposed for tests). */
int bench_compare_script(const char *data_path, const char *png_path, struct buf *out);

/* Draws the chart into `png_path`. 0 when written; 1 when gnuplot is not installed (a note was
 * printed to `note`); a negative code with `err` set on failure. Runs a private loop. */
int bench_compare_chart(const struct bench_compare_file *files, size_t n, const char *png_path,
                        FILE *note, struct err_msg *err);

/* The subcommand: `argv[0]` is "compare". Returns the exit code: 0, 1 (chart failed), 2 (bad
 * arguments or unreadable file). */
int bench_compare_main(int argc, char **argv);

#endif
