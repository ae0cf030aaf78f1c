/* Unit tests for config/cfg: defaults, every key type with its range limits, unknown keys
 * (warning and strict), command-line overrides, freeing, `file:line:col` messages, and one
 * settings table read by both engines: a flag, its environment variable and its file key meet
 * the same range rule, and default < file < environment < command line. */
#include "cfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "toml.h"

struct bs_config {
    char *name;
    char *host;
    int port;
    char *registry_url;
    char *router_url;
    bool verbose;
    int max_restarts;
    double restart_delay;
    double heartbeat_interval;
    long long max_log_bytes;
    int backend_type;
    char *command;
    char *work_dir;
    char **args;
    char **env;
    char **models;
    double gpu_util;
    const struct toml_table *metadata;
    char *command_line_only;
};

static const char *const backend_types[] = {"command", "vllm", "mock", NULL};

#define OFF(field) offsetof(struct bs_config, field)

/* flag (NULL: file only), TOML key, type, field, default, then range, env, enum names. */
#define SET(flag, key_, type_, field, def_, ...)                                                   \
    {                                                                                              \
        .names = (flag), .key = (key_), .type = (type_), .offset = OFF(field), .def = (def_),      \
        .help = "", __VA_ARGS__                                                                    \
    }

static const struct cli_opt bs_keys[] = {
    SET("name", "name", CLI_STR, name, NULL),
    SET(NULL, "host", CLI_STR, host, "127.0.0.1"),
    SET("port", "port", CLI_INT, port, "8100", .max = 65535),
    SET(NULL, "registry_url", CLI_STR, registry_url, NULL),
    SET(NULL, "router_url", CLI_STR, router_url, NULL),
    SET("verbose", "verbose", CLI_BOOL, verbose, "false"),
    SET("max-restarts", "babysitter.max_restarts", CLI_INT, max_restarts, "10", .max = 1000000,
        .env = "TEST_CFG_MAX_RESTARTS"),
    SET("restart-delay", "babysitter.restart_delay", CLI_DOUBLE, restart_delay, "5", .max = 1e9),
    SET(NULL, "babysitter.heartbeat_interval", CLI_DOUBLE, heartbeat_interval, "30", .max = 3600),
    SET(NULL, "babysitter.max_log_bytes", CLI_INT64, max_log_bytes, "1_048_576", .min = 1,
        .max = 1LL << 40),
    SET(NULL, "backend.type", CLI_ENUM, backend_type, "command", .enum_names = backend_types),
    SET(NULL, "backend.command", CLI_STR, command, NULL),
    SET(NULL, "backend.work_dir", CLI_STR, work_dir, NULL),
    SET("args", "backend.args", CLI_STR_ARRAY, args, NULL),
    SET("env", "backend.env", CLI_STR_MAP, env, NULL),
    SET(NULL, "backend.models", CLI_STR_ARRAY, models, "[\"default\"]"),
    SET(NULL, "backend.gpu_memory_utilization", CLI_DOUBLE, gpu_util, "0.9", .min = 0.1,
        .max = 1.0),
    SET(NULL, "metadata", CLI_TABLE, metadata, NULL),
    SET("config", NULL, CLI_STR, command_line_only, NULL),
    CLI_OPT_END,
};

struct warnings {
    int count;
    int line[8];
    int col[8];
    char msg[8][128];
};

static void collect_warning(void *ud, int line, int col, const char *msg)
{
    struct warnings *w = ud;

    if (w->count < 8) {
        w->line[w->count] = line;
        w->col[w->count] = col;
        snprintf(w->msg[w->count], sizeof(w->msg[0]), "%s", msg);
    }
    w->count++;
}

static char *fixture_path(const char *name)
{
    static char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash != NULL ? (int)(slash - __FILE__) : 1;

    snprintf(path, sizeof(path), "%.*s/../fixtures/toml/%s", dir, slash ? __FILE__ : ".", name);
    return path;
}

/* Parses `doc`, applies it to a fresh `c` and returns cfg_apply()'s code. The tree is freed,
 * so tests using it must not read `c->metadata`. */
static int apply_doc(const char *doc, unsigned flags, struct bs_config *c, struct err_msg *err)
{
    struct err_msg perr = {0};
    struct toml_table *t = toml_parse(doc, strlen(doc), &perr);

    if (t == NULL) {
        fprintf(stderr, "bad test document: %d:%d: %s\n", perr.line, perr.col, perr.msg);
        exit(1);
    }
    memset(c, 0, sizeof(*c));
    int rc = cfg_apply(bs_keys, t, c, flags, NULL, NULL, err);
    toml_free(t);
    c->metadata = NULL;
    return rc;
}

#define EXPECT_BAD(doc, l, c, m) expect_bad(__LINE__, (doc), (l), (c), (m))

static void expect_bad(int at, const char *doc, int line, int col, const char *msg)
{
    struct bs_config c;
    struct err_msg err = {0};
    int rc = apply_doc(doc, CFG_STRICT, &c, &err);

    cfg_free(bs_keys, &c);
    if (rc != SVC_EBADCONFIG || err.line != line || err.col != col || strcmp(err.msg, msg) != 0) {
        fprintf(stderr, "%s:%d: expected %d at %d:%d: %s\n  got %d at %d:%d: %s\n", __FILE__, at,
                SVC_EBADCONFIG, line, col, msg, rc, err.line, err.col, err.msg);
        exit(1);
    }
}

#define EXPECT_GOOD(doc, c) expect_good(__LINE__, (doc), (c))

static void expect_good(int at, const char *doc, struct bs_config *c)
{
    struct err_msg err = {0};

    if (apply_doc(doc, CFG_STRICT, c, &err) != 0) {
        fprintf(stderr, "%s:%d: cfg_apply failed: %d:%d: %s\n", __FILE__, at, err.line, err.col,
                err.msg);
        exit(1);
    }
}

TEST(defaults_applied)
{
    struct bs_config c = {0};

    cfg_apply_defaults(bs_keys, &c);
    ASSERT_NULL(c.name);
    ASSERT_STR_EQ(c.host, "127.0.0.1");
    ASSERT_EQ(c.port, 8100);
    ASSERT_FALSE(c.verbose);
    ASSERT_EQ(c.max_restarts, 10);
    ASSERT_TRUE(c.restart_delay == 5.0);
    ASSERT_TRUE(c.heartbeat_interval == 30.0);
    ASSERT_EQ(c.max_log_bytes, 1048576);
    ASSERT_EQ(c.backend_type, 0);
    ASSERT_NULL(c.args);
    ASSERT_NULL(c.env);
    ASSERT_STR_EQ(c.models[0], "default");
    ASSERT_NULL(c.models[1]);
    ASSERT_TRUE(c.gpu_util == 0.9);
    ASSERT_NULL(c.metadata);
    cfg_free(bs_keys, &c);
}

TEST(file_values_override_defaults)
{
    struct bs_config c;

    EXPECT_GOOD("port = 9000\n[babysitter]\nmax_restarts = 3\n", &c);
    ASSERT_EQ(c.port, 9000);
    ASSERT_EQ(c.max_restarts, 3);
    ASSERT_TRUE(c.restart_delay == 5.0); /* untouched keys keep their default */
    ASSERT_STR_EQ(c.host, "127.0.0.1");
    cfg_free(bs_keys, &c);
}

TEST(load_master_fixture)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};

    ASSERT_OK(cfg_load_file(fixture_path("master.toml"), bs_keys, &c, CFG_STRICT, NULL, NULL, &tree,
                            &err));
    ASSERT_NOT_NULL(tree);
    ASSERT_STR_EQ(c.name, "master-9g_8b_thinking");
    ASSERT_STR_EQ(c.host, "0.0.0.0");
    ASSERT_EQ(c.port, 8100);
    ASSERT_STR_EQ(c.registry_url, "http://127.0.0.1:18000");
    ASSERT_STR_EQ(c.router_url, "http://127.0.0.1:8000");
    ASSERT_EQ(c.max_restarts, 10000);
    ASSERT_TRUE(c.restart_delay == 10.0);
    ASSERT_TRUE(c.heartbeat_interval == 30.0);
    ASSERT_EQ(c.backend_type, 0);
    ASSERT_STR_EQ(c.command, "python3");
    ASSERT_STR_EQ(c.work_dir, "/workspace");
    size_t n = 0;
    while (c.args[n] != NULL)
        n++;
    ASSERT_EQ(n, 18);
    ASSERT_STR_EQ(c.args[0], "-m");
    ASSERT_STR_EQ(c.args[3], "/models/9g_8b_thinking");
    ASSERT_STR_EQ(c.args[17], "--trust-remote-code");
    ASSERT_STR_EQ(c.env[0], "CUDA_VISIBLE_DEVICES=0");
    ASSERT_STR_EQ(c.env[1], "HF_HUB_OFFLINE=1");
    ASSERT_STR_EQ(c.env[2], "VLLM_LOGGING_LEVEL=INFO");
    ASSERT_NULL(c.env[3]);
    ASSERT_NULL(c.metadata);
    cfg_free(bs_keys, &c);
    toml_free(tree);
}

TEST(load_without_keeping_tree)
{
    struct small {
        int port;
        char *name;
    } c = {0};
    static const struct cli_opt small_keys[] = {
        {.key = "port",
         .type = CLI_INT,
         .offset = offsetof(struct small, port),
         .def = "1",
         .max = 65535},
        {.key = "name", .type = CLI_STR, .offset = offsetof(struct small, name)},
        CLI_OPT_END,
    };
    struct warnings w = {0};
    struct err_msg err = {0};

    /* No CLI_TABLE key, so the tree may be dropped right away. */
    ASSERT_OK(cfg_load_file(fixture_path("master.toml"), small_keys, &c, 0, collect_warning, &w,
                            NULL, &err));
    ASSERT_EQ(c.port, 8100);
    ASSERT_STR_EQ(c.name, "master-9g_8b_thinking");
    ASSERT_EQ(w.count, 5); /* host, registry_url, router_url, babysitter, backend */
    ASSERT_STR_EQ(w.msg[4], "backend: unknown key");
    ASSERT_EQ(w.line[4], 13);
    ASSERT_EQ(w.col[4], 2);
    cfg_free(small_keys, &c);
    ASSERT_NULL(c.name);
}

TEST(string_array_keeps_argument_with_spaces)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};

    ASSERT_OK(cfg_load_file(fixture_path("slave.toml"), bs_keys, &c, CFG_STRICT, NULL, NULL, &tree,
                            &err));
    ASSERT_EQ(c.port, 8200);
    ASSERT_TRUE(c.restart_delay == 2.5);
    ASSERT_STR_EQ(c.args[18], "--chat-template");
    ASSERT_STR_EQ(c.args[19], "/templates/chat template.jinja");
    ASSERT_NULL(c.args[20]);
    ASSERT_STR_EQ(c.env[0], "CUDA_VISIBLE_DEVICES=1");
    cfg_free(bs_keys, &c);
    toml_free(tree);
}

TEST(table_is_borrowed_from_tree)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};

    ASSERT_OK(
        cfg_load_file(fixture_path("mock.toml"), bs_keys, &c, CFG_STRICT, NULL, NULL, &tree, &err));
    ASSERT_EQ(c.backend_type, 2);
    ASSERT_EQ(c.port, 0);
    ASSERT_STR_EQ(c.models[0], "model-1");
    ASSERT_NULL(c.models[1]);
    ASSERT_NOT_NULL(c.metadata);
    ASSERT_TRUE(c.metadata == toml_value_table(toml_table_get(tree, "metadata")));
    ASSERT_STR_EQ(toml_value_string(toml_table_get(c.metadata, "cache_type"), NULL), "paged");
    ASSERT_FALSE(toml_value_bool(toml_table_get(c.metadata, "static")));
    ASSERT_EQ(toml_table_len(c.metadata), 5);
    cfg_free(bs_keys, &c);
    ASSERT_NULL(c.metadata);
    toml_free(tree);
    EXPECT_BAD("metadata = 1\n", 1, 12, "metadata: expected a table");
}

TEST(int_range_both_ends)
{
    struct bs_config c;

    EXPECT_GOOD("babysitter.max_restarts = 0\n", &c);
    ASSERT_EQ(c.max_restarts, 0);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("babysitter.max_restarts = 1_000_000\n", &c);
    ASSERT_EQ(c.max_restarts, 1000000);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("[babysitter]\nmax_restarts = -1\n", 2, 16,
               "babysitter.max_restarts: expected an integer in 0..1000000");
    EXPECT_BAD("[babysitter]\nmax_restarts = 1000001\n", 2, 16,
               "babysitter.max_restarts: expected an integer in 0..1000000");
    EXPECT_BAD("[babysitter]\nmax_restarts = 1.0\n", 2, 16,
               "babysitter.max_restarts: expected an integer in 0..1000000");
    EXPECT_BAD("[babysitter]\nmax_restarts = \"10\"\n", 2, 16,
               "babysitter.max_restarts: expected an integer in 0..1000000");
}

TEST(int64_range_both_ends)
{
    struct bs_config c;

    EXPECT_GOOD("babysitter.max_log_bytes = 1\n", &c);
    ASSERT_EQ(c.max_log_bytes, 1);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("babysitter.max_log_bytes = 1_099_511_627_776\n", &c);
    ASSERT_EQ(c.max_log_bytes, 1LL << 40);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("babysitter.max_log_bytes = 0\n", 1, 28,
               "babysitter.max_log_bytes: expected an integer in 1..1099511627776");
    EXPECT_BAD("babysitter.max_log_bytes = 1_099_511_627_777\n", 1, 28,
               "babysitter.max_log_bytes: expected an integer in 1..1099511627776");
}

TEST(port_range)
{
    struct bs_config c;

    EXPECT_GOOD("port = 0\n", &c);
    ASSERT_EQ(c.port, 0);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("port = 65535\n", &c);
    ASSERT_EQ(c.port, 65535);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("port = -1\n", 1, 8, "port: expected an integer in 0..65535");
    EXPECT_BAD("port = 65536\n", 1, 8, "port: expected an integer in 0..65535");
    EXPECT_BAD("port = \"8100\"\n", 1, 8, "port: expected an integer in 0..65535");
}

TEST(bool_values)
{
    struct bs_config c;

    EXPECT_GOOD("verbose = true\n", &c);
    ASSERT_TRUE(c.verbose);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("verbose = 1\n", 1, 11, "verbose: expected a boolean (true or false)");
    EXPECT_BAD("verbose = \"true\"\n", 1, 11, "verbose: expected a boolean (true or false)");
}

TEST(double_range_both_ends)
{
    struct bs_config c;

    EXPECT_GOOD("backend.gpu_memory_utilization = 0.1\n", &c);
    ASSERT_TRUE(c.gpu_util == 0.1);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("backend.gpu_memory_utilization = 1\n", &c); /* an integer is a number too */
    ASSERT_TRUE(c.gpu_util == 1.0);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("[backend]\ngpu_memory_utilization = 0.0999\n", 2, 26,
               "backend.gpu_memory_utilization: expected a number in 0.1..1");
    EXPECT_BAD("[backend]\ngpu_memory_utilization = 1.0001\n", 2, 26,
               "backend.gpu_memory_utilization: expected a number in 0.1..1");
    EXPECT_BAD("[backend]\ngpu_memory_utilization = nan\n", 2, 26,
               "backend.gpu_memory_utilization: expected a number in 0.1..1");
    EXPECT_BAD("[backend]\ngpu_memory_utilization = true\n", 2, 26,
               "backend.gpu_memory_utilization: expected a number in 0.1..1");
}

TEST(double_range_from_zero)
{
    struct bs_config c;

    EXPECT_GOOD("babysitter.restart_delay = 0\nbabysitter.heartbeat_interval = 3600\n", &c);
    ASSERT_TRUE(c.restart_delay == 0.0);
    ASSERT_TRUE(c.heartbeat_interval == 3600.0);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("babysitter.restart_delay = 0.25\n", &c);
    ASSERT_TRUE(c.restart_delay == 0.25);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("babysitter.restart_delay = -0.5\n", 1, 28,
               "babysitter.restart_delay: expected a number in 0..1e+09");
    EXPECT_BAD("babysitter.restart_delay = inf\n", 1, 28,
               "babysitter.restart_delay: expected a number in 0..1e+09");
    EXPECT_BAD("babysitter.restart_delay = \"5s\"\n", 1, 28,
               "babysitter.restart_delay: expected a number in 0..1e+09");
    EXPECT_BAD("babysitter.heartbeat_interval = 3600.5\n", 1, 33,
               "babysitter.heartbeat_interval: expected a number in 0..3600");
}

TEST(enum_values)
{
    struct bs_config c;

    EXPECT_GOOD("backend.type = \"vllm\"\n", &c);
    ASSERT_EQ(c.backend_type, 1);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("backend.type = 'mock'\n", &c);
    ASSERT_EQ(c.backend_type, 2);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("[backend]\ntype = \"docker\"\n", 2, 8,
               "backend.type: expected one of \"command\", \"vllm\", \"mock\"");
    EXPECT_BAD("[backend]\ntype = \"Mock\"\n", 2, 8,
               "backend.type: expected one of \"command\", \"vllm\", \"mock\"");
    EXPECT_BAD("[backend]\ntype = 2\n", 2, 8,
               "backend.type: expected one of \"command\", \"vllm\", \"mock\"");
}

TEST(string_values)
{
    struct bs_config c;

    EXPECT_GOOD("name = \"caf\\u00e9\"\nhost = ''\n", &c);
    ASSERT_STR_EQ(c.name, "caf\xc3\xa9");
    ASSERT_STR_EQ(c.host, "");
    cfg_free(bs_keys, &c);
    EXPECT_BAD("name = 42\n", 1, 8, "name: expected a string");
    EXPECT_BAD("name = \"a\\u0000b\"\n", 1, 8, "name: expected a string");
}

TEST(string_array_errors)
{
    struct bs_config c;

    EXPECT_GOOD("backend.args = []\n", &c);
    ASSERT_NOT_NULL(c.args);
    ASSERT_NULL(c.args[0]);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("[backend]\nargs = [\"a\",\n  1]\n", 3, 3,
               "backend.args: expected an array of strings");
    EXPECT_BAD("[backend]\nargs = \"a b\"\n", 2, 8, "backend.args: expected an array of strings");
}

TEST(env_map)
{
    struct bs_config c;

    EXPECT_GOOD("[backend.env]\nB = \"2\"\nA = \"x=y\"\n\"WITH SPACE\" = \"\"\n", &c);
    ASSERT_STR_EQ(c.env[0], "B=2");
    ASSERT_STR_EQ(c.env[1], "A=x=y");
    ASSERT_STR_EQ(c.env[2], "WITH SPACE=");
    ASSERT_NULL(c.env[3]);
    cfg_free(bs_keys, &c);
    EXPECT_GOOD("backend.env = {}\n", &c);
    ASSERT_NOT_NULL(c.env);
    ASSERT_NULL(c.env[0]);
    cfg_free(bs_keys, &c);
    EXPECT_BAD("[backend.env]\nA = \"1\"\nB = 2\n", 3, 5, "backend.env.B: expected a string");
    EXPECT_BAD("[backend.env]\nA.B = \"1\"\n", 2, 1, "backend.env.A: expected a string");
    EXPECT_BAD("[backend.env]\n\"A=B\" = \"1\"\n", 2, 9,
               "backend.env: key \"A=B\" must be non-empty and contain no '=' or NUL");
    EXPECT_BAD("backend.env = [\"A=1\"]\n", 1, 15, "backend.env: expected a table of strings");
}

TEST(unknown_keys_warn_with_position)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct warnings w = {0};
    struct err_msg err = {0};

    ASSERT_OK(cfg_load_file(fixture_path("cfg_unknown_keys.toml"), bs_keys, &c, 0, collect_warning,
                            &w, &tree, &err));
    ASSERT_EQ(w.count, 4);
    ASSERT_STR_EQ(w.msg[0], "prot: unknown key");
    ASSERT_EQ(w.line[0], 2);
    ASSERT_EQ(w.col[0], 8);
    ASSERT_STR_EQ(w.msg[1], "babysitter.retry_jitter: unknown key");
    ASSERT_EQ(w.line[1], 6);
    ASSERT_EQ(w.col[1], 16);
    ASSERT_STR_EQ(w.msg[2], "backend.extra: unknown key");
    ASSERT_EQ(w.line[2], 11);
    ASSERT_EQ(w.col[2], 10);
    ASSERT_STR_EQ(w.msg[3], "extras: unknown key");
    ASSERT_EQ(w.line[3], 14);
    ASSERT_EQ(w.col[3], 2);
    /* Known keys around the unknown ones were still applied. */
    ASSERT_EQ(c.max_restarts, 1);
    ASSERT_EQ(c.backend_type, 2);
    ASSERT_EQ(c.port, 8100);
    cfg_free(bs_keys, &c);
    toml_free(tree);
    /* Without a callback unknown keys are silently skipped. */
    ASSERT_OK(cfg_load_file(fixture_path("cfg_unknown_keys.toml"), bs_keys, &c, 0, NULL, NULL,
                            &tree, &err));
    cfg_free(bs_keys, &c);
    toml_free(tree);
}

TEST(unknown_key_strict_is_error)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct warnings w = {0};
    struct err_msg err = {0};

    int rc = cfg_load_file(fixture_path("cfg_unknown_keys.toml"), bs_keys, &c, CFG_STRICT,
                           collect_warning, &w, &tree, &err);
    ASSERT_EQ(rc, SVC_EBADCONFIG);
    ASSERT_EQ(w.count, 0);
    ASSERT_NULL(tree);
    ASSERT_EQ(err.line, 2);
    ASSERT_EQ(err.col, 8);
    ASSERT_STR_EQ(err.msg, "prot: unknown key");
    ASSERT_NULL(c.name); /* freed on failure */
}

TEST(nested_unknown_table)
{
    EXPECT_BAD("[backend]\ntype = \"mock\"\n[backend.extra.deeper]\nx = 1\n", 3, 10,
               "backend.extra: unknown key");
    EXPECT_BAD("[[servers]]\nip = 1\n", 1, 3, "servers: unknown key");
    EXPECT_BAD("backend.\"odd key\" = 1\n", 1, 21, "backend.\"odd key\": unknown key");
    /* Free-form tables: nothing below metadata or backend.env is unknown. */
    struct bs_config c;
    EXPECT_GOOD("[metadata]\nanything = 1\n[metadata.deep]\nx = [1]\n[backend.env]\nZ = \"1\"\n",
                &c);
    cfg_free(bs_keys, &c);
}

TEST(prefix_table_wrong_type)
{
    EXPECT_BAD("babysitter = 1\n", 1, 14, "babysitter: expected a table");
    EXPECT_BAD("[[backend]]\ntype = \"mock\"\n", 1, 3, "backend: expected a table");
}

TEST(set_string_overrides_file)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};

    ASSERT_OK(cfg_load_file(fixture_path("master.toml"), bs_keys, &c, CFG_STRICT, NULL, NULL, &tree,
                            &err));
    ASSERT_OK(cfg_set_string(bs_keys, &c, "port", "9000", &err));
    ASSERT_EQ(c.port, 9000);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "port", "0x2328", &err));
    ASSERT_EQ(c.port, 9000);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "name", " spaced \"name\" ", &err));
    ASSERT_STR_EQ(c.name, " spaced \"name\" ");
    ASSERT_OK(cfg_set_string(bs_keys, &c, "verbose", "true", &err));
    ASSERT_TRUE(c.verbose);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "babysitter.restart_delay", "2.5", &err));
    ASSERT_TRUE(c.restart_delay == 2.5);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "babysitter.max_restarts", "1_000", &err));
    ASSERT_EQ(c.max_restarts, 1000);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.type", "mock", &err));
    ASSERT_EQ(c.backend_type, 2);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.args", " [\"a b\", 'c'] # comment", &err));
    ASSERT_STR_EQ(c.args[0], "a b");
    ASSERT_STR_EQ(c.args[1], "c");
    ASSERT_NULL(c.args[2]);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.args", "--one arg", &err));
    ASSERT_STR_EQ(c.args[0], "--one arg");
    ASSERT_NULL(c.args[1]);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.env", "HF_HUB_OFFLINE=0", &err));
    ASSERT_STR_EQ(c.env[1], "HF_HUB_OFFLINE=0");
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.env", "NEW=a=b", &err));
    ASSERT_STR_EQ(c.env[3], "NEW=a=b");
    ASSERT_NULL(c.env[4]);
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.env", "{ ONLY = \"1\" }", &err));
    ASSERT_STR_EQ(c.env[0], "ONLY=1");
    ASSERT_NULL(c.env[1]);
    /* Values the file did not set are still the file's (or the defaults). */
    ASSERT_STR_EQ(c.host, "0.0.0.0");
    ASSERT_TRUE(c.heartbeat_interval == 30.0);
    cfg_free(bs_keys, &c);
    toml_free(tree);
}

TEST(set_string_errors)
{
    struct bs_config c = {0};
    struct err_msg err = {0};

    cfg_apply_defaults(bs_keys, &c);
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "nope", "1", &err), SVC_ENOTFOUND);
    ASSERT_STR_EQ(err.msg, "nope: unknown key");
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "port", "abc", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "port: expected an integer in 0..65535");
    ASSERT_EQ(err.line, 0);
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "port", "70000", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "port: expected an integer in 0..65535");
    ASSERT_EQ(err.line, 0);
    ASSERT_EQ(err.col, 0);
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "port", "1\nhost = 2", &err), SVC_EBADCONFIG);
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "port", "", &err), SVC_EBADCONFIG);
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "backend.type", "docker", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "backend.type: expected one of \"command\", \"vllm\", \"mock\"");
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "backend.args", "[1, 2]", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "backend.args: expected an array of strings");
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "backend.env", "NOEQUALS", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "backend.env: expected KEY=VALUE or an inline table");
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "backend.env", "=x", &err), SVC_EBADCONFIG);
    ASSERT_EQ(cfg_set_string(bs_keys, &c, "metadata", "{}", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "metadata: a table cannot be set from a string");
    ASSERT_EQ(c.port, 8100); /* failed overrides leave the field alone */
    ASSERT_EQ(c.backend_type, 0);
    cfg_free(bs_keys, &c);
}

TEST(cfg_free_leaves_nulls)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};

    ASSERT_OK(
        cfg_load_file(fixture_path("mock.toml"), bs_keys, &c, CFG_STRICT, NULL, NULL, &tree, &err));
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.env", "A=1", &err));
    ASSERT_OK(cfg_set_string(bs_keys, &c, "backend.args", "x", &err));
    cfg_free(bs_keys, &c);
    ASSERT_NULL(c.name);
    ASSERT_NULL(c.host);
    ASSERT_NULL(c.registry_url);
    ASSERT_NULL(c.args);
    ASSERT_NULL(c.env);
    ASSERT_NULL(c.models);
    ASSERT_NULL(c.metadata);
    ASSERT_EQ(c.port, 0);  /* scalars are left as they were */
    cfg_free(bs_keys, &c); /* twice is harmless */
    toml_free(tree);
}

TEST(error_format_file_line_col)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};
    char path[1024], line[1400], want[1400];

    snprintf(path, sizeof(path), "%s", fixture_path("cfg_bad_value.toml"));
    ASSERT_EQ(cfg_load_file(path, bs_keys, &c, CFG_STRICT, NULL, NULL, &tree, &err),
              SVC_EBADCONFIG);
    ASSERT_NULL(tree);
    ASSERT_NULL(c.name);
    cfg_format_error(path, &err, line, sizeof(line));
    snprintf(want, sizeof(want),
             "%s:5:16: babysitter.max_restarts: expected an integer in 0..1000000", path);
    ASSERT_STR_EQ(line, want);
    cfg_format_error(NULL, &err, line, sizeof(line));
    ASSERT_STR_EQ(line, "5:16: babysitter.max_restarts: expected an integer in 0..1000000");
    cfg_format_error(path, &err, line, 10);
    ASSERT_EQ(strlen(line), 9);

    snprintf(path, sizeof(path), "%s", fixture_path("invalid_duplicate_key.toml"));
    ASSERT_EQ(cfg_load_file(path, bs_keys, &c, CFG_STRICT, NULL, NULL, &tree, &err), SVC_EPARSE);
    cfg_format_error(path, &err, line, sizeof(line));
    snprintf(want, sizeof(want), "%s:5:1: duplicate key 'port'", path);
    ASSERT_STR_EQ(line, want);
}

TEST(missing_file_names_path)
{
    struct bs_config c = {0};
    struct toml_table *tree = NULL;
    struct err_msg err = {0};
    char line[512];

    int rc = cfg_load_file("/nonexistent/dir/bs.toml", bs_keys, &c, 0, NULL, NULL, &tree, &err);
    ASSERT_TRUE(rc < 0);
    ASSERT_NE(rc, SVC_EBADCONFIG);
    ASSERT_NULL(tree);
    ASSERT_EQ(err.line, 0);
    cfg_format_error("/nonexistent/dir/bs.toml", &err, line, sizeof(line));
    ASSERT_STR_EQ(line, "/nonexistent/dir/bs.toml: cannot read the configuration file: no such "
                        "file or directory");
    cfg_format_error(NULL, &err, line, sizeof(line));
    ASSERT_STR_EQ(line, "cannot read the configuration file: no such file or directory");
}

TEST(flag_env_and_file_share_the_range_rule)
{
    struct bs_config c = {0};
    struct err_msg err = {0};
    const struct cli_opt *o = &bs_keys[cli_index(bs_keys, "max-restarts")];
    const struct cli_opt *d = &bs_keys[cli_index(bs_keys, "restart-delay")];

    /* Both ends are accepted from the file, a flag read as the file reads it, and a flag read
     * by the plain command-line rules... */
    EXPECT_GOOD("babysitter.max_restarts = 1000000\n", &c);
    ASSERT_EQ(c.max_restarts, 1000000);
    cfg_free(bs_keys, &c);
    cfg_apply_defaults(bs_keys, &c);
    ASSERT_OK(cfg_set_value(o, &c, "0", CLI_SOURCE_ARGV, &err));
    ASSERT_EQ(c.max_restarts, 0);
    ASSERT_OK(cli_set(o, &c, "1000000", CLI_SOURCE_ARGV, &err));
    ASSERT_EQ(c.max_restarts, 1000000);
    ASSERT_TRUE(cli_in_range(o, 0) && cli_in_range(o, 1000000));
    /* ...and one past either end is refused by all of them. */
    EXPECT_BAD("babysitter.max_restarts = 1000001\n", 1, 27,
               "babysitter.max_restarts: expected an integer in 0..1000000");
    ASSERT_EQ(cfg_set_value(o, &c, "1000001", CLI_SOURCE_ARGV, &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg,
                  "--max-restarts: babysitter.max_restarts: expected an integer in 0..1000000");
    ASSERT_EQ(cfg_set_value(o, &c, "-1", "TEST_CFG_MAX_RESTARTS", &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "TEST_CFG_MAX_RESTARTS: babysitter.max_restarts: expected an integer "
                           "in 0..1000000");
    ASSERT_EQ(cli_set(o, &c, "1000001", CLI_SOURCE_ARGV, &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "command line: --max-restarts: '1000001' is outside 0..1e+06");
    ASSERT_FALSE(cli_in_range(o, -1) || cli_in_range(o, 1000001));
    ASSERT_EQ(c.max_restarts, 1000000); /* refused values leave the field alone */
    /* The same for a number with a fractional range. */
    EXPECT_BAD("babysitter.restart_delay = -0.5\n", 1, 28,
               "babysitter.restart_delay: expected a number in 0..1e+09");
    ASSERT_EQ(cfg_set_value(d, &c, "-0.5", CLI_SOURCE_ARGV, &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "--restart-delay: babysitter.restart_delay: expected a number in "
                           "0..1e+09");
    ASSERT_EQ(cli_set(d, &c, "-0.5", CLI_SOURCE_ARGV, &err), SVC_EBADCONFIG);
    ASSERT_OK(cfg_set_value(d, &c, "0", CLI_SOURCE_ARGV, &err));
    ASSERT_TRUE(c.restart_delay == 0.0);
    cfg_free(bs_keys, &c);
}

TEST(one_table_default_file_env_argv)
{
    static const struct cli_info info = {"test-cfg", "testing"};
    char *argv[] = {"prog",  "--config", "x.toml", "--port",          "9000",
                    "--env", "A=argv",   "--args", "[\"p\", \"q r\"]"};
    const char *doc = "port = 8200\nbabysitter.max_restarts = 3\nbabysitter.restart_delay = 1\n"
                      "[backend.env]\nA = \"file\"\nB = \"file\"\n";
    struct bs_config c = {0};
    struct cli_args args;
    struct err_msg err = {0};
    struct toml_table *t = toml_parse(doc, strlen(doc), &err);

    ASSERT_NOT_NULL(t);
    setenv("TEST_CFG_MAX_RESTARTS", "7", 1);
    ASSERT_OK(cli_scan(bs_keys, 9, argv, &info, &args, &err));
    /* The command line's own settings first (they name the file)... */
    cli_apply_defaults(bs_keys, &c, CLI_UNKEYED, cfg_set_value);
    ASSERT_OK(cli_apply_given(bs_keys, &c, &args, CLI_UNKEYED, cfg_set_value, &err));
    ASSERT_STR_EQ(c.command_line_only, "x.toml");
    ASSERT_EQ(c.port, 0); /* settings with a key wait for the file */
    /* ...then the file over the defaults, then the environment and argv over the file. */
    ASSERT_OK(cfg_apply(bs_keys, t, &c, CFG_STRICT, NULL, NULL, &err));
    ASSERT_OK(cli_apply_given(bs_keys, &c, &args, CLI_KEYED, cfg_set_value, &err));
    ASSERT_EQ(c.port, 9000);
    ASSERT_EQ(c.max_restarts, 7);
    ASSERT_TRUE(c.restart_delay == 1.0);
    ASSERT_TRUE(c.heartbeat_interval == 30.0);
    ASSERT_STR_EQ(c.env[0], "A=argv");
    ASSERT_STR_EQ(c.env[1], "B=file");
    ASSERT_STR_EQ(c.args[1], "q r");
    ASSERT_TRUE(args.given & (1ULL << cli_index(bs_keys, "max-restarts")));
    ASSERT_TRUE(args.given & (1ULL << cli_index(bs_keys, "port")));
    ASSERT_FALSE(args.given & (1ULL << cli_index(bs_keys, "restart-delay")));
    cli_args_free(&args);
    cli_free(bs_keys, &c);
    ASSERT_NULL(c.command_line_only);
    ASSERT_NULL(c.env);
    toml_free(t);
    unsetenv("TEST_CFG_MAX_RESTARTS");
}

TEST(file_only_settings_have_no_flag)
{
    static const struct cli_info info = {"test-cfg", "testing"};
    char *by_key[] = {"prog", "--backend.type", "mock"};
    char *by_field[] = {"prog", "--gpu-memory-utilization=0.5"};
    struct cli_args args;
    struct err_msg err = {0};

    ASSERT_EQ(cli_scan(bs_keys, 3, by_key, &info, &args, &err), SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "unknown option '--backend.type' (see --help)");
    ASSERT_EQ(cli_scan(bs_keys, 2, by_field, &info, &args, &err), SVC_EBADCONFIG);
    ASSERT_EQ(cli_index(bs_keys, "metadata"), -1);
    ASSERT_EQ(cli_index(bs_keys, "config"), (int)(sizeof(bs_keys) / sizeof(bs_keys[0])) - 2);
}

HARNESS_MAIN(CASE(defaults_applied), CASE(file_values_override_defaults), CASE(load_master_fixture),
             CASE(load_without_keeping_tree), CASE(string_array_keeps_argument_with_spaces),
             CASE(table_is_borrowed_from_tree), CASE(int_range_both_ends),
             CASE(int64_range_both_ends), CASE(port_range), CASE(bool_values),
             CASE(double_range_both_ends), CASE(double_range_from_zero), CASE(enum_values),
             CASE(string_values), CASE(string_array_errors), CASE(env_map),
             CASE(unknown_keys_warn_with_position), CASE(unknown_key_strict_is_error),
             CASE(nested_unknown_table), CASE(prefix_table_wrong_type),
             CASE(set_string_overrides_file), CASE(set_string_errors), CASE(cfg_free_leaves_nulls),
             CASE(error_format_file_line_col), CASE(missing_file_names_path),
             CASE(flag_env_and_file_share_the_range_rule), CASE(one_table_default_file_env_argv),
             CASE(file_only_settings_have_no_flag))
