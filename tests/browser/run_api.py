#!/usr/bin/env python3
"""Run tests/browser/test_*.py (unittest) against one worker; ends with `N passed, N failed`.

    python3 tests/browser/run_api.py [-v] [-k PATTERN]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402


class _Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.started: set[str] = set()

    def startTest(self, test):
        self.started.add(test.id())
        super().startTest(test)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-k", dest="patterns", action="append")
    args = ap.parse_args()
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    total = suite.countTestCases()
    started = time.monotonic()
    result = None
    try:
        try:
            w = harness.get_worker()
        except Exception as e:  # noqa: BLE001
            print(f"could not start the worker: {e}", file=sys.stderr, flush=True)
            print(f"0 passed, {total} failed")
            return 1
        print(f"worker at {w.base_url} (ready in {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=2 if args.verbose else 1, resultclass=_Result)
        result = runner.run(suite)
        if not result.wasSuccessful() and w.log_path and os.environ.get("SHOW_WORKER_LOG") == "1":
            print(w.log_tail(60), file=sys.stderr, flush=True)
    finally:
        harness.stop_worker()
    return harness.report(result, total)


if __name__ == "__main__":
    sys.exit(main())
