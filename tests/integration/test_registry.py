"""Integration tests for infini-registry: the real binary on 127.0.0.1 with an OS-chosen port.

Covers the reference registry contract end to end (every endpoint and error case, compact
sorted JSON, record fields), liveness and expiry with short timeouts, bearer-token auth (flag and
environment), restarts with --state-file and refusal of a corrupt one, active and on-demand
probes against a tiny Python HTTP server, /metrics, bad flags, and clean SIGTERM shutdown.
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

import svclib

REG = {"name": "x", "host": "127.0.0.1", "port": 8100, "hostname": "node1",
       "url": "http://127.0.0.1:8100", "status": "running",
       "metadata": {"type": "openai-api", "models": ["m"]}}


def reg_body(name, **over):
    body = dict(REG, name=name)
    body.update(over)
    return body


class HealthTarget(svclib.HttpServer):
    """A probe target: answers GET /health with `status` (changeable) on a free port."""

    def __init__(self, status=200, delay=0.0):
        self.status = status
        self.delay = delay
        self.hits = 0
        target = self

        class Handler(svclib.QuietHandler):
            def do_GET(self):
                target.hits += 1
                if target.delay:
                    time.sleep(target.delay)
                self.reply(target.status if self.path == "/health" else 404, b'{"status":"ok"}')

        super().__init__(Handler)


class RegistryTestCase(svclib.ProcTestCase):
    def start_registry(self, *args, name="registry", env=None):
        argv = [svclib.binary("infini-registry"), "--bind", "127.0.0.1"] + list(args)
        return self.start(name, argv, env=env)

    def register(self, reg, name, **over):
        r = reg.post("/services", reg_body(name, **over))
        self.assertEqual(r.status, 201, r.text)
        return r


class ContractTest(RegistryTestCase):
    def test_endpoints_and_wire_form(self):
        reg = self.start_registry()
        r = reg.get("/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        h = r.json()
        self.assertEqual((h["registry"], h["status"], h["registered_services"]),
                         ("running", "healthy", 0))

        r = self.register(reg, "x", zone="eu")
        self.assertIn(b'"name":"x"', r.body)
        self.assertNotIn(b" ", r.body.replace(b"Service 'x' registered successfully", b""))
        doc = r.json()
        self.assertEqual(doc["message"], "Service 'x' registered successfully")
        rec = doc["service"]
        self.assertEqual(sorted(rec), ["health_status", "host", "hostname", "is_healthy",
                                       "last_heartbeat", "metadata", "name", "port", "status",
                                       "timestamp", "url", "zone"])
        self.assertEqual(rec["health_status"], "unknown")
        self.assertTrue(rec["is_healthy"])
        self.assertRegex(r.text, r'"last_heartbeat":\d+\.0,')
        self.assertRegex(rec["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
        keys = [k for k in json.loads(r.text, object_pairs_hook=lambda p: [k for k, _ in p])]
        self.assertEqual(keys, sorted(keys))

        r = reg.get("/services/x")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["name"], "x")
        r = reg.get("/services")
        self.assertEqual(r.json()["total"], 1)
        self.assertRegex(r.text, r'^\{"services":\[\{"health_status":')

        r = reg.put("/services/x", {"port": 9000, "status": "busy", "metadata": {"k": "v"}})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["message"], "Service 'x' updated successfully")
        self.assertEqual(r.json()["service"]["metadata"], {"k": "v"})
        self.assertFalse(r.json()["service"]["is_healthy"])

        r = reg.post("/services/x/heartbeat")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["message"], "Heartbeat received")
        r = reg.post("/services/x/heartbeat", {"status": "running",
                                               "load": {"in_flight": 2, "kv_usage": 0.5}})
        self.assertEqual(r.status, 200)
        rec = reg.get("/services/x").json()
        self.assertEqual(rec["status"], "running")
        self.assertEqual(rec["load"]["in_flight"], 2)
        self.assertIn("updated", rec["load"])

        s = reg.get("/stats").json()
        self.assertEqual(s["total_services"], 1)
        self.assertEqual(s["host_distribution"], {"127.0.0.1": 1})
        self.assertEqual(s["status_distribution"], {"running": 1})
        self.assertIsInstance(s["uptime"], int)

        r = reg.delete("/services/x")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"message": "Service 'x' unregistered successfully"})
        self.assertEqual(reg.get("/services").json()["total"], 0)

    def test_error_cases(self):
        reg = self.start_registry("--max-body-bytes", "2000")
        self.register(reg, "x")

        def error(r, status, code):
            self.assertEqual(r.status, status, r.text)
            self.assertEqual(r.headers["content-type"], "application/json")
            self.assertEqual(r.json()["error"]["code"], code)
            return r.json()["error"]["message"]

        body = json.dumps(reg_body("y"))
        error(reg.post("/services", body), 415, "unsupported_media_type")
        error(reg.post("/services", body, headers={"Content-Type": "text/plain"}), 415,
              "unsupported_media_type")
        r = reg.post("/services", body,
                     headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(r.status, 201)
        error(reg.post("/services", "{bad", headers={"Content-Type": "application/json"}),
              400, "bad_request")
        msg = error(reg.post("/services", {"name": "z", "host": "h"}), 422,
                    "unprocessable_entity")
        self.assertIn("port", msg)
        error(reg.post("/services", reg_body("z", port=70000)), 422, "unprocessable_entity")
        error(reg.post("/services", reg_body("z", metadata=[1])), 422, "unprocessable_entity")
        error(reg.post("/services", reg_body("z", load={"in_flight": "x"})), 422,
              "unprocessable_entity")
        error(reg.post("/services", reg_body("z", pad="p" * 3000)), 413, "payload_too_large")

        self.assertEqual(error(reg.get("/services/nope"), 404, "not_found"),
                         "Service 'nope' not found")
        error(reg.put("/services/nope", {"port": 1}), 404, "not_found")
        error(reg.delete("/services/nope"), 404, "not_found")
        error(reg.post("/services/nope/heartbeat"), 404, "not_found")
        error(reg.get("/services/nope/health"), 404, "not_found")
        error(reg.put("/services/x", {"port": "x"}), 422, "unprocessable_entity")
        error(reg.put("/services/x", "{}"), 415, "unsupported_media_type")
        for path in ("/nope", "/services/", "/health/", "/services/x/", "/services/x/y"):
            error(reg.get(path), 404, "not_found")
        r = reg.delete("/health")
        error(r, 405, "method_not_allowed")
        self.assertEqual(r.headers["allow"], "GET, HEAD")
        r = reg.get("/services/x/heartbeat")
        error(r, 405, "method_not_allowed")
        self.assertEqual(r.headers["allow"], "POST")

    def test_filters_and_percent_decoded_names(self):
        reg = self.start_registry()
        self.register(reg, "a b/c")
        self.register(reg, "stopped", status="stopped")
        self.assertEqual(reg.get("/services/a%20b%2Fc").json()["name"], "a b/c")
        self.assertEqual(reg.get("/services?healthy=true").json()["total"], 1)
        self.assertEqual(reg.get("/services?healthy=TRUE").json()["total"], 1)
        self.assertEqual(reg.get("/services?healthy=false").json()["total"], 1)
        self.assertEqual(reg.get("/services?healthy=whatever").json()["total"], 1)
        only = reg.get("/services?status=stopped").json()
        self.assertEqual([s["name"] for s in only["services"]], ["stopped"])
        self.assertEqual(only["total"], 1)
        self.assertEqual(reg.get("/services?status=running&healthy=true").json()["total"], 1)

    def test_replace_resets_health_status(self):
        target = HealthTarget()
        self.addCleanup(target.close)
        reg = self.start_registry()
        url = "http://127.0.0.1:%d" % target.port
        self.register(reg, "x", url=url, metadata={})
        self.assertEqual(reg.get("/services/x/health").json()["health_status"], "healthy")
        self.assertEqual(reg.get("/services/x").json()["health_status"], "healthy")
        self.register(reg, "x", url=url, metadata={})
        self.assertEqual(reg.get("/services/x").json()["health_status"], "unknown")


class LivenessTest(RegistryTestCase):
    def test_is_healthy_flips_after_heartbeat_timeout(self):
        reg = self.start_registry("--heartbeat-timeout", "1.5")
        self.register(reg, "x")
        self.assertTrue(reg.get("/services/x").json()["is_healthy"])
        svclib.wait_until(lambda: not reg.get("/services/x").json()["is_healthy"], 5,
                          what="is_healthy false")
        self.assertEqual(reg.get("/services?healthy=true").json()["total"], 0)
        self.assertEqual(reg.post("/services/x/heartbeat").status, 200)
        self.assertTrue(reg.get("/services/x").json()["is_healthy"])
        self.assertEqual(reg.get("/health").json()["healthy_services"], 1)

    def test_expiry_removes_silent_records(self):
        # last_heartbeat has whole-second resolution (as in the reference): leave >1 s slack.
        reg = self.start_registry("--cleanup-interval", "0.2", "--expire-after", "2")
        self.register(reg, "quiet")
        self.register(reg, "chatty")
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and reg.get("/services/quiet").status == 200:
            self.assertEqual(reg.post("/services/chatty/heartbeat").status, 200)
            time.sleep(0.2)
        self.assertEqual(reg.get("/services/quiet").status, 404)
        self.assertEqual(reg.get("/services/chatty").status, 200)
        self.assertIn("infini_registry_expirations_total 1\n", reg.get("/metrics").text)
        self.assertIn("name=quiet", reg.log())


class AuthTest(RegistryTestCase):
    def check_auth(self, reg, token):
        r = reg.post("/services", reg_body("x"))
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["code"], "unauthorized")
        self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
        bad = {"Authorization": "Bearer wrong"}
        self.assertEqual(reg.post("/services", reg_body("x"), headers=bad).status, 401)
        good = {"Authorization": "Bearer " + token}
        self.assertEqual(reg.post("/services", reg_body("x"), headers=good).status, 201)
        self.assertEqual(reg.get("/services/x").status, 200)  # reads stay open
        self.assertEqual(reg.get("/services").status, 200)
        self.assertEqual(reg.post("/services/x/heartbeat").status, 401)
        self.assertEqual(reg.post("/services/x/heartbeat", headers=good).status, 200)
        self.assertEqual(reg.put("/services/x", {"port": 1}).status, 401)
        self.assertEqual(reg.put("/services/x", {"port": 1}, headers=good).status, 200)
        self.assertEqual(reg.delete("/services/x").status, 401)
        self.assertEqual(reg.delete("/services/x", headers=good).status, 200)
        self.assertIn("infini_registry_auth_failures_total 5\n", reg.get("/metrics").text)
        self.assertNotIn(token, reg.log())

    def test_token_flag(self):
        self.check_auth(self.start_registry("--auth-token", "flag-secret"), "flag-secret")

    def test_token_env(self):
        reg = self.start_registry(env={"INFINI_REGISTRY_TOKEN": "env-secret"})
        self.check_auth(reg, "env-secret")

    def test_open_without_token(self):
        reg = self.start_registry(env={"INFINI_REGISTRY_TOKEN": ""})
        r = reg.post("/services", reg_body("x"), headers={"Authorization": "Bearer any"})
        self.assertEqual(r.status, 201)
        self.assertEqual(reg.delete("/services/x").status, 200)


class StateFileTest(RegistryTestCase):
    def test_restart_keeps_records(self):
        path = os.path.join(self.tmpdir, "state.json")
        reg = self.start_registry("--state-file", path)
        self.register(reg, "a", zone="eu", load={"in_flight": 1})
        self.register(reg, "b", status="starting")
        self.assertEqual(reg.stop(), 0)
        with open(path) as f:
            state = json.load(f)
        self.assertEqual((state["format"], state["version"]), ("infini-registry-state", 1))
        self.assertEqual(sorted(s["name"] for s in state["services"]), ["a", "b"])

        reg2 = self.start_registry("--state-file", path, name="registry2")
        a = reg2.get("/services/a").json()
        self.assertEqual(a["zone"], "eu")
        self.assertEqual(a["load"]["in_flight"], 1)
        self.assertTrue(a["is_healthy"])
        self.assertEqual(reg2.get("/services/b").json()["status"], "starting")
        self.assertEqual(reg2.get("/services").json()["total"], 2)

    def test_debounced_write_survives_kill(self):
        path = os.path.join(self.tmpdir, "state.json")
        reg = self.start_registry("--state-file", path)
        self.register(reg, "a")

        def written():
            try:
                with open(path) as f:
                    return any(s["name"] == "a" for s in json.load(f)["services"])
            except (OSError, ValueError):
                return False
        svclib.wait_until(written, 5, what="state file written")
        # The counter moves after the rename that makes the file appear: wait on it too.
        svclib.wait_until(
            lambda: "infini_registry_state_writes_total 1\n" in reg.get("/metrics").text, 5,
            what="state_writes_total 1")
        reg.stop(sig=signal.SIGKILL)
        reg2 = self.start_registry("--state-file", path, name="registry2")
        self.assertEqual(reg2.get("/services/a").status, 200)

    def test_corrupt_state_file_stops_start(self):
        path = os.path.join(self.tmpdir, "state.json")
        for content in (b"{not json", b'{"format":"infini-registry-state","version":9,'
                        b'"saved_at":1,"services":[]}',
                        b'{"format":"infini-registry-state","version":1,"saved_at":1,'
                        b'"services":[{"name":"a"}]}'):
            with open(path, "wb") as f:
                f.write(content)
            log = os.path.join(self.tmpdir, "corrupt.log")
            with open(log, "wb") as out:
                p = subprocess.run(
                    [svclib.binary("infini-registry"), "--bind", "127.0.0.1", "--port", "0",
                     "--state-file", path], stdout=out, stderr=subprocess.STDOUT,
                    timeout=10)
            self.assertEqual(p.returncode, 2)
            with open(log) as f:
                message = f.read()
            self.assertIn(path, message)
            self.assertIn("refusing to start", message)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), content)

    def test_missing_state_file_starts_empty(self):
        path = os.path.join(self.tmpdir, "absent.json")
        reg = self.start_registry("--state-file", path)
        self.assertEqual(reg.get("/services").json()["total"], 0)


class ProbeTest(RegistryTestCase):
    def test_active_probe_marks_healthy_then_unhealthy(self):
        target = HealthTarget()
        self.addCleanup(target.close)
        reg = self.start_registry("--health-interval", "0.3", "--health-timeout", "1")
        # Plain record: <url>/health. openai-api record: http://host:(port+1)/health.
        self.register(reg, "plain", url="http://127.0.0.1:%d/" % target.port, metadata={})
        self.register(reg, "server", port=target.port - 1)
        before = reg.get("/services/plain").json()["last_heartbeat"]

        def states():
            return {s["name"]: s["health_status"] for s in reg.get("/services").json()["services"]}
        svclib.wait_until(lambda: states() == {"plain": "healthy", "server": "healthy"}, 5,
                          what="probes healthy")
        self.assertEqual(reg.get("/services/plain").json()["last_heartbeat"], before)
        target.status = 503
        svclib.wait_until(lambda: states() == {"plain": "unhealthy", "server": "unhealthy"}, 5,
                          what="probes unhealthy")
        self.assertRegex(reg.get("/metrics").text,
                         r'infini_registry_probes_total\{result="unhealthy"\} [1-9]')
        self.assertIn("health_status=unhealthy", reg.log())

    def test_on_demand_probe(self):
        target = HealthTarget()
        self.addCleanup(target.close)
        reg = self.start_registry("--heartbeat-timeout", "1")
        self.register(reg, "x", url="http://127.0.0.1:%d" % target.port, metadata={})
        self.register(reg, "dead", url="http://127.0.0.1:%d" % svclib.free_port(), metadata={})
        time.sleep(1.2)
        self.assertFalse(reg.get("/services/x").json()["is_healthy"])
        r = reg.get("/services/x/health")
        self.assertEqual(r.status, 200)
        doc = r.json()
        self.assertEqual(sorted(doc), ["health_status", "is_healthy", "last_heartbeat",
                                       "service", "timestamp"])
        self.assertEqual((doc["service"], doc["health_status"], doc["is_healthy"]),
                         ("x", "healthy", True))
        self.assertRegex(r.text, r'"last_heartbeat":\d+\.0,')
        dead = reg.get("/services/dead/health").json()
        self.assertEqual((dead["health_status"], dead["is_healthy"]), ("unhealthy", False))
        self.assertEqual(reg.get("/services/dead").json()["health_status"], "unhealthy")

    def test_sigterm_during_probe_exits_quickly(self):
        target = HealthTarget(delay=8)
        self.addCleanup(target.close)
        reg = self.start_registry("--health-timeout", "30")
        self.register(reg, "slow", url="http://127.0.0.1:%d" % target.port, metadata={})
        result = {}

        def probe():
            result["r"] = svclib.request(reg.port, "GET", "/services/slow/health", timeout=10)
        t = threading.Thread(target=probe)
        t.start()
        svclib.wait_until(lambda: target.hits > 0, 5, what="probe started")
        started = time.monotonic()
        reg.signal(signal.SIGTERM)
        self.assertEqual(reg.wait(5), 0)
        self.assertLess(time.monotonic() - started, 3)
        t.join(10)
        self.assertEqual(result["r"].status, 503)


class LifecycleTest(RegistryTestCase):
    def test_metrics_content(self):
        reg = self.start_registry()
        self.register(reg, "x")
        reg.post("/services/x/heartbeat")
        reg.post("/services/ghost/heartbeat")
        reg.delete("/services/x")
        r = reg.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/plain; version=0.0.4"))
        for line in ('infini_registry_requests_total{endpoint="register",code="201"} 1',
                     'infini_registry_requests_total{endpoint="heartbeat",code="404"} 1',
                     "infini_registry_heartbeats_total 1",
                     "infini_registry_unknown_heartbeats_total 1",
                     'infini_registry_registrations_total{kind="new"} 1',
                     "infini_registry_deregistrations_total 1",
                     "infini_registry_services 0", "infini_registry_services_healthy 0",
                     "infini_registry_state_writes_total 0"):
            self.assertIn(line + "\n", r.text)
        self.assertIn("# TYPE infini_registry_uptime_seconds gauge", r.text)

    def test_access_log_and_events(self):
        reg = self.start_registry()
        self.register(reg, "x")
        reg.get("/services/x")
        svclib.wait_until(lambda: "GET /services/x 200" in reg.log(), 5, what="access log")
        self.assertIn("POST /services 201", reg.log())
        self.assertIn("name=x", reg.log())

    def test_sigterm_exits_zero_quickly(self):
        reg = self.start_registry()
        self.register(reg, "x")
        started = time.monotonic()
        reg.signal(signal.SIGTERM)
        self.assertEqual(reg.wait(5), 0)
        self.assertLess(time.monotonic() - started, 2)
        self.assertIn("shutdown complete", reg.log())

    def test_bad_flags_exit_2(self):
        for argv in (["--port", "70000"], ["--no-such-flag"], ["--health-interval", "x"],
                     ["--log-level", "loud"]):
            p = subprocess.run([svclib.binary("infini-registry")] + argv,
                                      capture_output=True, timeout=10)
            self.assertEqual(p.returncode, 2, argv)
            self.assertIn(b"infini-registry:", p.stderr)
        p = subprocess.run([svclib.binary("infini-registry"), "--help"],
                                  capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"--heartbeat-timeout", p.stdout)

    def test_listen_failure_exit_1(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            p = subprocess.run([svclib.binary("infini-registry"), "--bind", "127.0.0.1",
                                       "--port", str(port)], capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"cannot listen", p.stderr)


if __name__ == "__main__":
    unittest.main()
