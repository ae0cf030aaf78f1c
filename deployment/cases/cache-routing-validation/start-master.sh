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

HOST_IP=${1:-127.0.0.1}
SINGLE_INSTANCE=${SINGLE_INSTANCE:-false}
ROUTER_POLICY=${ROUTER_POLICY:-key-or-rr}
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

# render_vllm_config SRC PORT: copies SRC into the log directory with MODEL1_DIR and PORT
# filled in; prints the copy's path.
render_vllm_config() {
    local src=$1 port=$2 dest model
    dest="$LOG_DIR/config/$(basename "$src")"
    case "$MODEL1_DIR" in *\"* | *\\*) die "MODEL1_DIR must not contain quotes or backslashes" ;; esac
    model=$(printf '%s' "$MODEL1_DIR" | sed 's/[&|]/\\&/g')
    mkdir -p "$LOG_DIR/config"
    sed -e "/^[[:space:]]*#/!s|/models/9g_8b_thinking|$model|g" \
        -e "s|\"--port\", \"[0-9]*\"|\"--port\", \"$port\"|" "$src" >"$dest"
    printf '%s\n' "$dest"
}

# choose_configs: sets MASTER_TOML and SLAVE_TOML (mock or vLLM) and READY_TIMEOUT.
choose_configs() {
    if [ -n "${MODEL1_DIR:-}" ]; then
        [ -d "$MODEL1_DIR" ] || die "MODEL1_DIR=$MODEL1_DIR is not a directory"
        MASTER_TOML=${MASTER_CONFIG:-$(render_vllm_config "$CASE_DIR/config/master.toml" "$MASTER_PORT")}
        SLAVE_TOML=${SLAVE_CONFIG:-$(render_vllm_config "$CASE_DIR/config/slave.toml" "$SLAVE_PORT")}
        READY_TIMEOUT=${READY_TIMEOUT:-1800}
        log "instances: vLLM serving $MODEL1_DIR"
    else
        MASTER_TOML=${MASTER_CONFIG:-$CASE_DIR/config/master-mock.toml}
        SLAVE_TOML=${SLAVE_CONFIG:-$CASE_DIR/config/slave-mock.toml}
        READY_TIMEOUT=${READY_TIMEOUT:-60}
        log "instances: infini-mock (set MODEL1_DIR to run vLLM)"
    fi
}

# The registry keeps its records in a state file (a restart must not empty the fleet), takes
# writes only with the deployment's token (INFINI_REGISTRY_TOKEN, --auth-token's environment
# variable) and only records naming ALLOW_HOSTS.
start_registry() {
    start_daemon registry "$BIN_infini_registry" --port "$REGISTRY_PORT" \
        --state-file "$LOG_DIR/registry-state.json" --heartbeat-timeout 30 --expire-after 120 \
        --health-interval 10 --access-log off \
        --allow-hosts "${ALLOW_HOSTS:-127.0.0.0/8,::1,localhost,$HOST_IP}"
    wait_http registry "http://127.0.0.1:$REGISTRY_PORT/health" 30
    printf '%-10s :%s up (PID %s)\n' registry "$REGISTRY_PORT" "$(cat "$(pid_file registry)")"
}

start_router() {
    start_daemon router "$BIN_infini_router" --router-port "$ROUTER_PORT" \
        --registry-url "$REGISTRY_URL" --registry-sync-interval 1 --health-interval 2 \
        --policy "$ROUTER_POLICY" --access-log "$LOG_DIR/router-access.log"
    wait_http router "http://127.0.0.1:$ROUTER_PORT/health" 30
    printf '%-10s :%s up (PID %s, policy %s)\n' router "$ROUTER_PORT" "$(cat "$(pid_file router)")" \
        "$ROUTER_POLICY"
}

# start_babysitter ROLE TOML PORT: the babysitter of one instance, ready when /health is 200.
start_babysitter() {
    local role=$1 toml=$2 port=$3
    start_daemon "babysitter_$role" "$BIN_infini_babysitter" --config-file "$toml" \
        --port "$port" --host "$HOST_IP" --registry-url "$REGISTRY_URL"
}

wait_babysitter() {
    local role=$1 port=$2
    wait_http "babysitter_$role" "http://127.0.0.1:$((port + 1))/health" "$READY_TIMEOUT"
    printf '%-10s :%s ready, babysitter :%s (PID %s)\n' "$role" "$port" "$((port + 1))" \
        "$(cat "$(pid_file "babysitter_$role")")"
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
    mkdir -p "$LOG_DIR"
    refuse_if_running
    resolve_bins infini-registry infini-router infini-babysitter
    choose_configs
    registry_token_init
    trap on_exit EXIT
    STARTED=1
    local want=2
    [ "$SINGLE_INSTANCE" = true ] && want=1
    echo "$want" >"$LOG_DIR/instances"

    start_registry
    start_router
    start_babysitter master "$MASTER_TOML" "$MASTER_PORT"
    [ "$want" = 2 ] && start_babysitter slave "$SLAVE_TOML" "$SLAVE_PORT"
    wait_babysitter master "$MASTER_PORT"
    [ "$want" = 2 ] && wait_babysitter slave "$SLAVE_PORT"
    wait_router_sees "$want"
    log "deployment up: $want instance(s) of $MODEL behind http://$HOST_IP:$ROUTER_PORT (logs: $LOG_DIR)"
}

main "$@"
