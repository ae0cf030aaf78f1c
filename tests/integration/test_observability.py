"""Integration test of deployment/observability against the real Prometheus (Debian's
`prometheus` package; skipped with a message when it is missing).

Starts the cache-routing case (deployment/cases/cache-routing-validation/start-master.sh, on
moved ports, logs in the test's temp dir): registry, router, two babysitters, two infini-mock
model servers. Runs `promtool check config` and `promtool check rules` on the checked-in files,
then Prometheus on 127.0.0.1 (a free port, a private data directory, 1 s scrape and rule
intervals) with the checked-in prometheus.yml and targets/ (only the ports moved) and rules.yml.
Sends chat traffic through the router (streamed and not, and requests for an unknown model)
while every target is scraped, waits until two scrapes followed it, and then evaluates through
Prometheus's HTTP API every expression of the Grafana dashboard, every recording and alerting
rule, and every alert's expression without its final comparison: each must succeed and return
at least one finite sample. Also checks that the labels line up (the router's per-server series
and the engines' series share `instance`) and that every rule evaluated without error.
Prometheus is stopped by PID; the deployment by stop-all.sh, then by recorded PID.
"""
import json
import math
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import caselib
import svclib

OBS = os.path.join(svclib.ROOT, "deployment", "observability")
MODEL = "9g_8b_thinking"
SERVERS = ("master-9g_8b_thinking-server", "slave-9g_8b_thinking-server")
# Grafana's interval variables, as Grafana would expand them for a 1 s scrape interval.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "5s", "$__range": "5m"}
# An alert's expression is `<expression> <comparison> <number>` (rules.yml says so).
COMPARISON = re.compile(r"^(.*\S)\s*(==|!=|>=|<=|>|<)\s*-?[0-9.]+(e[+-]?[0-9]+)?\s*$", re.S)


def dashboard_exprs():
    """(panel title, expression) for every query of the dashboard, rows' panels included."""
    with open(os.path.join(OBS, "grafana-dashboard.json")) as f:
        dash = json.load(f)
    found = []

    def walk(panels):
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                expr = t["expr"]
                for var, value in GRAFANA_VARS.items():
                    expr = expr.replace(var, value)
                found.append((p["title"], expr))
    walk(dash["panels"])
    return found


class ObservabilityTest(caselib.CaseTestCase):
    CASE = "cache-routing-validation"
    PAIRS = ("MASTER_PORT", "SLAVE_PORT")

    def setUp(self):
        self.prometheus = shutil.which("prometheus")
        self.promtool_bin = shutil.which("promtool")
        if self.prometheus is None or self.promtool_bin is None:
            self.skipTest("prometheus/promtool not installed (Debian package prometheus; "
                          "scripts/install-deps.sh installs it)")
        super().setUp()
        self.prom_port = svclib.fixed_port(self.taken)

    # ------------------------------------------------------------ helpers

    def start_case(self):
        self.case.start("start-master.sh", ["babysitter_master", "babysitter_slave", "registry",
                                            "router"],
                        [self.ports["MASTER_PORT"], self.ports["SLAVE_PORT"]])

    def moved(self, text, pairs):
        """`text` with each (old, new) replaced, each old string present exactly once."""
        for old, new in pairs:
            self.assertEqual(text.count(old), 1, "%r in the checked-in file" % old)
            text = text.replace(old, new)
        return text

    def write_config(self):
        """The checked-in config with the case's ports moved and 1 s intervals; returns its
        path (in the temp dir, beside rules.yml and targets/)."""
        conf = os.path.join(self.tmpdir, "prometheus")
        os.makedirs(os.path.join(conf, "targets"))
        shutil.copy(os.path.join(OBS, "rules.yml"), conf)
        p = self.ports
        with open(os.path.join(OBS, "prometheus.yml")) as f:
            text = self.moved(f.read(), [
                ('"127.0.0.1:18000"', '"127.0.0.1:%d"' % p["REGISTRY_PORT"]),
                ('"127.0.0.1:8000"', '"127.0.0.1:%d"' % p["ROUTER_PORT"]),
                ("scrape_interval: 15s", "scrape_interval: 1s"),
                ("evaluation_interval: 15s", "evaluation_interval: 1s")])
        with open(os.path.join(conf, "prometheus.yml"), "w") as f:
            f.write(text)
        for name, offset in (("model-servers.yml", 0), ("babysitters.yml", 1)):
            with open(os.path.join(OBS, "targets", name)) as f:
                text = self.moved(f.read(), [
                    ('"127.0.0.1:%d"' % (8100 + offset),
                     '"127.0.0.1:%d"' % (p["MASTER_PORT"] + offset)),
                    ('"127.0.0.1:%d"' % (8200 + offset),
                     '"127.0.0.1:%d"' % (p["SLAVE_PORT"] + offset))])
            with open(os.path.join(conf, "targets", name), "w") as f:
                f.write(text)
        return os.path.join(conf, "prometheus.yml")

    def promtool(self, *args):
        proc = subprocess.run([self.promtool_bin] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)
        out = proc.stdout.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 0, "promtool %s:\n%s" % (" ".join(args), out))
        self.assertIn("SUCCESS", out)

    def api(self, path, **params):
        url = "http://127.0.0.1:%d/api/v1/%s" % (self.prom_port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:  # 400/422 carry the error as JSON
            return json.load(e)

    def query(self, expr):
        """The result vector of `expr` at now; fails on a query error."""
        doc = self.api("query", query=expr)
        self.assertEqual(doc.get("status"), "success",
                         "%s: %s" % (expr, doc.get("error", doc)))
        self.assertEqual(doc["data"]["resultType"], "vector", expr)
        return doc["data"]["result"]

    def assert_data(self, what, expr):
        result = self.query(expr)
        values = [float(s["value"][1]) for s in result]
        self.assertTrue(any(math.isfinite(v) for v in values),
                        "%s: %s returned %s" % (what, expr, values or "nothing"))

    def traffic(self, stop):
        """Chat requests through the router until `stop` is set: keyed, streamed and not, and
        one for an unknown model in ten (a 404, so the error panels have data)."""
        i = 0
        while not stop.is_set():
            model = MODEL if i % 10 else "no-such-model"
            body = {"model": model, "max_tokens": 4, "stream": i % 2 == 0,
                    "prompt_cache_key": "conversation-%d" % (i % 4),
                    "messages": [{"role": "user", "content": "prefix %d " % (i % 4) * 64}]}
            svclib.request(self.ports["ROUTER_PORT"], "POST", "/v1/chat/completions", body=body)
            i += 1

    def scraped_after(self, t):
        """True once every target was scraped twice after time `t` (1 s interval)."""
        ts = [float(s["value"][1]) for s in self.query("timestamp(up)")]
        return len(ts) == 6 and min(ts) > t + 1.5

    # ------------------------------------------------------------ test

    def test_dashboard_and_rules_against_a_running_case(self):
        self.promtool("check", "rules", os.path.join(OBS, "rules.yml"))
        self.promtool("check", "config", os.path.join(OBS, "prometheus.yml"))
        self.start_case()
        config = self.write_config()
        self.promtool("check", "config", config)
        self.start("prometheus", [
            self.prometheus, "--config.file=" + config,
            "--storage.tsdb.path=" + os.path.join(self.tmpdir, "prometheus-data"),
            "--web.listen-address=127.0.0.1:%d" % self.prom_port], want_port=False)
        svclib.wait_until(
            lambda: len([s for s in self.query("up") if s["value"][1] == "1"]) == 6
            if self._ready() else False, 30, interval=0.2, what="all six targets up")

        stop = threading.Event()
        sender = threading.Thread(target=self.traffic, args=(stop,))
        sender.start()
        try:
            time.sleep(4)  # several scrapes see the counters grow
        finally:
            stop.set()
            sender.join(30)
        end = time.time()
        svclib.wait_until(lambda: self.scraped_after(end), 20, interval=0.2,
                          what="two scrapes of every target after the traffic")
        svclib.wait_until(lambda: self.query("infini:prefix_cache_hit_ratio:rate1h"), 20,
                          interval=0.2, what="the recording rules evaluated")

        # Labels line up: the router's series name the model servers as the engines' do.
        healthy = {s["metric"]["model"]: float(s["value"][1])
                   for s in self.query("infini_router_model_healthy_instances")}
        self.assertEqual(healthy, {MODEL: 2.0})
        joined = self.query("sum by (instance) (vllm:num_requests_running) "
                            "and on (instance) infini_router_instance_healthy")
        self.assertEqual(sorted(s["metric"]["instance"] for s in joined), list(SERVERS))
        self.assertEqual(float(self.query("max(infini_registry_services)")[0]["value"][1]), 4)

        for title, expr in dashboard_exprs():
            self.assert_data("dashboard panel %r" % title, expr)
        groups = self.api("rules")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        self.assertGreaterEqual(len([r for r in rules if r["type"] == "alerting"]), 5)
        for rule in rules:
            name = rule["name"]
            self.assertEqual(rule["health"], "ok", "%s: %s" % (name, rule.get("lastError")))
            if rule["type"] == "recording":
                self.assert_data("recording rule " + name, rule["query"])
                continue
            self.query(rule["query"])  # evaluates; empty while nothing is wrong
            m = COMPARISON.match(rule["query"])
            self.assertIsNotNone(m, "alert %s: not `<expression> <comparison> <number>`" % name)
            self.assert_data("alert %s without its comparison" % name, m.group(1))
            self.assertEqual(rule["state"], "inactive", name)

    def _ready(self):
        try:
            return svclib.request(self.prom_port, "GET", "/-/ready", timeout=2).status == 200
        except OSError:
            return False
