/* Option tables and validation for `gen` and `serve`. The dataset flags are one table joined to
 * each command's own at parse time (serve can generate its dataset in memory). Depends on
 * common/cli, common/json, common/err and tools/bench/{dataset,body,keypattern}. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "err.h"
#include "json.h"
#include "keypattern.h"
#include "xalloc.h"

#define F(field) offsetof(struct bench_options, field)

/* Dataset flags: in both tables, since serve can generate its dataset in memory. */
static const struct cli_opt dataset_opts[] = {
    CLI_OPT("num-prompts", CLI_INT, F(num_prompts), "0", NULL,
            "prefix datasets: prompts to generate; serve: requests to send (0 = one per record)", 0,
            10000000),
    CLI_OPT("num-prefixes", CLI_INT, F(num_prefixes), "4", NULL,
            "multi-prefix: number of distinct prefixes (shared-prefix: 1)", 1, 1000000),
    CLI_OPT("prefix-len", CLI_INT, F(prefix_len), "2048", NULL, "characters per prefix", 1,
            100000000),
    CLI_OPT("suffix-len", CLI_INT, F(suffix_len), "128", NULL,
            "characters of unique text after the prefix", 0, 100000000),
    CLI_OPT("shuffle", CLI_BOOL, F(shuffle), "false", NULL,
            "assign prefixes in a seeded random order instead of request_id % K", 0, 0),
    CLI_OPT("hot-share", CLI_DOUBLE, F(hot_share), "0", NULL,
            "multi-prefix: share of the requests on prefix 0, the hot one (0 = all prefixes alike)",
            0, 1),
    CLI_OPT("num-conversations", CLI_INT, F(num_conversations), "4", NULL,
            "conversations: number of conversations", 1, 1000000),
    CLI_OPT("messages-per-conv", CLI_INT, F(messages_per_conv), "8", NULL,
            "conversations: turns (user message + reply) per conversation", 1, 100000),
    CLI_OPT("context-len", CLI_INT, F(context_len), "1024", NULL,
            "conversations: characters of the first user message and of every reply", 1, 100000000),
    CLI_OPT("new-msg-len", CLI_INT, F(new_msg_len), "128", NULL,
            "conversations: characters of each later user message", 0, 100000000),
    CLI_OPT("chars-per-token", CLI_INT, F(chars_per_token), "4", NULL,
            "trace: bytes of prompt text per token (replay), characters per token (gen)", 1, 64),
    CLI_OPT("seed", CLI_INT, F(seed), "42", NULL,
            "seed of the generated text and of the arrival times", 0, 2147483647),
    CLI_OPT_END,
};

static const struct cli_opt gen_opts[] = {
    CLI_OPT("kind", CLI_STR, F(kind), NULL, NULL,
            "shared-prefix, multi-prefix, conversations or trace (Mooncake format)", 0, 0),
    CLI_OPT("output", CLI_STR, F(output), NULL, NULL, "JSONL file to write", 0, 0),
    CLI_OPT("request-rate", CLI_STR, F(request_rate), "1", NULL,
            "trace: requests per second of the timestamps (Poisson arrivals)", 0, 0),
    CLI_OPT_END,
};

static const struct cli_opt serve_opts[] = {
    CLI_OPT("base-url", CLI_STR, F(base_url), NULL, NULL,
            "server or router, e.g. http://127.0.0.1:8000", 0, 0),
    CLI_OPT("endpoint", CLI_STR, F(endpoint), "/v1/chat/completions", NULL,
            "/v1/chat/completions or /v1/completions", 0, 0),
    CLI_OPT("model", CLI_STR, F(model), NULL, NULL, "model id to request", 0, 0),
    CLI_OPT("dataset", CLI_STR, F(dataset), NULL, NULL,
            "JSONL dataset file (records with prompt/messages)", 0, 0),
    CLI_OPT("dataset-kind", CLI_STR, F(kind), NULL, NULL,
            "generate the dataset in memory instead: shared-prefix, multi-prefix or conversations; "
            "or, with --dataset, trace: replay a Mooncake-format trace",
            0, 0),
    CLI_OPT("request-rate", CLI_STR, F(request_rate), "inf", NULL,
            "requests per second (Poisson/gamma arrivals); inf = all at once; a trace follows its "
            "timestamps unless this is given",
            0, 0),
    CLI_OPT("time-scale", CLI_DOUBLE, F(time_scale), "1", NULL,
            "trace: send each record at (timestamp - first timestamp) / SCALE; 2 = twice as fast",
            0.000001, 1000000000),
    CLI_OPT("sample-conversations", CLI_INT, F(sample_conversations), "1", NULL,
            "trace: keep 1 in M conversations (records sharing their first hash id), whole", 1,
            1000000000),
    CLI_OPT("burstiness", CLI_DOUBLE, F(burstiness), "1.0", NULL,
            "gamma shape of the gaps: 1 = Poisson, <1 burstier, >1 more even", 0.000001, 1000000),
    CLI_OPT("max-concurrency", CLI_INT, F(max_concurrency), "0", NULL,
            "most requests in flight (0 = unlimited)", 0, 1000000),
    CLI_OPT("stream", CLI_BOOL, F(stream), "true", NULL,
            "stream responses (SSE) to measure TTFT and ITL", 0, 0),
    CLI_OPT("no-stream", CLI_BOOL, F(no_stream), "false", NULL,
            "ask for whole responses (TTFT = E2E)", 0, 0),
    CLI_OPT("max-tokens", CLI_INT, F(max_tokens), "0", NULL,
            "max_tokens per request (0 = the record's max_tokens, else the server's default)", 0,
            10000000),
    CLI_OPT("max-output-tokens", CLI_INT, F(max_output_tokens), "0", NULL,
            "cap on every request's max_tokens, e.g. a trace's output_length (0 = no cap)", 0,
            10000000),
    CLI_OPT("prompt-cache-key", CLI_STR, F(prompt_cache_key), NULL, NULL,
            "prompt_cache_key pattern, e.g. bench_key_{request_id % 4} (see below)", 0, 0),
    CLI_OPT("no-cache-key", CLI_BOOL, F(no_cache_key), "false", NULL,
            "send no prompt_cache_key, not even the record's own", 0, 0),
    CLI_OPT("label", CLI_STR, F(label), NULL, NULL,
            "run label in the result (default: the backend name)", 0, 0),
    CLI_OPT("result-dir", CLI_STR, F(result_dir), ".", NULL, "directory for --save-result", 0, 0),
    CLI_OPT("save-result", CLI_BOOL, F(save_result), "false", NULL, "write the JSON result file", 0,
            0),
    CLI_OPT("timeout", CLI_DOUBLE, F(timeout), "600", NULL, "seconds each request may take", 0.001,
            10000000),
    CLI_OPT("extra-body", CLI_STR, F(extra_body), NULL, NULL,
            "JSON object merged into every request body (its keys win)", 0, 0),
    CLI_OPT_END,
};

static const char key_help[] =
    "\nKey patterns (--prompt-cache-key): literal text with placeholders\n"
    "  {request_id}        index of the request in the run (0, 1, 2, ...)\n"
    "  {prefix_id}         the record's prefix_id\n"
    "  {conversation_id}   the record's conversation_id\n"
    "  {VAR % N}           VAR modulo N      e.g. bench_key_{request_id % 4}\n"
    "  {VAR // N}          VAR divided by N  e.g. group_{request_id // 10}\n"
    "  {{ and }}           literal braces\n"
    "Without the flag each record's own prompt_cache_key (if any) is sent; --no-cache-key sends "
    "none.\n";

/* Copies table `a` then table `b` (both NULL-terminated) into `out` (CLI_MAX_OPTS + 1 entries). */
static void compose(const struct cli_opt *a, const struct cli_opt *b, struct cli_opt *out)
{
    size_t n = 0;

    for (; a->names != NULL; a++)
        out[n++] = *a;
    for (; b->names != NULL; b++)
        out[n++] = *b;
    SVC_ASSERT(n <= CLI_MAX_OPTS);
    memset(&out[n], 0, sizeof(*out));
}

static bool given(const struct cli_opt *table, uint64_t bits, const char *name)
{
    int i = cli_index(table, name);

    return i >= 0 && (bits >> i) & 1;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

/* Fills o->gen from the dataset flags; `table`/`bits` tell which flags were given. */
static int fill_gen(struct bench_options *o, const struct cli_opt *table, uint64_t bits,
                    struct err_msg *err)
{
    struct bench_gen_params *g = &o->gen;

    if (bench_dataset_kind_parse(o->kind, &g->kind) < 0) {
        err_set(err, 0, 0,
                "unknown dataset kind '%s' (shared-prefix, multi-prefix, conversations or trace)",
                o->kind);
        return SVC_EBADCONFIG;
    }
    if (g->kind == BENCH_DATASET_SHARED_PREFIX && given(table, bits, "num-prefixes") &&
        o->num_prefixes != 1) {
        err_set(err, 0, 0, "shared-prefix has one prefix; use multi-prefix for --num-prefixes %d",
                o->num_prefixes);
        return SVC_EBADCONFIG;
    }
    if (g->kind != BENCH_DATASET_CONVERSATIONS && g->kind != BENCH_DATASET_TRACE &&
        o->num_prompts < 1) {
        err_set(err, 0, 0, "%s needs --num-prompts N (N >= 1)", o->kind);
        return SVC_EBADCONFIG;
    }
    g->num_prompts = o->num_prompts;
    g->num_prefixes = g->kind == BENCH_DATASET_SHARED_PREFIX ? 1 : o->num_prefixes;
    g->prefix_len = o->prefix_len;
    g->suffix_len = o->suffix_len;
    g->shuffle = o->shuffle;
    g->hot_share = o->hot_share;
    g->num_conversations = o->num_conversations;
    g->messages_per_conv = o->messages_per_conv;
    g->context_len = o->context_len;
    g->new_msg_len = o->new_msg_len;
    g->chars_per_token = o->chars_per_token;
    g->rate = o->rate;
    g->seed = (unsigned long long)o->seed;
    return 0;
}

static int parse_rate(struct bench_options *o, struct err_msg *err)
{
    char *end = NULL;

    if (strcasecmp(o->request_rate, "inf") == 0) {
        o->rate = INFINITY;
        return 0;
    }
    errno = 0;
    o->rate = strtod(o->request_rate, &end);
    if (errno != 0 || end == o->request_rate || *end != '\0' || !isfinite(o->rate) ||
        o->rate <= 0.0) {
        err_set(err, 0, 0, "--request-rate: '%s' is not a positive number or inf", o->request_rate);
        return SVC_EBADCONFIG;
    }
    return 0;
}

int bench_options_parse_gen(struct bench_options *o, int argc, char **argv, struct err_msg *err)
{
    static const struct cli_info info = {
        "infini-bench gen", "Writes a synthetic JSONL dataset (deterministic by --seed)."};
    struct cli_opt table[CLI_MAX_OPTS + 1];
    uint64_t bits = 0;

    memset(o, 0, sizeof(*o));
    compose(gen_opts, dataset_opts, table);
    int rc = cli_parse(table, o, argc, argv, &info, &bits, err);
    if (rc != 0)
        return rc;
    if (o->kind == NULL || o->output == NULL) {
        err_set(err, 0, 0, "gen needs --kind and --output (see --help)");
        return SVC_EBADCONFIG;
    }
    if (strcmp(o->kind, "trace") != 0 && given(table, bits, "request-rate")) {
        err_set(err, 0, 0, "--request-rate applies to --kind trace only");
        return SVC_EBADCONFIG;
    }
    rc = parse_rate(o, err);
    if (rc == 0)
        rc = fill_gen(o, table, bits, err);
    return rc;
}

static int parse_endpoint(struct bench_options *o, struct err_msg *err)
{
    size_t len = strlen(o->endpoint);
    static const char chat[] = "/chat/completions", compl [] = "/completions";

    if (len >= sizeof(chat) - 1 && strcmp(o->endpoint + len - (sizeof(chat) - 1), chat) == 0)
        o->endpoint_kind = BENCH_ENDPOINT_CHAT;
    else if (len >= sizeof(compl ) - 1 &&
             strcmp(o->endpoint + len - (sizeof(compl ) - 1), compl ) == 0)
        o->endpoint_kind = BENCH_ENDPOINT_COMPLETIONS;
    else {
        err_set(err, 0, 0, "--endpoint: '%s' is neither .../chat/completions nor .../completions",
                o->endpoint);
        return SVC_EBADCONFIG;
    }
    if (o->endpoint[0] != '/') {
        err_set(err, 0, 0, "--endpoint must start with '/'");
        return SVC_EBADCONFIG;
    }
    return 0;
}

static int parse_body_flags(struct bench_options *o, struct err_msg *err)
{
    if (o->prompt_cache_key != NULL && o->no_cache_key) {
        err_set(err, 0, 0, "--prompt-cache-key and --no-cache-key exclude each other");
        return SVC_EBADCONFIG;
    }
    if (o->prompt_cache_key != NULL) {
        struct err_msg kerr = {0};
        o->key = bench_keypattern_compile(o->prompt_cache_key, &kerr);
        if (o->key == NULL) {
            err_set(err, 0, 0, "--prompt-cache-key '%s': %s", o->prompt_cache_key, kerr.msg);
            return SVC_EBADCONFIG;
        }
    }
    if (o->extra_body != NULL) {
        struct err_msg jerr = {0};
        o->extra = json_parse(o->extra_body, strlen(o->extra_body), &jerr);
        if (!cJSON_IsObject(o->extra)) {
            err_set(err, 0, 0, "--extra-body: need a JSON object (%s)",
                    o->extra == NULL ? jerr.msg : "got another type");
            return SVC_EBADCONFIG;
        }
    }
    return 0;
}

static int check_serve(struct bench_options *o, const struct cli_opt *table, uint64_t bits,
                       struct err_msg *err)
{
    if (o->base_url == NULL || o->model == NULL) {
        err_set(err, 0, 0, "serve needs --base-url and --model (see --help)");
        return SVC_EBADCONFIG;
    }
    if (strncmp(o->base_url, "http://", 7) != 0 && strncmp(o->base_url, "https://", 8) != 0) {
        err_set(err, 0, 0, "--base-url must start with http:// or https://");
        return SVC_EBADCONFIG;
    }
    o->trace = o->kind != NULL && strcmp(o->kind, "trace") == 0;
    if (o->trace && o->dataset == NULL) {
        err_set(err, 0, 0, "--dataset-kind trace replays a file: give it with --dataset FILE");
        return SVC_EBADCONFIG;
    }
    if (!o->trace && (o->dataset == NULL) == (o->kind == NULL)) {
        err_set(err, 0, 0, "serve needs exactly one of --dataset FILE and --dataset-kind KIND");
        return SVC_EBADCONFIG;
    }
    if (!o->trace &&
        (given(table, bits, "time-scale") || given(table, bits, "sample-conversations"))) {
        err_set(err, 0, 0,
                "--time-scale and --sample-conversations apply to --dataset-kind trace only");
        return SVC_EBADCONFIG;
    }
    o->rate_given = given(table, bits, "request-rate");
    if (given(table, bits, "stream") && o->stream && o->no_stream) {
        err_set(err, 0, 0, "--stream and --no-stream exclude each other");
        return SVC_EBADCONFIG;
    }
    o->streaming = o->stream && !o->no_stream;
    int rc = parse_endpoint(o, err);
    if (rc == 0)
        rc = parse_rate(o, err);
    if (rc == 0)
        rc = parse_body_flags(o, err);
    if (rc == 0 && o->kind != NULL && !o->trace)
        rc = fill_gen(o, table, bits, err);
    return rc;
}

int bench_options_parse_serve(struct bench_options *o, int argc, char **argv, struct err_msg *err)
{
    static const struct cli_info info = {
        "infini-bench serve",
        "Sends a dataset to an OpenAI-compatible server and reports TTFT, TPOT, ITL, E2E, "
        "throughput,\nper-instance counts and prefix-cache hits (like `vllm bench serve`)."};
    struct cli_opt table[CLI_MAX_OPTS + 1];
    uint64_t bits = 0;

    memset(o, 0, sizeof(*o));
    compose(serve_opts, dataset_opts, table);
    int rc = cli_parse(table, o, argc, argv, &info, &bits, err);
    if (rc == 1 && wants_help(argc, argv))
        fputs(key_help, stdout);
    if (rc != 0)
        return rc;
    return check_serve(o, table, bits, err);
}

void bench_options_free(struct bench_options *o)
{
    cli_free(serve_opts, o);
    free(o->output); /* the only string the gen table has and the serve table lacks */
    o->output = NULL;
    bench_keypattern_free(o->key);
    o->key = NULL;
    cJSON_Delete(o->extra);
    o->extra = NULL;
}
