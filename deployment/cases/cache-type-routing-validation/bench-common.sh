# Shared by bench-size-based-routing.sh and bench-2paged.sh (sourced, never run): the workload
# knobs (the reference's), the pre-checks of this case's deployment and the large-context
# dataset, on top of lib/bench.sh (the common pre-checks, the run with infini-bench or, when
# VLLM_DIR names a checkout, with vLLM's serving benchmark). The two scripts differ only in their
# label and the deployment they expect; both send the same dataset, so their results compare.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=../lib/bench.sh
source "$CASE_LIB_DIR/bench.sh"

REQUEST_RATE=${REQUEST_RATE:-1.0}
MAX_CONCURRENCY=${MAX_CONCURRENCY:-4}
NUM_CONVERSATIONS=${NUM_CONVERSATIONS:-4}
MESSAGES_PER_CONV=${MESSAGES_PER_CONV:-4}
NUM_LARGE_CONTEXT=${NUM_LARGE_CONTEXT:-1}
CONTEXT_LEN=${CONTEXT_LEN:-512}
NEW_MSG_LEN=${NEW_MSG_LEN:-64}
LARGE_CONTEXT_LEN=${LARGE_CONTEXT_LEN:-65536}
NUM_REQUESTS=${NUM_REQUESTS:-$((NUM_CONVERSATIONS * MESSAGES_PER_CONV))}
MAX_TOKENS=${MAX_TOKENS:-256}

# case_prechecks IP KIND: the deployment this benchmark expects (as recorded in LOG_DIR) and its
# two babysitters; anything unexpected is a warning.
case_prechecks() {
    local ip=$1 kind=$2 pair recorded second="$STATIC_PORT:$STATIC_NAME"
    recorded=$(deployment_kind)
    if [ "$ip" = 127.0.0.1 ] && [ -n "$recorded" ] && [ "$recorded" != "$kind" ]; then
        warn "the deployment in $LOG_DIR is $recorded; this benchmark expects $kind"
    fi
    [ "$kind" = 2paged ] && second="$PAGED2_PORT:$PAGED2_NAME"
    for pair in "$PAGED_PORT:$PAGED_NAME" "$second"; do
        [ "$(http_code "http://$ip:$((${pair%%:*} + 1))/health")" = 200 ] ||
            warn "${pair#*:} ($((${pair%%:*} + 1))) is not responding"
    done
}

# gen_large_context PATH: the large-context dataset for the knobs.
gen_large_context() {
    python3 "$CASE_DIR/gen-large-context.py" --output "$1" \
        --num-conversations "$NUM_CONVERSATIONS" --messages-per-conv "$MESSAGES_PER_CONV" \
        --context-len "$CONTEXT_LEN" --new-msg-len "$NEW_MSG_LEN" \
        --num-large-context "$NUM_LARGE_CONTEXT" --large-context-len "$LARGE_CONTEXT_LEN"
}

# bench_main LABEL KIND [IP]: pre-checks, dataset, run (output also in RESULT_DIR/LABEL.log),
# then names the result file.
bench_main() {
    local label=$1 kind=$2 ip=${3:-127.0.0.1}
    resolve_bins infini-bench
    bench_prechecks "$ip" 2
    case_prechecks "$ip" "$kind"
    bench_dataset "$RESULT_DIR/datasets/large_context-${NUM_CONVERSATIONS}x${MESSAGES_PER_CONV}-ctx${CONTEXT_LEN}-new${NEW_MSG_LEN}-large${NUM_LARGE_CONTEXT}x${LARGE_CONTEXT_LEN}.jsonl" \
        gen_large_context
    BENCH_INFINI_ARGS=(--max-concurrency "$MAX_CONCURRENCY" --no-cache-key)
    BENCH_VLLM_ARGS=(--max-concurrency "$MAX_CONCURRENCY")
    bench_run "$ip" "$label" "$NUM_REQUESTS requests at $REQUEST_RATE req/s, at most $MAX_CONCURRENCY in flight, max_tokens $MAX_TOKENS, no prompt_cache_key, routing threshold $ROUTING_THRESHOLD bytes"
    log "compare with the other deployment's run: $CASE_DIR/compare-cache-types.sh"
}
