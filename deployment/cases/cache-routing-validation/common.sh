# Shared by the cache-routing case's scripts (sourced, never run): the case's own knobs and their
# defaults (instance ports and names, the model), on top of lib/case.sh (the knobs every case
# has, finding or building the binaries, HTTP checks with curl, the registry token, starting and
# stopping daemons through PID files). Processes are only ever signalled by recorded PID, after
# checking that the PID still runs one of our binaries.
# shellcheck shell=bash

CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/case.sh
source "$CASE_DIR/../lib/case.sh"

MASTER_PORT=${MASTER_PORT:-8100}
SLAVE_PORT=${SLAVE_PORT:-8200}
MODEL=${MODEL:-9g_8b_thinking}
MASTER_NAME=${MASTER_NAME:-master-9g_8b_thinking}
SLAVE_NAME=${SLAVE_NAME:-slave-9g_8b_thinking}
