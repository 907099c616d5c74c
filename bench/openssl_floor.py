#!/usr/bin/env python3
"""The physical floor of verifying the Okta-shaped response on this machine (issue #16): OpenSSL's
own RSA-2048 public-key verification and SHA-256 throughput (`openssl speed`), and what two
verifications plus SHA-256 over the response's canonical bytes cost at those speeds. One JSON
line on stdout.

    python3 bench/openssl_floor.py [--seconds 3] [--canonical-bytes N]

`--canonical-bytes` defaults to what the phases binary reports for typical-both-sha256 (the
Response without its Signature, the Assertion without its Signature, and both SignedInfo
elements, canonicalized: 9,815 bytes), read from bench/results/raw/phases.jsonl when present.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def speed(args: list[str]) -> str:
    p = subprocess.run(["openssl", "speed", *args], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"openssl speed {' '.join(args)} failed: {p.stderr[-500:]}")
    return p.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--canonical-bytes", type=int)
    a = ap.parse_args()
    canonical = a.canonical_bytes
    phases = os.path.join(HERE, "results", "raw", "phases.jsonl")
    if canonical is None and os.path.exists(phases):
        with open(phases, encoding="utf-8") as f:
            for line in f:
                if line.startswith("{"):
                    canonical = sum(json.loads(line)["canonical_bytes"])
    canonical = canonical or 9815

    rsa = speed(["-seconds", str(a.seconds), "rsa2048"])
    # "rsa 2048 bits 0.000287s 0.000015s   3483.5  65794.0": sign s, verify s, sign/s, verify/s
    m = re.search(r"^rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)", rsa, re.M)
    if not m:
        sys.exit(f"cannot read openssl speed rsa2048:\n{rsa[-800:]}")
    verify_us = 1e6 / float(m.group(4))
    sha = speed(["-seconds", str(a.seconds), "-bytes", "8192", "sha256"])
    m2 = re.search(r"^sha256\s+([\d.]+)k", sha, re.M)
    if not m2:
        sys.exit(f"cannot read openssl speed sha256:\n{sha[-800:]}")
    sha_bytes_per_us = float(m2.group(1)) * 1000 / 1e6  # "k" = 1000 bytes/s
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    floor = 2 * verify_us + canonical / sha_bytes_per_us
    print(json.dumps({"impl": "openssl-floor", "openssl": version, "rsa2048_verify_us": verify_us,
                      "sha256_mb_per_s": sha_bytes_per_us, "canonical_bytes": canonical,
                      "floor_us": floor}), flush=True)


if __name__ == "__main__":
    main()
