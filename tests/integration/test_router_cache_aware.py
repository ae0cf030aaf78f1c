"""infini-router's cache-aware policy with infini-mock instances and no prompt_cache_key: requests
sharing a prefix land together, X-Infini-Route explains each decision, a hot prefix spreads to a
second instance under load and comes back to one when idle, a false hit is corrected by the next
response, sessions stick, and a key still routes by key."""
import threading
import time
import unittest

import routerlib
import svclib


class CacheAware(svclib.ProcTestCase):
    def start_fleet(self, n=2, **mock_flags):
        mock_flags.setdefault("decode_ms_per_token", 1)
        self.mocks = [routerlib.start_mock(self, "mock-%d" % i, models="m", **mock_flags)
                      for i in range(n)]
        static = routerlib.static_file(self, self.mocks, models=("m",))
        self.router = routerlib.start_router(self, static=static, policy="cache-aware",
                                             health_interval=5)

    def chat(self, content, headers=None, stream=False, **extra):
        if stream:
            extra["stream_options"] = {"include_usage": True}
        r = routerlib.chat(self.router.port, model="m", content=content, headers=headers,
                           stream=stream, max_tokens=2, timeout=30, **extra)
        self.assertEqual(r.status, 200, r.text)
        return r.headers["x-infini-instance"], r.headers["x-infini-route"], r

    def cached_tokens(self, r):
        return r.json()["usage"]["prompt_tokens_details"]["cached_tokens"]

    def test_shared_prefixes_land_together_and_routes_explain(self):
        self.start_fleet(2)
        prefixes = [routerlib.filler(i, 4096) for i in range(6)]
        home = {}
        for rnd in range(3):
            for i, p in enumerate(prefixes):
                inst, route, r = self.chat(p + " question %d-%d" % (rnd, i))
                if rnd == 0:
                    self.assertRegex(route, r"^cache-aware cold-owner 0/16 est=\d+ms$")
                    home[i] = inst
                else:
                    # 4096 prefix bytes + "user\n": the first 16 blocks of 256 are held.
                    self.assertRegex(route, r"^cache-aware prefix 16/16 est=\d+ms$")
                    self.assertEqual(inst, home[i], "prefix %d moved" % i)
                    self.assertGreaterEqual(self.cached_tokens(r), 1024)
        # Cold owners spread the prefixes over both instances.
        self.assertEqual(len(set(home.values())), 2)
        # With a key, the key decides, as with key-or-rr.
        inst, route, _ = self.chat("short", prompt_cache_key="k-1")
        self.assertEqual(route, "cache-aware key-hash")
        decisions = routerlib.metric(self.router.port, "infini_router_route_decisions_total",
                                     {"policy": "cache-aware", "reason": "prefix"})
        self.assertEqual(decisions, 12)
        predicted = sum(routerlib.metric(self.router.port,
                                         "infini_router_prefix_predicted_cached_tokens_total",
                                         {"instance": m.name}) for m in self.mocks)
        actual = sum(routerlib.metric(self.router.port,
                                      "infini_router_prefix_actual_cached_tokens_total",
                                      {"instance": m.name}) for m in self.mocks)
        self.assertGreater(predicted, 0)
        self.assertLessEqual(abs(actual - predicted), 0.1 * predicted)
        # The recent prefill each instance was sent: both got the cold rounds' prompts.
        for m in self.mocks:
            self.assertGreater(routerlib.metric(self.router.port,
                                                "infini_router_prefill_sent_tokens_per_second",
                                                {"instance": m.name}), 0)

    def test_hot_prefix_spreads_under_load_and_comes_back(self):
        # Prefill 2,000 tokens/s: the 8 KB prefix is 1 s of work, each 2 KB tail 0.25 s.
        self.start_fleet(2, prefill_tok_per_s=2000, max_batch=64)
        hot = routerlib.filler(99, 8192)
        inst, route, _ = self.chat(hot + " warm up")
        holder = inst
        results = []
        lock = threading.Lock()

        def one(i):
            got = self.chat(hot + " tail %d " % i + routerlib.filler(1000 + i, 2048))
            with lock:
                results.append(got)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
            time.sleep(0.02)
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 12)
        used = {inst for inst, _, _ in results}
        self.assertEqual(len(used), 2, "the hot prefix stayed on one instance under load")
        self.assertTrue(any(" spill " in route for _, route, _ in results))
        self.assertTrue(any(inst == holder and " prefix " in route for inst, route, _ in results))
        # Idle again, with both holding the prefix: one instance takes it, every time.
        time.sleep(0.5)
        back = [self.chat(hot + " later %d" % i) for i in range(4)]
        self.assertEqual(len({inst for inst, _, _ in back}), 1)
        for _, route, r in back:
            self.assertIn("cache-aware prefix 32/32", route)
            self.assertGreaterEqual(self.cached_tokens(r), 2048)

    def test_false_hit_is_corrected_by_the_next_response(self):
        port = svclib.free_port()
        a = routerlib.start_mock(self, "mock-a", models="m", port=port, decode_ms_per_token=1)
        self.mocks = [a]
        static = routerlib.static_file(self, self.mocks, models=("m",))
        self.router = routerlib.start_router(self, static=static, policy="cache-aware",
                                             health_interval=5)
        p = routerlib.filler(7, 4096)
        _, route, r = self.chat(p + " one")
        self.assertIn("cold-owner", route)
        _, route, r = self.chat(p + " two")
        self.assertIn("prefix 16/16", route)
        self.assertGreaterEqual(self.cached_tokens(r), 1024)
        # The engine loses its cache (a restart the router cannot see).
        a.stop()
        routerlib.start_mock(self, "mock-a", models="m", port=port, decode_ms_per_token=1)
        svclib.wait_until(lambda: svclib.request(port, "GET", "/health").status == 200,
                          what="mock back")
        _, route, r = self.chat(p + " three")
        self.assertIn("prefix 16/16", route)  # the index still believes it
        self.assertEqual(self.cached_tokens(r), 0)  # the engine says otherwise
        self.assertEqual(routerlib.metric(self.router.port, "infini_router_prefix_false_hits_total",
                                          {"instance": "mock-a"}), 1)
        _, route, r = self.chat(p + " four")
        self.assertIn("cold-owner 0/16", route)  # corrected: no phantom prefix any more
        self.assertGreaterEqual(self.cached_tokens(r), 1024)  # (the third request refilled it)

    def test_sessions_stick(self):
        self.start_fleet(4)
        seen = {}
        for rnd in range(4):
            for s in range(6):
                # Short prompts (under one block): nothing to match, the session decides.
                inst, route, _ = self.chat("turn %d of session %d" % (rnd, s),
                                           headers={"X-Session-Id": "sess-%d" % s})
                self.assertIn("cache-aware session", route)
                seen.setdefault(s, set()).add(inst)
        for s, insts in seen.items():
            self.assertEqual(len(insts), 1, "session %d moved: %s" % (s, insts))
        self.assertGreater(len(set().union(*seen.values())), 1)
        # The body's "user" is a session too.
        users = {self.chat("hello %d" % i, user="alice")[0] for i in range(4)}
        self.assertEqual(len(users), 1)


class CacheAwareClientIp(svclib.ProcTestCase):
    def test_session_from_client_ip(self):
        mocks = [routerlib.start_mock(self, "mock-%d" % i, models="m") for i in range(3)]
        static = routerlib.static_file(self, mocks, models=("m",))
        router = routerlib.start_router(self, static=static, policy="cache-aware",
                                        session_from="client-ip", session_ttl=60)
        got = set()
        for i in range(6):
            r = routerlib.chat(router.port, model="m", content="q%d" % i, max_tokens=1)
            self.assertEqual(r.status, 200)
            self.assertIn("session", r.headers["x-infini-route"])
            got.add(r.headers["x-infini-instance"])
        self.assertEqual(len(got), 1)


if __name__ == "__main__":
    unittest.main()
