"""Integration tests of the install step and the Debian package (cmake/packaging.cmake).

`cmake --install <build> --prefix <tmp>/usr` must lay out the five binaries, the docs, the
example configs, the observability files and the systemd units (their ExecStart rewritten to
<tmp>/usr/bin); each installed binary answers --help; a registry, a router and a babysitter
with a mock model server (the installed example config), all started from the installed paths
only (PATH holds nothing of the build tree, so the babysitter must find infini-mock beside
itself), serve a chat request through the router. The units pass `systemd-analyze verify` without a warning. When cpack and dpkg-deb
exist, `cpack -G DEB` builds infini-svc_<version>_<arch>.deb, whose Depends names the libraries
the daemons link, and the same checks run from the package extracted with `dpkg-deb -x` into a
scratch root. Every wait is bounded; processes are stopped by PID.
"""
import glob
import os
import shutil
import subprocess
import unittest

import svclib

BINARIES = ("infini-registry", "infini-router", "infini-babysitter", "infini-mock",
            "infini-bench")
UNITS = ("infini-registry.service", "infini-router.service", "infini-babysitter@.service")
# The shared libraries the daemons link, by Debian package (the .deb's Depends must name them).
RUNTIME_PACKAGES = ("libuv1", "libllhttp9.2", "libcjson1", "libzmq5")
TOOL_TIMEOUT = 240


def run(argv, timeout=TOOL_TIMEOUT, env=None):
    """Runs a tool; returns (exit code, combined output)."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, env=env)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


class InstallTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.isfile(os.path.join(svclib.BIN_DIR, "cmake_install.cmake")):
            self.skipTest("INFINI_BIN_DIR=%s is not a CMake build tree" % svclib.BIN_DIR)
        self.cmake = shutil.which("cmake")
        if self.cmake is None:
            self.skipTest("cmake is not on PATH")

    # ------------------------------------------------------------ helpers

    def install(self):
        """`cmake --install` into <tmp>/usr; returns the prefix."""
        prefix = os.path.join(self.tmpdir, "usr")
        rc, out = run([self.cmake, "--install", svclib.BIN_DIR, "--prefix", prefix])
        self.assertEqual(rc, 0, out)
        return prefix

    def check_layout(self, prefix, bindir):
        """The files of the layout exist; the units start the binaries under `bindir`."""
        for name in BINARIES:
            self.assertTrue(os.access(os.path.join(prefix, "bin", name), os.X_OK), name)
        doc = os.path.join(prefix, "share", "doc", "infini-svc")
        for name in ("README.md", "config.md", "operations.md", "http-api.md",
                     "examples/master-mock.toml", "examples/registry.env.example"):
            self.assertTrue(os.path.isfile(os.path.join(doc, name)), name)
        obs = os.path.join(prefix, "share", "infini-svc", "observability")
        for name in ("prometheus.yml", "rules.yml", "grafana-dashboard.json"):
            self.assertTrue(os.path.isfile(os.path.join(obs, name)), name)
        for unit in UNITS:
            with open(os.path.join(prefix, "lib", "systemd", "system", unit)) as f:
                text = f.read()
            exec_start = [l for l in text.splitlines() if l.startswith("ExecStart=")]
            self.assertEqual(len(exec_start), 1, unit)
            self.assertTrue(exec_start[0].startswith("ExecStart=%s/infini-" % bindir),
                            exec_start[0])

    def check_help(self, bindir):
        for name in BINARIES:
            rc, out = run([os.path.join(bindir, name), "--help"], timeout=30)
            self.assertEqual(rc, 0, "%s --help: %s" % (name, out))
            self.assertIn("Usage", out, name)

    def deploy(self, bindir, tag):
        """Registry, router and a babysitter with a mock server (the installed example config),
        from `bindir` only; one chat request through the router."""
        env = {"PATH": bindir + ":/usr/bin:/bin"}
        registry = self.start(tag + "-registry", [
            os.path.join(bindir, "infini-registry"), "--bind", "127.0.0.1",
            "--access-log", "off"], env=env)
        router = self.start(tag + "-router", [
            os.path.join(bindir, "infini-router"), "--bind", "127.0.0.1", "--access-log", "off",
            "--registry-url", "http://127.0.0.1:%d" % registry.port,
            "--registry-sync-interval", "0.2", "--health-interval", "0.5"],
            port_flag="--router-port", env=env)
        # The installed example config, with this test's name, ports and registry.
        example = os.path.join(os.path.dirname(bindir), "share", "doc", "infini-svc",
                               "examples", "master-mock.toml")
        port = svclib.fixed_port(set(), 2)  # the model server on P, the babysitter on P+1
        babysitter = self.start(tag + "-babysitter", [
            os.path.join(bindir, "infini-babysitter"), "--config-file", example,
            "--name", tag + "-mock", "--port", str(port), "--host", "127.0.0.1",
            "--registry-url", "http://127.0.0.1:%d" % registry.port, "--bind", "127.0.0.1",
            "--state-dir", os.path.join(self.tmpdir, tag + "-state")], port_flag=None, env=env)
        babysitter.port = port + 1
        svclib.wait_until(lambda: svclib.request(port + 1, "GET", "/health").status == 200, 30,
                          what="the babysitter's model server to be ready")
        child = svclib.request(port + 1, "GET", "/info").json()["child_pid"]
        self.assertEqual(os.readlink("/proc/%d/exe" % child),
                         os.path.join(bindir, "infini-mock"))

        def routed():
            r = svclib.request(router.port, "POST", "/v1/chat/completions", body={
                "model": "9g_8b_thinking", "max_tokens": 2,  # the example's model
                "messages": [{"role": "user", "content": "hello"}]})
            return r if r.status == 200 else None

        r = svclib.wait_until(routed, 30, interval=0.2, what="a 200 through the router")
        self.assertEqual(r.headers.get("x-infini-instance"), tag + "-mock-server")
        self.assertEqual(r.json()["object"], "chat.completion")
        for p in (babysitter, router, registry):
            self.assertEqual(p.stop(timeout=20), 0, p.name)

    # ------------------------------------------------------------ tests

    def test_cmake_install_runs_from_its_prefix(self):
        prefix = self.install()
        bindir = os.path.join(prefix, "bin")
        self.check_layout(prefix, bindir)
        self.check_help(bindir)
        self.deploy(bindir, "tree")

    def test_units_pass_systemd_analyze_verify(self):
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.skipTest("systemd-analyze is missing (Debian package systemd)")
        units = os.path.join(self.install(), "lib", "systemd", "system")
        # A template is verified as an instance of itself.
        instance = os.path.join(self.tmpdir, "infini-babysitter@demo.service")
        shutil.copy(os.path.join(units, "infini-babysitter@.service"), instance)
        paths = [os.path.join(units, u) for u in UNITS] + [instance]
        rc, out = run([tool, "verify", "--man=no"] + paths, timeout=60)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.strip(), "", "systemd-analyze verify warned:\n" + out)

    def test_deb_declares_dependencies_and_runs(self):
        cpack = shutil.which("cpack")
        if cpack is None or shutil.which("dpkg-deb") is None:
            self.skipTest("cpack or dpkg-deb is missing")
        out_dir = os.path.join(self.tmpdir, "pkg")
        rc, out = run([cpack, "--config", os.path.join(svclib.BIN_DIR, "CPackConfig.cmake"),
                       "-G", "DEB", "-B", out_dir])
        self.assertEqual(rc, 0, out)
        debs = glob.glob(os.path.join(out_dir, "infini-svc_*.deb"))
        self.assertEqual(len(debs), 1, out)
        rc, depends = run(["dpkg-deb", "-f", debs[0], "Depends"], timeout=30)
        self.assertEqual(rc, 0, depends)
        names = {d.strip().split(" ")[0] for d in depends.split(",")}
        for pkg in RUNTIME_PACKAGES:
            self.assertIn(pkg, names, "Depends: " + depends)
        root = os.path.join(self.tmpdir, "root")
        rc, out = run(["dpkg-deb", "-x", debs[0], root], timeout=60)
        self.assertEqual(rc, 0, out)
        prefix = os.path.join(root, "usr")
        self.check_layout(prefix, "/usr/bin")
        bindir = os.path.join(prefix, "bin")
        self.check_help(bindir)
        self.deploy(bindir, "deb")


if __name__ == "__main__":
    unittest.main()
