/* infini-router command line. Depends on common/cli. */
#include "config.h"

#include <stddef.h>

#include "cli.h"
#include "err.h"

#define OPT(n, t, f, d, e, h, lo, hi) CLI_OPT(n, t, offsetof(struct rt_config, f), d, e, h, lo, hi)

static const struct cli_opt rt_options[] = {
    OPT("router-port|port", CLI_INT, port, "8000", NULL, "listen port (0 = any)", 0, 65535),
    CLI_OPT_BIND(struct rt_config),
    CLI_OPT_PORT_FILE(struct rt_config),
    OPT("registry-url", CLI_STR, registry_url, NULL, "INFINI_REGISTRY_URL",
        "registry to discover instances from", 0, 0),
    OPT("static-services", CLI_STR, static_services, NULL, NULL, "JSON file of static instances", 0,
        0),
    OPT("health-interval", CLI_DOUBLE, health_interval, "30", NULL,
        "seconds between active health probes", 0.05, 86400),
    OPT("health-timeout", CLI_DOUBLE, health_timeout, "5", NULL, "probe timeout, seconds", 0.05,
        600),
    OPT("max-errors", CLI_INT, max_errors, "3", NULL,
        "consecutive transport failures that eject an instance", 1, 1000),
    OPT("registry-sync-interval", CLI_DOUBLE, registry_sync_interval, "2", NULL,
        "seconds between registry polls", 0.05, 86400),
    OPT("service-removal-grace-period", CLI_DOUBLE, removal_grace, "60", NULL,
        "seconds a vanished registry instance is kept", 0, 86400),
    OPT("policy", CLI_STR, policy_name, "cache-aware", "INFINI_ROUTER_POLICY",
        "cache-aware | key-or-rr | round-robin | least-load | key-hash", 0, 0),
    OPT("hash-balance-factor", CLI_DOUBLE, balance_factor, "1.25", NULL,
        "bounded-load factor c: no instance above c x mean in-flight", 1, 100),
    OPT("hash-load-floor", CLI_INT, hash_load_floor, "8", NULL,
        "in-flight requests below which a key never spills (1 = classic bounded loads)", 1, 100000),
    OPT("max-attempts", CLI_INT, max_attempts, "3", NULL,
        "instances tried per request on transport failure", 1, 16),
    OPT("connect-timeout", CLI_DOUBLE, connect_timeout, "5", NULL, "upstream connect, seconds",
        0.01, 3600),
    OPT("first-byte-timeout", CLI_DOUBLE, first_byte_timeout, "120", NULL,
        "streamed requests: seconds to the response head, then the instance is ejected as hung "
        "(0 = only --proxy-timeout)",
        0, 86400),
    OPT("stream-idle-timeout", CLI_DOUBLE, stream_idle_timeout, "60", NULL,
        "seconds without a byte once a response started, then the instance is ejected as hung "
        "(0 = none)",
        0, 86400),
    OPT("proxy-timeout", CLI_DOUBLE, proxy_timeout, "1800", "PROXY_TIMEOUT_SECONDS",
        "upstream total incl. streamed body, seconds", 0.01, 604800),
    OPT("max-body-bytes", CLI_INT, max_body_bytes, "67108864", NULL,
        "largest request body (413 above)", 0, 2147483647),
    CLI_OPT_MAX_BUFFERED_BODY(struct rt_config),
    CLI_OPT_MAX_CONNECTIONS(struct rt_config),
    CLI_OPT_HEADER_TIMEOUT(struct rt_config),
    CLI_OPT_BODY_TIMEOUT(struct rt_config),
    OPT("cache-type-threshold", CLI_INT, cache_type_threshold, "51200",
        "CACHE_TYPE_ROUTING_THRESHOLD", "content bytes above which cache_type=static", 0,
        2147483647),
    OPT("prefix-block-chars", CLI_INT, prefix_block_chars, "256", NULL,
        "cache-aware: prompt bytes per prefix-index block", 16, 4096),
    OPT("prefix-capacity-blocks", CLI_INT, prefix_capacity_blocks, "8192", NULL,
        "cache-aware: blocks an instance holds when its engine reports no KV capacity", 1,
        100000000),
    OPT("prefix-index-max-bytes", CLI_INT, prefix_index_max_bytes, "67108864", NULL,
        "cache-aware: memory cap of the prefix index", 65536, 2147483647),
    OPT("prefix-affinity-blocks", CLI_INT, prefix_affinity_blocks, "8", NULL,
        "cache-aware: leading blocks whose owner takes a prompt no instance holds", 1, 100000),
    OPT("prefill-rate-default", CLI_DOUBLE, prefill_rate_default, "10000", NULL,
        "cache-aware: prefill tokens/s assumed until an instance is measured", 1, 1e9),
    OPT("cold-owner-slack", CLI_DOUBLE, cold_owner_slack, "0.5", NULL,
        "cache-aware: extra wait, as a fraction of its own prefill, a prompt accepts to stay with "
        "its owner or session",
        0, 100),
    OPT("session-header", CLI_STR, session_header, "X-Session-Id", NULL,
        "cache-aware: request header naming a session (else the body's \"user\")", 0, 0),
    OPT("session-from", CLI_STR, session_from, "header", NULL,
        "cache-aware: header (header, else body user) | client-ip", 0, 0),
    OPT("session-ttl", CLI_DOUBLE, session_ttl, "7200", NULL,
        "cache-aware: seconds a session remembers its instance", 1, 31536000),
    OPT("session-max", CLI_INT, session_max, "100000", NULL,
        "cache-aware: sessions remembered at most", 16, 100000000),
    OPT("tokenizer", CLI_STR, tokenizer, "engine", NULL,
        "cache-aware: engine (when some instance publishes KV events, ask one for the prompt's "
        "exact tokens, POST /tokenize, and match them against the events) | none",
        0, 0),
    OPT("tokenizer-timeout", CLI_DOUBLE, tokenizer_timeout, "0.05", NULL,
        "seconds a /tokenize call may take before the approximate index decides", 0.001, 60),
    OPT("tokenizer-min-chars", CLI_INT, tokenizer_min_chars, "1024", NULL,
        "prompts with fewer content bytes are not tokenized", 0, 2147483647),
    OPT("drain-timeout", CLI_DOUBLE, drain_timeout, "30", NULL,
        "seconds in-flight requests get at shutdown", 0, 86400),
    OPT("upstream-api-key", CLI_STR, upstream_api_key, NULL, "INFINI_UPSTREAM_API_KEY",
        "bearer token sent to the model servers (clients' Authorization is never forwarded "
        "with it)",
        0, 0),
    OPT("api-keys", CLI_STR, api_keys, NULL, "INFINI_ROUTER_API_KEYS",
        "comma-separated bearer tokens clients must send", 0, 0),
    OPT("registry-token", CLI_STR, registry_token, NULL, "INFINI_REGISTRY_TOKEN",
        "bearer token for the registry", 0, 0),
    OPT("upstream-idle", CLI_INT, upstream_idle, "256", NULL,
        "idle keep-alive connections kept per instance", 0, 100000),
    OPT("idle-timeout", CLI_DOUBLE, idle_timeout, "75", NULL, "client keep-alive, seconds", 0.1,
        86400),
    OPT("kv-events", CLI_STR, kv_events, "on", NULL,
        "on | off: subscribe to instances' metadata.kv_events (vLLM KV cache events)", 0, 0),
    OPT("kv-index-max-bytes", CLI_INT, kv_index_max_bytes, "67108864", NULL,
        "memory cap of the KV event token-block index", 65536, 2147483647),
    OPT("kv-replay-timeout", CLI_DOUBLE, kv_replay_timeout, "2", NULL,
        "seconds a KV event replay may take before the instance's index is emptied", 0.01, 600),
    CLI_OPT_LOG_LEVEL(struct rt_config),
    CLI_OPT_ACCESS_LOG(struct rt_config),
    CLI_OPT_END,
};

int rt_config_parse(struct rt_config *cfg, int argc, char **argv, struct err_msg *err)
{
    static const struct cli_info info = {
        "infini-router",
        "OpenAI-compatible reverse proxy that routes by model, prompt_cache_key and load."};
    int rc = cli_parse(rt_options, cfg, argc, argv, &info, NULL, err);

    if (rc != 0)
        return rc;
    if (rt_policy_parse(cfg->policy_name, &cfg->policy) < 0) {
        err_set(err, 0, 0, "--policy: unknown policy '%s'", cfg->policy_name);
        return SVC_EBADCONFIG;
    }
    rc = cli_check_choice("kv-events", cfg->kv_events, "on|off", err);
    if (rc == 0)
        rc = cli_check_choice("tokenizer", cfg->tokenizer, "engine|none", err);
    if (rc == 0)
        rc = cli_check_choice("session-from", cfg->session_from, "header|client-ip", err);
    return rc;
}

void rt_config_free(struct rt_config *cfg)
{
    cli_free(rt_options, cfg);
}
