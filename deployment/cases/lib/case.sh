# The deployment cases' shared shell library (sourced by each case's common.sh, never run): the
# knobs every case has and their defaults, messages, curl, finding (or building) the binaries,
# the registry token, the router's instance count and the newest result files. It also sources
# proc.sh (daemons started and stopped by PID file). It knows no case: the case's common.sh sets
# CASE_DIR before sourcing it and adds its own knobs (instance ports, names, model) after.
# Scripts that start daemons add launch.sh, validate.sh adds check.sh, the benchmarks bench.sh
# and the comparisons compare.sh, each from this directory.
# shellcheck shell=bash

CASE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CASE_LIB_DIR/../../.." && pwd)
: "${CASE_DIR:?must be set (by the case common.sh) before sourcing lib/case.sh}"

REGISTRY_PORT=${REGISTRY_PORT:-18000}
ROUTER_PORT=${ROUTER_PORT:-8000}
LOG_DIR=${LOG_DIR:-$CASE_DIR/logs}
RESULT_DIR=${RESULT_DIR:-$CASE_DIR/results}
STOP_TIMEOUT=${STOP_TIMEOUT:-40}

# Every curl call: no proxy (the daemons are on a private network), bounded time.
CURL=(curl -s --noproxy '*' --connect-timeout 3 --max-time 30)

log() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# bin_in_dir DIR NAME: prints DIR's copy of NAME (a build tree or a flat directory).
bin_in_dir() {
    local dir=$1 name=$2 sub
    for sub in "" registry router babysitter tools/mock tools/bench; do
        if [ -x "$dir/$sub/$name" ] && [ -f "$dir/$sub/$name" ]; then
            printf '%s\n' "$dir/$sub/$name"
            return 0
        fi
    done
    return 1
}

# find_bin NAME: $INFINI_BIN_DIR, then PATH, then the repository's build/release.
find_bin() {
    local name=$1
    if [ -n "${INFINI_BIN_DIR:-}" ]; then
        bin_in_dir "$INFINI_BIN_DIR" "$name" && return 0
    fi
    command -v "$name" 2>/dev/null && return 0
    bin_in_dir "$REPO_ROOT/build/release" "$name"
}

# build_release: builds the binaries into build/release (the README's Release build).
build_release() {
    log "building the binaries into $REPO_ROOT/build/release ..."
    cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build/release" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$REPO_ROOT/build/release" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
}

# resolve_bins NAME...: sets BIN_<name> (dashes as underscores) for each binary; builds
# build/release once when one is missing everywhere.
# shellcheck disable=SC2034 # read by the scripts that source this file
BIN_infini_registry="" BIN_infini_router="" BIN_infini_babysitter="" BIN_infini_bench=""
resolve_bins() {
    local name path built=0
    for name in "$@"; do
        if ! path=$(find_bin "$name"); then
            if [ "$built" = 0 ] && [ -z "${INFINI_BIN_DIR:-}" ]; then
                build_release
                built=1
            fi
            path=$(find_bin "$name") || die "$name not found (INFINI_BIN_DIR, PATH, build/release)"
        fi
        printf -v "BIN_${name//-/_}" '%s' "$path"
    done
}

# http_code URL: the status of GET URL, or 000 when nothing answered within 5 s.
http_code() {
    "${CURL[@]}" --max-time 5 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true
}

# registry_token_init: exports INFINI_REGISTRY_TOKEN, the registry's --auth-token (its
# environment form, which keeps the token out of `ps`) and the bearer token the babysitters and
# the router send: the environment's, else the one this deployment generated before
# ($LOG_DIR/registry.token), else a new random one written there (mode 600). TOKEN_SOURCE says
# which, for the scripts that tell another host where to find it.
# shellcheck disable=SC2034 # TOKEN_SOURCE is read by the scripts that source this file
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
        TOKEN_SOURCE=$file
    else
        TOKEN_SOURCE="the environment (INFINI_REGISTRY_TOKEN)"
    fi
    [ -n "$INFINI_REGISTRY_TOKEN" ] || die "empty registry token ($file)"
    export INFINI_REGISTRY_TOKEN
}

# router_healthy_count [HOST]: the number of instances the router routes to (its /health "h/n").
router_healthy_count() {
    local host=${1:-127.0.0.1} n
    n=$("${CURL[@]}" "http://$host:$ROUTER_PORT/health" 2>/dev/null |
        grep -o '"healthy_services":"[0-9]*' | grep -o '[0-9]*$' || true)
    printf '%s\n' "${n:-0}"
}

# newest_result LABEL [MARKER]: the newest RESULT_DIR/LABEL-*.json (only files newer than MARKER
# when given); nothing, and success, when there is none or no RESULT_DIR at all (find failing on
# a missing directory would otherwise end the caller under pipefail, without a word).
newest_result() {
    local newer=()
    [ -d "$RESULT_DIR" ] || return 0
    [ -z "${2:-}" ] || newer=(-newer "$2")
    find "$RESULT_DIR" -maxdepth 1 -name "$1-*.json" "${newer[@]}" -printf '%T@ %p\n' |
        sort -n | tail -n1 | cut -d' ' -f2-
}

# shellcheck source=proc.sh
source "$CASE_LIB_DIR/proc.sh"
