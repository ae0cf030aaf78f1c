"""Runs one integration test module the way `python3 -m unittest -v <module>` would, and maps
the outcome to an exit status CTest understands: 0 when every test passed (skips allowed), 1 on
any failure or error, and SKIP_CODE when no test ran at all because every one was skipped
(e.g. the network-namespace test without root), so that CTest reports the file as skipped
instead of passed. Usage: run_module.py <module>. Standard library only."""
import sys
import unittest

SKIP_CODE = 77  # also in CMakeLists.txt (SKIP_RETURN_CODE); the automake convention


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: run_module.py <test module>\n")
        return 2
    suite = unittest.defaultTestLoader.loadTestsFromName(sys.argv[1])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    # A skip raised in setUpClass is recorded against the class and runs no test.
    skipped_tests = sum(1 for test, _ in result.skipped if isinstance(test, unittest.TestCase))
    if result.skipped and result.testsRun == skipped_tests:
        print("every test skipped")
        return SKIP_CODE
    return 0


if __name__ == "__main__":
    sys.exit(main())
