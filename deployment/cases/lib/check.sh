# The machinery of the deployment cases' validate.sh (sourced by each after the case's common.sh,
# never run): one PASS/FAIL/SKIP line per check and the summary that sets the exit status; chat
# requests through the router (ROUTER, set by the script) with the reply kept in $TMP; the reply's
# headers; the registry's records (REGISTRY) and the router's /models; and the instances a series
# of requests reached, from the router's X-Infini-Instance header. A check function sets DETAIL,
# said after FAIL, and may set INFO, said below PASS. What is checked stays in each validate.sh.
# Needs lib/case.sh.
# shellcheck shell=bash

PASSED=0
FAILED=0
SKIPPED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# check_targets IP: the registry and the router under check are at IP (sets IP, REGISTRY, ROUTER).
check_targets() {
    IP=$1
    REGISTRY="http://$IP:$REGISTRY_PORT"
    ROUTER="http://$IP:$ROUTER_PORT"
}

pass() { printf '  PASS  %s\n' "$*"; PASSED=$((PASSED + 1)); }
fail() { printf '  FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }
skip() { printf '  SKIP  %s\n' "$*"; SKIPPED=$((SKIPPED + 1)); }

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

# check_summary [noskip]: the summary line ("noskip": without the skipped count, for a case that
# never skips); fails when any check failed, which is validate.sh's exit status.
# shellcheck disable=SC2120 # the argument is optional
check_summary() {
    if [ "${1:-}" = noskip ]; then
        printf 'Summary: %d passed, %d failed\n' "$PASSED" "$FAILED"
    else
        printf 'Summary: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
    fi
    [ "$FAILED" -eq 0 ]
}

is_200() {
    local code
    code=$(http_code "$1")
    DETAIL="HTTP $code from $1"
    [ "$code" = 200 ]
}

# chat DATA: POSTs DATA (a JSON body, or @FILE) to the router's /v1/chat/completions; the reply
# lands in $TMP/body and $TMP/headers; prints the status code (000: no answer).
chat() {
    local code
    : >"$TMP/body"
    : >"$TMP/headers"
    code=$("${CURL[@]}" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' \
        -H 'Content-Type: application/json' --data-binary "$1" "$ROUTER/v1/chat/completions") ||
        true
    printf '%s\n' "${code:-000}"
}

# header NAME: the value of header NAME in the last reply ("?" when missing).
header() {
    local v
    v=$(grep -i "^$1:" "$TMP/headers" 2>/dev/null | head -n1 | cut -d: -f2- |
        sed 's/^ *//; s/[ \r]*$//')
    printf '%s\n' "${v:-?}"
}

# fetch_services: the registry's records into $TMP/services (empty when it does not answer).
fetch_services() {
    "${CURL[@]}" "$REGISTRY/services" >"$TMP/services" 2>/dev/null || : >"$TMP/services"
}

# registry_has NAME...: the registry lists a record of each NAME (a grep of the compact
# "name":"..." form, closing quote included, so a prefix does not count).
registry_has() {
    local name
    for name in "$@"; do
        DETAIL="no \"name\":\"$name\" in $REGISTRY/services"
        grep -q "\"name\":\"$name\"" "$TMP/services" || return 1
    done
}

# record_field NAME KEY [MISSING]: field KEY ("metadata.cache_type": a nested one) of registry
# record NAME; MISSING (default empty) when the record lacks it, nothing when there is no record.
record_field() {
    python3 -c '
import json, sys
for s in json.load(open(sys.argv[1])).get("services", []):
    if s.get("name") == sys.argv[2]:
        v = s
        for k in sys.argv[3].split("."):
            v = v.get(k) if isinstance(v, dict) else None
        print(sys.argv[4] if v is None else v)
' "$TMP/services" "$1" "$2" "${3:-}" 2>/dev/null || true
}

# models_has ID...: the router's /models lists each model ID.
models_has() {
    local id
    "${CURL[@]}" "$ROUTER/models" >"$TMP/models" || true
    DETAIL="router /models: $(head -c 200 "$TMP/models")"
    for id in "$@"; do
        grep -q "\"id\":\"$id\"" "$TMP/models" || return 1
    done
}

# seen_add I CODE: after request I of a series answered CODE, appends the instance that served
# it to $TMP/seen (empty it before the series); fails with DETAIL unless the reply is a 200
# completion.
seen_add() {
    if [ "$2" != 200 ] || ! grep -q '"object"' "$TMP/body"; then
        DETAIL="request $1: HTTP $2: $(head -c 200 "$TMP/body")"
        return 1
    fi
    header x-infini-instance >>"$TMP/seen"
}

# seen_summary: DETAIL lists the instances in $TMP/seen with their counts.
seen_summary() {
    DETAIL="instances: $(sort "$TMP/seen" | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
}
