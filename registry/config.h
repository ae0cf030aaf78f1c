/* infini-registry's settings: the command-line option table (with environment overrides for the
 * auth token and the log level), defaults and range checks. Knows nothing about the loop or the
 * store; depends on common/cli, common/err and registry/allow (checks --allow-hosts). */
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
    int max_buffered_body;    /* request-body bytes held at once across connections (503) */
    int max_connections;      /* above: the oldest idle connection is closed */
    double header_timeout;    /* s from accept (or a request's first byte) to its headers */
    double body_timeout;      /* s of silence allowed while a body is read */
    char *allow_hosts;        /* CIDR ranges and names a record may name; NULL = any */
    int max_services;         /* records; registrations of new names beyond get 429 */
    double registration_rate; /* registrations per second (sustained); 0 = unlimited */
    int registration_burst;   /* ... and in a burst */
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
