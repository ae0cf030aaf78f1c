#!/usr/bin/env bash
# The test command (README.md; .ci/run calls exactly this). Installs dependencies when missing,
# checks formatting and banned functions, then builds with warnings as errors and runs every
# CTest test (unit, integration, fuzz-corpus replay) twice: a plain gcc build, then under
# AddressSanitizer + UBSan; then the unit tests and corpus replays under valgrind; finally a
# short libFuzzer smoke run of every fuzz target (clang).
# Env: SVC_TEST_SKIP_PLAIN=1 / SVC_TEST_SKIP_VALGRIND=1 / SVC_TEST_SKIP_FUZZ=1 skip those stages;
# FUZZ_SECONDS (default 15 per target).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)

stage() { printf '\n==== %s (%ds)\n' "$*" $(( $(date +%s) - start )); }

stage "dependencies"
scripts/install-deps.sh

stage "static checks"
scripts/check-banned.sh
scripts/format.sh --check

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

build_and_test() { # <dir> <cmake args...>
    local dir=$1
    shift
    cmake -S "$root" -B "$dir" -DSVC_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    # Unit tests and corpus replay in parallel; integration tests one at a time because some
    # of them measure timings.
    (cd "$dir" && ctest --output-on-failure -j"$jobs" -LE integration)
    (cd "$dir" && ctest --output-on-failure -L integration)
}

if [ "${SVC_TEST_SKIP_PLAIN:-0}" != 1 ]; then
    stage "gcc build + tests"
    build_and_test build/ci-gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi

stage "ASan+UBSan build + tests"
build_and_test build/ci-asan -DCMAKE_BUILD_TYPE=Debug -DSVC_SANITIZE=address,undefined

if [ "${SVC_TEST_SKIP_VALGRIND:-0}" != 1 ]; then
    stage "valgrind (unit tests and corpus replays)"
    scripts/valgrind.sh build/ci-valgrind
fi

if [ "${SVC_TEST_SKIP_FUZZ:-0}" != 1 ]; then
    stage "clang build + fuzz smoke"
    scripts/run-fuzz.sh "${FUZZ_SECONDS:-15}"
fi

stage "all tests passed"
