"""Integration tests for infini-babysitter: the real binary supervising a real infini-mock (or a
/bin/sh script) and registering with a real infini-registry, all on 127.0.0.1.

Covers both registry records (reference shapes, compact JSON) and the heartbeat load; a killed
child (503 at once, the -server record unhealthy in the registry, restarts with growing delays,
healthy again); a hung child restarted after failed health probes; a backend that exits at once
(gives up after max_restarts, keeps serving 503); a registry restarted without state (records
back within two heartbeats); SIGTERM (records deleted, exit 0, nothing left of the child's
process group); a config syntax error and startup errors (exit 2); and an argument with a space
reaching the child as one argument. Every wait is bounded; processes are killed only by PID.
"""
import json
import os
import signal
import socket
import subprocess
import time
import unittest

import svclib
from svclib import alive

HEARTBEAT = 0.5


def free_pair():
    """A port P such that P and P+1 were both free a moment ago."""
    for _ in range(100):
        p = svclib.free_port()
        if p >= 65534:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 1))
            except OSError:
                continue
        return p
    raise AssertionError("no free port pair")


def toml_str(s):
    return json.dumps(s)  # JSON string escapes are valid TOML basic-string escapes


def toml_array(items):
    return "[" + ", ".join(toml_str(i) for i in items) + "]"


def read_text(path):
    """The file's content, or "" while it does not exist."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def group_members(pgid):
    """PIDs of live (non-zombie) processes whose process group is `pgid`."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(d))
    return found


class BabysitterTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        self.child_pids = []
        self.addCleanup(self._kill_children)

    def _kill_children(self):
        # Safety net when a test failed half-way: the recorded children only, by PID, and only
        # while they still are what we started.
        for pid in self.child_pids:
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"infini-mock" in cmd or b"/bin/sh" in cmd:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    # ------------------------------------------------------------ helpers

    def start_registry(self, name="registry", port=None):
        argv = [svclib.binary("infini-registry"), "--bind", "127.0.0.1", "--access-log", "off"]
        if port is not None:
            return self.start(name, argv + ["--port", str(port)], port_flag=None)
        return self.start(name, argv)

    def write_config(self, text, name="bs.toml"):
        path = os.path.join(self.tmpdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def mock_config(self, name, port, registry=None, babysitter="", extra=""):
        reg = ('registry_url = "http://127.0.0.1:%d"\n' % registry.port) if registry else ""
        return ('name = "%s"\nhost = "127.0.0.1"\nport = %d\n%s'
                "[babysitter]\nheartbeat_interval = %s\nhealth_interval = 0.3\n"
                "probe_timeout = 0.5\nrestart_delay = 0.2\nrestart_delay_max = 5\n"
                "stop_grace = 3\n%s"
                '[backend]\ntype = "mock"\nmodels = ["model-1"]\n%s'
                % (name, port, reg, HEARTBEAT, babysitter, extra))

    def start_babysitter(self, config_text, name="babysitter", args=()):
        path = self.write_config(config_text, name + ".toml")
        argv = [svclib.binary("infini-babysitter"), "--config-file", path, "--bind",
                "127.0.0.1"] + list(args)
        return self.start(name, argv, port_flag=None)

    def info(self, bs):
        r = bs.get("/info")
        self.assertEqual(r.status, 200)
        return r.json()

    def wait_ready(self, bs, timeout=15.0):
        svclib.wait_until(lambda: bs.get("/health").status == 200, timeout,
                          what="babysitter ready")
        pid = self.info(bs)["child_pid"]
        self.assertIsInstance(pid, int)
        self.child_pids.append(pid)
        return pid

    def record(self, reg, name):
        r = reg.get("/services/" + name)
        return r.json() if r.status == 200 else None

    # ------------------------------------------------------------ tests

    def test_records_health_info_and_models(self):
        reg = self.start_registry()
        p = free_pair()
        child_log = os.path.join(self.tmpdir, "child.log")
        bs = self.start_babysitter(self.mock_config(
            "bs-a", p, reg, babysitter="log_file = %s\n" % toml_str(child_log),
            extra='args = ["--kv-blocks", "300", "--block-size", "32"]\n'
                  '[metadata]\ncache_type = "paged"\ntype = "command"\n'))
        self.assertEqual(bs.port, p + 1)
        self.wait_ready(bs)
        svclib.wait_until(lambda: self.record(reg, "bs-a-server"), 5, what="-server record")
        text = reg.get("/services").text
        self.assertIn('"name":"bs-a-server"', text)
        self.assertIn('"name":"bs-a"', text)
        self.assertNotIn('": ', text)  # compact
        own = self.record(reg, "bs-a")
        self.assertEqual(own["port"], p + 1)
        self.assertEqual(own["host"], "127.0.0.1")
        self.assertEqual(own["hostname"], "127.0.0.1")
        self.assertEqual(own["url"], "http://127.0.0.1:%d" % (p + 1))
        self.assertEqual(own["status"], "running")
        self.assertEqual(own["metadata"], {"babysitter": "enhanced", "type": "mock"})
        srv = self.record(reg, "bs-a-server")
        self.assertEqual(srv["port"], p)
        self.assertEqual(srv["url"], "http://127.0.0.1:%d" % p)
        self.assertEqual(srv["status"], "running")
        self.assertTrue(srv["is_healthy"])
        meta = srv["metadata"]
        self.assertEqual(meta["type"], "openai-api")  # the TOML "command" was ignored
        self.assertEqual(meta["parent_service"], "bs-a")
        self.assertEqual(meta["babysitter"], "enhanced")
        self.assertEqual(meta["models"], ["model-1"])
        self.assertEqual([m["id"] for m in meta["models_list"]], ["model-1"])
        self.assertEqual(meta["cache_type"], "paged")
        self.assertIn("metadata.type: ignored", bs.log())
        # Heartbeats carry the load scraped from the mock's vLLM-style /metrics.
        load = svclib.wait_until(lambda: (self.record(reg, "bs-a-server") or {}).get("load"), 5,
                                 what="load in the -server record")
        self.assertEqual(set(load), {"block_size", "in_flight", "kv_capacity_tokens", "kv_usage",
                                     "running", "updated", "waiting"})
        self.assertEqual(load["in_flight"], load["running"] + load["waiting"])
        self.assertLessEqual(abs(load["updated"] - time.time()), 10)
        # The KV cache's size (vllm:cache_config_info: num_gpu_blocks x block_size) reaches the
        # registry's listing, which is what routers read.
        listed = [r for r in reg.get("/services").json()["services"] if r["name"] == "bs-a-server"]
        self.assertEqual((listed[0]["load"]["kv_capacity_tokens"], listed[0]["load"]["block_size"]),
                         (300 * 32, 32))
        # /health, /info, /models.
        h = bs.get("/health")
        self.assertEqual(h.status, 200)
        hj = h.json()
        self.assertEqual(set(hj), {"babysitter", "infinilm_server_port",
                                   "infinilm_server_running", "service", "status", "timestamp"})
        self.assertEqual((hj["babysitter"], hj["infinilm_server_port"], hj["service"],
                          hj["status"]), ("enhanced", p, "bs-a", "healthy"))
        self.assertIs(hj["infinilm_server_running"], True)
        self.assertIsInstance(hj["timestamp"], int)
        self.assertIn('"status":"healthy"', h.text)
        info = self.info(bs)
        for key in ("host", "infinilm_server_port", "name", "port", "restart_count",
                    "service_type", "uptime", "url", "child_pid", "last_exit_status",
                    "ready_since", "state"):
            self.assertIn(key, info)
        self.assertEqual((info["port"], info["service_type"], info["state"],
                          info["restart_count"]), (p + 1, "mock", "ready", 0))
        self.assertIsNone(info["last_exit_status"])
        self.assertIsInstance(info["ready_since"], int)
        models = bs.get("/models")
        self.assertEqual(models.status, 200)
        self.assertIn('"id":"model-1"', models.text)
        self.assertEqual(bs.get("/nope").status, 404)
        self.assertEqual(bs.post("/health", body="x").status, 405)
        metrics = bs.get("/metrics")
        self.assertIn("infini_babysitter_ready 1", metrics.text)
        # The child answers requests on P directly, with the configured identity.
        r = svclib.request(p, "GET", "/v1/models")
        self.assertEqual(r.status, 200)
        # Its output is in the babysitter's log with a prefix, and in log_file as it was.
        self.assertIn("[bs-a stderr]", bs.log())
        svclib.wait_until(lambda: "listening" in read_text(child_log), 5, what="log_file")
        self.assertNotIn("[bs-a", read_text(child_log))

    def test_registry_token(self):
        reg = self.start("registry", [svclib.binary("infini-registry"), "--bind", "127.0.0.1",
                                      "--access-log", "off", "--auth-token", "s3cret"])
        p = free_pair()
        bs = self.start_babysitter(self.mock_config("bs-n", p, reg), name="bs-notoken")
        self.wait_ready(bs)
        svclib.wait_until(lambda: "HTTP 401" in bs.log(), 5, what="401 from the registry")
        self.assertIsNone(self.record(reg, "bs-n"))
        bs.stop()
        p2 = free_pair()
        bs2 = self.start_babysitter(self.mock_config("bs-y", p2, reg), name="bs-token",
                                    args=["--registry-token", "s3cret"])
        self.wait_ready(bs2)
        svclib.wait_until(lambda: self.record(reg, "bs-y") and self.record(reg, "bs-y-server"),
                          5, what="records with the token")
        self.assertNotIn("s3cret", bs2.log())

    def test_killed_child_restarts_with_growing_delays(self):
        reg = self.start_registry()
        p = free_pair()
        bs = self.start_babysitter(self.mock_config("bs-k", p, reg))
        pid = self.wait_ready(bs)
        svclib.wait_until(lambda: (self.record(reg, "bs-k-server") or {}).get("is_healthy"), 5,
                          what="-server healthy")
        gaps = []
        for round_no in range(3):
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            h = svclib.wait_until(lambda: bs.get("/health").status == 503 and bs.get("/health"),
                                  1.0, interval=0.02, what="503 after the kill")
            self.assertIn(h.json()["status"], ("unhealthy", "starting"))
            self.assertIn("reason", h.json())
            if round_no == 0:
                svclib.wait_until(
                    lambda: (self.record(reg, "bs-k-server") or {}).get("is_healthy") is False,
                    2.0, interval=0.02, what="registry: -server not healthy")
                rec = self.record(reg, "bs-k-server")
                self.assertIn(rec["status"], ("unhealthy", "starting"))
                # Routers list healthy records only: this one is gone from that view.
                names = [s["name"] for s in reg.get("/services?healthy=true").json()["services"]]
                self.assertNotIn("bs-k-server", names)
            new_pid = svclib.wait_until(
                lambda: (self.info(bs)["child_pid"] not in (None, pid)
                         and self.info(bs)["child_pid"]), 10, interval=0.02,
                what="a new child")
            gaps.append(time.monotonic() - t0)
            self.child_pids.append(new_pid)
            self.assertFalse(alive(pid))
            pid = self.wait_ready(bs)
            self.assertEqual(self.info(bs)["restart_count"], round_no + 1)
        # restart_delay 0.2 doubling: at least 0.2, 0.4, 0.8 s, each longer than the last.
        for gap, least in zip(gaps, (0.2, 0.4, 0.8)):
            self.assertGreaterEqual(gap, least * 0.9, gaps)
        self.assertLess(gaps[0], gaps[1], gaps)
        self.assertLess(gaps[1], gaps[2], gaps)
        info = self.info(bs)
        self.assertEqual(info["last_exit_signal"], signal.SIGKILL)
        svclib.wait_until(lambda: (self.record(reg, "bs-k-server") or {}).get("is_healthy"), 5,
                          what="-server healthy again")

    def test_hung_child_is_restarted(self):
        p = free_pair()
        bs = self.start_babysitter(self.mock_config("bs-h", p))
        pid = self.wait_ready(bs)
        os.kill(pid, signal.SIGSTOP)
        # 3 probes x (0.5 s timeout + 0.3 s interval), then SIGTERM + SIGCONT and a restart.
        new_pid = svclib.wait_until(
            lambda: self.info(bs)["child_pid"] not in (None, pid) and self.info(bs)["child_pid"],
            15, what="restart of the hung child")
        self.child_pids.append(new_pid)
        self.wait_ready(bs)
        self.assertFalse(alive(pid))
        self.assertIn("infini_babysitter_unhealthy_restarts_total 1", bs.get("/metrics").text)
        self.assertIn("health probes failed in a row", bs.log())

    def test_backend_exiting_at_once_gives_up(self):
        reg = self.start_registry()
        p = free_pair()
        bs = self.start_babysitter(
            'name = "bs-x"\nhost = "127.0.0.1"\nport = %d\n'
            'registry_url = "http://127.0.0.1:%d"\n'
            "[babysitter]\nmax_restarts = 3\nrestart_delay = 0.05\nheartbeat_interval = %s\n"
            '[backend]\ncommand = "/bin/sh"\nargs = ["-c", "exit 3"]\n' % (p, reg.port, HEARTBEAT))
        info = svclib.wait_until(lambda: self.info(bs)["state"] == "failed" and self.info(bs),
                                 10, what="state failed")
        self.assertEqual(info["restart_count"], 3)
        self.assertEqual(info["last_exit_status"], 3)
        self.assertIsNone(info["child_pid"])
        self.assertEqual(info["service_type"], "command")
        time.sleep(0.3)
        self.assertEqual(self.info(bs)["restart_count"], 3)  # no fourth restart
        self.assertTrue(bs.alive())
        h = bs.get("/health")
        self.assertEqual(h.status, 503)
        self.assertEqual(h.json()["status"], "unhealthy")
        self.assertIn("gave up after 3 restarts", h.json()["reason"])
        self.assertEqual(bs.get("/models").status, 503)
        self.assertIn("infini_babysitter_gave_up 1", bs.get("/metrics").text)
        # The operator sees it in the registry too; no -server record was ever made.
        svclib.wait_until(lambda: (self.record(reg, "bs-x") or {}).get("status") == "unhealthy",
                          3, what="own record unhealthy")
        self.assertIsNone(self.record(reg, "bs-x-server"))

    def test_registry_restart_without_state(self):
        reg = self.start_registry()
        reg_port = reg.port
        p = free_pair()
        bs = self.start_babysitter(self.mock_config("bs-r", p, reg))
        self.wait_ready(bs)
        svclib.wait_until(lambda: self.record(reg, "bs-r-server"), 5, what="-server record")
        self.assertEqual(reg.stop(), 0)
        reg2 = self.start_registry("registry2", port=reg_port)
        t0 = time.monotonic()
        svclib.wait_until(lambda: self.record(reg2, "bs-r") and self.record(reg2, "bs-r-server"),
                          2 * HEARTBEAT + 1.5, interval=0.05, what="records back")
        took = time.monotonic() - t0
        self.assertLess(took, 2 * HEARTBEAT + 1.0)
        srv = self.record(reg2, "bs-r-server")
        self.assertEqual(srv["status"], "running")
        self.assertEqual(srv["metadata"]["models"], ["model-1"])
        self.assertIn("answered 404; registering again", bs.log())

    def test_sigterm_deregisters_and_stops_the_group(self):
        reg = self.start_registry()
        p = free_pair()
        bs = self.start_babysitter(self.mock_config("bs-t", p, reg))
        pid = self.wait_ready(bs)
        svclib.wait_until(lambda: self.record(reg, "bs-t-server"), 5, what="-server record")
        self.assertEqual(os.getpgid(pid), pid)  # the child leads its own process group
        self.assertNotEqual(os.getpgid(pid), os.getpgid(bs.pid))
        self.assertEqual(group_members(pid), [pid])
        bs.signal(signal.SIGTERM)
        self.assertEqual(bs.wait(10), 0)
        self.assertIsNone(self.record(reg, "bs-t"))
        self.assertIsNone(self.record(reg, "bs-t-server"))
        self.assertEqual(reg.get("/services").json()["total"], 0)
        svclib.wait_until(lambda: not alive(pid), 2, what="child gone")
        self.assertEqual(group_members(pid), [])
        self.assertIn("deregistered and child stopped", bs.log())

    def test_sigterm_kills_a_group_that_ignores_it(self):
        p = free_pair()
        pidfile = os.path.join(self.tmpdir, "grandchild.pid")
        script = "trap '' TERM; sleep 60 & echo $! > \"$0\"; while :; do sleep 0.1; done"
        bs = self.start_babysitter(
            'port = %d\n[babysitter]\nstop_grace = 0.5\n'
            '[backend]\ncommand = "/bin/sh"\nargs = %s\n' % (p, toml_array(["-c", script,
                                                                           pidfile])))
        svclib.wait_until(lambda: read_text(pidfile).strip(), 5, what="grandchild started")
        leader = self.info(bs)["child_pid"]
        grandchild = int(read_text(pidfile))
        self.child_pids += [leader, grandchild]
        self.assertEqual(os.getpgid(grandchild), leader)
        bs.signal(signal.SIGTERM)
        self.assertEqual(bs.wait(10), 0)
        svclib.wait_until(lambda: not alive(leader) and not alive(grandchild), 2,
                          what="group killed")
        self.assertEqual(group_members(leader), [])
        self.assertIn("SIGKILL", bs.log())

    def test_config_syntax_error_exits_2(self):
        path = self.write_config('port = 8100\n[backend]\ncommand = "/bin/true\n')
        r = subprocess.run([svclib.binary("infini-babysitter"), "--config-file", path],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("%s:3:" % path, r.stderr)
        self.assertRegex(r.stderr, r"%s:3:\d+: " % path)

    def test_startup_errors_exit_2(self):
        cases = [
            ('port = 8100\n[backend]\ncommand = "no-such-program-xyz"\n',
             "backend.command: 'no-such-program-xyz' not found on PATH"),
            ('port = 8100\n[backend]\ncommand = "/bin/true"\nwork_dir = "/nonexistent-dir"\n',
             "backend.work_dir: '/nonexistent-dir'"),
            ('port = 8100\n[babysitter]\nmax_restarts = -1\n[backend]\ncommand = "/bin/true"\n',
             ":3:16: babysitter.max_restarts: expected an integer"),
            ('port = 8100\n[backend]\ntype = "vllm"\n', "backend.model: required"),
            ('port = 8100\nbogus = 1\n[backend]\ncommand = "/bin/true"\n', "bogus: unknown key"),
        ]
        for i, (text, want) in enumerate(cases):
            path = self.write_config(text, "bad%d.toml" % i)
            argv = [svclib.binary("infini-babysitter"), "--config-file", path]
            if "bogus" in text:
                argv.append("--strict")
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(want, r.stderr)

    def test_argument_with_space_reaches_the_child_whole(self):
        p = free_pair()
        out = os.path.join(self.tmpdir, "argv.txt")
        script = 'printf "%s\\n" "$@" > "$0"; exec sleep 60'
        bs = self.start("babysitter", [
            svclib.binary("infini-babysitter"), "--port", str(p), "--bind", "127.0.0.1",
            "--command", "/bin/sh", "--args", toml_array(["-c", script, out, "a b", "c"])],
            port_flag=None)
        svclib.wait_until(lambda: read_text(out).endswith("\n"), 5, what="argv file")
        self.child_pids.append(self.info(bs)["child_pid"])
        self.assertEqual(read_text(out), "a b\nc\n")
        # A single --args value without '[' is one argument, spaces and all.
        bs.stop()
        out2 = os.path.join(self.tmpdir, "argv2.txt")
        path = self.write_config('port = %d\n[backend]\ncommand = "/bin/sh"\nargs = %s\n'
                                 % (p, toml_array(["-c", script, out2, "x"])), "one.toml")
        bs2 = self.start("babysitter2", [
            svclib.binary("infini-babysitter"), "--config-file", path, "--bind", "127.0.0.1",
            "--args", "-c"], port_flag=None)
        # --args replaced the file's array with the single argument "-c": sh then fails.
        svclib.wait_until(lambda: self.info(bs2)["last_exit_status"] is not None, 10,
                          what="sh exits for want of a script")
        self.assertFalse(os.path.exists(out2))

    # ------------------------------------------------------------ faults (issue #12)

    def test_health_turns_503_at_the_first_failed_probe(self):
        # A hung server keeps its connections open; routers must hear about it at the first
        # missed probe, long before unhealthy_after (20 here) restarts it.
        p = free_pair()
        bs = self.start_babysitter(self.mock_config("bs-503", p,
                                                    babysitter="unhealthy_after = 20\n"))
        pid = self.wait_ready(bs)
        os.kill(pid, signal.SIGSTOP)
        try:
            r = svclib.wait_until(lambda: (lambda r: r if r.status == 503 else None)(
                bs.get("/health")), 5, what="/health 503 after one failed probe")
            self.assertEqual(r.json()["status"], "unhealthy")
            self.assertIn("health probe failed (1 of 20", r.json()["reason"])
            self.assertEqual(self.info(bs)["child_pid"], pid)  # no restart
        finally:
            os.kill(pid, signal.SIGCONT)
        svclib.wait_until(lambda: bs.get("/health").status == 200, 5, what="healthy again")
        self.assertEqual(self.info(bs)["restart_count"], 0)

    def test_sigkilled_babysitter_takes_its_child_along(self):
        p = free_pair()
        state = os.path.join(self.tmpdir, "state")
        config = self.mock_config("bs-pdeath", p)
        bs = self.start_babysitter(config, args=["--state-dir", state])
        pid = self.wait_ready(bs)
        self.assertEqual(read_text(os.path.join(state, "server.pid")).split()[0], str(pid))
        bs.stop(sig=signal.SIGKILL)
        svclib.wait_until(lambda: not alive(pid), 5, what="the child dying with its babysitter")
        # The next babysitter on the same port starts a server instead of crash-looping on
        # "address already in use".
        bs2 = self.start_babysitter(config, name="babysitter2", args=["--state-dir", state])
        new_pid = self.wait_ready(bs2)
        self.assertNotEqual(new_pid, pid)
        self.assertEqual(self.info(bs2)["restart_count"], 0)
        bs2.stop()
        self.assertFalse(os.path.exists(state))  # a clean shutdown leaves nothing behind

    def test_leftover_server_is_stopped_before_a_new_launch(self):
        # A server orphaned by an older babysitter still holds port P; its PID file is in the
        # state directory. The new babysitter must stop it (it is ours: same start time) and
        # launch its own, rather than crash-loop on the port.
        p = free_pair()
        state = os.path.join(self.tmpdir, "state")
        os.makedirs(state, mode=0o700)
        orphan = self.start("orphan", [svclib.binary("infini-mock"), "--bind", "127.0.0.1",
                                       "--port", str(p), "--name", "orphan"], port_flag=None)
        svclib.wait_until(lambda: self._answers(p), 10, what="orphan listening")
        with open("/proc/%d/stat" % orphan.pid) as f:
            start_time = f.read().rsplit(")", 1)[1].split()[19]
        with open(os.path.join(state, "server.pid"), "w") as f:
            f.write("%d %s\n" % (orphan.pid, start_time))
        bs = self.start_babysitter(self.mock_config("bs-left", p), args=["--state-dir", state])
        pid = self.wait_ready(bs)
        self.assertNotEqual(pid, orphan.pid)
        self.assertEqual(orphan.wait(10), 0)  # SIGTERM: a clean exit
        self.assertIn("a model server started by a previous babysitter still runs", bs.log())
        self.assertEqual(self.info(bs)["restart_count"], 0)

    def test_pid_file_of_a_reused_pid_is_left_alone(self):
        # A PID file naming a process started at another time (a reused PID) must not get it
        # killed: here the PID of a live unrelated process with a wrong start time.
        p = free_pair()
        state = os.path.join(self.tmpdir, "state")
        os.makedirs(state, mode=0o700)
        bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
        self.addCleanup(lambda: (bystander.kill(), bystander.wait()))
        with open(os.path.join(state, "server.pid"), "w") as f:
            f.write("%d 1\n" % bystander.pid)
        bs = self.start_babysitter(self.mock_config("bs-reuse", p), args=["--state-dir", state])
        self.wait_ready(bs)
        self.assertIsNone(bystander.poll())
        self.assertNotIn("leftover", bs.log())

    def test_second_babysitter_on_a_state_dir_exits_2(self):
        p = free_pair()
        state = os.path.join(self.tmpdir, "state")
        bs = self.start_babysitter(self.mock_config("bs-lock", p), args=["--state-dir", state])
        self.wait_ready(bs)
        path = self.write_config(self.mock_config("bs-lock", p), "second.toml")
        r = subprocess.run([svclib.binary("infini-babysitter"), "--config-file", path,
                            "--bind", "127.0.0.1", "--state-dir", state],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("in use by another babysitter", r.stderr)

    def _answers(self, port):
        try:
            return svclib.request(port, "GET", "/health", timeout=1).status == 200
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()
