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
# shellcheck source=../lib/launch.sh
source "$CASE_LIB_DIR/launch.sh"

HOST_IP=${1:-127.0.0.1}
DEPLOYMENT=${DEPLOYMENT:-size-based}
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"

# config_for NAME PORT OVERRIDE: the babysitter TOML of one instance (mock or InfiniLM).
config_for() {
    local name=$1 port=$2 override=$3
    if [ -n "$override" ]; then
        printf '%s\n' "$override"
    elif [ -n "${MODEL1_DIR:-}" ]; then
        render_config "$CASE_DIR/config/$name.toml" "$LOG_DIR/config/$name.toml" "$port" \
            /models/9g_8b_thinking MODEL1_DIR /workspace/InfiniLM INFINILM_DIR \
            /workspace/InfiniCore INFINICORE_DIR
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

main() {
    local role toml port name second
    mkdir -p "$LOG_DIR"
    refuse_if_running "a deployment"
    resolve_bins infini-registry infini-router infini-babysitter
    choose_instances
    registry_token_init
    launch_guard "$CASE_DIR/stop-all.sh"
    echo "$DEPLOYMENT" >"$LOG_DIR/deployment"

    launch_registry "${ALLOW_HOSTS:-127.0.0.0/8,::1,localhost,$HOST_IP}"
    # Size routing comes before the policy, so the router's default policy is kept unless
    # ROUTER_POLICY says otherwise (the 2-paged baseline sets key-or-rr).
    launch_router "threshold $ROUTING_THRESHOLD bytes"
    for role in "${ROLES[@]}"; do
        toml="TOML_$role" port="PORT_$role"
        launch_babysitter "$role" "${!toml}" "${!port}" "$HOST_IP" "$REGISTRY_URL"
    done
    for role in "${ROLES[@]}"; do
        port="PORT_$role" name="NAME_$role"
        wait_babysitter "$role" "${!port}" "$READY_TIMEOUT" "$role ${!name}"
    done
    wait_router_sees 2
    second="NAME_${ROLES[1]}"
    log "deployment up ($DEPLOYMENT): $NAME_paged and ${!second} of $MODEL behind" \
        "http://$HOST_IP:$ROUTER_PORT (logs: $LOG_DIR)"
}

main "$@"
