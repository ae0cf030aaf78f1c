"""Integration tests for request bodies proxied by infini-router (issue #12 item 6). The router
writes a body upstream straight from the client's request buffer, never from a copy, so that
buffer must outlive every write queued from it. A raw-socket model server that reads only the
request head forces most of a 32 MB body to stay queued in the router, and then:
  - the client disconnects: the router drops the upstream connection (the server sees it end
    short of the body) and keeps serving;
  - the server answers 413 at once without reading the body: the client gets the 413 and can
    go on on its connection, and the router closes the upstream connection instead of pooling
    it with the rest of the body still queued (the next request goes on a new one, clean).
Under AddressSanitizer (the asan build's ctest) a write from a freed body would be a report in
the router's log, which fails the test at teardown.
"""
import http.client
import json
import socket
import threading
import time
import unittest

import routerlib
import svclib

BODY_BYTES = 32 * 1000 * 1000
ANSWER = json.dumps({
    "id": "chatcmpl-raw", "object": "chat.completion", "model": "model-1",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
TOO_LARGE = json.dumps({"error": {"message": "too large", "type": "invalid_request_error",
                                  "code": "too_large"}}).encode()


def chat_bytes(size):
    """A chat request body of exactly `size` bytes."""
    head = b'{"model":"model-1","messages":[{"role":"user","content":"'
    tail = b'"}]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


class Conn:
    """What the raw server saw on one connection."""

    def __init__(self):
        self.got = 0                      # bytes read
        self.requests = []                # request lines
        self.eof = False                  # the router closed it
        self.held = threading.Event()     # a "hold"/"early" request's head arrived
        self.drain = threading.Event()    # set by the test: read on until the end
        self.ended = threading.Event()    # the connection is over


class RawUpstream:
    """A model server stand-in on a raw socket. Each POST takes the next behaviour of `plan`
    ("answer" when it runs out): "answer" reads the body and answers 200; "hold" reads only the
    head and then nothing until the test sets `drain`; "early" reads only the head, answers 413
    (keep-alive) at once and then reads nothing until `drain`. GETs (health probes) get 200."""

    def __init__(self, case, plan):
        self.plan = list(plan)
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.name = "raw-upstream"
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()
        case.addCleanup(self.close)

    def posts(self):
        """The connections that carried POSTs (health probes come on others)."""
        with self.lock:
            return [c for c in self.conns if any(r.startswith("POST") for r in c.requests)]

    def close(self):
        self.stopping = True
        for c in self.conns:
            c.drain.set()
        self.sock.close()

    def _accept(self):
        while not self.stopping:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            rec = Conn()
            with self.lock:
                self.conns.append(rec)
            threading.Thread(target=self._serve, args=(s, rec), daemon=True).start()

    def _recv(self, s, rec, n=65536):
        try:
            data = s.recv(n)
        except OSError:
            data = b""
        rec.got += len(data)
        if not data:
            rec.eof = True
        return data

    def _serve(self, s, rec):
        s.settimeout(60)
        try:
            self._requests(s, rec)
        finally:
            s.close()
            rec.ended.set()

    def _requests(self, s, rec):
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = self._recv(s, rec)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            rec.requests.append(lines[0].decode())
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if not lines[0].startswith(b"POST"):
                self._reply(s, 200, b'{"status":"ok"}')
                continue
            with self.lock:
                what = self.plan.pop(0) if self.plan else "answer"
            if what == "answer":
                while len(buf) < length:
                    data = self._recv(s, rec)
                    if not data:
                        return
                    buf += data
                buf = buf[length:]
                self._reply(s, 200, ANSWER)
                continue
            if what == "early":
                self._reply(s, 413, TOO_LARGE)
            rec.held.set()
            rec.drain.wait(60)
            while self._recv(s, rec, 1 << 20):
                pass
            return

    def _reply(self, s, status, body):
        s.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                  b"\r\n%s" % (status, len(body), body))


class ProxiedBodies(svclib.ProcTestCase):
    def router_on(self, upstream):
        static = routerlib.static_file(self, [upstream])
        return routerlib.start_router(self, static=static, health_interval=30,
                                      max_body_bytes=64 * 1024 * 1024)

    def wait_ended_short(self, conn, sent):
        """The router closed the upstream connection before the server had read the body."""
        conn.drain.set()
        self.assertTrue(conn.ended.wait(20), "the router never closed the upstream connection "
                        "(%d of %d bytes read)" % (conn.got, sent))
        self.assertTrue(conn.eof)
        self.assertLess(conn.got, sent)


    def test_client_gone_while_its_body_is_written_upstream(self):
        up = RawUpstream(self, ["hold"])
        router = self.router_on(up)
        body = chat_bytes(BODY_BYTES)
        head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        s = socket.create_connection(("127.0.0.1", router.port), timeout=30)
        try:
            s.sendall(head + body)
            svclib.wait_until(lambda: up.posts() and up.posts()[0].held.is_set(), 30,
                              what="the request head at the upstream")
            time.sleep(0.3)  # the router has queued what the socket did not take
        finally:
            s.close()
        conn = up.posts()[0]
        self.wait_ended_short(conn, len(body))
        svclib.wait_until(lambda: (routerlib.metric(router.port,
                                                    "infini_router_client_aborts_total") or 0)
                          >= 1, 10, what="the client abort counted")
        self.assertEqual(router.get("/health").status, 200)
        r = routerlib.chat(router.port, timeout=20)
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(len(up.posts()), 2)

    def test_upstream_answers_before_reading_the_body(self):
        up = RawUpstream(self, ["early"])
        router = self.router_on(up)
        body = chat_bytes(BODY_BYTES)
        c = http.client.HTTPConnection("127.0.0.1", router.port, timeout=60)
        try:
            c.request("POST", "/v1/chat/completions", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            got = r.read()
            self.assertEqual(r.status, 413, got[:300])
            self.assertEqual(json.loads(got)["error"]["code"], "too_large")
            conn = up.posts()[0]
            self.assertTrue(conn.held.is_set())
            self.wait_ended_short(conn, len(body))
            # The client's own connection goes on.
            c.request("POST", "/v1/chat/completions",
                      body=json.dumps(routerlib.chat_body()).encode(),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            self.assertEqual(r.status, 200, r.read()[:300])
            r.read()
        finally:
            c.close()
        # The second request went on a new upstream connection and arrived clean: the first one
        # carried part of a body nobody read.
        posts = up.posts()
        self.assertEqual(len(posts), 2)
        self.assertEqual(posts[1].requests, ["POST /v1/chat/completions HTTP/1.1"])


if __name__ == "__main__":
    unittest.main()
