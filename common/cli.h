/* Table-driven command-line parsing shared by the binaries: `--name value` and `--name=value`,
 * aliases, defaults, environment overrides (default < environment < command line), range
 * checks, and generated --help / --version. Depends on common/err only. */
#ifndef SVC_COMMON_CLI_H
#define SVC_COMMON_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err_msg;

enum cli_type {
    CLI_STR,    /* char *, owned (free with cli_free) */
    CLI_INT,    /* int, range-checked when min < max */
    CLI_DOUBLE, /* double, range-checked when min < max */
    CLI_BOOL,   /* bool; "--flag" alone means true, "--flag=false" false */
};

struct cli_opt {
    const char *names; /* "router-port|port": long names without dashes, first is canonical */
    enum cli_type type;
    size_t offset;   /* of the field in the target struct */
    const char *def; /* default as text, or NULL */
    const char *env; /* environment variable consulted before argv, or NULL */
    const char *help;
    double min, max;
};

struct cli_info {
    const char *prog;    /* e.g. "infini-registry" */
    const char *summary; /* one line */
};

#define CLI_MAX_OPTS 64

/* Applies defaults, then the environment, then argv, to `obj`. Sets bit i of *given (may be
 * NULL) when opts[i] came from the environment or argv. Returns 0 to go on, 1 when --help or
 * --version was printed (exit 0), or a negative code with `err` set (exit 2). */
int cli_parse(const struct cli_opt *opts, void *obj, int argc, char **argv,
              const struct cli_info *info, uint64_t *given, struct err_msg *err);
/* Frees the CLI_STR fields of `obj` and NULLs them. */
void cli_free(const struct cli_opt *opts, void *obj);
/* Index of the option with canonical name `name` (for testing `given` bits); -1 if none. */
int cli_index(const struct cli_opt *opts, const char *name);

#endif
