#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (warnings as errors) and runs each for N seconds
# (default 60) from its checked-in corpus, using a scratch copy so the repository is untouched.
# New crashes fail the run and leave the reproducer under build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
dir=build/fuzz
cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DSVC_FUZZ=ON -DBUILD_TESTING=OFF \
      -DSVC_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)"
mkdir -p "$dir/artifacts"
for bin in "$dir"/tests/fuzz/fuzz_*; do
    name=$(basename "$bin")
    name=${name#fuzz_}
    scratch=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$name/." "$scratch/" 2>/dev/null || true
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
    echo "fuzz: $name for ${seconds}s"
    "$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$name-" "${dict[@]}" "$scratch" 2>&1 | tail -n 3
    rm -rf "$scratch"
done
