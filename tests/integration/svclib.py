"""Integration-test support: start the real binaries on 127.0.0.1 with OS-chosen ports, talk
HTTP to them, and stop them by recorded PID. Python 3 standard library only.

Every daemon accepts `--bind 127.0.0.1 --port 0 --port-file PATH`: it writes the bound port to
PATH once it listens. Binaries are found in $INFINI_BIN_DIR (set by CTest) or build/dev.

Every process a test starts must end cleanly: ProcTestCase's teardown stops what still runs and
fails the test when a daemon did not exit 0 after SIGTERM (or by the signal the test killed it
with), died on its own with a non-zero status the test did not check, or wrote a sanitizer
report (AddressSanitizer, LeakSanitizer, UBSan "runtime error:") into its log, its children's
output included (the babysitter copies it there).

HttpServer (with QuietHandler) runs a small Python HTTP server in a thread, for a model server
or probe target whose answers the test controls.
"""
import http.client
import http.server
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

# Lines a sanitizer writes; any of them in a daemon's log fails the test.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.environ.get("INFINI_BIN_DIR", os.path.join(ROOT, "build", "dev"))


def binary(name):
    """Absolute path of a built binary (searched in BIN_DIR and its subdirectories)."""
    for sub in ("", "registry", "router", "babysitter", "tools/mock", "tools/bench"):
        path = os.path.join(BIN_DIR, sub, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError("binary %s not found under %s" % (name, BIN_DIR))


def free_port():
    """A port that was free a moment ago (for daemons that must know their port up front,
    e.g. a babysitter whose model server listens on P and itself on P+1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixed_port(taken, span=1):
    """A port P such that P .. P+span-1 were free a moment ago and none is in `taken` (which
    gains them), for a daemon that must be told its port and binds it seconds later (a
    deployment case's scripts, a babysitter's model server). Chosen below the ephemeral range
    (/proc/sys/net/ipv4/ip_local_port_range's low end) and checked free on every address:
    an ephemeral choice, as free_port() makes, can be taken in between by an outgoing
    connection (the router's KV event subscriptions, probes, registrations take ephemeral
    local ports); a port below that range is taken neither that way nor by a --port 0 bind."""
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


def alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def cmdline(pid):
    """The command line of `pid`, arguments joined by spaces ("" once it is gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict with lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def request(port, method, path, body=None, headers=None, timeout=10.0, host="127.0.0.1"):
    """One HTTP request on a fresh connection. `body` may be bytes, str or a JSON-able object
    (then Content-Type: application/json is set)."""
    hdrs = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler for HttpServer that logs nothing and answers with reply()."""

    def reply(self, status, body, ctype="application/json"):
        """Answers with `status`, `body` (bytes) and its Content-Type and Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class HttpServer:
    """A Python HTTP server on 127.0.0.1 with an OS-chosen port (self.port), serving `handler`
    (a BaseHTTPRequestHandler class) from a daemon thread, a thread per request, until
    close(): a stand-in for a model server or a probe target that the test controls."""

    def __init__(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Proc:
    """A daemon started with an OS-chosen port. Its stdout/stderr go to <tmpdir>/<name>.log."""

    def __init__(self, tmpdir, name, argv, env=None, port_flag="--port", want_port=True,
                 start_timeout=15.0):
        self.name = name
        self.log_path = os.path.join(tmpdir, name + ".log")
        self.port_file = os.path.join(tmpdir, name + ".port")
        self.port = None
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        full = list(argv)
        if want_port:
            if port_flag is not None:
                full += [port_flag, "0"]
            full += ["--port-file", self.port_file]
        merged = dict(os.environ)
        merged.update(env or {})
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(full, stdout=self._log, stderr=subprocess.STDOUT,
                                      env=merged, start_new_session=True)
        self.pid = self.popen.pid
        self.expected_exit = None  # the exit status the way the test ended it calls for
        self.exit_checked = False  # the test read the exit status itself (wait())
        self.forced = False        # stop() had to SIGKILL it
        if want_port:
            self.port = wait_until(self._read_port, start_timeout, what=name + " port file")

    def _read_port(self):
        if self.popen.poll() is not None:
            raise AssertionError("%s exited with %s during startup:\n%s"
                                 % (self.name, self.popen.returncode, self.log()))
        try:
            with open(self.port_file) as f:
                text = f.read().strip()
            return int(text) if text else None
        except (FileNotFoundError, ValueError):
            return None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.popen.poll() is None

    def _expect(self, sig):
        if sig in (signal.SIGTERM, signal.SIGINT):
            self.expected_exit = 0
        elif sig == signal.SIGKILL:
            self.expected_exit = -signal.SIGKILL

    def signal(self, sig):
        if self.alive():
            self._expect(sig)
            os.kill(self.pid, sig)

    def wait(self, timeout):
        """Waits for exit; returns the exit code or None on timeout. The caller then owns the
        check of the code (teardown only looks for sanitizer reports)."""
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.exit_checked = True
        return rc

    def stop(self, sig=None, timeout=10.0):
        """Signals the process (SIGTERM by default), waits, then SIGKILLs it (by PID) if it is
        still there."""
        if sig is None:  # not a default argument: in the class body `signal` is the method
            sig = signal.SIGTERM
        if self.alive():
            self._expect(sig)
            os.kill(self.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.forced = True
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        if not self._log.closed:
            self._log.close()
        return self.popen.returncode

    def exit_problem(self):
        """Why this (stopped) process did not end cleanly, or None."""
        rc = self.popen.returncode
        if self.forced:
            return "%s did not exit within the stop timeout (SIGKILLed)" % self.name
        if rc is not None and not self.exit_checked:
            want = self.expected_exit if self.expected_exit is not None else 0
            if rc != want:
                how = ("died on its own" if self.expected_exit is None
                       else "was stopped")
                return "%s %s with status %s (expected %s)" % (self.name, how, rc, want)
        text = self.log()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                return "%s: sanitizer report in its log (%r)" % (self.name, marker)
        return None

    def get(self, path, **kw):
        return request(self.port, "GET", path, **kw)

    def post(self, path, body=None, **kw):
        return request(self.port, "POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return request(self.port, "PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return request(self.port, "DELETE", path, **kw)


class ProcTestCase(unittest.TestCase):
    """Gives each test a temp dir and stops every process it started, dumping their logs when
    the test failed."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="infini-it-")
        self.tmpdir = self._tmp.name
        self.procs = []

    def start(self, name, argv, **kw):
        p = Proc(self.tmpdir, name, argv, **kw)
        self.procs.append(p)
        return p

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        errors = getattr(outcome, "errors", None)
        if errors:  # Python < 3.11
            return any(exc for _, exc in errors)
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        return any(t is self for t, _ in list(result.failures) + list(result.errors))

    def tearDown(self):
        failed = self._failed()
        for p in reversed(self.procs):
            p.stop()
        problems = [msg for msg in (p.exit_problem() for p in self.procs) if msg]
        if failed or problems or os.environ.get("INFINI_IT_VERBOSE"):
            for p in self.procs:
                print("\n----- %s log -----\n%s" % (p.name, p.log()[-6000:]))
        self._tmp.cleanup()
        if problems and not failed:
            raise AssertionError("unclean exit: " + "; ".join(problems))
