"""Integration tests for common/http_server against hostile clients (issue #12, items 5, 6, 8 and
14), with the real daemons on 127.0.0.1.

Covers: a connection that never sends a byte is closed at the header timeout, counted from
accept; a body trickling in (1 byte at a time, never a long pause) ends in 408; at the
connection cap the oldest idle connection makes room, so a new client is served; with 10,100
idle and 1,000 slow-body connections open, GET /health from a new client is answered on every
daemon (registry, router, babysitter, mock); request bodies beyond the buffered-body budget get
503 with Retry-After before their body is read, Content-Length and chunked alike; absolute-form
and HTTP/0.9 request lines get 400 on every daemon; and each rejection the server makes itself
(400, 408, 413, 431, 503), and the registry's 401, gets one access-log line.
"""
import json
import os
import resource
import socket
import struct
import time
import unittest

import routerlib
import svclib
import test_babysitter as tb

IDLE = 10100
SLOW = 1000


def raw(port, data, timeout=5.0):
    """Sends `data` on a fresh connection and returns everything received until the server
    closes (or `timeout`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return read_all(s, timeout)


def read_all(s, timeout):
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


def status_of(response):
    """The status code of a raw HTTP response, or None."""
    if not response.startswith(b"HTTP/1.1 "):
        return None
    return int(response[9:12])


def abortive_close(s):
    """Closes with RST: thousands of sockets leave no TIME_WAIT behind."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def need_fds(n):
    """Raises the soft open-file limit to cover `n` sockets, or skips the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 200:
        raise unittest.SkipTest("needs %d open files; the hard limit is %d (raise it with "
                                "ulimit -Hn)" % (n + 200, hard))
    if soft != resource.RLIM_INFINITY and soft < n + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def timed_health(port, timeout=10.0):
    """(status, seconds) of GET /health from a new client; status None when refused."""
    t0 = time.monotonic()
    try:
        r = svclib.request(port, "GET", "/health", timeout=timeout)
        return r.status, time.monotonic() - t0
    except OSError:
        return None, time.monotonic() - t0


class HostileClientsTest(svclib.ProcTestCase):
    def setUp(self):
        super().setUp()
        self.socks = []
        self.addCleanup(self._close_socks)

    def _close_socks(self):
        for s in self.socks:
            abortive_close(s)
        self.socks = []

    def registry(self, *flags, name="registry"):
        access = os.path.join(self.tmpdir, name + "-access.log")
        argv = [svclib.binary("infini-registry"), "--bind", "127.0.0.1",
                "--access-log", access] + list(flags)
        proc = self.start(name, argv)
        proc.access = access
        return proc

    def access_lines(self, proc):
        return tb.read_text(proc.access).splitlines()

    def connect_idle(self, port, n):
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            self.socks.append(s)

    def connect_slow_body(self, port, n, path="/services"):
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 100000\r\n\r\n{" % path).encode()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(head)
            self.socks.append(s)

    # ------------------------------------------------------------ timeouts

    def test_silent_connection_is_closed_at_the_header_timeout(self):
        reg = self.registry("--header-timeout", "1")
        with socket.create_connection(("127.0.0.1", reg.port), timeout=10) as s:
            t0 = time.monotonic()
            s.settimeout(8)
            try:
                data = s.recv(100)  # nothing is sent: the server closes
            except ConnectionResetError:
                data = b""
            elapsed = time.monotonic() - t0
        self.assertEqual(data, b"")
        self.assertLess(elapsed, 6, "closed after %.1fs, not at the 1 s header timeout" % elapsed)

    def test_trickling_body_gets_408(self):
        # One byte every 0.2 s: no pause ever reaches --body-timeout, but the body falls behind
        # the minimum rate and must end about one body timeout after its headers.
        reg = self.registry("--body-timeout", "1")
        with socket.create_connection(("127.0.0.1", reg.port), timeout=10) as s:
            s.sendall(b"POST /services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n")
            t0 = time.monotonic()
            s.setblocking(False)
            got = b""
            while time.monotonic() - t0 < 8 and not got:
                try:
                    s.send(b" ")
                except OSError:
                    break
                time.sleep(0.2)
                try:
                    got = s.recv(4096)
                except BlockingIOError:
                    pass
                except OSError:
                    break
            s.setblocking(True)
            got += read_all(s, 2)
        self.assertEqual(status_of(got), 408, got[:200])
        svclib.wait_until(lambda: any(" 408 " in l for l in self.access_lines(reg)), 5,
                          what="408 in the access log")

    # ------------------------------------------------------------ the connection cap

    def test_oldest_idle_connections_make_room_at_the_cap(self):
        reg = self.registry("--max-connections", "50")
        self.connect_idle(reg.port, 60)
        self.connect_slow_body(reg.port, 10)
        status, secs = timed_health(reg.port, timeout=5)
        self.assertEqual(status, 200, "a new client was locked out at the connection cap")
        # The oldest idle connections were the ones closed.
        first = self.socks[0]
        first.settimeout(2)
        try:
            self.assertEqual(first.recv(10), b"")
        except ConnectionResetError:
            pass

    def test_flood_of_idle_and_slow_connections_on_every_daemon(self):
        need_fds(IDLE + SLOW + 100)
        results = {}
        mock = routerlib.start_mock(self, "mock-flood")
        results["mock"] = self.flood(mock.port, "/v1/chat/completions")
        reg = self.registry()
        results["registry"] = self.flood(reg.port, "/services")
        router = routerlib.start_router(self, static=routerlib.static_file(self, [mock]))
        results["router"] = self.flood(router.port, "/v1/chat/completions")
        p = tb.free_pair()
        path = os.path.join(self.tmpdir, "bs.toml")
        with open(path, "w") as f:
            f.write('name = "bs-flood"\nhost = "127.0.0.1"\nport = %d\n[backend]\ntype = "mock"\n'
                    'models = ["model-1"]\n' % p)
        bs = self.start("babysitter", [svclib.binary("infini-babysitter"), "--config-file", path,
                                       "--bind", "127.0.0.1"], port_flag=None)
        svclib.wait_until(lambda: bs.get("/health").status == 200, 15, what="babysitter ready")
        results["babysitter"] = self.flood(bs.port, "/health")
        print("\nGET /health with %d idle + %d slow-body connections open: %s" % (
            IDLE, SLOW, ", ".join("%s %s in %.3fs" % (k, v[0], v[1]) for k, v in results.items())))
        for daemon, (status, secs) in results.items():
            self.assertEqual(status, 200, "%s: new client locked out" % daemon)
            # The target is 1 s; the margin is for a loaded CI machine.
            self.assertLess(secs, 3.0, "%s answered after %.2fs" % (daemon, secs))

    def flood(self, port, slow_path):
        try:
            self.connect_idle(port, IDLE)
            self.connect_slow_body(port, SLOW, slow_path)
            time.sleep(0.5)  # let the daemon catch up with the last ones
            return timed_health(port)
        finally:
            self._close_socks()

    # ------------------------------------------------------------ the body budget

    def test_bodies_beyond_the_budget_get_503_before_being_read(self):
        mock = routerlib.start_mock(self, "mock-budget", max_buffered_body_bytes=1000000,
                                    access_log=os.path.join(self.tmpdir, "mock-access.log"))
        held = socket.create_connection(("127.0.0.1", mock.port), timeout=10)
        self.socks.append(held)
        held.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 600000\r\n\r\n{")
        time.sleep(0.2)
        # Content-Length: refused from the head alone (nothing of the body is sent).
        t0 = time.monotonic()
        got = raw(mock.port, b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 600000\r\n\r\n")
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertEqual(status_of(got), 503, got[:300])
        self.assertIn(b"\r\nRetry-After: 1\r\n", got)
        self.assertIn(b'"error":{', got)
        # Chunked: refused when it crosses the budget.
        with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as s:
            s.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n%s\r\n" % (100000, b" " * 100000)
            got = b""
            try:
                for _ in range(8):
                    s.sendall(chunk)
            except OSError:
                pass
            got = read_all(s, 3)
        self.assertEqual(status_of(got), 503, got[:300])
        # Once the held body completes and is answered, the budget is free again.
        held.sendall(b'"input":"' + b"a" * (600000 - 12) + b'"}')
        self.assertEqual(status_of(read_all(held, 5)), 200)
        body = b'{"input":"' + b"b" * 500000 + b'"}'
        r = svclib.request(mock.port, "POST", "/v1/embeddings", body=body,
                           headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200)
        svclib.wait_until(lambda: tb.read_text(os.path.join(self.tmpdir, "mock-access.log"))
                          .count(" 503 ") >= 2, 5, what="503s in the mock's access log")

    # ------------------------------------------------------------ request lines

    def test_absolute_form_and_http09_are_400_on_every_daemon(self):
        mock = routerlib.start_mock(self, "mock-lines")
        reg = self.registry()
        router = routerlib.start_router(self, static=routerlib.static_file(self, [mock]))
        p = tb.free_pair()
        bs = self.start("babysitter", [svclib.binary("infini-babysitter"), "--port", str(p),
                                       "--bind", "127.0.0.1", "--command", "/bin/sleep",
                                       "--args", "60"], port_flag=None)
        for proc in (mock, reg, router, bs):
            got = raw(proc.port, b"GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(got), 400, (proc.name, got[:300]))
            self.assertIn(b"origin form", got)
            got = raw(proc.port, b"GET /health\r\n\r\n")
            self.assertEqual(status_of(got), 400, (proc.name, got[:300]))
            self.assertIn(b"HTTP/0.9", got)
            self.assertEqual(proc.get("/health").status in (200, 503), True)

    # ------------------------------------------------------------ rejections in the access log

    def test_every_rejection_gets_an_access_log_line(self):
        reg = self.registry("--max-body-bytes", "1000", "--header-timeout", "1",
                            "--auth-token", "secret")
        port = reg.port
        self.assertEqual(status_of(raw(port, b"POST /services HTTP/1.1\r\nHost: x\r\n"
                                             b"Content-Length: 5000\r\n\r\n")), 413)
        self.assertEqual(status_of(raw(port, b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 40000 +
                                             b"\r\n\r\n")), 431)
        self.assertEqual(status_of(raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n", 5)), 408)
        self.assertEqual(status_of(raw(port, b"GARBAGE\r\n\r\n")), 400)
        self.assertEqual(reg.post("/services", json.loads(
            '{"name":"a","host":"127.0.0.1","port":1,"hostname":"h","url":"http://127.0.0.1:1",'
            '"status":"running"}')).status, 401)
        want = {"413": "POST /services 413", "431": "GET /health 431", "408": "GET /health 408",
                "400": " 400 ", "401": "POST /services 401"}

        def logged():
            lines = self.access_lines(reg)
            return all(sum(w in l for l in lines) == 1 for w in want.values()) and lines
        lines = svclib.wait_until(logged, 5, what="one access-log line per rejection")
        self.assertEqual(len(lines), 5, lines)


if __name__ == "__main__":
    unittest.main()
