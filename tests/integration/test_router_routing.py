"""infini-router with a real registry and infini-mock instances: discovery, own endpoints,
model aggregation, JSON round trips, prompt_cache_key stickiness, per-model round-robin,
errors and limits."""
import collections
import signal
import threading
import time
import unittest

import routerlib
import svclib


def register(registry, mock, models, extra_meta=None):
    meta = {"type": "openai-api", "models": models,
            "models_list": [{"id": m, "object": "model", "owned_by": mock.name} for m in models]}
    meta.update(extra_meta or {})
    r = registry.post("/services", {"name": mock.name + "-server", "host": "127.0.0.1",
                                    "hostname": "127.0.0.1", "port": mock.port,
                                    "url": "http://127.0.0.1:%d" % mock.port,
                                    "status": "running", "metadata": meta})
    assert r.status == 201, r.text


class RouterRouting(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        self.registry = self.start("registry", [svclib.binary("infini-registry"),
                                                "--bind", "127.0.0.1"])
        self.a = routerlib.start_mock(self, "mock-a", models="model-1,shared",
                                      decode_ms_per_token=0)
        self.b = routerlib.start_mock(self, "mock-b", models="model-2,shared",
                                      decode_ms_per_token=0)
        register(self.registry, self.a, ["model-1", "shared"])
        register(self.registry, self.b, ["model-2", "shared"])
        # These tests are about key-or-rr (the reference's semantics); cache-aware has its own.
        self.router = routerlib.start_router(self, registry=self.registry, policy="key-or-rr")
        svclib.wait_until(lambda: self.router.get("/health").json()["healthy_services"] == "2/2",
                          what="router discovers both instances")

    def test_own_endpoints_and_aggregation(self):
        h = self.router.get("/health")
        self.assertEqual(h.status, 200)
        self.assertIn(b'"router":"running"', h.body)
        self.assertIn(b'"status":"healthy"', h.body)
        self.assertEqual(self.router.get("/status").json()["healthy_services"], "2/2")
        for path in ("/models", "/v1/models"):
            m = self.router.get(path)
            self.assertEqual(m.status, 200)
            ids = [d["id"] for d in m.json()["data"]]
            self.assertEqual(ids, ["model-1", "model-2", "shared"])  # sorted, deduplicated
            self.assertIn(b'"id":"model-1"', m.body)  # compact form scripts grep for
            self.assertIn(b'"object":"list"', m.body)
        s = self.router.get("/services").json()
        self.assertEqual(s["total"], 2)
        info = {x["name"]: x for x in s["services"]}
        self.assertEqual(sorted(info), ["mock-a-server", "mock-b-server"])
        for key in ("babysitter_url", "error_count", "healthy", "host", "metadata", "models",
                    "port", "request_count", "response_time", "url", "weight", "in_flight"):
            self.assertIn(key, info["mock-a-server"])
        st = self.router.get("/stats").json()
        self.assertEqual(st["total_services"], 2)
        self.assertEqual(st["healthy_services"], 2)
        self.assertEqual(self.router.post("/health").status, 405)
        metrics = self.router.get("/metrics").text
        self.assertIn("infini_router_requests_total", metrics)
        # The loop-lag sampler runs from start (every 100 ms) and reports how late it fired.
        self.assertRegex(metrics, r"(?m)^infini_router_loop_lag_seconds_count \d+$")
        self.assertRegex(metrics, r"(?m)^infini_router_loop_lag_max_seconds [0-9.e+-]+$")

    def test_model_filter_and_json_round_trip(self):
        for model, owner in (("model-1", "mock-a"), ("model-2", "mock-b")):
            for _ in range(4):
                r = routerlib.chat(self.router.port, model=model)
                self.assertEqual(r.status, 200, r.text)
                body = r.json()
                self.assertEqual(body["object"], "chat.completion")
                self.assertEqual(body["model"], model)
                self.assertIn(owner, body["choices"][0]["message"]["content"])
                self.assertEqual(r.headers["x-infini-instance"], owner + "-server")
        # A model no instance serves: 404 model_not_found, which OpenAI SDKs do not retry
        # (they retry 503 twice, so a typo used to cost over a second).
        r = routerlib.chat(self.router.port, model="nope")
        self.assertEqual(r.status, 404)
        err = r.json()["error"]
        self.assertEqual(err["code"], "model_not_found")
        self.assertEqual(err["type"], "invalid_request_error")
        self.assertIn("'nope'", err["message"])
        self.assertIn("unknown-model", r.headers["x-infini-route"])
        # No model while the fleet serves three: 400, not a random instance.
        r = svclib.request(self.router.port, "POST", "/v1/chat/completions",
                           body={"messages": [{"role": "user", "content": "hi"}]})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["code"], "missing_model")
        # A known model whose instances are all down stays 503.
        self.a.signal(signal.SIGSTOP)
        try:
            r = self.registry.post("/services/mock-a-server/heartbeat", {"status": "unhealthy"})
            svclib.wait_until(
                lambda: self.router.get("/health").json()["healthy_services"] == "1/2",
                what="router sees mock-a unhealthy")
            r = routerlib.chat(self.router.port, model="model-1")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["error"]["message"],
                             "No healthy services available for model 'model-1'")
        finally:
            self.a.signal(signal.SIGCONT)

    def test_model_by_id_and_request_ids(self):
        r = self.router.get("/v1/models/model-1")
        self.assertEqual(r.status, 200, r.text)
        m = r.json()
        self.assertEqual(m["id"], "model-1")
        for key in ("object", "created", "owned_by"):
            self.assertIn(key, m)
        self.assertEqual(self.router.get("/v1/models/shared").json()["id"], "shared")
        r = self.router.get("/v1/models/nope")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"]["code"], "model_not_found")
        for m in self.router.get("/v1/models").json()["data"]:
            for key in ("id", "object", "created", "owned_by"):
                self.assertIn(key, m)
        # X-Request-Id: the client's is kept, sent upstream and returned; else one is made.
        r = routerlib.chat(self.router.port, model="model-1", headers={"X-Request-Id": "abc-123"})
        self.assertEqual(r.headers["x-request-id"], "abc-123")
        r1 = routerlib.chat(self.router.port, model="model-1")
        r2 = routerlib.chat(self.router.port, model="model-1")
        self.assertRegex(r1.headers["x-request-id"], r"^[0-9a-f]{32}$")
        self.assertNotEqual(r1.headers["x-request-id"], r2.headers["x-request-id"])
        log = self.router.log()
        self.assertIn("request_id=abc-123", log)
        self.assertIn("request_id=" + r1.headers["x-request-id"], log)

    def test_keys_stick_and_spread(self):
        owners = collections.defaultdict(set)
        keys = ["conv-%d" % i for i in range(4)]
        for i in range(100):
            key = keys[i % 4]
            r = routerlib.chat(self.router.port, model="shared", key=key)
            self.assertEqual(r.status, 200)
            owners[key].add(r.headers["x-infini-instance"])
            self.assertIn("key-hash", r.headers["x-infini-route"])
        for key in keys:
            self.assertEqual(len(owners[key]), 1, "key %s moved: %s" % (key, owners[key]))
        self.assertEqual(len(set.union(*owners.values())), 2, "keys did not spread")

    def test_round_robin_is_even_per_model(self):
        count = collections.Counter()
        for _ in range(100):
            r = routerlib.chat(self.router.port, model="shared")
            self.assertEqual(r.status, 200)
            self.assertIn("round-robin", r.headers["x-infini-route"])
            count[r.headers["x-infini-instance"]] += 1
        self.assertEqual(count["mock-a-server"], 50)
        self.assertEqual(count["mock-b-server"], 50)

    def test_registry_stopped_routing_continues(self):
        self.registry.stop()
        svclib.wait_until(lambda: (routerlib.metric(
            self.router.port, "infini_router_registry_sync_failures_total") or 0) > 0,
            what="a failed registry poll")
        for _ in range(10):
            self.assertEqual(routerlib.chat(self.router.port, model="shared").status, 200)
        self.assertEqual(self.router.get("/health").json()["healthy_services"], "2/2")

    def test_unhealthy_record_stops_traffic_and_vanished_is_kept(self):
        # The registry marks a record unhealthy (its babysitter says the server is down).
        r = self.registry.post("/services/mock-b-server/heartbeat", {"status": "unhealthy"})
        self.assertEqual(r.status, 200)
        svclib.wait_until(lambda: self.router.get("/health").json()["healthy_services"] == "1/2",
                          what="router sees the unhealthy record")
        for _ in range(6):
            r = routerlib.chat(self.router.port, model="shared")
            self.assertEqual(r.headers["x-infini-instance"], "mock-a-server")
        # Healthy again, then the record vanishes from the registry altogether (as after a
        # registry restart without state): the router keeps it, and routes to it while its own
        # probes pass, for the removal grace period.
        self.registry.post("/services/mock-b-server/heartbeat", {"status": "running"})
        svclib.wait_until(lambda: self.router.get("/health").json()["healthy_services"] == "2/2",
                          what="router sees it healthy again")
        self.assertEqual(self.registry.delete("/services/mock-b-server").status, 200)
        svclib.wait_until(lambda: "mock-b-server" not in self.registry.get("/services").text,
                          what="record gone from the registry")
        syncs = routerlib.metric(self.router.port, "infini_router_registry_syncs_total")
        svclib.wait_until(lambda: routerlib.metric(
            self.router.port, "infini_router_registry_syncs_total") >= syncs + 3,
            what="three registry polls without the record")
        seen = set()
        for _ in range(6):
            r = routerlib.chat(self.router.port, model="shared")
            self.assertEqual(r.status, 200)
            seen.add(r.headers["x-infini-instance"])
        self.assertEqual(seen, {"mock-a-server", "mock-b-server"})
        self.assertIn("mock-b-server",
                      [s["name"] for s in self.router.get("/services").json()["services"]])


class RouterBoundedLoad(svclib.ProcTestCase):
    def test_hot_key_spills_only_above_the_bound(self):
        # 24 concurrent requests for one key on two slow instances: the owner takes requests
        # while below max(ceil(1.25 * (total + 1) / 2), floor 8); the rest spill to the other.
        mocks = [routerlib.start_mock(self, n, decode_ms_per_token=100) for n in ("m-a", "m-b")]
        router = routerlib.start_router(self, static=routerlib.static_file(self, mocks))
        results = []

        def one():
            r = routerlib.chat(router.port, key="hot", max_tokens=10, timeout=30)
            results.append((r.status, r.headers.get("x-infini-instance"),
                            r.headers.get("x-infini-route")))

        threads = [threading.Thread(target=one) for _ in range(24)]
        for t in threads:
            t.start()
            time.sleep(0.01)  # arrive one after another, all still in flight
        for t in threads:
            t.join(30)
        self.assertEqual([s for s, _, _ in results], [200] * 24)
        per = collections.Counter(i for _, i, _ in results)
        owner = max(per, key=per.get)
        spills = [r for _, _, r in results if r.endswith("key-spill")]
        self.assertGreater(len(spills), 0)
        self.assertTrue(all(i != owner for _, i, r in results if r.endswith("key-spill")))
        # Never above the bound: at most ceil(1.25 * 24 / 2) = 15 on one instance.
        self.assertLessEqual(per[owner], 15)
        self.assertGreaterEqual(per[owner], 8)  # the floor kept the first 8 home


class RouterLimits(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        self.a = routerlib.start_mock(self, "mock-a", decode_ms_per_token=0)
        self.router = routerlib.start_router(
            self, static=routerlib.static_file(self, [self.a]), max_body_bytes=2000,
            api_keys="k1,k2")

    def test_api_keys_body_limit_and_passthrough(self):
        r = routerlib.chat(self.router.port)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["type"], "authentication_error")
        ok = routerlib.chat(self.router.port, headers={"Authorization": "Bearer k2"})
        self.assertEqual(ok.status, 200)
        big = routerlib.chat(self.router.port, content="x" * 5000,
                             headers={"Authorization": "Bearer k1"})
        self.assertEqual(big.status, 413)
        self.assertIn("error", big.json())
        # The router's own endpoints stay open (probes, monitoring).
        self.assertEqual(self.router.get("/health").status, 200)
        # Bodies that are not JSON are forwarded unchanged; the backend decides.
        r = svclib.request(self.router.port, "POST", "/v1/chat/completions", body=b"not json",
                           headers={"Authorization": "Bearer k1"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.headers["x-infini-instance"], "mock-a")


if __name__ == "__main__":
    unittest.main()
