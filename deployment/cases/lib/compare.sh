# The comparison of a deployment case's benchmark results (sourced by the case's compare script,
# never run): which result files to compare, `infini-bench compare` of them (TTFT mean/median/
# p90/p99, TPOT, ITL, E2E, throughput, prefix-cache hit rate, failures; a chart when gnuplot is
# installed), and compare-runs.py for what that table lacks. The labels, the baseline and the
# chart's name stay in the case's script. Needs lib/case.sh.
# shellcheck shell=bash disable=SC2153,SC2154 # CHART: set by the compare script; BIN_*: resolve_bins

# compare_pick HINT LABEL... -- [FILE...]: sets COMPARE_FILES to the FILEs given, else to the
# newest RESULT_DIR result of each LABEL, in that order. With fewer than two it exits 1, saying
# "no results yet" when there are none, and HINT (which benchmarks to run first).
compare_pick() {
    local hint=$1 labels=() label f
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        labels+=("$1")
        shift
    done
    [ $# -eq 0 ] || shift
    COMPARE_FILES=("$@")
    if [ ${#COMPARE_FILES[@]} -eq 0 ]; then
        for label in "${labels[@]}"; do
            f=$(newest_result "$label")
            [ -z "$f" ] || COMPARE_FILES+=("$f")
        done
        [ ${#COMPARE_FILES[@]} -gt 0 ] || die "no results yet in $RESULT_DIR; $hint"
    fi
    [ ${#COMPARE_FILES[@]} -ge 2 ] ||
        die "need at least two result files (found ${#COMPARE_FILES[@]} in $RESULT_DIR); $hint"
}

# compare_table FILE...: `infini-bench compare` of the FILEs, with a chart at CHART unless CHART
# is "none" or gnuplot is missing (then it says so).
compare_table() {
    local chart=()
    resolve_bins infini-bench
    if [ "$CHART" != none ] && command -v gnuplot >/dev/null; then
        chart=(--chart "$CHART")
    elif [ "$CHART" != none ]; then
        log "(no chart: gnuplot is not installed; scripts/install-deps.sh --bench installs it)"
    fi
    "$BIN_infini_bench" compare "$@" "${chart[@]}"
}

# compare_runs ARG...: lib/compare-runs.py (per-instance requests, TTFT by request size, mean
# TTFT against a baseline run; see its usage).
compare_runs() { python3 "$CASE_LIB_DIR/compare-runs.py" "$@"; }
