"""KV cache events end to end: infini-mock publishes its simulated cache in vLLM's ZMQ/msgpack
format, the router subscribes (static services file carrying metadata.kv_events) and indexes
the token blocks; asserted through the router's /metrics and the mock's /tokenize. Covers both
encodings, gap repair through the replay socket (--kv-events-drop-seq), AllBlocksCleared from
/reset_prefix_cache, and a restarted publisher (seq back to 0) being treated as empty."""
import json
import os
import unittest

import routerlib
import svclib

BLOCK = 4  # tokens per block
CPT = 4  # bytes per token: a mock block is 16 bytes of canonical prompt text


class KvEventsTest(svclib.ProcTestCase):
    def start_mock(self, name, ports, port=None, **flags):
        flags.update({"kv_events": ports[0], "kv_replay_port": ports[1], "block_size": BLOCK,
                      "chars_per_token": CPT, "decode_ms_per_token": 0})
        return routerlib.start_mock(self, name, port=port, **flags)

    def start_router(self, name, mock_port, ports, **flags):
        path = os.path.join(self.tmpdir, "static.json")
        meta = {"type": "openai-api", "models": ["model-1"],
                "kv_events": {"endpoint": "tcp://*:%d" % ports[0],  # wildcard: the host is used
                              "replay_endpoint": "tcp://127.0.0.1:%d" % ports[1],
                              "topic": "kv@" + name, "block_size": BLOCK}}
        with open(path, "w") as f:
            json.dump({"services": [{"name": name, "host": "127.0.0.1", "port": mock_port,
                                     "metadata": meta}]}, f)
        return routerlib.start_router(self, static=path, **flags)

    def kv(self, router, name, inst):
        v = routerlib.metric(router.port, name, {"instance": inst})
        return 0 if v is None else v

    def prompt(self, i, blocks):
        """A distinct prompt whose canonical text ("user\\n<content>\\n") has `blocks` full
        blocks and a partial one."""
        content = ("p%03d-" % i + "abcdefghijklmnopqrstuvwxyz" * 40)[:blocks * BLOCK * CPT - 4]
        return content

    def send(self, router, content):
        r = routerlib.chat(router.port, content=content, max_tokens=1)
        self.assertEqual(r.status, 200, r.text)

    def full_blocks(self, mock, content):
        r = mock.post("/tokenize", body={"model": "model-1",
                                        "messages": [{"role": "user", "content": content}]})
        self.assertEqual(r.status, 200, r.text)
        doc = r.json()
        self.assertEqual(doc["count"], len(doc["tokens"]))
        return doc["count"] // BLOCK

    def warm_up(self, router, name):
        """One request whose batch the router applied: the subscription is established."""
        self.send(router, self.prompt(999, 3))
        svclib.wait_until(lambda: self.kv(router, "infini_router_kv_event_batches_total",
                                          name) >= 1, timeout=15, what="first KV event batch")

    def start_pair(self, name, **mock_flags):
        """A mock `name` publishing KV events and a router subscribed to it, warmed up;
        returns (mock, router, the mock's KV ports)."""
        ports = routerlib.kv_ports()
        mock = self.start_mock(name, ports, **mock_flags)
        router = self.start_router(name, mock.port, ports)
        self.warm_up(router, name)
        return mock, router, ports

    def fill(self, mock, router, name, blocks, what):
        """Sends three prompts of `blocks` full blocks and waits until the router's index holds
        every full block the mock holds, the warm-up's included."""
        expect = self.full_blocks(mock, self.prompt(999, 3))
        for i in range(3):
            self.send(router, self.prompt(i, blocks))
            expect += self.full_blocks(mock, self.prompt(i, blocks))
        svclib.wait_until(lambda: self.kv(router, "infini_router_kv_index_blocks", name) == expect,
                          timeout=15, what=what)

    def run_encoding(self, encoding):
        name = "mock-" + encoding
        mock, router, ports = self.start_pair(name, kv_events_encoding=encoding)
        self.fill(mock, router, name, 6, "index holding every block")
        self.assertGreaterEqual(self.kv(router, "infini_router_kv_events_received_total", name), 4)
        self.assertEqual(self.kv(router, "infini_router_kv_events_dropped_total", name), 0)
        self.assertEqual(self.kv(router, "infini_router_kv_index_orphans_total", name), 0)
        lag = self.kv(router, "infini_router_kv_event_lag_seconds", name)
        self.assertLess(abs(lag), 5.0)

        # The engine empties its cache: the router's view follows.
        r = mock.post("/reset_prefix_cache")
        self.assertEqual(r.status, 200, r.text)
        svclib.wait_until(lambda: self.kv(router, "infini_router_kv_index_blocks", name) == 0,
                          timeout=15, what="index emptied by AllBlocksCleared")
        return mock, router, ports

    def test_array_encoding_indexes_and_clears(self):
        self.run_encoding("array")

    def test_map_encoding_indexes_and_clears(self):
        self.run_encoding("map")

    def test_gap_is_repaired_by_replay(self):
        name = "mock-gap"
        # seq 0 is the warm-up, 1 the first prompt, 2 is never published, 3 reveals the gap.
        mock, router, _ = self.start_pair(name, kv_events_encoding="map", kv_events_drop_seq=2)
        self.fill(mock, router, name, 5, "blocks of the dropped batch, replayed")
        self.assertEqual(self.kv(router, "infini_router_kv_event_gaps_total", name), 1)
        self.assertEqual(self.kv(router, "infini_router_kv_event_replays_total", name), 1)
        self.assertEqual(self.kv(router, "infini_router_kv_event_replay_failures_total", name), 0)
        self.assertEqual(self.kv(router, "infini_router_kv_event_batches_total", name), 4)

    def test_restarted_publisher_starts_empty(self):
        name = "mock-restart"
        mock, router, ports = self.start_pair(name)
        for i in range(4):
            self.send(router, self.prompt(i, 6))
        svclib.wait_until(lambda: self.kv(router, "infini_router_kv_event_batches_total",
                                          name) >= 5, timeout=15, what="batches of the first life")
        old_port = mock.port
        mock.stop()
        mock = self.start_mock(name, ports, port=old_port)
        # Until the SUB socket has reconnected, batches are missed: send new prompts until one
        # is seen (a repeated prompt hits the new cache and publishes nothing). The restart
        # empties the view and a catch-up replay from seq 0 brings back what was missed.
        sent = []

        def restarted():
            if self.kv(router, "infini_router_kv_event_restarts_total", name) >= 1:
                return True
            sent.append(self.prompt(100 + len(sent), 3))
            self.send(router, sent[-1])
            return False
        svclib.wait_until(restarted, timeout=20, interval=0.3, what="restart noticed")
        expect = sum(self.full_blocks(mock, p) for p in sent)
        svclib.wait_until(lambda: self.kv(router, "infini_router_kv_index_blocks", name) == expect,
                          timeout=15, what="only the new life's blocks")

    def test_instance_without_kv_events_has_no_series(self):
        mock = routerlib.start_mock(self, "plain")
        router = routerlib.start_router(self, static=routerlib.static_file(self, [mock]))
        self.assertEqual(routerlib.chat(router.port).status, 200)
        self.assertIsNone(routerlib.metric(router.port, "infini_router_kv_index_blocks",
                                           {"instance": "plain"}))
        self.assertEqual(routerlib.metric(router.port, "infini_router_kv_index_evictions_total"),
                         0)


if __name__ == "__main__":
    unittest.main()
