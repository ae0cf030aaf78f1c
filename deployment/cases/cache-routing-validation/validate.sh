#!/usr/bin/env bash
# Checks a running cache-routing deployment end to end and prints one PASS/FAIL/SKIP line per
# check and a summary; exits 1 when any check failed (the reference's validate.sh exited 0
# whatever happened and never looked at which instance answered).
# Checks: registry, router and babysitter /health; both -server records in the registry; the
# model in the router's /models; a chat completion through the router as JSON and as SSE;
# requests without a key spread over both instances (round-robin); one prompt_cache_key always
# lands on the same instance; different keys spread over both. With one instance (SINGLE_INSTANCE
# =true, a deployment started by start-single.sh, or no slave at all) the spread checks are
# skipped with a note.
#
# Usage: validate.sh [REGISTRY_IP]   (default 127.0.0.1; registry and router are reached there)
# Env: REGISTRY_PORT ROUTER_PORT MASTER_PORT SLAVE_PORT MODEL MASTER_NAME SLAVE_NAME
#      MASTER_HOST SLAVE_HOST (babysitter addresses, default REGISTRY_IP) SINGLE_INSTANCE LOG_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/check.sh
source "$CASE_LIB_DIR/check.sh"

check_targets "${1:-127.0.0.1}"
MASTER_HOST=${MASTER_HOST:-$IP}
SLAVE_HOST=${SLAVE_HOST:-$IP}

# body CONTENT [KEY]: a chat request for MODEL (streamed when STREAM=true), with
# prompt_cache_key KEY when given.
body() {
    local key=${2:-}
    printf '{"model":"%s","messages":[{"role":"user","content":"%s"}],"max_tokens":4,"stream":%s%s}' \
        "$MODEL" "$1" "${STREAM:-false}" "${key:+,\"prompt_cache_key\":\"$key\"}"
}

chat_json() {
    local code
    code=$(chat "$(body Hello)")
    DETAIL="HTTP $code: $(head -c 200 "$TMP/body")"
    [ "$code" = 200 ] && grep -q '"object"' "$TMP/body" || return 1
    INFO="served by $(header x-infini-instance)"
}

chat_sse() {
    local code
    code=$(chat "$(STREAM=true body Hello)")
    DETAIL="HTTP $code: $(head -c 200 "$TMP/body")"
    [ "$code" = 200 ] && grep -q '^data: {' "$TMP/body" && grep -q '^data: \[DONE\]' "$TMP/body"
}

# instances_of N [KEY [each]]: sends N requests (no prompt_cache_key, KEY on every request, or
# KEY<i> with "each") and writes the serving instance of each to $TMP/seen; INFO and DETAIL
# list the instances seen.
instances_of() {
    local n=$1 key=${2:-} each=${3:-} i k
    : >"$TMP/seen"
    for i in $(seq 1 "$n"); do
        k=$key
        [ -z "$each" ] || k="$key$i"
        seen_add "$i" "$(chat "$(body "Test request $i" "$k")")" || return 1
    done
    seen_summary
    INFO=$DETAIL
}

# distinct_instances: how many named instances $TMP/seen holds ("?" = no header: a failure).
distinct_instances() {
    if grep -q '^?$' "$TMP/seen"; then echo 0; else sort -u "$TMP/seen" | wc -l; fi
}

spread_without_key() { instances_of 10 && [ "$(distinct_instances)" -ge 2 ]; }
sticky_key() { instances_of 10 validate_sticky_key && [ "$(distinct_instances)" = 1 ]; }
keys_spread() { instances_of 16 validate_key_ each && [ "$(distinct_instances)" -ge 2 ]; }

# detect_single: true for a one-instance deployment (see the header).
detect_single() {
    case "${SINGLE_INSTANCE:-}" in
        true) MODE_NOTE="SINGLE_INSTANCE=true" && return 0 ;;
        false) return 1 ;;
    esac
    if [ "$IP" = 127.0.0.1 ] && [ "$(cat "$LOG_DIR/instances" 2>/dev/null || true)" = 1 ]; then
        MODE_NOTE="started by start-single.sh" && return 0
    fi
    if [ -s "$TMP/services" ] && ! grep -q "\"name\":\"$SLAVE_NAME" "$TMP/services" &&
        [ "$(http_code "http://$SLAVE_HOST:$((SLAVE_PORT + 1))/health")" = 000 ]; then
        MODE_NOTE="no $SLAVE_NAME record and no babysitter on :$((SLAVE_PORT + 1)); SINGLE_INSTANCE=false requires it"
        return 0
    fi
    return 1
}

main() {
    fetch_services
    local single=false
    MODE_NOTE=""
    detect_single && single=true
    printf 'cache-routing validation: registry %s, router %s, model %s%s\n' "$REGISTRY" "$ROUTER" \
        "$MODEL" "$([ $single = true ] && printf ', single instance (%s)' "$MODE_NOTE")"

    echo "[health]"
    check "registry /health" is_200 "$REGISTRY/health"
    check "router /health" is_200 "$ROUTER/health"
    check "$MASTER_NAME babysitter /health (:$((MASTER_PORT + 1)))" is_200 \
        "http://$MASTER_HOST:$((MASTER_PORT + 1))/health"
    if [ $single = true ]; then
        skip "$SLAVE_NAME babysitter /health: single instance"
    else
        check "$SLAVE_NAME babysitter /health (:$((SLAVE_PORT + 1)))" is_200 \
            "http://$SLAVE_HOST:$((SLAVE_PORT + 1))/health"
    fi

    echo "[registry and router]"
    check "registry lists $MASTER_NAME-server" registry_has "$MASTER_NAME-server"
    if [ $single = true ]; then
        skip "registry lists $SLAVE_NAME-server: single instance"
    else
        check "registry lists $SLAVE_NAME-server" registry_has "$SLAVE_NAME-server"
    fi
    check "router /models lists \"id\":\"$MODEL\"" models_has "$MODEL"
    check "chat completion through the router (JSON, \"object\")" chat_json
    check "chat completion through the router (SSE, data: lines and [DONE])" chat_sse

    echo "[routing]"
    if [ $single = true ]; then
        skip "round-robin without a key: single instance"
        check "same prompt_cache_key always on the same instance (10 requests)" sticky_key
        skip "different keys spread over the instances: single instance"
    else
        check "round-robin without a key reaches both instances (10 requests)" spread_without_key
        check "same prompt_cache_key always on the same instance (10 requests)" sticky_key
        check "different keys spread over both instances (16 keys)" keys_spread
    fi

    check_summary
}

main "$@"
