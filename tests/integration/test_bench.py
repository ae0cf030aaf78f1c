"""infini-bench against the real infini-mock (and infini-router): the cache hit/miss TTFT split,
prompt_cache_key patterns (consistent instances through the router, and the exact expanded keys
reaching the upstream, recorded by a small in-process upstream), every result field with sane
values, completions without streaming, failure accounting and exit codes, `compare` (table and
PNG chart), dataset generation, Mooncake trace replay (send times follow the timestamps, prompts
follow the hash ids, sampling keeps whole conversations) and bad arguments (exit code 2).

How the raw key is checked: a standard-library HTTP server in this process plays the upstream,
answers like a model server (SSE with a usage chunk, X-Mock-Instance) and records every request
body, so the test sees exactly what arrived, both directly and behind infini-router."""
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
import unittest

import routerlib
import svclib

RESULT_FIELDS = (
    "date", "endpoint_type", "backend", "label", "model_id", "tokenizer_id", "num_prompts",
    "request_rate", "burstiness", "max_concurrency", "duration", "completed", "failed",
    "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput",
    "output_throughput", "total_token_throughput", "max_output_tokens_per_s",
    "max_concurrent_requests", "prefix_cache_hit_rate", "per_instance", "hit_requests",
    "miss_requests", "mean_ttft_hit_ms", "mean_ttft_miss_ms", "ttfts", "itls", "e2els",
    "input_lens", "output_lens", "cached_tokens", "instances", "errors")
METRIC_FIELDS = tuple("%s_%s_ms" % (s, m) for m in ("ttft", "tpot", "itl", "e2el")
                      for s in ("mean", "median", "std", "p90", "p99"))


class Recorder:
    """A fake model server on 127.0.0.1 that records request bodies and answers with a short
    SSE stream (or JSON) naming itself in X-Mock-Instance."""

    def __init__(self, name):
        self.name = name
        self.bodies = []
        self.times = []  # time.monotonic() at each request's arrival
        self.lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, ctype, data):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Mock-Instance", recorder.name)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.reply(200, "application/json", b'{"status":"healthy"}')

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with recorder.lock:
                    recorder.bodies.append(body)
                    recorder.times.append(time.monotonic())
                usage = {"prompt_tokens": 7, "completion_tokens": 2,
                         "prompt_tokens_details": {"cached_tokens": 0}}
                if not body.get("stream"):
                    doc = {"choices": [{"message": {"content": "ok ok"}}], "usage": usage}
                    self.reply(200, "application/json", json.dumps(doc).encode())
                    return
                events = [{"choices": [{"delta": {"content": "ok"}}]},
                          {"choices": [{"delta": {"content": " ok"}}]},
                          {"choices": [], "usage": usage}]
                text = "".join("data: %s\n\n" % json.dumps(e) for e in events)
                self.reply(200, "text/event-stream", (text + "data: [DONE]\n\n").encode())

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def keys(self):
        with self.lock:
            return [b.get("prompt_cache_key") for b in self.bodies]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class BenchTestCase(svclib.ProcTestCase):
    def bench(self, *args, timeout=120):
        """Runs infini-bench; returns the CompletedProcess (text mode)."""
        argv = [svclib.binary("infini-bench")] + [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def serve(self, port, *args, label="run", expect=0):
        """Runs `serve` against 127.0.0.1:port saving the result; returns (result dict, stdout)."""
        results = os.path.join(self.tmpdir, "results-" + label)
        p = self.bench("serve", "--base-url", "http://127.0.0.1:%d" % port, "--model", "model-1",
                       "--label", label, "--save-result", "--result-dir", results, *args)
        self.assertEqual(p.returncode, expect, p.stdout + p.stderr)
        files = glob.glob(os.path.join(results, label + "-*.json"))
        self.assertEqual(len(files), 1, files)
        self.assertIn("Saved result to " + files[0], p.stdout)
        with open(files[0]) as f:
            return json.load(f), p.stdout, files[0]

    def mock(self, name="mock", **flags):
        flags.setdefault("prefill_tok_per_s", 2000)
        flags.setdefault("decode_ms_per_token", 1)
        flags.setdefault("log_level", "warn")
        return routerlib.start_mock(self, name, **flags)

    def recorder(self, name):
        r = Recorder(name)
        self.addCleanup(r.close)
        return r


class ServeTests(BenchTestCase):
    def test_repeated_prefix_has_lower_ttft(self):
        mock = self.mock()
        res, out, _ = self.serve(mock.port, "--dataset-kind", "multi-prefix", "--num-prompts", 8,
                                 "--num-prefixes", 2, "--prefix-len", 8192, "--suffix-len", 64,
                                 "--max-concurrency", 1, "--max-tokens", 4, label="prefix")
        self.assertEqual(res["completed"], 8)
        self.assertEqual(res["miss_requests"], 2)  # the first use of each prefix
        self.assertEqual(res["hit_requests"], 6)
        # 8 KB ~ 2048 tokens at 2000 tok/s: ~1 s to prefill; a hit prefills ~16 tokens.
        self.assertGreater(res["mean_ttft_miss_ms"], 500)
        self.assertLess(res["mean_ttft_hit_ms"], res["mean_ttft_miss_ms"] / 4)
        self.assertEqual([c > 0 for c in res["cached_tokens"]], [False] * 2 + [True] * 6)
        self.assertGreater(res["prefix_cache_hit_rate"], 0.6)
        self.assertLess(res["prefix_cache_hit_rate"], 1.0)
        self.assertEqual(res["per_instance"], {"mock": 8})
        self.assertIn("Hit requests (cached > 0):               6", out)

    def test_result_has_every_field_with_sane_values(self):
        mock = self.mock()
        res, out, path = self.serve(mock.port, "--dataset-kind", "shared-prefix",
                                    "--num-prompts", 6, "--prefix-len", 256, "--suffix-len", 32,
                                    "--request-rate", 50, "--max-tokens", 5, label="fields")
        for key in RESULT_FIELDS + METRIC_FIELDS:
            self.assertIn(key, res)
        self.assertRegex(os.path.basename(path), r"^fields-50\.0qps-model-1-\d{8}-\d{6}\.json$")
        self.assertRegex(res["date"], r"^\d{8}-\d{6}$")
        self.assertEqual((res["endpoint_type"], res["backend"]), ("openai-chat", "openai-chat"))
        self.assertEqual((res["label"], res["model_id"], res["tokenizer_id"]),
                         ("fields", "model-1", "model-1"))
        self.assertEqual((res["num_prompts"], res["request_rate"], res["burstiness"]), (6, 50, 1))
        self.assertIsNone(res["max_concurrency"])
        self.assertIsNone(res["request_goodput"])
        self.assertEqual((res["completed"], res["failed"]), (6, 0))
        self.assertEqual(res["total_output_tokens"], 30)
        self.assertEqual(res["output_lens"], [5] * 6)
        self.assertEqual(res["errors"], [""] * 6)
        self.assertEqual(res["instances"], ["mock"] * 6)
        self.assertEqual(res["total_input_tokens"], sum(res["input_lens"]))
        self.assertTrue(all(n > 64 for n in res["input_lens"]))
        self.assertEqual([len(g) for g in res["itls"]], [4] * 6)
        self.assertGreater(res["duration"], 0.05)  # 6 requests at 50/s: the last at 0.12 s
        self.assertAlmostEqual(res["request_throughput"], 6 / res["duration"], places=6)
        self.assertAlmostEqual(res["output_throughput"], 30 / res["duration"], places=6)
        self.assertGreaterEqual(res["max_concurrent_requests"], 1)
        self.assertGreater(res["max_output_tokens_per_s"], 0)
        for m in ("ttft", "tpot", "itl", "e2el"):
            self.assertGreater(res["mean_%s_ms" % m], 0)
            self.assertLessEqual(res["median_%s_ms" % m], res["p90_%s_ms" % m] + 1e-9)
            self.assertLessEqual(res["p90_%s_ms" % m], res["p99_%s_ms" % m] + 1e-9)
        self.assertLess(res["mean_ttft_ms"], res["mean_e2el_ms"])
        for ttft, e2e in zip(res["ttfts"], res["e2els"]):
            self.assertTrue(0 < ttft < e2e < 10)
        self.assertEqual(res["hit_requests"] + res["miss_requests"], 6)
        self.assertEqual(sum(res["per_instance"].values()), 6)
        self.assertIn("Successful requests:                     6", out)
        self.assertIn("Request rate configured (RPS):           50.00", out)

    def test_completions_without_streaming(self):
        mock = self.mock()
        res, _, _ = self.serve(mock.port, "--endpoint", "/v1/completions", "--no-stream",
                               "--dataset-kind", "multi-prefix", "--num-prompts", 4,
                               "--num-prefixes", 2, "--prefix-len", 128, "--suffix-len", 16,
                               "--max-tokens", 3, label="compl")
        self.assertEqual(res["backend"], "openai")
        self.assertEqual(res["completed"], 4)
        self.assertEqual(res["output_lens"], [3] * 4)
        self.assertEqual(res["ttfts"], res["e2els"])  # not streamed: first token with the last
        self.assertEqual(res["itls"], [[]] * 4)

    def test_failures_are_reported_and_exit_codes(self):
        flaky = self.mock("flaky", fail_rate=0.5, status_code=503)
        res, out, _ = self.serve(flaky.port, "--dataset-kind", "shared-prefix", "--num-prompts",
                                 20, "--prefix-len", 64, "--max-tokens", 2, label="flaky")
        self.assertGreater(res["failed"], 0)
        self.assertGreater(res["completed"], 0)
        self.assertEqual(res["failed"] + res["completed"], 20)
        self.assertTrue(any(e.startswith("HTTP 503") for e in res["errors"]), res["errors"])
        self.assertEqual(sum(1 for e in res["errors"] if e), res["failed"])
        self.assertIn("First error", out)
        broken = self.mock("broken", fail_rate=1)
        res, _, _ = self.serve(broken.port, "--dataset-kind", "shared-prefix", "--num-prompts",
                               3, "--prefix-len", 64, label="broken", expect=1)
        self.assertEqual((res["completed"], res["failed"]), (0, 3))
        # Nothing listens on a freshly closed port: every request fails to connect.
        p = self.bench("serve", "--base-url", "http://127.0.0.1:%d" % svclib.free_port(),
                       "--model", "m", "--dataset-kind", "shared-prefix", "--num-prompts", 2)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Failed requests:                         2", p.stdout)

    def test_no_progress_output_when_not_a_terminal(self):
        mock = self.mock()
        p = self.bench("serve", "--base-url", "http://127.0.0.1:%d" % mock.port, "--model",
                       "model-1", "--dataset-kind", "shared-prefix", "--num-prompts", 3,
                       "--max-tokens", 2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertIn("Serving Benchmark Result", p.stdout)


class KeyPatternTests(BenchTestCase):
    # One request at a time: with more in flight the router's bounded-load rule may spill a key
    # to the other instance on purpose, which is not what these tests are about.
    def test_pattern_routes_equal_keys_to_one_instance(self):
        a = self.mock("mock-a")
        b = self.mock("mock-b")
        router = routerlib.start_router(self, static=routerlib.static_file(self, [a, b]))
        svclib.wait_until(lambda: router.get("/health").json()["healthy_services"] == "2/2",
                          what="router sees both mocks")
        res, out, _ = self.serve(router.port, "--dataset-kind", "multi-prefix", "--num-prompts",
                                 16, "--num-prefixes", 4, "--prefix-len", 512, "--suffix-len", 32,
                                 "--max-tokens", 2, "--max-concurrency", 1,
                                 "--prompt-cache-key", "bench_key_{request_id % 2}", label="keys")
        self.assertEqual(res["completed"], 16)
        by_key = {}
        for i, inst in enumerate(res["instances"]):
            by_key.setdefault("bench_key_%d" % (i % 2), set()).add(inst)
        self.assertEqual(sorted(by_key), ["bench_key_0", "bench_key_1"])
        for key, insts in by_key.items():
            self.assertEqual(len(insts), 1, "%s went to %s" % (key, insts))
        self.assertLessEqual(len(res["per_instance"]), 2)
        self.assertTrue(set(res["per_instance"]) <= {"mock-a", "mock-b"})
        self.assertIn("Requests per Instance", out)

    def test_raw_keys_reach_the_upstream_through_the_router(self):
        ups = [self.recorder("up-a"), self.recorder("up-b")]
        router = routerlib.start_router(self, static=routerlib.static_file(self, ups))
        svclib.wait_until(lambda: router.get("/health").json()["healthy_services"] == "2/2",
                          what="router sees both upstreams")
        res, _, _ = self.serve(router.port, "--dataset-kind", "shared-prefix", "--num-prompts", 8,
                               "--prefix-len", 64, "--max-tokens", 2, "--max-concurrency", 1,
                               "--prompt-cache-key", "bench_key_{request_id % 2}", label="raw")
        self.assertEqual(res["completed"], 8)
        got = {u.name: u.keys() for u in ups}
        self.assertEqual(sorted(got["up-a"] + got["up-b"]), ["bench_key_0"] * 4 + ["bench_key_1"] * 4)
        for name, keys in got.items():
            for key in set(keys):
                # Each key arrived at one upstream only, and the bench saw that upstream.
                other = [n for n in got if n != name][0]
                self.assertNotIn(key, got[other])
        for i, inst in enumerate(res["instances"]):
            self.assertIn("bench_key_%d" % (i % 2), got[inst])
        body = ups[0].bodies[0] if ups[0].bodies else ups[1].bodies[0]
        self.assertEqual(body["model"], "model-1")
        self.assertEqual(body["max_tokens"], 2)
        self.assertEqual(body["stream_options"], {"include_usage": True})
        self.assertTrue(body["stream"])

    def test_every_placeholder_expands_as_documented(self):
        up = self.recorder("up")
        data = os.path.join(self.tmpdir, "conv.jsonl")
        p = self.bench("gen", "--kind", "conversations", "--output", data,
                       "--num-conversations", 3, "--messages-per-conv", 2, "--context-len", 64,
                       "--new-msg-len", 16)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(data) as f:
            records = [json.loads(line) for line in f]
        self.assertEqual(len(records), 6)
        base = ["serve", "--base-url", "http://127.0.0.1:%d" % up.port, "--model", "model-1",
                "--dataset", data, "--max-concurrency", 1]
        pattern = "c{conversation_id}-p{ prefix_id % 2 }-r{request_id//4}-{{lit}}-{request_id}"
        p = self.bench(*base, "--prompt-cache-key", pattern)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        want = ["c%d-p%d-r%d-{lit}-%d" % (r["conversation_id"], r["prefix_id"] % 2, i // 4, i)
                for i, r in enumerate(records)]
        self.assertEqual(up.keys(), want)
        # The bodies carry each record's messages unchanged.
        self.assertEqual([b["messages"] for b in up.bodies], [r["messages"] for r in records])

        up.bodies.clear()
        p = self.bench(*base)  # no pattern: the record's own key
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(up.keys(), ["conv_%d" % r["conversation_id"] for r in records])
        up.bodies.clear()
        p = self.bench(*base, "--no-cache-key", "--num-prompts", 8)  # 8 > 6 records: wraps
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(up.keys(), [None] * 8)
        self.assertEqual(up.bodies[6]["messages"], records[0]["messages"])


FIXTURE_TRACE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                             "traces", "small-mooncake.jsonl")
# The command that made the fixture (tests/fixtures/traces/README.md).
FIXTURE_GEN = ("--kind", "trace", "--num-conversations", 48, "--messages-per-conv", 6,
               "--num-prefixes", 16, "--prefix-len", 4096, "--context-len", 2048,
               "--new-msg-len", 512, "--request-rate", 20, "--seed", 7)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class TraceTests(BenchTestCase):
    def write_trace(self, records):
        path = os.path.join(self.tmpdir, "trace.jsonl")
        with open(path, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        return path

    def test_replay_follows_timestamps_and_hash_ids(self):
        up = self.recorder("up")
        # Two conversations (first ids 10 and 20); 10's second turn extends its first.
        trace = [
            {"timestamp": 1000, "input_length": 700, "output_length": 50, "hash_ids": [10, 11]},
            {"timestamp": 1600, "input_length": 300, "output_length": 5, "hash_ids": [20]},
            {"timestamp": 1600, "input_length": 1500, "output_length": 9,
             "hash_ids": [10, 11, 12]},
            {"timestamp": 2800, "input_length": 512, "output_length": 0, "hash_ids": [20]},
            {"timestamp": 4000, "input_length": 1024, "output_length": 20, "hash_ids": [10, 13]},
        ]
        path = self.write_trace(trace)
        start = time.monotonic()
        res, out, _ = self.serve(up.port, "--dataset", path, "--dataset-kind", "trace",
                                 "--time-scale", 1.5, "--max-output-tokens", 16,
                                 "--chars-per-token", 3, "--prompt-cache-key",
                                 "conv_{conversation_id}", label="trace")
        self.assertEqual(res["completed"], 5)
        self.assertIn("Trace replay: timestamps / 1.5, last request at 2.00 s", out)
        self.assertEqual(res["request_rate"], 2.5)  # 5 requests over 2 s
        # Send times: (timestamp - 1000 ms) / 1.5, within a generous margin on a busy machine.
        want = [0.0, 0.4, 0.4, 1.2, 2.0]
        got = [t - up.times[0] for t in up.times]
        self.assertLess(up.times[0] - start, 5.0)
        for w, g in zip(want, got):
            self.assertGreaterEqual(g, w - 0.05, (want, got))
            self.assertLess(g, w + 0.35, (want, got))
        prompts = [b["messages"][0]["content"] for b in up.bodies]
        by_len = {len(p): p for p in prompts}
        self.assertEqual(sorted(by_len), sorted(3 * r["input_length"] for r in trace))
        p700, p1500, p1024 = by_len[2100], by_len[4500], by_len[3072]
        # Equal hash ids, equal text; the next different id changes the text at once.
        self.assertTrue(p1500.startswith(p700))
        self.assertEqual(p1024[:1536], p1500[:1536])
        self.assertNotEqual(p1024[1536:1540], p1500[1536:1540])
        self.assertTrue(by_len[1536].startswith(by_len[900]))
        self.assertEqual(sorted(b["max_tokens"] for b in up.bodies), [1, 5, 9, 16, 16])
        self.assertEqual(sorted(up.keys()), ["conv_10"] * 3 + ["conv_20"] * 2)
        self.assertEqual(len(up.bodies[0]["messages"]), 1)

    def test_sampling_keeps_whole_conversations(self):
        records = read_jsonl(FIXTURE_TRACE)
        sizes = {}
        for r in records:
            sizes[r["hash_ids"][0]] = sizes.get(r["hash_ids"][0], 0) + 1
        self.assertGreater(len(records), 200)
        self.assertGreaterEqual(len(sizes), 8)
        up = self.recorder("up")
        # A few connections at a time: the recorder's listen backlog is small.
        base = ("--dataset", FIXTURE_TRACE, "--dataset-kind", "trace", "--time-scale", 200,
                "--max-concurrency", 4, "--max-output-tokens", 2, "--prompt-cache-key",
                "{conversation_id}")
        res, _, _ = self.serve(up.port, *base, "--sample-conversations", 3, label="sampled")
        got = {}
        for k in up.keys():
            got[int(k)] = got.get(int(k), 0) + 1
        self.assertEqual(res["completed"], sum(got.values()))
        self.assertTrue(0 < len(got) < len(sizes), got)
        for conv, n in got.items():
            self.assertEqual(n, sizes[conv], "conversation %d was cut" % conv)
        # The same choice every time; and without sampling, every record once.
        up.bodies.clear()
        self.serve(up.port, *base, "--sample-conversations", 3, label="again")
        self.assertEqual(sorted(up.keys()), sorted(str(c) for c in got for _ in range(got[c])))
        up.bodies.clear()
        res, _, _ = self.serve(up.port, *base, label="whole")
        self.assertEqual(res["completed"], len(records))

    def test_fixture_is_what_gen_makes(self):
        path = os.path.join(self.tmpdir, "gen.jsonl")
        p = self.bench("gen", *FIXTURE_GEN, "--output", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("wrote 288 records", p.stdout)
        with open(path) as a, open(FIXTURE_TRACE) as b:
            self.assertEqual(a.read(), b.read())
        records = read_jsonl(path)
        stamps = [r["timestamp"] for r in records]
        self.assertEqual(stamps, sorted(stamps))
        self.assertTrue(13000 < stamps[-1] < 16000)  # 288 requests at 20/s: ~14.4 s
        for r in records:
            self.assertEqual(len(r["hash_ids"]), -(-r["input_length"] // 512))
            self.assertEqual(r["output_length"], 512)


class CompareAndGenTests(BenchTestCase):
    def test_compare_prints_a_table_and_draws_a_chart(self):
        mock = self.mock()
        common = ("--dataset-kind", "multi-prefix", "--num-prompts", 6, "--num-prefixes", 2,
                  "--prefix-len", 1024, "--suffix-len", 32, "--max-tokens", 3)
        _, _, first = self.serve(mock.port, *common, "--max-concurrency", 1, label="one-by-one")
        _, _, second = self.serve(mock.port, *common, label="all-at-once")
        png = os.path.join(self.tmpdir, "chart.png")
        p = self.bench("compare", first, second, "--chart", png)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = p.stdout
        for text in ("[1] one-by-one", "[2] all-at-once", "[2] vs [1]", "Mean TTFT (ms)",
                     "Median TTFT (ms)", "P90 TTFT (ms)", "P99 TTFT (ms)", "Mean TPOT (ms)",
                     "Mean ITL (ms)", "Mean E2E (ms)", "Request throughput (req/s)",
                     "Output throughput (tok/s)", "Prefix cache hit rate (%)",
                     "Failed requests"):
            self.assertIn(text, out)
        self.assertRegex(out, r"Failed requests +0 +0 +\+0\.0%")
        self.assertRegex(out, r"Mean TTFT \(ms\) +[0-9.]+ +[0-9.]+ +[+-][0-9.]+%")
        if shutil.which("gnuplot"):
            with open(png, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertIn("Chart written to " + png, out)
        else:
            self.assertIn("gnuplot is not installed", out)
            self.assertFalse(os.path.exists(png))

    def test_compare_reads_vllm_files_with_missing_fields(self):
        vllm = os.path.join(self.tmpdir, "vllm.json")
        ours = os.path.join(self.tmpdir, "ours.json")
        with open(vllm, "w") as f:
            json.dump({"backend": "vllm", "label": None, "mean_ttft_ms": 100.0,
                       "median_ttft_ms": 90.0, "p99_ttft_ms": 300.0, "failed": 0,
                       "output_throughput": 50.0, "request_throughput": 1.0}, f)
        with open(ours, "w") as f:
            json.dump({"label": "ours", "mean_ttft_ms": 80.0, "median_ttft_ms": 90.0,
                       "p90_ttft_ms": 150.0, "p99_ttft_ms": 330.0, "failed": 0,
                       "output_throughput": 55.0, "request_throughput": 1.1,
                       "prefix_cache_hit_rate": 0.5}, f)
        p = self.bench("compare", vllm, ours)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"Mean TTFT \(ms\) +100\.00 +80\.00 +-20\.0%")
        self.assertRegex(p.stdout, r"P90 TTFT \(ms\) +- +150\.00 +-")
        self.assertRegex(p.stdout, r"P99 TTFT \(ms\) +300\.00 +330\.00 +\+10\.0%")
        self.assertRegex(p.stdout, r"Prefix cache hit rate \(%\) +- +50\.00 +-")
        self.assertIn("[1] vllm", p.stdout)

    def test_gen_writes_deterministic_datasets(self):
        a = os.path.join(self.tmpdir, "a.jsonl")
        b = os.path.join(self.tmpdir, "b.jsonl")
        args = ("--kind", "multi-prefix", "--num-prompts", 12, "--num-prefixes", 3,
                "--prefix-len", 300, "--suffix-len", 20)
        self.assertEqual(self.bench("gen", *args, "--output", a).returncode, 0)
        p = self.bench("gen", *args, "--output", b)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("wrote 12 records", p.stdout)
        with open(a) as fa, open(b) as fb:
            text = fa.read()
            self.assertEqual(text, fb.read())
        recs = [json.loads(line) for line in text.splitlines()]
        for r in recs:
            self.assertEqual(len(r["prompt"]), 320)
            self.assertEqual(r["messages"], [{"role": "user", "content": r["prompt"]}])
        same = [r["prompt"] for r in recs if r["prefix_id"] == 1]
        self.assertEqual(len({s[:300] for s in same}), 1)
        self.assertEqual(len({s[300] for s in same}), len(same))
        c = self.bench("gen", *args, "--output", a, "--seed", 7)
        self.assertEqual(c.returncode, 0)
        with open(a) as fa:
            self.assertNotEqual(fa.read(), text)


class BadArgumentTests(BenchTestCase):
    def test_bad_arguments_exit_2_with_a_message(self):
        url = "http://127.0.0.1:%d" % svclib.free_port()
        serve = ["serve", "--base-url", url, "--model", "m"]
        gen = ["--dataset-kind", "multi-prefix", "--num-prompts", "4"]
        cases = [
            ([], "Usage: infini-bench"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["serve", "--model", "m", *gen], "--base-url"),
            (serve + gen + ["--bogus"], "unknown option '--bogus'"),
            (serve, "exactly one of --dataset"),
            (serve + gen + ["--dataset", "x.jsonl"], "exactly one of --dataset"),
            (serve + ["--dataset", os.path.join(self.tmpdir, "missing.jsonl")],
             "no such file"),
            (serve + gen + ["--request-rate", "fast"], "--request-rate: 'fast'"),
            (serve + gen + ["--request-rate", "0"], "--request-rate"),
            (serve + gen + ["--max-concurrency", "-1"], "--max-concurrency"),
            (serve + gen + ["--endpoint", "/v1/embeddings"], "--endpoint"),
            (serve + gen + ["--prompt-cache-key", "k_{request_id % 0}"], "must be positive"),
            (serve + gen + ["--prompt-cache-key", "k_{request_id"], "unterminated '{'"),
            (serve + gen + ["--prompt-cache-key", "k_{nope}"], "unknown placeholder"),
            (serve + gen + ["--prompt-cache-key", "c{conversation_id}"], "no conversation_id"),
            (serve + gen + ["--prompt-cache-key", "k", "--no-cache-key"], "exclude each other"),
            (serve + gen + ["--extra-body", "[1]"], "--extra-body"),
            (serve + ["--dataset-kind", "sharegpt"], "unknown dataset kind 'sharegpt'"),
            (serve + ["--dataset-kind", "multi-prefix"], "--num-prompts"),
            (serve + gen + ["--burstiness", "0"], "--burstiness"),
            (serve + ["--dataset-kind", "trace"], "--dataset FILE"),
            (serve + gen + ["--time-scale", "2"], "apply to --dataset-kind trace only"),
            (serve + gen + ["--sample-conversations", "2"], "--dataset-kind trace only"),
            (serve + ["--dataset-kind", "trace", "--dataset", FIXTURE_TRACE, "--time-scale",
                      "0"], "--time-scale"),
            (serve + ["--dataset-kind", "shared-prefix", "--num-prompts", "4", "--hot-share",
                      "0.5"], "--hot-share"),
            (serve + ["--dataset-kind", "trace", "--dataset",
                      os.path.join(self.tmpdir, "missing.jsonl")], "no such file"),
            (["gen", "--kind", "multi-prefix", "--num-prompts", "3", "--request-rate", "2",
              "--output", os.path.join(self.tmpdir, "x")], "--kind trace only"),
            (["gen", "--kind", "trace", "--request-rate", "inf",
              "--output", os.path.join(self.tmpdir, "x")], "--request-rate"),
            (["gen", "--kind", "multi-prefix", "--num-prompts", "3"], "--output"),
            (["gen", "--kind", "shared-prefix", "--num-prefixes", "3", "--num-prompts", "3",
              "--output", os.path.join(self.tmpdir, "x")], "multi-prefix"),
            (["compare", os.path.join(self.tmpdir, "only.json")], "at least two"),
            (["compare", "a.json", "b.json", "--width", "3"], "unknown option"),
            (["compare", os.path.join(self.tmpdir, "nope1.json"),
              os.path.join(self.tmpdir, "nope2.json")], "no such file"),
        ]
        for argv, message in cases:
            with self.subTest(argv=argv):
                p = self.bench(*argv, timeout=20)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn(message, p.stderr)
                self.assertNotIn("Serving Benchmark Result", p.stdout)

    def test_help_documents_key_patterns(self):
        p = self.bench("serve", "--help")
        self.assertEqual(p.returncode, 0)
        for text in ("--prompt-cache-key", "{request_id}", "{VAR % N}", "{VAR // N}",
                     "{prefix_id}", "{conversation_id}", "--no-cache-key", "--request-rate",
                     "--burstiness", "bench_key_{request_id % 4}"):
            self.assertIn(text, p.stdout)
        for cmd in ("gen", "compare"):
            p = self.bench(cmd, "--help")
            self.assertEqual(p.returncode, 0)
            self.assertIn("Usage: infini-bench " + cmd, p.stdout)


if __name__ == "__main__":
    unittest.main()
