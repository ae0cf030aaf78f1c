"""Helpers shared by the router integration tests: start infini-mock instances, a router over
a static file or a registry, send chat requests, read metrics. Standard library only."""
import json
import os
import random
import re
import socket
import time

import svclib


def filler(seed, n):
    """`n` bytes of readable filler that differs from its first bytes on for each seed."""
    rnd = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta", "zeta"]
    out = "%d: " % seed
    while len(out) < n:
        out += rnd.choice(words) + " "
    return out[:n]


def kv_ports():
    """Two distinct ports that were free a moment ago: an infini-mock's KV event publisher
    (--kv-events) and replay socket (--kv-replay-port)."""
    a = svclib.free_port()
    b = svclib.free_port()
    while b == a:
        b = svclib.free_port()
    return a, b


def start_mock(case, name, models="model-1", port=None, **flags):
    """Starts infini-mock named `name` (on `port` when given, else an OS-chosen one)."""
    argv = [svclib.binary("infini-mock"), "--bind", "127.0.0.1", "--name", name,
            "--models", models]
    for k, v in flags.items():
        argv += ["--" + k.replace("_", "-"), str(v)]
    if port is not None:
        argv += ["--port", str(port)]
        return case.start(name, argv, port_flag=None)
    return case.start(name, argv)


def static_file(case, mocks, models=("model-1",)):
    """Writes a static-services file listing the mocks; returns its path."""
    path = os.path.join(case.tmpdir, "static-%d.json" % len(os.listdir(case.tmpdir)))
    items = [{"name": m.name, "host": "127.0.0.1", "port": m.port,
              "metadata": {"type": "openai-api", "models": list(models)}} for m in mocks]
    with open(path, "w") as f:
        json.dump({"services": items}, f)
    return path


def start_router(case, name="router", static=None, registry=None, env=None, **flags):
    argv = [svclib.binary("infini-router"), "--bind", "127.0.0.1", "--access-log", "-"]
    if static is not None:
        argv += ["--static-services", static]
    if registry is not None:
        argv += ["--registry-url", "http://127.0.0.1:%d" % registry.port]
    flags.setdefault("health_interval", 0.5)
    flags.setdefault("registry_sync_interval", 0.2)
    for k, v in flags.items():
        argv += ["--" + k.replace("_", "-"), str(v)]
    return case.start(name, argv, port_flag="--router-port", env=env)


def chat_body(model="model-1", content="hello", key=None, stream=False, max_tokens=4, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": content}],
            "max_tokens": max_tokens, "stream": stream}
    if key is not None:
        body["prompt_cache_key"] = key
    body.update(extra)
    return body


def chat(port, timeout=10.0, headers=None, **kw):
    return svclib.request(port, "POST", "/v1/chat/completions", body=chat_body(**kw),
                          headers=headers, timeout=timeout)


def metric(port, name, labels=None):
    """Value of one Prometheus sample (labels: dict that must match), or None."""
    text = svclib.request(port, "GET", "/metrics").text
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in (labels or {}).items()):
            return float(m.group(4))
    return None


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class StreamReader:
    """An SSE request on a raw socket so the test controls when (and whether) it reads."""

    def __init__(self, port, body, rcvbuf=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        data = json.dumps(body).encode()
        self.sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                          % (len(data), data))
        self.buf = b""

    def read_until(self, needle, timeout=10.0):
        """Reads until `needle` was received; returns the time it took."""
        start = time.monotonic()
        self.sock.settimeout(timeout)
        while needle not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed before %r" % needle)
            self.buf += chunk
        return time.monotonic() - start

    def read_all(self, timeout=30.0):
        self.sock.settimeout(timeout)
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return self.buf
            self.buf += chunk
            if self.buf.endswith(b"0\r\n\r\n"):
                return self.buf

    def close(self):
        self.sock.close()
