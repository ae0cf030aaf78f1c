#!/usr/bin/env bash
# Fails when C sources call a banned function (STYLE.md section 10): use snprintf, buf_*, and
# strtol with an end check instead.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='(^|[^A-Za-z0-9_])(sprintf|strcpy|strcat|strtok|atoi|atol|atof|gets|system|popen)[[:space:]]*\('
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
if hits=$(grep -nE "$pattern" $files); then
    echo "banned functions used:" >&2
    echo "$hits" >&2
    exit 1
fi
echo "check-banned: ok"
