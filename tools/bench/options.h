/* Command-line options of `infini-bench gen` and `infini-bench serve` (common/cli tables) and
 * their validation into ready-to-use settings: dataset parameters, the endpoint kind, the request
 * rate, the compiled key pattern and the parsed --extra-body. Every problem is reported as one
 * message so that main can exit with code 2. Depends on common/cli, common/json, common/err and
 * tools/bench/{dataset,body,keypattern}. */
#ifndef SVC_TOOLS_BENCH_OPTIONS_H
#define SVC_TOOLS_BENCH_OPTIONS_H

#include <stdbool.h>

#include <cJSON.h>

#include "body.h"
#include "dataset.h"

struct err_msg;
struct bench_keypattern;

struct bench_options {
    /* Dataset generation: `gen`, and `serve --dataset-kind`. */
    char *kind; /* --kind (gen) or --dataset-kind (serve) */
    char *output;
    int num_prompts, num_prefixes, prefix_len, suffix_len;
    bool shuffle;
    double hot_share;
    int num_conversations, messages_per_conv, context_len, new_msg_len;
    int chars_per_token;
    int seed;
    /* serve */
    char *base_url, *endpoint, *model, *dataset, *request_rate, *prompt_cache_key, *label;
    char *result_dir, *extra_body;
    double burstiness, timeout, time_scale;
    int max_concurrency, max_tokens, max_output_tokens, sample_conversations;
    bool stream, no_stream, no_cache_key, save_result;

    /* Derived by the parse functions. */
    struct bench_gen_params gen; /* when `kind` is set (and is not a trace to replay) */
    bool trace;                  /* serve: --dataset is a Mooncake trace to replay */
    bool rate_given;             /* serve: --request-rate was given (a trace then ignores its
                                    timestamps) */
    enum bench_endpoint endpoint_kind;
    double rate;                  /* requests/s; INFINITY for "inf" */
    bool streaming;               /* --stream unless --no-stream */
    struct bench_keypattern *key; /* compiled --prompt-cache-key (owned), or NULL */
    cJSON *extra;                 /* parsed --extra-body (owned), or NULL */
};

/* Parse argv (argv[0] is the subcommand name) into `o`, which is overwritten. Return 0 to go on,
 * 1 when --help or --version was printed, or a negative code with `err` set. Release `o` with
 * bench_options_free() whatever the result. */
int bench_options_parse_gen(struct bench_options *o, int argc, char **argv, struct err_msg *err);
int bench_options_parse_serve(struct bench_options *o, int argc, char **argv, struct err_msg *err);
void bench_options_free(struct bench_options *o);

#endif
