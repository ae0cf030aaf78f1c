#!/usr/bin/env bash
# Starts server 2 of the integration-validation case on this host: babysitters C (model-1 on
# PORT_C, default 8100) and D (model-2 on PORT_D, default 8200), registering with server 1's
# registry, then waits, with bounded waits, until each answers /health with 200 and server 1's
# router routes to all four instances. Server 1 must be up (start-server1.sh). Without
# MODEL1_DIR / MODEL2_DIR the model servers are infini-mock (config/babysitter-c.toml, -d.toml),
# with them vLLM (config/babysitter-c-vllm.toml, -d-vllm.toml).
#
# Usage: start-server2.sh <SERVER1_IP> <SERVER2_IP>   (server 1's address; this host's address,
#        written into the records so that server 1's router reaches it). Both servers can share
#        one host: set PORT_C and PORT_D to free ports (e.g. 8300 and 8400).
# Env: REGISTRY_PORT (18000) ROUTER_PORT (8000) PORT_C (8100) PORT_D (8200)
#      INFINI_REGISTRY_TOKEN (server 1's token; default: LOG_DIR/registry.token when server 1
#      runs from the same LOG_DIR) MODEL1_DIR MODEL2_DIR READY_TIMEOUT (60 s with mocks, 1800 s
#      with vLLM) INFINI_BIN_DIR LOG_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/launch.sh
source "$CASE_LIB_DIR/launch.sh"

if [ $# -lt 2 ]; then
    printf 'Usage: %s <SERVER1_IP> <SERVER2_IP>\n\n' "$0" >&2
    printf '  SERVER1_IP: the address of server 1 (registry and router)\n' >&2
    printf '  SERVER2_IP: the address of this host (server 2)\n' >&2
    exit 1
fi
SERVER1_IP=$1
SERVER2_IP=$2
REGISTRY_URL="http://$SERVER1_IP:$REGISTRY_PORT"
# token_init: server 1's token, from the environment or a LOG_DIR shared with server 1. Never
# generated here: the registry would refuse a new one.
token_init() {
    if [ -z "${INFINI_REGISTRY_TOKEN:-}" ]; then
        [ -s "$LOG_DIR/registry.token" ] ||
            die "set INFINI_REGISTRY_TOKEN to server 1's registry token (in server 1's logs/registry.token)"
        INFINI_REGISTRY_TOKEN=$(cat "$LOG_DIR/registry.token")
    fi
    export INFINI_REGISTRY_TOKEN
}

# check_server1: its registry answers and accepts the token. Writes need the token and are
# checked before the service name, so a heartbeat for a name nobody uses answers 404 when the
# token is right and 401 when it is not.
check_server1() {
    local code
    log "checking server 1's registry at $REGISTRY_URL ..."
    [ "$(http_code "$REGISTRY_URL/health")" = 200 ] ||
        die "cannot reach server 1's registry at $REGISTRY_URL/health: start server 1 first"
    code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $INFINI_REGISTRY_TOKEN" \
        "$REGISTRY_URL/services/start-server2-token-check/heartbeat" || true)
    case "$code" in
        404) ;;
        401) die "server 1's registry refuses INFINI_REGISTRY_TOKEN (HTTP 401): use server 1's token" ;;
        *) die "unexpected answer from server 1's registry: HTTP $code" ;;
    esac
}

main() {
    local timeout
    mkdir -p "$LOG_DIR"
    refuse_if_running "server 2" babysitter_c babysitter_d
    resolve_bins infini-babysitter
    token_init
    check_server1
    timeout=$(ready_timeout)
    launch_guard stop_pids "$STOP_TIMEOUT" babysitter_c babysitter_d

    start_babysitter c "$PORT_C" "$SERVER2_IP" "$REGISTRY_URL"
    start_babysitter d "$PORT_D" "$SERVER2_IP" "$REGISTRY_URL"
    wait_babysitter c "$PORT_C" "$timeout" babysitter-c
    wait_babysitter d "$PORT_D" "$timeout" babysitter-d
    wait_router_sees 4 "$SERVER1_IP"
    log "server 2 up: babysitters C (model-1) and D (model-2) on $SERVER2_IP, registered with" \
        "$REGISTRY_URL; server 1's router routes to 4 instances (logs: $LOG_DIR)"
}

main "$@"
