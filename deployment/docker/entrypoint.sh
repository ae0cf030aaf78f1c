#!/usr/bin/env bash
# Container entrypoint (also runs from a checkout): starts the components named in
# LAUNCH_COMPONENTS, waits until each is ready, then stays in the foreground as their parent.
# On SIGTERM/SIGINT (docker stop, Ctrl-C) it stops them in order — babysitters first, so they
# deregister and stop their model servers while the registry is still there, then the router,
# then the registry — and exits 0. If a component dies on its own, it stops the others and
# exits 1 so the container's restart policy takes over.
#
# Unlike the reference's docker_entrypoint (which ended in `exec sleep infinity` and so threw
# away its own SIGTERM trap, leaving docker to SIGKILL everything), this shell never execs: it
# waits on its children, so its trap runs.
#
# Env:
#   LAUNCH_COMPONENTS  all (= registry,router,babysitter) | none | comma list    [all]
#   REGISTRY_PORT, ROUTER_PORT                                             [18000, 8000]
#   REGISTRY_URL       the registry for router and babysitters; needed on a worker host
#                      [http://127.0.0.1:$REGISTRY_PORT]
#   BABYSITTER_HOST    the address written into the babysitters' records (how other hosts
#                      reach this one) [the configs' host]
#   BABYSITTER_CONFIGS space-separated TOML paths, relative ones under CONFIG_DIR
#   CONFIG_DIR         [/app/config, else the cache-routing case's config/ in a checkout]
#   INFINI_BIN_DIR     where the binaries are (a build tree or a flat directory) [PATH]
#   REGISTRY_STATE_FILE  registry --state-file [none]
#   INFINI_REGISTRY_TOKEN  the registry's --auth-token (its environment form, out of `ps`) and
#                      the bearer token babysitters and router send [none: writes are open]
#   REGISTRY_ARGS, ROUTER_ARGS, BABYSITTER_ARGS  more flags, split on spaces
#                      [ROUTER_ARGS: --registry-sync-interval 1 --health-interval 2]
#   READY_TIMEOUT      seconds each component may take to become ready     [600]
#   STOP_TIMEOUT       seconds each stop step may take before SIGKILL       [40]
# The reference's ROUTER_REGISTRY_URL and BABYSITTER_REGISTRY_URL override REGISTRY_URL.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LAUNCH_COMPONENTS=${LAUNCH_COMPONENTS:-all}
REGISTRY_PORT=${REGISTRY_PORT:-18000}
ROUTER_PORT=${ROUTER_PORT:-8000}
REGISTRY_URL=${REGISTRY_URL:-http://127.0.0.1:$REGISTRY_PORT}
ROUTER_REGISTRY_URL=${ROUTER_REGISTRY_URL:-$REGISTRY_URL}
BABYSITTER_REGISTRY_URL=${BABYSITTER_REGISTRY_URL:-$REGISTRY_URL}
BABYSITTER_HOST=${BABYSITTER_HOST:-}
BABYSITTER_CONFIGS=${BABYSITTER_CONFIGS:-}
REGISTRY_STATE_FILE=${REGISTRY_STATE_FILE:-}
REGISTRY_ARGS=${REGISTRY_ARGS:-}
ROUTER_ARGS=${ROUTER_ARGS:---registry-sync-interval 1 --health-interval 2}
BABYSITTER_ARGS=${BABYSITTER_ARGS:-}
READY_TIMEOUT=${READY_TIMEOUT:-600}
STOP_TIMEOUT=${STOP_TIMEOUT:-40}
if [ -z "${CONFIG_DIR:-}" ]; then
    CONFIG_DIR=/app/config
    [ -d "$CONFIG_DIR" ] || CONFIG_DIR="$HERE/../cases/cache-routing-validation/config"
fi

RUN_DIR=$(mktemp -d)
REGISTRY_PID=""
ROUTER_PID=""
BABYSITTER_PIDS=()
IDLE_PID=""
STOPPING=0

say() { printf '[entrypoint] %s\n' "$*"; }

# find_bin NAME: INFINI_BIN_DIR (flat or a build tree), else PATH.
find_bin() {
    local sub
    if [ -n "${INFINI_BIN_DIR:-}" ]; then
        for sub in "" registry router babysitter tools/mock tools/bench; do
            [ -x "$INFINI_BIN_DIR/$sub/$1" ] && [ -f "$INFINI_BIN_DIR/$sub/$1" ] &&
                printf '%s\n' "$INFINI_BIN_DIR/$sub/$1" && return 0
        done
    fi
    command -v "$1" || { say "$1 not found (INFINI_BIN_DIR, PATH)" >&2; return 1; }
}

# selected NAME: whether LAUNCH_COMPONENTS names the component.
selected() {
    case ",$LAUNCH_COMPONENTS," in
        *,all,*) [ "$1" != none ] ;;
        *",$1,"*) return 0 ;;
        *) return 1 ;;
    esac
}

check_components() {
    local c
    for c in ${LAUNCH_COMPONENTS//,/ }; do
        case "$c" in all | none | registry | router | babysitter) ;;
            *) say "LAUNCH_COMPONENTS: unknown component '$c' (all, none, registry, router, babysitter)"
                exit 2 ;;
        esac
    done
}

# gone PID: true once PID has exited (it is our child: a zombie until reaped, or reaped).
gone() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" = Z ]
}

# stop_group NAME PID...: SIGTERM, wait up to STOP_TIMEOUT, SIGKILL what is left, reap.
stop_group() {
    local name=$1 pid left deadline=$((SECONDS + STOP_TIMEOUT))
    shift
    [ $# -gt 0 ] || return 0
    say "stopping $name (PID $*)"
    for pid in "$@"; do gone "$pid" || kill -TERM "$pid" 2>/dev/null || true; done
    while :; do
        left=()
        for pid in "$@"; do gone "$pid" || left+=("$pid"); done
        [ ${#left[@]} -gt 0 ] || break
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "$name did not stop in ${STOP_TIMEOUT}s: SIGKILL to ${left[*]}"
            for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
            break
        fi
        sleep 0.1
    done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

stop_all() {
    STOPPING=1
    stop_group babysitters ${BABYSITTER_PIDS[@]+"${BABYSITTER_PIDS[@]}"}
    stop_group router $ROUTER_PID
    stop_group registry $REGISTRY_PID
    [ -z "$IDLE_PID" ] || stop_group idle "$IDLE_PID"
    rm -rf "$RUN_DIR"
}

on_signal() {
    say "received $1: stopping"
    stop_all
    say "stopped"
    exit 0
}

# wait_ready NAME PID URL: URL answers 200 within READY_TIMEOUT while PID lives.
wait_ready() {
    local name=$1 pid=$2 url=$3 deadline=$((SECONDS + READY_TIMEOUT))
    until [ "$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "$url" || true)" = 200 ]; do
        if gone "$pid"; then
            say "$name (PID $pid) exited during startup"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "$name: no 200 from $url within ${READY_TIMEOUT}s"
            return 1
        fi
        sleep 0.2
    done
    say "$name ready (PID $pid, $url)"
}

start_registry() {
    local bin state=()
    bin=$(find_bin infini-registry) || return 1
    [ -z "$REGISTRY_STATE_FILE" ] || state=(--state-file "$REGISTRY_STATE_FILE")
    # shellcheck disable=SC2086 # extra flags are words by design
    "$bin" --port "$REGISTRY_PORT" ${state[@]+"${state[@]}"} --access-log off $REGISTRY_ARGS &
    REGISTRY_PID=$!
    wait_ready registry "$REGISTRY_PID" "http://127.0.0.1:$REGISTRY_PORT/health"
}

start_router() {
    local bin
    bin=$(find_bin infini-router) || return 1
    # shellcheck disable=SC2086
    "$bin" --router-port "$ROUTER_PORT" --registry-url "$ROUTER_REGISTRY_URL" $ROUTER_ARGS &
    ROUTER_PID=$!
    wait_ready router "$ROUTER_PID" "http://127.0.0.1:$ROUTER_PORT/health"
}

# start_babysitters: one per config; each is ready when its /health (P+1, read from the port
# file it writes) answers 200, i.e. its model server is ready.
start_babysitters() {
    local bin cfg i=0 host=() pids_ports=() entry port deadline pid file name
    bin=$(find_bin infini-babysitter) || return 1
    [ -n "$BABYSITTER_CONFIGS" ] || { say "babysitter selected but BABYSITTER_CONFIGS is empty"; return 1; }
    [ -z "$BABYSITTER_HOST" ] || host=(--host "$BABYSITTER_HOST")
    for cfg in $BABYSITTER_CONFIGS; do
        case "$cfg" in /*) ;; *) cfg="$CONFIG_DIR/$cfg" ;; esac
        [ -f "$cfg" ] || { say "babysitter config $cfg not found"; return 1; }
        i=$((i + 1))
        # shellcheck disable=SC2086
        "$bin" --config-file "$cfg" ${host[@]+"${host[@]}"} \
            --registry-url "$BABYSITTER_REGISTRY_URL" --port-file "$RUN_DIR/babysitter-$i.port" \
            $BABYSITTER_ARGS &
        BABYSITTER_PIDS+=($!)
        pids_ports+=("$!:$RUN_DIR/babysitter-$i.port:$(basename "$cfg")")
    done
    for entry in "${pids_ports[@]}"; do
        IFS=: read -r pid file name <<<"$entry"
        deadline=$((SECONDS + 30))
        until [ -s "$file" ]; do
            gone "$pid" && { say "babysitter $name (PID $pid) exited during startup"; return 1; }
            [ "$SECONDS" -lt "$deadline" ] || { say "babysitter $name: no port file"; return 1; }
            sleep 0.1
        done
        port=$(cat "$file")
        wait_ready "babysitter $name" "$pid" "http://127.0.0.1:$port/health"
    done
}

# watch: stays the children's parent until a signal arrives (trap) or one of them exits.
watch() {
    local pid status
    if [ -z "$REGISTRY_PID$ROUTER_PID${BABYSITTER_PIDS[*]+x}" ]; then
        sleep infinity &
        IDLE_PID=$!
    fi
    status=0
    wait -n -p pid || status=$?
    [ "$STOPPING" = 1 ] && return 0
    say "PID ${pid:-?} exited on its own (status $status): stopping the rest"
    stop_all
    exit 1
}

main() {
    check_components
    trap 'on_signal SIGTERM' TERM
    trap 'on_signal SIGINT' INT
    say "components: $LAUNCH_COMPONENTS"
    if ! { { ! selected registry || start_registry; } &&
        { ! selected router || start_router; } &&
        { ! selected babysitter || start_babysitters; }; }; then
        say "startup failed: stopping what was started"
        stop_all
        exit 1
    fi
    say "all components ready"
    watch
}

main "$@"
