#!/usr/bin/env bash
# Router overhead benchmark (a benchmark, not a test). One run, same machine, interleaved rounds:
#   part 1: small non-streaming chat requests (wrk) sent directly to a canned nginx backend and
#           through infini-router, HAProxy (round-robin) and nginx (round-robin), at 1 and 64
#           connections; prints median req/s, p50/p99, latency added over direct, and ratios to
#           HAProxy.
#   part 2: infini-router with 100 instances and 1,000 requests in flight: the backend is
#           infini-mock answering every request after a fixed wait; the 100 instances are 100
#           names for that one mock so that direct and routed traffic meet the same server. p99
#           added over direct; router RSS. Two backends:
#           - waits of 500 ms +/- 250 ms (1,000 in flight is then ~2,000 req/s, spread over
#             time): the target's condition. A fixed wait would make wrk's 1,000 connections,
#             all opened at once, finish and resend in lockstep: every 500 ms a burst of 1,000
#             requests at the same instant, whose last one waits for the 999 before it in any
#             single-threaded proxy (and in the mock: the burst drain is measured, not the
#             routing). Real LLM requests do not end together, nor do their clients start
#             together: each connection's first request is sent after a random 0-500 ms.
#           - a fixed 50 ms (~20,000 req/s): a stress figure. On a 2-core machine wrk, the mock
#             and the router then compete for the cores, so its p99 measures CPU contention
#             and lockstep bursts as well; the router's own CPU share is printed next to it.
#           Both paths are warmed first, so the 1,000 client and upstream connects are not
#           measured.
# Every proxy runs one worker/thread, like infini-router, so the comparison is per core.
# Figures are medians over the rounds, with the range (min..max) of the ratios and of the added
# p99: these machines are shared and noisy; quote the spread.
# Usage: scripts/bench-router.sh [ROUNDS (default 3)]   Env: DURATION (s per run, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_NAME=bench-router
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh
ROUNDS=${1:-3}
DURATION=${DURATION:-5}
scripts/install-deps.sh --bench >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d /tmp/bench-router.XXXXXX)
pids=()
trap bench_cleanup EXIT

build=build/bench-release
bench_build "$build" "$work/build.log" infini-router infini-mock

canned='{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"model-1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}'

# ---------------------------------------------------------------- backends: canned nginx
B1=$(free_port); B2=$(free_port)
mkdir -p "$work/nginx-backend"
cat >"$work/nginx-backend/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx-backend/nginx.pid;
error_log $work/nginx-backend/error.log warn;
events { worker_connections 8000; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$B1;
        listen 127.0.0.1:$B2;
        location / { default_type application/json; return 200 '$canned'; }
    }
}
EOF
nginx -p "$work/nginx-backend" -c "$work/nginx-backend/nginx.conf" -g 'daemon off;' &
pids+=($!)
wait_port "$B1"

# ---------------------------------------------------------------- proxies
R=$(free_port); H=$(free_port); N=$(free_port); R100=$(free_port)
cat >"$work/static.json" <<EOF
{"services":[
 {"name":"b1","host":"127.0.0.1","port":$B1,"metadata":{"type":"openai-api","models":["model-1"]}},
 {"name":"b2","host":"127.0.0.1","port":$B2,"metadata":{"type":"openai-api","models":["model-1"]}}]}
EOF
M=$(free_port); M500=$(free_port); R100S=$(free_port)
for wait_port_ms in "$M:50:0" "$M500:500:250"; do
    IFS=: read -r port wait jitter <<<"$wait_port_ms"
    "$build/tools/mock/infini-mock" --bind 127.0.0.1 --port "$port" --stall-ms "$wait" \
        --stall-jitter-ms "$jitter" --max-batch 100000 --prefill-tok-per-s 1e12 \
        --decode-ms-per-token 0 --log-level warn --access-log off &
    pids+=($!)
done
for f in "static100:$M" "static100s:$M500"; do
    python3 - "$work/${f%%:*}.json" "${f#*:}" <<'EOF'
import json, sys
items = [{"name": "inst-%03d" % i, "host": "127.0.0.1", "port": int(sys.argv[2]),
          "metadata": {"type": "openai-api", "models": ["model-1"]}} for i in range(100)]
json.dump({"services": items}, open(sys.argv[1], "w"))
EOF
done
router_flags=(--bind 127.0.0.1 --access-log off --log-level warn --health-interval 3600)
"$build/router/infini-router" "${router_flags[@]}" --port "$R" --static-services "$work/static.json" &
pids+=($!); ROUTER_PID=$!
"$build/router/infini-router" "${router_flags[@]}" --port "$R100" --static-services "$work/static100.json" &
pids+=($!); ROUTER100_PID=$!
"$build/router/infini-router" "${router_flags[@]}" --port "$R100S" --static-services "$work/static100s.json" &
pids+=($!); ROUTER100S_PID=$!

cat >"$work/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    http-reuse always
frontend fe
    bind 127.0.0.1:$H
    default_backend be
backend be
    balance roundrobin
    server b1 127.0.0.1:$B1
    server b2 127.0.0.1:$B2
EOF
haproxy -f "$work/haproxy.cfg" -db &
pids+=($!)

mkdir -p "$work/nginx-proxy"
cat >"$work/nginx-proxy/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx-proxy/nginx.pid;
error_log $work/nginx-proxy/error.log warn;
events { worker_connections 8000; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream be { server 127.0.0.1:$B1; server 127.0.0.1:$B2; keepalive 256; }
    server {
        listen 127.0.0.1:$N;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
nginx -p "$work/nginx-proxy" -c "$work/nginx-proxy/nginx.conf" -g 'daemon off;' &
pids+=($!)
for p in "$R" "$H" "$N" "$R100" "$R100S" "$M" "$M500"; do wait_port "$p"; done

cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"model":"model-1","messages":[{"role":"user","content":"Hello"}],"max_tokens":1}'
wrk.headers["Content-Type"] = "application/json"
EOF
# wrk opens all its connections at once and sends their first requests together: with 1,000
# connections that is a burst of 1,000 requests in one instant, whose last one waits behind the
# 999 before it in any single-threaded proxy. Clients of a real fleet do not start in step, so
# the 500 +/- 250 ms runs spread each connection's first request over one backend wait.
{ cat "$work/post.lua"; cat <<'EOF'
local sent = 0
function delay()
    sent = sent + 1
    if sent <= 1000 then return math.random(0, 500) end
    return 0
end
EOF
} >"$work/stagger.lua"

# run NAME PORT CONNS DURATION [THREADS [SCRIPT]] -> appends "round name conns rps p50_ms p99_ms"
# to results
run() {
    local out threads=${5:-$([ "$3" -ge 64 ] && echo 2 || echo 1)} script=${6:-post}
    out=$(wrk -t"$threads" -c"$3" -d"$4"s --latency \
        -s "$work/$script.lua" "http://127.0.0.1:$2/v1/chat/completions" 2>&1)
    if ! grep -q "Requests/sec" <<<"$out" || grep -q "Non-2xx" <<<"$out"; then
        echo "wrk against $1 failed:" >&2
        echo "$out" >&2
        exit 1
    fi
    python3 - "$1" "$3" "$out" "${round:-0}" >>"$work/results" <<'EOF'
import re, sys
name, conns, out, rnd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def ms(v):
    n, u = float(re.match(r"[\d.]+", v).group()), re.sub(r"[\d.]", "", v)
    return n * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
print(rnd, name, conns, rps, p50, p99)
EOF
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Warm every path (connections, pools) before measuring: the 1,000-connection paths too, so
# that their client and upstream connects are not in the figures.
for t in "direct:$B1" "router:$R" "haproxy:$H" "nginx:$N"; do run "warm" "${t#*:}" 64 1; done
for t in "$M" "$R100" "$M500" "$R100S"; do run "warm" "$t" 1000 2 1; done
: >"$work/results"
: >"$work/cpu"
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round/$ROUNDS ..." >&2
    for t in "direct:$B1" "router:$R" "haproxy:$H" "nginx:$N"; do
        run "${t%%:*}" "${t#*:}" 64 "$DURATION"
        run "${t%%:*}" "${t#*:}" 1 "$DURATION"
    done
    run "direct-100s" "$M500" 1000 "$DURATION" 1 stagger
    run "router-100s" "$R100S" 1000 "$DURATION" 1 stagger
    run "direct-100" "$M" 1000 "$DURATION"
    c0=$(cpu_ticks "$ROUTER100_PID")
    run "router-100" "$R100" 1000 "$DURATION"
    echo "$(( $(cpu_ticks "$ROUTER100_PID") - c0 ))" >>"$work/cpu"
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

python3 - "$work/results" "$(rss "$ROUTER_PID")" "$(rss "$ROUTER100_PID")" "$ROUNDS" "$DURATION" \
    "$work/cpu" "$(getconf CLK_TCK)" "$(rss "$ROUTER100S_PID")" <<'EOF'
import statistics, sys
rows = [l.split()[1:] for l in open(sys.argv[1])]
rounds = {}
for l in open(sys.argv[1]):
    f = l.split()
    rounds.setdefault(f[0], {})[(f[1], f[2])] = [float(x) for x in f[3:]]
def med(name, conns, col):
    vals = [float(r[col]) for r in rows if r[0] == name and r[1] == str(conns)]
    return statistics.median(vals)
def per_round(fn):
    """fn(round's figures) over every round: (median, min, max)."""
    vals = [fn(r) for r in rounds.values()]
    return statistics.median(vals), min(vals), max(vals)
print("\ninfini-router vs HAProxy 2.6 vs nginx (one worker each), canned nginx backend,")
print("small POST /v1/chat/completions, wrk, median of %s interleaved rounds x %ss\n"
      % (sys.argv[4], sys.argv[5]))
print("%-10s %6s %12s %10s %10s %12s" % ("target", "conns", "req/s", "p50 ms", "p99 ms",
                                          "added p50"))
for conns in (64, 1):
    d50 = med("direct", conns, 3)
    for name in ("direct", "router", "haproxy", "nginx"):
        print("%-10s %6d %12.0f %10.3f %10.3f %12s" % (
            name, conns, med(name, conns, 2), med(name, conns, 3), med(name, conns, 4),
            "-" if name == "direct" else "%.3f ms" % (med(name, conns, 3) - d50)))
rh = per_round(lambda r: r[("router", "64")][0] / r[("haproxy", "64")][0])
rn = per_round(lambda r: r[("router", "64")][0] / r[("nginx", "64")][0])
ar = per_round(lambda r: r[("router", "1")][1] - r[("direct", "1")][1])
ah = per_round(lambda r: r[("haproxy", "1")][1] - r[("direct", "1")][1])
print("\nper round: median (min..max) over %d rounds" % len(rounds))
print("router/haproxy req/s at 64 conns: %.2f (%.2f..%.2f)   (target >= 1.0)" % rh)
print("router/nginx   req/s at 64 conns: %.2f (%.2f..%.2f)   (target >= 1.0)" % rn)
print("added p50 at 1 conn: router %.3f ms (%.3f..%.3f), haproxy %.3f ms (%.3f..%.3f)"
      "   (target: router <= haproxy)" % (ar + ah))
slow = per_round(lambda r: r[("router-100s", "1000")][2] - r[("direct-100s", "1000")][2])
print("100 instances, 1000 in flight, 500 +/- 250 ms backend (~%.0f req/s): added p99 %.2f ms "
      "(%.2f..%.2f)   (target <= 5 ms)" % ((med("router-100s", 1000, 2),) + slow))
fast = per_round(lambda r: r[("router-100", "1000")][2] - r[("direct-100", "1000")][2])
ticks = [int(l) for l in open(sys.argv[6])]
share = statistics.median(ticks) / float(sys.argv[7]) / float(sys.argv[5])
print("100 instances, 1000 in flight, 50 ms backend (~%.0f req/s, stress): added p99 %.2f ms "
      "(%.2f..%.2f); the router used %.0f%% of a core meanwhile, beside wrk and the mock"
      % ((med("router-100", 1000, 2),) + fast + (100 * share,)))
print("router RSS: %.1f MB (2 instances), %.1f MB / %.1f MB (100 instances, after 1000 conns at "
      "50 / 500 ms)   (target <= 16 MB)" % (int(sys.argv[2]) / 1024, int(sys.argv[3]) / 1024,
                                            int(sys.argv[8]) / 1024))
EOF
