/* Backend argv, child environment and startup checks of the program and working directory.
 * Filesystem checks run once at startup (blocking is fine there). Depends on libc, libuv's
 * error codes, common/buf, common/err, common/xalloc and babysitter/config. */
#include "launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>
#include <uv.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "kvevents.h"
#include "xalloc.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* A growable NULL-terminated vector of owned strings. */
struct strv {
    char **v;
    size_t n, cap;
};

static void strv_push(struct strv *s, const char *str)
{
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = xstrdup(str);
    s->v[s->n] = NULL;
}

static void strv_push_all(struct strv *s, char *const *items)
{
    for (size_t i = 0; items != NULL && items[i] != NULL; i++)
        strv_push(s, items[i]);
}

static char **strv_take(struct strv *s)
{
    if (s->v == NULL)
        s->v = xcalloc(1, sizeof(*s->v));
    return s->v;
}

void bs_launch_strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

static bool is_ip_literal(const char *host)
{
    unsigned char addr[16];

    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

const char *bs_launch_probe_host(const char *host)
{
    if (is_ip_literal(host) && strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0)
        return host;
    return "127.0.0.1";
}

int bs_launch_url(struct buf *out, const char *host, int port, const char *path)
{
    bool v6 = strchr(host, ':') != NULL;

    return buf_appendf(out, "http://%s%s%s:%d%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
                       path != NULL ? path : "");
}

static void push_models(struct strv *s, char *const *models)
{
    struct buf joined;

    buf_init(&joined, BUF_UNLIMITED);
    for (size_t i = 0; models != NULL && models[i] != NULL; i++) {
        if (i > 0)
            buf_putc(&joined, ',');
        buf_append_str(&joined, models[i]);
    }
    strv_push(s, buf_cstr(&joined));
    buf_free(&joined);
}

char **bs_launch_argv(const struct bs_config *cfg, const char *mock_path)
{
    struct strv s = {0};
    char port[16];

    snprintf(port, sizeof(port), "%d", cfg->port);
    switch ((enum bs_backend_type)cfg->backend_type) {
    case BS_BACKEND_COMMAND:
        strv_push(&s, cfg->command);
        break;
    case BS_BACKEND_VLLM:
        strv_push_all(&s, (char *const[]){"python3", "-m", "vllm.entrypoints.openai.api_server",
                                          "--model", cfg->model, "--host", cfg->host, "--port",
                                          port, NULL});
        break;
    case BS_BACKEND_MOCK:
        strv_push(&s, mock_path);
        strv_push_all(&s, (char *const[]){"--port", port, "--bind",
                                          is_ip_literal(cfg->host) ? cfg->host : "0.0.0.0",
                                          "--name", cfg->name, "--models", NULL});
        push_models(&s, cfg->models);
        break;
    case BS_BACKEND_INFINILM_RUST:
        strv_push_all(&s, (char *const[]){"xtask", "service", cfg->config_file, "-p", port, NULL});
        break;
    case BS_BACKEND_INFINILM:
        strv_push_all(&s, (char *const[]){"python3", "launch_server.py", "--port", port, "--host",
                                          cfg->host, NULL});
        break;
    }
    strv_push_all(&s, cfg->args);
    return strv_take(&s);
}

/* Whether "KEY=..." `entry` sets a name that some entry of `set` sets too. */
static bool overridden(const char *entry, char *const *set)
{
    const char *eq = strchr(entry, '=');
    size_t n = eq != NULL ? (size_t)(eq - entry) : strlen(entry);

    for (size_t i = 0; set != NULL && set[i] != NULL; i++)
        if (strncmp(set[i], entry, n) == 0 && set[i][n] == '=')
            return true;
    return false;
}

char **bs_launch_envp(char *const *inherited, char *const *overrides)
{
    struct strv s = {0};

    for (size_t i = 0; inherited != NULL && inherited[i] != NULL; i++)
        if (!overridden(inherited[i], overrides))
            strv_push(&s, inherited[i]);
    strv_push_all(&s, overrides);
    return strv_take(&s);
}

static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* 0 when `path` is a regular file we may execute, else the libuv code saying why not. */
static int check_exec(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return UV_EISDIR;
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
        return UV_EACCES;
    return 0;
}

/* `dir`/`name`, with a relative `dir` taken from `cwd`. Caller frees. */
static char *join(const char *cwd, const char *dir, size_t dirlen, const char *name)
{
    struct buf b;

    buf_init(&b, BUF_UNLIMITED);
    if (dirlen == 0 || dir[0] != '/') {
        buf_append_str(&b, cwd);
        if (b.len == 0 || b.data[b.len - 1] != '/')
            buf_putc(&b, '/');
    }
    buf_append(&b, dir, dirlen);
    if (dirlen > 0)
        buf_putc(&b, '/');
    buf_append_str(&b, name);
    return buf_take(&b, NULL);
}

int bs_launch_resolve(const char *prog, const char *path_var, const char *cwd, char **out,
                      struct err_msg *err)
{
    int rc = UV_ENOENT;

    *out = NULL;
    if (prog == NULL || prog[0] == '\0') {
        err_set(err, 0, 0, "empty program name");
        return UV_ENOENT;
    }
    if (strchr(prog, '/') != NULL) {
        char *path = prog[0] == '/' ? xstrdup(prog) : join(cwd, "", 0, prog);
        rc = check_exec(path);
        if (rc == 0) {
            *out = path;
            return 0;
        }
        err_set(err, 0, 0, "'%s': %s", path, uv_strerror(rc));
        free(path);
        return rc;
    }
    const char *p = path_var != NULL ? path_var : DEFAULT_PATH;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon != NULL ? (size_t)(colon - p) : strlen(p);
        char *path = join(cwd, p, n, prog);
        int r = check_exec(path);
        if (r == 0) {
            *out = path;
            return 0;
        }
        if (r != UV_ENOENT && r != UV_ENOTDIR)
            rc = r; /* remember "found but not executable" over "not found" */
        free(path);
        if (colon == NULL)
            break;
        p = colon + 1;
    }
    err_set(err, 0, 0, "'%s' %s on PATH (%.120s)", prog,
            rc == UV_ENOENT ? "not found" : "is not an executable file",
            path_var != NULL ? path_var : DEFAULT_PATH);
    return rc;
}

/* The directory holding this executable (from /proc/self/exe). Caller frees; NULL if unknown. */
static char *self_dir(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return xstrdup(path[0] != '\0' ? path : "/");
}

int bs_launch_find_mock(char **out, struct err_msg *err)
{
    static const char *const rel[] = {"infini-mock", "../tools/mock/infini-mock"};
    char *dir = self_dir();

    for (size_t i = 0; dir != NULL && i < sizeof(rel) / sizeof(rel[0]); i++) {
        char *path = join(dir, "", 0, rel[i]);
        if (check_exec(path) == 0) {
            free(dir);
            *out = path;
            return 0;
        }
        free(path);
    }
    free(dir);
    int rc = bs_launch_resolve("infini-mock", getenv("PATH"), "/", out, err);
    if (rc < 0)
        err_set(err, 0, 0,
                "infini-mock not found next to infini-babysitter, in "
                "../tools/mock or on PATH");
    return rc;
}

static int check_work_dir(const char *work_dir, char **out, struct err_msg *err)
{
    char *real = realpath(work_dir, NULL);
    struct stat st;
    int rc = 0;

    if (real == NULL)
        rc = -errno;
    else if (stat(real, &st) < 0)
        rc = -errno;
    else if (!S_ISDIR(st.st_mode))
        rc = UV_ENOTDIR;
    else if (access(real, X_OK) < 0)
        rc = UV_EACCES;
    if (rc < 0) {
        err_set(err, 0, 0, "backend.work_dir: '%s': %s", work_dir, uv_strerror(rc));
        free(real);
        return rc;
    }
    *out = real;
    return 0;
}

int bs_launch_prepare(const struct bs_config *cfg, struct bs_launch *out, struct err_msg *err)
{
    struct err_msg e = {0};
    char *mock = NULL, cwd[PATH_MAX];
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (cfg->work_dir != NULL && cfg->work_dir[0] != '\0')
        rc = check_work_dir(cfg->work_dir, &out->cwd, err);
    else if (getcwd(cwd, sizeof(cwd)) == NULL)
        rc = -errno;
    if (rc < 0)
        goto out;
    if (cfg->backend_type == BS_BACKEND_MOCK && (rc = bs_launch_find_mock(&mock, err)) < 0)
        goto out;
    out->envp = bs_launch_envp(environ, cfg->env);
    out->argv = bs_launch_argv(cfg, mock);
    int kv_port = 0, kv_replay = 0;
    if (bs_kvevents_wanted(cfg) && (rc = bs_kvevents_free_ports(&kv_port, &kv_replay)) < 0) {
        err_set(err, 0, 0, "no free ports for KV cache events: %s", uv_strerror(rc));
        goto out;
    }
    out->argv =
        bs_kvevents_append(out->argv, bs_kvevents_args(cfg, kv_port, kv_replay, &out->kv_events));
    rc = bs_launch_resolve(out->argv[0], env_get(out->envp, "PATH"),
                           out->cwd != NULL ? out->cwd : cwd, &out->file, &e);
    if (rc < 0) {
        err_set(err, 0, 0, "%s: %s",
                cfg->backend_type == BS_BACKEND_COMMAND ? "backend.command" : "backend program",
                e.msg);
        goto out;
    }
    out->probe_host = xstrdup(bs_launch_probe_host(cfg->host));
out:
    free(mock);
    if (rc < 0)
        bs_launch_free(out);
    return rc;
}

void bs_launch_free(struct bs_launch *l)
{
    free(l->file);
    bs_launch_strv_free(l->argv);
    bs_launch_strv_free(l->envp);
    free(l->cwd);
    free(l->probe_host);
    cJSON_Delete(l->kv_events);
    memset(l, 0, sizeof(*l));
}
