#!/usr/bin/env bash
# Benchmarks infini-registry (a benchmark, not a test): starts a release build on a free
# loopback port with the access log off, registers N services, then runs wrk against heartbeats
# (POST /services/svc-<i>/heartbeat, rotating over the N names) and against GET /services, and
# prints requests/s, p50/p99 latency and the registry's RSS (VmRSS) after loading and after the
# runs (VmRSS and its private/mapped-file split). Targets (DESIGN.md): >= 20,000 heartbeats/s with 1,000 records at 64 connections; RSS
# <= 10 MB with 1,000 records.
# Usage: scripts/bench-registry.sh            (env: N=1000 CONNS=64 THREADS=1 DURATION=10s
#                                              BUILD_DIR=build/release)
# Needs wrk (scripts/install-deps.sh --bench) and python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_NAME=bench-registry
# shellcheck source=scripts/lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
BUILD_DIR=${BUILD_DIR:-$ROOT/build/release}
N=${N:-1000}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1} # 2 cores: one for wrk, one for the single-threaded registry
DURATION=${DURATION:-10s}

command -v wrk >/dev/null || die "wrk not found; run scripts/install-deps.sh --bench"
BIN=$BUILD_DIR/registry/infini-registry
tmp=$(mktemp -d)
work=$tmp pids=()
trap bench_cleanup EXIT
[ -f "$BUILD_DIR/CMakeCache.txt" ] || echo "bench-registry: configuring a release build in $BUILD_DIR"
bench_build "$BUILD_DIR" "$tmp/build.log" infini-registry

# Probe sweeps would only add noise (the registered ports do not exist): push them out.
# --registration-rate 0: loading N records at once is this benchmark's set-up, not the flood the
# default limit (50/s, bursts of 500) is there to refuse.
"$BIN" --bind 127.0.0.1 --port 0 --port-file "$tmp/port" --access-log off --log-level warn \
    --health-interval 3600 --registration-rate 0 >"$tmp/registry.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_port_file "$tmp/port" "$pid" ||
    { echo "bench-registry: registry did not start" >&2; cat "$tmp/registry.log" >&2; exit 1; }
port=$(cat "$tmp/port")
url="http://127.0.0.1:$port"

# VmRSS, split into private memory (RssAnon) and mapped files (RssFile: mostly the shared
# libraries; libcurl with its TLS stacks alone maps ~8 MB of them).
rss() {
    awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} /^RssFile/ {f = $2}
         END {printf "VmRSS %d kB (RssAnon %d kB private, RssFile %d kB mapped files)\n", r, a, f}' \
        "/proc/$pid/status"
}

python3 - "$port" "$N" <<'EOF'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for i in range(n):
    body = json.dumps({"name": "svc-%d" % i, "host": "10.0.%d.%d" % (i // 250, i % 250),
                       "port": 8100, "hostname": "node-%d" % i, "url": "http://10.0.0.1:8100",
                       "status": "running",
                       "metadata": {"type": "openai-api", "models": ["model-%d" % (i % 8)],
                                    "babysitter": "enhanced", "parent_service": "bs-%d" % i}})
    conn.request("POST", "/services", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("registration %d failed: %d" % (i, r.status))
EOF
echo "registry pid=$pid port=$port records=$N"
echo "RSS after loading $N records: $(rss)"

cat >"$tmp/heartbeat.lua" <<EOF
local n = $N
local i = 0
request = function()
    i = i + 1
    return wrk.format("POST", "/services/svc-" .. (i % n) .. "/heartbeat")
end
EOF

run() {
    local label=$1
    shift
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" >"$tmp/wrk.out"
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.out")
    errors=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk.out")
    printf '%-34s %10s req/s   p50 %-9s p99 %-9s\n' "$label" "$rps" "$p50" "$p99"
    [ -z "$errors" ] || echo "  $errors"
}

echo "wrk -t$THREADS -c$CONNS -d$DURATION"
run "POST /services/:name/heartbeat" -s "$tmp/heartbeat.lua" "$url"
run "GET /services ($N records)" "$url/services"
echo "RSS after the runs: $(rss)"
