/* infini-mock's flag table and model-list parsing. Depends on common/cli, common/err and
 * common/xalloc. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "kvcache.h"
#include "xalloc.h"

#define F(field) offsetof(struct mock_config, field)

static const struct cli_opt mock_config_opts[] = {
    CLI_OPT("port", CLI_INT, F(port), "8100", NULL, "port to listen on (0 = any)", 0, 65535),
    CLI_OPT_BIND_AKA(struct mock_config, "|host"),
    CLI_OPT_PORT_FILE(struct mock_config),
    CLI_OPT("models", CLI_STR, F(models), "model-1", NULL,
            "comma-separated model ids; the first is the default", 0, 0),
    CLI_OPT("name", CLI_STR, F(name), "", NULL, "instance name (default mock-<port>)", 0, 0),
    CLI_OPT("block-size", CLI_INT, F(block_size), "16", NULL, "tokens per KV cache block", 1, 4096),
    CLI_OPT("kv-blocks", CLI_INT, F(kv_blocks), "2048", NULL, "prefix cache capacity in blocks", 1,
            MOCK_KVCACHE_MAX_BLOCKS),
    CLI_OPT(
        "cache-type", CLI_STR, F(cache_type), "paged", NULL,
        "paged (one shared LRU block pool) or static (a KV buffer per batch slot; a simulation)", 0,
        0),
    CLI_OPT("hold-running", CLI_STR, F(hold_running), "off", NULL,
            "running requests hold their prompt and decode blocks out of the cache's capacity, as "
            "vLLM's block pool does",
            0, 0),
    CLI_OPT("max-cache-len", CLI_INT, F(max_cache_len), "32768", NULL,
            "static cache: tokens (prompt + output) one batch slot holds", 1, 16777216),
    CLI_OPT("prefill-tok-per-s", CLI_DOUBLE, F(prefill_tok_per_s), "8000", NULL,
            "uncached prompt tokens prefilled per second", 1e-3, 1e15),
    CLI_OPT("decode-ms-per-token", CLI_DOUBLE, F(decode_ms_per_token), "5", NULL,
            "milliseconds per generated token", 0, 60000),
    CLI_OPT("max-batch", CLI_INT, F(max_batch), "8", NULL,
            "requests running at once; more wait in a FIFO queue", 1, 1000000),
    CLI_OPT("chars-per-token", CLI_INT, F(chars_per_token), "4", NULL, "prompt bytes per token", 1,
            64),
    CLI_OPT("max-tokens-default", CLI_INT, F(max_tokens_default), "16", NULL,
            "completion tokens when a request sets no max_tokens", 1, 65536),
    CLI_OPT("fail-rate", CLI_DOUBLE, F(fail_rate), "0", NULL,
            "fraction of generation requests answered with --status-code", 0, 1),
    CLI_OPT("status-code", CLI_INT, F(status_code), "500", NULL, "status of injected failures", 400,
            599),
    CLI_OPT("stall-ms", CLI_INT, F(stall_ms), "0", NULL,
            "delay before any byte of a generation response", 0, 3600000),
    CLI_OPT("stall-jitter-ms", CLI_INT, F(stall_jitter_ms), "0", NULL,
            "each stall is drawn uniformly from --stall-ms +/- this (so that requests started "
            "together do not all end together)",
            0, 3600000),
    CLI_OPT("drop-after-chunks", CLI_INT, F(drop_after_chunks), "0", NULL,
            "close streams abruptly after N SSE chunks (0 = never)", 0, 1000000),
    CLI_OPT_LOG_LEVEL(struct mock_config),
    CLI_OPT_ACCESS_LOG(struct mock_config),
    CLI_OPT("drain-timeout", CLI_DOUBLE, F(drain_timeout), "10", NULL,
            "seconds in-flight requests get at shutdown", 0, 3600),
    CLI_OPT_MAX_BUFFERED_BODY(struct mock_config),
    CLI_OPT("seed", CLI_INT, F(seed), "42", NULL,
            "seed of the --fail-rate and --stall-jitter-ms random generator", 0, 2147483647),
    CLI_OPT("kv-events", CLI_INT, F(kv_events_port), "0", NULL,
            "publish KV cache events (vLLM's ZMQ format) on this port (0 = off)", 0, 65535),
    CLI_OPT("kv-replay-port", CLI_INT, F(kv_replay_port), "0", NULL,
            "KV event replay (ROUTER) port (0 = --kv-events + 1)", 0, 65535),
    CLI_OPT("kv-events-topic", CLI_STR, F(kv_events_topic), "", NULL,
            "KV event topic (default kv@<name>)", 0, 0),
    CLI_OPT("kv-events-encoding", CLI_STR, F(kv_events_encoding), "array", NULL,
            "KV event structs as vLLM encodes them: array (tag first) or map (\"type\" key)", 0, 0),
    CLI_OPT("kv-events-drop-seq", CLI_INT, F(kv_events_drop_seq), "-1", NULL,
            "publish nothing for this seq but keep it for replay (tests gap repair; -1 = none)", -1,
            2147483647),
    CLI_OPT_END,
};

static const struct cli_info mock_config_info = {
    .prog = "infini-mock",
    .summary = "Simulated OpenAI-compatible model server with a prefix cache and timing model.",
};

/* Splits --models on commas; items are trimmed and must be non-empty and distinct. */
static int split_models(struct mock_config *cfg, struct err_msg *err)
{
    const char *p = cfg->models;

    for (;;) {
        const char *comma = strchr(p, ',');
        struct slice item = {p, comma != NULL ? (size_t)(comma - p) : strlen(p)};
        item = slice_trim(item);
        if (item.len == 0) {
            err_set(err, 0, 0, "--models: empty model id in '%s'", cfg->models);
            return SVC_EBADCONFIG;
        }
        if (cfg->nmodels == MOCK_CONFIG_MAX_MODELS) {
            err_set(err, 0, 0, "--models: more than %d models", MOCK_CONFIG_MAX_MODELS);
            return SVC_EBADCONFIG;
        }
        char *id = xstrndup(item.ptr, item.len);
        for (size_t i = 0; i < cfg->nmodels; i++) {
            if (strcmp(cfg->model_ids[i], id) == 0) {
                err_set(err, 0, 0, "--models: '%s' listed twice", id);
                free(id);
                return SVC_EBADCONFIG;
            }
        }
        cfg->model_ids[cfg->nmodels++] = id;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

int mock_config_parse(struct mock_config *cfg, int argc, char **argv, struct err_msg *err)
{
    memset(cfg, 0, sizeof(*cfg));
    int rc = cli_parse(mock_config_opts, cfg, argc, argv, &mock_config_info, NULL, err);
    if (rc != 0)
        return rc;
    rc = cli_check_choice("cache-type", cfg->cache_type, "paged|static", err);
    if (rc == 0)
        rc = cli_check_choice("hold-running", cfg->hold_running, "on|off", err);
    if (rc == 0)
        rc = cli_check_choice("kv-events-encoding", cfg->kv_events_encoding, "array|map", err);
    if (rc != 0)
        return rc;
    if (strcmp(cfg->cache_type, "static") == 0 && cfg->max_cache_len < cfg->block_size) {
        err_set(err, 0, 0, "--max-cache-len %d is less than one block (--block-size %d)",
                cfg->max_cache_len, cfg->block_size);
        return SVC_EBADCONFIG;
    }
    if (cfg->kv_events_port > 0 && cfg->kv_replay_port == 0)
        cfg->kv_replay_port = cfg->kv_events_port < 65535 ? cfg->kv_events_port + 1 : 0;
    return split_models(cfg, err);
}

void mock_config_free(struct mock_config *cfg)
{
    if (cfg == NULL)
        return;
    cli_free(mock_config_opts, cfg);
    for (size_t i = 0; i < cfg->nmodels; i++) {
        free(cfg->model_ids[i]);
        cfg->model_ids[i] = NULL;
    }
    cfg->nmodels = 0;
}
