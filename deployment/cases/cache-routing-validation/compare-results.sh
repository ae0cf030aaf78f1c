#!/usr/bin/env bash
# Compares benchmark result files side by side: `infini-bench compare` (TTFT mean/median/p90/
# p99, TPOT, ITL, E2E, throughput, prefix-cache hit rate, failures; a chart when gnuplot is
# installed), then what that table lacks: the requests each instance served per run and, when
# present, cache-routing's and cache-aware's mean TTFT as fractions of round-robin's.
# Usage: compare-results.sh [FILE...]   (default: the newest single-instance, round-robin,
#        cache-routing and cache-aware results in RESULT_DIR, in that order)
# Env: RESULT_DIR (results/), CHART (RESULT_DIR/compare.png; "none" for no chart), INFINI_BIN_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"

CHART=${CHART:-$RESULT_DIR/compare.png}

# newest LABEL: the newest RESULT_DIR/LABEL-*.json, if any.
newest() {
    find "$RESULT_DIR" -maxdepth 1 -name "$1-*.json" -printf '%T@ %p\n' 2>/dev/null |
        sort -n | tail -n1 | cut -d' ' -f2-
}

# spread FILE...: per-instance requests of each run, and the cache-routing / round-robin ratio.
spread() {
    python3 - "$@" <<'EOF'
import json, sys
runs = []
for path in sys.argv[1:]:
    with open(path) as f:
        r = json.load(f)
    runs.append((r.get("label") or r.get("backend") or path, r))
print("\nRequests per instance (served / share):")
for label, r in runs:
    per = r.get("per_instance") or {}
    total = sum(per.values()) or 1
    cells = ", ".join("%s %d (%.0f%%)" % (k, v, 100.0 * v / total) for k, v in sorted(per.items()))
    print("  %-18s %s" % (label, cells or "- (no per_instance field: not an infini-bench file)"))
by_label = {label: r for label, r in runs}
rr = by_label.get("round-robin")
for name in ("cache-routing", "cache-aware"):
    r = by_label.get(name)
    if rr and r and rr.get("mean_ttft_ms") and r.get("mean_ttft_ms") is not None:
        print("%s vs round-robin: mean TTFT %.2f / %.2f ms = %.2fx"
              % (name, r["mean_ttft_ms"], rr["mean_ttft_ms"], r["mean_ttft_ms"] / rr["mean_ttft_ms"]))
EOF
}

main() {
    local files=("$@") label f chart=()
    if [ ${#files[@]} -eq 0 ]; then
        for label in single-instance round-robin cache-routing cache-aware; do
            f=$(newest "$label")
            [ -n "$f" ] && files+=("$f")
        done
    fi
    [ ${#files[@]} -ge 2 ] ||
        die "need at least two result files (found ${#files[@]} in $RESULT_DIR); run the bench-*.sh scripts first"
    resolve_bins infini-bench
    if [ "$CHART" != none ] && command -v gnuplot >/dev/null; then
        chart=(--chart "$CHART")
    elif [ "$CHART" != none ]; then
        log "(no chart: gnuplot is not installed; scripts/install-deps.sh --bench installs it)"
    fi
    "$BIN_infini_bench" compare "${files[@]}" "${chart[@]}"
    spread "${files[@]}"
}

main "$@"
