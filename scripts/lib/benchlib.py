"""Python helpers shared by the benchmark scripts (scripts/lib/bench.sh runs its commands;
scripts/bench_kv_events.py and scripts/bench-cache-aware.sh's summary import it): free ports,
GET from a daemon on 127.0.0.1, waiting for a router's healthy services, saving /metrics, and
reading a workload benchmark's runs.tsv and workloads.tsv. It starts and stops no process.
Python 3 standard library only.

Usage: benchlib.py ports N            (N distinct free loopback ports on one line)
       benchlib.py healthy PORT N     (until the router on PORT sees N of N healthy; 1 after 200 tries)
       benchlib.py snap PORT OUT      (the /metrics of PORT into OUT; 1 unless 200)"""
import http.client
import json
import os
import socket
import sys
import time


def cmd_ports(n):
    # Held open together while chosen, so that the N ports differ.
    socks = []
    try:
        for _ in range(int(n)):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        print(" ".join(str(s.getsockname()[1]) for s in socks))
    finally:
        for s in socks:
            s.close()


def get(port, path, timeout=5):
    """(status, body as text) of GET path from 127.0.0.1:port; raises OSError."""
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def cmd_healthy(port, n):
    for _ in range(200):
        try:
            status, body = get(port, "/health", timeout=2)
            if json.loads(body).get("healthy_services") == "%d/%d" % (int(n), int(n)):
                return 0
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return 1


def cmd_snap(port, out):
    status, body = get(port, "/metrics")
    if status != 200:
        return 1
    with open(out, "w") as f:
        f.write(body)
    return 0


def read_runs(results):
    """({workload: {setup: (status, what)}}, {workload: description}) from a results folder's
    runs.tsv and workloads.tsv (tab-separated, as scripts/lib/bench.sh and the scripts write
    them), in the order the runs were made."""
    runs, desc = {}, {}
    for line in open(os.path.join(results, "runs.tsv")):
        w, s, status, what = line.rstrip("\n").split("\t", 3)
        runs.setdefault(w, {})[s] = (status, what)
    for line in open(os.path.join(results, "workloads.tsv")):
        w, d = line.rstrip("\n").split("\t", 1)
        desc[w] = d
    return runs, desc


COMMANDS = {"ports": cmd_ports, "healthy": cmd_healthy, "snap": cmd_snap}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]) or 0)
