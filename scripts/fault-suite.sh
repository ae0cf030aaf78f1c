#!/usr/bin/env bash
# Fault suite (a benchmark, not a test): runs the daemons under load and injects one fault per
# scenario — registry kill -9 and restart, SIGSTOP of a model server, SIGKILL of a model server
# with streams in flight, SIGKILL of a babysitter, 10,100 idle + 1,000 slow-body connections,
# ten concurrent 60 MB bodies through the router — and prints, for each, the requests that
# failed, the time until the faulted instance left the router's rotation and came back, and
# peak RSS. The scenarios are in scripts/fault_suite.py (Python 3 standard library).
# Usage: scripts/fault-suite.sh [SCENARIO ...]   (default: all; names as printed)
# Env: INFINI_BIN_DIR (default: build/release, built here when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_NAME=fault-suite
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bin=${INFINI_BIN_DIR:-build/release}
if [ -z "${INFINI_BIN_DIR:-}" ]; then
    mkdir -p "$bin"
    bench_build "$bin" "$bin/fault-suite-build.log" \
        infini-registry infini-router infini-babysitter infini-mock
fi
exec python3 scripts/fault_suite.py "$bin" "$@"
