/* Unit tests for babysitter/launch: the argv of every backend type (arguments kept exactly,
 * never split), the child's environment, program lookup, and the startup checks that turn a
 * missing executable or a bad work_dir into one clear error. */
#include "launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "harness.h"

/* The vector joined with '|' (static buffer). */
static const char *joined(char **v)
{
    static char out[2048];
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; v[i] != NULL; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? "|" : "", v[i]);
    return out;
}

static void base_config(struct bs_config *c, enum bs_backend_type type)
{
    static char *args[] = {"--extra", "a b", NULL};
    static char *models[] = {"m1", "m2", NULL};

    memset(c, 0, sizeof(*c));
    c->backend_type = type;
    c->name = "svc";
    c->host = "localhost";
    c->port = 8100;
    c->command = "/opt/server";
    c->args = args;
    c->model = "/models/x y";
    c->models = models;
    c->config_file = "/etc/infinilm.toml";
    c->model_path = "/models/p";
}

TEST(argv_per_backend_type)
{
    struct bs_config c;
    char **v;

    base_config(&c, BS_BACKEND_COMMAND);
    v = bs_launch_argv(&c, NULL);
    ASSERT_STR_EQ(joined(v), "/opt/server|--extra|a b");
    bs_launch_strv_free(v);

    base_config(&c, BS_BACKEND_VLLM);
    v = bs_launch_argv(&c, NULL);
    ASSERT_STR_EQ(joined(v), "python3|-m|vllm.entrypoints.openai.api_server|--model|/models/x y|"
                             "--host|localhost|--port|8100|--extra|a b");
    bs_launch_strv_free(v);

    base_config(&c, BS_BACKEND_MOCK);
    v = bs_launch_argv(&c, "/bin/infini-mock");
    ASSERT_STR_EQ(joined(v), "/bin/infini-mock|--port|8100|--bind|0.0.0.0|--name|svc|--models|"
                             "m1,m2|--extra|a b");
    bs_launch_strv_free(v);
    c.host = "127.0.0.1"; /* an IP literal is a bind address */
    v = bs_launch_argv(&c, "/bin/infini-mock");
    ASSERT_STR_EQ(v[4], "127.0.0.1");
    bs_launch_strv_free(v);

    base_config(&c, BS_BACKEND_INFINILM_RUST);
    c.args = NULL;
    v = bs_launch_argv(&c, NULL);
    ASSERT_STR_EQ(joined(v), "xtask|service|/etc/infinilm.toml|-p|8100");
    bs_launch_strv_free(v);

    base_config(&c, BS_BACKEND_INFINILM);
    v = bs_launch_argv(&c, NULL);
    ASSERT_STR_EQ(joined(v), "python3|launch_server.py|--port|8100|--host|localhost|--extra|a b");
    bs_launch_strv_free(v);
}

TEST(environment_overrides_win)
{
    char *inherited[] = {"PATH=/usr/bin", "HOME=/root", "CUDA_VISIBLE_DEVICES=0", "EMPTY=", NULL};
    char *overrides[] = {"CUDA_VISIBLE_DEVICES=3", "NEW=x=y", NULL};
    char **v = bs_launch_envp(inherited, overrides);

    ASSERT_STR_EQ(joined(v), "PATH=/usr/bin|HOME=/root|EMPTY=|CUDA_VISIBLE_DEVICES=3|NEW=x=y");
    bs_launch_strv_free(v);
    v = bs_launch_envp(NULL, NULL);
    ASSERT_NULL(v[0]);
    bs_launch_strv_free(v);
    /* A name that is a prefix of another is not the same variable. */
    char *inh2[] = {"CUDA=1", "CUDA_X=2", NULL};
    char *ovr2[] = {"CUDA=9", NULL};
    v = bs_launch_envp(inh2, ovr2);
    ASSERT_STR_EQ(joined(v), "CUDA_X=2|CUDA=9");
    bs_launch_strv_free(v);
}

TEST(program_lookup)
{
    struct err_msg err = {0};
    char *out = NULL;

    ASSERT_OK(bs_launch_resolve("/bin/sh", NULL, "/", &out, &err));
    ASSERT_STR_EQ(out, "/bin/sh");
    free(out);
    ASSERT_OK(bs_launch_resolve("sh", "/nonexistent:/bin", "/", &out, &err));
    ASSERT_STR_EQ(out, "/bin/sh");
    free(out);
    ASSERT_OK(bs_launch_resolve("sh", "bin", "/", &out, &err)); /* relative PATH entry */
    ASSERT_STR_EQ(out, "/bin/sh");
    free(out);
    ASSERT_OK(bs_launch_resolve("bin/sh", NULL, "/", &out, &err)); /* relative to cwd */
    free(out);
    ASSERT_EQ(bs_launch_resolve("no-such-program-xyz", "/bin:/usr/bin", "/", &out, &err),
              UV_ENOENT);
    ASSERT_NULL(out);
    ASSERT_STR_EQ(err.msg, "'no-such-program-xyz' not found on PATH (/bin:/usr/bin)");
    ASSERT_EQ(bs_launch_resolve("/nonexistent/prog", NULL, "/", &out, &err), UV_ENOENT);
    ASSERT_EQ(bs_launch_resolve("/etc/passwd", NULL, "/", &out, &err), UV_EACCES);
    ASSERT_EQ(bs_launch_resolve("/tmp", NULL, "/", &out, &err), UV_EISDIR);
    ASSERT_EQ(bs_launch_resolve("", NULL, "/", &out, &err), UV_ENOENT);
}

TEST(prepare_checks_program_and_work_dir)
{
    struct bs_config c;
    struct bs_launch l;
    struct err_msg err = {0};

    base_config(&c, BS_BACKEND_COMMAND);
    c.command = "/bin/sh";
    c.work_dir = "/tmp";
    ASSERT_OK(bs_launch_prepare(&c, &l, &err));
    ASSERT_STR_EQ(l.file, "/bin/sh");
    ASSERT_STR_EQ(l.argv[0], "/bin/sh");
    ASSERT_NOT_NULL(l.cwd);
    ASSERT_STR_EQ(l.probe_host, "127.0.0.1");
    bs_launch_free(&l);

    c.work_dir = "/nonexistent-dir";
    ASSERT_TRUE(bs_launch_prepare(&c, &l, &err) < 0);
    ASSERT_CONTAINS(err.msg, "backend.work_dir: '/nonexistent-dir'");
    ASSERT_NULL(l.argv);
    c.work_dir = "/etc/passwd";
    ASSERT_TRUE(bs_launch_prepare(&c, &l, &err) < 0);
    ASSERT_CONTAINS(err.msg, "backend.work_dir");

    c.work_dir = NULL;
    c.command = "no-such-program-xyz";
    ASSERT_EQ(bs_launch_prepare(&c, &l, &err), UV_ENOENT);
    ASSERT_CONTAINS(err.msg, "backend.command: 'no-such-program-xyz' not found on PATH");

    /* [backend.env] PATH decides where the program is looked up. */
    static char *env[] = {"PATH=/nonexistent", NULL};
    c.command = "sh";
    c.env = env;
    ASSERT_EQ(bs_launch_prepare(&c, &l, &err), UV_ENOENT);
    ASSERT_CONTAINS(err.msg, "(/nonexistent)");
}

TEST(probe_host_and_urls)
{
    struct buf b;

    ASSERT_STR_EQ(bs_launch_probe_host("0.0.0.0"), "127.0.0.1");
    ASSERT_STR_EQ(bs_launch_probe_host("::"), "127.0.0.1");
    ASSERT_STR_EQ(bs_launch_probe_host("localhost"), "127.0.0.1");
    ASSERT_STR_EQ(bs_launch_probe_host("node-7.example"), "127.0.0.1");
    ASSERT_STR_EQ(bs_launch_probe_host("10.1.2.3"), "10.1.2.3");
    ASSERT_STR_EQ(bs_launch_probe_host("::1"), "::1");
    buf_init(&b, 256);
    ASSERT_OK(bs_launch_url(&b, "0.0.0.0", 8100, "/v1/models"));
    ASSERT_STR_EQ(buf_cstr(&b), "http://0.0.0.0:8100/v1/models");
    buf_reset(&b);
    ASSERT_OK(bs_launch_url(&b, "::1", 8101, NULL));
    ASSERT_STR_EQ(buf_cstr(&b), "http://[::1]:8101");
    buf_free(&b);
}

HARNESS_MAIN(CASE(argv_per_backend_type), CASE(environment_overrides_win), CASE(program_lookup),
             CASE(prepare_checks_program_and_work_dir), CASE(probe_host_and_urls))
