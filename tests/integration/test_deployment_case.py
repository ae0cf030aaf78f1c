"""Integration tests for the cache-routing deployment case's scripts
(deployment/cases/cache-routing-validation): start-master.sh, validate.sh, a short
bench-roundrobin.sh and bench-cache-routing.sh, compare-results.sh and stop-all.sh, run as a
user runs them, on free ports (env overrides) with logs and results in the test's temp dir and
the binaries from svclib.BIN_DIR. Asserts the exit codes, the readable output, the result files,
a clean registry after stop-all, and that no process of the deployment (daemons and the mock
model servers) is left. Also: the single-instance variant (spread checks skipped), validate.sh
failing against nothing, and a start that fails on a taken port stopping what it started.
Processes are signalled only by the PIDs the scripts recorded.
"""
import glob
import json
import os
import signal
import socket
import subprocess

import caselib
import svclib
from svclib import alive, cmdline

DAEMONS = ["babysitter_master", "babysitter_slave", "registry", "router"]


class DeploymentCaseTest(caselib.CaseTestCase):
    CASE = "cache-routing-validation"
    PAIRS = ("MASTER_PORT", "SLAVE_PORT")

    def model_ports(self):
        return [self.ports["MASTER_PORT"], self.ports["SLAVE_PORT"]]

    # ------------------------------------------------------------ tests

    def test_start_validate_bench_compare_stop(self):
        out, pids, children = self.case.start("start-master.sh", DAEMONS, self.model_ports())
        self.assertIn("deployment up: 2 instance(s) of 9g_8b_thinking", out)

        _, out = self.case.run("validate.sh")
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertEqual(out.count("  PASS  "), 12, out)
        self.assertNotIn("FAIL", out)

        short = {"NUM_REQUESTS": "12", "REQUEST_RATE": "40", "NUM_PREFIXES": "4",
                 "PREFIX_LEN": "1024", "SUFFIX_LEN": "64", "MAX_TOKENS": "4"}
        self.case.bench("bench-roundrobin.sh", "round-robin", short, 12)
        self.case.bench("bench-cache-routing.sh", "cache-routing", short, 12)
        rr = glob.glob(os.path.join(self.result_dir, "round-robin-*.json"))[0]
        with open(rr) as f:
            self.assertEqual(sorted(json.load(f)["per_instance"].values()), [6, 6])

        _, out = self.case.run("compare-results.sh")
        self.assertIn("Mean TTFT (ms)", out)
        self.assertIn("Requests per instance", out)
        self.assertIn("cache-routing vs round-robin: mean TTFT", out)

        self.case.stop_all(list(pids.values()) + children)
        rc, out = self.case.run("stop-all.sh")  # safe twice
        self.assertEqual(rc, 0)

    def test_registry_needs_the_token_and_keeps_its_records_across_a_kill(self):
        _, pids, _ = self.case.start("start-master.sh", DAEMONS, self.model_ports())
        token_file = os.path.join(self.case.log_dir, "registry.token")
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        with open(token_file) as f:
            token = f.read().strip()
        self.assertGreaterEqual(len(token), 32)
        reg = self.ports["REGISTRY_PORT"]
        record = {"name": "intruder", "host": "127.0.0.1", "port": 9, "hostname": "h",
                  "url": "http://127.0.0.1:9", "status": "running"}
        self.assertEqual(svclib.request(reg, "POST", "/services", body=record).status, 401)
        auth = {"Authorization": "Bearer " + token}
        evil = dict(record, host="169.254.169.254")
        self.assertEqual(svclib.request(reg, "POST", "/services", body=evil,
                                        headers=auth).status, 403)
        self.assertNotIn(token, cmdline(pids["registry"]))  # not visible in ps
        # kill -9 and a restart with the same flags: the state file brings the fleet back.
        # (Killed before its state file holds the records, the registry comes back empty until
        # the next heartbeats: that window is the router's to bridge, not this test's.)
        state = os.path.join(self.case.log_dir, "registry-state.json")

        def state_has_both():
            try:
                with open(state) as f:
                    names = {r["name"] for r in json.load(f)["services"]}
            except (OSError, ValueError, KeyError):
                return False
            return {"master-9g_8b_thinking-server", "slave-9g_8b_thinking-server"} <= names
        svclib.wait_until(state_has_both, 10, what="both records in the state file")
        with open("/proc/%d/cmdline" % pids["registry"], "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0") if a]
        os.kill(pids["registry"], signal.SIGKILL)
        svclib.wait_until(lambda: not alive(pids["registry"]), 5, what="registry gone")
        env = dict(self.case.env, INFINI_REGISTRY_TOKEN=token)
        log = open(os.path.join(self.case.log_dir, "registry.log"), "ab")
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        with open(os.path.join(self.case.log_dir, "registry.pid"), "w") as f:
            f.write("%d\n" % proc.pid)  # stop-all.sh stops it
        self.case.seen_pids.append(proc.pid)

        def both_back():
            try:
                doc = svclib.request(reg, "GET", "/services", timeout=2).json()
            except OSError:
                return False
            names = {s["name"] for s in doc["services"]}
            return {"master-9g_8b_thinking-server", "slave-9g_8b_thinking-server"} <= names
        svclib.wait_until(both_back, 5, what="both instances in the restarted registry")
        _, out = self.case.run("validate.sh")
        self.assertIn("0 failed", out)
        self.case.run("stop-all.sh")
        proc.wait(15)

    def test_single_instance_skips_the_spread_checks(self):
        out, _, _ = self.case.start("start-single.sh", ["babysitter_master", "registry", "router"],
                                    [self.ports["MASTER_PORT"]])
        self.assertIn("deployment up: 1 instance(s)", out)
        _, out = self.case.run("validate.sh")
        self.assertIn("single instance (started by start-single.sh)", out)
        self.assertIn("Summary: 8 passed, 0 failed, 4 skipped", out)
        out = self.case.fails("validate.sh", env={"SINGLE_INSTANCE": "false"})
        self.assertIn("FAIL  slave-9g_8b_thinking babysitter /health", out)
        self.case.stop_all(self.case.seen_pids)

    def test_validate_fails_when_nothing_runs(self):
        self.assert_validate_fails_when_nothing_runs()

    def test_start_fails_cleanly_when_the_router_port_is_taken(self):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", self.ports["ROUTER_PORT"]))
            s.listen(1)
            out = self.case.fails("start-master.sh")
        self.assertIn("router", out)
        self.assertIn("last lines of", out)
        self.assertIn("start failed; stopping what was started", out)
        self.assertEqual(self.case.pid_files(), {})
        # The registry's port is free again: the start must succeed.
        self.case.start("start-master.sh", DAEMONS, self.model_ports())
        self.case.run("stop-all.sh")
