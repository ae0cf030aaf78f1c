#!/usr/bin/env bash
# Compares the size-based routing run with the 2-paged round-robin run (the reference's
# compare-cache-types.py and compare-routing-strategies.py in one): `infini-bench compare`
# (TTFT mean/median/p90/p99, TPOT, ITL, E2E, throughput, prefix-cache hit rate, failures; a
# chart when gnuplot is installed), then what that table lacks: the requests each instance
# served, TTFT of the small and the large requests apart (large = more input tokens than the
# routing threshold's bytes / 4, about 4 characters per token), and size-based routing's mean
# TTFT as a fraction of the baseline's.
# Usage: compare-cache-types.sh [FILE...]   (default: the newest size-based-routing and
#        2paged-round-robin results in RESULT_DIR, in that order)
# Env: RESULT_DIR (results/), CHART (RESULT_DIR/compare-cache-types.png; "none" for no chart),
#      CACHE_TYPE_ROUTING_THRESHOLD (51200), INFINI_BIN_DIR
# Exit status: 0 when compared; 1 when there are fewer than two result files ("no results yet"
# when RESULT_DIR holds none or does not exist) or a step failed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/compare.sh
source "$CASE_LIB_DIR/compare.sh"

CHART=${CHART:-$RESULT_DIR/compare-cache-types.png}

compare_pick "run bench-size-based-routing.sh and bench-2paged.sh first" \
    size-based-routing 2paged-round-robin -- "$@"
compare_table "${COMPARE_FILES[@]}"
compare_runs --size-threshold "$ROUTING_THRESHOLD" --baseline 2paged-round-robin \
    --versus size-based-routing "${COMPARE_FILES[@]}"
