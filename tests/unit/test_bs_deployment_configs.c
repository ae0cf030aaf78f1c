/* Every TOML file under deployment/ is a babysitter configuration that a user runs as is, so
 * each one must load with the babysitter's own loader in strict mode (no unknown keys, no
 * warnings). The cache-routing case's files are also checked for what its scripts rely on:
 * names, ports, heartbeat interval, model id, and the mock configs matching the real ones.
 * The repository path comes from the SVC_SOURCE_DIR compile definition. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "harness.h"

#ifndef SVC_SOURCE_DIR
#error "SVC_SOURCE_DIR must name the source tree"
#endif

#define CASE_DIR SVC_SOURCE_DIR "/deployment/cases/cache-routing-validation/config/"
#define MODEL_ID "9g_8b_thinking"

struct warnings {
    int count;
    char first[512];
};

static void collect(void *ud, const char *text)
{
    struct warnings *w = ud;

    if (w->count++ == 0)
        snprintf(w->first, sizeof(w->first), "%s", text);
}

/* Loads `path` strictly into `c` (zeroed first); fails the test on an error or a warning. */
static void load_strict(struct bs_config *c, const char *path)
{
    char file[4096];
    char *argv[] = {"infini-babysitter", "--config-file", file, "--strict", NULL};
    struct warnings w = {0};
    struct err_msg err;

    snprintf(file, sizeof(file), "%s", path);

    memset(c, 0, sizeof(*c));
    memset(&err, 0, sizeof(err));
    int rc = bs_config_load(c, 4, argv, collect, &w, &err);
    if (rc != 0)
        HARNESS_FAIL_("%s: %s", path, err.msg);
    if (w.count != 0)
        HARNESS_FAIL_("%s: %d warning(s), first: %s", path, w.count, w.first);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Loads every *.toml below `dir`; returns how many there were. */
static int load_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int count = 0;

    ASSERT_NOT_NULL(d);
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ASSERT_EQ(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            count += load_tree(path);
        } else if (ends_with(e->d_name, ".toml")) {
            struct bs_config c;

            load_strict(&c, path);
            bs_config_free(&c);
            count++;
        }
    }
    closedir(d);
    return count;
}

/* The argument after `flag` in the NULL-terminated `args`, or NULL. */
static const char *arg_after(char **args, const char *flag)
{
    for (size_t i = 0; args != NULL && args[i] != NULL; i++)
        if (strcmp(args[i], flag) == 0)
            return args[i + 1];
    return NULL;
}

static bool has_arg(char **args, const char *arg)
{
    for (size_t i = 0; args != NULL && args[i] != NULL; i++)
        if (strcmp(args[i], arg) == 0)
            return true;
    return false;
}

static bool has_env_key(char **env, const char *key)
{
    size_t n = strlen(key);

    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            return true;
    return false;
}

TEST(every_toml_under_deployment_loads_strictly)
{
    /* master, slave, master-mock, slave-mock at least. */
    ASSERT_LE(4, load_tree(SVC_SOURCE_DIR "/deployment"));
}

/* The real configs: a vLLM OpenAI server with prefix caching on its own port and device. */
static void check_vllm_config(const char *file, const char *name, int port, const char *port_s)
{
    struct bs_config c;

    load_strict(&c, file);
    ASSERT_STR_EQ(c.name, name);
    ASSERT_STR_EQ(c.host, "0.0.0.0");
    ASSERT_EQ(c.port, port);
    ASSERT_EQ(c.heartbeat_interval, 5);
    ASSERT_EQ(c.backend_type, BS_BACKEND_COMMAND);
    ASSERT_STR_EQ(c.command, "python3");
    ASSERT_STR_EQ(arg_after(c.args, "-m"), "vllm.entrypoints.openai.api_server");
    ASSERT_STR_EQ(arg_after(c.args, "--model"), "/models/" MODEL_ID);
    ASSERT_STR_EQ(arg_after(c.args, "--served-model-name"), MODEL_ID);
    ASSERT_STR_EQ(arg_after(c.args, "--port"), port_s);
    ASSERT_TRUE(has_arg(c.args, "--enable-prefix-caching"));
    ASSERT_TRUE(has_env_key(c.env, "CUDA_VISIBLE_DEVICES"));
    bs_config_free(&c);
}

TEST(cache_routing_case_real_configs)
{
    check_vllm_config(CASE_DIR "master.toml", "master-" MODEL_ID, 8100, "8100");
    check_vllm_config(CASE_DIR "slave.toml", "slave-" MODEL_ID, 8200, "8200");
}

/* The mock configs stand in for the real ones: same name, port and model id. */
static void check_mock_config(const char *file, const char *name, int port)
{
    struct bs_config c;

    load_strict(&c, file);
    ASSERT_STR_EQ(c.name, name);
    ASSERT_EQ(c.port, port);
    ASSERT_EQ(c.heartbeat_interval, 5);
    ASSERT_EQ(c.backend_type, BS_BACKEND_MOCK);
    ASSERT_NOT_NULL(c.models);
    ASSERT_STR_EQ(c.models[0], MODEL_ID);
    ASSERT_NULL(c.models[1]);
    ASSERT_STR_EQ(arg_after(c.args, "--kv-blocks"), "1400");
    ASSERT_STR_EQ(arg_after(c.args, "--max-batch"), "16");
    bs_config_free(&c);
}

TEST(cache_routing_case_mock_configs)
{
    check_mock_config(CASE_DIR "master-mock.toml", "master-" MODEL_ID, 8100);
    check_mock_config(CASE_DIR "slave-mock.toml", "slave-" MODEL_ID, 8200);
}

HARNESS_MAIN(CASE(every_toml_under_deployment_loads_strictly),
             CASE(cache_routing_case_real_configs), CASE(cache_routing_case_mock_configs))
