/* Unit tests for common/cli: defaults, environment, argv precedence, aliases, ranges, errors,
 * every value type, repeated flags, and the settings every program declares once. */
#include "cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct opts {
    int port;
    double interval;
    char *name;
    bool verbose;
};

static const struct cli_opt table[] = {
    CLI_OPT("router-port|port", CLI_INT, offsetof(struct opts, port), "8000", NULL, "port", 0,
            65535),
    CLI_OPT("interval", CLI_DOUBLE, offsetof(struct opts, interval), "2.5", "TEST_CLI_INTERVAL",
            "s", 0.1, 3600),
    CLI_OPT("name", CLI_STR, offsetof(struct opts, name), "default-name", "TEST_CLI_NAME", "name",
            0, 0),
    CLI_OPT("verbose", CLI_BOOL, offsetof(struct opts, verbose), "false", NULL, "talk", 0, 0),
    CLI_OPT_END,
};

static const struct cli_info info = {"test-cli", "testing"};

static int run(struct opts *o, uint64_t *given, struct err_msg *err, int argc, char **argv)
{
    *o = (struct opts){0};
    return cli_parse(table, o, argc, argv, &info, given, err);
}

TEST(defaults_apply)
{
    struct opts o;
    struct err_msg err;
    uint64_t given = 0;
    char *argv[] = {"prog"};

    unsetenv("TEST_CLI_INTERVAL");
    unsetenv("TEST_CLI_NAME");
    ASSERT_EQ(run(&o, &given, &err, 1, argv), 0);
    ASSERT_EQ(o.port, 8000);
    ASSERT_TRUE(o.interval == 2.5);
    ASSERT_STR_EQ(o.name, "default-name");
    ASSERT_FALSE(o.verbose);
    ASSERT_EQ(given, 0);
    cli_free(table, &o);
    ASSERT_NULL(o.name);
}

TEST(env_then_argv_precedence)
{
    struct opts o;
    struct err_msg err;
    uint64_t given = 0;
    char *argv[] = {"prog", "--port", "9000", "--name=cli", "--verbose"};

    setenv("TEST_CLI_INTERVAL", "7", 1);
    setenv("TEST_CLI_NAME", "env", 1);
    ASSERT_EQ(run(&o, &given, &err, 5, argv), 0);
    ASSERT_EQ(o.port, 9000);
    ASSERT_TRUE(o.interval == 7);
    ASSERT_STR_EQ(o.name, "cli");
    ASSERT_TRUE(o.verbose);
    ASSERT_TRUE(given & (1ULL << cli_index(table, "port")));
    ASSERT_TRUE(given & (1ULL << cli_index(table, "interval")));
    ASSERT_EQ(cli_index(table, "router-port"), 0);
    ASSERT_EQ(cli_index(table, "nope"), -1);
    cli_free(table, &o);
    unsetenv("TEST_CLI_INTERVAL");
    unsetenv("TEST_CLI_NAME");
}

TEST(errors_are_reported)
{
    struct opts o;
    struct err_msg err;
    char *bad_range[] = {"prog", "--port", "70000"};
    char *bad_int[] = {"prog", "--port=12x"};
    char *unknown[] = {"prog", "--frobnicate"};
    char *missing[] = {"prog", "--name"};
    char *positional[] = {"prog", "extra"};
    char *bad_bool[] = {"prog", "--verbose=maybe"};

    ASSERT_EQ(run(&o, NULL, &err, 3, bad_range), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "outside 0..65535");
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 2, bad_int), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "invalid value '12x'");
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 2, unknown), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "unknown option '--frobnicate'");
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 2, missing), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "needs a value");
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 2, positional), SVC_EBADCONFIG);
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 2, bad_bool), SVC_EBADCONFIG);
    cli_free(table, &o);
    setenv("TEST_CLI_INTERVAL", "0", 1);
    char *argv[] = {"prog"};
    ASSERT_EQ(run(&o, NULL, &err, 1, argv), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "TEST_CLI_INTERVAL");
    cli_free(table, &o);
    unsetenv("TEST_CLI_INTERVAL");
}

TEST(help_and_version_stop)
{
    struct opts o;
    struct err_msg err;
    char *help[] = {"prog", "--help"};
    char *version[] = {"prog", "--version"};

    ASSERT_EQ(run(&o, NULL, &err, 2, help), 1);
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 2, version), 1);
    cli_free(table, &o);
}

TEST(repeated_flags_apply_in_order)
{
    struct opts o;
    struct err_msg err;
    char *twice[] = {"prog", "--port", "1", "--router-port=2"};
    char *bad_first[] = {"prog", "--port", "abc", "--port", "2"};

    ASSERT_EQ(run(&o, NULL, &err, 4, twice), 0);
    ASSERT_EQ(o.port, 2);
    cli_free(table, &o);
    ASSERT_EQ(run(&o, NULL, &err, 5, bad_first), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "invalid value 'abc'");
    cli_free(table, &o);
}

struct typed {
    long long big;
    int kind;
    char **list;
    char **map;
    const void *table;
};

static const char *const kinds[] = {"paged", "static", NULL};

static const struct cli_opt typed_table[] = {
    CLI_OPT("big", CLI_INT64, offsetof(struct typed, big), "5000000000", NULL, "", 0, 1e12),
    {.names = "kind",
     .type = CLI_ENUM,
     .offset = offsetof(struct typed, kind),
     .def = "paged",
     .help = "",
     .enum_names = kinds},
    CLI_OPT("list", CLI_STR_ARRAY, offsetof(struct typed, list), NULL, NULL, "", 0, 0),
    CLI_OPT("map", CLI_STR_MAP, offsetof(struct typed, map), NULL, NULL, "", 0, 0),
    CLI_OPT("table", CLI_TABLE, offsetof(struct typed, table), NULL, NULL, "", 0, 0),
    CLI_OPT_END,
};

TEST(every_type_from_the_command_line)
{
    struct typed t = {0};
    struct err_msg err;
    char *argv[] = {"prog", "--kind", "static", "--list", "a b", "--map",
                    "A=1",  "--map",  "B=x=y",  "--map",  "A=2"};
    char *too_big[] = {"prog", "--big", "1000000000001"};
    char *bad_kind[] = {"prog", "--kind", "Static"};
    char *bad_map[] = {"prog", "--map", "NOEQUALS"};
    char *table_arg[] = {"prog", "--table", "{}"};

    ASSERT_EQ(cli_parse(typed_table, &t, 11, argv, &info, NULL, &err), 0);
    ASSERT_EQ(t.big, 5000000000LL);
    ASSERT_EQ(t.kind, 1);
    ASSERT_STR_EQ(t.list[0], "a b");
    ASSERT_NULL(t.list[1]);
    ASSERT_STR_EQ(t.map[0], "A=2"); /* a repeated key replaces its entry */
    ASSERT_STR_EQ(t.map[1], "B=x=y");
    ASSERT_NULL(t.map[2]);
    cli_free(typed_table, &t);
    ASSERT_NULL(t.list);
    ASSERT_NULL(t.map);
    ASSERT_EQ(cli_parse(typed_table, &t, 3, too_big, &info, NULL, &err), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "is outside 0..1e+12");
    ASSERT_EQ(cli_parse(typed_table, &t, 3, bad_kind, &info, NULL, &err), SVC_EBADCONFIG);
    ASSERT_EQ(cli_parse(typed_table, &t, 3, bad_map, &info, NULL, &err), SVC_EBADCONFIG);
    ASSERT_EQ(cli_parse(typed_table, &t, 3, table_arg, &info, NULL, &err), SVC_EBADCONFIG);
    cli_free(typed_table, &t);
}

struct daemon_opts {
    char *bind, *port_file, *log_level, *access_log;
};

static const struct cli_opt shared_table[] = {
    CLI_OPT_BIND_AKA(struct daemon_opts, "|host"),
    CLI_OPT_PORT_FILE(struct daemon_opts),
    CLI_OPT_LOG_LEVEL(struct daemon_opts),
    CLI_OPT_ACCESS_LOG(struct daemon_opts),
    CLI_OPT_END,
};

TEST(shared_settings_declared_once)
{
    struct daemon_opts d = {0};
    struct err_msg err;
    char *none[] = {"prog"};
    char *set[] = {"prog", "--host", "127.0.0.1", "--port-file=/tmp/p", "--access-log", "off"};

    unsetenv("INFINI_LOG_LEVEL");
    ASSERT_EQ(cli_parse(shared_table, &d, 1, none, &info, NULL, &err), 0);
    ASSERT_STR_EQ(d.bind, "0.0.0.0");
    ASSERT_NULL(d.port_file);
    ASSERT_STR_EQ(d.log_level, "info");
    ASSERT_STR_EQ(d.access_log, "-"); /* one default for every program */
    cli_free(shared_table, &d);
    setenv("INFINI_LOG_LEVEL", "debug", 1);
    ASSERT_EQ(cli_parse(shared_table, &d, 6, set, &info, NULL, &err), 0);
    ASSERT_STR_EQ(d.bind, "127.0.0.1");
    ASSERT_STR_EQ(d.port_file, "/tmp/p");
    ASSERT_STR_EQ(d.log_level, "debug");
    ASSERT_STR_EQ(d.access_log, "off");
    cli_free(shared_table, &d);
    unsetenv("INFINI_LOG_LEVEL");
}

TEST(tables_longer_than_given_still_parse)
{
    enum { N = CLI_MAX_OPTS + 6 };
    static char names[N][8];
    struct cli_opt big[N + 1];
    int value = 0;
    uint64_t given = 0;
    struct err_msg err;
    char *argv[] = {"prog", "--o69=7", "--o1", "3"};

    memset(big, 0, sizeof(big));
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "o%d", i);
        big[i] = (struct cli_opt)CLI_OPT(names[i], CLI_INT, 0, NULL, NULL, "", 0, 0);
    }
    ASSERT_EQ(cli_parse(big, &value, 4, argv, &info, &given, &err), 0);
    ASSERT_EQ(value, 3);
    ASSERT_EQ(given, 1ULL << 1); /* entry 69 has no bit */
}

TEST(choice_accepts_only_its_words)
{
    struct err_msg err = {0};

    ASSERT_EQ(cli_check_choice("kv-events", "on", "on|off", &err), 0);
    ASSERT_EQ(cli_check_choice("kv-events", "off", "on|off", &err), 0);
    ASSERT_EQ(cli_check_choice("kv-events", "o", "on|off", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "--kv-events: 'o' is neither on nor off");
    ASSERT_EQ(cli_check_choice("mode", "", "a|b|c", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "--mode: '' is not one of a|b|c");
    ASSERT_EQ(cli_check_choice("mode", "c", "a|b|c", &err), 0);
}

HARNESS_MAIN(CASE(defaults_apply), CASE(env_then_argv_precedence), CASE(errors_are_reported),
             CASE(help_and_version_stop), CASE(repeated_flags_apply_in_order),
             CASE(every_type_from_the_command_line), CASE(shared_settings_declared_once),
             CASE(tables_longer_than_given_still_parse), CASE(choice_accepts_only_its_words))
