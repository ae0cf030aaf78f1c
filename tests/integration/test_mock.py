"""Integration tests for infini-mock, the simulated OpenAI-compatible model server: endpoints and
their JSON / SSE shapes, the prefix-cache timing model (TTFT of a repeated prompt, eviction),
/metrics, fault switches, client disconnects and clean shutdown. The real binary runs on
127.0.0.1 with an OS-chosen port; every wait is bounded."""
import base64
import http.client
import json
import signal
import socket
import struct
import threading
import time
import unittest

import svclib

BLOCK_CHARS = 16 * 4  # default --block-size (tokens) x --chars-per-token


def canonical_chat_len(content, role="user"):
    """Bytes of the mock's canonical text for one chat message."""
    return len(role) + 1 + len(content.encode("utf-8")) + 1


def words(n):
    """A prompt of n distinct-ish words, to make long unique prompts."""
    return " ".join("w%d" % i for i in range(n))


class MockTestCase(svclib.ProcTestCase):
    def start_mock(self, *args, name="mock"):
        argv = [svclib.binary("infini-mock"), "--bind", "127.0.0.1", "--log-level", "warn"]
        return self.start(name, argv + list(args))

    def chat(self, mock, content, **extra):
        body = {"messages": [{"role": "user", "content": content}]}
        body.update(extra)
        return mock.post("/v1/chat/completions", body)

    def open_stream(self, mock, path, body, timeout=10.0):
        """Sends a streaming request; returns (connection, response) once the head arrived."""
        conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=timeout)
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "application/json"})
        return conn, conn.getresponse()

    def read_events(self, resp):
        """Reads SSE events until [DONE] or EOF; returns (events, saw_done)."""
        events = []
        while True:
            line = resp.readline()
            if not line:
                return events, False
            line = line.decode("utf-8").rstrip("\r\n")
            if not line:
                continue
            self.assertTrue(line.startswith("data: "), line)
            payload = line[len("data: "):]
            if payload == "[DONE]":
                return events, True
            events.append(json.loads(payload))

    def stream(self, mock, path, body):
        conn, resp = self.open_stream(mock, path, body)
        try:
            self.assertEqual(resp.status, 200)
            self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
            events, done = self.read_events(resp)
            self.assertTrue(done, "stream ended without [DONE]")
            return resp, events
        finally:
            conn.close()

    def ttft(self, mock, content, max_tokens=2):
        """Seconds from sending a streaming chat request to its first SSE data event, and the
        cached_tokens of its usage chunk."""
        body = {"messages": [{"role": "user", "content": content}], "max_tokens": max_tokens,
                "stream": True, "stream_options": {"include_usage": True}}
        t0 = time.monotonic()
        conn, resp = self.open_stream(mock, "/v1/chat/completions", body, timeout=20)
        try:
            line = resp.readline()
            first = time.monotonic() - t0
            self.assertTrue(line.startswith(b"data: {"), line)
            events, done = self.read_events(resp)
            self.assertTrue(done)
            return first, events[-1]["usage"]["prompt_tokens_details"]["cached_tokens"]
        finally:
            conn.close()

    def metrics(self, mock):
        """Parses /metrics into {'name{labels}': value}."""
        r = mock.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/plain"))
        out = {}
        for line in r.text.splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                out[key] = float(value)
        return out

    def assert_openai_error(self, r, status, text=None):
        self.assertEqual(r.status, status, r.text)
        err = r.json()["error"]
        self.assertIsInstance(err["message"], str)
        self.assertIsInstance(err["type"], str)
        self.assertIn("code", err)
        if text is not None:
            self.assertIn(text, err["message"])


class EndpointTests(MockTestCase):
    def test_health_and_models(self):
        mock = self.start_mock("--models", "alpha, beta")
        r = mock.get("/health")
        self.assertEqual(r.status, 200)
        name = "mock-%d" % mock.port
        self.assertEqual(r.json(), {"status": "healthy", "service": name, "port": mock.port,
                                    "requests": 0})
        self.assertIn('"status":"healthy"', r.text)  # compact, as scripts grep it
        self.assertEqual(r.headers["x-mock-instance"], name)
        for path in ("/v1/models", "/models"):
            r = mock.get(path)
            self.assertEqual(r.status, 200)
            doc = r.json()
            self.assertEqual(doc["object"], "list")
            self.assertEqual([m["id"] for m in doc["data"]], ["alpha", "beta"])
            for m in doc["data"]:
                self.assertEqual(m["object"], "model")
                self.assertEqual(m["owned_by"], "infini-mock")
                self.assertIsInstance(m["created"], int)
            self.assertIn('"id":"alpha"', r.text)

    def test_chat_completion_json(self):
        mock = self.start_mock("--name", "mock-service-a", "--models", "m1,m2",
                               "--decode-ms-per-token", "0")
        r = self.chat(mock, "Hello there", max_tokens=9)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.headers["x-mock-instance"], "mock-service-a")
        self.assertEqual(r.headers["x-mock-cached-tokens"], "0")
        doc = r.json()
        self.assertEqual(doc["object"], "chat.completion")
        self.assertTrue(doc["id"].startswith("chatcmpl-"))
        self.assertEqual(doc["model"], "m1")  # the default model
        choice = doc["choices"][0]
        self.assertEqual(choice["index"], 0)
        self.assertEqual(choice["finish_reason"], "length")
        self.assertEqual(choice["message"]["role"], "assistant")
        content = choice["message"]["content"]
        self.assertTrue(content.startswith("Hello from mock-service-a (model: m1)"), content)
        self.assertEqual(len(content.split(" ")), 9)
        usage = doc["usage"]
        prompt_tokens = -(-canonical_chat_len("Hello there") // 4)
        self.assertEqual(usage["prompt_tokens"], prompt_tokens)
        self.assertEqual(usage["completion_tokens"], 9)
        self.assertEqual(usage["total_tokens"], prompt_tokens + 9)
        self.assertEqual(usage["prompt_tokens_details"], {"cached_tokens": 0})
        # Another model, max_completion_tokens, parts content; no max: default length, "stop".
        r = mock.post("/chat/completions", {
            "model": "m2", "max_completion_tokens": 5,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                                                      {"type": "text", "text": "b"}]}]})
        doc = r.json()
        self.assertEqual(doc["model"], "m2")
        self.assertEqual(doc["choices"][0]["message"]["content"],
                         "Hello from mock-service-a (model: m2)")
        r = self.chat(mock, "x")
        doc = r.json()
        self.assertEqual(doc["usage"]["completion_tokens"], 16)  # --max-tokens-default
        self.assertEqual(doc["choices"][0]["finish_reason"], "stop")
        self.assertEqual(mock.get("/health").json()["requests"], 3)

    def test_completions_json(self):
        mock = self.start_mock("--decode-ms-per-token", "0")
        for path, prompt in (("/v1/completions", "Once upon a time"),
                             ("/completions", ["first", "second"])):
            r = mock.post(path, {"model": "model-1", "prompt": prompt, "max_tokens": 6})
            self.assertEqual(r.status, 200, r.text)
            doc = r.json()
            self.assertEqual(doc["object"], "text_completion")
            self.assertTrue(doc["id"].startswith("cmpl-"))
            self.assertEqual(doc["choices"][0]["finish_reason"], "length")
            self.assertTrue(doc["choices"][0]["text"].startswith(
                "Hello from mock-%d (model: model-1)" % mock.port))
            self.assertEqual(doc["usage"]["completion_tokens"], 6)
        self.assertEqual(doc["usage"]["prompt_tokens"], 3)  # "first\nsecond" = 12 bytes

    def test_chat_stream_events(self):
        mock = self.start_mock("--decode-ms-per-token", "1")
        resp, events = self.stream(mock, "/v1/chat/completions", {
            "messages": [{"role": "user", "content": "hi"}], "max_tokens": 7, "stream": True,
            "stream_options": {"include_usage": True}})
        self.assertEqual(resp.getheader("X-Mock-Cached-Tokens"), "0")
        self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
        self.assertEqual(len(events), 7 + 2)  # tokens, finish, usage
        ids = {e["id"] for e in events}
        self.assertEqual(len(ids), 1)
        for e in events:
            self.assertEqual(e["object"], "chat.completion.chunk")
            self.assertEqual(e["model"], "model-1")
        tokens = events[:7]
        self.assertEqual(tokens[0]["choices"][0]["delta"]["role"], "assistant")
        for e in tokens:
            self.assertIsNone(e["choices"][0]["finish_reason"])
        for e in tokens[1:]:
            self.assertNotIn("role", e["choices"][0]["delta"])
        text = "".join(e["choices"][0]["delta"]["content"] for e in tokens)
        self.assertTrue(text.startswith("Hello from mock-%d (model: model-1)" % mock.port))
        self.assertEqual(events[7]["choices"][0]["finish_reason"], "length")
        self.assertEqual(events[7]["choices"][0]["delta"], {})
        self.assertEqual(events[8]["choices"], [])
        self.assertEqual(events[8]["usage"]["completion_tokens"], 7)
        self.assertEqual(events[8]["usage"]["prompt_tokens_details"]["cached_tokens"], 0)

    def test_completions_stream_without_usage(self):
        mock = self.start_mock("--decode-ms-per-token", "0")
        _, events = self.stream(mock, "/v1/completions",
                                {"prompt": "abc", "max_tokens": 3, "stream": True})
        self.assertEqual(len(events), 4)  # no usage chunk unless asked for
        for e in events:
            self.assertEqual(e["object"], "text_completion")
            self.assertNotIn("usage", e)
        self.assertEqual("".join(e["choices"][0]["text"] for e in events), "Hello from mock-%d"
                         % mock.port)
        self.assertEqual(events[-1]["choices"][0]["finish_reason"], "length")

    def test_request_errors(self):
        mock = self.start_mock()
        self.assert_openai_error(mock.post("/v1/chat/completions", "{not json"), 400, "JSON")
        self.assert_openai_error(mock.post("/v1/chat/completions", {"model": "model-1"}), 400,
                                 "messages")
        self.assert_openai_error(mock.post("/v1/completions", {"prompt": [1, 2]}), 400, "prompt")
        self.assert_openai_error(mock.post("/v1/completions", {}), 400, "prompt")
        r = mock.post("/v1/chat/completions", {"model": "gpt-9", "messages": []})
        self.assert_openai_error(r, 404, "Model gpt-9 not available on this service")
        self.assertEqual(r.headers["x-mock-instance"], "mock-%d" % mock.port)
        self.assert_openai_error(self.chat(mock, "x", max_tokens=0), 400, "max_tokens")
        self.assert_openai_error(self.chat(mock, "x", max_tokens="5"), 400, "max_tokens")
        self.assert_openai_error(self.chat(mock, "x", stream="yes"), 400, "stream")
        self.assert_openai_error(mock.get("/v1/chat/completions"), 405)
        self.assert_openai_error(mock.post("/health", {}), 405)
        self.assert_openai_error(mock.get("/v2/nothing"), 404)
        self.assertEqual(mock.get("/health").json()["requests"], 0)

    def test_embeddings(self):
        mock = self.start_mock()
        r = mock.post("/v1/embeddings", {"input": ["alpha", "beta"], "model": "model-1"})
        self.assertEqual(r.status, 200, r.text)
        doc = r.json()
        self.assertEqual(doc["object"], "list")
        self.assertEqual(doc["model"], "model-1")
        self.assertEqual([d["index"] for d in doc["data"]], [0, 1])
        for d in doc["data"]:
            self.assertEqual(d["object"], "embedding")
            self.assertEqual(len(d["embedding"]), 8)
            self.assertAlmostEqual(sum(x * x for x in d["embedding"]), 1.0, places=4)
        self.assertEqual(doc["usage"], {"prompt_tokens": 3, "total_tokens": 3})
        again = mock.post("/embeddings", {"input": "alpha"}).json()
        self.assertEqual(again["data"][0]["embedding"], doc["data"][0]["embedding"])
        self.assertNotEqual(doc["data"][0]["embedding"], doc["data"][1]["embedding"])
        self.assert_openai_error(mock.post("/v1/embeddings", {"input": 5}), 400, "input")

    def test_embeddings_base64_as_the_openai_sdks_request_them(self):
        # The official SDKs send encoding_format "base64" by default and decode little-endian
        # float32s: a JSON array there decodes as garbage.
        mock = self.start_mock()
        floats = mock.post("/v1/embeddings", {"input": ["alpha", "beta"]}).json()
        r = mock.post("/v1/embeddings", {"input": ["alpha", "beta"], "encoding_format": "base64"})
        self.assertEqual(r.status, 200, r.text)
        for f, b in zip(floats["data"], r.json()["data"]):
            self.assertIsInstance(b["embedding"], str)
            raw = base64.b64decode(b["embedding"], validate=True)
            self.assertEqual(len(raw), 8 * 4)
            decoded = struct.unpack("<8f", raw)
            for x, y in zip(f["embedding"], decoded):
                self.assertAlmostEqual(x, y, places=5)
        self.assertEqual(mock.post("/v1/embeddings", {"input": "a", "encoding_format": "float"})
                         .status, 200)
        self.assert_openai_error(mock.post("/v1/embeddings", {"input": "a",
                                                              "encoding_format": "hex"}),
                                 400, "encoding_format")

    def test_n_choices(self):
        mock = self.start_mock("--decode-ms-per-token", "0")
        doc = self.chat(mock, "hi", n=3, max_tokens=4).json()
        self.assertEqual([c["index"] for c in doc["choices"]], [0, 1, 2])
        texts = {c["message"]["content"] for c in doc["choices"]}
        self.assertEqual(len(texts), 1)
        self.assertEqual(doc["usage"]["completion_tokens"], 12)
        doc = mock.post("/v1/completions", {"prompt": "x", "n": 2, "max_tokens": 2}).json()
        self.assertEqual([c["index"] for c in doc["choices"]], [0, 1])
        # Streamed: every choice gets its chunks and its finish_reason.
        _, events = self.stream(mock, "/v1/chat/completions", {
            "messages": [{"role": "user", "content": "hi"}], "n": 2, "max_tokens": 3,
            "stream": True})
        by_index = {}
        for e in events:
            c = e["choices"][0]
            by_index.setdefault(c["index"], []).append(c)
        self.assertEqual(sorted(by_index), [0, 1])
        for chunks in by_index.values():
            self.assertEqual(chunks[-1]["finish_reason"], "length")
            self.assertEqual(len(chunks), 4)
        self.assertEqual(self.chat(mock, "x", n=None).status, 200)
        self.assert_openai_error(self.chat(mock, "x", n=0), 400, "'n'")
        self.assert_openai_error(self.chat(mock, "x", n=17), 400, "'n'")


class TimingTests(MockTestCase):
    def test_repeated_prompt_skips_prefill(self):
        # 8,000 chars ~ 2,000 tokens at 2,000 tok/s: ~1 s of prefill when fresh, ~0 when cached.
        mock = self.start_mock("--prefill-tok-per-s", "2000", "--decode-ms-per-token", "1")
        prompt = "p" * 8000
        fresh, cached0 = self.ttft(mock, prompt)
        repeat, cached1 = self.ttft(mock, prompt)
        self.assertEqual(cached0, 0)
        self.assertEqual(cached1, canonical_chat_len(prompt) // BLOCK_CHARS * 16)
        self.assertGreater(fresh, 0.8, "fresh TTFT %.3f s" % fresh)
        self.assertLess(fresh, 3.0, "fresh TTFT %.3f s" % fresh)
        self.assertLess(repeat, 0.3, "repeat TTFT %.3f s" % repeat)
        self.assertGreater(fresh - repeat, 0.7)
        # A prompt sharing only the first half pays for the second half only.
        half, cached2 = self.ttft(mock, "p" * 4000 + "q" * 4000)
        self.assertEqual(cached2, (5 + 4000) // BLOCK_CHARS * 16)
        self.assertGreater(half, 0.35)
        self.assertLess(half, 2.0)

    def test_eviction_makes_first_prompt_miss(self):
        # 40 blocks of 64 chars; each prompt below fills 20 of them.
        mock = self.start_mock("--kv-blocks", "40", "--prefill-tok-per-s", "1e9",
                               "--decode-ms-per-token", "0")

        def cached(content):
            r = self.chat(mock, content, max_tokens=1)
            self.assertEqual(r.status, 200)
            n = r.json()["usage"]["prompt_tokens_details"]["cached_tokens"]
            self.assertEqual(r.headers["x-mock-cached-tokens"], str(n))
            return n

        a, b, c = ("%s" % ch * 1300 for ch in "abc")
        self.assertEqual(cached(a), 0)
        self.assertEqual(cached(a), 20 * 16)
        self.assertEqual(cached(b), 0)
        self.assertEqual(cached(a), 20 * 16)  # A and B fit together
        self.assertEqual(cached(c), 0)  # evicts B (least recently used), not A
        self.assertEqual(cached(a), 20 * 16)
        self.assertEqual(cached(b), 0)  # B evicts C...
        self.assertEqual(cached(c), 0)  # ...and C evicts A
        self.assertEqual(cached(a), 0)
        m = self.metrics(mock)
        self.assertEqual(m['vllm:gpu_cache_usage_perc{model_name="model-1"}'], 1.0)
        self.assertGreater(m['mock:kv_cache_evictions_total{model_name="model-1"}'], 0)
        # The cache's size in vLLM's info metric (what the babysitter turns into
        # load.kv_capacity_tokens).
        self.assertEqual(m['vllm:cache_config_info{block_size="16",cache_dtype="auto",'
                           'enable_prefix_caching="True",engine="0",num_gpu_blocks="40"}'], 1)

    def test_batch_limit_queues_fifo(self):
        # Each request decodes 10 tokens at 50 ms: ~0.45 s. One runs at a time.
        mock = self.start_mock("--max-batch", "1", "--decode-ms-per-token", "50")
        results = {}

        def run(i):
            t0 = time.monotonic()
            r = self.chat(mock, "request %d" % i, max_tokens=10)
            results[i] = (r.status, time.monotonic() - t0)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        threads[0].start()
        time.sleep(0.1)
        threads[1].start()
        time.sleep(0.1)
        m = self.metrics(mock)
        self.assertEqual(m['vllm:num_requests_running{model_name="model-1"}'], 1)
        self.assertEqual(m['vllm:num_requests_waiting{model_name="model-1"}'], 1)
        for t in threads:
            t.join(10)
        self.assertEqual(results[0][0], 200)
        self.assertEqual(results[1][0], 200)
        self.assertGreater(results[0][1], 0.4)
        self.assertGreater(results[1][1], 0.6)  # queued behind the first: ~0.8 s, not 0.45
        m = self.metrics(mock)
        self.assertEqual(m['vllm:num_requests_running{model_name="model-1"}'], 0)

    def test_client_disconnect_frees_its_slot(self):
        mock = self.start_mock("--max-batch", "1", "--decode-ms-per-token", "100")
        conn, resp = self.open_stream(mock, "/v1/chat/completions", {
            "messages": [{"role": "user", "content": "long"}], "max_tokens": 100,
            "stream": True})
        self.assertTrue(resp.readline().startswith(b"data: "))
        conn.close()  # ~10 s of decoding left: the slot must be released now
        t0 = time.monotonic()
        r = self.chat(mock, "next", max_tokens=2)
        self.assertEqual(r.status, 200)
        self.assertLess(time.monotonic() - t0, 2.0)
        svclib.wait_until(lambda: self.metrics(mock)[
            'vllm:num_requests_running{model_name="model-1"}'] == 0, 5, what="idle engine")

    def test_metrics_counters_move(self):
        mock = self.start_mock("--decode-ms-per-token", "0", "--prefill-tok-per-s", "1e9")
        before = self.metrics(mock)
        for name in ("vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total",
                     "vllm:num_requests_running", "vllm:num_requests_waiting",
                     "vllm:gpu_cache_usage_perc", "vllm:prompt_tokens_total",
                     "vllm:generation_tokens_total"):
            self.assertIn('%s{model_name="model-1"}' % name, before)
        prompt = "m" * 1000
        self.chat(mock, prompt, max_tokens=3)
        self.chat(mock, prompt, max_tokens=3)
        after = self.metrics(mock)
        lab = '{model_name="model-1"}'
        ptok = -(-canonical_chat_len(prompt) // 4)
        self.assertEqual(after["vllm:prefix_cache_queries_total" + lab], 2 * ptok)
        self.assertEqual(after["vllm:prefix_cache_hits_total" + lab],
                         canonical_chat_len(prompt) // BLOCK_CHARS * 16)
        self.assertEqual(after["vllm:prompt_tokens_total" + lab], 2 * ptok)
        self.assertEqual(after["vllm:generation_tokens_total" + lab], 6)
        self.assertEqual(after['vllm:request_success_total{finished_reason="length",'
                               'model_name="model-1"}'], 2)
        self.assertGreater(after["vllm:gpu_cache_usage_perc" + lab], 0)
        self.assertEqual(after["vllm:time_to_first_token_seconds_count" + lab], 2)


class FaultTests(MockTestCase):
    def test_fail_rate_and_status_code(self):
        mock = self.start_mock("--fail-rate", "1", "--status-code", "503")
        for stream in (False, True):
            r = self.chat(mock, "x", stream=stream)
            self.assert_openai_error(r, 503, "Injected failure")
            self.assertEqual(r.headers["x-mock-instance"], "mock-%d" % mock.port)
        self.assertEqual(mock.get("/health").status, 200)  # only generation requests fail
        m = self.metrics(mock)
        self.assertEqual(m['mock:request_failures_total{model_name="model-1"}'], 2)

    def test_fail_rate_fraction(self):
        mock = self.start_mock("--fail-rate", "0.5", "--seed", "7", "--decode-ms-per-token", "0")
        codes = [self.chat(mock, "x", max_tokens=1).status for _ in range(200)]
        failed = codes.count(500)
        self.assertEqual(failed + codes.count(200), 200)
        self.assertTrue(50 < failed < 150, failed)

    def test_stall_delays_first_byte(self):
        mock = self.start_mock("--stall-ms", "600", "--decode-ms-per-token", "0")
        t0 = time.monotonic()
        self.assertEqual(self.chat(mock, "x").status, 200)
        self.assertGreater(time.monotonic() - t0, 0.55)
        t0 = time.monotonic()
        conn, resp = self.open_stream(mock, "/v1/chat/completions", {
            "messages": [{"role": "user", "content": "x"}], "stream": True})
        self.assertGreater(time.monotonic() - t0, 0.55)  # not even the status line before
        conn.close()
        t0 = time.monotonic()
        self.assertEqual(mock.get("/health").status, 200)  # other endpoints are not stalled
        self.assertLess(time.monotonic() - t0, 0.5)

    def test_stall_jitter_spreads_the_waits(self):
        mock = self.start_mock("--stall-ms", "200", "--stall-jitter-ms", "150",
                               "--decode-ms-per-token", "0")
        waits = []
        for _ in range(12):
            t0 = time.monotonic()
            self.assertEqual(self.chat(mock, "x").status, 200)
            waits.append(time.monotonic() - t0)
        self.assertGreater(min(waits), 0.045)  # never below 200 - 150 ms
        self.assertLess(max(waits), 1.0)
        self.assertGreater(max(waits) - min(waits), 0.08, waits)  # and not all alike

    def test_drop_after_chunks(self):
        mock = self.start_mock("--drop-after-chunks", "3", "--decode-ms-per-token", "1")
        body = json.dumps({"messages": [{"role": "user", "content": "x"}], "max_tokens": 10,
                           "stream": True})
        with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
            s.sendall(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                       % (len(body), body)).encode())
            data = b""
            while True:
                try:
                    part = s.recv(65536)
                except ConnectionResetError:
                    break
                if not part:
                    break
                data += part
        text = data.decode()
        self.assertTrue(text.startswith("HTTP/1.1 200"), text[:200])
        self.assertEqual(text.count("data: {"), 3)
        self.assertNotIn("[DONE]", text)
        self.assertFalse(text.endswith("0\r\n\r\n"))  # no terminating chunk
        # http.client sees the body end early, too.
        conn, resp = self.open_stream(mock, "/v1/chat/completions", json.loads(body))
        with self.assertRaises(http.client.IncompleteRead):
            resp.read()
        conn.close()
        # Non-streaming responses are not affected.
        self.assertEqual(self.chat(mock, "x", max_tokens=10).status, 200)


class LifecycleTests(MockTestCase):
    def test_sigterm_exits_zero_after_in_flight_request(self):
        mock = self.start_mock("--decode-ms-per-token", "50")
        result = {}

        def run():
            result["r"] = self.chat(mock, "x", max_tokens=10)  # ~0.5 s

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.15)
        mock.signal(signal.SIGTERM)
        t.join(10)
        self.assertEqual(result["r"].status, 200)  # drained, not cut
        self.assertEqual(mock.wait(10), 0)
        mock.stop()  # closes the log

    def test_sigterm_idle_exits_zero(self):
        mock = self.start_mock()
        self.assertEqual(mock.get("/health").status, 200)
        mock.signal(signal.SIGTERM)
        self.assertEqual(mock.wait(10), 0)
        mock.stop()

    def test_bad_flags_exit_2(self):
        for args in (["--kv-blocks", "0"], ["--fail-rate", "1.5"], ["--no-such-flag"],
                     ["--models", "a,,b"], ["--status-code", "200"], ["--log-level", "loud"],
                     ["--port", "x"]):
            p = self.start("bad", [svclib.binary("infini-mock")] + args, want_port=False)
            self.assertEqual(p.wait(10), 2, args)
            p.stop()


if __name__ == "__main__":
    unittest.main()
