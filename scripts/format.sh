#!/usr/bin/env bash
# Formats every C source with the repository's .clang-format; --check only reports files that
# would change (and fails).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
if [ "${1:-}" = "--check" ]; then
    clang-format --dry-run --Werror $files
    echo "format: ok"
else
    clang-format -i $files
fi
