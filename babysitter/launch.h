/* What the babysitter runs: the argv of each backend type, the child's environment, the
 * program resolved to an absolute path and the working directory checked, all at startup, so
 * that a missing executable or a bad work_dir is one clear error instead of a crash loop.
 * Backend argv shapes:
 *   command        <command> <args...>                (command is one program, never split)
 *   vllm           python3 -m vllm.entrypoints.openai.api_server --model <model> --host <host>
 *                  --port <P> <args...>
 *   mock           <infini-mock> --port <P> --bind <host if an IP literal, else 0.0.0.0>
 *                  --name <name> --models <m1,m2,...> <args...>
 *   infinilm-rust  xtask service <config_file> -p <P> <args...>       (the reference's shape)
 *   infinilm       python3 launch_server.py --port <P> --host <host> <args...> (the reference's
 *                  shape: launch_server.py is looked up in work_dir; model_path is not passed)
 * Depends on libc, common/buf, common/err and babysitter/config. */
#ifndef SVC_BABYSITTER_LAUNCH_H
#define SVC_BABYSITTER_LAUNCH_H

struct bs_config;
struct buf;
struct err_msg;

struct bs_launch {
    char *file;       /* absolute path of the program, given to uv_spawn */
    char **argv;      /* NULL-terminated; argv[0] as configured */
    char **envp;      /* NULL-terminated "KEY=VALUE" */
    char *cwd;        /* absolute working directory, or NULL for the babysitter's */
    char *probe_host; /* address the babysitter probes the model server on */
    /* metadata.kv_events to advertise (babysitter/kvevents), or NULL */
    struct cJSON *kv_events;
};

/* Builds the argv for `cfg`'s backend type (see above). `mock_path` (borrowed) is the
 * infini-mock program for the mock type. Returns a NULL-terminated vector the caller frees with
 * bs_launch_strv_free(). Pure. */
char **bs_launch_argv(const struct bs_config *cfg, const char *mock_path);

/* The child's environment: every entry of `inherited` whose name `overrides` does not set,
 * then `overrides` in order (both borrowed, NULL-terminated "KEY=VALUE"; either may be NULL).
 * Returns a vector freed with bs_launch_strv_free(). Pure. */
char **bs_launch_envp(char *const *inherited, char *const *overrides);

/* Finds `prog` the way execvp would in a child whose working directory is `cwd` (absolute) and
 * whose PATH is `path_var` (NULL = "/usr/local/bin:/usr/bin:/bin"): a name with a '/' is taken
 * as it is (relative to cwd), any other is searched on PATH. On success *out is a malloc'ed
 * absolute path of a regular executable file. Otherwise returns UV_ENOENT, UV_EACCES or
 * UV_EISDIR with err saying what was looked for. */
int bs_launch_resolve(const char *prog, const char *path_var, const char *cwd, char **out,
                      struct err_msg *err);

/* Locates infini-mock: next to this executable, then in ../tools/mock (a build tree), then on
 * PATH. 0 with *out malloc'ed, or UV_ENOENT with err set. */
int bs_launch_find_mock(char **out, struct err_msg *err);

/* The address to probe a model server told to listen on `host`: `host` itself when it is a
 * specific IP literal, else "127.0.0.1" (for names and the unspecified 0.0.0.0 / ::). Borrowed
 * from `host` or static. */
const char *bs_launch_probe_host(const char *host);

/* Appends "http://<host>:<port><path>" to `out`, bracketing an IPv6 literal. 0 or SVC_ELIMIT. */
int bs_launch_url(struct buf *out, const char *host, int port, const char *path);

/* Everything above for `cfg` (borrowed): 0 with *out filled (release with bs_launch_free()),
 * or a negative code with err holding a message naming the key at fault. */
int bs_launch_prepare(const struct bs_config *cfg, struct bs_launch *out, struct err_msg *err);

void bs_launch_free(struct bs_launch *l);
void bs_launch_strv_free(char **v);

#endif
