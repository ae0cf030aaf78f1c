#!/usr/bin/env bash
# Throughput benchmark of infini-mock (a benchmark, not a test): builds it in Release, starts it
# with a zero-delay engine on a free port, runs wrk with keep-alive connections POSTing a small
# non-streaming chat completion (max_tokens 1), and prints requests/s, p50/p99 latency, the
# server's CPU time per request and its RSS. Stops the server by PID.
# Environment: BUILD (build dir, default build/mock-rel), DURATION (10s), CONNS (64), THREADS (1),
# NO_BUILD=1 to skip the build. Needs wrk (scripts/install-deps.sh --bench).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_NAME=bench-mock
# shellcheck source=scripts/lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
BUILD=${BUILD:-$ROOT/build/mock-rel}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}

command -v wrk >/dev/null || die "wrk not found (scripts/install-deps.sh --bench installs it)"
tmp=$(mktemp -d)
work=$tmp pids=()
trap bench_cleanup EXIT
if [ "${NO_BUILD:-0}" != 1 ]; then
    bench_build "$BUILD" "$tmp/build.log" infini-mock
fi
MOCK=$BUILD/tools/mock/infini-mock

"$MOCK" --bind 127.0.0.1 --port 0 --port-file "$tmp/port" --prefill-tok-per-s 1e12 \
    --decode-ms-per-token 0 --max-batch 1024 --access-log off --log-level warn \
    >"$tmp/mock.log" 2>&1 &
pid=$!
pids+=("$pid")
if ! wait_port_file "$tmp/port" "$pid"; then
    echo "bench-mock: infini-mock did not start:" >&2
    cat "$tmp/mock.log" >&2
    exit 1
fi
port=$(cat "$tmp/port")

cat >"$tmp/chat.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"model-1","messages":[{"role":"user","content":"Say hello."}],"max_tokens":1}'
EOF

# Server CPU time (user + system, clock ticks) from /proc/<pid>/stat.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# Warm-up (connections, allocator, page cache), then the measured run.
wrk -t1 -c"$CONNS" -d1s -s "$tmp/chat.lua" "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
cpu0=$(cpu_ticks)
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$tmp/chat.lua" \
    "http://127.0.0.1:$port/v1/chat/completions" >"$tmp/wrk.txt"
cpu1=$(cpu_ticks)

rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.txt")
total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
errors=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk.txt")
rss=$(awk '/^VmRSS:/ {print $2 " " $3}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM:/ {print $2 " " $3}' "/proc/$pid/status")
hz=$(getconf CLK_TCK)
us_per_req=$(awk -v d=$((cpu1 - cpu0)) -v n="$total" -v hz="$hz" \
    'BEGIN { if (n > 0) printf "%.2f", d * 1e6 / hz / n; else print "n/a" }')

echo "infini-mock throughput: wrk -t$THREADS -c$CONNS -d$DURATION, POST /v1/chat/completions (max_tokens 1)"
echo "requests/s:        $rps ($total requests)"
echo "latency p50 / p99: $p50 / $p99"
echo "server CPU:        $us_per_req us/request"
echo "server RSS:        $rss (peak $hwm)"
if [ -n "$errors" ]; then
    echo "errors:            $errors"
fi
