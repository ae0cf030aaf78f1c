#!/usr/bin/env bash
# Benchmark of the baseline: two paged instances under round-robin (start-master-2paged.sh),
# the same large-context dataset and load as bench-size-based-routing.sh, so the two results
# compare. Label 2paged-round-robin; result in RESULT_DIR (results/).
# Usage: bench-2paged.sh [REGISTRY_IP]; workload knobs in bench-common.sh and README.md.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_main 2paged-round-robin 2paged "${1:-127.0.0.1}"
