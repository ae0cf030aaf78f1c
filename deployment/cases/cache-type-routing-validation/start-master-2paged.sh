#!/usr/bin/env bash
# Starts the baseline of the cache-type routing case: registry, router (round-robin, policy
# key-or-rr) and two paged instances, paged-cache-9g_8b_thinking (:8100) and
# paged-cache-9g_8b_thinking-2 (:8300), so that bench-2paged.sh measures the same workload
# without size routing. Same arguments and environment as start-master.sh; stop with
# stop-all.sh.
set -euo pipefail
DEPLOYMENT=2paged exec "$(dirname "$0")/start-master.sh" "$@"
