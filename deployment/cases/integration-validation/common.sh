# Shared by the integration-validation case's scripts (sourced, never run): this case's knobs and
# their defaults, on top of the cache-routing case's common.sh (finding or building the
# binaries, HTTP checks with curl, starting and stopping daemons by PID file), the registry
# token, and the babysitter configs. Processes are only ever signalled by recorded PID.
# shellcheck shell=bash

# The helpers come from the sibling case; its CASE_DIR-based defaults are overridden below.
THIS_CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_DIR=${LOG_DIR:-$THIS_CASE_DIR/logs}
RESULT_DIR=${RESULT_DIR:-$THIS_CASE_DIR/results}
# shellcheck source=../cache-routing-validation/common.sh
source "$THIS_CASE_DIR/../cache-routing-validation/common.sh"
CASE_DIR=$THIS_CASE_DIR

# Server 1's babysitters (A, B) and server 2's (C, D): model servers on P, babysitters on P+1.
# Server 2 defaults to the same ports on its own host; PORT_C and PORT_D move them, so that both
# servers can share one host.
PORT_A=${PORT_A:-8100}
PORT_B=${PORT_B:-8200}
PORT_C=${PORT_C:-8100}
PORT_D=${PORT_D:-8200}

# registry_token_init: exports INFINI_REGISTRY_TOKEN (the registry's --auth-token, and the bearer
# token the babysitters and the router send): the environment's, else the one server 1
# generated before ($LOG_DIR/registry.token), else a new random one written there (mode 600).
# TOKEN_SOURCE says which.
# shellcheck disable=SC2034 # TOKEN_SOURCE is read by the scripts that source this file
registry_token_init() {
    local file="$LOG_DIR/registry.token"
    if [ -z "${INFINI_REGISTRY_TOKEN:-}" ]; then
        if [ ! -s "$file" ]; then
            (
                umask 077
                od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$file.tmp"
            )
            mv "$file.tmp" "$file"
        fi
        INFINI_REGISTRY_TOKEN=$(cat "$file")
        TOKEN_SOURCE=$file
    else
        TOKEN_SOURCE="the environment (INFINI_REGISTRY_TOKEN)"
    fi
    [ -n "$INFINI_REGISTRY_TOKEN" ] || die "empty registry token ($file)"
    export INFINI_REGISTRY_TOKEN
}

# babysitter_config X PORT: the TOML of babysitter X (a..d): config/babysitter-X-vllm.toml copied
# into LOG_DIR/config with its model directory (MODEL1_DIR for model-1 on A and C, MODEL2_DIR for
# model-2 on B and D) and PORT filled in when that directory is set, else config/babysitter-X.toml
# (infini-mock). Prints the path.
babysitter_config() {
    local x=$1 port=$2 model var dir dest
    case "$x" in a | c) model=model-1 var=MODEL1_DIR ;; *) model=model-2 var=MODEL2_DIR ;; esac
    dir=${!var:-}
    if [ -z "$dir" ]; then
        printf '%s\n' "$CASE_DIR/config/babysitter-$x.toml"
        return 0
    fi
    [ -d "$dir" ] || die "$var=$dir is not a directory"
    case "$dir" in *\"* | *\\*) die "$var must not contain quotes or backslashes" ;; esac
    dest="$LOG_DIR/config/babysitter-$x-vllm.toml"
    mkdir -p "$LOG_DIR/config"
    sed -e "/^[[:space:]]*#/!s|/models/$model|$(printf '%s' "$dir" | sed 's/[&|]/\\&/g')|g" \
        -e "s|\"--port\", \"[0-9]*\"|\"--port\", \"$port\"|" \
        "$CASE_DIR/config/babysitter-$x-vllm.toml" >"$dest"
    printf '%s\n' "$dest"
}

# start_babysitter X PORT HOST REGISTRY_URL: babysitter X as daemon "babysitter_X".
start_babysitter() {
    local x=$1 port=$2 host=$3 registry=$4 toml
    toml=$(babysitter_config "$x" "$port")
    start_daemon "babysitter_$x" "$BIN_infini_babysitter" --config-file "$toml" \
        --port "$port" --host "$host" --registry-url "$registry"
}

# wait_babysitter X PORT TIMEOUT: its /health answers 200 (its model server is ready).
wait_babysitter() {
    local x=$1 port=$2
    wait_http "babysitter_$x" "http://127.0.0.1:$((port + 1))/health" "$3"
    printf 'babysitter-%s :%s ready, babysitter :%s (PID %s)\n' "$x" "$port" "$((port + 1))" \
        "$(cat "$(pid_file "babysitter_$x")")"
}

# ready_timeout: seconds a babysitter may take to become ready (READY_TIMEOUT; 60 with mocks,
# 1800 when a model directory is given).
ready_timeout() {
    if [ -n "${READY_TIMEOUT:-}" ]; then
        printf '%s\n' "$READY_TIMEOUT"
    elif [ -n "${MODEL1_DIR:-}${MODEL2_DIR:-}" ]; then
        echo 1800
    else
        echo 60
    fi
}

# wait_router_sees HOST N: the router on HOST routes to at least N instances.
wait_router_sees() {
    local host=$1 want=$2 deadline=$((SECONDS + 30))
    until [ "$(router_healthy_count "$host")" -ge "$want" ]; do
        [ "$SECONDS" -lt "$deadline" ] ||
            die "the router at $host:$ROUTER_PORT routes to $(router_healthy_count "$host") of $want instances after 30s"
        sleep 0.2
    done
}
