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
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bin=${INFINI_BIN_DIR:-build/release}
if [ -z "${INFINI_BIN_DIR:-}" ]; then
    if [ ! -x "$bin/router/infini-router" ]; then
        cmake -S . -B "$bin" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    fi
    cmake --build "$bin" -j"$(nproc 2>/dev/null || echo 2)" \
        --target infini-registry infini-router infini-babysitter infini-mock >/dev/null
fi
exec python3 scripts/fault_suite.py "$bin" "$@"
