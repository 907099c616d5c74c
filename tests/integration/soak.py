#!/usr/bin/env python3
"""Soak test: minutes of mixed ACS traffic against one `wrangler dev` worker. NOT run by run.py.

    python3 tests/integration/soak.py                 # 180 s, 8 threads
    SOAK_SECONDS=120 SOAK_THREADS=8 python3 tests/integration/soak.py

Traffic (weighted at random per request, all on one company whose provisioning is on):
    existing   sign-in of one of 25 admin-created users               expect 303
    new        first login of a never-seen user                       expect 303
    replay     a response already used by an `existing` sign-in       expect 403 assertion_replayed
    xsw        signature wrapping (assertion moved / evil sibling)    expect 403 (wrapping codes)
    tampered   signed NameID edited after signing                     expect 403 digest_mismatch
    expired    validity window ended an hour ago                      expect 403 expired
    garbage    random bytes / not XML / not base64                    expect 400
Responses are signed ahead of time by a background thread (signer.TestIdP.responses: one xmlsec1
run per batch), so signing does not throttle the load; each is used within about a minute of
being signed. Requests go to the user worker's own workerd socket (harness Worker.direct(): the
wrangler dev proxy drops POSTs under load); SOAK_VIA_PROXY=1 goes through wrangler's port.

Recorded: per-kind counts and statuses, error rate (any unexpected status, 5xx or transport
error), p50/p99/max latency, and the RSS (VmRSS of /proc/<pid>/status) of the workerd processes
the harness started, sampled every 10 s: start, end and max per process. After the run the users
and audit rows are checked against the 303s. Exit status 1 on any unexpected status.

Environment: SOAK_SECONDS (180), SOAK_THREADS (8), SOAK_VIA_PROXY, and the harness's (WORKER_URL
...; with WORKER_URL, SOAK_WORKERD_PIDS=pid,pid names the processes to sample).
"""

from __future__ import annotations

import base64
import collections
import os
import queue
import random
import secrets
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import signer  # noqa: E402
import test_acs as acs  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "180"))
THREADS = int(os.environ.get("SOAK_THREADS", "8"))
RSS_EVERY = 10.0
WEIGHTS = {"existing": 35, "new": 20, "replay": 10, "xsw": 10, "tampered": 10, "expired": 8, "garbage": 7}
EXPECT = {
    "existing": (303, None), "new": (303, None), "replay": (403, {"assertion_replayed"}),
    "xsw": (403, acs.XSW_CODES), "tampered": (403, {"digest_mismatch"}), "expired": (403, {"expired"}),
    "garbage": (400, {"xml_malformed", "base64_invalid", "input_empty", "not_a_response"}),
}
EXISTING = [f"soak.user{i:02d}@decorumsoft.com" for i in range(25)]
BATCH = 40  # responses signed per kind and xmlsec1 run
LOW_WATER = 80  # refill a kind's queue below this many


class Producer(threading.Thread):
    """Keeps a queue of ready-to-post form bodies per kind."""

    def __init__(self, idp: signer.TestIdP, w: harness.Worker, company: str):
        super().__init__(daemon=True, name="signer")
        self.idp, self.w, self.c = idp, w, company
        self.queues = {k: queue.Queue() for k in WEIGHTS}
        self.replayable: queue.Queue = queue.Queue()  # bodies of existing sign-ins, once posted
        self.stop = threading.Event()
        self.n_new = 0
        self.error: BaseException | None = None

    def signed(self, emails, **kw) -> list[bytes]:
        return self.idp.responses([{"email": e} for e in emails], sp_entity_id=self.w.sp_entity_id(self.c),
                                  acs_url=self.w.acs_url(self.c), **kw)

    def fill(self, kind: str):
        rnd = random.Random()
        if kind == "existing":
            xmls = self.signed([rnd.choice(EXISTING) for _ in range(BATCH)])
        elif kind == "new":
            emails = []
            for _ in range(BATCH):
                self.n_new += 1
                emails.append(f"soak.new{self.n_new:05d}.{secrets.token_hex(3)}@decorumsoft.com")
            xmls = self.signed(emails)
        elif kind == "replay":
            return  # fed by the workers, from existing sign-ins that succeeded
        elif kind == "xsw":
            base = self.signed([rnd.choice(EXISTING) for _ in range(BATCH)])
            xmls = [signer.xsw_extensions(x, f"evil.{secrets.token_hex(3)}@decorumsoft.com") if i % 2 else
                    signer.xsw_sibling(x, f"evil.{secrets.token_hex(3)}@decorumsoft.com") for i, x in enumerate(base)]
        elif kind == "tampered":
            picks = [rnd.choice(EXISTING) for _ in range(BATCH)]
            xmls = [signer.replace_text(x, f">{e}<", ">evil.admin@decorumsoft.com<")
                    for e, x in zip(picks, self.signed(picks))]
        elif kind == "expired":
            xmls = self.signed([rnd.choice(EXISTING) for _ in range(BATCH)], expired=True)
        else:  # garbage: not signed at all
            out = []
            for i in range(BATCH):
                choice = i % 3
                if choice == 0:
                    value = base64.b64encode(os.urandom(rnd.randint(1, 4000))).decode()
                elif choice == 1:
                    value = base64.b64encode(b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'><x>").decode()
                else:
                    value = "%%%" + secrets.token_urlsafe(rnd.randint(1, 500)) + "***"
                out.append((kind, urllib.parse.urlencode([("SAMLResponse", value)]).encode()))
            for item in out:
                self.queues[kind].put(item)
            return
        for x in xmls:
            self.queues[kind].put((kind, urllib.parse.urlencode([("SAMLResponse", base64.b64encode(x).decode())]).encode()))

    def prime(self):
        for kind in WEIGHTS:
            while self.queues[kind].qsize() < LOW_WATER and kind != "replay":
                self.fill(kind)

    def run(self):
        try:
            while not self.stop.is_set():
                low = [k for k in WEIGHTS if k != "replay" and self.queues[k].qsize() < LOW_WATER]
                if not low:
                    self.stop.wait(0.05)
                    continue
                for kind in low:
                    self.fill(kind)
        except BaseException as e:  # noqa: BLE001 - reported by main
            self.error = e


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


def main() -> int:
    w = harness.get_worker()
    idp = signer.TestIdP()
    target = w if os.environ.get("SOAK_VIA_PROXY") == "1" else w.direct()
    route = "wrangler proxy" if target is w else "workerd direct"

    company = "soak-" + secrets.token_hex(5)
    acs.IDP, acs.W = idp, w  # settings_doc() reads test_acs's module globals
    r = w.support("PUT", f"/admin/companies/{company}", acs.settings_doc())
    assert r.status == 200, r
    for e in EXISTING:
        r = w.support("POST", f"/admin/companies/{company}/users", {"email": e, "confirmed": True, "impersonation": False})
        assert r.status == 201, r

    prod = Producer(idp, w, company)
    t0 = time.monotonic()
    prod.prime()
    print(f"soak: {SECONDS:.0f} s, {THREADS} threads, company {company}, via {route} ({target.base_url}); "
          f"primed in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
    prod.start()

    pids = w.workerd_pids() or [int(p) for p in os.environ.get("SOAK_WORKERD_PIDS", "").split(",") if p.strip()]
    rss: dict[int, list[float]] = {p: [] for p in pids}
    wasm_mem: list[int] = []  # the worker's own wasm linear memory (X-Wasm-Memory-Bytes on /healthz)

    def sample_wasm():
        try:
            r = target.request("GET", "/healthz")
            v = r.headers.get("X-Wasm-Memory-Bytes") if hasattr(r.headers, "get") else None
            if v:
                wasm_mem.append(int(v))
        except Exception:  # noqa: BLE001 - a missed sample is reported as such
            pass
    stats = {k: {"n": 0, "status": collections.Counter(), "bad": 0, "5xx": 0, "lat": [], "starved": 0} for k in WEIGHTS}
    bad_examples: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    stop_sampling = threading.Event()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    path = harness.acs_path(company)
    kinds, weights = zip(*WEIGHTS.items())

    def sampler():
        while True:
            sample_wasm()
            for p in pids:
                v = rss_mb(p)
                if v is not None:
                    rss[p].append(v)
            if stop_sampling.wait(RSS_EVERY):
                sample_wasm()
                for p in pids:
                    v = rss_mb(p)
                    if v is not None:
                        rss[p].append(v)
                return

    def client(seed: int):
        rnd = random.Random(seed)
        while time.monotonic() < deadline:
            kind = rnd.choices(kinds, weights)[0]
            q = prod.replayable if kind == "replay" else prod.queues[kind]
            try:
                _, body = q.get(timeout=0.5)
            except queue.Empty:
                with lock:
                    stats[kind]["starved"] += 1
                continue
            t = time.monotonic()
            try:
                resp = target.request("POST", path, body=body, headers=headers, timeout=60)
                status = resp.status
                code = None
                if status != 303:
                    try:
                        code = resp.json().get("error")
                    except ValueError:
                        code = None
            except Exception as e:  # noqa: BLE001 - a transport failure counts as unexpected
                resp, status, code = None, type(e).__name__, None
            lat = (time.monotonic() - t) * 1000
            want_status, want_codes = EXPECT[kind]
            ok = status == want_status and (want_codes is None or code in want_codes)
            with lock:
                s = stats[kind]
                s["n"] += 1
                s["status"][status if code is None else f"{status} {code}"] += 1
                s["lat"].append(lat)
                if isinstance(status, int) and status >= 500:
                    s["5xx"] += 1
                if not ok:
                    s["bad"] += 1
                    if len(bad_examples) < 10:
                        bad_examples.append(f"{kind}: {resp!r}" if resp is not None else f"{kind}: {status}")
            if kind == "existing" and status == 303 and prod.replayable.qsize() < 500:
                prod.replayable.put(("replay", body))

    sampler_t = threading.Thread(target=sampler, daemon=True)
    sampler_t.start()
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    next_note = started + 30
    while any(t.is_alive() for t in threads):
        time.sleep(0.5)
        if time.monotonic() >= next_note:
            with lock:
                n = sum(s["n"] for s in stats.values())
                bad = sum(s["bad"] for s in stats.values())
            print(f"  {time.monotonic() - started:5.0f} s: {n} requests, {bad} unexpected", file=sys.stderr, flush=True)
            next_note += 30
    elapsed = time.monotonic() - started
    stop_sampling.set()
    sampler_t.join()
    prod.stop.set()
    prod.join(timeout=30)

    # Consistency: every 303 of a new user created exactly that user; nothing else was written.
    problems = []
    if prod.error is not None:
        problems.append(f"signer thread failed: {prod.error!r}")
    users = w.support("GET", f"/admin/companies/{company}/users").json()["users"]
    created = [u for u in users if u["created_via"] == "jit"]
    n_new_ok = stats["new"]["status"][303]
    if len(created) != n_new_ok:
        problems.append(f"{len(created)} users provisioned for {n_new_ok} successful first logins")
    if any(u["email"].startswith("evil") for u in users):
        problems.append("a hostile response created a user")
    if w.request("GET", "/healthz").status != 200:
        problems.append("the worker does not answer /healthz after the soak")

    # -- report -------------------------------------------------------------------------------
    total = sum(s["n"] for s in stats.values())
    bad = sum(s["bad"] for s in stats.values())
    all_lat = [x for s in stats.values() for x in s["lat"]]
    print()
    print(f"soak summary: {elapsed:.0f} s, {THREADS} threads, {route}, {total} requests ({total / elapsed:.1f}/s)")
    print(f"{'kind':<10} {'count':>6} {'unexpected':>10} {'5xx':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses")
    for k in WEIGHTS:
        s = stats[k]
        statuses = ", ".join(f"{st}x{n}" for st, n in sorted(s["status"].items(), key=lambda kv: -kv[1]))
        print(f"{k:<10} {s['n']:>6} {s['bad']:>10} {s['5xx']:>4} {pct(s['lat'], 50):>7.0f} {pct(s['lat'], 99):>7.0f} "
              f"{max(s['lat'], default=float('nan')):>7.0f}  {statuses}")
    print(f"{'all':<10} {total:>6} {bad:>10} {sum(s['5xx'] for s in stats.values()):>4} {pct(all_lat, 50):>7.0f} "
          f"{pct(all_lat, 99):>7.0f} {max(all_lat, default=float('nan')):>7.0f}")
    print(f"error rate: {bad}/{total} = {100 * bad / max(total, 1):.3f} %   "
          f"(signer kept up: {sum(s['starved'] for k, s in stats.items() if k != 'replay')} empty-queue waits)")
    print(f"users provisioned: {len(created)}; users total: {len(users)}")
    user_pid = getattr(target, "workerd_pid", None) or next((p for p in pids if _is_user_workerd(p)), None)
    if wasm_mem:
        print(f"worker wasm linear memory (MiB): start {wasm_mem[0] / 2**20:.2f}, end {wasm_mem[-1] / 2**20:.2f}, "
              f"max {max(wasm_mem) / 2**20:.2f}, samples {len(wasm_mem)}")
        print(f"  timeline: {' '.join(f'{v / 2**20:.2f}' for v in wasm_mem)}")
    if rss:
        print(f"{'workerd RSS (MB)':<30} {'pid':>8} {'start':>7} {'end':>7} {'max':>7} {'samples':>7}")
        for p, vals in rss.items():
            if not vals:
                continue
            role = "user worker" if p == user_pid else "wrangler proxy/other"
            print(f"  {role:<28} {p:>8} {vals[0]:>7.1f} {vals[-1]:>7.1f} {max(vals):>7.1f} {len(vals):>7}")
            print(f"  {'':<28} {'':>8} timeline: {' '.join(f'{v:.0f}' for v in vals)}")
    else:
        print("workerd RSS: no workerd processes of this harness (WORKER_URL without SOAK_WORKERD_PIDS)")
    for e in bad_examples:
        print("unexpected:", e[:300])
    for p in problems:
        print("problem:", p)
    harness.stop_worker()
    return 1 if bad or problems else 0


def _is_user_workerd(pid: int) -> bool:
    """The workerd running the worker (its entry socket on a random port), not wrangler's proxy."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read()
    except OSError:
        return False
    return b"entry=127.0.0.1:0" in argv


if __name__ == "__main__":
    sys.exit(main())
