#!/usr/bin/env bash
# Benchmark of size-based routing: the paged and static instances (start-master.sh), the
# large-context dataset (one conversation in NUM_CONVERSATIONS opens with LARGE_CONTEXT_LEN
# characters, so its requests exceed the routing threshold and go to the static instance; the
# others go to the paged one), at REQUEST_RATE with at most MAX_CONCURRENCY in flight. Label
# size-based-routing; result in RESULT_DIR (results/).
# Usage: bench-size-based-routing.sh [REGISTRY_IP]; workload knobs in bench-common.sh and
#        README.md.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_main size-based-routing size-based "${1:-127.0.0.1}"
