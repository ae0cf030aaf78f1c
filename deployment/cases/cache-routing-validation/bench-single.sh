#!/usr/bin/env bash
# Benchmark scenario 1, the baseline: one instance (start-single.sh) behind the router, requests
# without prompt_cache_key. Measures what one instance's prefix cache does with a working set
# larger than it holds. Label single-instance; result in RESULT_DIR (results/).
# Usage: bench-single.sh [REGISTRY_IP]; workload knobs in bench-common.sh and README.md.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_main single-instance 1 none "${1:-127.0.0.1}"
