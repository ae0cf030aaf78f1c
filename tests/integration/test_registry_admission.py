"""Integration tests for what infini-registry lets in (issue #12, items 7 and 8), with the real
binary on 127.0.0.1.

Covers: link-local hosts (cloud metadata) refused by default, in any spelling an HTTP client
accepts; --allow-hosts (CIDR ranges and names) checked against the record's host and the host
of its url, on registration and on PUT; a bad --allow-hosts stops the start; the record cap
(--max-services, 429 for new names, replacements still accepted); the registration rate limit
(429 with Retry-After, then accepted again); names with an escaped NUL or empty (422, no record
replaced); bounded host, url and status lengths; and the refusal counters in /metrics.
"""
import subprocess
import time
import unittest

import svclib

BASE = {"host": "127.0.0.1", "port": 8100, "hostname": "node1", "url": "http://127.0.0.1:8100",
        "status": "running", "metadata": {"type": "openai-api", "models": ["m"]}}


def body(name, **over):
    b = dict(BASE, name=name)
    b.update(over)
    return b


class RegistryAdmissionTest(svclib.ProcTestCase):
    def start_registry(self, *flags, name="registry"):
        return self.start(name, [svclib.binary("infini-registry"), "--bind", "127.0.0.1",
                                 "--access-log", "off"] + list(flags))

    def names(self, reg):
        return sorted(s["name"] for s in reg.get("/services").json()["services"])

    def test_link_local_hosts_are_refused_by_default(self):
        reg = self.start_registry()
        for host in ("169.254.169.254", "2852039166", "0xa9.0xfe.0xa9.0xfe", "fe80::1",
                     "[fe80::1]", "::ffff:169.254.169.254"):
            r = reg.post("/services", body("evil", host=host))
            self.assertEqual(r.status, 403, (host, r.text))
        r = reg.post("/services", body("evil", url="http://169.254.169.254/latest/meta-data"))
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("not allowed", r.json()["error"]["message"])
        self.assertEqual(self.names(reg), [])
        self.assertEqual(reg.post("/services", body("ok", host="gpu-7.lab")).status, 201)
        self.assertIn('infini_registry_registrations_refused_total{reason="host"} 7',
                      reg.get("/metrics").text)

    def test_allow_hosts_limits_host_and_url(self):
        reg = self.start_registry("--allow-hosts", "127.0.0.0/8, gpu-1.lab")
        self.assertEqual(reg.post("/services", body("a")).status, 201)
        self.assertEqual(reg.post("/services", body(
            "b", host="gpu-1.lab", url="http://GPU-1.lab:9000")).status, 201)
        for over in ({"host": "10.1.2.3"}, {"host": "evil-server"},
                     {"url": "http://10.0.0.1:8100"}, {"url": "not a url"},
                     {"host": "127.0.0.1.evil.example"}):
            r = reg.post("/services", body("c", **over))
            self.assertEqual(r.status, 403, (over, r.text))
        # A PUT cannot move a record outside the list either.
        r = reg.put("/services/a", {"host": "10.0.0.1"})
        self.assertEqual(r.status, 403, r.text)
        self.assertEqual(reg.get("/services/a").json()["host"], "127.0.0.1")
        self.assertEqual(reg.put("/services/a", {"host": "127.0.0.2"}).status, 200)
        self.assertEqual(self.names(reg), ["a", "b"])

    def test_bad_allow_hosts_stops_the_start(self):
        for spec in ("10.0.0.0/33", "10.0.0.0/x", "bad host", "::1/129"):
            r = subprocess.run([svclib.binary("infini-registry"), "--port", "0",
                                "--allow-hosts", spec], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 2, (spec, r.stderr))
            self.assertIn("--allow-hosts", r.stderr)

    def test_record_cap(self):
        reg = self.start_registry("--max-services", "3")
        for name in ("a", "b", "c"):
            self.assertEqual(reg.post("/services", body(name)).status, 201)
        r = reg.post("/services", body("d"))
        self.assertEqual(r.status, 429, r.text)
        self.assertIn("--max-services", r.json()["error"]["message"])
        self.assertIn("retry-after", r.headers)
        self.assertEqual(reg.post("/services", body("a", port=9)).status, 201)  # replacement
        self.assertEqual(reg.delete("/services/b").status, 200)
        self.assertEqual(reg.post("/services", body("d")).status, 201)
        self.assertEqual(self.names(reg), ["a", "c", "d"])

    def test_registration_rate_limit(self):
        reg = self.start_registry("--registration-rate", "2", "--registration-burst", "3")
        for i in range(3):
            self.assertEqual(reg.post("/services", body("r%d" % i)).status, 201)
        r = reg.post("/services", body("r3"))
        self.assertEqual(r.status, 429, r.text)
        self.assertIn("--registration-rate", r.json()["error"]["message"])
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        # Heartbeats are not registrations: never limited.
        for _ in range(5):
            self.assertEqual(reg.post("/services/r0/heartbeat").status, 200)
        time.sleep(0.6)
        self.assertEqual(reg.post("/services", body("r3")).status, 201)
        self.assertIn('infini_registry_registrations_refused_total{reason="rate"} 1',
                      reg.get("/metrics").text)

    def test_nul_and_empty_names_are_422(self):
        reg = self.start_registry()
        self.assertEqual(reg.post("/services", body("a")).status, 201)
        raw = ('{"name":"a\\u0000evil","host":"10.9.9.9","port":1,"hostname":"h",'
               '"url":"http://10.9.9.9:1","status":"running"}')
        r = reg.post("/services", raw, headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 422, r.text)
        self.assertIn("NUL", r.json()["error"]["message"])
        self.assertEqual(reg.get("/services/a").json()["host"], "127.0.0.1")  # not replaced
        # An escaped backslash followed by "u0000" is text, not a NUL.
        ok = ('{"name":"b\\\\u0000","host":"127.0.0.1","port":1,"hostname":"h",'
              '"url":"http://127.0.0.1:1","status":"running"}')
        self.assertEqual(reg.post("/services", ok,
                                  headers={"Content-Type": "application/json"}).status, 201)
        self.assertEqual(reg.post("/services", body("")).status, 422)
        self.assertEqual(reg.post("/services", body("c", host="")).status, 422)
        r = reg.post("/services/a/heartbeat", '{"status":"run\\u0000ning"}',
                     headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 422, r.text)
        self.assertEqual(self.names(reg), ["a", "b\\u0000"])

    def test_string_fields_are_bounded(self):
        reg = self.start_registry()
        for over in ({"host": "h" * 254}, {"hostname": "h" * 254},
                     {"url": "http://127.0.0.1:1/" + "p" * 2100}, {"status": "s" * 65}):
            r = reg.post("/services", body("x", **over))
            self.assertEqual(r.status, 422, (list(over), r.text))
            self.assertIn("longer than", r.text)
        self.assertEqual(reg.post("/services", body("x", host="h" * 253)).status, 201)
        self.assertEqual(reg.put("/services/x", {"url": "u" * 2049}).status, 422)
        self.assertEqual(self.names(reg), ["x"])


if __name__ == "__main__":
    unittest.main()
