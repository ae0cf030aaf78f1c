/* infini-babysitter settings: the reference's TOML schema (top-level name host port
 * registry_url router_url; [babysitter]; [backend] with [backend.env]; [metadata]) plus our
 * [babysitter] keys, and the command line, described once per setting in one table. A flag
 * that names a TOML key overrides the file's value (the command line always wins); --bind,
 * --port-file, --registry-token, --strict, --log-level and --access-log exist on the command
 * line only. Depends on common/cli, common/json, config/cfg and babysitter/metadata. */
#ifndef SVC_BABYSITTER_CONFIG_H
#define SVC_BABYSITTER_CONFIG_H

#include <stdbool.h>

#include <cJSON.h>

struct err_msg;
struct toml_table;

enum bs_backend_type {
    BS_BACKEND_COMMAND,
    BS_BACKEND_VLLM,
    BS_BACKEND_MOCK,
    BS_BACKEND_INFINILM_RUST,
    BS_BACKEND_INFINILM,
};

struct bs_config {
    /* Top level. */
    char *name; /* never NULL after loading: "<service type>-<port>" when not set */
    char *host; /* written into the records; not a bind address */
    int port;   /* the model server's port P; the babysitter listens on P+1 */
    char *registry_url;
    char *router_url; /* accepted for compatibility, unused (as in the reference) */
    /* [babysitter] */
    int max_restarts;
    double restart_delay;     /* s, first delay of a series */
    double restart_delay_max; /* s */
    double heartbeat_interval;
    double stable_after;    /* s of ready uptime that reset the backoff */
    double startup_timeout; /* s from spawn to ready */
    double health_interval; /* s between probes while ready */
    double probe_timeout;   /* s per probe request */
    int unhealthy_after;    /* consecutive failed probes that restart the child */
    double stop_grace;      /* s between SIGTERM and SIGKILL */
    char *log_file;         /* child output is appended here too */
    char *state_dir;        /* pid file and lock; NULL = bs_statedir_default() */
    long long log_max_bytes;
    /* [backend] */
    int backend_type; /* enum bs_backend_type */
    char *command;
    char **args; /* NULL-terminated; each element is one argv entry */
    char *work_dir;
    char **env;                              /* NULL-terminated "KEY=VALUE" */
    char *model;                             /* vllm */
    char **models;                           /* mock */
    char *config_file;                       /* infinilm-rust */
    char *model_path;                        /* infinilm */
    const struct toml_table *metadata_table; /* only while loading */
    /* [metadata] as JSON without the protected keys; owned, never NULL after loading. */
    cJSON *metadata;
    /* Command line only. */
    char *config_path;
    char *bind;
    char *port_file;
    char *registry_token;
    bool strict;
    char *log_level;
    char *access_log;
    char *service_type;           /* --service-type as given; sets backend_type */
    char *path;                   /* --path as given; sets the backend's main file */
    char *dev, *ndev, *max_batch; /* accepted for compatibility, ignored */
};

/* Receives each warning (an unknown key, a protected metadata key) as one line of text,
 * "file:line:col: message". */
typedef void (*bs_config_warn_cb)(void *ud, const char *text);

/* Parses argv (and INFINI_REGISTRY_TOKEN / INFINI_LOG_LEVEL), loads --config-file when given,
 * applies the command-line overrides and validates. `cfg` must be zeroed; release it with
 * bs_config_free() whatever the result. Returns 0 to run, 1 when --help or --version was
 * printed, or SVC_EBADCONFIG with err->msg holding the whole message ("file:line:col: ..."
 * for a file error; err->line/col are the position, 0 when none). `warn` may be NULL. */
int bs_config_load(struct bs_config *cfg, int argc, char **argv, bs_config_warn_cb warn, void *ud,
                   struct err_msg *err);

/* Releases everything bs_config_load() allocated. */
void bs_config_free(struct bs_config *cfg);

/* The reference's service type for the backend: "command", "vLLM", "mock", "InfiniLM-Rust" or
 * "InfiniLM" (static). */
const char *bs_config_service_type(const struct bs_config *cfg);

#endif
