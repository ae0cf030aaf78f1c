#!/usr/bin/env bash
# Starts the single-instance variant of the cache-routing case: registry, router and the master
# instance only (the baseline of bench-single.sh). Same arguments and environment as
# start-master.sh; stop with stop-all.sh.
set -euo pipefail
SINGLE_INSTANCE=true exec "$(dirname "$0")/start-master.sh" "$@"
