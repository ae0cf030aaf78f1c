#!/usr/bin/env bash
# Checks a running cache-type routing deployment end to end and prints one PASS/FAIL/SKIP line
# per check and a summary; exits 1 when any check failed. The reference's validate.sh only
# looked for "object" in the replies (and exited 0 whatever happened); this one also reads the
# router's X-Infini-Instance header, so it sees where each request went.
# Checks (start-master.sh): registry, router and both babysitters' /health; the babysitters'
# records (paged-cache-9g_8b_thinking, static-cache-9g_8b_thinking) and their -server records'
# cache_type; the model in the router's /models; a chat completion through the router; small
# requests land on the paged instance and 60 KB ones (60000 x "A", the reference's request) on
# the static instance.
# For the 2-paged baseline (start-master-2paged.sh): the same health, record and chat checks for
# paged-cache-9g_8b_thinking and paged-cache-9g_8b_thinking-2, small requests reach both
# (round-robin), and a 60 KB request is still served (no static instance: any instance takes it).
#
# Usage: validate.sh [REGISTRY_IP]   (default 127.0.0.1; registry, router and babysitters are
#        reached there)
# Env: REGISTRY_PORT ROUTER_PORT PAGED_PORT STATIC_PORT PAGED2_PORT MODEL PAGED_NAME STATIC_NAME
#      PAGED2_NAME DEPLOYMENT (size-based | 2paged; default: what start-master*.sh recorded in
#      LOG_DIR, else what the registry lists) LOG_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"
# shellcheck source=../lib/check.sh
source "$CASE_LIB_DIR/check.sh"

check_targets "${1:-127.0.0.1}"
LARGE_BYTES=60000

# write_body FILE CONTENT_BYTES: a chat request whose user message is CONTENT_BYTES bytes ("Test"
# when 0; the reference's requests carry no max_tokens, these ask for 4 to stay quick).
write_body() {
    local content=Test
    [ "$2" -eq 0 ] || content=$(head -c "$2" /dev/zero | tr '\0' A)
    printf '{"model":"%s","messages":[{"role":"user","content":"%s"}],"max_tokens":4,"stream":false}' \
        "$MODEL" "$content" >"$1"
}

# server_cache_type NAME TYPE: NAME's -server record carries metadata.cache_type TYPE.
server_cache_type() {
    local got
    got=$(record_field "$1-server" metadata.cache_type "(none)")
    DETAIL="$1-server: cache_type ${got:-(no record)}"
    [ "$got" = "$2" ]
}

chat_json() {
    local code
    write_body "$TMP/req" 0
    code=$(chat "@$TMP/req")
    DETAIL="HTTP $code: $(head -c 200 "$TMP/body")"
    [ "$code" = 200 ] && grep -q '"object"' "$TMP/body" || return 1
    INFO="served by $(header x-infini-instance)"
}

# served_by N BYTES: sends N requests with BYTES of content; the instance of each goes to
# $TMP/seen, DETAIL and INFO list them (and the router's reason for the last one).
served_by() {
    local n=$1 bytes=$2 i
    write_body "$TMP/req" "$bytes"
    : >"$TMP/seen"
    for i in $(seq 1 "$n"); do
        seen_add "$i" "$(chat "@$TMP/req")" || return 1
    done
    seen_summary
    INFO="$DETAIL; route: $(header x-infini-route)"
}

# all_on N BYTES NAME: N requests of BYTES all served by NAME's -server record.
all_on() {
    served_by "$1" "$2" || return 1
    [ "$(sort -u "$TMP/seen")" = "$3-server" ]
}

spread_over_both() { served_by 10 0 && [ "$(sort -u "$TMP/seen" | grep -vc '^?$')" -ge 2 ]; }
large_served() { served_by 1 "$LARGE_BYTES" && ! grep -q '^?$' "$TMP/seen"; }

# detect_deployment: sets KIND (size-based or 2paged) and KIND_NOTE.
detect_deployment() {
    KIND=${DEPLOYMENT:-}
    KIND_NOTE="DEPLOYMENT=$KIND"
    if [ -z "$KIND" ] && [ "$IP" = 127.0.0.1 ]; then
        KIND=$(deployment_kind)
        KIND_NOTE="recorded in $LOG_DIR"
    fi
    if [ -z "$KIND" ]; then
        KIND=size-based
        KIND_NOTE="default"
        if grep -q "\"name\":\"$PAGED2_NAME\"" "$TMP/services" &&
            ! grep -q "\"name\":\"$STATIC_NAME\"" "$TMP/services"; then
            KIND=2paged
            KIND_NOTE="the registry lists $PAGED2_NAME and no $STATIC_NAME"
        fi
    fi
    case "$KIND" in
        size-based | 2paged) ;;
        *) die "DEPLOYMENT=$KIND: expected size-based or 2paged" ;;
    esac
}

# instance_checks NAME PORT TYPE: the babysitter's /health, its records and its cache_type.
instance_checks() {
    check "$1 babysitter /health (:$(($2 + 1)))" is_200 "http://$IP:$(($2 + 1))/health"
    check "registry lists $1" registry_has "$1"
    check "$1-server record has cache_type \"$3\"" server_cache_type "$1" "$3"
}

main() {
    fetch_services
    detect_deployment
    printf 'cache-type routing validation (%s, %s): registry %s, router %s, model %s, threshold %s bytes\n' \
        "$KIND" "$KIND_NOTE" "$REGISTRY" "$ROUTER" "$MODEL" "$ROUTING_THRESHOLD"

    echo "[health]"
    check "registry /health" is_200 "$REGISTRY/health"
    check "router /health" is_200 "$ROUTER/health"
    echo "[instances]"
    instance_checks "$PAGED_NAME" "$PAGED_PORT" paged
    if [ "$KIND" = size-based ]; then
        instance_checks "$STATIC_NAME" "$STATIC_PORT" static
    else
        instance_checks "$PAGED2_NAME" "$PAGED2_PORT" paged
    fi
    echo "[router]"
    check "router /models lists \"id\":\"$MODEL\"" models_has "$MODEL"
    check "chat completion through the router (JSON, \"object\")" chat_json

    echo "[size-based routing]"
    if [ "$KIND" = size-based ]; then
        check "small requests (\"Test\") all land on $PAGED_NAME (5 requests)" \
            all_on 5 0 "$PAGED_NAME"
        check "$LARGE_BYTES-byte requests all land on $STATIC_NAME (3 requests)" \
            all_on 3 "$LARGE_BYTES" "$STATIC_NAME"
    else
        check "small requests reach both paged instances (round-robin, 10 requests)" \
            spread_over_both
        check "a $LARGE_BYTES-byte request is served (no static instance to prefer)" large_served
    fi

    check_summary
}

main "$@"
