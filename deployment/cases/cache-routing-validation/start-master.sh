#!/usr/bin/env bash
# Starts the cache-routing case on this host: infini-registry, infini-router and one
# infini-babysitter per instance (master, and slave unless SINGLE_INSTANCE=true), then waits,
# with bounded waits, until each answers /health with 200 and the router routes to every
# instance. Without MODEL1_DIR the instances are infini-mock (config/*-mock.toml), so the case
# runs on any machine; with MODEL1_DIR they are vLLM servers (config/master.toml, slave.toml,
# copied into the log directory with the model path and port filled in).
#
# Usage: start-master.sh [REGISTRY_IP]   (the address written into the records; default
#        127.0.0.1). Logs and PID files go to LOG_DIR (default logs/); stop with stop-all.sh.
# Env: REGISTRY_PORT (18000) ROUTER_PORT (8000) MASTER_PORT (8100) SLAVE_PORT (8200)
#      SINGLE_INSTANCE (false) MODEL1_DIR MASTER_CONFIG SLAVE_CONFIG INFINI_BIN_DIR LOG_DIR
#      READY_TIMEOUT (60 s with mocks, 1800 s with vLLM) ROUTER_POLICY (key-or-rr)
#      INFINI_REGISTRY_TOKEN (registry writes need it; default: generated once into
#      LOG_DIR/registry.token) ALLOW_HOSTS (hosts records may name; default: loopback and IP)
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/launch.sh
source "$CASE_LIB_DIR/launch.sh"

HOST_IP=${1:-127.0.0.1}
SINGLE_INSTANCE=${SINGLE_INSTANCE:-false}
ROUTER_POLICY=${ROUTER_POLICY:-key-or-rr}
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"

# vllm_config SRC PORT: SRC copied into the log directory with MODEL1_DIR and PORT filled in.
vllm_config() {
    render_config "$1" "$LOG_DIR/config/$(basename "$1")" "$2" /models/9g_8b_thinking MODEL1_DIR
}

# choose_configs: sets MASTER_TOML and SLAVE_TOML (mock or vLLM) and READY_TIMEOUT.
choose_configs() {
    if [ -n "${MODEL1_DIR:-}" ]; then
        [ -d "$MODEL1_DIR" ] || die "MODEL1_DIR=$MODEL1_DIR is not a directory"
        MASTER_TOML=${MASTER_CONFIG:-$(vllm_config "$CASE_DIR/config/master.toml" "$MASTER_PORT")}
        SLAVE_TOML=${SLAVE_CONFIG:-$(vllm_config "$CASE_DIR/config/slave.toml" "$SLAVE_PORT")}
        READY_TIMEOUT=${READY_TIMEOUT:-1800}
        log "instances: vLLM serving $MODEL1_DIR"
    else
        MASTER_TOML=${MASTER_CONFIG:-$CASE_DIR/config/master-mock.toml}
        SLAVE_TOML=${SLAVE_CONFIG:-$CASE_DIR/config/slave-mock.toml}
        READY_TIMEOUT=${READY_TIMEOUT:-60}
        log "instances: infini-mock (set MODEL1_DIR to run vLLM)"
    fi
}

main() {
    mkdir -p "$LOG_DIR"
    refuse_if_running "a deployment"
    resolve_bins infini-registry infini-router infini-babysitter
    choose_configs
    registry_token_init
    launch_guard "$CASE_DIR/stop-all.sh"
    local want=2
    [ "$SINGLE_INSTANCE" = true ] && want=1
    echo "$want" >"$LOG_DIR/instances"

    launch_registry "${ALLOW_HOSTS:-127.0.0.0/8,::1,localhost,$HOST_IP}"
    launch_router
    launch_babysitter master "$MASTER_TOML" "$MASTER_PORT" "$HOST_IP" "$REGISTRY_URL"
    [ "$want" = 1 ] || launch_babysitter slave "$SLAVE_TOML" "$SLAVE_PORT" "$HOST_IP" "$REGISTRY_URL"
    wait_babysitter master "$MASTER_PORT" "$READY_TIMEOUT"
    [ "$want" = 1 ] || wait_babysitter slave "$SLAVE_PORT" "$READY_TIMEOUT"
    wait_router_sees "$want"
    log "deployment up: $want instance(s) of $MODEL behind http://$HOST_IP:$ROUTER_PORT (logs: $LOG_DIR)"
}

main "$@"
