#!/usr/bin/env bash
# Stops what start-server1.sh and start-server2.sh started from this LOG_DIR (on one host: both
# servers when they share it), by PID file: first the router and the babysitters (SIGTERM: the
# router drains, each babysitter deletes its records and stops its model server's process
# group), then the registry, so the deregistrations reach it. Waits up to STOP_TIMEOUT seconds
# (40) for each group, then SIGKILLs what is left. Removes the PID files; keeps the logs and the
# registry token. Safe to run twice, and when nothing runs. Stop server 2 before server 1, so
# its babysitters deregister while the registry is still there.
set -euo pipefail
source "$(dirname "$0")/common.sh"

stop_deployment
log "stopped (logs kept in $LOG_DIR)"
