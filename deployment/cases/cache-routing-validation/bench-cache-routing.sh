#!/usr/bin/env bash
# Benchmark scenario 3: two instances (start-master.sh) and requests carrying prompt_cache_key
# CACHE_KEY_PATTERN (default bench_key_{prefix_id}: one key per shared prefix), so the router's
# consistent hash sends each prefix to one instance and each cache holds only its half of the
# prefixes. Label cache-routing; result in RESULT_DIR (results/).
# Usage: bench-cache-routing.sh [REGISTRY_IP]; workload knobs in bench-common.sh and README.md.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_main cache-routing 2 keys "${1:-127.0.0.1}"
