"""Integration tests for the integration-validation deployment case's scripts
(deployment/cases/integration-validation): server 1 (registry, router, babysitters A and B) and
server 2 (babysitters C and D registering with server 1), started with start-server1.sh and
start-server2.sh, checked with validate.sh and stopped with stop-all.sh, as a user runs them.

Two layouts: both servers on one host with every port moved through the environment (PORT_C and
PORT_D move server 2's babysitters; one LOG_DIR, so server 2 finds the registry token itself);
and each server in its own Linux network namespace with the reference's default ports, joined by
a bridge like two hosts, server 2 given server 1's token through INFINI_REGISTRY_TOKEN (needs
root and `ip netns`; skipped otherwise). Also: validate.sh failing while server 2 is missing,
and start-server2.sh refusing to start without server 1 or with the wrong token.
Processes are signalled only by the PIDs the scripts recorded; the namespaces, veths and bridge
are deleted even after a failure.
"""
import glob
import json
import os
import shutil
import signal
import subprocess

import svclib
from test_case_cache_type import fixed_port
from test_deployment_case import alive, cmdline
from test_multihost_netns import NetSetupError, ip, unused_subnet

CASE = os.path.join(svclib.ROOT, "deployment", "cases", "integration-validation")
SCRIPT_TIMEOUT = 120
NAMES = ["babysitter-%s%s" % (x, s) for x in "abcd" for s in ("", "-server")]


class CaseRunner:
    """Runs the case's scripts with one environment (one LOG_DIR: one host's view)."""

    def __init__(self, test, log_dir, env):
        self.test = test
        self.log_dir = log_dir
        self.env = env

    def run(self, name, *args, check=True, env=None, netns=None):
        full_env = dict(self.env)
        full_env.update(env or {})
        argv = [os.path.join(CASE, name)] + list(args)
        if netns is not None:
            argv = ["ip", "netns", "exec", netns] + argv
        proc = subprocess.run(argv, env=full_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=SCRIPT_TIMEOUT,
                              cwd=self.test.tmpdir)
        out = proc.stdout.decode("utf-8", "replace")
        if check and proc.returncode != 0:
            self.test.fail("%s exited %d:\n%s\n%s" % (name, proc.returncode, out, self.logs()))
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

    def kill_leftovers(self):
        """After a failure half-way: SIGKILL whatever recorded process of ours is left (checked
        by command line, so a reused PID is left alone)."""
        for pid in self.pid_files().values():
            if alive(pid) and "infini-" in cmdline(pid):
                os.kill(pid, signal.SIGKILL)


def base_env(log_dir):
    env = dict(os.environ)
    for k in ("MODEL1_DIR", "MODEL2_DIR", "INFINI_REGISTRY_TOKEN", "ROUTER_POLICY"):
        env.pop(k, None)
    env.update({"INFINI_BIN_DIR": svclib.BIN_DIR, "LOG_DIR": log_dir, "STOP_TIMEOUT": "15"})
    return env


def registry_records(host, port):
    r = svclib.request(port, "GET", "/services", host=host)
    return {s["name"]: s for s in r.json()["services"]}


def child_pids(host, ports):
    return [svclib.request(p + 1, "GET", "/info", host=host).json()["child_pid"] for p in ports]


class IntegrationCaseOneHostTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        taken = set()
        ports = {name: fixed_port(taken) for name in ("REGISTRY_PORT", "ROUTER_PORT")}
        for name in ("PORT_A", "PORT_B", "PORT_C", "PORT_D"):
            ports[name] = fixed_port(taken, 2)
        self.ports = ports
        env = base_env(os.path.join(self.tmpdir, "logs"))
        env.update({k: str(v) for k, v in ports.items()})
        self.case = CaseRunner(self, env["LOG_DIR"], env)

    def tearDown(self):
        try:
            self.case.run("stop-all.sh", check=False)
        finally:
            self.case.kill_leftovers()
            super().tearDown()

    def test_two_servers_on_one_host_pass_validate(self):
        _, out = self.case.run("start-server1.sh")
        self.assertIn("server 1 up", out)
        self.assertIn("registry token from %s/registry.token" % self.case.log_dir, out)
        # Server 1 alone: validate fails on server 2's parts and says so.
        rc, out = self.case.run("validate.sh", check=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL  registry lists babysitter-c and babysitter-c-server", out)
        self.assertIn("FAIL  4 requests for model-1 reach babysitter-a and babysitter-c", out)
        self.assertIn("PASS  chat completion for model-2", out)

        _, out = self.case.run("start-server2.sh", "127.0.0.1", "127.0.0.1")
        self.assertIn("server 1's router routes to 4 instances", out)
        pids = self.case.pid_files()
        self.assertEqual(sorted(pids), ["babysitter_a", "babysitter_b", "babysitter_c",
                                        "babysitter_d", "registry", "router"])
        p = self.ports
        pids = list(pids.values()) + child_pids(
            "127.0.0.1", [p["PORT_A"], p["PORT_B"], p["PORT_C"], p["PORT_D"]])
        for pid in pids[-4:]:
            self.assertIn("infini-mock", cmdline(pid))
        recs = registry_records("127.0.0.1", p["REGISTRY_PORT"])
        self.assertEqual(sorted(recs), sorted(NAMES))
        self.assertEqual(recs["babysitter-c-server"]["url"], "http://127.0.0.1:%d" % p["PORT_C"])
        self.assertEqual(recs["babysitter-d"]["url"], "http://127.0.0.1:%d" % (p["PORT_D"] + 1))

        _, out = self.case.run("validate.sh")
        self.assertIn("Summary: 16 passed, 0 failed", out)
        self.assertRegex(out, r'served by babysitter-[ac]-server: "Hello from mock-service-[ac] '
                              r'\(model: model-1\)"')
        self.assertIn("instances: babysitter-a-server x2, babysitter-c-server x2", out)
        self.assertIn("instances: babysitter-b-server x2, babysitter-d-server x2", out)

        self.case.run("stop-all.sh")
        self.assertEqual(self.case.pid_files(), {})
        svclib.wait_until(lambda: not any(alive(pid) for pid in pids), 15,
                          what="every process of both servers to exit")
        with open(os.path.join(self.case.log_dir, "registry-state.json")) as f:
            self.assertEqual(json.load(f)["services"], [])

    def test_server2_needs_server1_and_its_token(self):
        rc, out = self.case.run("start-server2.sh", "127.0.0.1", check=False)
        self.assertEqual(rc, 1, out)
        self.assertIn("Usage:", out)
        rc, out = self.case.run("start-server2.sh", "127.0.0.1", "127.0.0.1", check=False,
                                env={"INFINI_REGISTRY_TOKEN": "x"})
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot reach server 1's registry", out)
        self.case.run("start-server1.sh")
        rc, out = self.case.run("start-server2.sh", "127.0.0.1", "127.0.0.1", check=False,
                                env={"INFINI_REGISTRY_TOKEN": "not-the-token"})
        self.assertEqual(rc, 1, out)
        self.assertIn("refuses INFINI_REGISTRY_TOKEN (HTTP 401)", out)
        self.assertNotIn("babysitter_c", self.case.pid_files())


class IntegrationCaseNetnsTest(svclib.ProcTestCase):
    """Server 1 and server 2 in two network namespaces, with the reference's default ports."""

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("needs root for ip netns")
        if shutil.which("ip") is None:
            self.skipTest("needs iproute2 (ip)")
        self.tag = "c%d" % (os.getpid() % 100000)
        self.namespaces = []
        self.links = []
        self.servers = {}
        self.addCleanup(self._delete_network)
        try:
            self._build_network()
        except NetSetupError as e:
            self.skipTest("ip netns add failed: %s" % e)
        for role in ("server1", "server2"):
            log_dir = os.path.join(self.tmpdir, role, "logs")
            self.servers[role] = CaseRunner(self, log_dir, base_env(log_dir))

    def _build_network(self):
        prefix = unused_subnet(os.getpid() % 200 + 30)
        self.bridge = "ibr" + self.tag
        ip("link", "add", self.bridge, "type", "bridge")
        self.links.append(self.bridge)
        ip("addr", "add", prefix + "1/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        self.hosts = {}
        for idx, role in enumerate(("server1", "server2")):
            ns = "infini-%s-%s" % (role, self.tag)
            proc = subprocess.run(["ip", "netns", "add", ns], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=20)
            if proc.returncode != 0:
                raise NetSetupError(proc.stdout.decode().strip())
            self.namespaces.append(ns)
            host_side, ns_side = "iv%dh%s" % (idx, self.tag), "iv%dn%s" % (idx, self.tag)
            ip("link", "add", host_side, "type", "veth", "peer", "name", ns_side)
            self.links.append(host_side)
            ip("link", "set", ns_side, "netns", ns)
            ip("link", "set", host_side, "master", self.bridge)
            ip("link", "set", host_side, "up")
            address = prefix + str(idx + 2)
            ip("-n", ns, "addr", "add", address + "/24", "dev", ns_side)
            ip("-n", ns, "link", "set", ns_side, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            self.hosts[role] = (ns, address)

    def _delete_network(self):
        # Runs after tearDown stopped both servers; anything still in a namespace was started by
        # this test (the namespaces are this run's), so it is killed by PID first.
        for ns in self.namespaces:
            for pid in ip("netns", "pids", ns, check=False).split():
                if pid.isdigit():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            ip("netns", "del", ns, check=False)
        for link in reversed(self.links):
            if ip("link", "show", link, check=False).strip().startswith("Device"):
                continue  # gone with its peer's namespace
            ip("link", "del", link, check=False)

    def tearDown(self):
        try:
            for role in ("server2", "server1"):
                self.servers[role].run("stop-all.sh", check=False)
        finally:
            for runner in self.servers.values():
                runner.kill_leftovers()
            super().tearDown()

    def test_two_servers_in_two_namespaces_pass_validate(self):
        ns1, ip1 = self.hosts["server1"]
        ns2, ip2 = self.hosts["server2"]
        s1, s2 = self.servers["server1"], self.servers["server2"]
        _, out = s1.run("start-server1.sh", ip1, netns=ns1)
        self.assertIn("server 1 up: registry http://%s:18000" % ip1, out)
        with open(os.path.join(s1.log_dir, "registry.token")) as f:
            token = f.read().strip()
        # Server 2 has its own LOG_DIR, as on another host: without the token it cannot start.
        rc, out = s2.run("start-server2.sh", ip1, ip2, check=False, netns=ns2)
        self.assertEqual(rc, 1, out)
        self.assertIn("set INFINI_REGISTRY_TOKEN to server 1's registry token", out)
        _, out = s2.run("start-server2.sh", ip1, ip2, env={"INFINI_REGISTRY_TOKEN": token},
                        netns=ns2)
        self.assertIn("server 1's router routes to 4 instances", out)

        recs = registry_records(ip1, 18000)
        self.assertEqual(sorted(recs), sorted(NAMES))
        for x, host in (("a", ip1), ("b", ip1), ("c", ip2), ("d", ip2)):
            self.assertEqual(recs["babysitter-%s-server" % x]["host"], host)
        self.assertEqual(recs["babysitter-c-server"]["url"], "http://%s:8100" % ip2)
        self.assertEqual(recs["babysitter-d"]["url"], "http://%s:8201" % ip2)

        env = dict(os.environ, REGISTRY_PORT="18000", ROUTER_PORT="8000")
        proc = subprocess.run([os.path.join(CASE, "validate.sh"), ip1], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = proc.stdout.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 0, out)
        self.assertIn("Summary: 16 passed, 0 failed", out)
        self.assertIn("http://%s:8101" % ip2, out)  # C's babysitter, from its record

        # Server 2 stops first: its babysitters deregister from server 1's registry.
        s2.run("stop-all.sh")
        recs = registry_records(ip1, 18000)
        self.assertEqual(sorted(recs), sorted(n for n in NAMES if n[11] in "ab"))
        s1.run("stop-all.sh")
        for ns, _ in self.hosts.values():
            self.assertEqual(ip("netns", "pids", ns).split(), [], "processes left in " + ns)
