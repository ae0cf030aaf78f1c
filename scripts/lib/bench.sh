# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the scripts that source this
# Shell helpers shared by the benchmark scripts (scripts/bench-*.sh, scripts/fault-suite.sh):
# sourced, never run. The workload benchmarks' common command line and results folder, building
# the binaries, free ports, start-up waits and stopping processes by PID. The caller sets
# `set -euo pipefail`, ROOT (the repository) and BENCH_NAME (the prefix of its messages) before
# sourcing this file. Bash only; python3 for free ports and /health. It never signals a process
# the caller did not start and record (the `pids` array or PID arguments), and never by name.

BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# die MESSAGE...: "BENCH_NAME: MESSAGE" on stderr, then exit 1.
die() {
    printf '%s: %s\n' "$BENCH_NAME" "$*" >&2
    exit 1
}

# usage: the calling script's header comment (line 2 up to `set -euo pipefail`).
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# bench_args ARGS...: the workload benchmarks' command line (--workloads LIST --setups LIST
# --quick --build-dir DIR --no-build --results DIR --summary-only --help, and --rounds N for a
# caller that has set ROUNDS) into WORKLOADS SETUPS QUICK BUILD NO_BUILD RESULTS SUMMARY_ONLY
# ROUNDS, which the caller has set to its defaults. Prints the usage and exits 0 on --help, 2 on
# an unknown option.
bench_args() {
    while [ $# -gt 0 ]; do
        case $1 in
        --workloads) WORKLOADS=${2:?}; shift 2 ;;
        --setups) SETUPS=${2:?}; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --build-dir) BUILD=$(cd "${2:?}" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
        --no-build) NO_BUILD=1; shift ;;
        --results) RESULTS=${2:?}; shift 2 ;;
        --summary-only) SUMMARY_ONLY=1; shift ;;
        --rounds)
            [ -n "${ROUNDS+set}" ] || { usage >&2; exit 2; }
            case ${2:-} in '' | *[!0-9]* | 0) die "--rounds wants a positive integer" ;; esac
            ROUNDS=$2
            shift 2
            ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
    done
}

# bench_check_list WHAT LIST NAME...: dies on the first item of the comma-separated LIST that is
# none of the NAMEs ("unknown WHAT 'item'").
bench_check_list() {
    local what=$1 list=$2 item name ok
    shift 2
    for item in ${list//,/ }; do
        ok=0
        for name in "$@"; do [ "$item" = "$name" ] && ok=1; done
        [ "$ok" = 1 ] || die "unknown $what '$item'"
    done
}

# bench_init: for a workload benchmark after bench_args. Checks for python3; makes RESULTS
# (default BUILD/BENCH_NAME/<date-time>; with --summary-only an earlier run's, which must hold
# runs.tsv) and makes it absolute; makes the scratch folder `work`; empties `pids` (what
# bench_cleanup stops on exit) and ERRORS; installs the EXIT, INT and TERM traps; builds
# infini-router, infini-mock and infini-bench in BUILD (unless --no-build or --summary-only)
# and sets ROUTER MOCK BENCH to them.
bench_init() {
    command -v python3 >/dev/null || die "python3 is missing (scripts/install-deps.sh installs it)"
    if [ "$SUMMARY_ONLY" = 1 ]; then
        [ -f "${RESULTS:-.}/runs.tsv" ] || die "--summary-only needs --results DIR of an earlier run"
    else
        RESULTS=${RESULTS:-$BUILD/$BENCH_NAME/$(date +%Y%m%d-%H%M%S)}
        mkdir -p "$RESULTS"
    fi
    RESULTS=$(cd "$RESULTS" && pwd)
    work=$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")
    pids=()
    ERRORS=0
    trap bench_cleanup EXIT
    trap 'echo "$BENCH_NAME: interrupted" >&2; exit 130' INT TERM

    if [ "$NO_BUILD" = 0 ] && [ "$SUMMARY_ONLY" = 0 ]; then
        bench_build "$BUILD" "$RESULTS/build.log" infini-router infini-mock infini-bench
    fi
    ROUTER=$BUILD/router/infini-router
    MOCK=$BUILD/tools/mock/infini-mock
    BENCH=$BUILD/tools/bench/infini-bench
    if [ "$SUMMARY_ONLY" = 0 ]; then
        for b in "$ROUTER" "$MOCK" "$BENCH"; do
            [ -x "$b" ] || die "$b is missing (build it, or drop --no-build)"
        done
    fi
}

# bench_build DIR LOG TARGET...: configures DIR as a Release build without tests when it has no
# CMakeCache.txt, then builds the TARGETs (incremental, so never stale), all output into LOG. On
# failure the log's last 30 lines go to stderr and the script dies.
bench_build() {
    local dir=$1 log=$2
    shift 2
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
            >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "cmake failed"; }
    fi
    cmake --build "$dir" -j2 --target "$@" >>"$log" 2>&1 ||
        { tail -n 30 "$log" >&2; die "build failed"; }
}

# bench_begin: a workload benchmark's first lines (results folder, binaries, mode), and empty
# runs.tsv, commands.txt and workloads.tsv in RESULTS.
bench_begin() {
    echo "$BENCH_NAME: results in $RESULTS"
    echo "binaries: $BUILD ($([ "$QUICK" = 1 ] && echo quick || echo full) mode)"
    : >"$RESULTS/runs.tsv"
    : >"$RESULTS/commands.txt"
    : >"$RESULTS/workloads.tsv"
}

# bench_workload_head NAME: the heading of workload NAME (from DESC) on stdout and its line in
# workloads.tsv.
bench_workload_head() {
    printf '\n== %s: %s\n' "$1" "$DESC"
    printf '%s\t%s\n' "$1" "$DESC" >>"$RESULTS/workloads.tsv"
}

# bench_run_setups WORKLOAD: run_one WORKLOAD SETUP for each of SETUPS; a failed run counts in
# ERRORS and its reason (runs.tsv's last line) goes to stderr.
bench_run_setups() {
    local s
    for s in ${SETUPS//,/ }; do
        run_one "$1" "$s" || {
            ERRORS=$((ERRORS + 1))
            echo "  $s: ERROR ($(tail -n1 "$RESULTS/runs.tsv" | cut -f4))" >&2
        }
    done
}

# bench_end: exit 1 with a line on stderr when runs failed (ERRORS), else return.
bench_end() {
    if [ "$ERRORS" -gt 0 ]; then
        echo "$BENCH_NAME: $ERRORS run(s) failed (see $RESULTS/runs.tsv)" >&2
        exit 1
    fi
}

# pick QUICK FULL: the value for the current mode.
pick() { if [ "$QUICK" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# gen_once OUT ARGS...: `infini-bench gen ARGS --output OUT` unless OUT exists and is not empty;
# the command goes to commands.txt.
gen_once() {
    local out=$1
    shift
    [ -s "$out" ] && return 0
    echo "dataset: infini-bench gen $* --output $out" >>"$RESULTS/commands.txt"
    "$BENCH" gen "$@" --output "$out" >/dev/null || die "infini-bench gen $* failed"
}

# stop_pids PID...: SIGTERM, up to 5 s to exit, then SIGKILL. Only processes this script started.
stop_pids() {
    local p
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "$@"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
}

# bench_cleanup: the EXIT trap: stops every PID in `pids` and removes the scratch folder `work`.
bench_cleanup() {
    [ ${#pids[@]} -gt 0 ] && stop_pids "${pids[@]}"
    rm -rf "$work"
}

# free_ports N: N distinct free loopback ports on one line. Held together while chosen, so they
# differ; another process may still take one before the caller binds it (retry on failure).
free_ports() { python3 "$BENCH_LIB/benchlib.py" ports "$1"; }

# free_port: one free loopback port (see free_ports).
free_port() { free_ports 1; }

# wait_port PORT: until 127.0.0.1:PORT accepts a connection (5 s); 1 with a line on stderr when
# time runs out. For servers that cannot write a port file (nginx, HAProxy).
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 never opened" >&2
    return 1
}

# wait_port_file FILE PID: until FILE holds a port (10 s); 1 when PID exits first or time runs out.
wait_port_file() {
    for _ in $(seq 200); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# metrics_snap PORT OUT: the /metrics of the daemon on PORT into OUT; 1 unless it answers 200.
metrics_snap() { python3 "$BENCH_LIB/benchlib.py" snap "$1" "$2"; }

# wait_healthy PORT N: until the router on PORT reports N of N services healthy (10 s); 1 when
# time runs out.
wait_healthy() { python3 "$BENCH_LIB/benchlib.py" healthy "$1" "$2"; }
