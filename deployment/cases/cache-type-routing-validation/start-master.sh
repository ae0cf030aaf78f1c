#!/usr/bin/env bash
# Starts the cache-type routing case on this host: infini-registry, infini-router and two
# infini-babysitters, paged-cache-9g_8b_thinking (:8100, cache_type "paged") and
# static-cache-9g_8b_thinking (:8200, cache_type "static"), then waits, with bounded waits,
# until each answers /health with 200 and the router routes to both. The router sends requests
# whose message content exceeds CACHE_TYPE_ROUTING_THRESHOLD bytes (default 51200) to the static
# instance and the others to the paged one. With DEPLOYMENT=2paged (start-master-2paged.sh) the
# instances are paged-cache-9g_8b_thinking and paged-cache-9g_8b_thinking-2 (:8300), both paged,
# under round-robin: the baseline.
# Without MODEL1_DIR the instances are infini-mock (config/*-mock.toml; the static one simulates
# a static cache, see README.md); with MODEL1_DIR they are InfiniLM servers (config/*.toml,
# copied into the log directory with the paths and port filled in).
#
# Usage: start-master.sh [REGISTRY_IP]   (the address written into the records; default
#        127.0.0.1). Logs, PID files and the registry token go to LOG_DIR (default logs/); stop
#        with stop-all.sh.
# Env: REGISTRY_PORT (18000) ROUTER_PORT (8000) PAGED_PORT (8100) STATIC_PORT (8200)
#      PAGED2_PORT (8300) DEPLOYMENT (size-based | 2paged) CACHE_TYPE_ROUTING_THRESHOLD (51200)
#      MODEL1_DIR INFINILM_DIR INFINICORE_DIR PAGED_CONFIG STATIC_CONFIG PAGED2_CONFIG
#      INFINI_REGISTRY_TOKEN (default: generated once into LOG_DIR/registry.token)
#      ALLOW_HOSTS (hosts records may name; default: loopback and REGISTRY_IP)
#      ROUTER_POLICY (size-based: the router's default; 2paged: key-or-rr) READY_TIMEOUT (60 s
#      with mocks, 1800 s with InfiniLM) INFINI_BIN_DIR LOG_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"

HOST_IP=${1:-127.0.0.1}
DEPLOYMENT=${DEPLOYMENT:-size-based}
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
STARTED=0

# on_exit: a start that failed half-way stops what it started, so a retry starts clean.
on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$STARTED" = 1 ]; then
        warn "start failed; stopping what was started"
        "$CASE_DIR/stop-all.sh" >&2 || true
    fi
}

# refuse_if_running: one deployment per LOG_DIR; stale PID files are removed.
refuse_if_running() {
    local running
    running=$(running_pids)
    [ -z "$running" ] || die "already running from $LOG_DIR (${running//$'\n'/ }); run stop-all.sh first"
    rm -f "$LOG_DIR"/*.pid
}

# render_config SRC PORT: copies SRC into the log directory with MODEL1_DIR, INFINILM_DIR,
# INFINICORE_DIR and PORT filled in (comments left alone); prints the copy's path.
render_config() {
    local src=$1 port=$2 dest model infinilm infinicore v
    dest="$LOG_DIR/config/$(basename "$src")"
    for v in "$MODEL1_DIR" "${INFINILM_DIR:-}" "${INFINICORE_DIR:-}"; do
        case "$v" in *\"* | *\\*) die "MODEL1_DIR, INFINILM_DIR and INFINICORE_DIR must not contain quotes or backslashes" ;; esac
    done
    model=$(printf '%s' "$MODEL1_DIR" | sed 's/[&|]/\\&/g')
    infinilm=$(printf '%s' "${INFINILM_DIR:-/workspace/InfiniLM}" | sed 's/[&|]/\\&/g')
    infinicore=$(printf '%s' "${INFINICORE_DIR:-/workspace/InfiniCore}" | sed 's/[&|]/\\&/g')
    mkdir -p "$LOG_DIR/config"
    sed -e "/^[[:space:]]*#/!s|/models/9g_8b_thinking|$model|g" \
        -e "/^[[:space:]]*#/!s|/workspace/InfiniLM|$infinilm|g" \
        -e "/^[[:space:]]*#/!s|/workspace/InfiniCore|$infinicore|g" \
        -e "s|\"--port\", \"[0-9]*\"|\"--port\", \"$port\"|" "$src" >"$dest"
    printf '%s\n' "$dest"
}

# config_for NAME PORT OVERRIDE: the babysitter TOML of one instance (mock or InfiniLM).
config_for() {
    local name=$1 port=$2 override=$3
    if [ -n "$override" ]; then
        printf '%s\n' "$override"
    elif [ -n "${MODEL1_DIR:-}" ]; then
        render_config "$CASE_DIR/config/$name.toml" "$port"
    else
        printf '%s\n' "$CASE_DIR/config/$name-mock.toml"
    fi
}

# choose_instances: sets ROLES, and TOML_<role> / PORT_<role> / NAME_<role> for each (read
# by indirect expansion).
# shellcheck disable=SC2034
choose_instances() {
    if [ -n "${MODEL1_DIR:-}" ]; then
        [ -d "$MODEL1_DIR" ] || die "MODEL1_DIR=$MODEL1_DIR is not a directory"
        READY_TIMEOUT=${READY_TIMEOUT:-1800}
        log "instances: InfiniLM serving $MODEL1_DIR"
    else
        READY_TIMEOUT=${READY_TIMEOUT:-60}
        log "instances: infini-mock (set MODEL1_DIR to run InfiniLM)"
    fi
    TOML_paged=$(config_for "$PAGED_NAME" "$PAGED_PORT" "${PAGED_CONFIG:-}")
    PORT_paged=$PAGED_PORT NAME_paged=$PAGED_NAME
    case "$DEPLOYMENT" in
        size-based)
            ROLES=(paged static)
            TOML_static=$(config_for "$STATIC_NAME" "$STATIC_PORT" "${STATIC_CONFIG:-}")
            PORT_static=$STATIC_PORT NAME_static=$STATIC_NAME
            ;;
        2paged)
            ROLES=(paged paged2)
            TOML_paged2=$(config_for "$PAGED2_NAME" "$PAGED2_PORT" "${PAGED2_CONFIG:-}")
            PORT_paged2=$PAGED2_PORT NAME_paged2=$PAGED2_NAME
            ROUTER_POLICY=${ROUTER_POLICY:-key-or-rr} # the reference's round-robin baseline
            ;;
        *) die "DEPLOYMENT=$DEPLOYMENT: expected size-based or 2paged" ;;
    esac
}

# The registry keeps its records in a state file (a restart must not empty the fleet), takes
# writes only with the deployment's token (INFINI_REGISTRY_TOKEN, --auth-token's environment form,
# which keeps it out of `ps`) and only records naming ALLOW_HOSTS.
start_registry() {
    start_daemon registry "$BIN_infini_registry" --port "$REGISTRY_PORT" \
        --state-file "$LOG_DIR/registry-state.json" --heartbeat-timeout 30 --expire-after 120 \
        --health-interval 10 --access-log off \
        --allow-hosts "${ALLOW_HOSTS:-127.0.0.0/8,::1,localhost,$HOST_IP}"
    wait_http registry "http://127.0.0.1:$REGISTRY_PORT/health" 30
    printf '%-10s :%s up (PID %s)\n' registry "$REGISTRY_PORT" "$(cat "$(pid_file registry)")"
}

# start_router: size routing comes before the policy, so the router's default policy is kept
# unless ROUTER_POLICY says otherwise (the 2-paged baseline sets key-or-rr).
start_router() {
    local policy=()
    [ -z "${ROUTER_POLICY:-}" ] || policy=(--policy "$ROUTER_POLICY")
    start_daemon router "$BIN_infini_router" --router-port "$ROUTER_PORT" \
        --registry-url "$REGISTRY_URL" --registry-sync-interval 1 --health-interval 2 \
        "${policy[@]}" --access-log "$LOG_DIR/router-access.log"
    wait_http router "http://127.0.0.1:$ROUTER_PORT/health" 30
    printf '%-10s :%s up (PID %s, policy %s, threshold %s bytes)\n' router "$ROUTER_PORT" \
        "$(cat "$(pid_file router)")" "${ROUTER_POLICY:-default}" "$ROUTING_THRESHOLD"
}

start_babysitter() {
    local role=$1 toml="TOML_$1" port="PORT_$1"
    start_daemon "babysitter_$role" "$BIN_infini_babysitter" --config-file "${!toml}" \
        --port "${!port}" --host "$HOST_IP" --registry-url "$REGISTRY_URL"
}

wait_babysitter() {
    local role=$1 port="PORT_$1" name="NAME_$1"
    wait_http "babysitter_$role" "http://127.0.0.1:$((${!port} + 1))/health" "$READY_TIMEOUT"
    printf '%-10s %s :%s ready, babysitter :%s (PID %s)\n' "$role" "${!name}" "${!port}" \
        "$((${!port} + 1))" "$(cat "$(pid_file "babysitter_$role")")"
}

# wait_router_sees N: the router routes to N instances (registry sync every second).
wait_router_sees() {
    local want=$1 deadline=$((SECONDS + 30))
    until [ "$(router_healthy_count 127.0.0.1)" -ge "$want" ]; do
        [ "$SECONDS" -lt "$deadline" ] ||
            fail_with_log router "the router sees $(router_healthy_count 127.0.0.1) of $want instances after 30s"
        sleep 0.2
    done
}

main() {
    local role second
    mkdir -p "$LOG_DIR"
    refuse_if_running
    resolve_bins infini-registry infini-router infini-babysitter
    choose_instances
    registry_token_init
    trap on_exit EXIT
    STARTED=1
    echo "$DEPLOYMENT" >"$LOG_DIR/deployment"

    start_registry
    start_router
    for role in "${ROLES[@]}"; do start_babysitter "$role"; done
    for role in "${ROLES[@]}"; do wait_babysitter "$role"; done
    wait_router_sees 2
    second="NAME_${ROLES[1]}"
    log "deployment up ($DEPLOYMENT): $NAME_paged and ${!second} of $MODEL behind" \
        "http://$HOST_IP:$ROUTER_PORT (logs: $LOG_DIR)"
}

main "$@"
