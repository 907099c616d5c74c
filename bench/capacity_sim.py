#!/usr/bin/env python3
"""A synthetic day of sign-ins for 10,000 companies against the capacity model (issue #16): where
one D1 database stops being enough, and how far sharding companies across D1 databases takes it.
No network, no randomness beyond a fixed seed: the same output every run.

    python3 bench/capacity_sim.py [--companies 10000] [--seed 16] [--capacity FILE]

Inputs MEASURED here (bench/d1_capacity.py writes them to bench/results/capacity.json; the
defaults below are that script's run of 2026-12-04, used when the file is missing):
  - D1 statements, rows written and rows read per sign-in kind;
  - sign-ins per second of D1 work one local D1 sustains (the best of the replayed levels);
  - database growth per sign-in and per audit row (D1's meta.size_after).

Everything else is an ASSUMPTION, stated here and printed with the output:
  - users per company: log-normal, median 40, sigma 1.6, clipped to 5 .. 250,000 (most companies
    are small, a few have tens of thousands of users);
  - sign-ins: each user signs in 1.5 times per working day (the session cookie lasts 8 hours), no
    weekend traffic is modelled (weekdays are the peak);
  - kinds: 97 % existing user, 0.5 % first login, 1.5 % refused by policy, 0.5 % replay,
    0.5 % bad signature;
  - time zones: companies split 35 % Americas (UTC-5), 40 % Europe (UTC+1), 25 % Asia-Pacific
    (UTC+8), each company at one offset;
  - local diurnal curve: 55 % of a company's sign-ins around 09:00 (normal, sd 45 min: the morning
    storm), 30 % around 13:30 (sd 90 min), 15 % spread over 07:00-19:00; a minute's sign-ins
    arrive as a Poisson process, so the busiest second of a minute is about the minute's mean plus
    three standard deviations;
  - audit rows are kept AUDIT_RETENTION_DAYS (400) days; users never deleted.
Cloudflare's documented limits (developers.cloudflare.com/d1/platform/limits, not measured here):
  10 GB per D1 database; a D1 database runs one query at a time ("if your average query takes
  1 ms, you can run approximately 1,000 queries per second").

Every number derived from these is an EXTRAPOLATION, and the output says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

# bench/d1_capacity.py, 2026-12-04 (this 2-core machine, wrangler dev 4.86, miniflare's D1).
DEFAULT_MEASURED = {
    "per_sign_in": {
        "existing user": {"statements": 4, "writes": 3, "rows_written": 7, "rows_read_max": 5},
        "first login": {"statements": 6, "writes": 3, "rows_written": 9, "rows_read_max": 25},
        "refusal (policy: domain not provisionable)": {"statements": 4, "writes": 2, "rows_written": 6,
                                                       "rows_read_max": 5},
        "replay (same response again)": {"statements": 2, "writes": 2, "rows_written": 3, "rows_read_max": 3},
        "refusal (signature invalid)": {"statements": 1, "writes": 1, "rows_written": 3, "rows_read_max": 3},
    },
    "d1_only": [{"kind": "existing user", "per_second": 285.0, "bytes_per_run": 250.0}],
}
MIX = {  # share of a day's sign-ins (assumption)
    "existing user": 0.97,
    "first login": 0.005,
    "refusal (policy: domain not provisionable)": 0.015,
    "replay (same response again)": 0.005,
    "refusal (signature invalid)": 0.005,
}
ZONES = [(-5, 0.35), (1, 0.40), (8, 0.25)]
SIGN_INS_PER_USER = 1.5
RETENTION_DAYS = 400
D1_MAX_BYTES = 10 * 10**9
DOC_QUERIES_PER_S = 1000  # documented rule of thumb for 1 ms queries
HEADROOM = 0.5  # plan shards to run at most half of a database's capacity at the peak second


def load_measured(path: str) -> tuple[dict, str]:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f), f"measured by bench/d1_capacity.py ({path})"
    return DEFAULT_MEASURED, "defaults in this script (bench/d1_capacity.py, 2026-12-04)"


def diurnal_weights() -> list[float]:
    """Share of one company's daily sign-ins in each local minute of the day."""
    def normal(x: float, mu: float, sd: float) -> float:
        return math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    w = []
    for m in range(1440):
        h = m / 60
        flat = 1 / 12 if 7 <= h < 19 else 0.0
        w.append(0.55 * normal(h, 9, 0.75) + 0.30 * normal(h, 13.5, 1.5) + 0.15 * flat)
    s = sum(w)
    return [x / s for x in w]


def shard_of(company: str, shards: int) -> int:
    """The stable placement of a new company: SHA-256 of its ID, modulo the shard count."""
    return int.from_bytes(hashlib.sha256(company.encode()).digest()[:8], "big") % shards


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--companies", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--capacity", default=os.path.join(HERE, "results", "capacity.json"))
    a = ap.parse_args()
    measured, source = load_measured(a.capacity)
    rng = random.Random(a.seed)

    per = measured["per_sign_in"]
    stmts = sum(MIX[k] * per[k]["statements"] for k in MIX)
    rows_w = sum(MIX[k] * per[k]["rows_written"] for k in MIX)
    rows_r = sum(MIX[k] * per[k].get("rows_read_max", per[k].get("rows_read", 0)) for k in MIX)
    existing = [r for r in measured["d1_only"] if r["kind"] == "existing user"]
    local_cap = max(r["per_second"] for r in existing)  # sign-ins/s of D1 work, measured locally
    growth = [r.get("bytes_per_run") for r in existing if r.get("bytes_per_run")]
    bytes_per_sign_in = max(growth) if growth else 250.0
    # What stays for the retention period: the audit row (the replay-cache row is purged within
    # minutes). Measured by replaying a refused bad signature, which writes only its audit row.
    audit_only = [r.get("bytes_per_run") for r in measured["d1_only"]
                  if r["kind"] == "refusal (signature invalid)" and r.get("bytes_per_run")]
    bytes_per_audit_row = max(audit_only) if audit_only else bytes_per_sign_in
    doc_cap = DOC_QUERIES_PER_S / stmts  # extrapolation: 1 ms per query on Cloudflare

    # Companies: size, zone.
    companies = []
    for i in range(a.companies):
        users = int(min(250_000, max(5, rng.lognormvariate(math.log(40), 1.6))))
        r, acc, zone = rng.random(), 0.0, ZONES[-1][0]
        for off, share in ZONES:
            acc += share
            if r < acc:
                zone = off
                break
        companies.append((f"company-{i:05d}", users, zone))
    total_users = sum(c[1] for c in companies)
    daily = total_users * SIGN_INS_PER_USER
    w = diurnal_weights()

    def peak(members: list[tuple[str, int, int]]) -> tuple[float, int]:
        """Sign-ins per second in the busiest second of the day (Poisson within the minute)."""
        per_min = [0.0] * 1440
        for _, users, zone in members:
            d = users * SIGN_INS_PER_USER
            for m in range(1440):
                per_min[(m - zone * 60) % 1440] += d * w[m]
        i = max(range(1440), key=per_min.__getitem__)
        lam = per_min[i] / 60
        return lam + 3 * math.sqrt(lam), i

    one_peak, peak_min = peak(companies)
    biggest = max(companies, key=lambda c: c[1])
    big_peak, _ = peak([biggest])
    audit_rows_kept = daily * RETENTION_DAYS * 5 / 7  # weekdays only (assumption)
    size_steady = audit_rows_kept * bytes_per_audit_row
    days_to_full = D1_MAX_BYTES / (daily * bytes_per_audit_row)

    print("# capacity model: one synthetic weekday, 10,000 companies (bench/capacity_sim.py)")
    print()
    print(f"Inputs: {source}. Assumptions: see the script's docstring. EVERYTHING BELOW IS AN EXTRAPOLATION "
          f"from those inputs, not a measurement of Cloudflare's D1.")
    print()
    print(f"- companies {a.companies:,}, users {total_users:,} (largest company {biggest[1]:,}), "
          f"sign-ins per weekday {daily:,.0f}")
    print(f"- per sign-in (mix-weighted): {stmts:.2f} D1 statements, {rows_w:.2f} rows written, "
          f"≤ {rows_r:.1f} rows read; DB growth {bytes_per_sign_in:.0f} B per existing-user sign-in before the "
          f"replay-cache purge, {bytes_per_audit_row:.0f} B per audit row (what the retention keeps)")
    print(f"- busiest second of the day: {one_peak:,.0f} sign-ins/s at {peak_min // 60:02d}:{peak_min % 60:02d} UTC "
          f"(the largest company alone: {big_peak:,.1f}/s)")
    print(f"- one D1, writes: capacity {local_cap:,.0f} sign-ins/s measured locally; {doc_cap:,.0f}/s if each "
          f"query took 1 ms on Cloudflare (documented rule) -> peak load {one_peak / local_cap:.1f}x the local "
          f"capacity, {one_peak / doc_cap:.1f}x the documented one")
    print(f"- one D1, size: audit log grows {daily * bytes_per_audit_row / 1e9:.2f} GB per weekday; 10 GB is "
          f"reached after {days_to_full:.0f} weekdays; {RETENTION_DAYS}-day retention needs "
          f"{size_steady / 1e9:,.0f} GB -> the SIZE limit comes first unless the peak is the 1 ms case")
    rows_month = daily * rows_w * 22
    print(f"- cost side (Workers Paid list prices): {rows_month / 1e6:,.0f} M rows written/month "
          f"(first 50 M included, then $1.00/M) and {daily * 22 / 1e6:,.0f} M KV reads/month (settings, "
          f"one per sign-in; first 10 M included, then $0.50/M): neither is a hard limit")
    print()
    print("Where one D1 breaks, by scale (same companies, users scaled):")
    print()
    print("| users ×  | sign-ins/weekday | peak sign-ins/s | ×local capacity | ×documented | audit GB at 400 days |")
    print("|---:|---:|---:|---:|---:|---:|")
    for f in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0):
        p = peak([(name, users * f, zone) for name, users, zone in companies])[0]
        print(f"| {f:g} | {daily * f:,.0f} | {p:,.1f} | {p / local_cap:.2f} | {p / doc_cap:.2f} | "
              f"{size_steady * f / 1e9:,.1f} |")
    print()
    for f in (1, 10):
        scaled = [(name, users * f, zone) for name, users, zone in companies]
        print()
        print(f"Sharded by company across N D1 databases (stable hash placement, recorded in each company's "
              f"settings), users ×{f}: the busiest shard's peak second and its size at 400 days:")
        print()
        print("| N | busiest shard peak/s | ×local capacity | ×documented | largest shard GB | fits (≤ 50 % capacity, ≤ 10 GB) |")
        print("|---:|---:|---:|---:|---:|---|")
        for n in (1, 4, 16, 32, 64, 128, 256):
            shards: list[list] = [[] for _ in range(n)]
            for c in scaled:
                shards[shard_of(c[0], n)].append(c)
            pk = max(peak(s)[0] for s in shards if s)
            size = (max(sum(c[1] for c in s) for s in shards) * SIGN_INS_PER_USER * bytes_per_audit_row
                    * RETENTION_DAYS * 5 / 7)
            fits = pk <= HEADROOM * local_cap and size <= D1_MAX_BYTES
            print(f"| {n} | {pk:,.1f} | {pk / local_cap:.2f} | {pk / doc_cap:.2f} | {size / 1e9:,.1f} | "
                  f"{'yes' if fits else 'no'} |")

if __name__ == "__main__":
    main()
