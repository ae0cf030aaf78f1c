/* Unit tests for babysitter/config and babysitter/metadata: defaults, every key of the schema,
 * the fixture configs, arguments with spaces, command-line overrides (the command line always
 * wins), protected metadata keys, unknown keys (warnings, or errors with --strict) and
 * `file:line:col` errors. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "harness.h"
#include "json.h"
#include "metadata.h"

#define MAX_ARGS 64

struct warnings {
    int count;
    char text[8][512];
};

static void collect(void *ud, const char *text)
{
    struct warnings *w = ud;

    if (w->count < 8)
        snprintf(w->text[w->count], sizeof(w->text[0]), "%s", text);
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

/* A TOML file in a fresh temporary directory; remove with drop_file(). */
static char *write_file(const char *text)
{
    char dir[] = "/tmp/bs-config-XXXXXX";
    static char path[64];

    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bs.toml", dir);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void drop_file(const char *path)
{
    char dir[64];

    unlink(path);
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    rmdir(dir);
}

/* Runs bs_config_load() on "infini-babysitter" + the NULL-terminated arguments. */
static int load(struct bs_config *c, struct warnings *w, struct err_msg *err, ...)
{
    char *argv[MAX_ARGS] = {"infini-babysitter"};
    int argc = 1;
    va_list ap;

    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < MAX_ARGS - 1;)
        argv[argc++] = a;
    va_end(ap);
    memset(c, 0, sizeof(*c));
    memset(w, 0, sizeof(*w));
    memset(err, 0, sizeof(*err));
    return bs_config_load(c, argc, argv, collect, w, err);
}

static size_t strv_len(char **v)
{
    size_t n = 0;

    while (v != NULL && v[n] != NULL)
        n++;
    return n;
}

static char *print(const cJSON *j)
{
    static char out[2048];
    char *s = json_print_str(j);

    snprintf(out, sizeof(out), "%s", s);
    free(s);
    return out;
}

TEST(defaults)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    unsetenv("INFINI_REGISTRY_TOKEN");
    unsetenv("INFINI_LOG_LEVEL");
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "/bin/true", NULL), 0);
    ASSERT_STR_EQ(c.name, "command-8100");
    ASSERT_STR_EQ(c.host, "localhost");
    ASSERT_EQ(c.port, 8100);
    ASSERT_NULL(c.registry_url);
    ASSERT_NULL(c.router_url);
    ASSERT_EQ(c.max_restarts, 10000);
    ASSERT_EQ(c.restart_delay, 5);
    ASSERT_EQ(c.restart_delay_max, 300);
    ASSERT_EQ(c.heartbeat_interval, 30);
    ASSERT_EQ(c.stable_after, 60);
    ASSERT_EQ(c.startup_timeout, 600);
    ASSERT_EQ(c.health_interval, 5);
    ASSERT_EQ(c.probe_timeout, 5);
    ASSERT_EQ(c.unhealthy_after, 3);
    ASSERT_EQ(c.stop_grace, 10);
    ASSERT_NULL(c.log_file);
    ASSERT_EQ(c.log_max_bytes, 50LL << 20);
    ASSERT_EQ(c.backend_type, BS_BACKEND_COMMAND);
    ASSERT_STR_EQ(bs_config_service_type(&c), "command");
    ASSERT_EQ(strv_len(c.args), 0);
    ASSERT_NULL(c.work_dir);
    ASSERT_STR_EQ(c.bind, "0.0.0.0");
    ASSERT_NULL(c.port_file);
    ASSERT_NULL(c.registry_token);
    ASSERT_FALSE(c.strict);
    ASSERT_STR_EQ(c.log_level, "info");
    ASSERT_STR_EQ(c.access_log, "-");
    ASSERT_STR_EQ(print(c.metadata), "{}");
    ASSERT_EQ(w.count, 0);
    bs_config_free(&c);
}

static const char every_key[] = "name = \"svc-a\"\n"
                                "host = \"10.0.0.5\"\n"
                                "port = 8300\n"
                                "registry_url = \"http://127.0.0.1:18000/\"\n"
                                "router_url = \"http://127.0.0.1:8000\"\n"
                                "[babysitter]\n"
                                "max_restarts = 7\n"
                                "restart_delay = 0.25\n"
                                "restart_delay_max = 12\n"
                                "heartbeat_interval = 5\n"
                                "stable_after = 90\n"
                                "startup_timeout = 1200\n"
                                "health_interval = 2.5\n"
                                "probe_timeout = 1.5\n"
                                "unhealthy_after = 4\n"
                                "stop_grace = 20\n"
                                "log_file = \"/var/log/svc-a.log\"\n"
                                "log_max_bytes = 1_048_576\n"
                                "[backend]\n"
                                "type = \"vllm\"\n"
                                "model = \"/models/m\"\n"
                                "command = \"ignored-for-vllm\"\n"
                                "args = [\"--tensor-parallel-size\", \"2\"]\n"
                                "work_dir = \"/tmp\"\n"
                                "models = [\"a\", \"b\"]\n"
                                "config_file = \"/etc/x.toml\"\n"
                                "model_path = \"/models/p\"\n"
                                "env = { CUDA_VISIBLE_DEVICES = \"2,3\" }\n"
                                "[metadata]\n"
                                "cache_type = \"static\"\n"
                                "static = true\n"
                                "weight = 2.5\n"
                                "since = 2026-02-10T09:26:25Z\n"
                                "gpu = { name = \"A100\", count = 2, ids = [0, 1] }\n";

TEST(every_key_of_the_schema)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file(every_key);

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--strict", NULL), 0);
    ASSERT_STR_EQ(c.name, "svc-a");
    ASSERT_STR_EQ(c.host, "10.0.0.5");
    ASSERT_EQ(c.port, 8300);
    ASSERT_STR_EQ(c.registry_url, "http://127.0.0.1:18000"); /* trailing '/' trimmed */
    ASSERT_STR_EQ(c.router_url, "http://127.0.0.1:8000");
    ASSERT_EQ(c.max_restarts, 7);
    ASSERT_EQ(c.restart_delay * 100, 25);
    ASSERT_EQ(c.restart_delay_max, 12);
    ASSERT_EQ(c.heartbeat_interval, 5);
    ASSERT_EQ(c.stable_after, 90);
    ASSERT_EQ(c.startup_timeout, 1200);
    ASSERT_EQ(c.health_interval * 10, 25);
    ASSERT_EQ(c.probe_timeout * 10, 15);
    ASSERT_EQ(c.unhealthy_after, 4);
    ASSERT_EQ(c.stop_grace, 20);
    ASSERT_STR_EQ(c.log_file, "/var/log/svc-a.log");
    ASSERT_EQ(c.log_max_bytes, 1048576);
    ASSERT_EQ(c.backend_type, BS_BACKEND_VLLM);
    ASSERT_STR_EQ(bs_config_service_type(&c), "vLLM");
    ASSERT_STR_EQ(c.model, "/models/m");
    ASSERT_STR_EQ(c.command, "ignored-for-vllm");
    ASSERT_EQ(strv_len(c.args), 2);
    ASSERT_STR_EQ(c.work_dir, "/tmp");
    ASSERT_EQ(strv_len(c.models), 2);
    ASSERT_STR_EQ(c.config_file, "/etc/x.toml");
    ASSERT_STR_EQ(c.model_path, "/models/p");
    ASSERT_EQ(strv_len(c.env), 1);
    ASSERT_STR_EQ(c.env[0], "CUDA_VISIBLE_DEVICES=2,3");
    ASSERT_TRUE(c.strict);
    ASSERT_STR_EQ(
        print(c.metadata),
        "{\"cache_type\":\"static\",\"gpu\":{\"count\":2,\"ids\":[0,1],\"name\":\"A100\"},"
        "\"since\":\"2026-02-10T09:26:25Z\",\"static\":true,\"weight\":2.5}");
    ASSERT_EQ(w.count, 0);
    bs_config_free(&c);
    drop_file(path);
}

TEST(fixture_master)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--config-file", fixture_path("master.toml"), "--strict", NULL),
              0);
    ASSERT_STR_EQ(c.name, "master-9g_8b_thinking");
    ASSERT_STR_EQ(c.host, "0.0.0.0");
    ASSERT_EQ(c.port, 8100);
    ASSERT_EQ(c.max_restarts, 10000);
    ASSERT_EQ(c.restart_delay, 10);
    ASSERT_EQ(c.heartbeat_interval, 30);
    ASSERT_EQ(c.backend_type, BS_BACKEND_COMMAND);
    ASSERT_STR_EQ(c.command, "python3");
    ASSERT_STR_EQ(c.work_dir, "/workspace");
    ASSERT_EQ(strv_len(c.args), 18);
    ASSERT_STR_EQ(c.args[0], "-m");
    ASSERT_STR_EQ(c.args[17], "--trust-remote-code");
    ASSERT_EQ(strv_len(c.env), 3);
    ASSERT_STR_EQ(c.env[0], "CUDA_VISIBLE_DEVICES=0");
    ASSERT_STR_EQ(c.env[2], "VLLM_LOGGING_LEVEL=INFO");
    bs_config_free(&c);
}

TEST(fixture_slave_keeps_an_argument_with_a_space)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--config-file", fixture_path("slave.toml"), "--strict", NULL), 0);
    ASSERT_EQ(c.restart_delay * 10, 25);
    ASSERT_EQ(strv_len(c.args), 20);
    ASSERT_STR_EQ(c.args[18], "--chat-template");
    ASSERT_STR_EQ(c.args[19], "/templates/chat template.jinja");
    ASSERT_STR_EQ(c.env[0], "CUDA_VISIBLE_DEVICES=1");
    bs_config_free(&c);
}

TEST(fixture_mock_needs_a_port)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    const char *path = fixture_path("mock.toml");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "mock.toml:4:8: port: expected an integer in 1..65534");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--port", "8500", NULL), 0);
    ASSERT_EQ(c.port, 8500);
    ASSERT_EQ(c.backend_type, BS_BACKEND_MOCK);
    ASSERT_STR_EQ(bs_config_service_type(&c), "mock");
    ASSERT_EQ(c.max_restarts, 3);
    ASSERT_EQ(c.restart_delay * 10, 5);
    ASSERT_STR_EQ(c.models[0], "model-1");
    ASSERT_STR_EQ(print(c.metadata),
                  "{\"block_size\":16,\"cache_type\":\"paged\",\"gpu\":{\"memory_gib\":80,"
                  "\"name\":\"A100\"},\"static\":false,\"tags\":[\"test\",\"mock\"]}");
    bs_config_free(&c);
}

TEST(args_flag_is_never_split)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "/bin/sh", "--args",
                   "[\"--model\", \"/m x\", \"-c\"]", NULL),
              0);
    ASSERT_EQ(strv_len(c.args), 3);
    ASSERT_STR_EQ(c.args[1], "/m x");
    bs_config_free(&c);
    ASSERT_EQ(
        load(&c, &w, &err, "--port", "8100", "--command", "/bin/echo", "--args", "a b  c", NULL),
        0);
    ASSERT_EQ(strv_len(c.args), 1);
    ASSERT_STR_EQ(c.args[0], "a b  c");
    bs_config_free(&c);
    /* A command with spaces stays one program name too. */
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "python3 -m x", NULL), 0);
    ASSERT_STR_EQ(c.command, "python3 -m x");
    bs_config_free(&c);
}

static const char overridable[] = "name = \"file-name\"\n"
                                  "host = \"file-host\"\n"
                                  "port = 8100\n"
                                  "registry_url = \"http://file:1\"\n"
                                  "router_url = \"http://file:2\"\n"
                                  "[babysitter]\n"
                                  "max_restarts = 1\n"
                                  "restart_delay = 1\n"
                                  "heartbeat_interval = 1\n"
                                  "[backend]\n"
                                  "type = \"command\"\n"
                                  "command = \"/file/cmd\"\n"
                                  "args = [\"file\"]\n"
                                  "work_dir = \"/file\"\n"
                                  "model = \"/file/model\"\n";

TEST(command_line_wins_for_every_key)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file(overridable);

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--name", "cli-name", "--host", "localhost",
                   "--port", "9100", "--registry-url", "http://cli:1/", "--router-url",
                   "http://cli:2", "--max-restarts", "9", "--restart-delay", "0.5",
                   "--heartbeat-interval", "2", "--command", "/cli/cmd", "--args",
                   "[\"cli\", \"x y\"]", "--work-dir", "/cli", "--service-type", "vLLM", "--path",
                   "/cli/model", NULL),
              0);
    ASSERT_STR_EQ(c.name, "cli-name");
    ASSERT_STR_EQ(c.host, "localhost"); /* even the reference's ignored "localhost" */
    ASSERT_EQ(c.port, 9100);
    ASSERT_STR_EQ(c.registry_url, "http://cli:1");
    ASSERT_STR_EQ(c.router_url, "http://cli:2");
    ASSERT_EQ(c.max_restarts, 9);
    ASSERT_EQ(c.restart_delay * 10, 5);
    ASSERT_EQ(c.heartbeat_interval, 2);
    ASSERT_STR_EQ(c.command, "/cli/cmd");
    ASSERT_EQ(strv_len(c.args), 2);
    ASSERT_STR_EQ(c.args[1], "x y");
    ASSERT_STR_EQ(c.work_dir, "/cli");
    ASSERT_EQ(c.backend_type, BS_BACKEND_VLLM);
    ASSERT_STR_EQ(c.model, "/cli/model");
    bs_config_free(&c);
    /* Without flags the file's values stand. */
    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, NULL), 0);
    ASSERT_STR_EQ(c.name, "file-name");
    ASSERT_EQ(c.max_restarts, 1);
    ASSERT_STR_EQ(c.command, "/file/cmd");
    bs_config_free(&c);
    drop_file(path);
}

TEST(service_type_and_path_flags)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--service-type", "InfiniLM-Rust", "--path",
                   "/cfg.toml", NULL),
              0);
    ASSERT_EQ(c.backend_type, BS_BACKEND_INFINILM_RUST);
    ASSERT_STR_EQ(c.config_file, "/cfg.toml");
    ASSERT_STR_EQ(c.name, "infinilm-rust-8100");
    bs_config_free(&c);
    ASSERT_EQ(
        load(&c, &w, &err, "--port", "8100", "--service-type", "InfiniLM", "--path", "/m", NULL),
        0);
    ASSERT_STR_EQ(c.model_path, "/m");
    ASSERT_STR_EQ(bs_config_service_type(&c), "InfiniLM");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--service-type", "mock", "--path", "/m", NULL),
              SVC_EBADCONFIG); /* models missing */
    ASSERT_EQ(w.count, 1);
    ASSERT_CONTAINS(w.text[0], "--path: not used by backend type mock");
    ASSERT_CONTAINS(err.msg, "backend.models: required");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--service-type", "tgi", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--service-type: 'tgi'");
    bs_config_free(&c);
}

TEST(bad_flag_values_name_the_flag)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--max-restarts", "-1", NULL),
              SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg,
                  "--max-restarts: babysitter.max_restarts: expected an integer in 0..1000000000");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--port", "65535", "--command", "x", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--port: port: expected an integer in 1..65534");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--command", "x", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "port: required");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "backend.command: required");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--log-level", "loud", NULL),
              SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--log-level");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--bogus", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "unknown option '--bogus'");
    bs_config_free(&c);
    /* The registry speaks plain HTTP: anything else is refused at startup, not retried forever. */
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--registry-url",
                   "https://registry:18000", NULL),
              SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "plain http://");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--registry-url",
                   "http://registry:18000/", NULL),
              0);
    ASSERT_STR_EQ(c.registry_url, "http://registry:18000");
    bs_config_free(&c);
}

TEST(protected_metadata_keys_are_ignored)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file("port = 8100\n"
                            "[backend]\n"
                            "command = \"/bin/true\"\n"
                            "[metadata]\n"
                            "type = \"command\"\n"
                            "models = [\"x\"]\n"
                            "cache_type = \"paged\"\n"
                            "models_list = []\n"
                            "parent_service = \"p\"\n"
                            "babysitter = \"other\"\n");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, NULL), 0);
    ASSERT_STR_EQ(print(c.metadata), "{\"cache_type\":\"paged\"}");
    ASSERT_EQ(w.count, 5);
    ASSERT_CONTAINS(w.text[0], "bs.toml:5:8: metadata.type: ignored");
    ASSERT_CONTAINS(w.text[1], "bs.toml:6:10: metadata.models: ignored");
    ASSERT_CONTAINS(w.text[4], "bs.toml:10:14: metadata.babysitter: ignored");
    bs_config_free(&c);
    drop_file(path);
    ASSERT_TRUE(bs_metadata_is_protected("models_list"));
    ASSERT_FALSE(bs_metadata_is_protected("cache_type"));
}

TEST(metadata_merge_keeps_protected_keys)
{
    cJSON *dst = json_new_object();
    cJSON *extra = json_new_object();

    json_set_string(dst, "type", "openai-api");
    json_set_string(extra, "type", "command");
    json_set_string(extra, "cache_type", "static");
    bs_metadata_merge(dst, extra);
    bs_metadata_merge(dst, NULL);
    ASSERT_STR_EQ(print(dst), "{\"cache_type\":\"static\",\"type\":\"openai-api\"}");
    cJSON_Delete(dst);
    cJSON_Delete(extra);
}

TEST(unknown_keys_warn_or_fail_when_strict)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file("port = 8100\n"
                            "prot = 8100\n"
                            "[babysitter]\n"
                            "retry_jitter = 0.1\n"
                            "[backend]\n"
                            "command = \"/bin/true\"\n"
                            "[backend.env]\n"
                            "ANY_NAME = \"ok\"\n");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, NULL), 0);
    ASSERT_EQ(w.count, 2);
    ASSERT_CONTAINS(w.text[0], "bs.toml:2:8: prot: unknown key");
    ASSERT_CONTAINS(w.text[1], "bs.toml:4:16: babysitter.retry_jitter: unknown key");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--strict", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "bs.toml:2:8: prot: unknown key");
    ASSERT_EQ(err.line, 2);
    ASSERT_EQ(err.col, 8);
    bs_config_free(&c);
    drop_file(path);
}

TEST(syntax_error_has_file_line_column)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file("port = 8100\n[backend]\ncommand = \"/bin/true\n");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, NULL), SVC_EBADCONFIG);
    ASSERT_EQ(err.line, 3);
    char want[128];
    snprintf(want, sizeof(want), "%s:3:", path);
    ASSERT_TRUE(strncmp(err.msg, want, strlen(want)) == 0);
    bs_config_free(&c);
    drop_file(path);
}

TEST(bad_value_has_file_line_column)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--config-file", fixture_path("cfg_bad_value.toml"), NULL),
              SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "cfg_bad_value.toml:5:16: babysitter.max_restarts: expected an "
                             "integer in 0..1000000000");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--config-file", "/nonexistent/bs.toml", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "/nonexistent/bs.toml: cannot read the configuration file");
    bs_config_free(&c);
}

TEST(missing_required_key_names_the_file)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file("port = 8100\n[backend]\ntype = \"vllm\"\n");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, NULL), SVC_EBADCONFIG);
    char want[160];
    snprintf(want, sizeof(want), "%s: backend.model: required when backend.type = \"vllm\"", path);
    ASSERT_STR_EQ(err.msg, want);
    bs_config_free(&c);
    drop_file(path);
}

TEST(token_and_log_level_from_the_environment)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    setenv("INFINI_REGISTRY_TOKEN", "s3cret", 1);
    setenv("INFINI_LOG_LEVEL", "debug", 1);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", NULL), 0);
    ASSERT_STR_EQ(c.registry_token, "s3cret");
    ASSERT_STR_EQ(c.log_level, "debug");
    bs_config_free(&c);
    ASSERT_EQ(
        load(&c, &w, &err, "--port", "8100", "--command", "x", "--registry-token", "cli", NULL), 0);
    ASSERT_STR_EQ(c.registry_token, "cli");
    bs_config_free(&c);
    unsetenv("INFINI_REGISTRY_TOKEN");
    unsetenv("INFINI_LOG_LEVEL");
}

TEST(reference_flags_env_dev_ndev_max_batch)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *path = write_file("port = 8100\n"
                            "[backend]\n"
                            "command = \"/bin/true\"\n"
                            "[backend.env]\n"
                            "A = \"file\"\n"
                            "B = \"b\"\n");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--env", "A=cli", "--dev", "0", "--ndev",
                   "2", "--max-batch", "4", NULL),
              0);
    ASSERT_EQ(strv_len(c.env), 2);
    ASSERT_STR_EQ(c.env[0], "A=cli");
    ASSERT_STR_EQ(c.env[1], "B=b");
    ASSERT_EQ(w.count, 3);
    ASSERT_STR_EQ(w.text[0], "--dev: not used; ignored");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--env", "{ C = \"c d\" }", NULL), 0);
    ASSERT_EQ(strv_len(c.env), 1);
    ASSERT_STR_EQ(c.env[0], "C=c d");
    bs_config_free(&c);
    ASSERT_EQ(load(&c, &w, &err, "--config-file", path, "--env", "novalue", NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "--env: backend.env: expected KEY=VALUE");
    bs_config_free(&c);
    drop_file(path);
}

TEST(help_returns_one)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_EQ(load(&c, &w, &err, "--help", NULL), 1);
    bs_config_free(&c);
}

TEST(file_and_flag_follow_the_same_range_rule)
{
    struct bs_config c;
    struct warnings w;
    struct err_msg err;
    char *low = write_file("port = 8100\n[babysitter]\nheartbeat_interval = 0.009\n"
                           "[backend]\ncommand = \"x\"\n");

    ASSERT_EQ(load(&c, &w, &err, "--config-file", low, NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(
        err.msg, "bs.toml:3:22: babysitter.heartbeat_interval: expected a number in 0.01..86400");
    bs_config_free(&c);
    drop_file(low);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--heartbeat-interval",
                   "0.009", NULL),
              SVC_EBADCONFIG);
    ASSERT_STR_EQ(err.msg, "--heartbeat-interval: babysitter.heartbeat_interval: expected a "
                           "number in 0.01..86400");
    bs_config_free(&c);
    /* The top of a range is accepted from either source, one past it from neither. */
    char *top = write_file("port = 8100\n[babysitter]\nmax_restarts = 1000000000\n"
                           "[backend]\ncommand = \"x\"\n");
    ASSERT_EQ(load(&c, &w, &err, "--config-file", top, NULL), 0);
    ASSERT_EQ(c.max_restarts, 1000000000);
    bs_config_free(&c);
    drop_file(top);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--max-restarts", "1000000000",
                   NULL),
              0);
    ASSERT_EQ(c.max_restarts, 1000000000);
    bs_config_free(&c);
    char *over = write_file("port = 8100\n[babysitter]\nmax_restarts = 1000000001\n"
                            "[backend]\ncommand = \"x\"\n");
    ASSERT_EQ(load(&c, &w, &err, "--config-file", over, NULL), SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "babysitter.max_restarts: expected an integer in 0..1000000000");
    bs_config_free(&c);
    drop_file(over);
    ASSERT_EQ(load(&c, &w, &err, "--port", "8100", "--command", "x", "--max-restarts", "1000000001",
                   NULL),
              SVC_EBADCONFIG);
    ASSERT_CONTAINS(err.msg, "babysitter.max_restarts: expected an integer in 0..1000000000");
    bs_config_free(&c);
}

/* What --help printed. */
static const char *help_text(void)
{
    static char text[16384];
    char path[] = "/tmp/bs-help-XXXXXX";
    int fd = mkstemp(path);
    struct bs_config c;
    struct warnings w;
    struct err_msg err;

    ASSERT_TRUE(fd >= 0);
    fflush(stdout);
    int saved = dup(1);
    ASSERT_TRUE(saved >= 0 && dup2(fd, 1) == 1);
    int rc = load(&c, &w, &err, "--help", NULL);
    fflush(stdout);
    ASSERT_EQ(dup2(saved, 1), 1);
    close(saved);
    ASSERT_EQ(rc, 1);
    bs_config_free(&c);
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    ASSERT_TRUE(n > 0);
    text[n] = '\0';
    close(fd);
    unlink(path);
    return text;
}

static int count(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

TEST(help_lists_each_setting_once_with_key_default_and_env)
{
    const char *text = help_text();

    ASSERT_EQ(count(text, "--max-restarts "), 1);
    ASSERT_CONTAINS(text, "[babysitter.max_restarts] (default: 10000)");
    ASSERT_CONTAINS(text, "[babysitter.heartbeat_interval] (default: 30)");
    ASSERT_CONTAINS(text, "[backend.env]");
    ASSERT_CONTAINS(text, "error, warn, info or debug (default: info) [env INFINI_LOG_LEVEL]");
    ASSERT_CONTAINS(text, "access log: PATH, - (stdout) or off (default: -)");
    ASSERT_CONTAINS(text, "address to listen on (default: 0.0.0.0)");
    ASSERT_CONTAINS(text, "[env INFINI_REGISTRY_TOKEN]");
    ASSERT_EQ(count(text, "--port-file"), 1);
    /* File-only keys have no flag. */
    ASSERT_EQ(count(text, "stop_grace"), 0);
    ASSERT_EQ(count(text, "--stop-grace"), 0);
}

HARNESS_MAIN(CASE(defaults), CASE(every_key_of_the_schema), CASE(fixture_master),
             CASE(fixture_slave_keeps_an_argument_with_a_space), CASE(fixture_mock_needs_a_port),
             CASE(args_flag_is_never_split), CASE(command_line_wins_for_every_key),
             CASE(service_type_and_path_flags), CASE(bad_flag_values_name_the_flag),
             CASE(protected_metadata_keys_are_ignored), CASE(metadata_merge_keeps_protected_keys),
             CASE(unknown_keys_warn_or_fail_when_strict), CASE(syntax_error_has_file_line_column),
             CASE(bad_value_has_file_line_column), CASE(missing_required_key_names_the_file),
             CASE(token_and_log_level_from_the_environment),
             CASE(reference_flags_env_dev_ndev_max_batch), CASE(help_returns_one),
             CASE(file_and_flag_follow_the_same_range_rule),
             CASE(help_lists_each_setting_once_with_key_default_and_env))
