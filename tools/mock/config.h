/* infini-mock's command line: one table of flags (common/cli) with defaults and ranges, plus the
 * derived model list. Knows nothing about the loop or HTTP. Depends on common/cli, common/err. */
#ifndef SVC_TOOLS_MOCK_CONFIG_H
#define SVC_TOOLS_MOCK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct err_msg;

#define MOCK_CONFIG_MAX_MODELS 64

struct mock_config {
    int port;
    char *bind;
    char *port_file;
    char *models; /* comma-separated, as given */
    char *name;   /* "" = "mock-<bound port>", decided once listening */
    int block_size;
    int kv_blocks;
    char *cache_type;   /* "paged" or "static" (checked by mock_config_parse) */
    int max_cache_len;  /* static cache: tokens per batch slot */
    char *hold_running; /* "on" or "off" (checked by mock_config_parse) */
    double prefill_tok_per_s;
    double decode_ms_per_token;
    int max_batch;
    int chars_per_token;
    int max_tokens_default;
    double fail_rate;
    int status_code;
    int stall_ms;
    int stall_jitter_ms;
    int drop_after_chunks;
    char *log_level;
    char *access_log;      /* "off", "-" (stdout) or a path */
    double drain_timeout;  /* seconds */
    int max_buffered_body; /* request-body bytes held across connections; 0 = no limit */
    int seed;
    int kv_events_port;       /* PUB port of KV cache events; 0 = off */
    int kv_replay_port;       /* ROUTER replay port; 0 = kv_events_port + 1 */
    char *kv_events_topic;    /* "" = "kv@<name>" */
    char *kv_events_encoding; /* "array" or "map" (checked by mock_config_parse) */
    int kv_events_drop_seq;   /* seq published to nobody (kept for replay); -1 = none */

    /* Derived by mock_config_parse. */
    char *model_ids[MOCK_CONFIG_MAX_MODELS]; /* owned; model_ids[0] is the default model */
    size_t nmodels;
};

/* Parses argv (defaults < environment < command line) into `cfg` (which it initialises).
 * Returns 0 to run, 1 when --help or --version was printed (exit 0), or a negative code with
 * `err` set (bad flag, value out of range, empty or malformed --models: exit 2). Release with
 * mock_config_free() in every case. */
int mock_config_parse(struct mock_config *cfg, int argc, char **argv, struct err_msg *err);
/* Frees the strings and NULLs them. NULL-safe. */
void mock_config_free(struct mock_config *cfg);

#endif
