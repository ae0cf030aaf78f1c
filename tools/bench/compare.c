/* Result comparison table and gnuplot chart. Depends on cJSON, libuv, common/json, common/buf and
 * common/err. */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "xalloc.h"

#define MAX_RESULT_BYTES ((size_t)512 << 20)
#define LABEL_MAX        24

enum fmt { FMT_NUM, FMT_PCT, FMT_INT };

struct row {
    const char *title;
    const char *key;
    enum fmt fmt;
};

static const struct row rows[] = {
    {"Mean TTFT (ms)", "mean_ttft_ms", FMT_NUM},
    {"Median TTFT (ms)", "median_ttft_ms", FMT_NUM},
    {"P90 TTFT (ms)", "p90_ttft_ms", FMT_NUM},
    {"P99 TTFT (ms)", "p99_ttft_ms", FMT_NUM},
    {"Mean TPOT (ms)", "mean_tpot_ms", FMT_NUM},
    {"Mean ITL (ms)", "mean_itl_ms", FMT_NUM},
    {"Mean E2E (ms)", "mean_e2el_ms", FMT_NUM},
    {"Request throughput (req/s)", "request_throughput", FMT_NUM},
    {"Output throughput (tok/s)", "output_throughput", FMT_NUM},
    {"Prefix cache hit rate (%)", "prefix_cache_hit_rate", FMT_PCT},
    {"Failed requests", "failed", FMT_INT},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---------------------------------------------------------------- loading */

static char *default_label(const char *path, const cJSON *doc)
{
    const char *label = json_get_string(doc, "label");
    const char *slash = strrchr(path, '/');

    if (label == NULL || label[0] == '\0')
        label = json_get_string(doc, "backend");
    if (label == NULL || label[0] == '\0')
        label = slash != NULL ? slash + 1 : path;
    return xstrdup(label);
}

int bench_compare_load(const char *path, struct bench_compare_file *f, struct err_msg *err)
{
    struct buf text;
    struct err_msg jerr = {0};
    int rc;

    memset(f, 0, sizeof(*f));
    f->path = path;
    buf_init(&text, MAX_RESULT_BYTES);
    rc = buf_read_file(&text, path);
    if (rc < 0) {
        err_set(err, 0, 0, "%s: %s", path, err_str(rc));
        goto out;
    }
    f->doc = json_parse(buf_cstr(&text), text.len, &jerr);
    if (!cJSON_IsObject(f->doc)) {
        err_set(err, 0, 0, "%s: not a result file (%s)", path,
                f->doc == NULL ? jerr.msg : "not a JSON object");
        rc = SVC_EPARSE;
        goto out;
    }
    f->label = default_label(path, f->doc);
out:
    buf_free(&text);
    return rc;
}

void bench_compare_file_free(struct bench_compare_file *f)
{
    if (f == NULL)
        return;
    cJSON_Delete(f->doc);
    free(f->label);
    f->doc = NULL;
    f->label = NULL;
}

/* ---------------------------------------------------------------- table */

/* The row's value in `doc`; false when missing (or null, as vLLM writes absent metrics). */
static bool value_of(const cJSON *doc, const struct row *r, double *out)
{
    if (!json_get_number(doc, r->key, out) || !isfinite(*out))
        return false;
    if (r->fmt == FMT_PCT)
        *out *= 100.0;
    return true;
}

static void format_value(const struct row *r, bool have, double v, char *out, size_t size)
{
    if (!have)
        snprintf(out, size, "-");
    else if (r->fmt == FMT_INT)
        snprintf(out, size, "%.0f", v);
    else
        snprintf(out, size, "%.2f", v);
}

static void format_change(bool have_base, double base, bool have, double v, char *out, size_t size)
{
    if (!have_base || !have)
        snprintf(out, size, "-");
    else if (base == 0.0 && v == 0.0)
        snprintf(out, size, "+0.0%%");
    else if (base == 0.0)
        snprintf(out, size, "n/a"); /* any change from zero is infinitely large */
    else
        snprintf(out, size, "%+.1f%%", (v - base) / fabs(base) * 100.0);
}

static void print_legend(FILE *out, const struct bench_compare_file *files, size_t n)
{
    fprintf(out, "Comparing %zu result files (changes are relative to [1]):\n", n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  [%zu] %-*.*s %s\n", i + 1, LABEL_MAX, LABEL_MAX, files[i].label,
                files[i].path);
    fputc('\n', out);
}

static int column_width(const struct bench_compare_file *files, size_t n)
{
    size_t w = 12;

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(files[i].label);
        if (len > w)
            w = len;
    }
    return (int)(w > LABEL_MAX ? LABEL_MAX : w);
}

void bench_compare_print(FILE *out, const struct bench_compare_file *files, size_t n)
{
    int w = column_width(files, n);
    char cell[64];

    print_legend(out, files, n);
    fprintf(out, "%-28s", "Metric");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %*.*s", w, w, files[i].label);
    for (size_t i = 1; i < n; i++) {
        snprintf(cell, sizeof(cell), "[%zu] vs [1]", i + 1);
        fprintf(out, " %12s", cell);
    }
    fputc('\n', out);
    for (size_t r = 0; r < NROWS; r++) {
        double base = 0.0;
        bool have_base = value_of(files[0].doc, &rows[r], &base);
        fprintf(out, "%-28s", rows[r].title);
        for (size_t i = 0; i < n; i++) {
            double v = 0.0;
            bool have = value_of(files[i].doc, &rows[r], &v);
            format_value(&rows[r], have, v, cell, sizeof(cell));
            fprintf(out, " %*s", w, cell);
        }
        for (size_t i = 1; i < n; i++) {
            double v = 0.0;
            bool have = value_of(files[i].doc, &rows[r], &v);
            format_change(have_base, base, have, v, cell, sizeof(cell));
            fprintf(out, " %12s", cell);
        }
        fputc('\n', out);
    }
}

/* ---------------------------------------------------------------- chart */

/* Appends `s` as a gnuplot single-quoted string ('' stands for one quote). */
static void append_quoted(struct buf *out, const char *s)
{
    buf_putc(out, '\'');
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *s);
    }
    buf_putc(out, '\'');
}

int bench_compare_script(const char *data_path, const char *png_path, struct buf *out)
{
    buf_append_str(out, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                        "  set terminal pngcairo noenhanced size 1100,480\n"
                        "} else {\n"
                        "  set terminal png noenhanced size 1100,480\n"
                        "}\n"
                        "set output ");
    append_quoted(out, png_path);
    buf_append_str(out, "\nset datafile missing '-'\n"
                        "set style data histograms\n"
                        "set style histogram clustered gap 1\n"
                        "set style fill solid 0.85 border -1\n"
                        "set boxwidth 0.9\n"
                        "set grid ytics\n"
                        "set yrange [0:*]\n"
                        "set key below\n"
                        "set xtics rotate by -20\n"
                        "set multiplot layout 1,2 title 'infini-bench comparison'\n"
                        "set title 'TTFT (ms), lower is better'\n"
                        "plot ");
    append_quoted(out, data_path);
    buf_append_str(out, " using 2:xtic(1) title 'mean', '' using 3 title 'p90'\n"
                        "set title 'Output throughput (tok/s), higher is better'\n"
                        "plot ");
    append_quoted(out, data_path);
    return buf_append_str(out, " using 4:xtic(1) title 'output tok/s'\n"
                               "unset multiplot\n");
}

static void append_data_value(struct buf *out, const cJSON *doc, const char *key)
{
    double v;

    if (json_get_number(doc, key, &v) && isfinite(v))
        buf_appendf(out, " %.6g", v);
    else
        buf_append_str(out, " -");
}

static void chart_data(const struct bench_compare_file *files, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n; i++) {
        buf_putc(out, '"');
        for (const char *p = files[i].label; *p != '\0'; p++)
            buf_putc(out, *p == '"' ? '\'' : *p);
        buf_putc(out, '"');
        append_data_value(out, files[i].doc, "mean_ttft_ms");
        append_data_value(out, files[i].doc, "p90_ttft_ms");
        append_data_value(out, files[i].doc, "output_throughput");
        buf_putc(out, '\n');
    }
}

static int write_file(const char *path, const struct buf *b)
{
    FILE *f = fopen(path, "w");
    int rc = 0;

    if (f == NULL)
        return -errno;
    if (fwrite(buf_cstr(b), 1, b->len, f) != b->len)
        rc = UV_EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = UV_EIO;
    return rc;
}

struct gnuplot_run {
    int64_t exit_status;
    int term_signal;
};

static void on_gnuplot_exit(uv_process_t *p, int64_t status, int sig)
{
    struct gnuplot_run *run = p->data;

    run->exit_status = status;
    run->term_signal = sig;
    uv_close((uv_handle_t *)p, NULL);
}

#define GNUPLOT_FAILED 1

/* Runs `gnuplot script` to completion on a private loop. 0; GNUPLOT_FAILED when it exited with
 * an error; UV_ENOENT when gnuplot is not installed; or another negative libuv code. */
static int spawn_gnuplot(char *script)
{
    uv_loop_t loop;
    uv_process_t proc;
    struct gnuplot_run run = {-1, 0};
    char prog[] = "gnuplot";
    char *args[] = {prog, script, NULL};
    uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE},
                                     {.flags = UV_INHERIT_FD, .data.fd = 1},
                                     {.flags = UV_INHERIT_FD, .data.fd = 2}};
    uv_process_options_t po = {.exit_cb = on_gnuplot_exit,
                               .file = "gnuplot",
                               .args = args,
                               .stdio_count = 3,
                               .stdio = stdio};
    int rc = uv_loop_init(&loop);

    if (rc < 0)
        return rc;
    rc = uv_spawn(&loop, &proc, &po);
    proc.data = &run;
    if (rc < 0) /* libuv wants the handle closed even when the spawn failed */
        uv_close((uv_handle_t *)&proc, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&loop);
    if (rc == 0 && (run.exit_status != 0 || run.term_signal != 0))
        rc = GNUPLOT_FAILED;
    return rc;
}

int bench_compare_chart(const struct bench_compare_file *files, size_t n, const char *png_path,
                        FILE *note, struct err_msg *err)
{
    const char *tmp = getenv("TMPDIR");
    struct buf dir, data, script, data_path, script_path;
    int rc;

    buf_init(&dir, 4096);
    buf_init(&data, BUF_UNLIMITED);
    buf_init(&script, BUF_UNLIMITED);
    buf_init(&data_path, 4096);
    buf_init(&script_path, 4096);
    buf_appendf(&dir, "%s/infini-bench-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir.data) == NULL) {
        rc = -errno;
        err_set(err, 0, 0, "cannot create a temporary directory: %s", err_str(rc));
        goto out;
    }
    buf_appendf(&data_path, "%s/data.dat", buf_cstr(&dir));
    buf_appendf(&script_path, "%s/chart.gp", buf_cstr(&dir));
    chart_data(files, n, &data);
    bench_compare_script(buf_cstr(&data_path), png_path, &script);
    rc = write_file(buf_cstr(&data_path), &data);
    if (rc == 0)
        rc = write_file(buf_cstr(&script_path), &script);
    if (rc == 0)
        rc = spawn_gnuplot(script_path.data);
    if (rc == UV_ENOENT) {
        fprintf(note, "gnuplot is not installed: no chart (Debian: apt-get install gnuplot-nox, "
                      "or scripts/install-deps.sh --bench)\n");
        rc = 1;
    } else if (rc == GNUPLOT_FAILED) {
        err_set(err, 0, 0, "gnuplot failed to draw %s (its messages are above)", png_path);
        rc = UV_EIO;
    } else if (rc < 0) {
        err_set(err, 0, 0, "cannot run gnuplot for %s: %s", png_path, err_str(rc));
    }
    (void)unlink(buf_cstr(&data_path));
    (void)unlink(buf_cstr(&script_path));
    (void)rmdir(buf_cstr(&dir));
out:
    buf_free(&script_path);
    buf_free(&data_path);
    buf_free(&script);
    buf_free(&data);
    buf_free(&dir);
    return rc;
}

/* ---------------------------------------------------------------- subcommand */

static void usage(FILE *out)
{
    fprintf(out, "Usage: infini-bench compare A.json B.json [more.json ...] [--chart OUT.png]\n"
                 "Prints a side-by-side table of result files (this tool's or vLLM's) with the %% "
                 "change of\neach file against the first; --chart also draws mean/p90 TTFT and "
                 "output throughput\nwith gnuplot (skipped with a note when it is not installed)."
                 "\n");
}

/* Splits argv into files and --chart. 0 to go on, 1 after --help, SVC_EBADCONFIG. */
static int parse_args(int argc, char **argv, const char ***paths, size_t *n, const char **chart,
                      struct err_msg *err)
{
    *paths = xcalloc((size_t)argc, sizeof(**paths));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--chart") == 0 && i + 1 < argc) {
            *chart = argv[++i];
        } else if (strncmp(a, "--chart=", 8) == 0 && a[8] != '\0') {
            *chart = a + 8;
        } else if (strncmp(a, "--", 2) == 0) {
            err_set(err, 0, 0, "unknown option or missing value: '%s' (see --help)", a);
            return SVC_EBADCONFIG;
        } else {
            (*paths)[(*n)++] = a;
        }
    }
    if (*n < 2) {
        err_set(err, 0, 0, "compare needs at least two result files (see --help)");
        return SVC_EBADCONFIG;
    }
    return 0;
}

int bench_compare_main(int argc, char **argv)
{
    const char **paths = NULL, *chart = NULL;
    struct bench_compare_file *files = NULL;
    struct err_msg err = {0};
    size_t n = 0, loaded = 0;
    int code = 0;

    int rc = parse_args(argc, argv, &paths, &n, &chart, &err);
    if (rc != 0) {
        code = rc < 0 ? 2 : 0;
        goto out;
    }
    files = xcalloc(n, sizeof(*files));
    for (; loaded < n && rc == 0; loaded++)
        rc = bench_compare_load(paths[loaded], &files[loaded], &err);
    if (rc < 0) {
        code = 2;
        goto out;
    }
    bench_compare_print(stdout, files, n);
    if (chart != NULL) {
        fflush(stdout);
        rc = bench_compare_chart(files, n, chart, stdout, &err);
        if (rc == 0)
            printf("\nChart written to %s\n", chart);
        code = rc < 0 ? 1 : 0;
    }
out:
    if (code != 0 && err.msg[0] != '\0')
        fprintf(stderr, "infini-bench compare: %s\n", err.msg);
    for (size_t i = 0; i < loaded; i++)
        bench_compare_file_free(&files[i]);
    free(files);
    free(paths);
    return code;
}
