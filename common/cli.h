/* One description per setting, shared by the command line and the configuration file: a table
 * of struct cli_opt gives each setting its flags, its TOML key, its environment variable, type,
 * default, range and help, once. This module reads the command line from such a table
 * (`--name value` and `--name=value`, aliases, default < environment < command line, generated
 * --help / --version); config/cfg reads TOML files from the same table (the entries with a key)
 * and checks a file's value with the same range rule as a flag's (cli_in_range). The settings
 * every program has (bind, port-file, log-level, access-log) are declared once, below.
 * Depends on common/err and common/xalloc only. */
#ifndef SVC_COMMON_CLI_H
#define SVC_COMMON_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err_msg;

/* Each type names the C type of the field at `offset`. */
enum cli_type {
    CLI_STR,       /* char *, owned (free with cli_free) */
    CLI_INT,       /* int; within .min..max when min < max */
    CLI_INT64,     /* long long; within .min..max when min < max */
    CLI_DOUBLE,    /* double, finite; within .min..max when min < max */
    CLI_BOOL,      /* bool; "--flag" alone means true, "--flag=false" false */
    CLI_ENUM,      /* int: the index of the value in .enum_names (NULL-terminated) */
    CLI_STR_ARRAY, /* char **, owned, NULL-terminated; a flag's text is one element (config/cfg
                    * also reads a TOML array literal) */
    CLI_STR_MAP,   /* char **, owned, NULL-terminated "KEY=VALUE" strings; a flag's text sets or
                    * replaces one entry (config/cfg also reads a TOML inline table) */
    CLI_TABLE,     /* const struct toml_table *, borrowed from config/cfg's tree: file only */
};

struct cli_opt {
    const char *names; /* "router-port|port": flags without dashes, the first canonical;
                        * NULL: no flag (a file-only setting) */
    enum cli_type type;
    size_t offset;   /* of the field in the target struct */
    const char *def; /* default as text (a flag's value), or NULL: the field is left alone */
    const char *env; /* environment variable consulted before argv, or NULL */
    const char *help;
    double min, max; /* range of CLI_INT, CLI_INT64 and CLI_DOUBLE values, when min < max */
    const char *key; /* dotted TOML key ("babysitter.max_restarts") read by config/cfg, or NULL:
                      * command line only */
    const char *const *enum_names; /* CLI_ENUM */
};

/* An entry, positionally: CLI_OPT(names, type, offset, def, env, help, min, max). */
#define CLI_OPT(names_, type_, offset_, def_, env_, help_, min_, max_)                             \
    {                                                                                              \
        .names = (names_), .type = (type_), .offset = (offset_), .def = (def_), .env = (env_),     \
        .help = (help_), .min = (min_), .max = (max_)                                              \
    }
#define CLI_OPT_END                                                                                \
    {                                                                                              \
        .names = NULL, .key = NULL                                                                 \
    }

/* The settings every daemon (and infini-mock) has, declared once with one default each. `st_`
 * is the struct with the fields bind, port_file, log_level and access_log (char *). --bind may
 * take more names (CLI_OPT_BIND_AKA(st_, "|host")). The access log goes to stdout unless told
 * otherwise, as with most servers: a babysitter's or a mock's lines are mostly health probes,
 * and `--access-log off` silences them. */
#define CLI_OPT_BIND_AKA(st_, aliases)                                                             \
    {                                                                                              \
        .names = "bind" aliases, .type = CLI_STR, .offset = offsetof(st_, bind), .def = "0.0.0.0", \
        .help = "address to listen on"                                                             \
    }
#define CLI_OPT_BIND(st_) CLI_OPT_BIND_AKA(st_, "")
#define CLI_OPT_PORT_FILE(st_)                                                                     \
    {                                                                                              \
        .names = "port-file", .type = CLI_STR, .offset = offsetof(st_, port_file),                 \
        .help = "write the bound port to this file"                                                \
    }
#define CLI_OPT_LOG_LEVEL(st_)                                                                     \
    {                                                                                              \
        .names = "log-level", .type = CLI_STR, .offset = offsetof(st_, log_level), .def = "info",  \
        .env = "INFINI_LOG_LEVEL", .help = "error, warn, info or debug"                            \
    }
#define CLI_OPT_ACCESS_LOG(st_)                                                                    \
    {                                                                                              \
        .names = "access-log", .type = CLI_STR, .offset = offsetof(st_, access_log), .def = "-",   \
        .help = "access log: PATH, - (stdout) or off"                                              \
    }

/* The HTTP server limits (common/http_server.h) the registry and the router both take, and
 * infini-mock the first, with one default, range and help each. `st_` has the fields
 * max_buffered_body and max_connections (int), header_timeout and body_timeout (double,
 * seconds). */
#define CLI_OPT_MAX_BUFFERED_BODY(st_)                                                             \
    CLI_OPT("max-buffered-body-bytes", CLI_INT, offsetof(st_, max_buffered_body), "268435456",     \
            NULL,                                                                                  \
            "request-body bytes held at once across all connections (503 beyond; 0 = no limit)",   \
            0, 2147483647)
#define CLI_OPT_MAX_CONNECTIONS(st_)                                                               \
    CLI_OPT("max-connections", CLI_INT, offsetof(st_, max_connections), "10000", NULL,             \
            "open client connections; above, the oldest idle one is closed", 1, 1000000)
#define CLI_OPT_HEADER_TIMEOUT(st_)                                                                \
    CLI_OPT("header-timeout", CLI_DOUBLE, offsetof(st_, header_timeout), "10", NULL,               \
            "seconds from accept (or a request's first byte) to the end of its headers (408)",     \
            0.01, 3600)
#define CLI_OPT_BODY_TIMEOUT(st_)                                                                  \
    CLI_OPT("body-timeout", CLI_DOUBLE, offsetof(st_, body_timeout), "30", NULL,                   \
            "seconds a request body may pause; a body slower than 1 KiB/s ends about this long "   \
            "after its headers (408)",                                                             \
            0.01, 3600)

struct cli_info {
    const char *prog;    /* e.g. "infini-registry" */
    const char *summary; /* one line */
};

#define CLI_MAX_OPTS 64 /* entries `given` reports on; tables may be longer */
/* The `source` of a value from argv, in messages ("command line: --port: ..."). */
#define CLI_SOURCE_ARGV "command line"

/* Sets the field of `o` from `value` (text) that came from `source` ("default",
 * CLI_SOURCE_ARGV or an environment variable's name). cli_set() is the command line's setter;
 * config/cfg's cfg_set_value() also reads TOML literals for settings that have a key. Returns 0
 * or a negative code with `err` set. */
typedef int (*cli_set_cb)(const struct cli_opt *o, void *obj, const char *value, const char *source,
                          struct err_msg *err);

/* The command line's rules: CLI_STR verbatim; CLI_BOOL true/1/yes or false/0/no; numbers in C
 * syntax (strtol, strtod), whole and in range (cli_in_range); CLI_ENUM one of the names;
 * CLI_STR_ARRAY the text as the single element; CLI_STR_MAP "KEY=VALUE", setting or replacing
 * that entry. CLI_TABLE cannot be set. The previous value is released. 0, or SVC_EBADCONFIG
 * with "<source>: --<flag>: invalid value 'x'" or "... 'x' is outside MIN..MAX". */
int cli_set(const struct cli_opt *o, void *obj, const char *value, const char *source,
            struct err_msg *err);

/* The range rule of every source (flag, environment, file, default): whether `v` fits the
 * numeric type of `o` (int limits for CLI_INT; finite for CLI_DOUBLE) and, when o->min <
 * o->max, lies within them. */
bool cli_in_range(const struct cli_opt *o, double v);

/* Which entries an operation touches. */
enum cli_part {
    CLI_ALL,
    CLI_KEYED,   /* entries with a TOML key */
    CLI_UNKEYED, /* command-line-only entries */
};

/* The command line as given: each option occurrence in argv order. */
struct cli_args {
    int n;
    struct cli_arg {
        int opt;           /* index into the table */
        const char *value; /* borrowed from argv (or "true" for a bare boolean flag) */
    } * items;
    uint64_t given; /* bit i: opts[i] came from argv or (after cli_apply_given) the environment;
                     * the first CLI_MAX_OPTS entries only: list those a caller asks about first */
};

/* Reads argv against `opts` without setting anything: unknown options, positional arguments
 * and missing values are errors; --help and --version print and stop. Returns 0 (release
 * `args` with cli_args_free()), 1 when --help or --version was printed (exit 0), or
 * SVC_EBADCONFIG with `err` set (exit 2); `args` needs no release unless 0 was returned. */
int cli_scan(const struct cli_opt *opts, int argc, char **argv, const struct cli_info *info,
             struct cli_args *args, struct err_msg *err);
void cli_args_free(struct cli_args *args);

/* Sets every field of `part` that has a default, through `set` (NULL: cli_set). A default that
 * does not parse is a programming error (SVC_ASSERT). */
void cli_apply_defaults(const struct cli_opt *opts, void *obj, enum cli_part part, cli_set_cb set);

/* Applies to the entries of `part`: the environment (a non-empty variable), then the argv
 * values in order, through `set` (NULL: cli_set); marks each in args->given. 0, or the first
 * failing `set`'s code with `err` set. */
int cli_apply_given(const struct cli_opt *opts, void *obj, struct cli_args *args,
                    enum cli_part part, cli_set_cb set, struct err_msg *err);

/* cli_scan(), cli_apply_defaults() and cli_apply_given() for every entry with cli_set, for a
 * program without a configuration file. Sets *given (may be NULL) to args.given. Returns 0 to
 * go on, 1 when --help or --version was printed (exit 0), or a negative code with `err` set
 * (exit 2). */
int cli_parse(const struct cli_opt *opts, void *obj, int argc, char **argv,
              const struct cli_info *info, uint64_t *given, struct err_msg *err);

/* Frees the owned fields (CLI_STR, CLI_STR_ARRAY, CLI_STR_MAP) of `part` and NULLs them; NULLs
 * CLI_TABLE fields. cli_free() is cli_free_part(CLI_ALL). */
void cli_free_part(const struct cli_opt *opts, void *obj, enum cli_part part);
void cli_free(const struct cli_opt *opts, void *obj);

/* Checks a CLI_STR setting that takes one of a few words: 0 when `value` is one of the
 * '|'-separated `choices`, else SVC_EBADCONFIG with `err` set to "--<flag>: 'x' is neither on
 * nor off" (choices "on|off"; with more, "... is not one of a|b|c"). `flag` is without dashes;
 * every argument is borrowed. For settings whose field stays a string (a new one can be a
 * CLI_ENUM). */
int cli_check_choice(const char *flag, const char *value, const char *choices, struct err_msg *err);

/* Index of the option with flag `name` (any of its names), for testing `given` bits; -1 if
 * none. */
int cli_index(const struct cli_opt *opts, const char *name);

/* Whether `o` ends a table (no flag and no key). */
bool cli_is_end(const struct cli_opt *o);

#endif
