#!/usr/bin/env python3
"""Run tests/api/test_*.py (unittest) against one worker; ends with `N passed, N failed`.

    python3 tests/api/run.py [-v] [-k PATTERN]

The worker's log tail is printed on failure with SHOW_WORKER_LOG=1.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import runner  # noqa: E402

if __name__ == "__main__":
    sys.exit(runner.run_suite(HERE, __doc__, always_show_log=False))
