/* infini-babysitter configuration: one table describes every setting once (its flag, TOML
 * key, environment variable, type, default, range and help); the merge (default < file <
 * environment < command line) and the checks a table cannot express (required keys per
 * backend type, the port range that leaves room for P+1). Errors name the file, line and
 * column of the offending value, or the flag it came from.
 * Depends on common/cli, common/json, common/log (level names), config/cfg, config/toml and
 * babysitter/metadata. */
#include "config.h"

#include <assert.h>
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
/* An entry with a flag (NULL: file only) and a TOML key (NULL: command line only). */
#define SET(flag, key_, type_, field, def_, help_, ...)                                            \
    {                                                                                              \
        .names = (flag), .key = (key_), .type = (type_), .offset = K(field), .def = (def_),        \
        .help = (help_), __VA_ARGS__                                                               \
    }

static const struct cli_opt bs_options[] = {
    SET("config-file|config", NULL, CLI_STR, config_path, NULL, "TOML configuration file"),
    SET("name", "name", CLI_STR, name, NULL, "service name (default: <backend type>-<port>)"),
    SET("host", "host", CLI_STR, host, "localhost", "host written into the registry records"),
    SET("port", "port", CLI_INT, port, NULL, "model server port P; HTTP on P+1", .max = 65535),
    SET("registry-url", "registry_url", CLI_STR, registry_url, NULL, "registry base URL"),
    SET("router-url", "router_url", CLI_STR, router_url, NULL, "accepted, unused"),
    SET("service-type", NULL, CLI_STR, service_type, NULL,
        "command, vllm, mock, infinilm-rust or infinilm, any case [backend.type]"),
    SET("path", NULL, CLI_STR, path, NULL,
        "vllm: backend.model; infinilm-rust: backend.config_file; infinilm: backend.model_path"),
    SET("command", "backend.command", CLI_STR, command, NULL, "program to run, never split"),
    SET("args", "backend.args", CLI_STR_ARRAY, args, NULL,
        "TOML array of arguments, or one argument"),
    SET("work-dir", "backend.work_dir", CLI_STR, work_dir, NULL, "child working directory"),
    SET("max-restarts", "babysitter.max_restarts", CLI_INT, max_restarts, "10000",
        "consecutive restarts before giving up", .max = 1000000000),
    SET("restart-delay", "babysitter.restart_delay", CLI_DOUBLE, restart_delay, "5",
        "first restart delay, seconds", .max = 86400),
    SET("heartbeat-interval", "babysitter.heartbeat_interval", CLI_DOUBLE, heartbeat_interval, "30",
        "seconds between heartbeats", .min = 0.01, .max = 86400),
    SET("env", "backend.env", CLI_STR_MAP, env, NULL,
        "KEY=VALUE added to the child's environment, or a TOML inline table"),
    SET("dev", NULL, CLI_STR, dev, NULL,
        "accepted for compatibility, ignored (as in the reference)"),
    SET("ndev", NULL, CLI_STR, ndev, NULL, "accepted for compatibility, ignored"),
    SET("max-batch", NULL, CLI_STR, max_batch, NULL, "accepted for compatibility, ignored"),
    SET("state-dir", "babysitter.state_dir", CLI_STR, state_dir, NULL,
        "directory for the model server's pid file and the babysitter's lock"),
    CLI_OPT_BIND(struct bs_config),
    CLI_OPT_PORT_FILE(struct bs_config),
    SET("registry-token", NULL, CLI_STR, registry_token, NULL, "bearer token sent to the registry",
        .env = "INFINI_REGISTRY_TOKEN"),
    SET("strict", NULL, CLI_BOOL, strict, "false", "unknown TOML keys are errors, not warnings"),
    CLI_OPT_LOG_LEVEL(struct bs_config),
    CLI_OPT_ACCESS_LOG(struct bs_config),
    /* In the file only. */
    SET(NULL, "babysitter.restart_delay_max", CLI_DOUBLE, restart_delay_max, "300", NULL,
        .max = 86400),
    SET(NULL, "babysitter.stable_after", CLI_DOUBLE, stable_after, "60", NULL, .max = 31536000),
    SET(NULL, "babysitter.startup_timeout", CLI_DOUBLE, startup_timeout, "600", NULL, .min = 0.01,
        .max = 604800),
    SET(NULL, "babysitter.health_interval", CLI_DOUBLE, health_interval, "5", NULL, .min = 0.01,
        .max = 86400),
    SET(NULL, "babysitter.probe_timeout", CLI_DOUBLE, probe_timeout, "5", NULL, .min = 0.01,
        .max = 3600),
    SET(NULL, "babysitter.unhealthy_after", CLI_INT, unhealthy_after, "3", NULL, .min = 1,
        .max = 1000000),
    SET(NULL, "babysitter.stop_grace", CLI_DOUBLE, stop_grace, "10", NULL, .max = 3600),
    SET(NULL, "babysitter.log_file", CLI_STR, log_file, NULL, NULL),
    SET(NULL, "babysitter.log_max_bytes", CLI_INT64, log_max_bytes, "52428800", NULL, .min = 4096,
        .max = 1LL << 50),
    SET(NULL, "backend.type", CLI_ENUM, backend_type, "command", NULL, .enum_names = backend_names),
    SET(NULL, "backend.model", CLI_STR, model, NULL, NULL),
    SET(NULL, "backend.models", CLI_STR_ARRAY, models, NULL, NULL),
    SET(NULL, "backend.config_file", CLI_STR, config_file, NULL, NULL),
    SET(NULL, "backend.model_path", CLI_STR, model_path, NULL, NULL),
    SET(NULL, "metadata", CLI_TABLE, metadata_table, NULL, NULL),
    CLI_OPT_END,
};

/* flag_given() reads cli_args.given, which covers CLI_MAX_OPTS entries. */
static_assert(sizeof(bs_options) / sizeof(bs_options[0]) <= CLI_MAX_OPTS + 1,
              "bs_options outgrew cli_args.given");

struct load {
    struct bs_config *cfg;
    struct cli_args args;
    struct toml_table *tree;
    bs_config_warn_cb warn;
    void *ud;
    struct err_msg *err;
};

static bool flag_given(const struct load *l, const char *flag)
{
    int i = cli_index(bs_options, flag);

    return i >= 0 && (l->args.given & (1ULL << i)) != 0;
}

static void file_warning(void *ud, int line, int col, const char *msg)
{
    const struct load *l = ud;
    char text[512];

    if (l->warn == NULL)
        return;
    snprintf(text, sizeof(text), "%s:%d:%d: %s", l->cfg->config_path, line, col, msg);
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
                l->cfg->config_path, toml_value_line(v), toml_value_col(v), key, msg);
    else if (l->cfg->config_path != NULL)
        err_set(l->err, 0, 0, "%s: %s: %s", l->cfg->config_path, key, msg);
    else
        err_set(l->err, 0, 0, "%s: %s", key, msg);
    return SVC_EBADCONFIG;
}

static int load_file(struct load *l)
{
    struct err_msg e = {0};
    char text[sizeof(e.msg) + 1024];
    const char *path = l->cfg->config_path;

    if (path == NULL) {
        cfg_apply_defaults(bs_options, l->cfg);
        return 0;
    }
    int rc = cfg_load_file(path, bs_options, l->cfg, l->cfg->strict ? CFG_STRICT : 0, file_warning,
                           l, &l->tree, &e);
    if (rc < 0) {
        cfg_format_error(path, &e, text, sizeof(text));
        err_set(l->err, e.line, e.col, "%s", text);
        return SVC_EBADCONFIG;
    }
    return 0;
}

static int set_service_type(struct load *l)
{
    const char *v = l->cfg->service_type;

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
    int rc = cfg_set_string(bs_options, l->cfg, key, l->cfg->path, NULL);
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

/* The flags whose meaning depends on other settings, after the file and the other flags. */
static int apply_special(struct load *l)
{
    if (l->cfg->service_type != NULL && set_service_type(l) < 0)
        return SVC_EBADCONFIG;
    if (l->cfg->path != NULL)
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
    if (log_level_parse(c->log_level, &level) < 0) {
        err_set(l->err, 0, 0, "--log-level: invalid value '%s' (error, warn, info, debug)",
                c->log_level);
        return SVC_EBADCONFIG;
    }
    if (c->bind[0] == '\0') {
        err_set(l->err, 0, 0, "--bind: empty address");
        return SVC_EBADCONFIG;
    }
    return check_backend(l);
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
    int rc = cli_scan(bs_options, argc, argv, &info, &l.args, err);

    if (rc != 0)
        return rc < 0 ? SVC_EBADCONFIG : rc;
    /* The command line's own settings first: they say which file to read and how strictly. */
    cli_apply_defaults(bs_options, cfg, CLI_UNKEYED, cfg_set_value);
    rc = cli_apply_given(bs_options, cfg, &l.args, CLI_UNKEYED, cfg_set_value, err);
    if (rc == 0)
        rc = load_file(&l);
    if (rc == 0)
        rc = cli_apply_given(bs_options, cfg, &l.args, CLI_KEYED, cfg_set_value, err);
    if (rc == 0)
        rc = apply_special(&l);
    if (rc == 0)
        rc = validate(&l);
    if (rc == 0)
        cfg->metadata = bs_metadata_from_toml(cfg->metadata_table, file_warning, &l);
    cfg->metadata_table = NULL; /* points into the tree freed below */
    toml_free(l.tree);
    cli_args_free(&l.args);
    return rc < 0 ? SVC_EBADCONFIG : rc;
}

void bs_config_free(struct bs_config *cfg)
{
    cli_free(bs_options, cfg);
    cJSON_Delete(cfg->metadata);
    cfg->metadata = NULL;
}

const char *bs_config_service_type(const struct bs_config *cfg)
{
    return service_types[cfg->backend_type];
}
