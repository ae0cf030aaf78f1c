"""Integration-test support for several hosts on one machine: one Linux network namespace per
host, each joined by a veth pair to a bridge in the root namespace, which also has an address
so the test process reaches every host. Names are unique per run (a tag the test chooses, e.g.
from its PID) and the /24 is one that no address or route of the root namespace mentions.
Everything is deleted even after a failure; whatever still runs inside a namespace then was
started by this run (the namespaces are its own) and is killed by PID first. Needs root and
iproute2's `ip`: setup() skips the test otherwise. Python 3 standard library only.
"""
import os
import shutil
import signal
import subprocess


class NetSetupError(Exception):
    """`ip netns add` failed (e.g. not permitted in this container): the test is skipped."""


def ip(*args, check=True):
    """Runs `ip ARGS`; returns its output. With `check`, a failure fails the test."""
    proc = subprocess.run(["ip"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=20)
    if check and proc.returncode != 0:
        raise AssertionError("ip %s: %s" % (" ".join(args), proc.stdout.decode().strip()))
    return proc.stdout.decode()


def unused_subnet(first):
    """A 10.88.N prefix that no address or route of the root namespace mentions."""
    used = ip("-4", "-o", "addr", "show") + ip("-4", "route", "show", "table", "all")
    for i in range(254):
        n = (first + i) % 254 + 1
        prefix = "10.88.%d." % n
        if prefix not in used and "10.88.0.0" not in used:
            return prefix
    raise AssertionError("no free 10.88.N.0/24")


class Network:
    """The bridge ibr<tag> with address .1 and, per role, namespace infini-<role>-<tag> with
    address .2, .3, ... on a veth pair iv<i>h<tag> / iv<i>n<tag>. Keeps what it created, so
    delete() removes exactly that, also after a build() that failed half-way."""

    def __init__(self, tag):
        self.tag = tag
        self.namespaces = []
        self.links = []
        self.hosts = {}  # role -> (namespace, address)

    def build(self, roles, first):
        """Creates the network, looking for a free /24 from 10.88.<first+1>; raises
        NetSetupError when a namespace cannot be made."""
        prefix = unused_subnet(first)
        bridge = "ibr" + self.tag
        ip("link", "add", bridge, "type", "bridge")
        self.links.append(bridge)
        ip("addr", "add", prefix + "1/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for idx, role in enumerate(roles):
            ns = "infini-%s-%s" % (role, self.tag)
            proc = subprocess.run(["ip", "netns", "add", ns], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=20)
            if proc.returncode != 0:
                raise NetSetupError(proc.stdout.decode().strip())
            self.namespaces.append(ns)
            host_side, ns_side = "iv%dh%s" % (idx, self.tag), "iv%dn%s" % (idx, self.tag)
            ip("link", "add", host_side, "type", "veth", "peer", "name", ns_side)
            self.links.append(host_side)
            ip("link", "set", ns_side, "netns", ns)
            ip("link", "set", host_side, "master", bridge)
            ip("link", "set", host_side, "up")
            address = prefix + str(idx + 2)
            ip("-n", ns, "addr", "add", address + "/24", "dev", ns_side)
            ip("-n", ns, "link", "set", ns_side, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            self.hosts[role] = (ns, address)

    def delete(self):
        # Runs after the test's tearDown stopped what it started: what is left in a namespace
        # is this run's, so it is killed by PID before the namespace goes.
        for ns in self.namespaces:
            for pid in ip("netns", "pids", ns, check=False).split():
                if pid.isdigit():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            ip("netns", "del", ns, check=False)
        for link in reversed(self.links):
            if ip("link", "show", link, check=False).strip().startswith("Device"):
                continue  # gone with its peer's namespace
            ip("link", "del", link, check=False)


def setup(test, tag, roles, first):
    """Skips `test` unless it runs as root with `ip`; builds a Network for `roles`, deleted at
    the test's cleanup (after tearDown), and returns it."""
    if os.geteuid() != 0:
        test.skipTest("needs root for ip netns")
    if shutil.which("ip") is None:
        test.skipTest("needs iproute2 (ip)")
    net = Network(tag)
    test.addCleanup(net.delete)
    try:
        net.build(roles, first)
    except NetSetupError as e:
        test.skipTest("ip netns add failed: %s" % e)
    return net
