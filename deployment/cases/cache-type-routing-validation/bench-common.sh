# Shared by bench-size-based-routing.sh and bench-2paged.sh (sourced, never run): the workload
# knobs (the reference's), the pre-checks against the running deployment, the large-context
# dataset, and the run itself with infini-bench, or with vLLM's serving benchmark when VLLM_DIR
# names a checkout. The two scripts differ only in their label and the deployment they expect;
# both send the same dataset, so their results compare.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

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
VLLM_BACKEND=${VLLM_BACKEND:-openai-chat}

# bench_prechecks IP KIND: the router must answer; anything else unexpected is a warning.
bench_prechecks() {
    local ip=$1 kind=$2 have body pair recorded second="$STATIC_PORT:$STATIC_NAME"
    [ "$(http_code "http://$ip:$ROUTER_PORT/health")" = 200 ] ||
        die "router http://$ip:$ROUTER_PORT/health does not answer 200: start the deployment first"
    recorded=$(deployment_kind)
    if [ "$ip" = 127.0.0.1 ] && [ -n "$recorded" ] && [ "$recorded" != "$kind" ]; then
        warn "the deployment in $LOG_DIR is $recorded; this benchmark expects $kind"
    fi
    have=$(router_healthy_count "$ip")
    [ "$have" = 2 ] || warn "the router routes to $have instance(s); this benchmark expects 2"
    [ "$kind" = 2paged ] && second="$PAGED2_PORT:$PAGED2_NAME"
    for pair in "$PAGED_PORT:$PAGED_NAME" "$second"; do
        [ "$(http_code "http://$ip:$((${pair%%:*} + 1))/health")" = 200 ] ||
            warn "${pair#*:} ($((${pair%%:*} + 1))) is not responding"
    done
    body=$("${CURL[@]}" -H 'Content-Type: application/json' \
        -d "{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"test\"}],\"max_tokens\":5}" \
        "http://$ip:$ROUTER_PORT/v1/chat/completions" || true)
    case "$body" in *'"object"'*) ;; *) warn "test request failed: ${body:0:200}" ;; esac
}

# bench_dataset: DATASET_FILE, or the large-context dataset for the knobs (generated once).
bench_dataset() {
    if [ -n "${DATASET_FILE:-}" ]; then
        [ -f "$DATASET_FILE" ] || die "DATASET_FILE=$DATASET_FILE does not exist"
        return 0
    fi
    DATASET_FILE="$RESULT_DIR/datasets/large_context-${NUM_CONVERSATIONS}x${MESSAGES_PER_CONV}-ctx${CONTEXT_LEN}-new${NEW_MSG_LEN}-large${NUM_LARGE_CONTEXT}x${LARGE_CONTEXT_LEN}.jsonl"
    [ -f "$DATASET_FILE" ] && return 0
    mkdir -p "$(dirname "$DATASET_FILE")"
    python3 "$CASE_DIR/gen-large-context.py" --output "$DATASET_FILE.tmp" \
        --num-conversations "$NUM_CONVERSATIONS" --messages-per-conv "$MESSAGES_PER_CONV" \
        --context-len "$CONTEXT_LEN" --new-msg-len "$NEW_MSG_LEN" \
        --num-large-context "$NUM_LARGE_CONTEXT" --large-context-len "$LARGE_CONTEXT_LEN"
    mv "$DATASET_FILE.tmp" "$DATASET_FILE"
}

run_infini_bench() {
    local ip=$1 label=$2
    "$BIN_infini_bench" serve --base-url "http://$ip:$ROUTER_PORT" --model "$MODEL" \
        --dataset "$DATASET_FILE" --num-prompts "$NUM_REQUESTS" --request-rate "$REQUEST_RATE" \
        --max-concurrency "$MAX_CONCURRENCY" --max-tokens "$MAX_TOKENS" --no-cache-key \
        --label "$label" --save-result --result-dir "$RESULT_DIR"
}

# run_vllm_bench IP LABEL: the same run with vLLM's benchmark (the cache-routing case's
# run_benchmark.py runs it from the checkout).
run_vllm_bench() {
    local ip=$1 label=$2 tokenizer=${TOKENIZER_DIR:-${MODEL1_DIR:-}}
    [ -f "$VLLM_DIR/vllm/benchmarks/serve.py" ] || die "VLLM_DIR=$VLLM_DIR is not a vLLM checkout"
    [ -n "$tokenizer" ] || die "the vLLM benchmark needs TOKENIZER_DIR (or MODEL1_DIR)"
    # shellcheck disable=SC2086 # VLLM_EXTRA_ARGS is a list of words by design
    HF_HUB_OFFLINE=1 python3 "$REPO_ROOT/deployment/cases/cache-routing-validation/run_benchmark.py" \
        "$VLLM_DIR" --backend "$VLLM_BACKEND" --host "$ip" --port "$ROUTER_PORT" \
        --endpoint /v1/chat/completions --model "$MODEL" --tokenizer "$tokenizer" \
        --dataset-name custom --dataset-path "$DATASET_FILE" --custom-output-len "$MAX_TOKENS" \
        --num-prompts "$NUM_REQUESTS" --request-rate "$REQUEST_RATE" \
        --max-concurrency "$MAX_CONCURRENCY" --label "$label" --save-result \
        --result-dir "$RESULT_DIR" ${VLLM_EXTRA_ARGS:-}
}

# bench_main LABEL KIND [IP]: pre-checks, dataset, run (output also in RESULT_DIR/LABEL.log),
# then names the result file.
bench_main() {
    local label=$1 kind=$2 ip=${3:-127.0.0.1} result
    resolve_bins infini-bench
    mkdir -p "$RESULT_DIR"
    bench_prechecks "$ip" "$kind"
    bench_dataset
    BENCH_MARKER=$(mktemp) # results newer than this are this run's
    trap 'rm -f "$BENCH_MARKER"' EXIT
    log "benchmark $label: $NUM_REQUESTS requests at $REQUEST_RATE req/s, at most" \
        "$MAX_CONCURRENCY in flight, max_tokens $MAX_TOKENS, no prompt_cache_key, routing" \
        "threshold $ROUTING_THRESHOLD bytes, dataset $DATASET_FILE"
    if [ -n "${VLLM_DIR:-}" ]; then
        run_vllm_bench "$ip" "$label" 2>&1 | tee "$RESULT_DIR/$label.log"
    else
        run_infini_bench "$ip" "$label" 2>&1 | tee "$RESULT_DIR/$label.log"
    fi
    result=$(find "$RESULT_DIR" -maxdepth 1 -name "$label-*.json" -newer "$BENCH_MARKER" \
        -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)
    [ -n "$result" ] || die "no result file $RESULT_DIR/$label-*.json was written"
    log "result: $result"
    log "compare with the other deployment's run: $CASE_DIR/compare-cache-types.sh"
}
