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

SERVER1_IP=${1:-127.0.0.1}
ROUTER_POLICY=${ROUTER_POLICY:-key-or-rr}
REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"
STARTED=0

# on_exit: a start that failed half-way stops what it started, so a retry starts clean.
on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$STARTED" = 1 ]; then
        warn "start failed; stopping what was started"
        stop_pids "$STOP_TIMEOUT" router babysitter_a babysitter_b >&2 || true
        stop_pids "$STOP_TIMEOUT" registry >&2 || true
    fi
}

# refuse_if_running: one server 1 per LOG_DIR; its stale PID files are removed.
refuse_if_running() {
    local name pid running=""
    for name in registry router babysitter_a babysitter_b; do
        pid=$(cat "$(pid_file "$name")" 2>/dev/null || true)
        if pid_is_ours "$pid"; then
            running+=" $name=$pid"
        else
            rm -f "$(pid_file "$name")"
        fi
    done
    [ -z "$running" ] || die "server 1 already runs from $LOG_DIR ($running ); run stop-all.sh first"
}

# The registry keeps its records in a state file, takes writes only with the deployment's token
# (INFINI_REGISTRY_TOKEN, --auth-token's environment form, which keeps it out of `ps`) and, when
# ALLOW_HOSTS is set, only records naming those hosts (server 2's address is not known here, so
# by default any host but link-local ones).
start_registry() {
    local allow=()
    [ -z "${ALLOW_HOSTS:-}" ] || allow=(--allow-hosts "$ALLOW_HOSTS")
    start_daemon registry "$BIN_infini_registry" --port "$REGISTRY_PORT" \
        --state-file "$LOG_DIR/registry-state.json" --heartbeat-timeout 30 --expire-after 120 \
        --health-interval 10 --access-log off "${allow[@]}"
    wait_http registry "http://127.0.0.1:$REGISTRY_PORT/health" 30
    printf 'registry     :%s up (PID %s)\n' "$REGISTRY_PORT" "$(cat "$(pid_file registry)")"
}

start_router() {
    start_daemon router "$BIN_infini_router" --router-port "$ROUTER_PORT" \
        --registry-url "$REGISTRY_URL" --registry-sync-interval 1 --health-interval 2 \
        --policy "$ROUTER_POLICY" --access-log "$LOG_DIR/router-access.log"
    wait_http router "http://127.0.0.1:$ROUTER_PORT/health" 30
    printf 'router       :%s up (PID %s, policy %s)\n' "$ROUTER_PORT" \
        "$(cat "$(pid_file router)")" "$ROUTER_POLICY"
}

main() {
    local timeout deadline
    mkdir -p "$LOG_DIR"
    refuse_if_running
    resolve_bins infini-registry infini-router infini-babysitter
    registry_token_init
    timeout=$(ready_timeout)
    trap on_exit EXIT
    STARTED=1

    start_registry
    start_router
    start_babysitter a "$PORT_A" "$SERVER1_IP" "$REGISTRY_URL"
    start_babysitter b "$PORT_B" "$SERVER1_IP" "$REGISTRY_URL"
    wait_babysitter a "$PORT_A" "$timeout"
    wait_babysitter b "$PORT_B" "$timeout"
    deadline=$((SECONDS + 30))
    until [ "$(router_healthy_count 127.0.0.1)" -ge 2 ]; do
        [ "$SECONDS" -lt "$deadline" ] ||
            fail_with_log router "the router routes to $(router_healthy_count 127.0.0.1) of 2 instances after 30s"
        sleep 0.2
    done
    log "server 1 up: registry http://$SERVER1_IP:$REGISTRY_PORT, router http://$SERVER1_IP:$ROUTER_PORT," \
        "babysitters A (model-1) and B (model-2) (logs: $LOG_DIR)"
    log "registry token from $TOKEN_SOURCE; on server 2: export INFINI_REGISTRY_TOKEN=<that" \
        "token> (not needed when it shares this LOG_DIR), then start-server2.sh $SERVER1_IP <SERVER2_IP>"
}

main "$@"
