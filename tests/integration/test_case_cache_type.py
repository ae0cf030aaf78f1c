"""Integration tests for the cache-type routing deployment case's scripts
(deployment/cases/cache-type-routing-validation): start-master.sh, validate.sh, a short
bench-size-based-routing.sh, then stop-all.sh, start-master-2paged.sh, validate.sh, a short
bench-2paged.sh, compare-cache-types.sh and stop-all.sh, run as a user runs them, on free ports
(env overrides) with logs and results in the test's temp dir and the binaries from
svclib.BIN_DIR. Asserts the exit codes, the readable output, where the requests went (small ones
on the paged instance, large ones on the static one; both paged instances in the baseline), that
the static instance runs infini-mock's static cache, that the registry refuses writes without the
generated token, a clean registry after stop-all, and that no process of the deployment is left.
Also: validate.sh failing against nothing, and failing when the size routing it expects is not
what the deployment does. Processes are signalled only by the PIDs the scripts recorded.
"""
import os

import caselib
import svclib
from svclib import cmdline

# A short version of the benchmark's workload: one small and one large conversation of two
# turns; the large one opens with 53,248 characters, just above the 51,200-byte threshold.
SHORT_BENCH = {"NUM_CONVERSATIONS": "2", "MESSAGES_PER_CONV": "2", "NUM_LARGE_CONTEXT": "1",
               "CONTEXT_LEN": "256", "NEW_MSG_LEN": "32", "LARGE_CONTEXT_LEN": "53248",
               "REQUEST_RATE": "20", "MAX_TOKENS": "4"}
PAGED = "paged-cache-9g_8b_thinking"
STATIC = "static-cache-9g_8b_thinking"
PAGED2 = "paged-cache-9g_8b_thinking-2"


class CacheTypeCaseTest(caselib.CaseTestCase):
    CASE = "cache-type-routing-validation"
    PAIRS = ("PAGED_PORT", "STATIC_PORT", "PAGED2_PORT")

    # ------------------------------------------------------------ helpers

    def start(self, script, roles):
        """Runs a start script; returns every PID of the deployment (daemons and mocks)."""
        out, pids, children = self.case.start(
            script, ["registry", "router"] + ["babysitter_" + r for r in roles],
            [self.ports[r.upper() + "_PORT"] for r in roles])
        for r, pid in zip(roles, children):
            self.assertIn("--cache-type %s" % ("static" if r == "static" else "paged"),
                          cmdline(pid))
        return out, list(pids.values()) + children

    def bench(self, script, label):
        result = self.case.bench(script, label, SHORT_BENCH, 4)
        self.assertEqual(result["max_concurrency"], 4)
        return result

    # ------------------------------------------------------------ tests

    def test_size_based_then_2paged_validate_bench_compare(self):
        out, pids = self.start("start-master.sh", ["paged", "static"])
        self.assertIn("deployment up (size-based): %s and %s" % (PAGED, STATIC), out)
        # The registry takes writes only with the token the start generated.
        r = svclib.request(self.ports["REGISTRY_PORT"], "POST", "/services",
                           body={"name": "x", "host": "h", "port": 1, "hostname": "h",
                                 "url": "http://h:1", "status": "running"})
        self.assertEqual(r.status, 401)
        token_file = os.path.join(self.case.log_dir, "registry.token")
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        with open(token_file) as f:
            token = f.read().strip()
        self.assertGreaterEqual(len(token), 32)
        self.assertNotIn(token, cmdline(self.case.pid_files()["registry"]))  # environment only

        _, out = self.case.run("validate.sh")
        self.assertIn("cache-type routing validation (size-based", out)
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertIn("instances: %s-server x5; route:" % PAGED, out)
        self.assertIn("instances: %s-server x3; route:" % STATIC, out)
        result = self.bench("bench-size-based-routing.sh", "size-based-routing")
        self.assertEqual(result["per_instance"], {PAGED + "-server": 2, STATIC + "-server": 2})
        self.case.stop_all(pids)

        out, pids = self.start("start-master-2paged.sh", ["paged", "paged2"])
        self.assertIn("deployment up (2paged): %s and %s" % (PAGED, PAGED2), out)
        _, out = self.case.run("validate.sh")
        self.assertIn("Summary: 12 passed, 0 failed, 0 skipped", out)
        self.assertRegex(out, r"instances: %s-server x5, %s-server x5" % (PAGED2, PAGED))
        # Validating size routing against the round-robin baseline must fail, and say where.
        out = self.case.fails("validate.sh", env={"DEPLOYMENT": "size-based"})
        self.assertIn("FAIL  small requests (\"Test\") all land on %s" % PAGED, out)
        self.assertIn("FAIL  %s-server record has cache_type \"static\"" % STATIC, out)
        result = self.bench("bench-2paged.sh", "2paged-round-robin")
        self.assertEqual(sorted(result["per_instance"].values()), [2, 2])

        _, out = self.case.run("compare-cache-types.sh")
        self.assertIn("Mean TTFT (ms)", out)
        self.assertIn("Requests per instance", out)
        self.assertRegex(out, r"size-based-routing +small n=2 mean \d+ ms, median \d+ ms, max "
                              r"\d+ ms; large n=2 mean")
        self.assertIn("size-based-routing vs 2paged-round-robin: mean TTFT", out)
        self.case.stop_all(pids)
        rc, _ = self.case.run("stop-all.sh")  # safe twice
        self.assertEqual(rc, 0)

    def test_validate_fails_when_nothing_runs(self):
        self.assert_validate_fails_when_nothing_runs()

    def test_compare_needs_two_results(self):
        out = self.case.fails("compare-cache-types.sh")
        self.assertIn("run bench-size-based-routing.sh and bench-2paged.sh first", out)
