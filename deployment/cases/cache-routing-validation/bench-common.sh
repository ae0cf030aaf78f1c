# Shared by bench-single.sh, bench-roundrobin.sh, bench-cache-routing.sh and bench-cache-aware.sh
# (sourced, never run): the workload knobs, the /models pre-check and the multi-prefix dataset
# of this case, on top of lib/bench.sh (the common pre-checks, the run with infini-bench or, when
# VLLM_DIR names a checkout, with vLLM's serving benchmark). The scripts differ only in their
# label, the instance count they expect, and whether requests carry a prompt_cache_key.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=../lib/bench.sh
source "$CASE_LIB_DIR/bench.sh"

REQUEST_RATE=${REQUEST_RATE:-8}
NUM_REQUESTS=${NUM_REQUESTS:-160}
NUM_PREFIXES=${NUM_PREFIXES:-16}
PREFIX_LEN=${PREFIX_LEN:-8192}
SUFFIX_LEN=${SUFFIX_LEN:-256}
MAX_TOKENS=${MAX_TOKENS:-32}
CACHE_KEY_PATTERN=${CACHE_KEY_PATTERN:-'bench_key_{prefix_id}'}

# gen_multi_prefix PATH: the default workload, NUM_PREFIXES shared prefixes in a shuffled order.
gen_multi_prefix() {
    "$BIN_infini_bench" gen --kind multi-prefix --num-prompts "$NUM_REQUESTS" \
        --num-prefixes "$NUM_PREFIXES" --prefix-len "$PREFIX_LEN" --suffix-len "$SUFFIX_LEN" \
        --shuffle --output "$1" >/dev/null
}

# bench_main LABEL WANT KEYS [IP]: pre-checks, dataset, run (output also in
# RESULT_DIR/LABEL.log), then names the result file. KEYS is "keys" or "none".
bench_main() {
    local label=$1 want=$2 keys=$3 ip=${4:-127.0.0.1} key_note=none
    resolve_bins infini-bench
    bench_prechecks "$ip" "$want"
    "${CURL[@]}" "http://$ip:$ROUTER_PORT/models" | grep -q "\"id\":\"$MODEL\"" ||
        warn "the router's /models does not list \"id\":\"$MODEL\""
    bench_dataset "$RESULT_DIR/datasets/multi-prefix-${NUM_PREFIXES}x${PREFIX_LEN}-suffix${SUFFIX_LEN}-n${NUM_REQUESTS}-shuffled.jsonl" \
        gen_multi_prefix
    BENCH_INFINI_ARGS=(--no-cache-key)
    BENCH_VLLM_ARGS=()
    if [ "$keys" = keys ]; then
        BENCH_INFINI_ARGS=(--prompt-cache-key "$CACHE_KEY_PATTERN")
        BENCH_VLLM_ARGS=("${BENCH_INFINI_ARGS[@]}")
        key_note="'$CACHE_KEY_PATTERN'"
    fi
    bench_run "$ip" "$label" "$NUM_REQUESTS requests at $REQUEST_RATE req/s, max_tokens $MAX_TOKENS, prompt_cache_key $key_note"
}
