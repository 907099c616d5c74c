#!/usr/bin/env python3
"""Turn bench/results/raw/ (written by bench/run.sh) into ONE markdown table: printed, and
written to bench/results/latest.md.

    python3 bench/report.py [RAW_DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

IMPL_LABEL = {
    "native": "native Rust (release, LTO)",
    "wasm-worker": "wasm on V8 (worker build: verifier crates at opt-level 3, the rest z; wasm-opt -Oz)",
    "wasm-all-z": "wasm on V8 (everything at opt-level z; wasm-opt -Oz)",
    "wasm-all-3": "wasm on V8 (everything at opt-level 3; wasm-opt -Oz)",
    "xml-crypto": "xml-crypto on Node, in-process",
    "xmlsec1-wall": "xmlsec1, one process per signature (wall)",
    "xmlsec1-repeat": "xmlsec1 `--repeat`, start-up excluded (mean per batch)",
    "xmlsec-inproc": "libxmlsec1 in-process (PyPI xmlsec + lxml)",
}
ORDER = ["native", "wasm-worker", "wasm-all-z", "wasm-all-3", "xml-crypto", "xmlsec1-wall", "xmlsec1-repeat",
         "xmlsec-inproc"]
CHOICE_IMPL = {"shipped": "wasm-worker", "all-z": "wasm-all-z", "all-3": "wasm-all-3"}
CHOICE_LABEL = {"shipped": "mixed (shipped): saml-verify, quick-xml, memchr, sha2, base64 at 3, the rest z",
                "all-z": "all opt-level z (before issue #16)", "all-3": "all opt-level 3"}
TYPICAL = "typical-both-sha256"


def issue16(micro: dict, raw: str) -> list[str]:
    """Issue #16: the build choices side by side, the targets, and where the native time goes."""
    out = []
    choices = read_jsonl(os.path.join(raw, "bundle-choices.jsonl"))
    if choices or any((CHOICE_IMPL[c], TYPICAL) in micro for c in CHOICE_IMPL):
        out += ["", f"Build choices ({TYPICAL}, wasm on V8, the same run):", "",
                "| worker build | bundle (scripts/bundle-size.sh) | wasm median | wasm p99 |", "|---|---|--:|--:|"]
        lines = {c["choice"]: c["line"] for c in choices}
        for c in ("all-z", "shipped", "all-3"):
            r = micro.get((CHOICE_IMPL[c], TYPICAL), {})
            out.append(f"| {CHOICE_LABEL[c]} | {lines.get(c, 'not built')} | {fmt_us(r.get('median_us'))} | "
                       f"{fmt_us(r.get('p99_us'))} |")
    native = micro.get(("native", TYPICAL), {}).get("median_us")
    wasm = micro.get(("wasm-worker", TYPICAL), {}).get("median_us")
    inproc = micro.get(("xmlsec-inproc", TYPICAL), {}).get("median_us")
    out += ["", f"Targets ({TYPICAL}, medians):", ""]
    if wasm is not None:
        out.append(f"- worker wasm on V8 ≤ 400 µs: {fmt_us(wasm)} ({'met' if wasm <= 400 else 'NOT met'})")
    if native is not None:
        out.append(f"- native ≤ 120 µs: {fmt_us(native)} ({'met' if native <= 120 else 'NOT met'})")
    if native is not None and inproc:
        r = native / inproc
        out.append(f"- native ≤ 0.2× libxmlsec1 in-process: {fmt_us(native)} / {fmt_us(inproc)} = {r:.2f}× "
                   f"({'met' if r <= 0.2 else 'NOT met'})")
    for p in read_jsonl(os.path.join(raw, "phases.jsonl")):
        sh = p["share_pct"]
        out += ["", f"Native phases ({p['input']}, medians of {p['n']} calls each, bench/native/src/bin/phases.rs): "
                f"whole verify {fmt_us(p['total_us'])}; parse {fmt_us(p['parse_us'])} ({sh['parse']} %), "
                f"re-parse of the signed Response's canonical bytes {fmt_us(p['reparse_us'])} ({sh['reparse']} %), "
                f"exclusive c14n of the 4 signed parts {fmt_us(p['c14n_us'])} ({sh['c14n']} %), "
                f"SHA-256 of their {sum(p['canonical_bytes']):,} canonical bytes {fmt_us(p['sha256_us'])} ({sh['sha256']} %), "
                f"2 RSA-2048 verifications {fmt_us(p['rsa_us'])} ({sh['rsa']} %), the rest {fmt_us(p['rest_us'])} "
                f"({sh['rest']} %); {p['allocations_per_verify']} heap allocations "
                f"({p['allocated_bytes_per_verify'] / 1024:.0f} KiB) per verify."]
    for f in read_jsonl(os.path.join(raw, "openssl-floor.jsonl")):
        line = (f"Floor ({f['openssl']}, `openssl speed`): RSA-2048 verify {fmt_us(f['rsa2048_verify_us'])}, SHA-256 "
                f"{f['sha256_mb_per_s']:.0f} MB/s; 2 verifications + SHA-256 of {f['canonical_bytes']:,} bytes = "
                f"{fmt_us(f['floor_us'])}")
        if native:
            line += f"; native saml-verify is {native / f['floor_us']:.1f}× that"
        out += ["", line + "."]
    return out


def read_jsonl(path: str) -> list[dict]:
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return out


def fmt_us(us: float | None) -> str:
    if us is None:
        return "n/a"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 100_000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1000:.0f} ms"


def fmt_ms(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def ratio(x: float | None, base: float | None) -> str:
    if x is None or not base:
        return ""
    r = x / base
    return f"{r:.1f}× native" if r < 100 else f"{r:.0f}× native"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", nargs="?", default=os.path.join(HERE, "results", "raw"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    a = ap.parse_args()
    raw = a.raw

    meta = {}
    if os.path.exists(os.path.join(raw, "meta.json")):
        with open(os.path.join(raw, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
    with open(os.path.join(HERE, "inputs", "inputs.json"), encoding="utf-8") as f:
        manifest = json.load(f)

    micro: dict[tuple[str, str], dict] = {}
    for name in ("native", "wasm", "xmlcrypto", "xmlsec", "xmlsec-inproc"):
        for r in read_jsonl(os.path.join(raw, f"{name}.jsonl")):
            micro[(r["impl"], r["input"])] = r
    e2e = read_jsonl(os.path.join(raw, "e2e.jsonl"))

    rows = []
    for inp in manifest["inputs"]:
        name = inp["name"]
        desc = f"{name} ({inp['bytes'] / 1024:.1f} KiB, {inp['signatures']} sig)"
        base = micro.get(("native", name), {}).get("median_us")
        for impl in ORDER:
            r = micro.get((impl, name))
            if r is None:
                continue
            n = str(r["n"])
            if impl == "xmlsec1-repeat":
                n = f"{r['batches']}×{r['repeat']}"
            if impl == "xmlsec1-wall" and r.get("processes_per_response", 1) > 1:
                n += f" ({r['processes_per_response']} proc. each)"
            rows.append([IMPL_LABEL[impl], desc, n, fmt_us(r["median_us"]), fmt_us(r["p99_us"]),
                         "1 (baseline)" if impl == "native" else ratio(r["median_us"], base)])
    st = micro.get(("xmlsec1-startup", "empty file"))
    if st:
        rows.append(["xmlsec1 start-up: same command, empty file (fails at parse)", "empty file", str(st["n"]),
                     fmt_us(st["median_us"]), fmt_us(st["p99_us"]), ""])
    for r in e2e:
        rows.append([f"end to end: {r['kind']}, concurrency {r['concurrency']} (latency)",
                     f"wrangler dev, {'Response+Assertion' if r.get('sign') == 'both' else 'Assertion'} signed",
                     str(r["n"]), fmt_ms(r["p50_ms"]), fmt_ms(r["p99_ms"]),
                     f"{r['rps']:.1f} req/s; non-303: {r['non_303']}"
                     + ("; WORKER RELOADED DURING THE RUN (src/ changed): not a measurement" if r.get("worker_reloads")
                        else "; 2nd try (the 1st saw a worker reload)" if r.get("attempt", 1) > 1 else "")])
    # Issue #11: a forged signature over the crafted 1 MiB c14n input against a plain unsigned
    # Response of the same size (both refused), natively and in the worker-built wasm.
    for r in read_jsonl(os.path.join(raw, "pre-auth.jsonl")):
        rows.append([f"pre-auth cost, {r['impl']}: crafted c14n input / plain unsigned (refused)",
                     "1 MiB each (examples/pre_auth_inputs.rs)", "15",
                     f"{r['crafted']['median_ms']:.1f} / {r['plain']['median_ms']:.1f} ms", "",
                     f"{r['median_ratio']:.2f}× (fastest: {r['ratio']:.2f}×)"])
    # Issue #11: decryption time by failure kind (the same path for every failure).
    for r in read_jsonl(os.path.join(raw, "decrypt-timing.jsonl")):
        rows.append(["decryption by outcome: valid / bad CBC padding / bad OAEP (medians)",
                     "aes256-cbc + rsa-oaep-mgf1p, blinded (examples/decrypt_timing.rs)", str(r["runs"]),
                     " / ".join(fmt_us(r[k]["median_us"]) for k in ("valid", "bad_padding", "bad_oaep")),
                     "", f"padding/valid {r['bad_padding_over_valid']:.3f}, OAEP/valid {r['bad_oaep_over_valid']:.3f}"])
    for r in read_jsonl(os.path.join(raw, "cold-start.jsonl")):
        if r.get("not_measured"):
            rows.append([f"cold start, {r['place']}: NOT MEASURED", r["not_measured"], "", "", "", ""])
        elif r["place"] == "node-v8":
            rows.append(["cold start, Node V8: module load (wasm compile + instantiate) + first request",
                         "build/ (worker-build output)", str(r["runs"]), fmt_ms(r["median_total_ms"]), "",
                         f"load {fmt_ms(r['median_load_ms'])}, first request {fmt_ms(r['median_first_request_ms'])}"])
        else:
            rows.append(["cold start, wrangler dev (workerd): fresh process to first /healthz answer",
                         "build/ (worker-build output)", str(r["runs"]),
                         fmt_ms(r["median_process_start_to_first_answer_ms"]), "",
                         f"first request after ready: {fmt_ms(r['median_first_request_ms'])}"])
    bundle = meta.get("bundle_line")
    if bundle:
        rows.append([f"worker bundle (scripts/bundle-size.sh): {bundle}", "", "", "", "", ""])

    # Sections that produced nothing: say so in the table rather than leave a silent gap.
    for step, why in meta.get("failures", {}).items():
        rows.append([f"NOT MEASURED: {step}", why, "", "", "", ""])

    head = ["what", "input", "n", "median", "p99", "ratio / throughput"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", "---", "--:", "--:", "--:", "---"]) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    table = "\n".join(lines)

    top = ["# saml-verify benchmark", ""]
    facts = []
    for k, label in (("date", "run"), ("git", "tree"), ("cpu", "CPU"), ("loadavg", "load average at start"),
                     ("versions", "tools"), ("knobs", "settings"), ("total_seconds", "total run time (s)")):
        if k in meta:
            facts.append(f"- {label}: {meta[k]}")
    notes = [
        "",
        "median/p99 are nearest-rank over per-call times (per response: all of its signatures). "
        "Ratios: median of the row / median of native Rust on the same input. "
        "saml-verify does the whole SAML check (signatures, references, conditions, audience, "
        "recipient, time window); xml-crypto and xmlsec1 rows are signature checks only. "
        "See bench/README.md for exactly what each row measures.",
    ]
    out = "\n".join(top + facts + ["", table] + notes + issue16(micro, raw)) + "\n"
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(out)
    print(out, end="")


if __name__ == "__main__":
    main()
