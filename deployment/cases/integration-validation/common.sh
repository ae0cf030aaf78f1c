# Shared by the integration-validation case's scripts (sourced, never run): this case's knobs and
# their defaults, its babysitter configs and the readiness timeout, on top of lib/case.sh (the
# knobs every case has, finding or building the binaries, HTTP checks with curl, the registry
# token, starting and stopping daemons by PID file). Processes are only ever signalled by
# recorded PID.
# shellcheck shell=bash

CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/case.sh
source "$CASE_DIR/../lib/case.sh"

# Server 1's babysitters (A, B) and server 2's (C, D): model servers on P, babysitters on P+1.
# Server 2 defaults to the same ports on its own host; PORT_C and PORT_D move them, so that both
# servers can share one host.
PORT_A=${PORT_A:-8100}
PORT_B=${PORT_B:-8200}
PORT_C=${PORT_C:-8100}
PORT_D=${PORT_D:-8200}

# babysitter_config X PORT: the TOML of babysitter X (a..d): config/babysitter-X-vllm.toml copied
# into LOG_DIR/config with its model directory (MODEL1_DIR for model-1 on A and C, MODEL2_DIR for
# model-2 on B and D) and PORT filled in when that directory is set, else config/babysitter-X.toml
# (infini-mock). Prints the path. For the start scripts (render_config is lib/launch.sh's).
babysitter_config() {
    local x=$1 port=$2 model var
    case "$x" in a | c) model=model-1 var=MODEL1_DIR ;; *) model=model-2 var=MODEL2_DIR ;; esac
    if [ -z "${!var:-}" ]; then
        printf '%s\n' "$CASE_DIR/config/babysitter-$x.toml"
        return 0
    fi
    [ -d "${!var}" ] || die "$var=${!var} is not a directory"
    render_config "$CASE_DIR/config/babysitter-$x-vllm.toml" \
        "$LOG_DIR/config/babysitter-$x-vllm.toml" "$port" "/models/$model" "$var"
}

# start_babysitter X PORT HOST REGISTRY_URL: babysitter X as daemon "babysitter_X", registering
# its model server as HOST with REGISTRY_URL.
start_babysitter() {
    local toml
    toml=$(babysitter_config "$1" "$2")
    launch_babysitter "$1" "$toml" "$2" "$3" "$4"
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
