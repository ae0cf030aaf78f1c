#!/usr/bin/env bash
# The test command (README.md; .ci/run calls exactly this). Installs dependencies when missing,
# checks formatting and banned functions, then builds with warnings as errors: a plain gcc
# build (RelWithDebInfo) runs the unit tests and corpus replays; an AddressSanitizer + UBSan build
# runs every CTest test (unit, corpus replay, integration with the real binaries); the plain
# build's unit tests and corpus replays run again under valgrind; finally a short libFuzzer smoke
# run of every fuzz target (clang). The integration tests run once, under the sanitizers, which
# see more than a plain run would; the demo and the benchmarks run the plain binaries.
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

build() { # <dir> <cmake args...>
    local dir=$1
    shift
    cmake -S "$root" -B "$dir" -DSVC_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
}

# Unit tests and corpus replays run in parallel; integration tests one at a time because some
# of them measure timings.
unit_tests() { (cd "$1" && ctest --output-on-failure -j"$jobs" -LE integration); }
integration_tests() { (cd "$1" && ctest --output-on-failure -L integration); }

plain=build/ci-valgrind
if [ "${SVC_TEST_SKIP_PLAIN:-0}" != 1 ]; then
    stage "gcc build + unit tests"
    plain=build/ci-gcc
    build "$plain" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    unit_tests "$plain"
fi

stage "ASan+UBSan build + all tests"
build build/ci-asan -DCMAKE_BUILD_TYPE=Debug -DSVC_SANITIZE=address,undefined
unit_tests build/ci-asan
integration_tests build/ci-asan

if [ "${SVC_TEST_SKIP_VALGRIND:-0}" != 1 ]; then
    stage "valgrind (unit tests and corpus replays)"
    scripts/valgrind.sh "$plain"
fi

if [ "${SVC_TEST_SKIP_FUZZ:-0}" != 1 ]; then
    stage "clang build + fuzz smoke"
    scripts/run-fuzz.sh "${FUZZ_SECONDS:-15}"
fi

stage "all tests passed"
