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
import os
import subprocess

import caselib
import netnslib
import svclib

CASE = "integration-validation"
NAMES = ["babysitter-%s%s" % (x, s) for x in "abcd" for s in ("", "-server")]


def registry_records(host, port):
    r = svclib.request(port, "GET", "/services", host=host)
    return {s["name"]: s for s in r.json()["services"]}


class IntegrationCaseOneHostTest(caselib.CaseTestCase):
    CASE = CASE
    PAIRS = ("PORT_A", "PORT_B", "PORT_C", "PORT_D")

    def test_two_servers_on_one_host_pass_validate(self):
        _, out = self.case.run("start-server1.sh")
        self.assertIn("server 1 up", out)
        self.assertIn("registry token from %s/registry.token" % self.case.log_dir, out)
        # Server 1 alone: validate fails on server 2's parts and says so.
        out = self.case.fails("validate.sh")
        self.assertIn("FAIL  registry lists babysitter-c and babysitter-c-server", out)
        self.assertIn("FAIL  4 requests for model-1 reach babysitter-a and babysitter-c", out)
        self.assertIn("PASS  chat completion for model-2", out)

        p = self.ports
        out, pids, children = self.case.start(
            "start-server2.sh", ["babysitter_a", "babysitter_b", "babysitter_c", "babysitter_d",
                                 "registry", "router"],
            [p["PORT_A"], p["PORT_B"], p["PORT_C"], p["PORT_D"]], "127.0.0.1", "127.0.0.1")
        self.assertIn("server 1's router routes to 4 instances", out)
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

        self.case.stop_all(list(pids.values()) + children)

    def test_server2_needs_server1_and_its_token(self):
        out = self.case.fails("start-server2.sh", "127.0.0.1")
        self.assertIn("Usage:", out)
        out = self.case.fails("start-server2.sh", "127.0.0.1", "127.0.0.1",
                              env={"INFINI_REGISTRY_TOKEN": "x"})
        self.assertIn("cannot reach server 1's registry", out)
        self.case.run("start-server1.sh")
        out = self.case.fails("start-server2.sh", "127.0.0.1", "127.0.0.1",
                              env={"INFINI_REGISTRY_TOKEN": "not-the-token"})
        self.assertIn("refuses INFINI_REGISTRY_TOKEN (HTTP 401)", out)
        self.assertNotIn("babysitter_c", self.case.pid_files())


class IntegrationCaseNetnsTest(svclib.ProcTestCase):
    """Server 1 and server 2 in two network namespaces, with the reference's default ports."""

    def setUp(self):
        super().setUp()
        self.hosts = netnslib.setup(self, "c%d" % (os.getpid() % 100000),
                                    ("server1", "server2"), os.getpid() % 200 + 30).hosts
        self.servers = {}
        for role in ("server1", "server2"):
            log_dir = os.path.join(self.tmpdir, role, "logs")
            self.servers[role] = caselib.CaseRunner(self, CASE, log_dir, caselib.case_env(log_dir))

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
        out = s2.fails("start-server2.sh", ip1, ip2, netns=ns2)
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
        proc = subprocess.run([os.path.join(s1.dir, "validate.sh"), ip1], env=env,
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
            self.assertEqual(netnslib.ip("netns", "pids", ns).split(), [],
                             "processes left in " + ns)
