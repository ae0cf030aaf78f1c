# Daemons run by PID file for the deployment cases (sourced by lib/case.sh, never run): start one
# in its own session with its log and PID file in LOG_DIR, wait for its /health, refuse a second
# deployment in the same LOG_DIR, and stop daemons, or a whole deployment, by their PID files.
# Processes are only ever signalled by recorded PID, after checking that the PID still runs one
# of our binaries. Needs lib/case.sh's LOG_DIR, log/warn/die and http_code.
# shellcheck shell=bash

pid_file() { printf '%s/%s.pid\n' "$LOG_DIR" "$1"; }

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

# refuse_if_running WHAT [NAME...]: one deployment per LOG_DIR. Dies ("WHAT already runs from
# LOG_DIR (name=pid ...); run stop-all.sh first") while a named daemon (default: any with a PID
# file in LOG_DIR) still runs; otherwise removes their PID files, stale from an earlier run.
refuse_if_running() {
    local what=$1 f name pid running=()
    shift
    local names=("$@")
    if [ ${#names[@]} -eq 0 ]; then
        for f in "$LOG_DIR"/*.pid; do
            [ -e "$f" ] && names+=("$(basename "$f" .pid)")
        done
    fi
    for name in "${names[@]}"; do
        pid=$(cat "$(pid_file "$name")" 2>/dev/null || true)
        pid_is_ours "$pid" && running+=("$name=$pid")
    done
    [ ${#running[@]} -eq 0 ] || die "$what already runs from $LOG_DIR (${running[*]}); run stop-all.sh first"
    for name in "${names[@]}"; do rm -f "$(pid_file "$name")"; done
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

# stop_deployment: what the case's start scripts started from LOG_DIR, by PID file: first the
# router and the babysitters (SIGTERM: the router drains, each babysitter deletes its records
# and stops its model server's process group), then the registry, so the deregistrations reach
# it; each group gets STOP_TIMEOUT seconds before SIGKILL. Safe when nothing runs.
stop_deployment() {
    local f babysitters=()
    for f in "$LOG_DIR"/babysitter_*.pid; do
        [ -e "$f" ] && babysitters+=("$(basename "$f" .pid)")
    done
    stop_pids "$STOP_TIMEOUT" router "${babysitters[@]}"
    stop_pids "$STOP_TIMEOUT" registry
}
