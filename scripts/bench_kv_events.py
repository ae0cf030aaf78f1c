"""Helpers of scripts/bench-kv-events.sh (the precise-routing benchmark; a benchmark, not a test):
dataset halves and probe sets, a /metrics sampler, and the summary with the targets (free ports,
/health waits and /metrics snapshots are scripts/lib/benchlib.py's, shared with the other
benchmarks). The shell script starts and stops every process; this file only reads and writes
files and polls HTTP. Python 3 standard library only.

Usage: bench_kv_events.py static OUT NAME:PORT:KV_PORT:REPLAY_PORT...  (--static-services file)
       bench_kv_events.py split IN OUT_A OUT_B          (alternate records: two replicas' halves)
       bench_kv_events.py probes IN OUT COUNT           (COUNT records spread over IN)
       bench_kv_events.py workset KIND FILE BLOCK_SIZE  (blocks the workload's prompts fill)
       bench_kv_events.py quiet PORT...                 (until no KV event arrives for 0.3 s)
       bench_kv_events.py sample STOP_FILE OUT INTERVAL PORT...
       bench_kv_events.py meta OUT ROUTERS LOAD_FILES PROBE_FILES LINES  (comma-separated lists)
       bench_kv_events.py lagmeta OUT DIRECT_RESULT ROUTED_RESULT  (run.json of the lag step)
       bench_kv_events.py brief RESULTS WORKLOAD SETUP  (one line on a finished run)
       bench_kv_events.py summary RESULTS"""
import calendar
import http.client
import json
import math
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from benchlib import get, read_runs  # noqa: E402 (found through the line above)

# ---------------------------------------------------------------- small commands

def records(path):
    with open(path) as f:
        return [line for line in f if line.strip()]


def cmd_split(src, out_a, out_b):
    recs = records(src)
    with open(out_a, "w") as a, open(out_b, "w") as b:
        a.writelines(recs[0::2])
        b.writelines(recs[1::2])


def cmd_probes(src, out, count):
    recs = records(src)
    count = min(int(count), len(recs))
    step = len(recs) / count
    with open(out, "w") as f:
        f.writelines(recs[int(i * step)] for i in range(count))


def cmd_static(out, *mocks):
    """A --static-services file: one record per NAME:PORT:KV_PORT:REPLAY_PORT, with
    metadata.kv_events as the babysitter advertises it."""
    services = []
    for m in mocks:
        name, port, kv, replay = m.split(":")
        services.append({"name": name, "host": "127.0.0.1", "port": int(port), "metadata": {
            "type": "openai-api", "models": ["model-1"], "kv_events": {
                "endpoint": "tcp://127.0.0.1:" + kv, "replay_endpoint": "tcp://127.0.0.1:" + replay,
                "topic": "kv@" + name, "block_size": 16}}})
    with open(out, "w") as f:
        json.dump({"services": services}, f)


def cmd_workset(kind, path, block_size):
    """Distinct cache blocks of the workload: for a trace, its distinct hash ids (512 tokens
    each); for conversations, each conversation's longest prompt (about 4 bytes a token)."""
    bs = int(block_size)
    if kind == "trace":
        ids = set()
        for line in records(path):
            ids.update(json.loads(line)["hash_ids"])
        print(len(ids) * 512 // bs)
        return
    longest = {}
    for line in records(path):
        r = json.loads(line)
        n = sum(len(m["content"]) + len(m["role"]) + 2 for m in r["messages"])
        cid = r.get("conversation_id", r.get("prefix_id"))
        longest[cid] = max(longest.get(cid, 0), n)
    print(sum(n // 4 // bs for n in longest.values()))


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')


def parse_prom(text):
    """{(name, instance or ''): value} of every sample (other labels are folded into name)."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE_RE.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        inst = labels.pop("instance", "")
        name = m.group(1)
        if labels:
            name += "{" + ",".join("%s=%s" % kv for kv in sorted(labels.items())) + "}"
        try:
            out[(name, inst)] = float(m.group(4))
        except ValueError:
            pass
    return out


def total(prom, name):
    return sum(v for (n, _), v in prom.items() if n == name)


def total_any(prom, name):
    """Like total, whatever the sample's other labels (model_name...)."""
    return sum(v for (n, _), v in prom.items() if n == name or n.startswith(name + "{"))


def cmd_quiet(*ports):
    """Waits (at most 10 s) until no router's KV event counter moved for 0.3 s."""
    last, still = None, time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = tuple(total(parse_prom(get(p, "/metrics")[1]), "infini_router_kv_event_batches_total")
                    for p in ports)
        if now != last:
            last, still = now, time.monotonic()
        elif time.monotonic() - still >= 0.3:
            return 0
        time.sleep(0.05)
    return 1


def cmd_sample(stop_file, out, interval, *ports):
    """Polls each router's /metrics every `interval` s until `stop_file` exists. Writes the
    timeline [t, router, events received, batches, lag of the last batch per instance] and the
    largest lag seen per router. The router exports the last batch's lag and the running mean,
    not a maximum, so the maximum here is of the samples."""
    interval = float(interval)
    rows, max_lag = [], {p: 0.0 for p in ports}
    t0 = time.monotonic()
    while not os.path.exists(stop_file):
        for p in ports:
            try:
                prom = parse_prom(get(p, "/metrics")[1])
            except (OSError, http.client.HTTPException):
                continue
            lags = {i: v for (n, i), v in prom.items() if n == "infini_router_kv_event_lag_seconds"}
            if lags:
                max_lag[p] = max(max_lag[p], max(lags.values()))
            rows.append([round(time.monotonic() - t0, 4), p,
                         total(prom, "infini_router_kv_events_received_total"),
                         total(prom, "infini_router_kv_event_batches_total"), lags])
        time.sleep(interval)
    with open(out, "w") as f:
        json.dump({"interval": interval, "max_lag_s": max_lag, "rows": rows}, f)


# ---------------------------------------------------------------- summary

def percentile(values, q):
    """numpy's default (linear) interpolation, like infini-bench."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def merge_results(files):
    """Per-request figures of one or more infini-bench result files (two replicas' halves)."""
    ttft, prompt, cached, per, ok, failed = [], 0, 0, {}, 0, 0
    for path in files:
        r = json.load(open(path))
        for i, err in enumerate(r["errors"]):
            inst = r["instances"][i]
            if inst is not None:
                per[inst] = per.get(inst, 0) + 1
            if err:
                failed += 1
                continue
            ok += 1
            ttft.append(r["ttfts"][i] * 1000)
            prompt += r["input_lens"][i]
            cached += r["cached_tokens"][i]
    return {"ok": ok, "failed": failed, "per_instance": per,
            "mean_ttft": sum(ttft) / len(ttft) if ttft else None,
            "p90_ttft": percentile(ttft, 0.9), "hit_rate": cached / prompt if prompt else None,
            "prompt": prompt, "cached": cached}


def router_view(proms):
    """Summed over the routers of a run: predicted/actual cached tokens, false hits, tokenize
    calls, KV events, and the event lag (mean over batches)."""
    v = {}
    for name, key in (("infini_router_prefix_predicted_cached_tokens_total", "predicted"),
                      ("infini_router_prefix_actual_cached_tokens_total", "actual"),
                      ("infini_router_prefix_false_hits_total", "false_hits"),
                      ("infini_router_kv_stale_false_hits_total", "stale"),
                      ("infini_router_tokenize_requests_total", "tok_calls"),
                      ("infini_router_tokenize_failures_total", "tok_failures"),
                      ("infini_router_tokenize_seconds_total", "tok_seconds"),
                      ("infini_router_kv_events_received_total", "events"),
                      ("infini_router_kv_event_batches_total", "batches"),
                      ("infini_router_kv_event_gaps_total", "gaps"),
                      ("infini_router_kv_event_replay_failures_total", "replay_failures"),
                      ("infini_router_kv_events_dropped_total", "dropped")):
        v[key] = sum(total(p, name) for p in proms)
    lag_sum = 0.0
    for p in proms:
        for (n, inst), mean in p.items():
            if n == "infini_router_kv_event_lag_mean_seconds":
                lag_sum += mean * p.get(("infini_router_kv_event_batches_total", inst), 0)
    v["lag_sum"] = lag_sum
    return v


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after}


def read_prom(path):
    return parse_prom(open(path).read()) if os.path.exists(path) else {}


def route_reasons(path, skip=0, limit=None):
    """Route reasons from a router's access log: lines [skip, limit) of it."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        lines = [l for l in f if "route=" in l]
    for line in lines[skip:limit]:
        m = re.search(r'route="([^"]*)"', line)
        words = m.group(1).split() if m else ["-"]
        reason = next((w for w in words[1:] if w in ("prefix", "cold-owner", "evicted", "spill",
                                                      "session", "key-hash", "round-robin")),
                      words[-1])
        if words[0] == "round-robin":
            reason = "round-robin"
        if words[-1] == "exact":
            reason += " exact"
        out[reason] = out.get(reason, 0) + 1
    return out


ACCESS_RE = re.compile(r'^(\S+) .*instance=(\S+) route="([^"]*)".* ms=(\S+)')


def access_requests(path, limit):
    """(start, instance, route) of the first `limit` proxied requests in an access log, in
    start order (the log is in finish order; start = the line's time minus its ms)."""
    out = []
    with open(path) as f:
        for line in f:
            m = ACCESS_RE.match(line)
            if not m:
                continue
            end = calendar.timegm(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S"))
            end += float("0" + m.group(1)[19:].rstrip("Z"))
            out.append((end - float(m.group(4)) / 1000, m.group(2), m.group(3)))
            if len(out) == limit:
                break
    return sorted(out)


def join_requests(results, w, s, meta):
    """Per dataset record: start, first-token time, instance, route, prompt and cached tokens.
    infini-bench sends the records in order, so the access log sorted by start time lines up
    with the result arrays; the instances must agree (else None: the join is not trusted)."""
    recs = [json.loads(l) for l in records(os.path.join(results, "datasets", w + ".jsonl"))]
    if "timestamp" in recs[0] and [r["timestamp"] for r in recs] != sorted(
            r["timestamp"] for r in recs):
        return None, recs
    d = os.path.join(results, w, s)
    parts = list(zip(meta["routers"], meta["load_results"]))
    n = len(parts)
    out = [None] * len(recs)
    for k, (router, path) in enumerate(parts):
        r = json.load(open(path))
        log = access_requests(os.path.join(d, router + ".access.log"), meta["load_lines"][router])
        if len(log) != len(r["errors"]):
            return None, recs
        for j in range(len(log)):
            # Requests started within a few ms of each other may be logged in either order.
            pick = next((x for x in range(j, len(log)) if log[x][0] - log[j][0] < 0.005 and
                         log[x][1] == r["instances"][j]), None)
            if pick is None:
                return None, recs
            log[j], log[pick] = log[pick], log[j]
            start, inst, route = log[j]
            out[k + j * n] = {"start": start, "first": start + r["ttfts"][j], "inst": inst,
                              "route": route, "prompt": r["input_lens"][j],
                              "cached": r["cached_tokens"][j], "ok": not r["errors"][j]}
    return out, recs


def previous_turns(recs):
    """Index of each record's previous turn in the same conversation (or None): the same
    conversation_id, or for a trace the earlier record with the most full 512-token blocks
    that all begin this one's hash ids (the latest of equals)."""
    prev, last = [], {}
    for i, r in enumerate(recs):
        if "conversation_id" in r:
            prev.append(last.get(r["conversation_id"]))
            last[r["conversation_id"]] = i
            continue
        ids, found, best = r["hash_ids"], None, 0
        for j in range(i):
            p = recs[j]["hash_ids"]
            full = min(len(p), recs[j]["input_length"] // 512)
            if full >= best and full >= 1 and ids[:full] == p[:full]:
                found, best = j, full
        prev.append(found)
    return prev


def diagnose(results, w, s, meta):
    """Where the cache hits went: follow-up turns sent before the previous turn's first token
    (its blocks not yet prefilled: no KV event yet) or after it, and the per-request prediction
    errors the predicted/actual ratio nets out."""
    reqs, recs = join_requests(results, w, s, meta)
    if reqs is None:
        return None
    prev = previous_turns(recs)
    cats = {"early": [0, 0, 0, 0], "late": [0, 0, 0, 0]}
    over = under = n_over = n_under = 0
    for i, q in enumerate(reqs):
        if not q["ok"]:
            continue
        m = re.search(r" (\d+)/\d+ ", q["route"] + " ")
        if m and q["route"].endswith(" exact"):
            pred = min(int(m.group(1)) * 16, q["prompt"])
            over += max(pred - q["cached"], 0)
            under += max(q["cached"] - pred, 0)
            n_over += pred > q["cached"]
            n_under += q["cached"] > pred
        j = prev[i]
        if j is None or reqs[j] is None:
            continue
        c = cats["early" if q["start"] < reqs[j]["first"] else "late"]
        c[0] += 1
        c[1] += q["inst"] != reqs[j]["inst"]
        c[2] += q["cached"]
        c[3] += q["prompt"]
    return {"cats": cats, "over": over, "under": under, "n_over": n_over, "n_under": n_under}


def fmt(v, f="%.1f", none="-"):
    return none if v is None else f % v


def ratio(a, b):
    return a / b if a is not None and b else None


class Verdicts:
    def __init__(self):
        self.items = []

    def check(self, name, value, op, limit, fmtv="%.3f", why=None):
        if value is None:
            print("    %-58s n/a (%s)" % (name, why or "a set-up it needs did not run"))
            self.items.append(None)
            return
        ok = value <= limit if op == "<=" else value >= limit
        print("    %-58s %s  (target %s %s)  %s" % (name, fmtv % value, op, fmtv % limit,
                                                  "PASS" if ok else "FAIL"))
        self.items.append(ok)


def load_run(results, w, s, what):
    """One run's figures: the bench results, the routers' view of the load and of the probes."""
    d = os.path.join(results, w, s)
    meta = json.load(open(os.path.join(d, "run.json")))
    run = {"load": merge_results(meta["load_results"]), "meta": meta}
    routers = meta["routers"]
    load = [read_prom(os.path.join(d, "%s.load.prom" % r)) for r in routers]
    run["view"] = router_view(load)
    samples = os.path.join(d, "samples.json")
    run["max_lag"] = (max(json.load(open(samples))["max_lag_s"].values())
                      if os.path.exists(samples) else None)
    run["reasons"] = {}
    for r in routers:
        for k, n in route_reasons(os.path.join(d, "%s.access.log" % r), 0,
                                  meta["load_lines"].get(r)).items():
            run["reasons"][k] = run["reasons"].get(k, 0) + n
    run["diag"] = diagnose(results, w, s, meta) if what is not None else None
    mocks = [read_prom(os.path.join(d, f)) for f in sorted(os.listdir(d))
             if re.match(r"mock-\d+\.prom$", f)]
    run["mocks"] = {k: sum(total_any(p, name) for p in mocks) for k, name in (
        ("evictions", "mock:kv_cache_evictions_total"),
        ("overcommitted", "mock:kv_cache_overcommitted_blocks_total"),
        ("queries", "vllm:prefix_cache_queries_total"),
        ("hits", "vllm:prefix_cache_hits_total"))} if mocks else None
    if meta.get("probe_results"):
        r0 = routers[0]
        after = read_prom(os.path.join(d, "%s.probe.prom" % r0))
        run["probe"] = merge_results(meta["probe_results"])
        run["probe_view"] = delta(router_view([after]), router_view([load[0]]))
        run["probe_reasons"] = route_reasons(os.path.join(d, "%s.access.log" % r0),
                                             meta["load_lines"].get(r0) or 0)
    return run


def print_results(runs):
    print("  %-15s %9s %9s %8s %8s  %s" % ("set-up", "mean TTFT", "P90 TTFT", "hit rate",
                                           "ok/fail", "requests per instance"))
    for s, run in runs.items():
        if isinstance(run, str):
            print("  %-15s ERROR: %s" % (s, run))
            continue
        L = run["load"]
        per = " ".join("%s:%d" % kv for kv in sorted(L["per_instance"].items()))
        print("  %-15s %9s %9s %7s%% %4d/%-3d  %s" % (
            s, fmt(L["mean_ttft"]), fmt(L["p90_ttft"]), fmt(100 * (L["hit_rate"] or 0)),
            L["ok"], L["failed"], per))


def print_view(runs):
    print("  router's view (summed over a run's routers; pred/actual = predicted / actual cached"
          " tokens; false hits: all/stale, stale = the index still held the block the engine"
          " lacked, no event had told)")
    print("  %-15s %10s %10s %10s %12s %22s  %s" % (
        "set-up", "pred/actual", "false hits", "KV events", "lag mean/max", "tokenize n/fail/mean",
        "route reasons"))
    for s, run in runs.items():
        if isinstance(run, str):
            continue
        v = run["view"]
        lag_mean = v["lag_sum"] / v["batches"] * 1000 if v["batches"] else None
        tok = ("%d/%d/%.2fms" % (v["tok_calls"], v["tok_failures"],
                                 1000 * v["tok_seconds"] / v["tok_calls"])
               if v["tok_calls"] else "-")
        reasons = ", ".join("%s %d" % kv for kv in sorted(run["reasons"].items(),
                                                           key=lambda kv: -kv[1]))
        print("  %-15s %10s %10s %10d %5s/%-5s ms %22s  %s" % (
            s, fmt(ratio(v["predicted"], v["actual"]), "%.4f"),
            "%d/%d" % (v["false_hits"], v["stale"]), v["events"],
            fmt(lag_mean, "%.2f"), fmt(run["max_lag"] * 1000 if run["max_lag"] is not None
                                       else None, "%.1f"), tok, reasons))
        if v["gaps"] or v["replay_failures"] or v["dropped"]:
            print("  %-15s KV event gaps %d, replay failures %d, dropped batches %d" % (
                "", v["gaps"], v["replay_failures"], v["dropped"]))


def print_mocks(runs):
    print("  mocks (/metrics after the load and the probes, summed over the instances):")
    for s, run in runs.items():
        if isinstance(run, str) or not run.get("mocks"):
            continue
        m = run["mocks"]
        print("  %-15s evicted blocks %d, over-committed blocks %d, prefix cache hits %s%%" % (
            s, m["evictions"], m["overcommitted"],
            fmt(100 * m["hits"] / m["queries"] if m["queries"] else None)))


def print_probes(runs):
    print("  quiet probes (after the load, one request at a time through the first router, so"
          " every earlier eviction's event has arrived):")
    for s, run in runs.items():
        if isinstance(run, str) or "probe" not in run:
            continue
        P, v = run["probe"], run["probe_view"]
        print("  %-15s %d probes, hit rate %s%%, pred/actual %s, false hits %d, reasons %s" % (
            s, P["ok"], fmt(100 * (P["hit_rate"] or 0)), fmt(ratio(v["predicted"], v["actual"]),
                                                            "%.4f"),
            v["false_hits"],
            ", ".join("%s %d" % kv for kv in sorted(run["probe_reasons"].items()))))


def print_diagnosis(runs):
    print("  diagnosis (access logs joined to the results): follow-up turns sent before the"
          " previous turn's first token / after it: requests, moved to another instance, hit"
          " rate; per-request prediction errors (exact decisions):")
    for s, run in runs.items():
        if isinstance(run, str):
            continue
        g = run.get("diag")
        if g is None:
            print("  %-15s (the access log does not line up with the results)" % s)
            continue
        e, l = g["cats"]["early"], g["cats"]["late"]
        errs = ("over %d tokens in %d requests, under %d in %d" % (
            g["over"], g["n_over"], g["under"], g["n_under"]) if g["n_over"] + g["n_under"]
            else "-")
        print("  %-15s before %3d moved %2d hit %5s%%   after %3d moved %2d hit %5s%%   %s" % (
            s, e[0], e[1], fmt(100 * e[2] / e[3] if e[3] else None), l[0], l[1],
            fmt(100 * l[2] / l[3] if l[3] else None), errs))


def print_targets(runs, verdicts):
    def ok(s):
        return runs.get(s) if isinstance(runs.get(s), dict) else None
    pr, ap, pr2 = ok("precise"), ok("approximate"), ok("precise-2r")
    print("  targets:")
    # One ratio per round (--rounds): round 1 is precise / approximate, round K precise.rK /
    # approximate.rK; the target is judged on their median.
    ratios, k = [], 1
    while True:
        sfx = "" if k == 1 else ".r%d" % k
        if "precise" + sfx not in runs and "approximate" + sfx not in runs:
            break
        p_, a_ = ok("precise" + sfx), ok("approximate" + sfx)
        if p_ and a_:
            ratios.append(ratio(p_["load"]["mean_ttft"], a_["load"]["mean_ttft"]))
        k += 1
    if len(ratios) > 1:
        print("    %-58s %s  (%.3f..%.3f)" % ("mean TTFT precise / approximate, each round",
                                              " ".join("%.3f" % x for x in ratios),
                                              min(ratios), max(ratios)))
        verdicts.check("mean TTFT precise / approximate, median of %d rounds" % len(ratios),
                       statistics.median(ratios), "<=", 0.9)
    else:
        verdicts.check("mean TTFT precise / approximate", ratios[0] if ratios else None,
                       "<=", 0.9)
    err = None
    if pr and pr["view"]["actual"]:
        err = abs(pr["view"]["predicted"] - pr["view"]["actual"]) / pr["view"]["actual"]
    verdicts.check("precise |predicted - actual| / actual", err, "<=", 0.02, "%.4f")
    verdicts.check("precise false hits under load, event already in (stale)",
                   pr["view"]["stale"] if pr else None, "<=", 0, "%d")
    if pr:
        print("    %-58s %d  (no target: evicted after the decision)" % (
            "precise false hits under load, all", pr["view"]["false_hits"]))
    verdicts.check("precise false hits once the events arrived (probes)",
                   pr["probe_view"]["false_hits"] if pr and "probe" in pr else None, "<=", 0,
                   "%d")
    ap2 = ok("approximate-2r")
    if pr2 and ap2:
        print("    %-58s %.3f  (for comparison, no target)" % (
            "mean TTFT precise-2r / approximate-2r",
            ratio(pr2["load"]["mean_ttft"], ap2["load"]["mean_ttft"])))
    verdicts.check("hit rate two replicas / one router (precise)", ratio(
        pr2 and pr2["load"]["hit_rate"], pr and pr["load"]["hit_rate"]), ">=", 0.95)


def print_workload(w, desc, runs, verdicts):
    print("\n%s: %s" % (w, desc))
    print_results(runs)
    print_view(runs)
    print_mocks(runs)
    print_probes(runs)
    print_diagnosis(runs)
    print_targets(runs, verdicts)


def lag_phase(d, name, meta):
    """Events/s and lag of one phase of the lag step, from the sampler's timeline and the
    router's counters before and after."""
    samples = json.load(open(os.path.join(d, name + ".samples.json")))
    before = router_view([read_prom(os.path.join(d, name + ".before.prom"))])
    after = router_view([read_prom(os.path.join(d, name + ".after.prom"))])
    rows = samples["rows"]
    moving = [i for i in range(1, len(rows)) if rows[i][2] > rows[i - 1][2]]
    rate = peak = None
    if moving:
        a, b = rows[moving[0] - 1], rows[moving[-1]]
        rate = (b[2] - a[2]) / (b[0] - a[0]) if b[0] > a[0] else None
        peak = 0
        for i, r in enumerate(rows):  # the busiest 1-s window
            j = i
            while j + 1 < len(rows) and rows[j + 1][0] - r[0] <= 1.0:
                j += 1
            if rows[j][0] - r[0] >= 0.9:
                peak = max(peak, (rows[j][2] - r[2]) / (rows[j][0] - r[0]))
    dv = delta(after, before)
    return {"rate": rate, "peak": peak, "events": dv["events"], "batches": dv["batches"],
            "lag_mean": dv["lag_sum"] / dv["batches"] if dv["batches"] else None,
            "lag_max": max(samples["max_lag_s"].values()) if samples["max_lag_s"] else None,
            "gaps": dv["gaps"], "bench": meta.get(name)}


def print_lag(results, status, what, verdicts):
    print("\nlag: %s" % what.get("desc", ""))
    if status != "ok":
        print("  ERROR: %s" % what.get("error"))
        verdicts.check("event-to-index lag (max seen) at >= 10,000 events/s", None, "<=", 0.05)
        return
    d = os.path.join(results, "lag")
    meta = json.load(open(os.path.join(d, "run.json")))
    got = {}
    for name, label in (("direct", "load straight to the mock, the router only subscribes"),
                        ("routed", "the same load through the router")):
        if not os.path.exists(os.path.join(d, name + ".samples.json")):
            continue
        p = got[name] = lag_phase(d, name, meta)
        print("  %-7s %s: %s events/s (busiest second %s), %d events in %d batches, lag mean "
              "%s ms, max seen %s ms (sampled every %.0f ms), %s req/s, gaps %d" % (
                  name, label, fmt(p["rate"], "%.0f"), fmt(p["peak"], "%.0f"), p["events"],
                  p["batches"], fmt(p["lag_mean"] and p["lag_mean"] * 1000, "%.2f"),
                  fmt(p["lag_max"] and p["lag_max"] * 1000, "%.1f"), 1000 * meta["interval"],
                  fmt(p["bench"] and p["bench"].get("req_s"), "%.0f"), p["gaps"]))
    print("  targets:")
    for name in ("direct", "routed"):
        p = got.get(name)
        if p is None:
            continue
        reached = p["rate"] is not None and p["rate"] >= 10000
        verdicts.check("%s: event rate reached" % name, p["rate"], ">=", 10000, "%.0f")
        verdicts.check("%s: lag mean (s) at that rate" % name,
                       p["lag_mean"] if reached else None, "<=", 0.05, "%.4f",
                       why="rate below 10,000 events/s")
        verdicts.check("%s: lag max seen (s) at that rate" % name,
                       p["lag_max"] if reached else None, "<=", 0.05, "%.4f",
                       why="rate below 10,000 events/s")


def cmd_meta(out, routers, load, probe, lines):
    """run.json of a run: its routers, result files and access-log lines of the load phase."""
    routers = routers.split(",")
    with open(out, "w") as f:
        json.dump({"routers": routers, "load_results": load.split(","),
                   "probe_results": [p for p in probe.split(",") if p],
                   "load_lines": dict(zip(routers, (int(n) for n in lines.split(","))))}, f)


def cmd_lagmeta(out, direct, routed):
    """run.json of the lag step: the request rate each phase reached."""
    with open(out, "w") as f:
        json.dump({"interval": 0.05,
                   "direct": {"req_s": json.load(open(direct))["request_throughput"]},
                   "routed": {"req_s": json.load(open(routed))["request_throughput"]}}, f)


def cmd_brief(results, w, s):
    """One line on a finished run."""
    run = load_run(results, w, s, None)
    L, v = run["load"], run["view"]
    print("  %-15s %d/%d ok, mean TTFT %s ms, hit rate %s%%, pred/actual %s, false hits %d" % (
        s, L["ok"], L["ok"] + L["failed"], fmt(L["mean_ttft"]),
        fmt(100 * (L["hit_rate"] or 0)), fmt(ratio(v["predicted"], v["actual"]), "%.4f"),
        v["false_hits"]))


def cmd_summary(results):
    runs, desc = read_runs(results)
    verdicts = Verdicts()
    print("\n" + "=" * 100)
    print("KV-event (precise) routing benchmark: TTFT in ms, hit rate from the responses'"
          " cached_tokens")
    for w in runs:
        if w == "lag":
            status, what = runs[w]["-"]
            print_lag(results, status, {"desc": desc.get(w, ""), "error": what}, verdicts)
            continue
        got = {}
        for s, (status, what) in runs[w].items():
            got[s] = load_run(results, w, s, what) if status == "ok" else what
        print_workload(w, desc.get(w, ""), got, verdicts)
    v = verdicts.items
    print("\nTargets: %d PASS, %d FAIL, %d not measured" % (
        sum(1 for x in v if x is True), sum(1 for x in v if x is False),
        sum(1 for x in v if x is None)))
    print("Results, datasets, logs and command lines: %s" % results)


COMMANDS = {"split": cmd_split, "probes": cmd_probes, "workset": cmd_workset,
            "quiet": cmd_quiet, "sample": cmd_sample, "meta": cmd_meta, "brief": cmd_brief,
            "static": cmd_static, "lagmeta": cmd_lagmeta,
            "summary": cmd_summary}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]) or 0)
