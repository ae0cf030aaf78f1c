"""The fault suite behind scripts/fault-suite.sh (a benchmark: it prints figures and never
fails on them). Each scenario starts a fresh deployment on 127.0.0.1 (infini-registry with a
state file, infini-router on the registry, two infini-babysitters each running infini-mock),
runs a load of chat requests through the router (non-streaming and streaming), injects one
fault, and prints:
  failed     requests that did not get a 2xx (errors, timeouts, cut streams), of those sent
  eject_s    fault -> the router stops routing to the faulted instance (its /services view)
  readmit_s  fault -> the instance is routable again (after the scenario's recovery step)
  rss_mb     peak RSS (VmHWM) of the router, and of the daemon the scenario aims at
Scenarios: registry kill -9 + restart; SIGSTOP of a model server; SIGKILL of a model server with
streams in flight; SIGKILL of a babysitter (+ restart); 10,100 idle + 1,000 slow-body
connections against the router and the registry; ten concurrent 60 MB bodies through a router
with a 256 MiB body budget (and without one, for reference).
Usage: fault_suite.py BIN_DIR [scenario ...]. Python 3 standard library only."""
import http.client
import http.server
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/release"
LOAD_THREADS = 6
STREAM_THREADS = 2
REQ_TIMEOUT = 5.0


def binary(name):
    for sub in ("", "registry", "router", "babysitter", "tools/mock"):
        p = os.path.join(BIN, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    sys.exit("fault-suite: %s not found under %s" % (name, BIN))


def free_port(pair=False):
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if not pair:
            return p
        if p < 65534:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p + 1))
                    return p
                except OSError:
                    pass


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def get_json(port, path, timeout=2.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def peak_rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


class Daemon:
    def __init__(self, work, name, argv, port_flag="--port", port=0):
        self.name = name
        self.argv = argv
        self.work = work
        self.port_flag = port_flag
        self.port = port
        self.proc = None
        self.start()

    def start(self):
        pf = os.path.join(self.work, self.name + ".port")
        if os.path.exists(pf):
            os.unlink(pf)
        argv = list(self.argv) + [self.port_flag, str(self.port), "--port-file", pf]
        log = open(os.path.join(self.work, self.name + ".log"), "ab")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        self.port = int(wait_for(lambda: open(pf).read().strip() if os.path.exists(pf) else "",
                                 20, self.name + " port"))

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        if sig == signal.SIGKILL:
            self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def rss(self):
        return peak_rss_mb(self.proc.pid)


class Deployment:
    def __init__(self, work):
        self.work = work
        self.registry = Daemon(work, "registry", [
            binary("infini-registry"), "--bind", "127.0.0.1", "--access-log", "off",
            "--state-file", os.path.join(work, "registry-state.json"),
            "--heartbeat-timeout", "6", "--expire-after", "60", "--health-interval", "2"])
        self.router = Daemon(work, "router", [
            binary("infini-router"), "--bind", "127.0.0.1", "--access-log", "off",
            "--registry-url", "http://127.0.0.1:%d" % self.registry.port,
            "--registry-sync-interval", "0.5", "--health-interval", "0.5",
            "--health-timeout", "1"], port_flag="--router-port")
        self.bs = {}
        for name in ("bs-a", "bs-b"):
            self.bs[name] = self.start_babysitter(name, free_port(pair=True))
        wait_for(lambda: self.routable() == {"bs-a-server", "bs-b-server"}, 30,
                 "both instances routable")

    def start_babysitter(self, name, port):
        cfg = os.path.join(self.work, name + ".toml")
        with open(cfg, "w") as f:
            f.write('name = "%s"\nhost = "127.0.0.1"\nport = %d\n'
                    'registry_url = "http://127.0.0.1:%d"\n[babysitter]\nheartbeat_interval = 1\n'
                    'health_interval = 0.5\nprobe_timeout = 0.5\nunhealthy_after = 3\n'
                    'restart_delay = 0.5\nstop_grace = 2\nstate_dir = "%s"\n[backend]\n'
                    'type = "mock"\nmodels = ["model-1"]\n'
                    'args = ["--decode-ms-per-token", "2", "--max-batch", "64"]\n'
                    % (name, port, self.registry.port, os.path.join(self.work, name + ".state")))
        d = Daemon(self.work, name, [binary("infini-babysitter"), "--config-file", cfg,
                                     "--bind", "127.0.0.1"], port_flag="--port", port=port)
        d.port = port + 1  # the HTTP port; --port is the model server's
        d.model_port = port
        return d

    def child_pid(self, name):
        return get_json(self.bs[name].port, "/info")[1]["child_pid"]

    def routable(self):
        status, doc = get_json(self.router.port, "/services")
        items = doc.get("services", doc) if isinstance(doc, dict) else doc
        return {s["name"] for s in items
                if s.get("healthy") and s.get("routable", True) and not s.get("ejected")}

    def stop(self):
        for d in list(self.bs.values()) + [self.router, self.registry]:
            d.stop()


class Load:
    """Chat requests through the router from several threads; every outcome is recorded."""

    def __init__(self, port):
        self.port = port
        self.stop_flag = threading.Event()
        self.records = []  # (start, end, ok, instance, kind)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(False,), daemon=True)
                        for _ in range(LOAD_THREADS)]
        self.threads += [threading.Thread(target=self.run, args=(True,), daemon=True)
                         for _ in range(STREAM_THREADS)]
        for t in self.threads:
            t.start()

    def one(self, stream):
        body = json.dumps({"model": "model-1", "stream": stream,
                           "max_tokens": 150 if stream else 8,
                           "messages": [{"role": "user", "content": "fault suite"}]})
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQ_TIMEOUT)
        try:
            c.request("POST", "/v1/chat/completions", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            ok = 200 <= r.status < 300 and (not stream or b"data: [DONE]" in data)
            return ok, r.getheader("X-Infini-Instance") or "-"
        except (OSError, http.client.HTTPException):
            return False, "-"
        finally:
            c.close()

    def run(self, stream):
        while not self.stop_flag.is_set():
            t0 = time.monotonic()
            ok, inst = self.one(stream)
            with self.lock:
                self.records.append((t0, time.monotonic(), ok, inst, stream))
            if not ok:
                time.sleep(0.05)

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(REQ_TIMEOUT + 5)

    def between(self, t0, t1):
        return [r for r in self.records if t0 <= r[0] < t1]


class Watch:
    """Polls the router's routable set every 100 ms."""

    def __init__(self, dep):
        self.dep = dep
        self.samples = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_flag.is_set():
            try:
                self.samples.append((time.monotonic(), self.dep.routable()))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self.samples.append((time.monotonic(), None))
            time.sleep(0.1)

    def finish(self):
        self.stop_flag.set()
        self.thread.join(5)

    def eject_readmit(self, inst, t_fault):
        """(fault -> first sample without `inst`, fault -> first later sample with it)."""
        out_at = back_at = None
        for t, names in self.samples:
            if t < t_fault or names is None:
                continue
            if out_at is None and inst not in names:
                out_at = t
            elif out_at is not None and inst in names:
                back_at = t
                break
        return (None if out_at is None else out_at - t_fault,
                None if back_at is None else back_at - t_fault)

    def min_routable(self, t_fault):
        counts = [len(n) for t, n in self.samples if t >= t_fault and n is not None]
        return min(counts) if counts else None


def fmt(v):
    return "-" if v is None else "%.2f" % v


ROWS = []


def report(name, failed, total, eject, readmit, rss, note=""):
    ROWS.append((name, "%d/%d" % (failed, total), fmt(eject), fmt(readmit), rss, note))
    print("  %-24s failed %-9s eject_s %-6s readmit_s %-6s rss_mb %s  %s"
          % ROWS[-1], flush=True)


def run_scenario(name, body):
    work = tempfile.mkdtemp(prefix="fault-%s-" % name)
    dep = Deployment(work)
    load = Load(dep.router.port)
    watch = Watch(dep)
    try:
        time.sleep(2)  # warm up
        body(name, dep, load, watch)
    finally:
        load.finish()
        watch.finish()
        dep.stop()


def sc_registry_kill(name, dep, load, watch):
    t0 = time.monotonic()
    dep.registry.kill()
    time.sleep(3)
    dep.registry.start()  # same port, same state file
    t_back = time.monotonic()
    time.sleep(8)
    recs = load.between(t0, time.monotonic())
    failed = sum(1 for r in recs if not r[2])
    low = watch.min_routable(t0)
    out, back = watch.eject_readmit("bs-a-server", t0)
    report(name, failed, len(recs), out, back,
           "router %.0f, registry %.0f" % (dep.router.rss(), dep.registry.rss()),
           "registry down 3 s (restarted at +%.1f s); fewest routable instances: %s"
           % (t_back - t0, low))


def sc_sigstop_server(name, dep, load, watch):
    pid = dep.child_pid("bs-a")
    t0 = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    time.sleep(8)
    try:
        os.kill(pid, signal.SIGCONT)  # the babysitter may have replaced it by now
    except OSError:
        pass
    time.sleep(10)
    recs = load.between(t0, time.monotonic())
    failed = sum(1 for r in recs if not r[2])
    out, back = watch.eject_readmit("bs-a-server", t0)
    report(name, failed, len(recs), out, back,
           "router %.0f, babysitter %.0f" % (dep.router.rss(), dep.bs["bs-a"].rss()),
           "SIGCONT at +8 s (unless the babysitter restarted it first)")


def sc_sigkill_server_streams(name, dep, load, watch):
    pid = dep.child_pid("bs-a")
    time.sleep(0.3)  # streams of 150 tokens x 2 ms are in flight most of the time
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    time.sleep(12)
    recs = load.between(t0 - REQ_TIMEOUT, time.monotonic())
    recs = [r for r in recs if r[1] >= t0]  # in flight at the kill, or sent after
    failed = sum(1 for r in recs if not r[2])
    cut = sum(1 for r in recs if not r[2] and r[4] and r[0] < t0)
    out, back = watch.eject_readmit("bs-a-server", t0)
    report(name, failed, len(recs), out, back,
           "router %.0f, babysitter %.0f" % (dep.router.rss(), dep.bs["bs-a"].rss()),
           "of the failures, %d streams cut mid-way; the babysitter restarts the server" % cut)


def sc_sigkill_babysitter(name, dep, load, watch):
    bs = dep.bs["bs-a"]
    child = dep.child_pid("bs-a")
    t0 = time.monotonic()
    bs.kill()
    t_child = wait_for(lambda: not os.path.exists("/proc/%d" % child) or
                       open("/proc/%d/stat" % child).read().rsplit(")", 1)[1].split()[0] == "Z",
                       10, "the model server to die with its babysitter")
    t_child = time.monotonic() - t0 if t_child else None
    time.sleep(3)
    bs.port = bs.model_port
    bs.start()  # same config, same state directory
    bs.port = bs.model_port + 1
    time.sleep(12)
    recs = load.between(t0, time.monotonic())
    failed = sum(1 for r in recs if not r[2])
    out, back = watch.eject_readmit("bs-a-server", t0)
    report(name, failed, len(recs), out, back,
           "router %.0f, babysitter %.0f" % (dep.router.rss(), bs.rss()),
           "model server gone %.2f s after its babysitter; babysitter restarted at +3 s"
           % (t_child or -1))


def open_flood(port, idle, slow, path):
    socks = []
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 100000\r\n\r\n{" % path).encode()
    for i in range(idle + slow):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if i >= idle:
            s.sendall(head)
        socks.append(s)
    return socks


def close_flood(socks):
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def health_ms(port):
    t = time.monotonic()
    try:
        status, _ = get_json(port, "/health", timeout=10)
    except OSError:
        status = None
    return status, (time.monotonic() - t) * 1000


def sc_connection_flood(name, dep, load, watch):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 11500:
        report(name, 0, 0, None, None, "-", "skipped: the open-file hard limit is %d" % hard)
        return
    t0 = time.monotonic()
    notes = []
    for target, path in ((dep.router, "/v1/chat/completions"), (dep.registry, "/services")):
        socks = open_flood(target.port, 10100, 1000, path)
        try:
            time.sleep(1)
            status, ms = health_ms(target.port)
            notes.append("%s /health %s in %.0f ms" % (target.name, status, ms))
            time.sleep(4)  # heartbeats and load go on meanwhile
        finally:
            close_flood(socks)
    time.sleep(2)
    recs = load.between(t0, time.monotonic())
    failed = sum(1 for r in recs if not r[2])
    out, back = watch.eject_readmit("bs-a-server", t0)
    report(name, failed, len(recs), out, back,
           "router %.0f, registry %.0f" % (dep.router.rss(), dep.registry.rss()),
           "; ".join(notes) + "; fewest routable: %s" % watch.min_routable(t0))


class Sink(http.server.BaseHTTPRequestHandler):
    """An upstream that reads any body and answers a small chat completion."""

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        while n > 0:
            n -= len(self.rfile.read(min(n, 1 << 20)))
        body = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        body = b'{"data":[{"id":"model-1"}],"object":"list"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def big_bodies(port, n, size):
    content = b"x" * size
    body = (b'{"model":"model-1","messages":[{"role":"user","content":"' + content + b'"}]}')
    results = [None] * n

    def send(i):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            c.request("POST", "/v1/chat/completions", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            results[i] = r.status
        except (OSError, http.client.HTTPException) as e:
            results[i] = type(e).__name__
    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def sc_body_budget(name, dep, load, watch):
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    sink.daemon_threads = True
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    static = os.path.join(dep.work, "sink.json")
    with open(static, "w") as f:
        json.dump({"services": [{"name": "sink", "host": "127.0.0.1",
                                 "port": sink.server_address[1],
                                 "metadata": {"type": "openai-api", "models": ["model-1"]}}]}, f)
    for budget in (268435456, 0):
        r = Daemon(dep.work, "router-budget-%d" % budget, [
            binary("infini-router"), "--bind", "127.0.0.1", "--access-log", "off",
            "--static-services", static, "--max-body-bytes", "67108864",
            "--max-buffered-body-bytes", str(budget)], port_flag="--router-port")
        base = r.rss()
        t0 = time.monotonic()
        results = big_bodies(r.port, 10, 60 * 1000 * 1000)
        secs = time.monotonic() - t0
        peak = r.rss()
        r.stop()
        counts = {}
        for s in results:
            counts[s] = counts.get(s, 0) + 1
        report("%s-%s" % (name, "256MiB" if budget else "off"),
               sum(v for k, v in counts.items() if k != 200), len(results), None, None,
               "router %.0f (idle %.0f)" % (peak, base),
               "10 x 60 MB bodies in %.1f s: %s" % (secs, ", ".join(
                   "%s x%d" % (k, v) for k, v in sorted(counts.items(), key=str))))
    sink.shutdown()


SCENARIOS = [
    ("registry-kill", sc_registry_kill),
    ("sigstop-server", sc_sigstop_server),
    ("sigkill-server-streams", sc_sigkill_server_streams),
    ("sigkill-babysitter", sc_sigkill_babysitter),
    ("connection-flood", sc_connection_flood),
    ("body-budget", sc_body_budget),
]


def main():
    want = sys.argv[2:]
    print("fault suite: binaries from %s; load = %d non-streaming + %d streaming clients"
          % (BIN, LOAD_THREADS, STREAM_THREADS), flush=True)
    for name, fn in SCENARIOS:
        if want and name not in want:
            continue
        try:
            run_scenario(name, fn)
        except RuntimeError as e:
            report(name, 0, 0, None, None, "-", "could not run: %s" % e)
    print("\n%-26s %-10s %-8s %-9s %-32s %s" % ("scenario", "failed", "eject_s", "readmit_s",
                                               "peak rss (MB)", "notes"))
    for row in ROWS:
        print("%-26s %-10s %-8s %-9s %-32s %s" % row)


if __name__ == "__main__":
    main()
