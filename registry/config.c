/* infini-registry's command-line table. The reference's flags (--port, --health-interval,
 * --health-timeout, --cleanup-interval) keep their meaning; the rest are ours. Depends on
 * common/cli, common/log (level names), common/err and registry/allow (to check
 * --allow-hosts). */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "allow.h"
#include "cli.h"
#include "err.h"
#include "log.h"

#define OPT(names, type, field, def, env, help, lo, hi)                                            \
    CLI_OPT(names, type, offsetof(struct reg_config, field), def, env, help, lo, hi)

static const struct cli_opt reg_config_opts[] = {
    OPT("port", CLI_INT, port, "18000", NULL, "TCP port to listen on (0 = any)", 0, 65535),
    CLI_OPT_BIND(struct reg_config),
    CLI_OPT_PORT_FILE(struct reg_config),
    OPT("health-interval", CLI_DOUBLE, health_interval, "30", NULL,
        "seconds between active health-probe sweeps", 0.001, 86400),
    OPT("health-timeout", CLI_DOUBLE, health_timeout, "5", NULL, "per-probe timeout in seconds",
        0.001, 3600),
    OPT("cleanup-interval", CLI_DOUBLE, cleanup_interval, "60", NULL,
        "seconds between sweeps removing expired records", 0.001, 86400),
    OPT("heartbeat-timeout", CLI_DOUBLE, heartbeat_timeout, "120", NULL,
        "a record is healthy only with a heartbeat younger than this (seconds)", 0.001, 1e9),
    OPT("expire-after", CLI_DOUBLE, expire_after, "300", NULL,
        "records without a heartbeat for this long are removed (seconds)", 0.001, 1e9),
    OPT("auth-token", CLI_STR, auth_token, NULL, "INFINI_REGISTRY_TOKEN",
        "bearer token required for POST/PUT/DELETE", 0, 0),
    OPT("state-file", CLI_STR, state_file, NULL, NULL,
        "keep the records in this file across restarts", 0, 0),
    OPT("max-body-bytes", CLI_INT, max_body_bytes, "2097152", NULL,
        "largest accepted request body (413 above)", 1, 1 << 30),
    CLI_OPT_MAX_BUFFERED_BODY(struct reg_config),
    CLI_OPT_MAX_CONNECTIONS(struct reg_config),
    CLI_OPT_HEADER_TIMEOUT(struct reg_config),
    CLI_OPT_BODY_TIMEOUT(struct reg_config),
    OPT("allow-hosts", CLI_STR, allow_hosts, NULL, "INFINI_REGISTRY_ALLOW_HOSTS",
        "comma-separated CIDR ranges and host names a record's host and url may name "
        "(default: any but link-local)",
        0, 0),
    OPT("max-services", CLI_INT, max_services, "4096", NULL,
        "records held; registrations of new names beyond are answered 429", 1, 10000000),
    OPT("registration-rate", CLI_DOUBLE, registration_rate, "50", NULL,
        "registrations accepted per second, sustained (429 beyond; 0 = unlimited)", 0, 1e6),
    OPT("registration-burst", CLI_INT, registration_burst, "500", NULL,
        "registrations accepted in a burst above --registration-rate", 1, 10000000),
    CLI_OPT_LOG_LEVEL(struct reg_config),
    CLI_OPT_ACCESS_LOG(struct reg_config),
    OPT("drain-timeout", CLI_DOUBLE, drain_timeout, "5", NULL,
        "seconds in-flight requests get at shutdown", 0, 3600),
    CLI_OPT_END,
};

int reg_config_parse(struct reg_config *cfg, int argc, char **argv, struct err_msg *err)
{
    static const struct cli_info info = {
        .prog = "infini-registry",
        .summary = "Service registry: records, heartbeats, health probes and expiry over HTTP.",
    };
    enum log_level level;
    int rc = cli_parse(reg_config_opts, cfg, argc, argv, &info, NULL, err);

    if (rc != 0)
        return rc;
    if (log_level_parse(cfg->log_level, &level) < 0) {
        err_set(err, 0, 0, "--log-level: invalid value '%s' (error, warn, info, debug)",
                cfg->log_level);
        return SVC_EBADCONFIG;
    }
    if (cfg->bind[0] == '\0') {
        err_set(err, 0, 0, "--bind: empty address");
        return SVC_EBADCONFIG;
    }
    struct reg_allow *allow = reg_allow_parse(cfg->allow_hosts, err);
    if (allow == NULL)
        return SVC_EBADCONFIG;
    reg_allow_free(allow); /* checked here; main builds its own */
    if (cfg->state_file != NULL && cfg->state_file[0] == '\0') {
        err_set(err, 0, 0, "--state-file: empty path");
        return SVC_EBADCONFIG;
    }
    return 0;
}

void reg_config_free(struct reg_config *cfg)
{
    cli_free(reg_config_opts, cfg);
}
