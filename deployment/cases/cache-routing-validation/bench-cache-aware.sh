#!/usr/bin/env bash
# Benchmark scenario 4: two instances (start with ROUTER_POLICY=cache-aware start-master.sh) and
# requests without prompt_cache_key, as most clients send them: the router finds each prompt's
# prefix in its own index and sends it to the instance that holds it (estimated time to first
# token), so no client change is needed for what scenario 3 gets with keys. Label cache-aware;
# result in RESULT_DIR (results/).
# Usage: bench-cache-aware.sh [REGISTRY_IP]; workload knobs in bench-common.sh and README.md.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_main cache-aware 2 none "${1:-127.0.0.1}"
