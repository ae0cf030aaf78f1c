#!/usr/bin/env bash
# Compares the size-based routing run with the 2-paged round-robin run (the reference's
# compare-cache-types.py and compare-routing-strategies.py in one): `infini-bench compare`
# (TTFT mean/median/p90/p99, TPOT, ITL, E2E, throughput, prefix-cache hit rate, failures; a
# chart when gnuplot is installed), then what that table lacks: the requests each instance
# served, TTFT of the small and the large requests apart (large = more input tokens than the
# routing threshold's bytes / 4, about 4 characters per token), and size-based routing's mean
# TTFT as a fraction of the baseline's.
# Usage: compare-cache-types.sh [FILE...]   (default: the newest size-based-routing and
#        2paged-round-robin results in RESULT_DIR, in that order)
# Env: RESULT_DIR (results/), CHART (RESULT_DIR/compare-cache-types.png; "none" for no chart),
#      CACHE_TYPE_ROUTING_THRESHOLD (51200), INFINI_BIN_DIR
set -euo pipefail
source "$(dirname "$0")/common.sh"

CHART=${CHART:-$RESULT_DIR/compare-cache-types.png}

# newest LABEL: the newest RESULT_DIR/LABEL-*.json, if any (nothing when RESULT_DIR is absent).
newest() {
    [ -d "$RESULT_DIR" ] || return 0
    find "$RESULT_DIR" -maxdepth 1 -name "$1-*.json" -printf '%T@ %p\n' |
        sort -n | tail -n1 | cut -d' ' -f2-
}

# breakdown THRESHOLD FILE...: per-instance counts, TTFT by size class, and the ratio.
breakdown() {
    python3 - "$@" <<'EOF'
import json, statistics, sys
threshold_tokens = int(sys.argv[1]) / 4.0
runs = []
for path in sys.argv[2:]:
    with open(path) as f:
        r = json.load(f)
    runs.append((r.get("label") or r.get("backend") or path, r))
print("\nRequests per instance (served / share):")
for label, r in runs:
    per = r.get("per_instance") or {}
    total = sum(per.values()) or 1
    cells = ", ".join("%s %d (%.0f%%)" % (k, v, 100.0 * v / total) for k, v in sorted(per.items()))
    print("  %-20s %s" % (label, cells or "- (no per_instance field: not an infini-bench file)"))
print("\nTTFT by request size (large: more than %.0f input tokens):" % threshold_tokens)
for label, r in runs:
    ttfts, lens, errs = r.get("ttfts"), r.get("input_lens"), r.get("errors") or []
    if not ttfts or not lens:
        print("  %-20s - (no per-request arrays)" % label)
        continue
    cells = []
    for name, large in (("small", False), ("large", True)):
        vals = [t * 1000.0 for i, (t, n) in enumerate(zip(ttfts, lens))
                if (n > threshold_tokens) == large and not (i < len(errs) and errs[i])]
        if vals:
            cells.append("%s n=%d mean %.0f ms, median %.0f ms, max %.0f ms"
                         % (name, len(vals), statistics.mean(vals), statistics.median(vals),
                            max(vals)))
        else:
            cells.append("%s n=0" % name)
    print("  %-20s %s" % (label, "; ".join(cells)))
by_label = {label: r for label, r in runs}
sb, rr = by_label.get("size-based-routing"), by_label.get("2paged-round-robin")
if sb and rr and rr.get("mean_ttft_ms"):
    print("\nsize-based-routing vs 2paged-round-robin: mean TTFT %.2f / %.2f ms = %.2fx"
          % (sb["mean_ttft_ms"], rr["mean_ttft_ms"], sb["mean_ttft_ms"] / rr["mean_ttft_ms"]))
EOF
}

main() {
    local files=("$@") label f chart=()
    if [ ${#files[@]} -eq 0 ]; then
        for label in size-based-routing 2paged-round-robin; do
            f=$(newest "$label")
            [ -n "$f" ] && files+=("$f")
        done
    fi
    [ ${#files[@]} -ge 2 ] ||
        die "need two result files (found ${#files[@]} in $RESULT_DIR); run bench-size-based-routing.sh and bench-2paged.sh first"
    resolve_bins infini-bench
    if [ "$CHART" != none ] && command -v gnuplot >/dev/null; then
        chart=(--chart "$CHART")
    elif [ "$CHART" != none ]; then
        log "(no chart: gnuplot is not installed; scripts/install-deps.sh --bench installs it)"
    fi
    "$BIN_infini_bench" compare "${files[@]}" "${chart[@]}"
    breakdown "$ROUTING_THRESHOLD" "${files[@]}"
}

main "$@"
