#!/usr/bin/env python3
"""Run the integration suite against one `wrangler dev` worker (or WORKER_URL).

    python3 tests/integration/run.py [-v] [-k PATTERN]

Ends with exactly one line `N passed, N failed`; exits 1 when anything failed.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import runner  # noqa: E402

if __name__ == "__main__":
    sys.exit(runner.run_suite(HERE, __doc__, always_show_log=True))
