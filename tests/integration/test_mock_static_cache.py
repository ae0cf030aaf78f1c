"""Integration tests for infini-mock's static cache mode (--cache-type static, --max-cache-len):
a conversation's next turn reuses its slot's resident prefix, a second conversation does not
share it once the slots are taken, a request beyond one slot's length gets 400
context_length_exceeded, /metrics reports the slots' capacity, and bad flags exit 2. The real
binary runs on 127.0.0.1 with an OS-chosen port; every wait is bounded."""
import subprocess

import svclib


def chat_body(content, **extra):
    body = {"messages": [{"role": "user", "content": content}], "max_tokens": 2}
    body.update(extra)
    return body


class MockStaticCacheTest(svclib.ProcTestCase):
    def start_mock(self, *args):
        argv = [svclib.binary("infini-mock"), "--bind", "127.0.0.1", "--log-level", "warn",
                "--prefill-tok-per-s", "1000000", "--decode-ms-per-token", "0"]
        return self.start("mock", argv + list(args))

    def cached(self, mock, content):
        r = mock.post("/v1/chat/completions", chat_body(content))
        self.assertEqual(r.status, 200, r.text)
        usage = r.json()["usage"]
        self.assertEqual(r.headers["x-mock-cached-tokens"],
                         str(usage["prompt_tokens_details"]["cached_tokens"]))
        return usage["prompt_tokens_details"]["cached_tokens"]

    def test_slots_reuse_their_own_prefix_only(self):
        mock = self.start_mock("--cache-type", "static", "--max-batch", "1",
                               "--max-cache-len", "4096")
        first = "a" * 2000
        self.assertEqual(self.cached(mock, first), 0)
        # The next turn extends the resident sequence: its blocks are reused.
        self.assertEqual(self.cached(mock, first + "b" * 500), 496)
        # Another conversation takes the only slot; the first one's prefix is gone.
        self.assertEqual(self.cached(mock, "z" * 2000), 0)
        self.assertEqual(self.cached(mock, first), 0)
        metrics = mock.get("/metrics").text
        # One slot of 4096 tokens = 256 blocks of 16; 31 blocks resident.
        self.assertIn('vllm:kv_cache_usage_perc{model_name="model-1"} 0.12109375', metrics)

    def test_request_beyond_one_slot_is_rejected(self):
        mock = self.start_mock("--cache-type", "static", "--max-cache-len", "1024")
        # 4000 bytes of content + "user\n" and "\n": 1002 prompt tokens; 22 more fit, 23 not.
        ok = mock.post("/v1/chat/completions", chat_body("x" * 4000, max_tokens=22))
        self.assertEqual(ok.status, 200, ok.text)
        r = mock.post("/v1/chat/completions", chat_body("x" * 4000, max_tokens=23))
        self.assertEqual(r.status, 400, r.text)
        err = r.json()["error"]
        self.assertEqual(err["code"], "context_length_exceeded")
        self.assertIn("maximum context length is 1024 tokens", err["message"])
        self.assertIn("1025 tokens (1002 in the messages, 23 in the completion)", err["message"])
        # The paged cache (the default) has no such limit.
        paged = self.start("paged", [svclib.binary("infini-mock"), "--bind", "127.0.0.1",
                                     "--prefill-tok-per-s", "1000000"])
        r = paged.post("/v1/chat/completions", chat_body("x" * 40000, max_tokens=23))
        self.assertEqual(r.status, 200, r.text)

    def test_bad_flags_exit_2(self):
        for args, text in ((["--cache-type", "contiguous"], "neither paged nor static"),
                           (["--cache-type", "static", "--max-cache-len", "8"],
                            "less than one block")):
            proc = subprocess.run([svclib.binary("infini-mock"), "--port", "0"] + args,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
            self.assertEqual(proc.returncode, 2, proc.stdout)
            self.assertIn(text, proc.stdout.decode())
