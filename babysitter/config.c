/* infini-babysitter configuration: the TOML key table, the command-line table, the merge (a
 * flag given on the command line always wins over the file) and the checks a table cannot
 * express (required keys per backend type, the port range that leaves room for P+1). Errors
 * name the file, line and column of the offending value, or the flag it came from.
 * Depends on common/cli, common/json, common/log (level names), config/cfg, config/toml and
 * babysitter/metadata. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "url.h"
#include "metadata.h"
#include "toml.h"
#include "xalloc.h"

/* Backend type names as written in TOML, in enum bs_backend_type order. */
static const char *const backend_names[] = {"command",       "vllm",     "mock",
                                            "infinilm-rust", "infinilm", NULL};
/* The reference's service type strings, in the same order. */
static const char *const service_types[] = {"command", "vLLM", "mock", "InfiniLM-Rust", "InfiniLM"};

#define K(field) offsetof(struct bs_config, field)

static const struct cfg_key bs_keys[] = {
    CFG_KEY("name", CFG_STR, K(name), NULL),
    CFG_KEY("host", CFG_STR, K(host), "localhost"),
    CFG_KEY("port", CFG_PORT, K(port), NULL),
    CFG_KEY("registry_url", CFG_STR, K(registry_url), NULL),
    CFG_KEY("router_url", CFG_STR, K(router_url), NULL),
    CFG_KEY("babysitter.max_restarts", CFG_INT, K(max_restarts), "10000", .min = 0,
            .max = 1000000000),
    CFG_KEY("babysitter.restart_delay", CFG_SECONDS, K(restart_delay), "5", .fmax = 86400),
    CFG_KEY("babysitter.restart_delay_max", CFG_SECONDS, K(restart_delay_max), "300",
            .fmax = 86400),
    CFG_KEY("babysitter.heartbeat_interval", CFG_DOUBLE, K(heartbeat_interval), "30", .fmin = 0.01,
            .fmax = 86400),
    CFG_KEY("babysitter.stable_after", CFG_SECONDS, K(stable_after), "60", .fmax = 31536000),
    CFG_KEY("babysitter.startup_timeout", CFG_DOUBLE, K(startup_timeout), "600", .fmin = 0.01,
            .fmax = 604800),
    CFG_KEY("babysitter.health_interval", CFG_DOUBLE, K(health_interval), "5", .fmin = 0.01,
            .fmax = 86400),
    CFG_KEY("babysitter.probe_timeout", CFG_DOUBLE, K(probe_timeout), "5", .fmin = 0.01,
            .fmax = 3600),
    CFG_KEY("babysitter.unhealthy_after", CFG_INT, K(unhealthy_after), "3", .min = 1,
            .max = 1000000),
    CFG_KEY("babysitter.stop_grace", CFG_SECONDS, K(stop_grace), "10", .fmax = 3600),
    CFG_KEY("babysitter.log_file", CFG_STR, K(log_file), NULL),
    CFG_KEY("babysitter.state_dir", CFG_STR, K(state_dir), NULL),
    CFG_KEY("babysitter.log_max_bytes", CFG_INT64, K(log_max_bytes), "52428800", .min = 4096,
            .max = 1LL << 50),
    CFG_KEY("backend.type", CFG_ENUM, K(backend_type), "command", .enum_names = backend_names),
    CFG_KEY("backend.command", CFG_STR, K(command), NULL),
    CFG_KEY("backend.args", CFG_STR_ARRAY, K(args), NULL),
    CFG_KEY("backend.work_dir", CFG_STR, K(work_dir), NULL),
    CFG_KEY("backend.env", CFG_STR_MAP, K(env), NULL),
    CFG_KEY("backend.model", CFG_STR, K(model), NULL),
    CFG_KEY("backend.models", CFG_STR_ARRAY, K(models), NULL),
    CFG_KEY("backend.config_file", CFG_STR, K(config_file), NULL),
    CFG_KEY("backend.model_path", CFG_STR, K(model_path), NULL),
    CFG_KEY("metadata", CFG_TABLE, K(metadata_table), NULL),
    CFG_KEY_END,
};

/* The command line as given: every value stays text until it is applied to its TOML key, so
 * that one set of rules (cfg_set_string) checks file and flag alike. */
struct cli_args {
    char *config_file, *name, *host, *port, *registry_url, *router_url, *service_type, *path;
    char *command, *args, *work_dir, *max_restarts, *restart_delay, *heartbeat_interval;
    char *env, *dev, *ndev, *max_batch, *state_dir;
    char *bind, *port_file, *registry_token, *log_level, *access_log;
    bool strict;
};

#define OPT(n, t, f, d, e, h)                                                                      \
    {                                                                                              \
        n, t, offsetof(struct cli_args, f), d, e, h, 0, 0                                          \
    }

static const struct cli_opt bs_options[] = {
    OPT("config-file|config", CLI_STR, config_file, NULL, NULL, "TOML configuration file"),
    OPT("name", CLI_STR, name, NULL, NULL, "service name [name]"),
    OPT("host", CLI_STR, host, NULL, NULL, "host written into the registry records [host]"),
    OPT("port", CLI_STR, port, NULL, NULL, "model server port P; HTTP on P+1 [port]"),
    OPT("registry-url", CLI_STR, registry_url, NULL, NULL, "registry base URL [registry_url]"),
    OPT("router-url", CLI_STR, router_url, NULL, NULL, "accepted, unused [router_url]"),
    OPT("service-type", CLI_STR, service_type, NULL, NULL,
        "command, vllm, mock, infinilm-rust or infinilm, any case [backend.type]"),
    OPT("path", CLI_STR, path, NULL, NULL,
        "vllm: backend.model; infinilm-rust: backend.config_file; infinilm: backend.model_path"),
    OPT("command", CLI_STR, command, NULL, NULL, "program to run, never split [backend.command]"),
    OPT("args", CLI_STR, args, NULL, NULL,
        "TOML array of arguments, or one argument [backend.args]"),
    OPT("work-dir", CLI_STR, work_dir, NULL, NULL, "child working directory [backend.work_dir]"),
    OPT("max-restarts", CLI_STR, max_restarts, NULL, NULL,
        "consecutive restarts before giving up [babysitter.max_restarts]"),
    OPT("restart-delay", CLI_STR, restart_delay, NULL, NULL,
        "first restart delay, seconds [babysitter.restart_delay]"),
    OPT("heartbeat-interval", CLI_STR, heartbeat_interval, NULL, NULL,
        "seconds between heartbeats [babysitter.heartbeat_interval]"),
    OPT("env", CLI_STR, env, NULL, NULL,
        "KEY=VALUE added to the child's environment, or a TOML inline table [backend.env]"),
    OPT("dev", CLI_STR, dev, NULL, NULL,
        "accepted for compatibility, ignored (as in the reference)"),
    OPT("ndev", CLI_STR, ndev, NULL, NULL, "accepted for compatibility, ignored"),
    OPT("max-batch", CLI_STR, max_batch, NULL, NULL, "accepted for compatibility, ignored"),
    OPT("state-dir", CLI_STR, state_dir, NULL, NULL,
        "directory for the model server's pid file and the babysitter's lock "
        "[babysitter.state_dir]"),
    OPT("bind", CLI_STR, bind, "0.0.0.0", NULL, "address the HTTP server (port P+1) listens on"),
    OPT("port-file", CLI_STR, port_file, NULL, NULL, "write the bound HTTP port to this file"),
    OPT("registry-token", CLI_STR, registry_token, NULL, "INFINI_REGISTRY_TOKEN",
        "bearer token sent to the registry"),
    OPT("strict", CLI_BOOL, strict, "false", NULL, "unknown TOML keys are errors, not warnings"),
    OPT("log-level", CLI_STR, log_level, "info", "INFINI_LOG_LEVEL", "error, warn, info or debug"),
    OPT("access-log", CLI_STR, access_log, "off", NULL, "access log: PATH, - (stdout) or off"),
    {NULL, CLI_STR, 0, NULL, NULL, NULL, 0, 0},
};

/* Flags that override one TOML key each, applied in this order. */
static const struct {
    const char *flag;
    size_t field;
    const char *key;
} overrides[] = {
    {"name", offsetof(struct cli_args, name), "name"},
    {"host", offsetof(struct cli_args, host), "host"},
    {"port", offsetof(struct cli_args, port), "port"},
    {"registry-url", offsetof(struct cli_args, registry_url), "registry_url"},
    {"router-url", offsetof(struct cli_args, router_url), "router_url"},
    {"command", offsetof(struct cli_args, command), "backend.command"},
    {"args", offsetof(struct cli_args, args), "backend.args"},
    {"work-dir", offsetof(struct cli_args, work_dir), "backend.work_dir"},
    {"max-restarts", offsetof(struct cli_args, max_restarts), "babysitter.max_restarts"},
    {"restart-delay", offsetof(struct cli_args, restart_delay), "babysitter.restart_delay"},
    {"heartbeat-interval", offsetof(struct cli_args, heartbeat_interval),
     "babysitter.heartbeat_interval"},
    {"env", offsetof(struct cli_args, env), "backend.env"},
    {"state-dir", offsetof(struct cli_args, state_dir), "babysitter.state_dir"},
};

struct load {
    struct bs_config *cfg;
    struct cli_args args;
    uint64_t given;
    struct toml_table *tree;
    bs_config_warn_cb warn;
    void *ud;
    struct err_msg *err;
};

static bool flag_given(const struct load *l, const char *flag)
{
    int i = cli_index(bs_options, flag);

    return i >= 0 && (l->given & (1ULL << i)) != 0;
}

static void file_warning(void *ud, int line, int col, const char *msg)
{
    const struct load *l = ud;
    char text[512];

    if (l->warn == NULL)
        return;
    snprintf(text, sizeof(text), "%s:%d:%d: %s", l->args.config_file, line, col, msg);
    l->warn(l->ud, text);
}

/* The value of dotted `key` in the file, for its position; NULL when absent. */
static const struct toml_value *file_value(const struct load *l, const char *key)
{
    const struct toml_table *t = l->tree;
    const struct toml_value *v = NULL;
    char part[64];

    for (const char *p = key; t != NULL; p++) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        v = toml_table_get(t, part);
        if (v == NULL || dot == NULL)
            return v;
        t = toml_value_table(v);
        p = dot;
    }
    return NULL;
}

/* Reports a problem with `key`: with the flag's name when the value came from the command
 * line, with file:line:col when it came from the file. Returns SVC_EBADCONFIG. */
static int bad_key(const struct load *l, const char *key, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad_key(const struct load *l, const char *key, const char *flag, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    const struct toml_value *v = file_value(l, key);

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (flag != NULL && flag_given(l, flag))
        err_set(l->err, 0, 0, "--%s: %s: %s", flag, key, msg);
    else if (v != NULL)
        err_set(l->err, toml_value_line(v), toml_value_col(v), "%s:%d:%d: %s: %s",
                l->args.config_file, toml_value_line(v), toml_value_col(v), key, msg);
    else if (l->args.config_file != NULL)
        err_set(l->err, 0, 0, "%s: %s: %s", l->args.config_file, key, msg);
    else
        err_set(l->err, 0, 0, "%s: %s", key, msg);
    return SVC_EBADCONFIG;
}

static int load_file(struct load *l)
{
    struct err_msg e = {0};
    char text[sizeof(e.msg) + 1024];
    unsigned flags = l->args.strict ? CFG_STRICT : 0;

    if (l->args.config_file == NULL) {
        cfg_apply_defaults(bs_keys, l->cfg);
        return 0;
    }
    int rc =
        cfg_load_file(l->args.config_file, bs_keys, l->cfg, flags, file_warning, l, &l->tree, &e);
    if (rc < 0) {
        cfg_format_error(l->args.config_file, &e, text, sizeof(text));
        err_set(l->err, e.line, e.col, "%s", text);
        return SVC_EBADCONFIG;
    }
    return 0;
}

static int set_service_type(struct load *l)
{
    const char *v = l->args.service_type;

    for (int i = 0; backend_names[i] != NULL; i++) {
        if (strcasecmp(v, backend_names[i]) == 0) {
            l->cfg->backend_type = i;
            return 0;
        }
    }
    err_set(l->err, 0, 0,
            "--service-type: '%s' is not one of command, vLLM, mock, "
            "InfiniLM-Rust, InfiniLM",
            v);
    return SVC_EBADCONFIG;
}

/* --path names the backend's main file, whose key depends on the type. */
static void set_path(struct load *l)
{
    static const char *const keys[] = {NULL, "backend.model", NULL, "backend.config_file",
                                       "backend.model_path"};
    const char *key = keys[l->cfg->backend_type];
    char text[160];

    if (key == NULL) {
        snprintf(text, sizeof(text), "--path: not used by backend type %s; ignored",
                 backend_names[l->cfg->backend_type]);
        if (l->warn != NULL)
            l->warn(l->ud, text);
        return;
    }
    int rc = cfg_set_string(bs_keys, l->cfg, key, l->args.path, NULL);
    SVC_ASSERT(rc == 0); /* a string key takes any value */
}

/* The reference parsed these flags and never used them; scripts may still pass them. */
static void warn_unused(const struct load *l)
{
    static const char *const flags[] = {"dev", "ndev", "max-batch"};
    char text[96];

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (flag_given(l, flags[i]) && l->warn != NULL) {
            snprintf(text, sizeof(text), "--%s: not used; ignored", flags[i]);
            l->warn(l->ud, text);
        }
    }
}

static int apply_overrides(struct load *l)
{
    struct err_msg e = {0};

    for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
        const char *v = *(char **)(void *)((char *)&l->args + overrides[i].field);
        if (v == NULL || !flag_given(l, overrides[i].flag))
            continue;
        if (cfg_set_string(bs_keys, l->cfg, overrides[i].key, v, &e) < 0) {
            err_set(l->err, 0, 0, "--%s: %s", overrides[i].flag, e.msg);
            return SVC_EBADCONFIG;
        }
    }
    if (l->args.service_type != NULL && set_service_type(l) < 0)
        return SVC_EBADCONFIG;
    if (l->args.path != NULL)
        set_path(l);
    warn_unused(l);
    return 0;
}

static bool is_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

/* Keys each backend type cannot run without. */
static int check_backend(const struct load *l)
{
    const struct bs_config *c = l->cfg;
    const char *type = backend_names[c->backend_type];

    switch ((enum bs_backend_type)c->backend_type) {
    case BS_BACKEND_COMMAND:
        if (is_empty(c->command))
            return bad_key(l, "backend.command", "command", "required when backend.type = \"%s\"",
                           type);
        break;
    case BS_BACKEND_VLLM:
        if (is_empty(c->model))
            return bad_key(l, "backend.model", "path", "required when backend.type = \"%s\"", type);
        break;
    case BS_BACKEND_MOCK:
        if (c->models == NULL || c->models[0] == NULL)
            return bad_key(l, "backend.models", NULL,
                           "required (a non-empty array) when backend.type = \"%s\"", type);
        for (size_t i = 0; c->models[i] != NULL; i++)
            if (c->models[i][0] == '\0' || strchr(c->models[i], ',') != NULL)
                return bad_key(l, "backend.models", NULL,
                               "model ids must be non-empty and contain no ','");
        break;
    case BS_BACKEND_INFINILM_RUST:
        if (is_empty(c->config_file))
            return bad_key(l, "backend.config_file", "path", "required when backend.type = \"%s\"",
                           type);
        break;
    case BS_BACKEND_INFINILM:
        if (is_empty(c->model_path))
            return bad_key(l, "backend.model_path", "path", "required when backend.type = \"%s\"",
                           type);
        break;
    }
    return 0;
}

/* "<service type lower-cased, spaces as '-'>-<port>", the reference's default name. */
static char *default_name(const struct bs_config *c)
{
    char name[64];

    snprintf(name, sizeof(name), "%s-%d", backend_names[c->backend_type], c->port);
    for (char *p = name; *p != '\0'; p++)
        *p = *p == ' ' ? '-' : (char)tolower((unsigned char)*p);
    return xstrdup(name);
}

static int validate(struct load *l)
{
    struct bs_config *c = l->cfg;
    enum log_level level;

    if (c->port == 0 && file_value(l, "port") == NULL && !flag_given(l, "port"))
        return bad_key(l, "port", "port",
                       "required: the model server's port P (the babysitter listens on P+1)");
    if (c->port < 1 || c->port > 65534)
        return bad_key(l, "port", "port",
                       "expected an integer in 1..65534 (the babysitter listens on port+1)");
    if (c->name == NULL)
        c->name = default_name(c);
    if (c->name[0] == '\0')
        return bad_key(l, "name", "name", "must not be empty");
    if (is_empty(c->host))
        return bad_key(l, "host", "host", "must not be empty");
    if (c->state_dir != NULL && c->state_dir[0] != '/')
        return bad_key(l, "babysitter.state_dir", "state-dir", "must be an absolute path");
    if (c->registry_url != NULL) {
        size_t n = strlen(c->registry_url);
        while (n > 0 && c->registry_url[n - 1] == '/')
            c->registry_url[--n] = '\0';
        if (n == 0) {
            free(c->registry_url);
            c->registry_url = NULL;
        }
    }
    struct url_http u;
    if (c->registry_url != NULL && url_parse_http(c->registry_url, &u) < 0)
        return bad_key(l, "registry_url", "registry-url",
                       "expected a plain http://host[:port] URL (the registry speaks HTTP)");
    if (log_level_parse(l->args.log_level, &level) < 0) {
        err_set(l->err, 0, 0, "--log-level: invalid value '%s' (error, warn, info, debug)",
                l->args.log_level);
        return SVC_EBADCONFIG;
    }
    if (l->args.bind[0] == '\0') {
        err_set(l->err, 0, 0, "--bind: empty address");
        return SVC_EBADCONFIG;
    }
    return check_backend(l);
}

/* Moves the command-line-only settings into the configuration. */
static void take_cli_only(struct load *l)
{
    struct bs_config *c = l->cfg;

    c->config_path = l->args.config_file;
    c->bind = l->args.bind;
    c->port_file = l->args.port_file;
    c->registry_token = l->args.registry_token;
    c->log_level = l->args.log_level;
    c->access_log = l->args.access_log;
    c->strict = l->args.strict;
    l->args.config_file = l->args.bind = l->args.port_file = NULL;
    l->args.registry_token = l->args.log_level = l->args.access_log = NULL;
}

int bs_config_load(struct bs_config *cfg, int argc, char **argv, bs_config_warn_cb warn, void *ud,
                   struct err_msg *err)
{
    static const struct cli_info info = {
        .prog = "infini-babysitter",
        .summary = "Runs one model server, restarts it, probes it and registers it. Flags "
                   "marked [key] override that key of --config-file.",
    };
    struct load l = {.cfg = cfg, .warn = warn, .ud = ud, .err = err};
    int rc = cli_parse(bs_options, &l.args, argc, argv, &info, &l.given, err);

    if (rc != 0)
        goto out;
    rc = load_file(&l);
    if (rc == 0)
        rc = apply_overrides(&l);
    if (rc == 0)
        rc = validate(&l);
    if (rc == 0) {
        cfg->metadata = bs_metadata_from_toml(cfg->metadata_table, file_warning, &l);
        take_cli_only(&l);
    }
out:
    cfg->metadata_table = NULL; /* points into the tree freed below */
    toml_free(l.tree);
    cli_free(bs_options, &l.args);
    return rc < 0 ? SVC_EBADCONFIG : rc;
}

void bs_config_free(struct bs_config *cfg)
{
    cfg_free(bs_keys, cfg);
    cJSON_Delete(cfg->metadata);
    cfg->metadata = NULL;
    free(cfg->config_path);
    free(cfg->bind);
    free(cfg->port_file);
    free(cfg->registry_token);
    free(cfg->log_level);
    free(cfg->access_log);
    cfg->config_path = cfg->bind = cfg->port_file = NULL;
    cfg->registry_token = cfg->log_level = cfg->access_log = NULL;
}

const char *bs_config_service_type(const struct bs_config *cfg)
{
    return service_types[cfg->backend_type];
}
