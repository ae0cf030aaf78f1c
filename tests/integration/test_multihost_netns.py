"""Multi-host integration test with Linux network namespaces: the docker compose layout
(deployment/docker/compose.yml) without docker. Three namespaces stand for three hosts: control
(registry + router) and two workers (one babysitter with an infini-mock model server each),
joined by veth pairs to a bridge in the root namespace, which also has an address so this
process reaches every host. Each host is started by deployment/docker/entrypoint.sh with
LAUNCH_COMPONENTS, REGISTRY_URL and BABYSITTER_HOST, exactly as the containers are, using the
case's own mock configs and default ports (each namespace has its own ports). Then the case's
validate.sh runs against the control address and must pass, the records must carry the workers'
addresses, registry writes must need the token every host shares (as compose.yml passes it), and
SIGTERM to each entrypoint must stop its host cleanly (workers deregister).

Needs root and `ip netns`; skipped otherwise. Names are unique per run (suffixed with this
process's PID) and the /24 is one no interface or route uses. Processes are stopped by PID, and
the namespaces, veths and bridge are deleted even after a failure.
"""
import os
import subprocess

import netnslib
import svclib

ENTRYPOINT = os.path.join(svclib.ROOT, "deployment", "docker", "entrypoint.sh")
VALIDATE = os.path.join(svclib.ROOT, "deployment", "cases", "cache-routing-validation",
                        "validate.sh")
REGISTRY_PORT = 18000
ROUTER_PORT = 8000
MASTER_PORT = 8100
SLAVE_PORT = 8200
TOKEN = "netns-test-token-%d" % os.getpid()


class MultiHostNetnsTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        self.hosts = netnslib.setup(self, str(os.getpid()), ("control", "worker1", "worker2"),
                                    os.getpid() % 200 + 20).hosts

    # ------------------------------------------------------------ hosts

    def start_host(self, role, components, **env):
        ns, address = self.hosts[role]
        full = {"INFINI_BIN_DIR": svclib.BIN_DIR, "LAUNCH_COMPONENTS": components,
                "REGISTRY_PORT": str(REGISTRY_PORT), "ROUTER_PORT": str(ROUTER_PORT),
                "READY_TIMEOUT": "30", "STOP_TIMEOUT": "15",
                "INFINI_REGISTRY_TOKEN": TOKEN}  # as compose.yml passes it to every host
        full.update(env)
        argv = ["ip", "netns", "exec", ns, ENTRYPOINT]
        host = self.start(role, argv, env=full, want_port=False)
        svclib.wait_until(lambda: self._ready(host), 40, interval=0.1,
                          what="%s entrypoint ready" % role)
        return host

    @staticmethod
    def _ready(host):
        if not host.alive():
            raise AssertionError("%s entrypoint exited (%s):\n%s"
                                 % (host.name, host.popen.returncode, host.log()))
        return "[entrypoint] all components ready" in host.log()

    def router_healthy(self, control):
        r = svclib.request(ROUTER_PORT, "GET", "/health", host=control)
        return r.status == 200 and r.json()["healthy_services"].startswith("2/")

    def records(self, control):
        r = svclib.request(REGISTRY_PORT, "GET", "/services", host=control)
        self.assertEqual(r.status, 200)
        return {s["name"]: s for s in r.json()["services"]}

    # ------------------------------------------------------------ test

    def test_control_and_two_workers_pass_validate(self):
        _, control = self.hosts["control"]
        _, w1 = self.hosts["worker1"]
        _, w2 = self.hosts["worker2"]
        registry_url = "http://%s:%d" % (control, REGISTRY_PORT)
        ctl = self.start_host("control", "registry,router")
        worker1 = self.start_host("worker1", "babysitter", REGISTRY_URL=registry_url,
                                  BABYSITTER_HOST=w1, BABYSITTER_CONFIGS="master-mock.toml")
        worker2 = self.start_host("worker2", "babysitter", REGISTRY_URL=registry_url,
                                  BABYSITTER_HOST=w2, BABYSITTER_CONFIGS="slave-mock.toml")
        svclib.wait_until(lambda: self.router_healthy(control), 20, interval=0.2,
                          what="the router to route to both workers")

        # Writes need the shared token.
        r = svclib.request(REGISTRY_PORT, "DELETE", "/services/master-9g_8b_thinking",
                           host=control)
        self.assertEqual(r.status, 401)
        recs = self.records(control)
        for name, address, port in (("master-9g_8b_thinking", w1, MASTER_PORT),
                                    ("slave-9g_8b_thinking", w2, SLAVE_PORT)):
            server = recs[name + "-server"]
            self.assertEqual(server["host"], address)
            self.assertEqual(server["url"], "http://%s:%d" % (address, port))
            self.assertEqual(server["metadata"]["models"], ["9g_8b_thinking"])
            self.assertEqual(recs[name]["url"], "http://%s:%d" % (address, port + 1))

        env = dict(os.environ, REGISTRY_PORT=str(REGISTRY_PORT), ROUTER_PORT=str(ROUTER_PORT),
                   MASTER_PORT=str(MASTER_PORT), SLAVE_PORT=str(SLAVE_PORT), MASTER_HOST=w1,
                   SLAVE_HOST=w2, SINGLE_INSTANCE="false", LOG_DIR=self.tmpdir)
        proc = subprocess.run([VALIDATE, control], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        out = proc.stdout.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 0, out)
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertIn("master-9g_8b_thinking-server x5, slave-9g_8b_thinking-server x5", out)

        # SIGTERM to a worker's entrypoint: its babysitter deregisters, the host stops, exit 0.
        self.assertEqual(worker2.stop(timeout=20), 0, worker2.log())
        self.assertIn("[entrypoint] stopped", worker2.log())
        recs = self.records(control)
        self.assertNotIn("slave-9g_8b_thinking-server", recs)
        self.assertNotIn("slave-9g_8b_thinking", recs)
        self.assertIn("master-9g_8b_thinking-server", recs)
        self.assertEqual(worker1.stop(timeout=20), 0, worker1.log())
        self.assertEqual(ctl.stop(timeout=20), 0, ctl.log())
        for ns, _ in self.hosts.values():
            self.assertEqual(netnslib.ip("netns", "pids", ns).split(), [],
                             "processes left in " + ns)
