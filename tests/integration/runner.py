"""The two unittest runners' shared main (tests/integration/run.py, tests/api/run.py):
one worker for the whole suite, and exactly one summary line `N passed, N failed`."""

from __future__ import annotations

import argparse
import os
import sys
import time
import unittest

import harness


class _Result(unittest.TextTestResult):
    """Records which tests started, so tests that never ran count as failed."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.started: set[str] = set()

    def startTest(self, test):
        self.started.add(test.id())
        super().startTest(test)


class _Runner(unittest.TextTestRunner):
    """Keeps its result, so an interrupted run still reports what ran."""

    result: _Result | None = None

    def _makeResult(self):
        self.result = super()._makeResult()
        return self.result


def run_suite(test_dir: str, doc: str | None, always_show_log: bool) -> int:
    """The runners' main: `[-v] [-k PATTERN]`, discover `test_*.py` in `test_dir`, run them
    against one worker, print `N passed, N failed`; the exit status. The worker's log tail is
    printed on failure when `always_show_log` or SHOW_WORKER_LOG=1."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-k", dest="patterns", action="append", help="only tests matching this substring (repeatable)")
    args = ap.parse_args()
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = loader.discover(test_dir, pattern="test_*.py", top_level_dir=test_dir)
    total = suite.countTestCases()
    started = time.monotonic()
    result = None
    try:
        try:
            worker = harness.get_worker()
        except Exception as e:  # noqa: BLE001 - reported, then every test counts as failed
            print(f"could not start the worker: {e}", file=sys.stderr, flush=True)
            print(f"0 passed, {total} failed")
            return 1
        print(f"worker at {worker.base_url} (ready in {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        runner = _Runner(stream=sys.stderr, verbosity=2 if args.verbose else 1, resultclass=_Result)
        try:
            result = runner.run(suite)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr, flush=True)
            result = runner.result
        if result is None:
            print(f"0 passed, {total} failed")
            return 1
        show = always_show_log or os.environ.get("SHOW_WORKER_LOG") == "1"
        if not result.wasSuccessful() and worker.log_path and show:
            print(worker.log_tail(60), file=sys.stderr, flush=True)
    finally:
        harness.stop_worker()
    return report(result, total)


def report(result, total: int) -> int:
    """Print the one summary line `N passed, N failed` for a unittest result whose tests record
    `started` ids; the exit status. Counts tests, not subtests: a test passes when it ran with no
    failure or error in any of its subtests; tests that never ran (a setUpModule/setUpClass
    error) count as failed, and so does an unexpected success."""
    bad = {getattr(t, "test_case", t).id()
           for t, _ in result.failures + result.errors + [(u, None) for u in result.unexpectedSuccesses]}
    skipped = {t.id() for t, _ in result.skipped}
    passed = len(result.started - bad - skipped)
    failed = total - passed - len(skipped - bad)
    sys.stderr.flush()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
