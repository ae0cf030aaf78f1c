"""Routing on the engines' own KV cache state (DESIGN.md section 4b) with the real binaries:
infini-mock instances publish KV events, the router subscribes and, with --tokenizer engine (its
default), asks an instance's /tokenize for the prompt's tokens and matches them against each
instance's events. A prompt goes to the instance whose engine holds it (even when this router
never saw it), evicted blocks stop attracting traffic as soon as the event arrives, an eviction
after the decision is a false hit but not a stale one, a prompt evicted everywhere is placed
afresh on the least busy instance, a restarted engine counts as empty, two router replicas fed
the same events choose alike, and with --tokenizer none the events still age the approximate
index."""
import json
import os
import threading
import time
import unittest

import routerlib
import svclib


class KvRouting(svclib.ProcTestCase):
    def start_mocks(self, n, **flags):
        self.mocks, self.kvports = [], []
        for i in range(n):
            ports = routerlib.kv_ports()
            port = svclib.free_port()
            self.mocks.append(routerlib.start_mock(self, "mock-%d" % i, port=port, models="m",
                                                   kv_events=ports[0], kv_replay_port=ports[1],
                                                   decode_ms_per_token=1, **flags))
            self.kvports.append(ports)
        path = os.path.join(self.tmpdir, "static-kv.json")
        items = [{"name": m.name, "host": "127.0.0.1", "port": m.port,
                  "metadata": {"type": "openai-api", "models": ["m"],
                               "kv_events": {"endpoint": "tcp://127.0.0.1:%d" % p[0],
                                             "replay_endpoint": "tcp://127.0.0.1:%d" % p[1],
                                             "topic": "kv@" + m.name, "block_size": 16}}}
                 for m, p in zip(self.mocks, self.kvports)]
        with open(path, "w") as f:
            json.dump({"services": items}, f)
        return path

    def start_router(self, static, name="router", tokenizer=None):
        """tokenizer None leaves --tokenizer out: its default, engine, is what these tests
        exercise (and so assert), the way an operator who sets nothing gets it."""
        flags = {} if tokenizer is None else {"tokenizer": tokenizer}
        return routerlib.start_router(self, static=static, name=name, policy="cache-aware",
                                      tokenizer_timeout=2, tokenizer_min_chars=64,
                                      health_interval=5, **flags)

    def blocks(self, router, mock):
        return routerlib.metric(router.port, "infini_router_kv_index_blocks",
                                {"instance": mock.name}) or 0

    def direct(self, mock, content):
        """A request straight to one engine, behind the router's back."""
        r = routerlib.chat(mock.port, model="m", content=content, max_tokens=1)
        self.assertEqual(r.status, 200, r.text)

    def routed(self, router, content):
        r = routerlib.chat(router.port, model="m", content=content, max_tokens=1, timeout=30)
        self.assertEqual(r.status, 200, r.text)
        return r.headers["x-infini-instance"], r.headers["x-infini-route"]

    def warm(self, routers, mock, content):
        before = [self.blocks(r, mock) for r in routers]
        self.direct(mock, content)
        for r, b in zip(routers, before):
            svclib.wait_until(lambda: self.blocks(r, mock) >= b + 60, timeout=15,
                              what="%s sees %s's new blocks" % (r.name, mock.name))

    def test_prompt_goes_where_the_engine_holds_it_and_evictions_count_at_once(self):
        static = self.start_mocks(3)
        router = self.start_router(static)
        p = routerlib.filler(1, 4096)  # 1,024 tokens: 64 blocks of 16
        target = self.mocks[2]
        self.warm([router], target, p)
        inst, route = self.routed(router, p + " and a question")
        self.assertEqual(inst, target.name)
        self.assertRegex(route, r"^cache-aware prefix \d+/\d+ est=\d+ms exact$")
        # Predicted (from the events) and actual (from usage) cached tokens agree exactly.
        pred = routerlib.metric(router.port, "infini_router_prefix_predicted_cached_tokens_total",
                                {"instance": target.name})
        act = routerlib.metric(router.port, "infini_router_prefix_actual_cached_tokens_total",
                               {"instance": target.name})
        self.assertGreater(pred, 0)
        self.assertEqual(pred, act)
        # The engine drops its cache: as soon as the event arrives, the prompt is cold again.
        self.assertEqual(svclib.request(target.port, "POST", "/reset_prefix_cache").status, 200)
        svclib.wait_until(lambda: self.blocks(router, target) == 0, timeout=15,
                          what="the router sees the cleared cache")
        inst, route = self.routed(router, p + " and another question")
        self.assertIn("cold-owner 0/", route)
        self.assertEqual(routerlib.metric(router.port, "infini_router_prefix_false_hits_total",
                                          {"instance": target.name}), 0)
        self.assertEqual(routerlib.metric(router.port, "infini_router_tokenize_failures_total"), 0)

    def test_a_follow_up_queued_behind_its_prefix_stays_with_it(self):
        # The first prompt's blocks are in no event until its prefill ends; a follow-up sent
        # meanwhile must still find them where the first one went.
        static = self.start_mocks(3, prefill_tok_per_s=2000)
        router = self.start_router(static)
        p = routerlib.filler(9, 8192)  # 2,048 tokens: about a second of prefill
        first = {}

        def send_first():
            first["got"] = self.routed(router, p)

        t = threading.Thread(target=send_first)
        t.start()
        time.sleep(0.3)
        inst, route = self.routed(router, p + " and then")
        t.join(30)
        self.assertEqual(inst, first["got"][0])
        self.assertRegex(route, r"^cache-aware prefix \d+/\d+ est=\d+ms exact$")

    def test_an_eviction_after_the_decision_is_a_false_hit_but_not_a_stale_one(self):
        # One engine, one request at a time, running requests holding their blocks (vLLM's
        # pool). The router routes a follow-up of a cached prompt while another client's
        # prompt waits ahead of it in the engine's queue; that prefill then evicts most of the
        # cached prompt. The events described the cache exactly at the decision, so this false
        # hit is counted, but not as a stale one (the index agrees with the engine by the end).
        static = self.start_mocks(1, kv_blocks=120, max_batch=1, hold_running="on")
        router = self.start_router(static)
        mock = self.mocks[0]
        a = routerlib.filler(11, 4096)  # 64 blocks
        self.routed(router, a)
        svclib.wait_until(lambda: self.blocks(router, mock) >= 60, timeout=15,
                          what="the router sees the prompt's blocks")
        errors = []

        def direct(content, max_tokens):
            r = routerlib.chat(mock.port, model="m", content=content, max_tokens=max_tokens,
                               timeout=30)
            if r.status != 200:
                errors.append(r.text)

        # Decodes for ~0.6 s holding the only batch slot (and ~40 blocks).
        busy = threading.Thread(target=direct, args=(routerlib.filler(12, 200), 600))
        busy.start()
        time.sleep(0.15)
        # Waits for the slot; its 64 new blocks will evict the older prompt's tail.
        other = threading.Thread(target=direct, args=(routerlib.filler(13, 4096), 1))
        other.start()
        time.sleep(0.15)
        inst, route = self.routed(router, a + " and a follow-up")
        busy.join(30)
        other.join(30)
        self.assertEqual(errors, [])
        self.assertRegex(route, r"^cache-aware prefix \d+/\d+ est=\d+ms exact$")
        labels = {"instance": mock.name}
        svclib.wait_until(lambda: (routerlib.metric(router.port,
                                                    "infini_router_prefix_false_hits_total",
                                                    labels) or 0) >= 1,
                          timeout=10, what="the false hit is counted")
        self.assertEqual(routerlib.metric(router.port, "infini_router_kv_stale_false_hits_total",
                                          labels), 0)

    def test_a_prompt_evicted_everywhere_is_placed_afresh(self):
        # The router placed a prompt; the engine then evicted all of it for traffic the router
        # never saw. The approximate index still believes that engine holds it; the events say
        # no engine does, so its old home is worth no more than any other instance and the least
        # busy one takes it, where the guess alone would send it back home.
        static = self.start_mocks(2, kv_blocks=100)
        router = self.start_router(static)
        p = routerlib.filler(21, 4096)  # 64 blocks
        home, route = self.routed(router, p)
        self.assertIn("cold-owner", route)
        m = next(x for x in self.mocks if x.name == home)
        svclib.wait_until(lambda: self.blocks(router, m) >= 60, timeout=15,
                          what="the router sees the prompt's blocks")
        labels = {"instance": home}
        before = routerlib.metric(router.port, "infini_router_kv_event_batches_total", labels)
        for seed in (22, 23):  # 2 x 64 new blocks in a 100-block cache: the oldest 128 go
            self.direct(m, routerlib.filler(seed, 4096))
        svclib.wait_until(lambda: routerlib.metric(router.port,
                                                   "infini_router_kv_event_batches_total",
                                                   labels) >= before + 2,
                          timeout=15, what="the evictions' events arrive")
        self.assertGreater(routerlib.metric(router.port, "infini_router_prefix_index_blocks",
                                            labels), 0)  # the guess still has it there
        # Home is a little busy (a request of ours decoding there, on the prompt it holds last):
        # the other instance is the best.
        errors = []

        def long_request():
            r = routerlib.chat(router.port, model="m", content=routerlib.filler(23, 4096) + " ok",
                               max_tokens=2000, timeout=30)
            if r.status != 200 or r.headers["x-infini-instance"] != home:
                errors.append((r.status, r.headers.get("x-infini-instance")))

        t = threading.Thread(target=long_request)
        t.start()
        svclib.wait_until(lambda: routerlib.metric(router.port, "infini_router_instance_in_flight",
                                                   labels) == 1,
                          timeout=10, what="the long request is under way")
        inst, route = self.routed(router, p + " again")
        t.join(30)
        self.assertEqual(errors, [])
        self.assertRegex(route, r"^cache-aware evicted 0/\d+ est=\d+ms exact$")
        self.assertNotEqual(inst, home)

    def test_restarted_engine_is_empty(self):
        static = self.start_mocks(2)
        router = self.start_router(static)
        p = routerlib.filler(2, 4096)
        b = self.mocks[1]
        self.warm([router], b, p)
        self.assertEqual(self.routed(router, p + " q1")[0], b.name)
        # Restart b on the same ports: its cache and its event sequence start again.
        b.stop()
        b2 = routerlib.start_mock(self, "mock-1", port=b.port, models="m",
                                  kv_events=self.kvports[1][0], kv_replay_port=self.kvports[1][1],
                                  decode_ms_per_token=1)
        # Its first events start again from seq 0; the subscriber may miss the very first ones
        # while it reconnects, so keep the new engine publishing until the restart is seen.
        seed = [10]

        def restart_seen():
            seed[0] += 1
            self.direct(b2, routerlib.filler(seed[0], 256))
            return (routerlib.metric(router.port, "infini_router_kv_event_restarts_total",
                                     {"instance": "mock-1"}) or 0) >= 1

        svclib.wait_until(restart_seen, timeout=15, interval=0.2,
                          what="the router notices the restart")
        inst, route = self.routed(router, p + " q2")
        self.assertNotIn("prefix", route)  # neither the events nor the approximate index claim it

    def test_two_replicas_fed_the_same_events_choose_alike(self):
        static = self.start_mocks(3)
        r1 = self.start_router(static, name="router-1")
        r2 = self.start_router(static, name="router-2")
        held = routerlib.filler(4, 4096)
        self.warm([r1, r2], self.mocks[0], held)
        self.assertEqual(self.routed(r1, held + " x")[0], "mock-0")
        self.assertEqual(self.routed(r2, held + " y")[0], "mock-0")
        # Cold prompts too: the same owner on both, without talking.
        for i in range(6):
            cold = routerlib.filler(100 + i, 3000)
            a, ra = self.routed(r1, cold)
            b, rb = self.routed(r2, cold + " ")
            self.assertIn("cold-owner", ra)
            self.assertEqual(a, b)

    def test_without_tokenizer_events_still_age_the_guess(self):
        static = self.start_mocks(2)
        router = self.start_router(static, tokenizer="none")
        p = routerlib.filler(5, 4096)
        inst, route = self.routed(router, p + " 1")
        self.assertIn("cold-owner", route)
        inst2, route = self.routed(router, p + " 2")
        self.assertEqual(inst2, inst)
        self.assertIn("prefix", route)
        self.assertNotIn("exact", route)
        m = next(x for x in self.mocks if x.name == inst)
        svclib.wait_until(lambda: self.blocks(router, m) > 0, timeout=15, what="events arrive")
        self.assertEqual(svclib.request(m.port, "POST", "/reset_prefix_cache").status, 200)
        svclib.wait_until(lambda: self.blocks(router, m) == 0, timeout=15,
                          what="the router sees the cleared cache")
        inst3, route = self.routed(router, p + " 3")
        self.assertIn("cold-owner", route)  # the approximate index forgot it too


if __name__ == "__main__":
    unittest.main()
