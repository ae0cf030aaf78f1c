#!/usr/bin/env bash
# Cache-aware routing benchmark (a benchmark, not a test; DESIGN.md §7, issue #8 part 4). Each
# workload runs once per routing set-up, each run on fresh infini-mock instances (cold caches)
# behind a fresh infini-router with --static-services:
#   cache-aware     --policy cache-aware, no prompt_cache_key (the router finds the prefix)
#   key-or-rr+keys  --policy key-or-rr with the key a client would send (prefix group or
#                   conversation id): bounded-load consistent hashing
#   key-or-rr       --policy key-or-rr without keys: round-robin
#   least-load      --policy least-load, no keys
# Workloads (the mocks prefill 8000 tokens/s, decode 5 ms/token; 4 bytes per token; each
# instance's cache holds only part of the working set):
#   multi-prefix   16 prefixes x 8 KB shuffled, 2 instances of 1400 blocks (~10 prefixes), 8 req/s
#   conversations  infini-bench conversations: 48 conversations x 8 turns, 4 instances of 2400
#                  blocks (~1/6 of all history), 12 req/s, key conv_<id>
#   trace          a replayed Mooncake-format trace made by `infini-bench gen --kind trace`: 64
#                  conversations x 6 turns under 16 shared system prompts, 4 instances of 3000
#                  blocks, 12 req/s, key = the conversation (first hash id)
#   unique         prompts that share nothing (multi-prefix with one prefix per prompt), 4
#                  instances, 12 req/s
#   hot-prefix     9 prefixes, prefix 0 takes 3/4 of 60 req/s = 45 req/s, about twice what one
#                  instance serves (batch 4 x ~170 ms per request), 4 instances
# Prints one table per workload (mean/P90 TTFT, prefix-cache hit rate from the responses'
# cached_tokens, requests per instance) and the ratios the targets name, with PASS/FAIL. Saves
# the datasets, the infini-bench JSON results and logs under the results directory. A set-up the
# router refuses (e.g. --policy cache-aware before it exists) is reported and skipped. Exits
# non-zero only on errors (a build, start-up or run failure), never on a missed target.
#
# Usage: scripts/bench-cache-aware.sh [--workloads LIST] [--setups LIST] [--quick]
#            [--build-dir DIR] [--no-build] [--results DIR]
#        scripts/bench-cache-aware.sh --summary-only --results DIR   (tables of an earlier run)
#   --workloads  comma-separated, default multi-prefix,conversations,trace,unique,hot-prefix
#   --setups     comma-separated, default cache-aware,key-or-rr+keys,key-or-rr,least-load
#   --quick      about 10 s per run instead of 20-35 s (smaller datasets, smaller caches)
#   --build-dir  where the binaries are (built there in Release unless --no-build);
#                default build/release
#   --results    default <build-dir>/bench-cache-aware/<date-time>
# Needs python3 (scripts/install-deps.sh). Ports are chosen by the OS (--port 0 --port-file).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_NAME=bench-cache-aware
# shellcheck source=scripts/lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
WORKLOADS=multi-prefix,conversations,trace,unique,hot-prefix
SETUPS=cache-aware,key-or-rr+keys,key-or-rr,least-load
QUICK=0
BUILD=$ROOT/build/release
NO_BUILD=0
RESULTS=""
SUMMARY_ONLY=0

bench_args "$@"
bench_check_list workload "$WORKLOADS" multi-prefix conversations trace unique hot-prefix
bench_check_list set-up "$SETUPS" cache-aware key-or-rr+keys key-or-rr least-load
bench_init

# ---------------------------------------------------------------- workloads

# workload NAME: sets DESC NINST KV BATCH DATASET KIND SERVE_ARGS KEY for NAME, generating its
# dataset (once) under $RESULTS/datasets.
workload() {
    local name=$1 ds=$RESULTS/datasets n c t
    mkdir -p "$ds"
    DATASET=$ds/$name.jsonl KIND="" BATCH=16
    case $name in
    multi-prefix)
        n=$(pick 96 160)
        NINST=2 KV=1400 KEY='bench_key_{prefix_id}'
        SERVE_ARGS=(--request-rate 8 --max-tokens 32)
        DESC="16 prefixes x 8 KB (shuffled) + 256 B, $n requests at 8/s, 2 instances x 1400 blocks"
        gen_once "$DATASET" --kind multi-prefix --num-prompts "$n" --num-prefixes 16 \
            --prefix-len 8192 --suffix-len 256 --shuffle
        ;;
    conversations)
        c=$(pick 24 48) t=$(pick 6 8)
        NINST=4 KV=$(pick 900 2400) KEY='conv_{conversation_id}'
        SERVE_ARGS=(--request-rate 12 --max-tokens 32)
        DESC="$c conversations x $t turns (2 KB messages and replies, 256 B follow-ups), 12/s, 4 instances x $KV blocks"
        gen_once "$DATASET" --kind conversations --num-conversations "$c" \
            --messages-per-conv "$t" --context-len 2048 --new-msg-len 256
        ;;
    trace)
        c=$(pick 32 64) t=$(pick 5 6)
        NINST=4 KV=$(pick 1200 3000) KIND=trace KEY='conv_{conversation_id}'
        SERVE_ARGS=(--max-output-tokens 32)
        DESC="Mooncake-format trace: $c conversations x $t turns under 16 system prompts of 1024 tokens, 12/s, 4 instances x $KV blocks"
        gen_once "$DATASET" --kind trace --num-conversations "$c" --messages-per-conv "$t" \
            --num-prefixes 16 --prefix-len 4096 --context-len 2048 --new-msg-len 512 \
            --request-rate 12
        ;;
    unique)
        n=$(pick 120 240)
        NINST=4 KV=2400 KEY='bench_key_{prefix_id}'
        SERVE_ARGS=(--request-rate 12 --max-tokens 32)
        DESC="$n prompts of 4 KB sharing nothing, 12/s, 4 instances"
        gen_once "$DATASET" --kind multi-prefix --num-prompts "$n" --num-prefixes "$n" \
            --prefix-len 4096 --suffix-len 64
        ;;
    hot-prefix)
        n=$(pick 600 1500)
        NINST=4 KV=1400 BATCH=4 KEY='bench_key_{prefix_id}'
        SERVE_ARGS=(--request-rate 60 --max-tokens 32)
        DESC="9 prefixes x 8 KB, prefix 0 takes 3/4 of $n requests at 60/s (~2x one instance), 4 instances of batch 4"
        gen_once "$DATASET" --kind multi-prefix --num-prompts "$n" --num-prefixes 9 \
            --prefix-len 8192 --suffix-len 256 --hot-share 0.75 --shuffle
        ;;
    esac
}

# ---------------------------------------------------------------- one run

# run_one WORKLOAD SETUP: fresh mocks and router, one infini-bench run; records the outcome in
# $RESULTS/runs.tsv (ok <result file> | refused | error).
run_one() {
    local w=$1 setup=$2
    local run=$work/$w-$setup policy keyargs=() run_pids=() i p log
    mkdir -p "$run" "$RESULTS/$w"
    log=$RESULTS/$w/$setup.log
    case $setup in
    cache-aware) policy=cache-aware keyargs=(--no-cache-key) ;;
    key-or-rr+keys) policy=key-or-rr keyargs=(--prompt-cache-key "$KEY") ;;
    key-or-rr) policy=key-or-rr keyargs=(--no-cache-key) ;;
    least-load) policy=least-load keyargs=(--no-cache-key) ;;
    esac
    : >"$log"
    local services=""
    for i in $(seq "$NINST"); do
        "$MOCK" --bind 127.0.0.1 --port 0 --port-file "$run/mock-$i.port" --name "mock-$i" \
            --models model-1 --kv-blocks "$KV" --max-batch "$BATCH" --block-size 16 \
            --prefill-tok-per-s 8000 --decode-ms-per-token 5 --log-level warn \
            --access-log off >"$run/mock-$i.log" 2>&1 &
        p=$!
        pids+=("$p")
        run_pids+=("$p")
        if ! wait_port_file "$run/mock-$i.port" "$p"; then
            cat "$run/mock-$i.log" >>"$log"
            stop_pids "${run_pids[@]}"
            printf '%s\t%s\terror\tmock-%s did not start\n' "$w" "$setup" "$i" >>"$RESULTS/runs.tsv"
            return 1
        fi
        services+="${services:+,}{\"name\":\"mock-$i\",\"host\":\"127.0.0.1\",\"port\":$(cat "$run/mock-$i.port"),\"metadata\":{\"type\":\"openai-api\",\"models\":[\"model-1\"]}}"
    done
    echo "{\"services\":[$services]}" >"$run/static.json"
    # shellcheck disable=SC2086 # ROUTER_EXTRA is a list of flags
    "$ROUTER" --bind 127.0.0.1 --router-port 0 --port-file "$run/router.port" \
        --static-services "$run/static.json" --policy "$policy" --access-log off ${ROUTER_EXTRA:-} \
        --log-level warn >"$run/router.log" 2>&1 &
    p=$!
    pids+=("$p")
    run_pids+=("$p")
    if ! wait_port_file "$run/router.port" "$p"; then
        cat "$run/router.log" >>"$log"
        stop_pids "${run_pids[@]}"
        if grep -qF -- "--policy:" "$run/router.log"; then
            printf '%s\t%s\trefused\t%s\n' "$w" "$setup" "$(head -c 200 "$run/router.log" | tr '\t\n' '  ')" >>"$RESULTS/runs.tsv"
            echo "  $setup: the router refused --policy $policy; skipped"
            return 0
        fi
        printf '%s\t%s\terror\trouter did not start\n' "$w" "$setup" >>"$RESULTS/runs.tsv"
        return 1
    fi
    local rport
    rport=$(cat "$run/router.port")
    if ! wait_healthy "$rport" "$NINST"; then
        stop_pids "${run_pids[@]}"
        printf '%s\t%s\terror\trouter never saw %s healthy instances\n' "$w" "$setup" "$NINST" >>"$RESULTS/runs.tsv"
        return 1
    fi
    local cmd=("$BENCH" serve --base-url "http://127.0.0.1:$rport" --model model-1
        --dataset "$DATASET" ${KIND:+--dataset-kind "$KIND"} "${SERVE_ARGS[@]}" "${keyargs[@]}"
        --seed 1 --timeout 300 --label "$w-$setup" --save-result --result-dir "$RESULTS/$w")
    {
        printf '%s/%s: %s x infini-mock --kv-blocks %s --max-batch %s --block-size 16 ' \
            "$w" "$setup" "$NINST" "$KV" "$BATCH"
        printf -- '--prefill-tok-per-s 8000 --decode-ms-per-token 5; infini-router --policy %s; ' \
            "$policy"
        printf '%q ' "${cmd[@]}"
        echo
    } >>"$RESULTS/commands.txt"
    local rc=0
    # In the background and waited for, so that a signal to this script acts at once.
    "${cmd[@]}" >>"$log" 2>&1 &
    p=$!
    pids+=("$p")
    wait "$p" || rc=$?
    # The router's own view, for the record (decisions by reason, when it has them).
    metrics_snap "$rport" "$RESULTS/$w/$setup.router-metrics.txt" 2>/dev/null || true
    stop_pids "${run_pids[@]}"
    local file
    file=$(sed -n 's/^Saved result to //p' "$log" | tail -n1)
    if [ "$rc" != 0 ] || [ ! -f "$file" ]; then
        printf '%s\t%s\terror\tinfini-bench exited %s (see %s)\n' "$w" "$setup" "$rc" "$log" >>"$RESULTS/runs.tsv"
        return 1
    fi
    printf '%s\t%s\tok\t%s\n' "$w" "$setup" "$file" >>"$RESULTS/runs.tsv"
    python3 - "$file" "$setup" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("  %-15s %d/%d ok in %.1f s, mean TTFT %.1f ms, hit rate %.1f%%"
      % (sys.argv[2], r["completed"], r["num_prompts"], r["duration"], r["mean_ttft_ms"] or 0,
         100 * (r["prefix_cache_hit_rate"] or 0)))
EOF
}

# ---------------------------------------------------------------- main

run_all() {
    bench_begin
    for w in ${WORKLOADS//,/ }; do
        workload "$w"
        bench_workload_head "$w"
        bench_run_setups "$w"
    done
}

[ "$SUMMARY_ONLY" = 1 ] || run_all

python3 - "$RESULTS" "$BENCH_LIB" <<'EOF' | tee "$RESULTS/summary.txt"
import json, os, sys
results = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from benchlib import read_runs
runs, desc = read_runs(results)

def load(w, s):
    status, what = runs.get(w, {}).get(s, ("missing", ""))
    return json.load(open(what)) if status == "ok" else None

_prefixes = {}
def prefixes(w):
    """The prefix id of each request of workload w's dataset, in order (read once)."""
    if w not in _prefixes:
        with open(os.path.join(results, "datasets", w + ".jsonl")) as f:
            _prefixes[w] = [json.loads(l).get("prefix_id") for l in f if l.strip()]
    return _prefixes[w]

# Requests the hot-prefix workload sends in its first 5 s (60/s): the fleet's cold start, while
# the hot prefix has fewer copies than it needs and no prefill rate is measured yet.
HOT_WARMUP = 300

def spread(w, r, skip=0):
    """(cold prefixes on one instance, cold prefixes, instances serving prefix 0, share of the
    cold requests served by their prefix's busiest instance, the smallest such share of one
    cold prefix), over the requests after the first `skip` (sent in dataset order)."""
    by = {}
    for pid, inst in list(zip(prefixes(w), r["instances"]))[skip:]:
        if inst is not None:
            by.setdefault(pid, {}).setdefault(inst, 0)
            by[pid][inst] += 1
    cold = [p for p in by if p != 0]
    main = sum(max(by[p].values()) for p in cold)
    total = sum(sum(by[p].values()) for p in cold)
    least = min((max(by[p].values()) / sum(by[p].values()) for p in cold), default=0)
    return (sum(1 for p in cold if len(by[p]) == 1), len(cold), len(by.get(0, ())),
            main / total if total else 0, least)

verdicts = []
def target(w, name, value, op, limit):
    if value is None:
        print("    %-42s n/a (set-up not run)" % name)
        verdicts.append((w, name, None))
        return
    ok = value <= limit if op == "<=" else value >= limit
    print("    %-42s %6.2f  (target %s %.2f)  %s" % (name, value, op, limit,
                                                   "PASS" if ok else "FAIL"))
    verdicts.append((w, name, ok))

setups = ["cache-aware", "key-or-rr+keys", "key-or-rr", "least-load"]
print("\n" + "=" * 100)
print("Cache-aware routing benchmark: mean/P90 TTFT (ms), prefix-cache hit rate (from cached_tokens)")
for w in runs:
    print("\n%s: %s" % (w, desc.get(w, "")))
    print("  %-15s %10s %10s %9s %9s  %s" % ("set-up", "mean TTFT", "P90 TTFT", "hit rate",
                                              "ok/fail", "requests per instance"))
    got = {}
    for s in setups:
        if s not in runs[w]:
            continue
        status, what = runs[w][s]
        r = load(w, s)
        if r is None:
            print("  %-15s %s" % (s, "skipped: the router refused the policy" if status == "refused"
                                 else "ERROR: " + what))
            continue
        got[s] = r
        per = " ".join("%s:%d" % kv for kv in sorted((r.get("per_instance") or {}).items()))
        extra = ""
        if w == "hot-prefix":
            one, cold, hot, main, least = spread(w, r)
            steady = spread(w, r, HOT_WARMUP)
            extra = ("  [hot prefix on %d instances; cold requests on their prefix's main "
                     "instance: %.0f%% (the least kept prefix %.0f%%); cold prefixes entirely on "
                     "one instance: %d/%d, after the first 5 s: %d/%d]"
                     % (hot, 100 * main, 100 * least, one, cold, steady[0], steady[1]))
        print("  %-15s %10.1f %10.1f %8.1f%% %5d/%-3d  %s%s" % (
            s, r["mean_ttft_ms"] or 0, r["p90_ttft_ms"] or 0,
            100 * (r["prefix_cache_hit_rate"] or 0), r["completed"], r["failed"], per, extra))
    ca, keys, ll = got.get("cache-aware"), got.get("key-or-rr+keys"), got.get("least-load")
    ratio = lambda a, b, f: (a[f] or 0) / b[f] if a is not None and b is not None and b[f] else None
    print("  targets:")
    if w in ("multi-prefix", "conversations", "trace"):
        target(w, "mean TTFT cache-aware / key-or-rr+keys", ratio(ca, keys, "mean_ttft_ms"), "<=", 1.0)
        target(w, "hit rate cache-aware / key-or-rr+keys",
               ratio(ca, keys, "prefix_cache_hit_rate"), ">=", 0.9)
    elif w == "unique":
        target(w, "mean TTFT cache-aware / least-load", ratio(ca, ll, "mean_ttft_ms"), "<=", 1.05)
    elif w == "hot-prefix":
        target(w, "mean TTFT cache-aware / least-load", ratio(ca, ll, "mean_ttft_ms"), "<=", 1.2)
        # "The cold prefixes still on one instance each": the share of cold requests served by
        # their prefix's home. (Entirely on one instance is printed above, over the whole run and
        # after the first 5 s: the few requests that leave home do so in the fleet's cold start,
        # while the hot prefix has fewer copies than it needs.)
        target(w, "cold requests on their prefix's home", spread(w, ca)[3] if ca else None,
               ">=", 0.9)
print("\nTargets: %d PASS, %d FAIL, %d not measured" % (
    sum(1 for v in verdicts if v[2] is True), sum(1 for v in verdicts if v[2] is False),
    sum(1 for v in verdicts if v[2] is None)))
print("Results, datasets, logs and command lines: %s" % results)
EOF
bench_end
