/* Unit tests for common/cli: defaults, environment, argv precedence, aliases, ranges, errors. */
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>

#include "harness.h"

struct opts {
    int port;
    double interval;
    char *name;
    bool verbose;
};

static const struct cli_opt table[] = {
    {"router-port|port", CLI_INT, offsetof(struct opts, port), "8000", NULL, "port", 0, 65535},
    {"interval", CLI_DOUBLE, offsetof(struct opts, interval), "2.5", "TEST_CLI_INTERVAL", "s", 0.1,
     3600},
    {"name", CLI_STR, offsetof(struct opts, name), "default-name", "TEST_CLI_NAME", "name", 0, 0},
    {"verbose", CLI_BOOL, offsetof(struct opts, verbose), "false", NULL, "talk", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
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

HARNESS_MAIN(CASE(defaults_apply), CASE(env_then_argv_precedence), CASE(errors_are_reported),
             CASE(help_and_version_stop))
