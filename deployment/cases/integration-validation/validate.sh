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
# shellcheck source=../lib/check.sh
source "$CASE_LIB_DIR/check.sh"

check_targets "${1:-127.0.0.1}"

# body MODEL: the reference's request for MODEL.
body() {
    printf '{"model":"%s","messages":[{"role":"user","content":"Hello"}],"stream":false}' "$1"
}

babysitter_health() {
    local url
    url=$(record_field "$1" url)
    DETAIL="no $1 record"
    [ -n "$url" ] || return 1
    INFO="$url"
    is_200 "$url/health"
}

# answered MODEL X Y: a request for MODEL is answered by babysitter X or Y, the reply names the
# model, and an infini-mock instance names its service (X-Mock-Instance, passed through).
answered() {
    local model=$1 code inst mock content
    code=$(chat "$(body "$model")")
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
    local model=$1 i
    : >"$TMP/seen"
    for i in 1 2 3 4; do
        seen_add "$i" "$(chat "$(body "$model")")" || return 1
    done
    seen_summary
    INFO=$DETAIL
    grep -qx "babysitter-$2-server" "$TMP/seen" && grep -qx "babysitter-$3-server" "$TMP/seen"
}

unknown_model_404() {
    local code
    code=$(chat "$(body model-3)")
    DETAIL="HTTP $code: $(head -c 200 "$TMP/body")"
    [ "$code" = 404 ] && grep -q '"code":"model_not_found"' "$TMP/body"
}

main() {
    local x
    fetch_services
    printf 'integration validation: registry %s, router %s\n' "$REGISTRY" "$ROUTER"

    echo "[health]"
    check "registry /health" is_200 "$REGISTRY/health"
    check "router /health" is_200 "$ROUTER/health"
    echo "[service discovery]"
    for x in a b c d; do
        check "registry lists babysitter-$x and babysitter-$x-server" registry_has "babysitter-$x" \
            "babysitter-$x-server"
    done
    for x in a b c d; do
        check "babysitter-$x /health at its registered address" babysitter_health "babysitter-$x"
    done
    echo "[models and chat]"
    check "router /models lists model-1 and model-2" models_has model-1 model-2
    check "chat completion for model-1 (A or C, names its service and model)" answered model-1 a c
    check "chat completion for model-2 (B or D, names its service and model)" answered model-2 b d
    echo "[load balancing]"
    check "4 requests for model-1 reach babysitter-a and babysitter-c" balanced model-1 a c
    check "4 requests for model-2 reach babysitter-b and babysitter-d" balanced model-2 b d
    check "a model nobody serves gets 404 model_not_found" unknown_model_404

    check_summary noskip
}

main "$@"
