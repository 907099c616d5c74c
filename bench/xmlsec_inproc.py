#!/usr/bin/env python3
"""libxmlsec1 in-process (PyPI's `xmlsec` binding over libxmlsec1 + OpenSSL, with lxml's libxml2)
on the fixed inputs: one JSON line per input, microseconds, the same nearest-rank percentiles as
every bench script.

What one timed call does, per response (what an SP on python3-saml / xmlsec does in-process):
parse the bytes with lxml (`etree.fromstring`, no network, no entity expansion), register the
`ID` attributes (`xmlsec.tree.add_ids`), then verify every ds:Signature in document order with a
fresh `xmlsec.SignatureContext` holding the IdP key (loaded once, before the loop, from the
certificate, as saml-verify's trust is built once). **Signature checks only**: no SAML
conditions, no check of which element each signature covers.

    python3 bench/xmlsec_inproc.py [--inputs DIR] [--n 2000] [--warmup 200] [--max-seconds 8] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DSIG = "http://www.w3.org/2000/09/xmldsig#"


def pct(sorted_values: list[float], q: float) -> float:
    """Nearest rank, as in every bench script: sorted[ceil(q * n) - 1]."""
    n = len(sorted_values)
    return sorted_values[min(n, max(1, math.ceil(q * n))) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description="libxmlsec1 in-process timings on bench/inputs")
    ap.add_argument("--inputs", default=os.path.join(HERE, "inputs"))
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=8.0)
    ap.add_argument("--only")
    a = ap.parse_args()
    try:
        import xmlsec
        from lxml import etree
    except ImportError as e:
        sys.exit(f"python xmlsec binding not importable ({e}): run scripts/install.sh (pip install xmlsec==1.3.17)")

    with open(os.path.join(a.inputs, "inputs.json"), encoding="utf-8") as f:
        m = json.load(f)
    key = xmlsec.Key.from_file(os.path.join(a.inputs, m["cert"]), xmlsec.constants.KeyDataFormatCertPem)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)

    def verify(data: bytes) -> int:
        root = etree.fromstring(data, parser)
        xmlsec.tree.add_ids(root, ["ID"])
        n = 0
        for sig in root.iter(f"{{{DSIG}}}Signature"):
            ctx = xmlsec.SignatureContext()
            ctx.key = key
            ctx.verify(sig)  # raises xmlsec.VerificationError on a bad signature
            n += 1
        return n

    for inp in m["inputs"]:
        if a.only and a.only != inp["name"]:
            continue
        with open(os.path.join(a.inputs, inp["file"]), "rb") as f:
            data = f.read()
        got = verify(data)
        if got != inp["signatures"]:
            sys.exit(f"{inp['name']}: {got} signatures verified, inputs.json says {inp['signatures']}")
        warm_end = time.perf_counter() + min(a.max_seconds / 4, 2.0)
        for _ in range(a.warmup):
            verify(data)
            if time.perf_counter() >= warm_end:
                break
        times = []
        end = time.perf_counter() + a.max_seconds
        while len(times) < a.n and time.perf_counter() < end:
            t0 = time.perf_counter()
            verify(data)
            times.append((time.perf_counter() - t0) * 1e6)
        s = sorted(times)
        print(json.dumps({"impl": "xmlsec-inproc", "input": inp["name"], "n": len(s), "median_us": pct(s, 0.5),
                          "p99_us": pct(s, 0.99), "mean_us": statistics.fmean(s), "min_us": s[0], "max_us": s[-1],
                          "libxmlsec1": ".".join(map(str, xmlsec.get_libxmlsec_version())),
                          "libxml2": ".".join(map(str, etree.LIBXML_VERSION))}), flush=True)


if __name__ == "__main__":
    main()
