#!/usr/bin/env python3
"""xmlsec1 (Debian's, OpenSSL back end) on the fixed inputs: one JSON line per measurement.

Every ds:Signature is verified by its own `xmlsec1 --verify` with `--node-xpath` selecting it
(xmlsec1 verifies one signature per run), with the IdP certificate as the only trust anchor:

    xmlsec1 --verify --enabled-key-data x509 --pubkey-cert-pem CERT \
      --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response \
      --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
      --node-xpath "(//*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#'])[N]" FILE

Measured:
  xmlsec1-startup  the same command on an empty file: process start, library and OpenSSL set-up,
                   loading the certificate, then a parse error. n runs, wall time.
  xmlsec1-wall     per response: all its signatures' runs one after the other, wall time from
                   Python around subprocess.run (fork/exec included). n responses.
  xmlsec1-repeat   per response without process start-up: xmlsec1's own `--repeat R` re-reads,
                   re-parses and re-verifies the file R times in one process. Per batch and
                   signature: (wall(--repeat R) - wall(--repeat 1)) / (R - 1), summed over the
                   response's signatures. median = median over the batches; p99 is not
                   available (each batch gives a mean of R-1 verifications).

    python3 bench/xmlsec_bench.py [--inputs DIR] [--runs N] [--batches K] [--repeat R] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SIG_XPATH = "(//*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#'])[{n}]"


def pct(sorted_values: list[float], q: float) -> float:
    """Nearest rank, as in every bench script: sorted[ceil(q * n) - 1]."""
    n = len(sorted_values)
    return sorted_values[min(n, max(1, math.ceil(q * n))) - 1]


def summary(times_us: list[float]) -> dict:
    s = sorted(times_us)
    return {"n": len(s), "median_us": pct(s, 0.5), "p99_us": pct(s, 0.99), "mean_us": statistics.fmean(s),
            "min_us": s[0], "max_us": s[-1]}


def command(cert: str, n: int, path: str, repeat: int = 1) -> list[str]:
    cmd = ["xmlsec1", "--verify", "--enabled-key-data", "x509", "--pubkey-cert-pem", cert,
           "--id-attr:ID", f"{NS_SAMLP}:Response", "--id-attr:ID", f"{NS_SAML}:Assertion",
           "--node-xpath", SIG_XPATH.format(n=n)]
    if repeat > 1:
        cmd += ["--repeat", str(repeat)]
    return cmd + [path]


def timed(cmd: list[str], expect_ok: bool = True) -> float:
    """Wall seconds of one run; the exit status must be as expected."""
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    dt = time.perf_counter() - t0
    if (rc == 0) != expect_ok:
        sys.exit(f"xmlsec1 exited {rc} (expected {'0' if expect_ok else 'non-zero'}): {' '.join(cmd)}")
    return dt


def check(cmd: list[str]) -> None:
    p = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0 or b"\nOK\n" not in b"\n" + p.stderr:
        sys.exit(f"xmlsec1 does not verify: {' '.join(cmd)}\n{p.stderr.decode(errors='replace')[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description="xmlsec1 timings on bench/inputs")
    ap.add_argument("--inputs", default=os.path.join(HERE, "inputs"))
    ap.add_argument("--runs", type=int, default=200, help="processes timed per response (and for the start-up)")
    ap.add_argument("--batches", type=int, default=15, help="--repeat batches per response")
    ap.add_argument("--repeat", type=int, default=100, help="R for --repeat")
    ap.add_argument("--only")
    a = ap.parse_args()
    with open(os.path.join(a.inputs, "inputs.json"), encoding="utf-8") as f:
        m = json.load(f)
    cert = os.path.join(a.inputs, m["cert"])

    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty.xml")
        open(empty, "wb").close()
        base = command(cert, 1, empty)
        for _ in range(5):
            timed(base, expect_ok=False)
        startup = [timed(base, expect_ok=False) * 1e6 for _ in range(a.runs)]
        print(json.dumps({"impl": "xmlsec1-startup", "input": "empty file", **summary(startup)}), flush=True)

    for inp in m["inputs"]:
        if a.only and a.only != inp["name"]:
            continue
        path = os.path.join(a.inputs, inp["file"])
        sigs = range(1, inp["signatures"] + 1)
        cmds = [command(cert, n, path) for n in sigs]
        for c in cmds:
            check(c)
        for _ in range(5):
            for c in cmds:
                timed(c)
        wall = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            for c in cmds:
                timed(c)
            wall.append((time.perf_counter() - t0) * 1e6)
        print(json.dumps({"impl": "xmlsec1-wall", "input": inp["name"], "processes_per_response": len(cmds),
                          **summary(wall)}), flush=True)

        rep = [command(cert, n, path, repeat=a.repeat) for n in sigs]
        per_batch = []
        for _ in range(a.batches):
            est = 0.0
            for one, many in zip(cmds, rep):
                t_many = timed(many)
                t_one = timed(one)
                est += (t_many - t_one) / (a.repeat - 1)
            per_batch.append(est * 1e6)
        s = sorted(per_batch)
        print(json.dumps({"impl": "xmlsec1-repeat", "input": inp["name"], "n": a.batches * a.repeat,
                          "batches": a.batches, "repeat": a.repeat, "median_us": pct(s, 0.5), "p99_us": None,
                          "mean_us": statistics.fmean(s), "min_us": s[0], "max_us": s[-1]}), flush=True)


if __name__ == "__main__":
    main()
