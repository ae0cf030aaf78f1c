"""Integration-test support for the deployment cases (deployment/cases/<case>/): run a case's
scripts as a user runs them, on ports moved through the environment, with logs and results in
the test's temp dir and the binaries from svclib.BIN_DIR; check what a start script started and
what stop-all.sh left; and after a failure half-way, SIGKILL what is left of the deployment by
the PIDs the scripts recorded (checked by command line, so a reused PID is left alone).

CaseTestCase is the base of a test class for one case on one host: it chooses the ports, builds
the environment and stops the deployment in tearDown. CaseRunner does the work and also serves
a test that runs one case as several hosts (one runner, one LOG_DIR, per host).
Depends on svclib; Python 3 standard library only.
"""
import glob
import json
import os
import signal
import subprocess

import svclib
from svclib import alive, cmdline, fixed_port

CASES = os.path.join(svclib.ROOT, "deployment", "cases")
SCRIPT_TIMEOUT = 120
# The cases' knobs a developer's shell may have set that would change what the tests expect
# (real model directories, a token, another policy or layout): removed from every environment.
KNOBS = ("MODEL1_DIR", "MODEL2_DIR", "VLLM_DIR", "SINGLE_INSTANCE", "DEPLOYMENT",
         "DATASET_FILE", "ROUTER_POLICY", "CACHE_TYPE_ROUTING_THRESHOLD", "INFINI_REGISTRY_TOKEN")


def choose_ports(singles, pairs, taken):
    """{name: port}: one port for each name in `singles` (registry, router) and two, P and P+1,
    for each in `pairs` (a model server on P and its babysitter on P+1); all distinct. The
    scripts bind them seconds later, after the router has opened outgoing connections, so they
    come from below the ephemeral range (svclib.fixed_port), where those cannot take them."""
    ports = {name: fixed_port(taken) for name in singles}
    ports.update({name: fixed_port(taken, 2) for name in pairs})
    return ports


def case_env(log_dir, ports=None):
    """This process's environment without KNOBS, with the binaries from svclib.BIN_DIR, logs
    and PID files in `log_dir`, a 15 s stop timeout and `ports` ({variable: port})."""
    env = dict(os.environ)
    for k in KNOBS:
        env.pop(k, None)
    env.update({"INFINI_BIN_DIR": svclib.BIN_DIR, "LOG_DIR": log_dir, "STOP_TIMEOUT": "15"})
    env.update({k: str(v) for k, v in (ports or {}).items()})
    return env


class CaseRunner:
    """Runs one case's scripts with one environment (one LOG_DIR: one host's view) and keeps
    every PID of the deployment it saw, for kill_leftovers()."""

    def __init__(self, test, case, log_dir, env):
        self.test = test
        self.dir = os.path.join(CASES, case)
        self.log_dir = log_dir
        self.env = env
        self.seen_pids = []

    def run(self, name, *args, check=True, env=None, netns=None):
        """Runs the case's script `name` (inside network namespace `netns` when given) with
        `env` over the runner's; returns (exit code, combined output). With `check`, a non-zero
        exit fails the test, showing the output and the end of every log."""
        full_env = dict(self.env)
        full_env.update(env or {})
        argv = [os.path.join(self.dir, name)] + list(args)
        if netns is not None:
            argv = ["ip", "netns", "exec", netns] + argv
        proc = subprocess.run(argv, env=full_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=SCRIPT_TIMEOUT,
                              cwd=self.test.tmpdir)
        out = proc.stdout.decode("utf-8", "replace")
        if check and proc.returncode != 0:
            self.test.fail("%s exited %d:\n%s\n%s" % (name, proc.returncode, out, self.logs()))
        return proc.returncode, out

    def fails(self, name, *args, **kw):
        """Runs the case's script `name` like run(), which must exit 1 (the failure it is there
        to report); returns its output."""
        rc, out = self.run(name, *args, check=False, **kw)
        self.test.assertEqual(rc, 1, out)
        return out

    def logs(self):
        text = []
        for path in sorted(glob.glob(os.path.join(self.log_dir, "*.log"))):
            with open(path, "rb") as f:
                text.append("----- %s -----\n%s" % (path, f.read()[-3000:].decode("utf-8",
                                                                                   "replace")))
        return "\n".join(text)

    def pid_files(self):
        """{daemon: PID} of the PID files in LOG_DIR (registry.pid -> "registry")."""
        pids = {}
        for path in glob.glob(os.path.join(self.log_dir, "*.pid")):
            with open(path) as f:
                text = f.read().strip()
            if text.isdigit():
                pids[os.path.basename(path)[:-4]] = int(text)
        return pids

    def child_pid(self, port):
        """The model server PID of the babysitter whose model server listens on `port` (the
        babysitter on `port` + 1)."""
        info = svclib.request(port + 1, "GET", "/info").json()
        self.test.assertIsInstance(info["child_pid"], int)
        return info["child_pid"]

    def start(self, script, daemons, model_ports, *args, **kw):
        """Runs a start script, which must succeed and leave exactly the PID files of `daemons`,
        each process alive, and an infini-mock model server on each of `model_ports`. Returns
        (output, {daemon: PID}, [model server PID in the order of model_ports])."""
        _, out = self.run(script, *args, **kw)
        pids = self.pid_files()
        self.test.assertEqual(sorted(pids), sorted(daemons))
        self.seen_pids += list(pids.values())
        for name, pid in pids.items():
            self.test.assertTrue(alive(pid), name)
        children = [self.child_pid(p) for p in model_ports]
        self.seen_pids += children
        for pid in children:
            self.test.assertIn("infini-mock", cmdline(pid))
        return out, pids, children

    def bench(self, script, label, env, completed):
        """Runs a bench script with `env`, which must succeed without a warning, log into
        RESULT_DIR/<label>.log and write exactly one result file RESULT_DIR/<label>-*.json,
        named in its output, where `completed` requests completed, none failed, and the
        per-instance counts add up. Returns the result."""
        result_dir = self.env["RESULT_DIR"]
        _, out = self.run(script, env=env)
        self.test.assertNotIn("WARNING", out)
        files = glob.glob(os.path.join(result_dir, label + "-*.json"))
        self.test.assertEqual(len(files), 1, out)
        self.test.assertIn("result: " + files[0], out)
        with open(files[0]) as f:
            result = json.load(f)
        self.test.assertEqual(result["label"], label)
        self.test.assertEqual(result["completed"], completed)
        self.test.assertEqual(result["failed"], 0)
        self.test.assertEqual(sum(result["per_instance"].values()), completed)
        self.test.assertTrue(os.path.exists(os.path.join(result_dir, label + ".log")))
        return result

    def stop_all(self, pids):
        """Runs stop-all.sh, which must succeed, remove every PID file, end every process in
        `pids` and leave the registry's state file empty (every babysitter deregistered)."""
        self.run("stop-all.sh")
        self.test.assertEqual(self.pid_files(), {})
        svclib.wait_until(lambda: not any(alive(p) for p in pids), 15,
                          what="every process of the deployment to exit")
        with open(os.path.join(self.log_dir, "registry-state.json")) as f:
            self.test.assertEqual(json.load(f)["services"], [])

    def kill_leftovers(self):
        """After a failure half-way: SIGKILL whatever process of the deployment is still there
        (checked by command line, so a reused PID is left alone)."""
        for pid in self.seen_pids + list(self.pid_files().values()):
            if alive(pid) and "infini-" in cmdline(pid):
                os.kill(pid, signal.SIGKILL)


class CaseTestCase(svclib.ProcTestCase):
    """Tests of one case on one host. A subclass sets CASE (the directory under
    deployment/cases), SINGLES (port variables of one port) and PAIRS (port variables of a
    model server on P and its babysitter on P+1). setUp chooses the ports (self.ports; self.taken
    holds every port chosen), points LOG_DIR and RESULT_DIR into the temp dir and makes
    self.case, the runner; tearDown runs stop-all.sh and then kills what is left."""

    CASE = None
    SINGLES = ("REGISTRY_PORT", "ROUTER_PORT")
    PAIRS = ()

    def setUp(self):
        super().setUp()
        self.taken = set()
        self.ports = choose_ports(self.SINGLES, self.PAIRS, self.taken)
        self.result_dir = os.path.join(self.tmpdir, "results")
        env = case_env(os.path.join(self.tmpdir, "logs"), self.ports)
        env.update({"RESULT_DIR": self.result_dir, "CHART": "none"})
        self.case = CaseRunner(self, self.CASE, env["LOG_DIR"], env)

    def assert_validate_fails_when_nothing_runs(self):
        """validate.sh with no deployment running must exit 1, fail the registry's and the
        router's /health and pass nothing."""
        out = self.case.fails("validate.sh")
        self.assertIn("FAIL  registry /health", out)
        self.assertIn("FAIL  router /health", out)
        self.assertNotIn("PASS", out)

    def tearDown(self):
        # stop-all.sh, then SIGKILL whatever recorded process of ours is still there; then the
        # temp dir goes.
        try:
            self.case.run("stop-all.sh", check=False)
        finally:
            self.case.kill_leftovers()
            super().tearDown()
