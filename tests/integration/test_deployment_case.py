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

import svclib

CASE = os.path.join(svclib.ROOT, "deployment", "cases", "cache-routing-validation")
SCRIPT_TIMEOUT = 120


def free_pair(taken):
    """A port P such that P and P+1 were both free a moment ago and neither is in `taken`."""
    for _ in range(200):
        p = svclib.free_port()
        if p >= 65534 or p in taken or p + 1 in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 1))
            except OSError:
                continue
        return p
    raise AssertionError("no free port pair")


def alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class DeploymentCaseTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        taken = set()
        ports = {}
        for name in ("REGISTRY_PORT", "ROUTER_PORT"):
            p = svclib.free_port()
            while p in taken:
                p = svclib.free_port()
            ports[name] = p
            taken.add(p)
        for name in ("MASTER_PORT", "SLAVE_PORT"):
            p = free_pair(taken)
            ports[name] = p
            taken.update((p, p + 1))
        self.ports = ports
        self.log_dir = os.path.join(self.tmpdir, "logs")
        self.result_dir = os.path.join(self.tmpdir, "results")
        self.env = dict(os.environ)
        self.env.update({k: str(v) for k, v in ports.items()})
        self.env.update({"INFINI_BIN_DIR": svclib.BIN_DIR, "LOG_DIR": self.log_dir,
                         "RESULT_DIR": self.result_dir, "CHART": "none", "STOP_TIMEOUT": "15"})
        for k in ("MODEL1_DIR", "VLLM_DIR", "SINGLE_INSTANCE", "DATASET_FILE"):
            self.env.pop(k, None)
        self.seen_pids = []

    def tearDown(self):
        # After a failure half-way: stop-all.sh, then SIGKILL whatever recorded process of ours
        # is still there (checked by command line, so a reused PID is left alone); then the
        # temp dir goes.
        try:
            self.script("stop-all.sh", check=False)
        finally:
            for pid in self.seen_pids + list(self.pid_files().values()):
                if alive(pid) and "infini-" in cmdline(pid):
                    os.kill(pid, signal.SIGKILL)
            super().tearDown()

    # ------------------------------------------------------------ helpers

    def script(self, name, *args, check=True, env=None):
        """Runs one of the case's scripts; returns (exit code, combined output)."""
        full_env = dict(self.env)
        full_env.update(env or {})
        proc = subprocess.run([os.path.join(CASE, name)] + list(args), env=full_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=SCRIPT_TIMEOUT, cwd=self.tmpdir)
        out = proc.stdout.decode("utf-8", "replace")
        if check and proc.returncode != 0:
            self.fail("%s exited %d:\n%s\n%s" % (name, proc.returncode, out, self.logs()))
        return proc.returncode, out

    def logs(self):
        text = []
        for path in sorted(glob.glob(os.path.join(self.log_dir, "*.log"))):
            with open(path, "rb") as f:
                text.append("----- %s -----\n%s" % (path, f.read()[-3000:].decode("utf-8",
                                                                                   "replace")))
        return "\n".join(text)

    def pid_files(self):
        pids = {}
        for path in glob.glob(os.path.join(self.log_dir, "*.pid")):
            with open(path) as f:
                text = f.read().strip()
            if text.isdigit():
                pids[os.path.basename(path)[:-4]] = int(text)
        return pids

    def child_pid(self, port):
        """The model server PID of the babysitter whose model server listens on `port`."""
        info = svclib.request(port + 1, "GET", "/info").json()
        self.assertIsInstance(info["child_pid"], int)
        return info["child_pid"]

    def assert_all_gone(self, pids):
        svclib.wait_until(lambda: not any(alive(p) for p in pids), 15,
                          what="every process of the deployment to exit")

    # ------------------------------------------------------------ tests

    def test_start_validate_bench_compare_stop(self):
        _, out = self.script("start-master.sh")
        self.assertIn("deployment up: 2 instance(s) of 9g_8b_thinking", out)
        pids = self.pid_files()
        self.assertEqual(sorted(pids), ["babysitter_master", "babysitter_slave", "registry",
                                        "router"])
        self.seen_pids += list(pids.values())
        for name, pid in pids.items():
            self.assertTrue(alive(pid), name)
        children = [self.child_pid(self.ports["MASTER_PORT"]),
                    self.child_pid(self.ports["SLAVE_PORT"])]
        self.seen_pids += children
        for pid in children:
            self.assertIn("infini-mock", cmdline(pid))

        _, out = self.script("validate.sh")
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertEqual(out.count("  PASS  "), 12, out)
        self.assertNotIn("FAIL", out)

        short = {"NUM_REQUESTS": "12", "REQUEST_RATE": "40", "NUM_PREFIXES": "4",
                 "PREFIX_LEN": "1024", "SUFFIX_LEN": "64", "MAX_TOKENS": "4"}
        for script, label in (("bench-roundrobin.sh", "round-robin"),
                              ("bench-cache-routing.sh", "cache-routing")):
            _, out = self.script(script, env=short)
            self.assertNotIn("WARNING", out)
            files = glob.glob(os.path.join(self.result_dir, label + "-*.json"))
            self.assertEqual(len(files), 1, out)
            self.assertIn("result: " + files[0], out)
            with open(files[0]) as f:
                result = json.load(f)
            self.assertEqual(result["label"], label)
            self.assertEqual(result["completed"], 12)
            self.assertEqual(result["failed"], 0)
            self.assertEqual(sum(result["per_instance"].values()), 12)
            self.assertTrue(os.path.exists(os.path.join(self.result_dir, label + ".log")))
        rr = glob.glob(os.path.join(self.result_dir, "round-robin-*.json"))[0]
        with open(rr) as f:
            self.assertEqual(sorted(json.load(f)["per_instance"].values()), [6, 6])

        _, out = self.script("compare-results.sh")
        self.assertIn("Mean TTFT (ms)", out)
        self.assertIn("Requests per instance", out)
        self.assertIn("cache-routing vs round-robin: mean TTFT", out)

        _, out = self.script("stop-all.sh")
        self.assertEqual(self.pid_files(), {})
        self.assert_all_gone(list(pids.values()) + children)
        with open(os.path.join(self.log_dir, "registry-state.json")) as f:
            self.assertEqual(json.load(f)["services"], [])  # both babysitters deregistered
        rc, out = self.script("stop-all.sh")  # safe twice
        self.assertEqual(rc, 0)

    def test_registry_needs_the_token_and_keeps_its_records_across_a_kill(self):
        self.env.pop("INFINI_REGISTRY_TOKEN", None)
        self.script("start-master.sh")
        pids = self.pid_files()
        self.seen_pids += list(pids.values())
        token_file = os.path.join(self.log_dir, "registry.token")
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
        state = os.path.join(self.log_dir, "registry-state.json")

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
        env = dict(self.env, INFINI_REGISTRY_TOKEN=token)
        log = open(os.path.join(self.log_dir, "registry.log"), "ab")
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        with open(os.path.join(self.log_dir, "registry.pid"), "w") as f:
            f.write("%d\n" % proc.pid)  # stop-all.sh stops it
        self.seen_pids.append(proc.pid)

        def both_back():
            try:
                doc = svclib.request(reg, "GET", "/services", timeout=2).json()
            except OSError:
                return False
            names = {s["name"] for s in doc["services"]}
            return {"master-9g_8b_thinking-server", "slave-9g_8b_thinking-server"} <= names
        svclib.wait_until(both_back, 5, what="both instances in the restarted registry")
        _, out = self.script("validate.sh")
        self.assertIn("0 failed", out)
        self.script("stop-all.sh")
        proc.wait(15)

    def test_single_instance_skips_the_spread_checks(self):
        _, out = self.script("start-single.sh")
        self.assertIn("deployment up: 1 instance(s)", out)
        pids = self.pid_files()
        self.assertEqual(sorted(pids), ["babysitter_master", "registry", "router"])
        self.seen_pids += list(pids.values()) + [self.child_pid(self.ports["MASTER_PORT"])]
        _, out = self.script("validate.sh")
        self.assertIn("single instance (started by start-single.sh)", out)
        self.assertIn("Summary: 8 passed, 0 failed, 4 skipped", out)
        rc, out = self.script("validate.sh", check=False, env={"SINGLE_INSTANCE": "false"})
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL  slave-9g_8b_thinking babysitter /health", out)
        self.script("stop-all.sh")
        self.assert_all_gone(self.seen_pids)

    def test_validate_fails_when_nothing_runs(self):
        rc, out = self.script("validate.sh", check=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL  registry /health", out)
        self.assertIn("FAIL  router /health", out)
        self.assertNotIn("PASS", out)

    def test_start_fails_cleanly_when_the_router_port_is_taken(self):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", self.ports["ROUTER_PORT"]))
            s.listen(1)
            rc, out = self.script("start-master.sh", check=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("router", out)
        self.assertIn("last lines of", out)
        self.assertIn("start failed; stopping what was started", out)
        self.assertEqual(self.pid_files(), {})
        rc, out = self.script("start-master.sh", check=False)  # the registry's port is free again
        self.assertEqual(rc, 0, out)
        self.seen_pids += list(self.pid_files().values())
        self.script("stop-all.sh")
