/* Command-line parsing. Depends on libc and common/err. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

/* Does `arg` (without dashes, up to `len`) match one of the '|'-separated names? */
static bool name_matches(const char *names, const char *arg, size_t len)
{
    const char *p = names;

    while (*p != '\0') {
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, arg, n) == 0)
            return true;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    return false;
}

static size_t canonical_len(const char *names)
{
    const char *bar = strchr(names, '|');

    return bar != NULL ? (size_t)(bar - names) : strlen(names);
}

static int set_value(const struct cli_opt *o, void *obj, const char *val, const char *source,
                     struct err_msg *err)
{
    char *field = (char *)obj + o->offset;
    int n = (int)canonical_len(o->names);
    char *end = NULL;
    bool ranged = o->min < o->max;

    switch (o->type) {
    case CLI_STR: {
        char **s = (char **)(void *)field;
        free(*s);
        *s = xstrdup(val);
        return 0;
    }
    case CLI_BOOL: {
        bool *b = (bool *)(void *)field;
        if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0)
            *b = true;
        else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0 || strcmp(val, "no") == 0)
            *b = false;
        else
            goto bad;
        return 0;
    }
    case CLI_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (errno != 0 || end == val || *end != '\0' || v < -2147483647L || v > 2147483647L)
            goto bad;
        if (ranged && (v < o->min || v > o->max))
            goto range;
        *(int *)(void *)field = (int)v;
        return 0;
    }
    case CLI_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (errno != 0 || end == val || *end != '\0' || !isfinite(v))
            goto bad;
        if (ranged && (v < o->min || v > o->max))
            goto range;
        *(double *)(void *)field = v;
        return 0;
    }
    }
bad:
    err_set(err, 0, 0, "%s: --%.*s: invalid value '%s'", source, n, o->names, val);
    return SVC_EBADCONFIG;
range:
    err_set(err, 0, 0, "%s: --%.*s: '%s' is outside %g..%g", source, n, o->names, val, o->min,
            o->max);
    return SVC_EBADCONFIG;
}

static void print_help(const struct cli_opt *opts, const struct cli_info *info)
{
    printf("Usage: %s [options]\n%s\n\nOptions:\n", info->prog, info->summary);
    for (const struct cli_opt *o = opts; o->names != NULL; o++) {
        char names[128];
        size_t at = 0;
        const char *p = o->names;
        while (*p != '\0' && at + 4 < sizeof(names)) {
            names[at++] = '-';
            names[at++] = '-';
            while (*p != '\0' && *p != '|' && at + 3 < sizeof(names))
                names[at++] = *p++;
            if (*p == '|') {
                p++;
                names[at++] = ',';
                names[at++] = ' ';
            }
        }
        names[at] = '\0';
        printf("  %-34s %s", names, o->help);
        if (o->def != NULL && o->def[0] != '\0')
            printf(" (default: %s)", o->def);
        if (o->env != NULL)
            printf(" [env %s]", o->env);
        putchar('\n');
    }
    printf("  %-34s %s\n  %-34s %s\n", "--help, -h", "show this help and exit", "--version",
           "show the version and exit");
}

static int apply_defaults_and_env(const struct cli_opt *opts, void *obj, uint64_t *given,
                                  struct err_msg *err)
{
    int i = 0;

    for (const struct cli_opt *o = opts; o->names != NULL; o++, i++) {
        SVC_ASSERT(i < CLI_MAX_OPTS);
        if (o->def != NULL && set_value(o, obj, o->def, "default", err) < 0)
            SVC_ASSERT(!"invalid default in option table");
        const char *env = o->env != NULL ? getenv(o->env) : NULL;
        if (env != NULL && env[0] != '\0') {
            int rc = set_value(o, obj, env, o->env, err);
            if (rc < 0)
                return rc;
            if (given != NULL)
                *given |= 1ULL << i;
        }
    }
    return 0;
}

int cli_parse(const struct cli_opt *opts, void *obj, int argc, char **argv,
              const struct cli_info *info, uint64_t *given, struct err_msg *err)
{
    int rc = apply_defaults_and_env(opts, obj, given, err);

    for (int a = 1; a < argc && rc == 0; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(opts, info);
            return 1;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("%s %s\n", info->prog, SVC_VERSION);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            err_set(err, 0, 0, "unexpected argument '%s' (see --help)", arg);
            return SVC_EBADCONFIG;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        int i = 0;
        const struct cli_opt *o = opts;
        for (; o->names != NULL && !name_matches(o->names, name, len); o++)
            i++;
        if (o->names == NULL) {
            err_set(err, 0, 0, "unknown option '--%.*s' (see --help)", (int)len, name);
            return SVC_EBADCONFIG;
        }
        const char *val = eq != NULL ? eq + 1 : NULL;
        if (val == NULL && o->type == CLI_BOOL)
            val = "true";
        else if (val == NULL && a + 1 < argc)
            val = argv[++a];
        if (val == NULL) {
            err_set(err, 0, 0, "option '--%.*s' needs a value", (int)len, name);
            return SVC_EBADCONFIG;
        }
        rc = set_value(o, obj, val, "command line", err);
        if (rc == 0 && given != NULL)
            *given |= 1ULL << i;
    }
    return rc;
}

void cli_free(const struct cli_opt *opts, void *obj)
{
    for (const struct cli_opt *o = opts; o->names != NULL; o++) {
        if (o->type != CLI_STR)
            continue;
        char **s = (char **)(void *)((char *)obj + o->offset);
        free(*s);
        *s = NULL;
    }
}

int cli_index(const struct cli_opt *opts, const char *name)
{
    int i = 0;

    for (const struct cli_opt *o = opts; o->names != NULL; o++, i++) {
        if (name_matches(o->names, name, strlen(name)))
            return i;
    }
    return -1;
}
