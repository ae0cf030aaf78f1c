/* infini-router settings: the reference's flags and environment variables
 * (PROXY_TIMEOUT_SECONDS, CACHE_TYPE_ROUTING_THRESHOLD) plus ours. Depends on common/cli. */
#ifndef SVC_ROUTER_CONFIG_H
#define SVC_ROUTER_CONFIG_H

#include <stdint.h>

#include "balancer.h"

struct err_msg;

struct rt_config {
    int port;
    char *bind;
    char *port_file;
    char *registry_url;
    char *static_services;
    double health_interval;        /* s */
    double health_timeout;         /* s */
    int max_errors;                /* consecutive transport failures that eject an instance */
    double registry_sync_interval; /* s */
    double removal_grace;          /* s */
    char *policy_name;
    enum rt_policy policy;
    double balance_factor;
    int hash_load_floor; /* keys do not spill below this many in flight */
    int max_attempts;
    double connect_timeout;     /* s */
    double first_byte_timeout;  /* s, streamed requests' response head; 0 = only the total */
    double stream_idle_timeout; /* s of silence once a response started; 0 = none */
    double proxy_timeout;       /* s, total per attempt incl. the streamed body */
    int max_body_bytes;
    int max_buffered_body;    /* request-body bytes held across connections (503 beyond) */
    int cache_type_threshold; /* content bytes */
    /* cache-aware routing (DESIGN.md section 4a) */
    int prefix_block_chars;      /* bytes of canonical prompt text per index block */
    int prefix_capacity_blocks;  /* per instance, until its engine reports its KV capacity */
    int prefix_index_max_bytes;  /* memory cap of the whole index */
    int prefix_affinity_blocks;  /* leading blocks that place a cold prompt */
    double prefill_rate_default; /* tokens/s assumed for an instance not measured yet */
    double cold_owner_slack;     /* see rt_ca_params.cold_slack */
    char *session_header;        /* request header naming a session */
    char *session_from;          /* "header" (header, else the body's "user") or "client-ip" */
    double session_ttl;          /* s a session remembers its instance */
    int session_max;             /* sessions remembered at most */
    double drain_timeout;        /* s */
    char *api_keys;              /* comma-separated; empty = no client auth */
    char *upstream_api_key;      /* sent to instances as a bearer token, instead of the client's */
    char *registry_token;        /* bearer token sent to the registry (reads need none) */
    int upstream_idle;           /* idle keep-alive connections kept per instance */
    double idle_timeout;         /* s, client keep-alive */
    int max_connections;         /* client connections */
    double header_timeout;       /* s */
    double body_timeout;         /* s */
    char *kv_events;             /* "on" | "off": subscribe to engines' KV cache events */
    char *tokenizer;             /* "none" | "engine": ask an engine for the prompt's tokens */
    double tokenizer_timeout;    /* s */
    int tokenizer_min_chars;     /* shorter prompts are not tokenized */
    int kv_index_max_bytes;      /* memory cap of the KV event index */
    double kv_replay_timeout;    /* s a KV event replay may take */
    char *log_level;
    char *access_log;
};

/* Parses argv (and the environment) into `cfg`. 0 to run; 1 when --help/--version printed;
 * negative with `err` set on bad input. */
int rt_config_parse(struct rt_config *cfg, int argc, char **argv, struct err_msg *err);
void rt_config_free(struct rt_config *cfg);

#endif
