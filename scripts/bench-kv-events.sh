#!/usr/bin/env bash
# Precise-routing benchmark (a benchmark, not a test; DESIGN.md §4b and §7, issue #9 part 4).
# Every run starts fresh infini-mock instances that publish their simulated cache as vLLM KV
# events (--kv-events) and a fresh infini-router (or two) subscribed to them through
# --static-services metadata.kv_events. No request carries a prompt_cache_key. Set-ups:
#   precise         --policy cache-aware --tokenizer engine: the router asks an instance's
#                   /tokenize and judges each instance on its engine's KV events
#   approximate     --policy cache-aware --tokenizer none: the approximate prefix index (the
#                   events only empty it when an engine's cache is cleared or restarts)
#   round-robin     --policy round-robin
#   precise-2r      precise, two router replicas over the same mocks taking alternate requests:
#                   two infini-bench processes replay the even and the odd records, one per router
#   approximate-2r  the same with two approximate routers (for comparison)
# Both cache-aware set-ups get --prefix-capacity-blocks = the mock's cache in 256-byte blocks,
# what the babysitter's load.kv_capacity_tokens tells a router in a deployment.
# Workloads, under cache pressure (each instance's cache holds a sixth to an eighth of the working
# set, the four together less than all of it; the mocks prefill 8000 tokens/s, decode 5 ms/token,
# batch 16, 4 bytes a token, 16-token blocks, --hold-running on):
#   conversations  infini-bench conversations: 48 conversations x 8 turns (2 KB messages and
#                  replies, 256 B follow-ups), 12 req/s, 512 output tokens (the replies'
#                  length), 4 instances x 2400 blocks
#   trace          a replayed Mooncake-format trace (`infini-bench gen --kind trace`): 64
#                  conversations x 6 turns under 16 system prompts of 1024 tokens, 12 req/s,
#                  its own output lengths (512 tokens), 4 instances x 3000 blocks
#   lag            one mock with a 512-block cache answering short distinct prompts (256 B, 1
#                  output token) at ~6000 req/s, each publishing a BlockStored and a BlockRemoved:
#                  >= 10,000 events/s. First straight to the mock while the router only
#                  subscribes, then the same load through the router. Events/s from the router's
#                  infini_router_kv_events_received_total over time, lag from its
#                  infini_router_kv_event_lag{,_mean}_seconds (the maximum is of samples taken
#                  every 50 ms: the router exports the last batch's lag and the mean only).
# The cache-pressure mocks run with --hold-running on: their cache is vLLM's block pool, shared
# between cached prompt blocks and the blocks running requests hold (their prompt blocks, pinned,
# and a decode block every 16 generated tokens), and a finished request's full output blocks stay
# cached as vLLM's do, so concurrent requests and generated text evict cached prefixes in ways no
# router can know of from the prompts it sent; only KV events (BlockRemoved) tell. With the
# plain LRU of prompt blocks (off, the mock's default), the approximate index, an LRU of the
# prompts it sent per instance, tracks the mock's cache almost exactly. The lag step keeps off
# (its requests hold nothing worth modelling). After each run every mock's /metrics is saved
# (mock-N.prom: evictions, over-committed blocks) and the summary prints their totals.
# After each cache-aware load run, quiet probes: 48 records spread over the dataset sent one at a
# time (8 output tokens each) through the (first) router. The previous probe's events (published
# when its prefill ends, 35 ms before its response does) have arrived before the next decision,
# and nothing else runs, so a false hit there is one "after the eviction event arrived".
# Under load, with events, a false hit can only come from a block evicted after the router's view
# of it: an eviction whose event was still on its way at the decision (about a millisecond), or
# one after the decision and before the engine's prefill (the request waits in the mock's queue
# while other prefills finish and the mock's LRU evicts blocks to store theirs), which cache
# pressure makes possible. The router tells them apart: a false hit whose missing block has been
# in its index without a break since the decision is "stale" (no event ever reported the
# eviction: infini_router_kv_stale_false_hits_total). Stale false hits under load and all false
# hits in the probes are judged against 0; the others are reported.
# Prints per workload and set-up: mean/P90 TTFT, hit rate, requests per instance, predicted vs
# actual cached tokens, false hits, KV events and lag (mean, max seen), tokenize calls / failures
# / mean time, route reasons (from the routers' access logs); the quiet probes; a diagnosis from
# the access logs joined to the results (follow-up turns sent before / after the previous turn's
# first token: moved instance, hit rate; tokens over- and under-predicted per request); then the
# targets with PASS/FAIL.
# Exits non-zero only on errors (a build, start-up or run failure), never on a missed target.
#
# Usage: scripts/bench-kv-events.sh [--workloads LIST] [--setups LIST] [--rounds N] [--quick]
#            [--build-dir DIR] [--no-build] [--results DIR]
#        scripts/bench-kv-events.sh --summary-only --results DIR   (tables of an earlier run)
#   --workloads  comma-separated, default conversations,trace,lag
#   --setups     comma-separated, default precise,approximate,round-robin,precise-2r,approximate-2r
#   --rounds     run precise and approximate N times each (default 1; rounds after the first are
#                the set-ups precise.rK and approximate.rK): one run's TTFT ratio moves by 10-20%
#                between runs on a shared machine, so the target is judged on the median ratio
#   --quick      smaller datasets, caches and lag phases (a shorter run; a full one takes ~13 minutes)
#   --build-dir  where the binaries are (built there in Release unless --no-build);
#                default build/release
#   --results    default <build-dir>/bench-kv-events/<date-time>
#   env ROUTER_EXTRA  extra infini-router flags for every router (experiments)
#   env MOCK_HOLD     --hold-running of the conversations and trace mocks: on (default) or off
#                     (the plain LRU, for comparison)
# Needs python3 (scripts/install-deps.sh). Ports are chosen by the OS (--port 0 --port-file; the
# KV event ports are free ports the mocks then bind, retried when taken meanwhile).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_NAME=bench-kv-events
# shellcheck source=scripts/lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
WORKLOADS=conversations,trace,lag
SETUPS=precise,approximate,round-robin,precise-2r,approximate-2r
QUICK=0
BUILD=$ROOT/build/release
NO_BUILD=0
RESULTS=""
SUMMARY_ONLY=0
ROUNDS=1
PY=$ROOT/scripts/bench_kv_events.py

MOCK_HOLD=${MOCK_HOLD:-on}
bench_args "$@"
case $MOCK_HOLD in on | off) ;; *) die "MOCK_HOLD must be on or off, not '$MOCK_HOLD'" ;; esac
bench_check_list workload "$WORKLOADS" conversations trace lag
bench_check_list set-up "$SETUPS" precise approximate round-robin precise-2r approximate-2r
bench_init

# ---------------------------------------------------------------- workloads

# workload NAME: sets DESC NINST KV DATASET KIND SERVE_ARGS HALF_ARGS PROBES for NAME, making
# its dataset, the two replicas' halves and the probe set (once) under $RESULTS/datasets.
workload() {
    local name=$1 ds=$RESULTS/datasets c t
    mkdir -p "$ds"
    DATASET=$ds/$name.jsonl KIND=""
    case $name in
    conversations)
        c=$(pick 24 48) t=$(pick 6 8)
        NINST=4 KV=$(pick 900 2400)
        # Replies as long as the dataset's (2 KB = 512 tokens): the decode blocks running
        # requests hold are the part of the pool no router's own history can see.
        SERVE_ARGS=(--request-rate 12 --max-tokens 512)
        HALF_ARGS=(--request-rate 6 --max-tokens 512)
        DESC="$c conversations x $t turns (2 KB messages and replies, 256 B follow-ups), 12/s, 512 output tokens, 4 instances x $KV blocks"
        gen_once "$DATASET" --kind conversations --num-conversations "$c" \
            --messages-per-conv "$t" --context-len 2048 --new-msg-len 256
        ;;
    trace)
        c=$(pick 32 64) t=$(pick 5 6)
        NINST=4 KV=$(pick 1200 3000) KIND=trace
        SERVE_ARGS=() # the trace's own output lengths (512 tokens), as a replay should
        HALF_ARGS=()
        DESC="Mooncake-format trace: $c conversations x $t turns under 16 system prompts of 1024 tokens, 12/s, its 512 output tokens, 4 instances x $KV blocks"
        gen_once "$DATASET" --kind trace --num-conversations "$c" --messages-per-conv "$t" \
            --num-prefixes 16 --prefix-len 4096 --context-len 2048 --new-msg-len 512 \
            --request-rate 12
        ;;
    esac
    [ -s "$ds/$name.a.jsonl" ] ||
        python3 "$PY" split "$DATASET" "$ds/$name.a.jsonl" "$ds/$name.b.jsonl"
    PROBES=$ds/$name.probes.jsonl
    [ -s "$PROBES" ] || python3 "$PY" probes "$DATASET" "$PROBES" "$(pick 24 48)"
    local blocks
    blocks=$(python3 "$PY" workset "${KIND:-conversations}" "$DATASET" 16)
    DESC+="; working set ~$blocks blocks = $(python3 -c "print('%.1f' % ($blocks / $KV))") x"
    DESC+=" one instance's cache; mocks --hold-running $MOCK_HOLD"
}

# ---------------------------------------------------------------- processes

# start_mocks DIR N KV BATCH PREFILL DECODE HOLD: N mocks publishing KV events, --hold-running
# HOLD; appends their PIDs to run_pids, their ports to MOCK_PORTS, and writes DIR/static.json
# listing them with metadata.kv_events. 1 on failure.
start_mocks() {
    local dir=$1 n=$2 kv=$3 batch=$4 prefill=$5 decode=$6 hold=$7 i p try ports mocks=()
    MOCK_PORTS=()
    for i in $(seq "$n"); do
        for try in 1 2 3; do
            read -r -a ports <<<"$(free_ports 2)"
            rm -f "$dir/mock-$i.port"
            "$MOCK" --bind 127.0.0.1 --port 0 --port-file "$dir/mock-$i.port" --name "mock-$i" \
                --models model-1 --kv-blocks "$kv" --max-batch "$batch" --block-size 16 \
                --prefill-tok-per-s "$prefill" --decode-ms-per-token "$decode" \
                --hold-running "$hold" --kv-events "${ports[0]}" --kv-replay-port "${ports[1]}" --log-level warn \
                --access-log off >"$dir/mock-$i.log" 2>&1 &
            p=$!
            pids+=("$p")
            run_pids+=("$p")
            wait_port_file "$dir/mock-$i.port" "$p" && break
            [ "$try" = 3 ] && return 1 # a KV port taken meanwhile: new ports, up to 3 times
        done
        mocks+=("mock-$i:$(cat "$dir/mock-$i.port"):${ports[0]}:${ports[1]}")
        MOCK_PORTS+=("$(cat "$dir/mock-$i.port")")
    done
    python3 "$PY" static "$dir/static.json" "${mocks[@]}"
}

# start_router DIR NAME NINST ARGS...: a router over DIR/static.json with access log
# $out/NAME.access.log; sets RPORT. 1 on failure.
start_router() {
    local dir=$1 name=$2 n=$3 p
    shift 3
    # shellcheck disable=SC2086 # ROUTER_EXTRA is a list of flags
    "$ROUTER" --bind 127.0.0.1 --router-port 0 --port-file "$dir/$name.port" \
        --static-services "$dir/static.json" --access-log "$out/$name.access.log" "$@" \
        ${ROUTER_EXTRA:-} --log-level warn >"$dir/$name.log" 2>&1 &
    p=$!
    pids+=("$p")
    run_pids+=("$p")
    wait_port_file "$dir/$name.port" "$p" || return 1
    RPORT=$(cat "$dir/$name.port")
    wait_healthy "$RPORT" "$n"
}

# fail WORKLOAD SETUP WHY: records an error run, with the logs of its processes.
fail() {
    cat "$run"/*.log >>"$out/error.log" 2>/dev/null || true
    stop_pids "${run_pids[@]}"
    printf '%s\t%s\terror\t%s (see %s)\n' "$1" "$2" "$3" "$out/error.log" >>"$RESULTS/runs.tsv"
    return 1
}

# bench_bg LOG ARGS...: infini-bench serve ARGS in the background (so that a signal to this
# script acts at once), its PID in BENCH_PID; the command goes to commands.txt.
bench_bg() {
    local log=$1
    shift
    {
        printf '%s: ' "${log#"$RESULTS"/}"
        printf '%q ' "$BENCH" serve "$@"
        echo
    } >>"$RESULTS/commands.txt"
    "$BENCH" serve "$@" >"$log" 2>&1 &
    BENCH_PID=$!
    pids+=("$BENCH_PID")
}

saved() { sed -n 's/^Saved result to //p' "$1" | tail -n1; }

# ---------------------------------------------------------------- one run

# run_one WORKLOAD SETUP: fresh mocks and router(s), one load run (two infini-bench processes
# for two replicas), then the quiet probes; records the outcome in $RESULTS/runs.tsv.
run_one() {
    local w=$1 setup=$2
    local run=$work/$w-$setup out=$RESULTS/$w/$setup
    local routers=(r1) args=() run_pids=() ports=() cap=$((KV * 16 * 4 / 256)) i rc=0
    mkdir -p "$run" "$out"
    rm -rf "${out:?}"/*
    case $setup in # precise.rK, approximate.rK: further rounds (--rounds)
    precise*) args=(--policy cache-aware --tokenizer engine --prefix-capacity-blocks "$cap") ;;
    approximate*) args=(--policy cache-aware --tokenizer none --prefix-capacity-blocks "$cap") ;;
    round-robin) args=(--policy round-robin) ;;
    esac
    case $setup in *-2r) routers=(r1 r2) ;; esac
    start_mocks "$run" "$NINST" "$KV" 16 8000 5 "$MOCK_HOLD" ||
        { fail "$w" "$setup" "a mock did not start"; return 1; }
    for i in "${routers[@]}"; do
        start_router "$run" "$i" "$NINST" "${args[@]}" ||
            { fail "$w" "$setup" "router $i did not start"; return 1; }
        ports+=("$RPORT")
    done
    {
        printf '%s/%s: %s x infini-mock --kv-blocks %s --max-batch 16 --block-size 16 ' \
            "$w" "$setup" "$NINST" "$KV"
        printf -- '--prefill-tok-per-s 8000 --decode-ms-per-token 5 --hold-running %s ' "$MOCK_HOLD"
        printf -- '--kv-events P '
        printf -- '--kv-replay-port P2; %s x infini-router %s\n' "${#routers[@]}" "${args[*]}"
    } >>"$RESULTS/commands.txt"
    python3 "$PY" sample "$run/stop" "$out/samples.json" 0.1 "${ports[@]}" &
    local sampler=$!
    pids+=("$sampler")
    local common=(--model model-1 ${KIND:+--dataset-kind "$KIND"} --no-cache-key --timeout 300
        --save-result --result-dir "$out/load")
    local bpids=()
    if [ ${#routers[@]} = 1 ]; then
        bench_bg "$out/load.log" --base-url "http://127.0.0.1:${ports[0]}" --dataset "$DATASET" \
            "${SERVE_ARGS[@]}" "${common[@]}" --seed 1 --label "$w-$setup"
        bpids+=("$BENCH_PID")
    else
        bench_bg "$out/load-a.log" --base-url "http://127.0.0.1:${ports[0]}" \
            --dataset "${DATASET%.jsonl}.a.jsonl" "${HALF_ARGS[@]}" "${common[@]}" --seed 1 \
            --label "$w-$setup-a"
        bpids+=("$BENCH_PID")
        bench_bg "$out/load-b.log" --base-url "http://127.0.0.1:${ports[1]}" \
            --dataset "${DATASET%.jsonl}.b.jsonl" "${HALF_ARGS[@]}" "${common[@]}" --seed 2 \
            --label "$w-$setup-b"
        bpids+=("$BENCH_PID")
    fi
    for i in "${bpids[@]}"; do wait "$i" || rc=$?; done
    python3 "$PY" quiet "${ports[@]}" || true
    touch "$run/stop"
    wait "$sampler" || true
    local load_results=() lines=() f
    for f in "$out"/load*.log; do
        [ -f "$(saved "$f")" ] || rc=1
        load_results+=("$(saved "$f")")
    done
    [ "$rc" = 0 ] || { fail "$w" "$setup" "infini-bench exited $rc"; return 1; }
    for i in "${!routers[@]}"; do
        metrics_snap "${ports[$i]}" "$out/${routers[$i]}.load.prom" ||
            { fail "$w" "$setup" "no /metrics from ${routers[$i]}"; return 1; }
        lines+=("$(grep -c 'route=' "$out/${routers[$i]}.access.log" || true)")
    done
    local probe_results=""
    if [ "$setup" != round-robin ]; then
        bench_bg "$out/probe.log" --base-url "http://127.0.0.1:${ports[0]}" --dataset "$PROBES" \
            ${KIND:+--dataset-kind "$KIND"} --request-rate inf --max-concurrency 1 \
            --max-tokens 8 --no-cache-key --timeout 300 --label "$w-$setup-probe" \
            --save-result --result-dir "$out/probe" --model model-1
        wait "$BENCH_PID" || { fail "$w" "$setup" "the probes failed"; return 1; }
        python3 "$PY" quiet "${ports[0]}" || true
        metrics_snap "${ports[0]}" "$out/r1.probe.prom" ||
            { fail "$w" "$setup" "no /metrics from r1"; return 1; }
        probe_results=$(saved "$out/probe.log")
    fi
    for i in "${!MOCK_PORTS[@]}"; do
        metrics_snap "${MOCK_PORTS[$i]}" "$out/mock-$((i + 1)).prom" || true
    done
    stop_pids "${run_pids[@]}"
    cp "$run"/*.log "$out/" 2>/dev/null || true
    python3 "$PY" meta "$out/run.json" "$(IFS=,; echo "${routers[*]}")" \
        "$(IFS=,; echo "${load_results[*]}")" "$probe_results" "$(IFS=,; echo "${lines[*]}")"
    printf '%s\t%s\tok\t%s\n' "$w" "$setup" "$out" >>"$RESULTS/runs.tsv"
    python3 "$PY" brief "$RESULTS" "$w" "$setup"
}

# ---------------------------------------------------------------- the lag step

# lag_phase NAME URL: one phase of short distinct prompts at ~6000 req/s to URL while the
# sampler polls the router every 50 ms.
lag_phase() {
    local name=$1 url=$2 n=$(($(pick 4 10) * 6000))
    rm -f "$run/stop-$name"
    metrics_snap "$RPORT" "$out/$name.before.prom" || return 1
    python3 "$PY" sample "$run/stop-$name" "$out/$name.samples.json" 0.05 "$RPORT" &
    local sampler=$! rc=0
    pids+=("$sampler")
    sleep 0.3
    bench_bg "$out/$name.log" --base-url "$url" --model model-1 --dataset "$LAG_DATASET" \
        --num-prompts "$n" --request-rate 6000 --max-concurrency 64 --no-stream --max-tokens 1 \
        --no-cache-key --timeout 60 --label "lag-$name" --save-result --result-dir "$out/$name"
    wait "$BENCH_PID" || rc=$?
    python3 "$PY" quiet "$RPORT" || true
    touch "$run/stop-$name"
    wait "$sampler" || true
    metrics_snap "$RPORT" "$out/$name.after.prom" || return 1
    [ "$rc" = 0 ] && [ -f "$(saved "$out/$name.log")" ]
}

run_lag() {
    local run=$work/lag out=$RESULTS/lag run_pids=()
    mkdir -p "$run" "$out"
    rm -rf "${out:?}"/*
    LAG_DATASET=$RESULTS/datasets/lag.jsonl
    mkdir -p "$RESULTS/datasets"
    gen_once "$LAG_DATASET" --kind multi-prefix --num-prompts 20000 --num-prefixes 20000 \
        --prefix-len 256 --suffix-len 8
    start_mocks "$run" 1 512 256 100000000 0 off || { fail lag - "the mock did not start"; return 1; }
    start_router "$run" r1 1 --policy cache-aware --tokenizer none ||
        { fail lag - "the router did not start"; return 1; }
    {
        printf 'lag: infini-mock --kv-blocks 512 --max-batch 256 --prefill-tok-per-s 100000000 '
        printf -- '--decode-ms-per-token 0 --kv-events P; '
        echo "infini-router --policy cache-aware --tokenizer none"
    } >>"$RESULTS/commands.txt"
    lag_phase direct "http://127.0.0.1:$(cat "$run/mock-1.port")" ||
        { fail lag - "direct phase failed"; return 1; }
    lag_phase routed "http://127.0.0.1:$RPORT" || { fail lag - "routed phase failed"; return 1; }
    stop_pids "${run_pids[@]}"
    cp "$run"/*.log "$out/" 2>/dev/null || true
    python3 "$PY" lagmeta "$out/run.json" "$(saved "$out/direct.log")" "$(saved "$out/routed.log")"
    printf 'lag\t-\tok\t%s\n' "$out" >>"$RESULTS/runs.tsv"
    echo "  done"
}

# ---------------------------------------------------------------- main

run_all() {
    bench_begin
    for w in ${WORKLOADS//,/ }; do
        if [ "$w" = lag ]; then
            DESC="1 mock x 512 blocks, 256-byte distinct prompts, 1 output token, 6000 req/s at most 64 in flight, $(pick 4 10) s per phase"
            bench_workload_head lag
            run_lag || { ERRORS=$((ERRORS + 1)); echo "  lag: ERROR" >&2; }
            continue
        fi
        workload "$w"
        bench_workload_head "$w"
        bench_run_setups "$w"
        for r in $(seq 2 "$ROUNDS"); do
            for s in precise approximate; do
                case ,$SETUPS, in *,$s,*) ;; *) continue ;; esac
                run_one "$w" "$s.r$r" || {
                    ERRORS=$((ERRORS + 1))
                    echo "  $w/$s.r$r: ERROR: $(tail -n1 "$RESULTS/runs.tsv" | cut -f4)" >&2
                }
            done
        done
    done
}

[ "$SUMMARY_ONLY" = 1 ] || run_all

python3 "$PY" summary "$RESULTS" | tee "$RESULTS/summary.txt"
bench_end
