#!/usr/bin/env bash
# Checks a running integration-validation deployment (server 1 and server 2) end to end and
# prints one PASS/FAIL line per check and a summary; exits 1 when any check failed, as the
# reference's validate.sh did. Its checks, plus where each request went (the router's
# X-Infini-Instance header), so that load balancing is a check rather than a note:
#   registry and router /health answer 200;
#   the registry lists babysitter-a .. babysitter-d and their -server records, and each
#   babysitter answers /health 200 at the address its record gives (server 2's included);
#   the router's /models lists model-1 and model-2;
#   a chat completion for model-1 (model-2) is answered by A or C (B or D) and the reply names
#   the model and, when the instance is infini-mock, its mock service ("Hello from
#   mock-service-a (model: model-1)");
#   4 requests for model-1 reach both A and C, 4 for model-2 both B and D (round-robin);
#   a model nobody serves gets 404 model_not_found (the reference's router answered 503, which
#   OpenAI SDKs retry; ours says what is wrong).
#
# Usage: validate.sh [SERVER1_IP]   (default 127.0.0.1: where the registry and the router are)
# Env: REGISTRY_PORT (18000) ROUTER_PORT (8000)
set -euo pipefail
source "$(dirname "$0")/common.sh"

IP=${1:-127.0.0.1}
REGISTRY="http://$IP:$REGISTRY_PORT"
ROUTER="http://$IP:$ROUTER_PORT"
PASSED=0
FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { printf '  PASS  %s\n' "$*"; PASSED=$((PASSED + 1)); }
fail() { printf '  FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }

# check NAME COMMAND...: PASS (with $INFO below it) when COMMAND succeeds, else FAIL with $DETAIL.
check() {
    local name=$1
    shift
    DETAIL=""
    INFO=""
    if "$@"; then
        pass "$name"
        [ -z "$INFO" ] || printf '        %s\n' "$INFO"
    else
        fail "$name${DETAIL:+ ($DETAIL)}"
    fi
}

is_200() {
    local code
    code=$(http_code "$1")
    DETAIL="HTTP $code from $1"
    [ "$code" = 200 ]
}

# chat MODEL: POSTs the reference's request for MODEL to the router; the response lands in
# $TMP/body and $TMP/headers; prints the status code.
chat() {
    local code
    : >"$TMP/body"
    : >"$TMP/headers"
    code=$("${CURL[@]}" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' \
        -H 'Content-Type: application/json' \
        -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"stream\":false}" \
        "$ROUTER/v1/chat/completions") || true
    printf '%s\n' "${code:-000}"
}

# header NAME: the value of header NAME in the last response ("?" when missing).
header() {
    local v
    v=$(grep -i "^$1:" "$TMP/headers" 2>/dev/null | head -n1 | cut -d: -f2- | tr -d ' \r')
    printf '%s\n' "${v:-?}"
}

# record_url NAME: the url of registry record NAME ("" when absent).
record_url() {
    python3 -c '
import json, sys
for s in json.load(open(sys.argv[1])).get("services", []):
    if s.get("name") == sys.argv[2]:
        print(s.get("url", ""))
' "$TMP/services" "$1" 2>/dev/null || true
}

registry_has() {
    DETAIL="no \"name\":\"$1\" or \"name\":\"$1-server\" in $REGISTRY/services"
    grep -q "\"name\":\"$1\"" "$TMP/services" && grep -q "\"name\":\"$1-server\"" "$TMP/services"
}

babysitter_health() {
    local url
    url=$(record_url "$1")
    DETAIL="no $1 record"
    [ -n "$url" ] || return 1
    INFO="$url"
    is_200 "$url/health"
}

models_has_both() {
    "${CURL[@]}" "$ROUTER/models" >"$TMP/models" || true
    DETAIL="router /models: $(head -c 200 "$TMP/models")"
    grep -q '"id":"model-1"' "$TMP/models" && grep -q '"id":"model-2"' "$TMP/models"
}

# answered MODEL X Y: a request for MODEL is answered by babysitter X or Y, the reply names the
# model, and an infini-mock instance names its service (X-Mock-Instance, passed through).
answered() {
    local model=$1 code inst mock content
    code=$(chat "$model")
    inst=$(header x-infini-instance)
    mock=$(header x-mock-instance)
    content=$(grep -o '"content":"[^"]*"' "$TMP/body" | head -n1 | cut -d'"' -f4)
    DETAIL="HTTP $code from $inst: $(head -c 200 "$TMP/body")"
    [ "$code" = 200 ] && grep -q '"object"' "$TMP/body" && grep -q "\"$model\"" "$TMP/body" ||
        return 1
    case "$inst" in "babysitter-$2-server" | "babysitter-$3-server") ;; *) return 1 ;; esac
    if [ "$mock" != "?" ]; then
        DETAIL="reply of $mock does not name it and $model: $content"
        case "$content" in *"$mock"*"$model"*) ;; *) return 1 ;; esac
    fi
    INFO="served by $inst: \"$content\""
}

# balanced MODEL X Y: 4 requests for MODEL reach both babysitter X and babysitter Y.
balanced() {
    local model=$1 i code
    : >"$TMP/seen"
    for i in 1 2 3 4; do
        code=$(chat "$model")
        if [ "$code" != 200 ]; then
            DETAIL="request $i: HTTP $code"
            return 1
        fi
        header x-infini-instance >>"$TMP/seen"
    done
    DETAIL="instances: $(sort "$TMP/seen" | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
    INFO=$DETAIL
    grep -qx "babysitter-$2-server" "$TMP/seen" && grep -qx "babysitter-$3-server" "$TMP/seen"
}

unknown_model_404() {
    local code
    code=$(chat model-3)
    DETAIL="HTTP $code: $(head -c 200 "$TMP/body")"
    [ "$code" = 404 ] && grep -q '"code":"model_not_found"' "$TMP/body"
}

main() {
    local x
    "${CURL[@]}" "$REGISTRY/services" >"$TMP/services" 2>/dev/null || : >"$TMP/services"
    printf 'integration validation: registry %s, router %s\n' "$REGISTRY" "$ROUTER"

    echo "[health]"
    check "registry /health" is_200 "$REGISTRY/health"
    check "router /health" is_200 "$ROUTER/health"
    echo "[service discovery]"
    for x in a b c d; do
        check "registry lists babysitter-$x and babysitter-$x-server" registry_has "babysitter-$x"
    done
    for x in a b c d; do
        check "babysitter-$x /health at its registered address" babysitter_health "babysitter-$x"
    done
    echo "[models and chat]"
    check "router /models lists model-1 and model-2" models_has_both
    check "chat completion for model-1 (A or C, names its service and model)" answered model-1 a c
    check "chat completion for model-2 (B or D, names its service and model)" answered model-2 b d
    echo "[load balancing]"
    check "4 requests for model-1 reach babysitter-a and babysitter-c" balanced model-1 a c
    check "4 requests for model-2 reach babysitter-b and babysitter-d" balanced model-2 b d
    check "a model nobody serves gets 404 model_not_found" unknown_model_404

    printf 'Summary: %d passed, %d failed\n' "$PASSED" "$FAILED"
    [ "$FAILED" -eq 0 ]
}

main "$@"
