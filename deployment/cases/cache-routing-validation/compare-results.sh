#!/usr/bin/env bash
# Compares benchmark result files side by side: `infini-bench compare` (TTFT mean/median/p90/
# p99, TPOT, ITL, E2E, throughput, prefix-cache hit rate, failures; a chart when gnuplot is
# installed), then what that table lacks: the requests each instance served per run and, when
# present, cache-routing's and cache-aware's mean TTFT as fractions of round-robin's.
# Usage: compare-results.sh [FILE...]   (default: the newest single-instance, round-robin,
#        cache-routing and cache-aware results in RESULT_DIR, in that order)
# Env: RESULT_DIR (results/), CHART (RESULT_DIR/compare.png; "none" for no chart), INFINI_BIN_DIR
# Exit status: 0 when compared; 1 when there are fewer than two result files ("no results yet"
# when RESULT_DIR holds none or does not exist) or a step failed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/compare.sh
source "$CASE_LIB_DIR/compare.sh"

CHART=${CHART:-$RESULT_DIR/compare.png}

compare_pick "run the bench-*.sh scripts first" \
    single-instance round-robin cache-routing cache-aware -- "$@"
compare_table "${COMPARE_FILES[@]}"
compare_runs --baseline round-robin --versus cache-routing --versus cache-aware \
    "${COMPARE_FILES[@]}"
