#!/usr/bin/env bash
# Runs every unit-test case and fuzz-corpus replay under valgrind memcheck on a plain build
# (valgrind and the sanitizers exclude each other). Any memory error or definite/indirect leak
# fails the run. Usage: scripts/valgrind.sh [BUILD_DIR]   (default build/valgrind; a plain build
# directory configured before, e.g. scripts/test.sh's gcc build, is reused as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/valgrind}
jobs=$(nproc 2>/dev/null || echo 2)
[ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DSVC_WERROR=ON >/dev/null
cmake --build "$dir" -j"$jobs" >/dev/null
(cd "$dir" && ctest --show-only=json-v1 -LE integration) >"$dir/tests.json"
python3 - "$dir/tests.json" "$jobs" <<'EOF_PY'
import concurrent.futures, json, subprocess, sys

tests = json.load(open(sys.argv[1]))["tests"]
vg = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect"]

def run(t):
    cwd = next((p["value"] for p in t.get("properties", []) if p["name"] == "WORKING_DIRECTORY"),
               None)
    r = subprocess.run(vg + t["command"], cwd=cwd, capture_output=True, text=True, timeout=600)
    return t["name"], r.returncode, r.stderr[-3000:] + r.stdout[-1000:]

failed = 0
with concurrent.futures.ThreadPoolExecutor(int(sys.argv[2])) as pool:
    for name, rc, out in pool.map(run, tests):
        if rc != 0:
            failed += 1
            print("valgrind: %s failed (exit %d)\n%s" % (name, rc, out), file=sys.stderr)
print("valgrind: %d tests, %d failed" % (len(tests), failed))
sys.exit(1 if failed else 0)
EOF_PY
