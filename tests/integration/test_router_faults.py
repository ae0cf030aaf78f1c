"""infini-router under faults: an instance killed mid-run (no failed request, ejection,
recovery), upstream timeouts and errors, backpressure statuses that must not eject, and exact
in-flight accounting on every exit path."""
import threading
import time
import unittest

import routerlib
import svclib


class RouterFailover(svclib.ProcTestCase):
    def test_killed_instance_no_failed_requests_then_recovery(self):
        ports = [svclib.free_port() for _ in range(3)]
        mocks = [routerlib.start_mock(self, "mock-%d" % i, port=p, decode_ms_per_token=1)
                 for i, p in enumerate(ports)]
        # Round-robin, so that every instance, the killed one included, takes a share.
        router = routerlib.start_router(self, static=routerlib.static_file(self, mocks),
                                        policy="round-robin")
        outcomes, stop = [], threading.Event()

        def load():
            while not stop.is_set():
                try:
                    outcomes.append(routerlib.chat(router.port, max_tokens=2).status)
                except Exception as e:  # a dropped connection is a failed request too
                    outcomes.append(repr(e))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        mocks[1].stop(sig=9)  # dies without a goodbye
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(10)
        self.assertGreater(len(outcomes), 50)
        self.assertEqual([o for o in outcomes if o != 200], [])
        svc = {s["name"]: s for s in router.get("/services").json()["services"]}
        self.assertGreater(svc["mock-1"]["error_count"], 0)
        # Ejected (not merely failing probes), once for the whole incident.
        self.assertEqual(svc["mock-1"]["ejections"], 1)
        # It comes back on the same port: the first probe after it is back lets it in.
        revived = routerlib.start_mock(self, "mock-1", port=ports[1], decode_ms_per_token=1)
        self.assertTrue(revived.alive())
        svclib.wait_until(lambda: any(
            routerlib.chat(router.port).headers.get("x-infini-instance") == "mock-1"
            for _ in range(6)), timeout=10, what="mock-1 back in rotation")
        self.assertEqual(routerlib.metric(router.port, "infini_router_in_flight"), 0)


class RouterErrors(svclib.ProcTestCase):
    def test_timeout_is_504_and_backpressure_does_not_eject(self):
        slow = routerlib.start_mock(self, "slow", stall_ms=3000)
        busy = routerlib.start_mock(self, "busy", fail_rate=1, status_code=503)
        router = routerlib.start_router(self, static=routerlib.static_file(self, [slow]),
                                        proxy_timeout=0.3, max_attempts=1, name="r1")
        r = routerlib.chat(router.port)
        self.assertEqual(r.status, 504)
        self.assertEqual(r.json()["error"]["message"], "Service timeout")
        self.assertEqual(routerlib.metric(router.port, "infini_router_in_flight"), 0)

        router2 = routerlib.start_router(self, static=routerlib.static_file(self, [busy]),
                                         max_errors=1, name="r2")
        for _ in range(5):
            r = routerlib.chat(router2.port)
            self.assertEqual(r.status, 503)  # the server's own answer, passed through
            self.assertEqual(r.headers["x-infini-instance"], "busy")
        svc = router2.get("/services").json()["services"][0]
        self.assertFalse(svc["ejected"])
        self.assertEqual(svc["error_count"], 0)

    def test_connection_refused_everywhere_is_503(self):
        port = svclib.free_port()
        dead = type("M", (), {"name": "dead", "port": port})()
        router = routerlib.start_router(self, static=routerlib.static_file(self, [dead]),
                                        health_interval=60)
        r = routerlib.chat(router.port)
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["error"]["message"], "Service unavailable - connection refused")


class RouterInFlight(svclib.ProcTestCase):
    def test_in_flight_returns_to_zero_on_every_exit_path(self):
        ok = routerlib.start_mock(self, "ok", decode_ms_per_token=20)
        dropper = routerlib.start_mock(self, "dropper", decode_ms_per_token=5,
                                       drop_after_chunks=2)
        stall = routerlib.start_mock(self, "stall", stall_ms=5000)
        port = svclib.free_port()
        dead = type("M", (), {"name": "dead", "port": port})()
        r_ok = routerlib.start_router(self, static=routerlib.static_file(self, [ok]), name="r-ok")
        r_drop = routerlib.start_router(self, static=routerlib.static_file(self, [dropper]),
                                        name="r-drop")
        r_stall = routerlib.start_router(self, static=routerlib.static_file(self, [stall]),
                                         proxy_timeout=0.3, max_attempts=1, name="r-stall")
        r_retry = routerlib.start_router(self, static=routerlib.static_file(self, [dead, ok]),
                                         policy="round-robin", health_interval=60, name="r-retry")
        # success
        self.assertEqual(routerlib.chat(r_ok.port).status, 200)
        # client abort mid-stream
        s = routerlib.StreamReader(r_ok.port, routerlib.chat_body(stream=True, max_tokens=200))
        s.read_until(b"data:")
        s.close()
        # upstream dies mid-stream: the client sees a truncated body
        s = routerlib.StreamReader(r_drop.port, routerlib.chat_body(stream=True, max_tokens=50))
        body = s.read_all()
        self.assertNotIn(b"[DONE]", body)
        s.close()
        # timeout
        self.assertEqual(routerlib.chat(r_stall.port).status, 504)
        # retry after connection refused
        for _ in range(4):
            self.assertEqual(routerlib.chat(r_retry.port).status, 200)
        self.assertGreater(routerlib.metric(r_retry.port, "infini_router_retries_total"), 0)
        for router in (r_ok, r_drop, r_stall, r_retry):
            svclib.wait_until(lambda: routerlib.metric(router.port, "infini_router_in_flight") == 0,
                              timeout=5, what="in-flight back to 0 on " + router.name)
            for s in router.get("/services").json()["services"]:
                self.assertEqual(s["in_flight"], 0, router.name + " " + s["name"])
        # the aborted stream was cancelled upstream too
        svclib.wait_until(lambda: routerlib.metric(ok.port, "vllm:num_requests_running") == 0,
                          timeout=5, what="upstream request cancelled")


if __name__ == "__main__":
    unittest.main()
