# Shared by the cache-type routing case's scripts (sourced, never run): this case's knobs and
# their defaults (instance ports and names, the model, the routing threshold) and what the start
# script recorded, on top of lib/case.sh (the knobs every case has, finding or building the
# binaries, HTTP checks with curl, the registry token, starting and stopping daemons by PID
# file). Processes are only ever signalled by recorded PID.
# shellcheck shell=bash

CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/case.sh
source "$CASE_DIR/../lib/case.sh"

MODEL=${MODEL:-9g_8b_thinking}
PAGED_PORT=${PAGED_PORT:-8100}
STATIC_PORT=${STATIC_PORT:-8200}
PAGED2_PORT=${PAGED2_PORT:-8300}
PAGED_NAME=${PAGED_NAME:-paged-cache-9g_8b_thinking}
STATIC_NAME=${STATIC_NAME:-static-cache-9g_8b_thinking}
PAGED2_NAME=${PAGED2_NAME:-paged-cache-9g_8b_thinking-2}
# The router reads CACHE_TYPE_ROUTING_THRESHOLD itself; the scripts only report it.
# shellcheck disable=SC2034 # read by the scripts that source this file
ROUTING_THRESHOLD=${CACHE_TYPE_ROUTING_THRESHOLD:-51200}

# deployment_kind: what start-master.sh / start-master-2paged.sh started from this LOG_DIR
# ("size-based", "2paged"), or "" when unknown (nothing started here, or another host).
deployment_kind() {
    cat "$LOG_DIR/deployment" 2>/dev/null || true
}
