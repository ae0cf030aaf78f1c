#!/usr/bin/env bash
# Stops what start-master.sh / start-single.sh started, by the PID files in LOG_DIR: first the
# router and the babysitters (SIGTERM: the router drains, each babysitter deletes its records
# and stops its model server's process group), then the registry, so the deregistrations
# reach it. Waits up to STOP_TIMEOUT seconds (40) for each group, then SIGKILLs what is left.
# Removes the PID files. Safe to run twice, and when nothing runs.
set -euo pipefail
source "$(dirname "$0")/common.sh"

stop_deployment
rm -f "$LOG_DIR/instances"
log "stopped (logs kept in $LOG_DIR)"
