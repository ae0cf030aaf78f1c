# The launch steps of the deployment cases' start scripts (sourced by them after the case's
# common.sh, never run): the registry, the router and the babysitters as the cases run them, each
# waited for with a bounded wait and reported in one line; a wait for the router to route to
# every instance; copying a babysitter config with the model paths and port filled in; and
# stopping what was started when a start fails half-way. Which instances, ports, configs and
# messages stay in each case's start script. Needs lib/case.sh (and its proc.sh).
# shellcheck shell=bash disable=SC2154 # BIN_* are set by resolve_bins (lib/case.sh)

# launch_guard CMD...: from here on, an exit with a failure status runs CMD to stop what was
# started, so that a retry starts clean (an exit 0 leaves the deployment running).
launch_guard() {
    LAUNCH_ROLLBACK=("$@")
    trap launch_rollback EXIT
}

launch_rollback() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        warn "start failed; stopping what was started"
        "${LAUNCH_ROLLBACK[@]}" >&2 || true
    fi
}

# launch_registry [ALLOW_HOSTS]: the registry keeps its records in a state file (a restart must
# not empty the fleet), takes writes only with the deployment's token (INFINI_REGISTRY_TOKEN,
# --auth-token's environment form, which keeps it out of `ps`) and, given ALLOW_HOSTS, only
# records naming those hosts. Waits for its /health.
launch_registry() {
    local allow=()
    [ -z "${1:-}" ] || allow=(--allow-hosts "$1")
    start_daemon registry "$BIN_infini_registry" --port "$REGISTRY_PORT" \
        --state-file "$LOG_DIR/registry-state.json" --heartbeat-timeout 30 --expire-after 120 \
        --health-interval 10 --access-log off "${allow[@]}"
    wait_http registry "http://127.0.0.1:$REGISTRY_PORT/health" 30
    printf '%-12s :%s up (PID %s)\n' registry "$REGISTRY_PORT" "$(cat "$(pid_file registry)")"
}

# launch_router [NOTE]: the router polls the local registry every second and probes the
# instances every 2 s, with ROUTER_POLICY (empty: the router's default policy). NOTE ends its
# "up" line. Waits for its /health.
# shellcheck disable=SC2120 # NOTE is optional
launch_router() {
    local policy=()
    [ -z "${ROUTER_POLICY:-}" ] || policy=(--policy "$ROUTER_POLICY")
    start_daemon router "$BIN_infini_router" --router-port "$ROUTER_PORT" \
        --registry-url "http://127.0.0.1:$REGISTRY_PORT" --registry-sync-interval 1 \
        --health-interval 2 "${policy[@]}" --access-log "$LOG_DIR/router-access.log"
    wait_http router "http://127.0.0.1:$ROUTER_PORT/health" 30
    printf '%-12s :%s up (PID %s, policy %s%s)\n' router "$ROUTER_PORT" \
        "$(cat "$(pid_file router)")" "${ROUTER_POLICY:-default}" "${1:+, $1}"
}

# launch_babysitter NAME TOML PORT HOST REGISTRY_URL: daemon "babysitter_NAME" runs the model
# server of TOML on PORT (its own API on PORT+1) and registers it as HOST with REGISTRY_URL.
launch_babysitter() {
    start_daemon "babysitter_$1" "$BIN_infini_babysitter" --config-file "$2" --port "$3" \
        --host "$4" --registry-url "$5"
}

# wait_babysitter NAME PORT TIMEOUT [LABEL]: babysitter NAME answers /health with 200 (its model
# server is ready) within TIMEOUT seconds; reported as LABEL (default NAME).
wait_babysitter() {
    local name=$1 port=$2
    wait_http "babysitter_$name" "http://127.0.0.1:$((port + 1))/health" "$3"
    printf '%-12s :%s ready, babysitter :%s (PID %s)\n' "${4:-$name}" "$port" "$((port + 1))" \
        "$(cat "$(pid_file "babysitter_$name")")"
}

# wait_router_sees N [HOST]: the router on HOST (default this one) routes to at least N
# instances within 30 s (it polls the registry every second); else fails with its log's tail
# when it runs from this LOG_DIR.
wait_router_sees() {
    local want=$1 host=${2:-127.0.0.1} deadline=$((SECONDS + 30)) msg
    until [ "$(router_healthy_count "$host")" -ge "$want" ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            msg="the router at $host:$ROUTER_PORT routes to $(router_healthy_count "$host") of $want instances after 30s"
            [ ! -e "$(pid_file router)" ] || fail_with_log router "$msg"
            die "$msg"
        fi
        sleep 0.2
    done
}

# render_config SRC DEST PORT [PATH VAR]...: copies babysitter config SRC to DEST with the model
# server's "--port" set to PORT and, outside comments, each PATH replaced by the value of
# variable VAR when VAR is set (a model or checkout directory); prints DEST.
render_config() {
    local src=$1 dest=$2 port=$3 value edits=()
    shift 3
    while [ $# -ge 2 ]; do
        value=${!2:-}
        if [ -n "$value" ]; then
            case "$value" in *\"* | *\\*) die "$2 must not contain quotes or backslashes" ;; esac
            edits+=(-e "/^[[:space:]]*#/!s|$1|$(printf '%s' "$value" | sed 's/[&|]/\\&/g')|g")
        fi
        shift 2
    done
    mkdir -p "$(dirname "$dest")"
    sed "${edits[@]}" -e "s|\"--port\", \"[0-9]*\"|\"--port\", \"$port\"|" "$src" >"$dest"
    printf '%s\n' "$dest"
}
