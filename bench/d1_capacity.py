#!/usr/bin/env python3
"""D1 work per sign-in, measured on the real worker (issue #16's capacity model), and how many
sign-ins per second one local D1 sustains.

    python3 bench/d1_capacity.py [--repeat 5] [--n 2000] [--levels 1,8,32] [--e2e 300]

1. Builds the worker as `wrangler deploy` does (the repo's wrangler.toml build command; set
   CAPACITY_SKIP_BUILD=1 to use build/ as it is) and starts it under `wrangler dev` through
   tests/integration/harness.py with WORKER_CONFIG=bench/capacity/wrangler.toml: the same built
   worker behind bench/capacity/shim.mjs, which wraps the D1 binding and returns, per request,
   the statements run (each statement of a batch counted), the batches, and the sums of D1's own
   `meta.rows_read` / `meta.rows_written` in an `X-D1-Stats` header.
2. Per sign-in kind (existing user, first login, refusal by policy, replay, bad signature),
   `--repeat` responses signed by tests/integration/signer.py (xmlsec1, Response and Assertion
   signed) are posted one at a time; the counts must be the same every time.
3. D1 alone: the statements of one recorded existing-user sign-in and of one first login are run
   again `--n` times straight on D1 (POST /__d1replay in the shim: no verification, no KV), with
   the assertion ID and the new address made unique per run, from each of `--levels` concurrent
   requests (each replaying its share one sign-in after the other): sign-ins' worth of D1 work
   per second.
4. End to end: `--e2e` pre-signed existing-user sign-ins and first logins posted to workerd's own
   socket (not wrangler's proxy, which resets connections past ~100 concurrent posts) at the
   highest level: what the whole local worker sustains on this machine.

Prints JSON lines, then a markdown summary; everything is local (workerd, miniflare's D1 on
SQLite), so absolute rates are this machine's, not Cloudflare's.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import secrets
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, HERE)
os.environ["WORKER_CONFIG"] = os.path.join(HERE, "capacity", "wrangler.toml")

import e2e  # noqa: E402  (sets tempfile.tempdir under bench/target/e2e-tmp)
import harness  # noqa: E402
import signer  # noqa: E402

DOMAIN = e2e.DOMAIN


def log(msg: str) -> None:
    print(f"[d1-capacity] {msg}", file=sys.stderr, flush=True)


def build() -> None:
    if os.environ.get("CAPACITY_SKIP_BUILD") == "1" and os.path.exists(os.path.join(REPO, "build", "index.js")):
        return
    log("building the worker (wrangler deploy --dry-run: the repo's build command)")
    out = os.path.join(HERE, "target", "capacity-dist")
    p = subprocess.run(["npx", "--no", "--", "wrangler", "deploy", "--dry-run", "--outdir", out], cwd=REPO,
                       capture_output=True, env=dict(os.environ, WRANGLER_SEND_METRICS="false", CI="1"))
    if p.returncode != 0:
        sys.exit("build failed:\n" + (p.stdout + p.stderr).decode(errors="replace")[-3000:])


def stats_of(r: harness.Response) -> dict:
    raw = r.headers.get("X-D1-Stats")
    if not raw:
        sys.exit(f"no X-D1-Stats header (is the shim running?): {r!r}")
    return json.loads(raw)


def shape(stats: dict) -> str:
    """The statements as `VERB table (rows written)`, a batch in brackets: e.g.
    `SELECT users; [UPDATE users (2w), INSERT audit_log (3w)]`."""
    def one(op: dict) -> str:
        m = re.match(r"\s*(\w+)\s+(?:INTO\s+|FROM\s+)?(\w+)", op["sql"], re.I)
        verb, table = (m.group(1).upper(), m.group(2)) if m else ("?", "?")
        if verb == "SELECT":
            t = re.search(r"\bFROM\s+(\w+)", op["sql"], re.I)
            table = t.group(1) if t else table
        return f"{verb} {table} ({op['rows_written']}w)" if op["rows_written"] else f"{verb} {table}"
    return "; ".join(("[" + ", ".join(map(one, g)) + "]") if g and g[0].get("batch") else one(g[0])
                     for g in stats["ops"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n", type=int, default=2000, help="replays per level of the D1-only measurement")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--e2e", type=int, default=300, help="requests per kind end to end (0: skip)")
    a = ap.parse_args()
    levels = [int(x) for x in a.levels.split(",") if x.strip()]

    build()
    os.environ["CAPACITY_SKIP_BUILD"] = "1"
    idp = signer.TestIdP()
    w = harness.get_worker()
    company = "cap-" + secrets.token_hex(4)
    e2e.must(w.support("PUT", f"/admin/companies/{company}", e2e.settings_doc(idp)), 200, "PUT settings")
    users = [f"jon.smith@{DOMAIN}"] + [f"user{i:04d}@{DOMAIN}" for i in range(16)]
    for email in users:
        e2e.must(w.support("POST", f"/admin/companies/{company}/users",
                           {"email": email, "confirmed": True, "impersonation": False}), 201, "POST user")
    sp, acs = w.sp_entity_id(company), w.acs_url(company)

    def sign(email: str) -> bytes:
        return idp.response(email, sp_entity_id=sp, acs_url=acs, sign="both")

    def post(xml: bytes) -> harness.Response:
        return w.post_acs(company, xml, accept_json=True)

    # One of each, untimed: the first request compiles the module and warms KV.
    e2e.must(post(sign(users[1])), 303, "warm-up")

    kinds = {}
    recorded = {}
    for i in range(a.repeat):
        signin = sign(users[1 + i % (len(users) - 1)])
        first_email = f"cap-first-{secrets.token_hex(4)}@{DOMAIN}"
        first = sign(first_email)
        runs = [
            ("existing user", signin, 303),
            ("first login", first, 303),
            ("refusal (policy: domain not provisionable)", sign(f"someone-{i}@decorumsoft.eu"), 403),
            ("replay (same response again)", signin, 403),
            # The signed address changed after signing: the digest no longer matches.
            ("refusal (signature invalid)", signer.replace_text(sign(users[1]), users[1], users[2]), None),
        ]
        for kind, xml, want in runs:
            r = post(xml)
            if want is not None and r.status != want:
                sys.exit(f"{kind}: expected {want}, got {r!r}")
            s = stats_of(r)
            row = {"statements": s["statements"], "batches": s["batches"], "rows_read": s["rows_read"],
                   "rows_written": s["rows_written"], "writes": sum(1 for g in s["ops"] for o in g
                                                                     if not o["sql"].lstrip().upper().startswith("SELECT")),
                   "shape": shape(s), "status": r.status}
            kinds.setdefault(kind, []).append(row)
            if i == 0 and kind in ("existing user", "first login", "refusal (signature invalid)"):
                # The last writes only its audit row: replayed, it gives the bytes of one audit row.
                aid = signer.assertion_id_of(xml)
                vary = [aid] + ([first_email.split("@")[0]] if kind == "first login" else [])
                # The audit reference (random per request) need not be unique: left as recorded.
                recorded[kind] = {"ops": s["ops"], "vary": vary}
    summary = {}
    for kind, rows in kinds.items():
        first_row = rows[0]
        same = all({k: v for k, v in r.items() if k != "rows_read"} == {k: v for k, v in first_row.items() if k != "rows_read"}
                   for r in rows)
        summary[kind] = {**first_row, "rows_read_max": max(r["rows_read"] for r in rows), "same_every_time": same,
                         "n": len(rows)}
        print(json.dumps({"what": "per-sign-in", "kind": kind, **summary[kind]}), flush=True)

    direct = w.direct()
    replay = []
    for kind, rec in recorded.items():
        for c in levels:
            # c requests at once, each replaying n/c sign-ins one after the other: a Worker
            # invocation keeps at most 6 subrequests open, so lanes inside one request would
            # measure that limit, not the database.
            def lane(_: int) -> dict:
                body = json.dumps({"ops": rec["ops"], "n": max(1, a.n // c), "concurrency": 1,
                                   "vary": rec["vary"], "salt": secrets.token_hex(6)}).encode()
                r = direct.request("POST", "/__d1replay", body=body,
                                   headers={"Content-Type": "application/json"}, timeout=900)
                if r.status != 200:
                    sys.exit(f"/__d1replay: {r!r}")
                return r.json()
            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(c) as ex:
                parts = list(ex.map(lane, range(c)))
            wall = time.perf_counter() - t0
            n = sum(p["n"] for p in parts)
            res = {"n": n, "concurrency": c, "seconds": wall, "per_second": n / wall,
                   "rows_written": sum(p["rows_written"] for p in parts),
                   "errors": [e for p in parts for e in p["errors"]][:5],
                   "bytes_per_run": max(p["bytes_per_run"] for p in parts) if c == 1 else
                   (max(p["size_after"] for p in parts) - min(p["size_before"] for p in parts)) / n,
                   "what": "d1-only", "kind": kind}
            replay.append(res)
            print(json.dumps(res), flush=True)
            log(f"D1 only, {kind}, {c} lanes: {res['per_second']:.0f}/s, errors {res['errors'][:1]}")

    e2e_rows = []
    if a.e2e > 0:
        top = max(levels)
        for kind in ("existing user", "first login"):
            emails = ([users[1 + i % (len(users) - 1)] for i in range(a.e2e)] if kind == "existing user"
                      else [f"cap-load-{secrets.token_hex(4)}@{DOMAIN}" for _ in range(a.e2e)])
            bodies = e2e.sign_all(idp, w.public_origin, company, emails, "both", 4)
            r = e2e.load(direct, company, bodies, top)
            r.update(what="end-to-end", kind=kind)
            e2e_rows.append(r)
            print(json.dumps(r), flush=True)
            log(f"end to end, {kind}, {top} clients: {r['rps']:.0f}/s, non-303 {r['non_303']}")

    print()
    print("| sign-in kind | D1 statements (writes) | batches | rows written | rows read | statements |")
    print("| --- | --: | --: | --: | --: | --- |")
    for kind, s in summary.items():
        flag = "" if s["same_every_time"] else " (varied)"
        print(f"| {kind} | {s['statements']} ({s['writes']}) | {s['batches']} | {s['rows_written']}{flag} | "
              f"≤ {s['rows_read_max']} | {s['shape']} |")
    print()
    print("| D1 only (statements of one sign-in, replayed) | lanes | n | per second | DB growth per sign-in | errors |")
    print("| --- | --: | --: | --: | --: | --: |")
    for r in replay:
        print(f"| {r['kind']} | {r['concurrency']} | {r['n']} | {r['per_second']:.0f} | "
              f"{r['bytes_per_run']:.0f} B | {len(r['errors'])} |")
    for r in e2e_rows:
        print(f"\nend to end ({r['kind']}, {r['concurrency']} clients on workerd's socket): {r['rps']:.1f}/s, "
              f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, non-303 {r['non_303']}")
    # For bench/capacity_sim.py: the measured inputs of the model.
    out = os.path.join(HERE, "results", "capacity.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "per_sign_in": summary,
                   "d1_only": replay, "end_to_end": e2e_rows}, f, indent=1)
    log(f"wrote {out}")
    harness.stop_worker()


if __name__ == "__main__":
    main()
