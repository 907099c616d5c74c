#!/usr/bin/env python3
"""Run the integration suite against one `wrangler dev` worker (or WORKER_URL).

    python3 tests/integration/run.py [-v] [-k PATTERN]

Ends with exactly one line `N passed, N failed`; exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def _count(suite) -> int:
    return suite.countTestCases()


class _Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.started: set[str] = set()

    def startTest(self, test):
        self.started.add(test.id())
        super().startTest(test)


class _Runner(unittest.TextTestRunner):
    result: _Result | None = None

    def _makeResult(self):
        self.result = super()._makeResult()
        return self.result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-k", dest="patterns", action="append", help="only tests matching this substring (repeatable)")
    args = ap.parse_args()

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    total = _count(suite)

    started = time.monotonic()
    try:
        try:
            worker = harness.get_worker()
        except Exception as e:  # noqa: BLE001 - reported, then every test counts as failed
            print(f"could not start the worker: {e}", file=sys.stderr, flush=True)
            harness.stop_worker()
            print(f"0 passed, {total} failed")
            return 1
        print(f"worker at {worker.base_url} (ready in {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

        runner = _Runner(stream=sys.stderr, verbosity=2 if args.verbose else 1, resultclass=_Result)
        try:
            result = runner.run(suite)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr, flush=True)
            result = runner.result
        if not result.wasSuccessful() and worker.log_path:
            print(worker.log_tail(60), file=sys.stderr, flush=True)
    finally:
        harness.stop_worker()

    return harness.report(result, total)


if __name__ == "__main__":
    sys.exit(main())
