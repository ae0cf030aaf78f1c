# Shared by the cache-type routing case's scripts (sourced, never run): this case's knobs and
# their defaults, on top of the cache-routing case's common.sh (finding or building the
# binaries, HTTP checks with curl, starting and stopping daemons by PID file), and the registry
# token. Processes are only ever signalled by recorded PID.
# shellcheck shell=bash

# The helpers come from the sibling case; its CASE_DIR-based defaults are overridden below.
THIS_CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_DIR=${LOG_DIR:-$THIS_CASE_DIR/logs}
RESULT_DIR=${RESULT_DIR:-$THIS_CASE_DIR/results}
# shellcheck source=../cache-routing-validation/common.sh
source "$THIS_CASE_DIR/../cache-routing-validation/common.sh"
CASE_DIR=$THIS_CASE_DIR

PAGED_PORT=${PAGED_PORT:-8100}
STATIC_PORT=${STATIC_PORT:-8200}
PAGED2_PORT=${PAGED2_PORT:-8300}
PAGED_NAME=${PAGED_NAME:-paged-cache-9g_8b_thinking}
STATIC_NAME=${STATIC_NAME:-static-cache-9g_8b_thinking}
PAGED2_NAME=${PAGED2_NAME:-paged-cache-9g_8b_thinking-2}
# The router reads CACHE_TYPE_ROUTING_THRESHOLD itself; the scripts only report it.
# shellcheck disable=SC2034 # read by the scripts that source this file
ROUTING_THRESHOLD=${CACHE_TYPE_ROUTING_THRESHOLD:-51200}

# registry_token_init: exports INFINI_REGISTRY_TOKEN (the registry's --auth-token, and the bearer
# token the babysitters and the router send): the environment's, else the one this deployment
# generated before ($LOG_DIR/registry.token), else a new random one written there (mode 600).
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
    fi
    [ -n "$INFINI_REGISTRY_TOKEN" ] || die "empty registry token ($file)"
    export INFINI_REGISTRY_TOKEN
}

# deployment_kind: what start-master.sh / start-master-2paged.sh started from this LOG_DIR
# ("size-based", "2paged"), or "" when unknown (nothing started here, or another host).
deployment_kind() {
    cat "$LOG_DIR/deployment" 2>/dev/null || true
}
