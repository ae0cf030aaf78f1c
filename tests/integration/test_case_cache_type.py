"""Integration tests for the cache-type routing deployment case's scripts
(deployment/cases/cache-type-routing-validation): start-master.sh, validate.sh, a short
bench-size-based-routing.sh, then stop-all.sh, start-master-2paged.sh, validate.sh, a short
bench-2paged.sh, compare-cache-types.sh and stop-all.sh, run as a user runs them, on free ports
(env overrides) with logs and results in the test's temp dir and the binaries from
svclib.BIN_DIR. Asserts the exit codes, the readable output, where the requests went (small ones
on the paged instance, large ones on the static one; both paged instances in the baseline), that
the static instance runs infini-mock's static cache, that the registry refuses writes without the
generated token, a clean registry after stop-all, and that no process of the deployment is left.
Also: validate.sh failing against nothing, and failing when the size routing it expects is not
what the deployment does. Processes are signalled only by the PIDs the scripts recorded.
"""
import glob
import json
import os
import random
import signal
import socket
import subprocess

import svclib
from test_deployment_case import alive, cmdline

CASE = os.path.join(svclib.ROOT, "deployment", "cases", "cache-type-routing-validation")
SCRIPT_TIMEOUT = 120
# A short version of the benchmark's workload: one small and one large conversation of two
# turns; the large one opens with 53,248 characters, just above the 51,200-byte threshold.
SHORT_BENCH = {"NUM_CONVERSATIONS": "2", "MESSAGES_PER_CONV": "2", "NUM_LARGE_CONTEXT": "1",
               "CONTEXT_LEN": "256", "NEW_MSG_LEN": "32", "LARGE_CONTEXT_LEN": "53248",
               "REQUEST_RATE": "20", "MAX_TOKENS": "4"}
PAGED = "paged-cache-9g_8b_thinking"
STATIC = "static-cache-9g_8b_thinking"
PAGED2 = "paged-cache-9g_8b_thinking-2"


def fixed_port(taken, span=1):
    """A port P such that P .. P+span-1 were free a moment ago and none is in `taken`, chosen
    below the ephemeral range: the scripts bind their ports seconds after this choice, and in
    between outgoing connections (the router's KV event subscriptions, probes) take ephemeral
    local ports, which would collide with an ephemeral choice."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(500):
        p = rng.randrange(10000, max(10001, low - span))
        ports = range(p, p + span)
        if any(q in taken for q in ports):
            continue
        try:
            for q in ports:
                with socket.socket() as s:
                    s.bind(("0.0.0.0", q))
        except OSError:
            continue
        taken.update(ports)
        return p
    raise AssertionError("no free port below the ephemeral range")


class CacheTypeCaseTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        taken = set()
        ports = {name: fixed_port(taken) for name in ("REGISTRY_PORT", "ROUTER_PORT")}
        for name in ("PAGED_PORT", "STATIC_PORT", "PAGED2_PORT"):
            ports[name] = fixed_port(taken, 2)
        self.ports = ports
        self.log_dir = os.path.join(self.tmpdir, "logs")
        self.result_dir = os.path.join(self.tmpdir, "results")
        self.env = dict(os.environ)
        self.env.update({k: str(v) for k, v in ports.items()})
        self.env.update({"INFINI_BIN_DIR": svclib.BIN_DIR, "LOG_DIR": self.log_dir,
                         "RESULT_DIR": self.result_dir, "CHART": "none", "STOP_TIMEOUT": "15"})
        for k in ("MODEL1_DIR", "VLLM_DIR", "DEPLOYMENT", "DATASET_FILE", "ROUTER_POLICY",
                  "CACHE_TYPE_ROUTING_THRESHOLD", "INFINI_REGISTRY_TOKEN"):
            self.env.pop(k, None)
        self.seen_pids = []

    def tearDown(self):
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
        info = svclib.request(port + 1, "GET", "/info").json()
        self.assertIsInstance(info["child_pid"], int)
        return info["child_pid"]

    def start(self, script, roles):
        """Runs a start script; returns every PID of the deployment (daemons and mocks)."""
        _, out = self.script(script)
        pids = self.pid_files()
        self.assertEqual(sorted(pids), sorted(["registry", "router"] +
                                              ["babysitter_" + r for r in roles]))
        children = {r: self.child_pid(self.ports[r.upper() + "_PORT"]) for r in roles}
        all_pids = list(pids.values()) + list(children.values())
        self.seen_pids += all_pids
        for r, pid in children.items():
            self.assertIn("infini-mock", cmdline(pid))
            self.assertIn("--cache-type %s" % ("static" if r == "static" else "paged"),
                          cmdline(pid))
        return out, all_pids

    def bench(self, script, label):
        _, out = self.script(script, env=SHORT_BENCH)
        self.assertNotIn("WARNING", out)
        files = glob.glob(os.path.join(self.result_dir, label + "-*.json"))
        self.assertEqual(len(files), 1, out)
        self.assertIn("result: " + files[0], out)
        with open(files[0]) as f:
            result = json.load(f)
        self.assertEqual(result["label"], label)
        self.assertEqual(result["completed"], 4)
        self.assertEqual(result["failed"], 0)
        self.assertEqual(result["max_concurrency"], 4)
        return result

    def stop(self, pids):
        self.script("stop-all.sh")
        self.assertEqual(self.pid_files(), {})
        svclib.wait_until(lambda: not any(alive(p) for p in pids), 15,
                          what="every process of the deployment to exit")
        with open(os.path.join(self.log_dir, "registry-state.json")) as f:
            self.assertEqual(json.load(f)["services"], [])  # both babysitters deregistered

    # ------------------------------------------------------------ tests

    def test_size_based_then_2paged_validate_bench_compare(self):
        out, pids = self.start("start-master.sh", ["paged", "static"])
        self.assertIn("deployment up (size-based): %s and %s" % (PAGED, STATIC), out)
        # The registry takes writes only with the token the start generated.
        r = svclib.request(self.ports["REGISTRY_PORT"], "POST", "/services",
                           body={"name": "x", "host": "h", "port": 1, "hostname": "h",
                                 "url": "http://h:1", "status": "running"})
        self.assertEqual(r.status, 401)
        token_file = os.path.join(self.log_dir, "registry.token")
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        with open(token_file) as f:
            token = f.read().strip()
        self.assertGreaterEqual(len(token), 32)
        self.assertNotIn(token, cmdline(self.pid_files()["registry"]))  # environment only

        _, out = self.script("validate.sh")
        self.assertIn("cache-type routing validation (size-based", out)
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertIn("instances: %s-server x5; route:" % PAGED, out)
        self.assertIn("instances: %s-server x3; route:" % STATIC, out)
        result = self.bench("bench-size-based-routing.sh", "size-based-routing")
        self.assertEqual(result["per_instance"], {PAGED + "-server": 2, STATIC + "-server": 2})
        self.stop(pids)

        out, pids = self.start("start-master-2paged.sh", ["paged", "paged2"])
        self.assertIn("deployment up (2paged): %s and %s" % (PAGED, PAGED2), out)
        _, out = self.script("validate.sh")
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertRegex(out, r"instances: %s-server x5, %s-server x5" % (PAGED2, PAGED))
        # Validating size routing against the round-robin baseline must fail, and say where.
        rc, out = self.script("validate.sh", check=False, env={"DEPLOYMENT": "size-based"})
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL  small requests (\"Test\") all land on %s" % PAGED, out)
        self.assertIn("FAIL  %s-server record has cache_type \"static\"" % STATIC, out)
        result = self.bench("bench-2paged.sh", "2paged-round-robin")
        self.assertEqual(sorted(result["per_instance"].values()), [2, 2])

        _, out = self.script("compare-cache-types.sh")
        self.assertIn("Mean TTFT (ms)", out)
        self.assertIn("Requests per instance", out)
        self.assertRegex(out, r"size-based-routing +small n=2 mean \d+ ms, median \d+ ms, max "
                              r"\d+ ms; large n=2 mean")
        self.assertIn("size-based-routing vs 2paged-round-robin: mean TTFT", out)
        self.stop(pids)
        rc, _ = self.script("stop-all.sh")  # safe twice
        self.assertEqual(rc, 0)

    def test_validate_fails_when_nothing_runs(self):
        rc, out = self.script("validate.sh", check=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL  registry /health", out)
        self.assertIn("FAIL  router /health", out)
        self.assertNotIn("PASS", out)

    def test_compare_needs_two_results(self):
        rc, out = self.script("compare-cache-types.sh", check=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("run bench-size-based-routing.sh and bench-2paged.sh first", out)
