/* Command-line parsing and the setting rules shared with config/cfg (range, array and map
 * entries). Depends on libc, common/err and common/xalloc. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

bool cli_is_end(const struct cli_opt *o)
{
    return o->names == NULL && o->key == NULL;
}

/* Does `arg` (without dashes, up to `len`) match one of the '|'-separated names? */
static bool name_matches(const char *names, const char *arg, size_t len)
{
    const char *p = names;

    while (p != NULL && *p != '\0') {
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

/* "--flag" for messages, or the TOML key of a file-only entry. */
static const char *label(const struct cli_opt *o, char *out, size_t size)
{
    if (o->names == NULL)
        return o->key;
    const char *bar = strchr(o->names, '|');
    int n = bar != NULL ? (int)(bar - o->names) : (int)strlen(o->names);
    snprintf(out, size, "--%.*s", n, o->names);
    return out;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

bool cli_in_range(const struct cli_opt *o, double v)
{
    if (!isfinite(v))
        return false;
    if (o->type == CLI_INT && (v < INT_MIN || v > INT_MAX))
        return false;
    return !(o->min < o->max) || (v >= o->min && v <= o->max);
}

/* "KEY=VALUE": sets or replaces that entry of a CLI_STR_MAP field. */
static void set_map_entry(char ***slot, const char *value)
{
    size_t klen = (size_t)(strchr(value, '=') - value) + 1, n = 0;

    for (; *slot != NULL && (*slot)[n] != NULL; n++) {
        if (strncmp((*slot)[n], value, klen) == 0) {
            free((*slot)[n]);
            (*slot)[n] = xstrdup(value);
            return;
        }
    }
    *slot = xrealloc(*slot, (n + 2) * sizeof(**slot));
    (*slot)[n] = xstrdup(value);
    (*slot)[n + 1] = NULL;
}

static int set_number(const struct cli_opt *o, void *field, const char *val)
{
    char *end = NULL;

    errno = 0;
    if (o->type == CLI_DOUBLE) {
        double v = strtod(val, &end);
        if (errno != 0 || end == val || *end != '\0' || !isfinite(v))
            return -1;
        if (!cli_in_range(o, v))
            return -2;
        *(double *)field = v;
        return 0;
    }
    long long v = strtoll(val, &end, 10);
    if (errno != 0 || end == val || *end != '\0' ||
        (o->type == CLI_INT && (v < INT_MIN || v > INT_MAX)))
        return -1;
    if (!cli_in_range(o, (double)v))
        return -2;
    if (o->type == CLI_INT)
        *(int *)field = (int)v;
    else
        *(long long *)field = v;
    return 0;
}

/* 0, -1 for a value the type cannot read, -2 for one outside the range. */
static int set_text(const struct cli_opt *o, void *field, const char *val)
{
    switch (o->type) {
    case CLI_STR:
        free(*(char **)field);
        *(char **)field = xstrdup(val);
        return 0;
    case CLI_BOOL:
        if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0)
            *(bool *)field = true;
        else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0 || strcmp(val, "no") == 0)
            *(bool *)field = false;
        else
            return -1;
        return 0;
    case CLI_INT:
    case CLI_INT64:
    case CLI_DOUBLE:
        return set_number(o, field, val);
    case CLI_ENUM:
        SVC_ASSERT(o->enum_names != NULL);
        for (int i = 0; o->enum_names[i] != NULL; i++) {
            if (strcmp(o->enum_names[i], val) == 0) {
                *(int *)field = i;
                return 0;
            }
        }
        return -1;
    case CLI_STR_ARRAY:
        free_strv(*(char ***)field);
        *(char ***)field = xcalloc(2, sizeof(char *));
        (*(char ***)field)[0] = xstrdup(val);
        return 0;
    case CLI_STR_MAP:
        if (strchr(val, '=') == NULL || val[0] == '=')
            return -1;
        set_map_entry((char ***)field, val);
        return 0;
    case CLI_TABLE:
        break;
    }
    return -1;
}

int cli_set(const struct cli_opt *o, void *obj, const char *value, const char *source,
            struct err_msg *err)
{
    char name[80];
    int rc = set_text(o, (char *)obj + o->offset, value);

    if (rc == -2)
        err_set(err, 0, 0, "%s: %s: '%s' is outside %g..%g", source, label(o, name, sizeof(name)),
                value, o->min, o->max);
    else if (rc < 0)
        err_set(err, 0, 0, "%s: %s: invalid value '%s'", source, label(o, name, sizeof(name)),
                value);
    return rc < 0 ? SVC_EBADCONFIG : 0;
}

static void print_help(const struct cli_opt *opts, const struct cli_info *info)
{
    printf("Usage: %s [options]\n%s\n\nOptions:\n", info->prog, info->summary);
    for (const struct cli_opt *o = opts; !cli_is_end(o); o++) {
        char names[128];
        size_t at = 0;
        const char *p = o->names;
        if (p == NULL)
            continue;
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
        if (o->key != NULL)
            printf(" [%s]", o->key);
        if (o->def != NULL && o->def[0] != '\0')
            printf(" (default: %s)", o->def);
        if (o->env != NULL)
            printf(" [env %s]", o->env);
        putchar('\n');
    }
    printf("  %-34s %s\n  %-34s %s\n", "--help, -h", "show this help and exit", "--version",
           "show the version and exit");
}

/* The table entry `arg` names (after the dashes, up to '=' or the end), or -1. */
static int find_opt(const struct cli_opt *opts, const char *arg, size_t len)
{
    int i = 0;

    for (const struct cli_opt *o = opts; !cli_is_end(o); o++, i++)
        if (name_matches(o->names, arg, len))
            return i;
    return -1;
}

/* `given` has a bit for each of the first CLI_MAX_OPTS entries; longer tables (the router's)
 * work, and their later entries are simply not reported. */
static void mark_given(struct cli_args *args, int i)
{
    if (i < CLI_MAX_OPTS)
        args->given |= 1ULL << i;
}

int cli_scan(const struct cli_opt *opts, int argc, char **argv, const struct cli_info *info,
             struct cli_args *args, struct err_msg *err)
{
    *args = (struct cli_args){0};
    args->items = xcalloc(argc > 0 ? (size_t)argc : 1, sizeof(*args->items));
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "--version") == 0) {
            if (arg[2] == 'v')
                printf("%s %s\n", info->prog, SVC_VERSION);
            else
                print_help(opts, info);
            cli_args_free(args);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            err_set(err, 0, 0, "unexpected argument '%s' (see --help)", arg);
            cli_args_free(args);
            return SVC_EBADCONFIG;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        int i = find_opt(opts, name, len);
        const char *val = eq != NULL ? eq + 1 : NULL;
        if (i < 0)
            err_set(err, 0, 0, "unknown option '--%.*s' (see --help)", (int)len, name);
        if (i >= 0 && val == NULL && opts[i].type == CLI_BOOL)
            val = "true";
        else if (i >= 0 && val == NULL && a + 1 < argc)
            val = argv[++a];
        if (i >= 0 && val == NULL)
            err_set(err, 0, 0, "option '--%.*s' needs a value", (int)len, name);
        if (i < 0 || val == NULL) {
            cli_args_free(args);
            return SVC_EBADCONFIG;
        }
        args->items[args->n++] = (struct cli_arg){i, val};
        mark_given(args, i);
    }
    return 0;
}

void cli_args_free(struct cli_args *args)
{
    free(args->items);
    args->items = NULL;
    args->n = 0;
}

static bool in_part(const struct cli_opt *o, enum cli_part part)
{
    return part == CLI_ALL || (part == CLI_KEYED) == (o->key != NULL);
}

void cli_apply_defaults(const struct cli_opt *opts, void *obj, enum cli_part part, cli_set_cb set)
{
    struct err_msg err;

    for (const struct cli_opt *o = opts; !cli_is_end(o); o++) {
        if (o->def == NULL || !in_part(o, part))
            continue;
        int rc = (set != NULL ? set : cli_set)(o, obj, o->def, "default", &err);
        SVC_ASSERT(rc == 0); /* an invalid default in an option table */
    }
}

int cli_apply_given(const struct cli_opt *opts, void *obj, struct cli_args *args,
                    enum cli_part part, cli_set_cb set, struct err_msg *err)
{
    int i = 0, rc = 0;

    if (set == NULL)
        set = cli_set;
    for (const struct cli_opt *o = opts; !cli_is_end(o) && rc == 0; o++, i++) {
        const char *env = o->env != NULL ? getenv(o->env) : NULL;
        if (env == NULL || env[0] == '\0' || !in_part(o, part))
            continue;
        rc = set(o, obj, env, o->env, err);
        mark_given(args, i);
    }
    for (int k = 0; k < args->n && rc == 0; k++) {
        const struct cli_opt *o = &opts[args->items[k].opt];
        if (in_part(o, part))
            rc = set(o, obj, args->items[k].value, CLI_SOURCE_ARGV, err);
    }
    return rc;
}

int cli_parse(const struct cli_opt *opts, void *obj, int argc, char **argv,
              const struct cli_info *info, uint64_t *given, struct err_msg *err)
{
    struct cli_args args;
    int rc = cli_scan(opts, argc, argv, info, &args, err);

    if (rc != 0)
        return rc;
    cli_apply_defaults(opts, obj, CLI_ALL, cli_set);
    rc = cli_apply_given(opts, obj, &args, CLI_ALL, cli_set, err);
    if (given != NULL)
        *given = args.given;
    cli_args_free(&args);
    return rc;
}

void cli_free_part(const struct cli_opt *opts, void *obj, enum cli_part part)
{
    for (const struct cli_opt *o = opts; !cli_is_end(o); o++) {
        void *field = (char *)obj + o->offset;
        if (!in_part(o, part))
            continue;
        if (o->type == CLI_STR) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (o->type == CLI_STR_ARRAY || o->type == CLI_STR_MAP) {
            free_strv(*(char ***)field);
            *(char ***)field = NULL;
        } else if (o->type == CLI_TABLE) {
            *(const void **)field = NULL;
        }
    }
}

void cli_free(const struct cli_opt *opts, void *obj)
{
    cli_free_part(opts, obj, CLI_ALL);
}

int cli_check_choice(const char *flag, const char *value, const char *choices, struct err_msg *err)
{
    const char *bar = strchr(choices, '|');

    if (name_matches(choices, value, strlen(value)))
        return 0;
    if (bar != NULL && strchr(bar + 1, '|') == NULL)
        err_set(err, 0, 0, "--%s: '%s' is neither %.*s nor %s", flag, value, (int)(bar - choices),
                choices, bar + 1);
    else
        err_set(err, 0, 0, "--%s: '%s' is not one of %s", flag, value, choices);
    return SVC_EBADCONFIG;
}

int cli_index(const struct cli_opt *opts, const char *name)
{
    return find_opt(opts, name, strlen(name));
}
