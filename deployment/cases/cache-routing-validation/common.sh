# Shared by the cache-routing case's scripts (sourced, never run): the environment knobs and
# their defaults, finding (or building) the binaries, HTTP checks with curl, and starting and
# stopping daemons through PID files. Processes are only ever signalled by recorded PID, after
# checking that the PID still runs one of our binaries.
# shellcheck shell=bash

CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CASE_DIR/../../.." && pwd)

REGISTRY_PORT=${REGISTRY_PORT:-18000}
ROUTER_PORT=${ROUTER_PORT:-8000}
MASTER_PORT=${MASTER_PORT:-8100}
SLAVE_PORT=${SLAVE_PORT:-8200}
MODEL=${MODEL:-9g_8b_thinking}
MASTER_NAME=${MASTER_NAME:-master-9g_8b_thinking}
SLAVE_NAME=${SLAVE_NAME:-slave-9g_8b_thinking}
LOG_DIR=${LOG_DIR:-$CASE_DIR/logs}
RESULT_DIR=${RESULT_DIR:-$CASE_DIR/results}
STOP_TIMEOUT=${STOP_TIMEOUT:-40}

# Every curl call: no proxy (the daemons are on a private network), bounded time.
CURL=(curl -s --noproxy '*' --connect-timeout 3 --max-time 30)

log() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# bin_in_dir DIR NAME: prints DIR's copy of NAME (a build tree or a flat directory).
bin_in_dir() {
    local dir=$1 name=$2 sub
    for sub in "" registry router babysitter tools/mock tools/bench; do
        if [ -x "$dir/$sub/$name" ] && [ -f "$dir/$sub/$name" ]; then
            printf '%s\n' "$dir/$sub/$name"
            return 0
        fi
    done
    return 1
}

# find_bin NAME: $INFINI_BIN_DIR, then PATH, then the repository's build/release.
find_bin() {
    local name=$1
    if [ -n "${INFINI_BIN_DIR:-}" ]; then
        bin_in_dir "$INFINI_BIN_DIR" "$name" && return 0
    fi
    command -v "$name" 2>/dev/null && return 0
    bin_in_dir "$REPO_ROOT/build/release" "$name"
}

# build_release: builds the binaries into build/release (the README's Release build).
build_release() {
    log "building the binaries into $REPO_ROOT/build/release ..."
    cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build/release" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$REPO_ROOT/build/release" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
}

# resolve_bins NAME...: sets BIN_<name> (dashes as underscores) for each binary; builds
# build/release once when one is missing everywhere.
# shellcheck disable=SC2034 # read by the scripts that source this file
BIN_infini_registry="" BIN_infini_router="" BIN_infini_babysitter="" BIN_infini_bench=""
resolve_bins() {
    local name path built=0
    for name in "$@"; do
        if ! path=$(find_bin "$name"); then
            if [ "$built" = 0 ] && [ -z "${INFINI_BIN_DIR:-}" ]; then
                build_release
                built=1
            fi
            path=$(find_bin "$name") || die "$name not found (INFINI_BIN_DIR, PATH, build/release)"
        fi
        printf -v "BIN_${name//-/_}" '%s' "$path"
    done
}

# http_code URL: the status of GET URL, or 000 when nothing answered within 5 s.
http_code() {
    "${CURL[@]}" --max-time 5 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true
}

# pid_is_ours PID: true while PID is alive (not a zombie) and runs one of the infini-* binaries
# (a PID file outliving its process must not make us signal whoever reuses the PID).
pid_is_ours() {
    local pid=$1 cmd stat
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ] || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    case "$cmd" in *infini-*) return 0 ;; *) return 1 ;; esac
}

pid_file() { printf '%s/%s.pid\n' "$LOG_DIR" "$1"; }

# registry_token_init: exports INFINI_REGISTRY_TOKEN, the registry's --auth-token (its
# environment form, which keeps the token out of `ps`) and the bearer token the babysitters send:
# the environment's, else the one this deployment generated before ($LOG_DIR/registry.token),
# else a new random one written there (mode 600).
registry_token_init() {
    local file="$LOG_DIR/registry.token"
    if [ -z "${INFINI_REGISTRY_TOKEN:-}" ]; then
        if [ ! -s "$file" ]; then
            (
                umask 077
                od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$file.tmp"
            )
            mv "$file.tmp" "$file"
        fi
        INFINI_REGISTRY_TOKEN=$(cat "$file")
    fi
    [ -n "$INFINI_REGISTRY_TOKEN" ] || die "empty registry token ($file)"
    export INFINI_REGISTRY_TOKEN
}

# start_daemon NAME ARGV...: starts ARGV in its own session (so a Ctrl-C in the terminal does
# not reach it and stop-all.sh decides when it ends), output to $LOG_DIR/NAME.log, PID to
# $LOG_DIR/NAME.pid.
start_daemon() {
    local name=$1
    shift
    setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$(pid_file "$name")"
}

# fail_with_log NAME MESSAGE: prints MESSAGE and the tail of NAME's log, then exits 1.
fail_with_log() {
    local name=$1 msg=$2
    printf 'ERROR: %s\n--- last lines of %s ---\n' "$msg" "$LOG_DIR/$name.log" >&2
    tail -n 25 "$LOG_DIR/$name.log" >&2 2>/dev/null || true
    exit 1
}

# wait_http NAME URL TIMEOUT: waits until URL answers 200 while NAME's process lives.
wait_http() {
    local name=$1 url=$2 timeout=$3 pid deadline
    pid=$(cat "$(pid_file "$name")")
    deadline=$((SECONDS + timeout))
    while :; do
        pid_is_ours "$pid" || fail_with_log "$name" "$name (PID $pid) exited during startup"
        [ "$(http_code "$url")" = 200 ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || fail_with_log "$name" "$name: no 200 from $url in ${timeout}s"
        sleep 0.2
    done
}

# running_pids: "name=pid" for every PID file whose process is still ours.
running_pids() {
    local f name pid
    for f in "$LOG_DIR"/*.pid; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .pid)
        pid=$(cat "$f" 2>/dev/null || true)
        pid_is_ours "$pid" && printf '%s=%s\n' "$name" "$pid"
    done
    return 0
}

# stop_pids TIMEOUT NAME...: SIGTERM to each named daemon, waits up to TIMEOUT seconds for all,
# then SIGKILL to the rest; removes their PID files.
stop_pids() {
    local timeout=$1 name pid deadline left
    shift
    for name in "$@"; do
        pid=$(cat "$(pid_file "$name")" 2>/dev/null || true)
        if pid_is_ours "$pid"; then
            log "stopping $name (PID $pid)"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    deadline=$((SECONDS + timeout))
    while :; do
        left=()
        for name in "$@"; do
            pid=$(cat "$(pid_file "$name")" 2>/dev/null || true)
            pid_is_ours "$pid" && left+=("$name=$pid")
        done
        [ ${#left[@]} -eq 0 ] && break
        if [ "$SECONDS" -ge "$deadline" ]; then
            for name in "${left[@]}"; do
                warn "${name%%=*} did not stop in ${timeout}s; SIGKILL to PID ${name#*=}"
                kill -KILL "${name#*=}" 2>/dev/null || true
            done
            sleep 0.2
            break
        fi
        sleep 0.1
    done
    for name in "$@"; do rm -f "$(pid_file "$name")"; done
}

# router_healthy_count [HOST]: the number of instances the router routes to (its /health "h/n").
router_healthy_count() {
    local host=${1:-127.0.0.1} n
    n=$("${CURL[@]}" "http://$host:$ROUTER_PORT/health" 2>/dev/null |
        grep -o '"healthy_services":"[0-9]*' | grep -o '[0-9]*$' || true)
    printf '%s\n' "${n:-0}"
}
