/* infini-registry's settings: the command-line option table (with environment overrides for the
 * auth token and the log level), defaults and range checks. Knows nothing about the loop or the
 * store; depends on common/cli and common/err only. */
#ifndef SVC_REGISTRY_CONFIG_H
#define SVC_REGISTRY_CONFIG_H

#include <stddef.h>

struct err_msg;

struct reg_config {
    int port;                 /* default 18000; 0 = OS-chosen */
    char *bind;               /* default "0.0.0.0" */
    char *port_file;          /* NULL = none */
    double health_interval;   /* seconds between probe sweeps */
    double health_timeout;    /* per-probe timeout, seconds */
    double cleanup_interval;  /* seconds between expiry sweeps */
    double heartbeat_timeout; /* is_healthy needs a heartbeat younger than this */
    double expire_after;      /* records silent for longer are removed */
    char *auth_token;         /* NULL or "" = writes are open */
    char *state_file;         /* NULL = no persistence */
    int max_body_bytes;       /* request bodies above are answered 413 */
    char *log_level;          /* error | warn | info | debug */
    char *access_log;         /* PATH, "-" (stdout) or "off" */
    double drain_timeout;     /* seconds given to in-flight requests at shutdown */
};

/* Fills `cfg` (which must be zeroed) from defaults, the environment and argv.
 * Returns 0 to run, 1 when --help or --version was printed (exit 0), or a negative code with
 * `err` set (exit 2). On any return the caller releases `cfg` with reg_config_free(). */
int reg_config_parse(struct reg_config *cfg, int argc, char **argv, struct err_msg *err);

/* Releases the strings of `cfg` and NULLs them. */
void reg_config_free(struct reg_config *cfg);

#endif
