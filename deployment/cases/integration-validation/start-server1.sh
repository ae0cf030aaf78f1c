#!/usr/bin/env bash
# Starts server 1 of the integration-validation case on this host: infini-registry,
# infini-router (round-robin per model, policy key-or-rr, as the reference's) and babysitters A
# (model-1 on :8100, babysitter :8101) and B (model-2 on :8200, babysitter :8201), then waits,
# with bounded waits, until each answers /health with 200 and the router routes to both. Server
# 2 (start-server2.sh) adds babysitters C and D. Without MODEL1_DIR / MODEL2_DIR the model
# servers are infini-mock (config/babysitter-a.toml, -b.toml), with them vLLM
# (config/babysitter-a-vllm.toml, -b-vllm.toml).
#
# Usage: start-server1.sh [SERVER1_IP]   (the address written into the records, which the
#        router and server 2 use to reach this host; default 127.0.0.1). Logs, PID files and the
#        registry token (LOG_DIR/registry.token, needed by server 2) go to LOG_DIR (default
#        logs/); stop with stop-all.sh.
# Env: REGISTRY_PORT (18000) ROUTER_PORT (8000) PORT_A (8100) PORT_B (8200)
#      INFINI_REGISTRY_TOKEN (default: generated once into LOG_DIR/registry.token)
#      ALLOW_HOSTS (hosts records may name, e.g. 10.0.0.0/24; default: any but link-local)
#      ROUTER_POLICY (key-or-rr) MODEL1_DIR MODEL2_DIR READY_TIMEOUT (60 s with mocks, 1800 s
#      with vLLM) INFINI_BIN_DIR LOG_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/launch.sh
source "$CASE_LIB_DIR/launch.sh"

SERVER1_IP=${1:-127.0.0.1}
ROUTER_POLICY=${ROUTER_POLICY:-key-or-rr}
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"

# stop_server1: what a failed start started (server 2's babysitters may share this LOG_DIR).
stop_server1() {
    stop_pids "$STOP_TIMEOUT" router babysitter_a babysitter_b
    stop_pids "$STOP_TIMEOUT" registry
}

main() {
    local timeout
    mkdir -p "$LOG_DIR"
    refuse_if_running "server 1" registry router babysitter_a babysitter_b
    resolve_bins infini-registry infini-router infini-babysitter
    registry_token_init
    timeout=$(ready_timeout)
    launch_guard stop_server1

    # Server 2's address is not known here, so by default records may name any host but
    # link-local ones (the registry's own rule); ALLOW_HOSTS narrows that.
    launch_registry "${ALLOW_HOSTS:-}"
    launch_router
    start_babysitter a "$PORT_A" "$SERVER1_IP" "$REGISTRY_URL"
    start_babysitter b "$PORT_B" "$SERVER1_IP" "$REGISTRY_URL"
    wait_babysitter a "$PORT_A" "$timeout" babysitter-a
    wait_babysitter b "$PORT_B" "$timeout" babysitter-b
    wait_router_sees 2
    log "server 1 up: registry http://$SERVER1_IP:$REGISTRY_PORT, router http://$SERVER1_IP:$ROUTER_PORT," \
        "babysitters A (model-1) and B (model-2) (logs: $LOG_DIR)"
    log "registry token from $TOKEN_SOURCE; on server 2: export INFINI_REGISTRY_TOKEN=<that" \
        "token> (not needed when it shares this LOG_DIR), then start-server2.sh $SERVER1_IP <SERVER2_IP>"
}

main "$@"
