# The run of a deployment case's benchmark (sourced by the case's bench-common.sh, never run):
# the pre-checks every case makes against the running deployment, the dataset (the user's, or
# the case's default, generated once), and the run itself with infini-bench, or with vLLM's
# serving benchmark when VLLM_DIR names a checkout, its output kept in RESULT_DIR/LABEL.log and
# its result file named at the end. The workload knobs (NUM_REQUESTS, REQUEST_RATE, MAX_TOKENS,
# ...), the dataset generator and the per-case arguments stay in bench-common.sh.
# Needs lib/case.sh.
# shellcheck shell=bash disable=SC2154 # BIN_* are set by resolve_bins (lib/case.sh)

VLLM_BACKEND=${VLLM_BACKEND:-openai-chat}

# bench_prechecks IP WANT: the router must answer (else there is nothing to measure); that it
# routes to other than WANT instances, or fails a small chat request, is a warning.
bench_prechecks() {
    local ip=$1 want=$2 have body
    [ "$(http_code "http://$ip:$ROUTER_PORT/health")" = 200 ] ||
        die "router http://$ip:$ROUTER_PORT/health does not answer 200: start the deployment first"
    have=$(router_healthy_count "$ip")
    [ "$have" = "$want" ] ||
        warn "the router routes to $have instance(s); this benchmark expects $want"
    body=$("${CURL[@]}" -H 'Content-Type: application/json' \
        -d "{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"test\"}],\"max_tokens\":5}" \
        "http://$ip:$ROUTER_PORT/v1/chat/completions" || true)
    case "$body" in *'"object"'*) ;; *) warn "test request failed: ${body:0:200}" ;; esac
}

# bench_dataset DEFAULT GENERATOR: sets DATASET_FILE: the user's (it must exist), else DEFAULT,
# which function GENERATOR writes (given the path to write) when it is not there yet.
bench_dataset() {
    if [ -n "${DATASET_FILE:-}" ]; then
        [ -f "$DATASET_FILE" ] || die "DATASET_FILE=$DATASET_FILE does not exist"
        return 0
    fi
    DATASET_FILE=$1
    [ -f "$DATASET_FILE" ] && return 0
    mkdir -p "$(dirname "$DATASET_FILE")"
    "$2" "$DATASET_FILE.tmp"
    mv "$DATASET_FILE.tmp" "$DATASET_FILE" # a generator stopped half-way leaves no dataset
}

# bench_infini IP LABEL ARG...: the run with infini-bench (ARGs: the case's own options).
bench_infini() {
    local ip=$1 label=$2
    shift 2
    "$BIN_infini_bench" serve --base-url "http://$ip:$ROUTER_PORT" --model "$MODEL" \
        --dataset "$DATASET_FILE" --num-prompts "$NUM_REQUESTS" --request-rate "$REQUEST_RATE" \
        --max-tokens "$MAX_TOKENS" "$@" --label "$label" --save-result --result-dir "$RESULT_DIR"
}

# bench_vllm IP LABEL ARG...: the same run with vLLM's benchmark, through the cache-routing
# case's run_benchmark.py (which also sends prompt_cache_key, stock vLLM does not).
bench_vllm() {
    local ip=$1 label=$2 tokenizer=${TOKENIZER_DIR:-${MODEL1_DIR:-}}
    shift 2
    [ -f "$VLLM_DIR/vllm/benchmarks/serve.py" ] || die "VLLM_DIR=$VLLM_DIR is not a vLLM checkout"
    [ -n "$tokenizer" ] || die "the vLLM benchmark needs TOKENIZER_DIR (or MODEL1_DIR)"
    # shellcheck disable=SC2086 # VLLM_EXTRA_ARGS is a list of words by design
    HF_HUB_OFFLINE=1 python3 "$CASE_LIB_DIR/../cache-routing-validation/run_benchmark.py" \
        "$VLLM_DIR" --backend "$VLLM_BACKEND" --host "$ip" --port "$ROUTER_PORT" \
        --endpoint /v1/chat/completions --model "$MODEL" --tokenizer "$tokenizer" \
        --dataset-name custom --dataset-path "$DATASET_FILE" --custom-output-len "$MAX_TOKENS" \
        --num-prompts "$NUM_REQUESTS" --request-rate "$REQUEST_RATE" "$@" --label "$label" \
        --save-result --result-dir "$RESULT_DIR" ${VLLM_EXTRA_ARGS:-}
}

# bench_run IP LABEL WHAT: the run on DATASET_FILE, announced as "benchmark LABEL: WHAT", with
# infini-bench given BENCH_INFINI_ARGS or vLLM's benchmark given BENCH_VLLM_ARGS; output also in
# RESULT_DIR/LABEL.log; then names the result file ("result: FILE", which scripts/demo.sh reads).
bench_run() {
    local ip=$1 label=$2 result
    mkdir -p "$RESULT_DIR"
    BENCH_MARKER=$(mktemp) # results newer than this are this run's
    trap 'rm -f "$BENCH_MARKER"' EXIT
    log "benchmark $label: $3, dataset $DATASET_FILE"
    if [ -n "${VLLM_DIR:-}" ]; then
        bench_vllm "$ip" "$label" "${BENCH_VLLM_ARGS[@]}" 2>&1 | tee "$RESULT_DIR/$label.log"
    else
        bench_infini "$ip" "$label" "${BENCH_INFINI_ARGS[@]}" 2>&1 | tee "$RESULT_DIR/$label.log"
    fi
    result=$(newest_result "$label" "$BENCH_MARKER")
    [ -n "$result" ] || die "no result file $RESULT_DIR/$label-*.json was written"
    log "result: $result"
}
