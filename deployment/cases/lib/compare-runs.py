#!/usr/bin/env python3
"""What `infini-bench compare`'s table lacks, for the deployment cases' compare scripts (through
lib/compare.sh): the requests each instance served in each run (infini-bench's per_instance
field), with --size-threshold the TTFT of the small and the large requests apart (large = more
input tokens than the threshold's bytes / 4, about 4 characters per token), and with --baseline
the mean TTFT of each --versus run as a fraction of the baseline run's. Runs are named by their
label. Reads result files only; Python standard library.

Usage: compare-runs.py [--size-threshold BYTES] [--baseline LABEL --versus LABEL...] FILE...
"""
import argparse
import json
import statistics


def load(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            r = json.load(f)
        runs.append((r.get("label") or r.get("backend") or path, r))
    return runs


def per_instance(runs, width):
    print("\nRequests per instance (served / share):")
    for label, r in runs:
        per = r.get("per_instance") or {}
        total = sum(per.values()) or 1
        cells = ", ".join("%s %d (%.0f%%)" % (k, v, 100.0 * v / total)
                          for k, v in sorted(per.items()))
        print("  %-*s %s" % (width, label,
                             cells or "- (no per_instance field: not an infini-bench file)"))


def ttft_by_size(runs, width, threshold_bytes):
    threshold_tokens = threshold_bytes / 4.0
    print("\nTTFT by request size (large: more than %.0f input tokens):" % threshold_tokens)
    for label, r in runs:
        ttfts, lens, errs = r.get("ttfts"), r.get("input_lens"), r.get("errors") or []
        if not ttfts or not lens:
            print("  %-*s - (no per-request arrays)" % (width, label))
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
        print("  %-*s %s" % (width, label, "; ".join(cells)))


def versus(runs, baseline, others):
    by_label = dict(runs)
    base = by_label.get(baseline)
    lines = []
    for name in others:
        r = by_label.get(name)
        if base and r and base.get("mean_ttft_ms") and r.get("mean_ttft_ms") is not None:
            lines.append("%s vs %s: mean TTFT %.2f / %.2f ms = %.2fx"
                         % (name, baseline, r["mean_ttft_ms"], base["mean_ttft_ms"],
                            r["mean_ttft_ms"] / base["mean_ttft_ms"]))
    if lines:
        print("\n" + "\n".join(lines))


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("Usage: ")[1])
    ap.add_argument("--size-threshold", type=int)
    ap.add_argument("--baseline")
    ap.add_argument("--versus", action="append", default=[])
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    runs = load(args.files)
    width = max(18, max(len(label) for label, _ in runs) + 2)
    per_instance(runs, width)
    if args.size_threshold is not None:
        ttft_by_size(runs, width, args.size_threshold)
    if args.baseline:
        versus(runs, args.baseline, args.versus)


if __name__ == "__main__":
    main()
