#!/usr/bin/env bash
# The demo: what cache-aware routing buys on a prefix-heavy workload, end to end on this machine,
# in about two minutes and without a GPU. It installs what is missing
# (scripts/install-deps.sh --bench, for the build tools and gnuplot), builds Release, starts the
# cache-routing case (deployment/cases/cache-routing-validation) with two infini-mock instances
# and validates it, then runs four scenarios on the default multi-prefix workload, each on a
# fresh deployment so that every scenario starts with cold caches: single-instance
# (start-single.sh); round-robin (no key, --policy key-or-rr), cache-routing (prompt_cache_key
# per prefix, key-or-rr) and cache-aware (no key, --policy cache-aware: the router finds the
# prefix itself) on two instances (start-master.sh).
# It prints the comparison (TTFT, throughput, prefix-cache hit rate, requests per instance),
# writes the chart when gnuplot is there, and stops everything, also on error or Ctrl-C. Last it
# prints where the chart, the Grafana dashboard and the Prometheus scrape config are.
# It ends by checking the claims: cache-routing's and cache-aware's mean TTFT <= 0.5 x
# round-robin's (exit 1 if not), and prints cache-aware (no key) against cache-routing (keys).
#
# Usage: scripts/demo.sh
# Env: REGISTRY_PORT ROUTER_PORT MASTER_PORT SLAVE_PORT (18000 8000 8100 8200; all must be free)
#      and the case's workload knobs (REQUEST_RATE NUM_REQUESTS NUM_PREFIXES PREFIX_LEN
#      SUFFIX_LEN MAX_TOKENS CACHE_KEY_PATTERN; see the case's README.md).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CASE=$ROOT/deployment/cases/cache-routing-validation
RUN_ID=$(date +%Y%m%d-%H%M%S)
CLAIM=0.5
RESULT_single_instance="" RESULT_round_robin="" RESULT_cache_routing="" RESULT_cache_aware=""
T0=$(date +%s.%N)

export REGISTRY_PORT=${REGISTRY_PORT:-18000} ROUTER_PORT=${ROUTER_PORT:-8000}
export MASTER_PORT=${MASTER_PORT:-8100} SLAVE_PORT=${SLAVE_PORT:-8200}
export INFINI_BIN_DIR=$ROOT/build/release
export LOG_DIR=$CASE/logs/demo-$RUN_ID
export RESULT_DIR=$CASE/results/demo-$RUN_ID
export CHART=$RESULT_DIR/compare.png
unset MODEL1_DIR VLLM_DIR DATASET_FILE SINGLE_INSTANCE MASTER_CONFIG SLAVE_CONFIG

elapsed() { awk -v t0="$T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.0f", t1 - t0 }'; }
step() { printf '\n==> [%3ss] %s\n' "$(elapsed)" "$*"; }
die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

# quiet LOG CMD...: runs CMD with its output in LOG; on failure shows the tail and fails.
quiet() {
    local logfile=$1
    shift
    if ! "$@" >"$logfile" 2>&1; then
        printf 'demo: %s failed; last lines of %s:\n' "$*" "$logfile" >&2
        tail -n 30 "$logfile" >&2
        return 1
    fi
}

cleanup() {
    if [ -d "$LOG_DIR" ]; then
        "$CASE/stop-all.sh" >>"$LOG_DIR/demo-stop.log" 2>&1 || true
    fi
}
on_signal() {
    printf '\ndemo: interrupted; stopping the deployment\n' >&2
    cleanup
    trap - EXIT
    exit 130
}

# install_deps: the build tools and libraries, and gnuplot for the chart, when missing.
install_deps() {
    local need=0
    for tool in cmake cc pkg-config curl python3 gnuplot; do
        command -v "$tool" >/dev/null || need=1
    done
    pkg-config --exists libuv libcurl libcjson libllhttp 2>/dev/null || need=1
    if [ "$need" = 0 ]; then
        echo "dependencies: all present"
        return 0
    fi
    echo "dependencies: installing (scripts/install-deps.sh --bench)"
    if ! "$ROOT/scripts/install-deps.sh" --bench; then
        if ! pkg-config --exists libuv libcurl libcjson libllhttp 2>/dev/null ||
            ! command -v cmake >/dev/null; then
            die "cannot install the build dependencies (run scripts/install-deps.sh as root)"
        fi
        echo "dependencies: could not install the benchmark tools; continuing without a chart"
    fi
}

build() {
    cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
        >"$LOG_DIR/demo-build.log" 2>&1 || { tail -n 30 "$LOG_DIR/demo-build.log" >&2; exit 1; }
    quiet "$LOG_DIR/demo-build.log" cmake --build "$ROOT/build/release" -j"$(nproc 2>/dev/null || echo 2)"
    echo "build: $INFINI_BIN_DIR (Release)"
}

# check_ports: the demo's ports must be free (a running deployment would be measured instead).
check_ports() {
    local p
    for p in "$REGISTRY_PORT" "$ROUTER_PORT" "$MASTER_PORT" $((MASTER_PORT + 1)) "$SLAVE_PORT" \
        $((SLAVE_PORT + 1)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            die "port $p is in use (another deployment? stop it, or set REGISTRY_PORT ROUTER_PORT MASTER_PORT SLAVE_PORT)"
        fi
    done
}

# deploy single|master [POLICY]: a fresh deployment (logs in LOG_DIR/demo-start-*.log) whose
# router runs POLICY (default the case's: key-or-rr).
deploy() {
    ROUTER_POLICY=${2:-key-or-rr} quiet "$LOG_DIR/demo-start-$1.log" "$CASE/start-$1.sh"
    grep '^deployment up' "$LOG_DIR/demo-start-$1.log"
}

undeploy() { quiet "$LOG_DIR/demo-stop.log" "$CASE/stop-all.sh"; }

# scenario NAME SCRIPT DEPLOYMENT [POLICY]: one benchmark on a fresh deployment; sets
# RESULT_<name>.
scenario() {
    local name=$1 script=$2 kind=$3 policy=${4:-key-or-rr} file
    deploy "$kind" "$policy"
    quiet "$LOG_DIR/demo-$name.log" "$CASE/$script"
    file=$(sed -n 's/^result: //p' "$LOG_DIR/demo-$name.log" | tail -n1)
    [ -f "$file" ] || die "$script wrote no result file"
    printf -v "RESULT_${name//-/_}" '%s' "$file"
    python3 - "$file" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
per = ", ".join("%s %d" % (k, v) for k, v in sorted((r.get("per_instance") or {}).items()))
print("%s: %d/%d ok in %.1f s, mean TTFT %.1f ms, p90 %.1f ms, hit rate %.1f%%, per instance: %s"
      % (r["label"], r["completed"], r["num_prompts"], r["duration"], r["mean_ttft_ms"],
         r["p90_ttft_ms"], 100 * (r["prefix_cache_hit_rate"] or 0), per))
EOF
    undeploy
}

# check_claim: cache-routing's and cache-aware's mean TTFT <= CLAIM x round-robin's.
check_claim() {
    python3 - "$RESULT_round_robin" "$RESULT_cache_routing" "$RESULT_cache_aware" "$CLAIM" <<'EOF'
import json, sys
rr, cr, ca = (json.load(open(p)) for p in sys.argv[1:4])
claim = float(sys.argv[4])
ok = True
for name, r in (("cache-routing", cr), ("cache-aware", ca)):
    ratio = r["mean_ttft_ms"] / rr["mean_ttft_ms"]
    verdict = "MET" if ratio <= claim else "NOT MET"
    ok = ok and ratio <= claim
    print("%-13s mean TTFT %.1f ms / round-robin %.1f ms = %.2fx (claim: <= %.2fx): %s"
          % (name, r["mean_ttft_ms"], rr["mean_ttft_ms"], ratio, claim, verdict))
print("cache-aware (no key) vs cache-routing (keys): mean TTFT %.2fx, hit rate %.2fx"
      % (ca["mean_ttft_ms"] / cr["mean_ttft_ms"],
         (ca["prefix_cache_hit_rate"] or 0) / max(cr["prefix_cache_hit_rate"] or 0, 1e-9)))
sys.exit(0 if ok else 1)
EOF
}

# where: what the demo leaves behind, and how to watch a deployment of the case live.
where() {
    if [ -f "$CHART" ]; then
        printf 'chart: %s\n' "$CHART"
    else
        printf 'chart: none (gnuplot missing); results: %s\n' "$RESULT_DIR"
    fi
    printf 'dashboard: %s (import into Grafana)\n' "$ROOT/deployment/observability/grafana-dashboard.json"
    printf 'scrape config: %s (Prometheus; with rules.yml and targets/ for this case on its default ports)\n' \
        "$ROOT/deployment/observability/prometheus.yml"
}

main() {
    mkdir -p "$LOG_DIR" "$RESULT_DIR"
    trap cleanup EXIT
    trap on_signal INT TERM
    echo "infini-svc demo: prompt_cache_key routing on a prefix-heavy workload (mock instances)"
    echo "logs: $LOG_DIR"
    echo "results: $RESULT_DIR"

    step "dependencies and Release build"
    install_deps
    build
    check_ports

    step "deploy registry + router + 2 mock instances and validate"
    deploy master
    "$CASE/validate.sh" || die "validation failed"
    undeploy

    printf '\nworkload: %s requests at %s req/s (Poisson), each one of %s shared prefixes of %s chars\n' \
        "${NUM_REQUESTS:-160}" "${REQUEST_RATE:-8}" "${NUM_PREFIXES:-16}" "${PREFIX_LEN:-8192}"
    printf '(shuffled) + %s unique chars, %s output tokens, streamed; an instance caches ~10 prefixes\n' \
        "${SUFFIX_LEN:-256}" "${MAX_TOKENS:-32}"
    step "scenario 1/4: single instance, no key (fresh deployment)"
    scenario single-instance bench-single.sh single
    step "scenario 2/4: two instances, round-robin, no key (fresh deployment)"
    scenario round-robin bench-roundrobin.sh master
    step "scenario 3/4: two instances, prompt_cache_key per prefix (fresh deployment)"
    scenario cache-routing bench-cache-routing.sh master
    step "scenario 4/4: two instances, no key, --policy cache-aware (fresh deployment)"
    scenario cache-aware bench-cache-aware.sh master cache-aware

    step "comparison"
    (cd "$RESULT_DIR" && "$CASE/compare-results.sh" "$(basename "$RESULT_single_instance")" \
        "$(basename "$RESULT_round_robin")" "$(basename "$RESULT_cache_routing")" \
        "$(basename "$RESULT_cache_aware")")

    step "claim"
    local rc=0
    check_claim || rc=1
    printf '\ndemo finished in %ss (everything stopped; logs %s)\n' "$(elapsed)" "$LOG_DIR"
    where
    return "$rc"
}

main "$@"
