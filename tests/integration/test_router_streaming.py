"""infini-router streaming: SSE relayed as it is produced, a slow reader pausing the upstream
with bounded router memory, and graceful drain on SIGTERM."""
import signal
import time
import unittest

import routerlib
import svclib


class RouterStreaming(svclib.ProcTestCase):
    def test_first_sse_chunk_before_upstream_finishes(self):
        mock = routerlib.start_mock(self, "mock", decode_ms_per_token=100)
        router = routerlib.start_router(self, static=routerlib.static_file(self, [mock]))
        s = routerlib.StreamReader(router.port, routerlib.chat_body(stream=True, max_tokens=12))
        first = s.read_until(b"data:")
        total = first + s.read_until(b"data: [DONE]")
        s.close()
        self.assertLess(first, 0.6)     # the first token, not the whole answer
        self.assertGreater(total, 1.0)  # 12 tokens x 100 ms
        self.assertIn(b"Transfer-Encoding: chunked", s.buf)
        self.assertIn(b"X-Infini-Instance: mock", s.buf)

    def test_slow_reader_keeps_router_memory_bounded(self):
        mock = routerlib.start_mock(self, "mock", decode_ms_per_token=0,
                                    prefill_tok_per_s=1e9, max_batch=64)
        router = routerlib.start_router(self, static=routerlib.static_file(self, [mock]))
        before = routerlib.rss_kb(router.pid)
        # Four streams of 65,536 tokens of SSE (~10 MB each, ~40 MB together) that the clients do
        # not read for a while; a 128 KiB receive buffer keeps the kernel from absorbing them, so
        # the router must pause the instance. Paused, it holds about its write high-water mark
        # (1 MiB) per stream; a router that buffered would grow by the whole 40 MB.
        streams = [routerlib.StreamReader(router.port,
                                          routerlib.chat_body(stream=True, max_tokens=65536),
                                          rcvbuf=128 * 1024) for _ in range(4)]
        for s in streams:
            s.read_until(b"data:")
        time.sleep(2.0)
        during = routerlib.rss_kb(router.pid)
        self.assertLess(during - before, 12 * 1024, "router buffered the streams")
        for s in streams:
            body = s.read_all(timeout=60)
            s.close()
            self.assertIn(b"data: [DONE]", body)
            self.assertGreater(len(body), 5 * 1024 * 1024)

    def test_sigterm_drains_in_flight_streams(self):
        mock = routerlib.start_mock(self, "mock", decode_ms_per_token=100)
        router = routerlib.start_router(self, static=routerlib.static_file(self, [mock]),
                                        drain_timeout=10)
        s = routerlib.StreamReader(router.port, routerlib.chat_body(stream=True, max_tokens=15))
        s.read_until(b"data:")
        router.signal(signal.SIGTERM)
        time.sleep(0.2)
        with self.assertRaises(OSError):  # no longer accepting
            svclib.request(router.port, "GET", "/health", timeout=1)
        body = s.read_all(timeout=10)
        s.close()
        self.assertIn(b"data: [DONE]", body)  # the stream finished
        self.assertEqual(router.wait(10), 0)


if __name__ == "__main__":
    unittest.main()
