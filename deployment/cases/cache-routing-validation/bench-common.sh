# Shared by bench-single.sh, bench-roundrobin.sh, bench-cache-routing.sh and bench-cache-aware.sh
# (sourced, never run):
# the workload knobs, the pre-checks against the running deployment, the dataset, and the run
# itself with infini-bench, or with vLLM's serving benchmark when VLLM_DIR names a checkout.
# The scripts differ only in their label, the instance count they expect, and whether
# requests carry a prompt_cache_key.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REQUEST_RATE=${REQUEST_RATE:-8}
NUM_REQUESTS=${NUM_REQUESTS:-160}
NUM_PREFIXES=${NUM_PREFIXES:-16}
PREFIX_LEN=${PREFIX_LEN:-8192}
SUFFIX_LEN=${SUFFIX_LEN:-256}
MAX_TOKENS=${MAX_TOKENS:-32}
CACHE_KEY_PATTERN=${CACHE_KEY_PATTERN:-'bench_key_{prefix_id}'}
VLLM_BACKEND=${VLLM_BACKEND:-openai-chat}

# bench_prechecks IP WANT: the router must answer; anything else unexpected is a warning.
bench_prechecks() {
    local ip=$1 want=$2 have body
    [ "$(http_code "http://$ip:$ROUTER_PORT/health")" = 200 ] ||
        die "router http://$ip:$ROUTER_PORT/health does not answer 200: start the deployment first"
    have=$(router_healthy_count "$ip")
    [ "$have" = "$want" ] ||
        warn "the router routes to $have instance(s); this scenario expects $want"
    "${CURL[@]}" "http://$ip:$ROUTER_PORT/models" | grep -q "\"id\":\"$MODEL\"" ||
        warn "the router's /models does not list \"id\":\"$MODEL\""
    body=$("${CURL[@]}" -H 'Content-Type: application/json' \
        -d "{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"test\"}],\"max_tokens\":5}" \
        "http://$ip:$ROUTER_PORT/v1/chat/completions" || true)
    case "$body" in *'"object"'*) ;; *) warn "test request failed: ${body:0:200}" ;; esac
}

# bench_dataset: DATASET_FILE, or the default multi-prefix workload (generated once).
bench_dataset() {
    if [ -n "${DATASET_FILE:-}" ]; then
        [ -f "$DATASET_FILE" ] || die "DATASET_FILE=$DATASET_FILE does not exist"
        return 0
    fi
    DATASET_FILE="$RESULT_DIR/datasets/multi-prefix-${NUM_PREFIXES}x${PREFIX_LEN}-suffix${SUFFIX_LEN}-n${NUM_REQUESTS}-shuffled.jsonl"
    [ -f "$DATASET_FILE" ] && return 0
    mkdir -p "$(dirname "$DATASET_FILE")"
    "$BIN_infini_bench" gen --kind multi-prefix --num-prompts "$NUM_REQUESTS" \
        --num-prefixes "$NUM_PREFIXES" --prefix-len "$PREFIX_LEN" --suffix-len "$SUFFIX_LEN" \
        --shuffle --output "$DATASET_FILE.tmp" >/dev/null
    mv "$DATASET_FILE.tmp" "$DATASET_FILE"
}

# run_infini_bench IP LABEL KEYS: the run with infini-bench; KEYS is "keys" or "none".
run_infini_bench() {
    local ip=$1 label=$2 keys=$3 keyarg=(--no-cache-key)
    [ "$keys" = keys ] && keyarg=(--prompt-cache-key "$CACHE_KEY_PATTERN")
    "$BIN_infini_bench" serve --base-url "http://$ip:$ROUTER_PORT" --model "$MODEL" \
        --dataset "$DATASET_FILE" --num-prompts "$NUM_REQUESTS" --request-rate "$REQUEST_RATE" \
        --max-tokens "$MAX_TOKENS" "${keyarg[@]}" --label "$label" \
        --save-result --result-dir "$RESULT_DIR"
}

# run_vllm_bench IP LABEL KEYS: the same run with vLLM's benchmark (see run_benchmark.py).
run_vllm_bench() {
    local ip=$1 label=$2 keys=$3 keyarg=() tokenizer=${TOKENIZER_DIR:-${MODEL1_DIR:-}}
    [ -f "$VLLM_DIR/vllm/benchmarks/serve.py" ] || die "VLLM_DIR=$VLLM_DIR is not a vLLM checkout"
    [ -n "$tokenizer" ] || die "the vLLM benchmark needs TOKENIZER_DIR (or MODEL1_DIR)"
    [ "$keys" = keys ] && keyarg=(--prompt-cache-key "$CACHE_KEY_PATTERN")
    # shellcheck disable=SC2086 # VLLM_EXTRA_ARGS is a list of words by design
    HF_HUB_OFFLINE=1 python3 "$CASE_DIR/run_benchmark.py" "$VLLM_DIR" "${keyarg[@]}" \
        --backend "$VLLM_BACKEND" --host "$ip" --port "$ROUTER_PORT" \
        --endpoint /v1/chat/completions --model "$MODEL" --tokenizer "$tokenizer" \
        --dataset-name custom --dataset-path "$DATASET_FILE" --custom-output-len "$MAX_TOKENS" \
        --num-prompts "$NUM_REQUESTS" --request-rate "$REQUEST_RATE" --label "$label" \
        --save-result --result-dir "$RESULT_DIR" ${VLLM_EXTRA_ARGS:-}
}

# bench_main LABEL WANT KEYS [IP]: pre-checks, dataset, run (output also in
# RESULT_DIR/LABEL.log), then names the result file.
bench_main() {
    local label=$1 want=$2 keys=$3 ip=${4:-127.0.0.1} result
    resolve_bins infini-bench
    mkdir -p "$RESULT_DIR"
    bench_prechecks "$ip" "$want"
    bench_dataset
    BENCH_MARKER=$(mktemp) # results newer than this are this run's
    trap 'rm -f "$BENCH_MARKER"' EXIT
    log "benchmark $label: $NUM_REQUESTS requests at $REQUEST_RATE req/s, max_tokens $MAX_TOKENS," \
        "prompt_cache_key $([ "$keys" = keys ] && echo "'$CACHE_KEY_PATTERN'" || echo none)," \
        "dataset $DATASET_FILE"
    if [ -n "${VLLM_DIR:-}" ]; then
        run_vllm_bench "$ip" "$label" "$keys" 2>&1 | tee "$RESULT_DIR/$label.log"
    else
        run_infini_bench "$ip" "$label" "$keys" 2>&1 | tee "$RESULT_DIR/$label.log"
    fi
    result=$(find "$RESULT_DIR" -maxdepth 1 -name "$label-*.json" -newer "$BENCH_MARKER" \
        -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2-)
    [ -n "$result" ] || die "no result file $RESULT_DIR/$label-*.json was written"
    log "result: $result"
}
