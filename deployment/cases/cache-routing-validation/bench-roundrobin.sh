#!/usr/bin/env bash
# Benchmark scenario 2: two instances (start-master.sh) and requests without prompt_cache_key,
# so the router spreads them round-robin and every instance sees every prefix. Twice the
# compute of scenario 1, but each cache still holds fewer prefixes than the workload cycles
# through. Label round-robin; result in RESULT_DIR (results/).
# Usage: bench-roundrobin.sh [REGISTRY_IP]; workload knobs in bench-common.sh and README.md.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_main round-robin 2 none "${1:-127.0.0.1}"
