#!/usr/bin/env python3
"""End to end: POST /saml/{company}/acs on ONE local worker (`wrangler dev`: workerd, local KV
and D1), at several concurrency levels. One JSON line per (kind, level) on stdout.

The worker is started by tests/integration/harness.py (or WORKER_URL/SUPPORT_TOKEN point at a
running one) and responses are signed by tests/integration/signer.py (xmlsec1). Set-up through
the support API: one company configured with the test IdP's certificate, a confirmed user
jon.smith@decorumsoft.com (so first logins in decorumsoft.com are provisioned) and E2E_USERS
existing users for the sign-ins.

Per level, E2E_SIGNINS sign-in responses (existing users, round robin) and E2E_FIRST first-login
responses (a new address each) are signed first, just before the level runs (their validity
window is only minutes long, and every one has its own assertion ID, since the worker refuses
replays). Then each kind runs alone: C client threads, each on its own keep-alive HTTP/1.1
connection, take the next response and POST it as the HTTP-POST binding form (base64 SAMLResponse).
Latency: from sending the request to reading the whole response. req/s: requests / wall time of
the level, for that kind. Every answer must be 303; anything else is counted (and the first few
are printed to stderr).

Environment: E2E_LEVELS (default "1,8,32"), E2E_SIGNINS and E2E_FIRST (300 each per level),
E2E_USERS (64), E2E_SIGN ("both": Response and Assertion signed, like the typical input; or
"assertion"), E2E_SIGNERS (signing threads, default 4).
"""

from __future__ import annotations

import base64
import concurrent.futures
import http.client
import json
import math
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import harness  # noqa: E402
import signer  # noqa: E402

# The harness and the signer make their temporary directories (wrangler's --persist-to state and
# log, the IdP keys) with tempfile: keep them under bench/target/, away from anything that tidies
# /tmp/saml-jit-it-* while this runs (another test run's clean-up would take the worker's KV and
# D1 state with it).
_TMP = os.path.join(HERE, "target", "e2e-tmp")
os.makedirs(_TMP, exist_ok=True)
tempfile.tempdir = _TMP
# Under a loaded machine the worker's build (wasm-opt -Oz) alone can take minutes.
os.environ.setdefault("WORKER_START_TIMEOUT", "600")

DOMAIN = "decorumsoft.com"
DASHBOARD = "https://dashboard.example.com/decorumsoft"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def pct(sorted_values: list[float], q: float) -> float:
    n = len(sorted_values)
    return sorted_values[min(n, max(1, math.ceil(q * n))) - 1]


def log(msg: str) -> None:
    print(f"[e2e] {msg}", file=sys.stderr, flush=True)


def settings_doc(idp: signer.TestIdP) -> dict:
    return {
        "version": 1,
        "display_name": "Decorumsoft",
        "dashboard_url": DASHBOARD,
        "saml": {"idp_entity_id": idp.entity_id, "idp_certificates": [idp.cert_pem], "allow_sha1": False},
        "provisioning": {"enabled": True, "default_workspace": "main", "default_permission_set": "member"},
        "exception_domains": [],
        "workspaces": [{"id": "main", "name": "Main"}],
        "permission_sets": [{"id": "member", "name": "Member"}, {"id": "admin", "name": "Admin", "admin": True}],
    }


def must(r: harness.Response, status: int, what: str) -> None:
    if r.status != status:
        raise SystemExit(f"{what}: expected {status}, got {r!r}")


def form_body(xml: bytes) -> bytes:
    return urllib.parse.urlencode([("SAMLResponse", base64.b64encode(xml).decode("ascii"))]).encode("ascii")


def sign_all(idp: signer.TestIdP, origin: str, company: str, emails: list[str], how: str, threads: int) -> list[bytes]:
    sp_entity_id, acs_url = f"{origin}/saml/{company}/metadata", f"{origin}/saml/{company}/acs"

    def one(email: str) -> bytes:
        return form_body(idp.response(email, sp_entity_id=sp_entity_id, acs_url=acs_url, sign=how))

    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, emails))


def load(w: harness.Worker, company: str, bodies: list[bytes], concurrency: int) -> dict:
    u = urllib.parse.urlsplit(w.base_url)
    path = harness.acs_path(company)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    lock = threading.Lock()
    nxt = iter(range(len(bodies)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bad: list[str] = []

    def client() -> None:
        conn = None
        while True:
            with lock:
                i = next(nxt, None)
            if i is None:
                break
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=bodies[i], headers=headers)
                r = conn.getresponse()
                body = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                status, body = 0, repr(e).encode()
                conn.close()
                conn = None
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 303 and len(bad) < 5:
                    codes = re.findall(rb"<code>([^<]*)</code>", body)
                    bad.append(f"{status}: {b' '.join(codes).decode(errors='replace') or body[:300]!r}")
        if conn is not None:
            conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for b in bad:
        log(f"non-303 answer: {b}")
    s = sorted(latencies)
    return {"n": len(s), "concurrency": concurrency, "wall_s": wall, "rps": len(s) / wall,
            "p50_ms": pct(s, 0.5), "p99_ms": pct(s, 0.99), "mean_ms": statistics.fmean(s),
            "non_303": sum(v for k, v in statuses.items() if k != 303),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def _log_bytes(w: harness.Worker) -> bytes:
    if not w.log_path or not os.path.exists(w.log_path):
        return b""
    with open(w.log_path, "rb") as f:
        return f.read()


def reloads(w: harness.Worker) -> int:
    """How often wrangler dev has started rebuilding the worker because src/ changed (it watches
    src/): a rebuild (wasm-opt: half a minute of CPU) and reload in the middle of a level make its
    numbers meaningless, so such a run is done again, and reported if it happens twice."""
    return _log_bytes(w).count(b"changed, restarting build")


def wait_settled(w: harness.Worker, timeout: float) -> bool:
    """Wait until every build wrangler started has finished (esbuild's "⚡ Done in" closes each
    one) and /healthz answers. False on timeout (e.g. a build that fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = _log_bytes(w)
        if not text or text.count("\u26a1 Done in".encode()) >= text.count(b"changed, restarting build") + 1:
            try:
                if w.request("GET", "/healthz", timeout=10).status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                pass
        time.sleep(2)
    return False


def main() -> None:
    levels = [int(x) for x in os.environ.get("E2E_LEVELS", "1,8,32").split(",") if x.strip()]
    n_signins, n_first = env_int("E2E_SIGNINS", 300), env_int("E2E_FIRST", 300)
    n_users, signers = max(1, env_int("E2E_USERS", 64)), max(1, env_int("E2E_SIGNERS", 4))
    how = os.environ.get("E2E_SIGN", "both")
    # A batch signed longer ago than this is signed again before its level runs (the responses'
    # NotOnOrAfter is 5 minutes after signing; no reliance on the worker's clock skew allowance).
    max_age = env_int("E2E_MAX_AGE", 240)
    settle_timeout = env_int("E2E_SETTLE_TIMEOUT", 300)

    company = "bench-" + secrets.token_hex(4)
    users = [f"jon.smith@{DOMAIN}"] + [f"user{i:04d}@{DOMAIN}" for i in range(n_users)]
    idp = signer.TestIdP()

    # The responses name the worker's origin (audience, recipient, destination), which the harness
    # derives from the port it picks: pick that port here, so that signing can run while the
    # worker builds and starts (a start takes minutes; nothing is timed during it).
    if os.environ.get("WORKER_URL"):
        origin = os.environ.get("PUBLIC_ORIGIN", os.environ["WORKER_URL"]).rstrip("/")
    else:
        port = harness._free_port()
        picks = iter([port])
        free_port = harness._free_port
        harness._free_port = lambda: next(picks, None) or free_port()
        origin = f"http://127.0.0.1:{port}"

    def emails(kind: str, c: int, attempt: int) -> list[str]:
        if kind == "sign-in":
            return [users[1 + (i % n_users)] for i in range(n_signins)]
        return [f"new-c{c}-a{attempt}-{i:05d}-{secrets.token_hex(3)}@{DOMAIN}" for i in range(n_first)]

    def sign_level(c: int) -> tuple[float, list[bytes], list[bytes]]:
        ts, t = time.monotonic(), time.perf_counter()
        batch = (ts, sign_all(idp, origin, company, emails("sign-in", c, 0), how, signers),
                 sign_all(idp, origin, company, emails("first-login", c, 0), how, signers))
        log(f"c={c}: signed {n_signins + n_first} responses in {time.perf_counter() - t:.1f} s")
        return batch

    t0 = time.perf_counter()
    batches: dict[int, tuple[float, list[bytes], list[bytes]]] = {}
    stop = threading.Event()
    failed: list[BaseException] = []

    def sign_ahead() -> None:
        try:
            for c in levels:
                if stop.is_set():
                    return
                batches[c] = sign_level(c)
        except BaseException as e:  # reported after the start; the levels sign again if needed
            failed.append(e)

    ahead = threading.Thread(target=sign_ahead, daemon=True)
    ahead.start()
    w = harness.get_worker()  # in the main thread: the harness's signal handlers stop wrangler
    stop.set()
    ahead.join()
    if failed:
        log(f"signing ahead failed: {failed[0]!r}")
    log(f"worker up at {w.base_url} after {time.perf_counter() - t0:.1f} s")
    if w.public_origin != origin:
        raise SystemExit(f"the worker's origin is {w.public_origin}, the responses name {origin}")

    must(w.support("PUT", f"/admin/companies/{company}", settings_doc(idp)), 200, "PUT company settings")
    for email in users:
        must(w.support("POST", f"/admin/companies/{company}/users",
                       {"email": email, "confirmed": True, "impersonation": False}), 201, f"POST user {email}")
    log(f"company {company}: {len(users)} confirmed users")

    # A warm-up request of each kind (first compile of the module, first D1/KV access).
    warm = sign_all(idp, origin, company, [users[0], f"warmup-{secrets.token_hex(4)}@{DOMAIN}"], how, signers)
    for b in warm:
        r = w.request("POST", harness.acs_path(company), body=b,
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        must(r, 303, "warm-up sign-in")

    for c in levels:
        if c not in batches or time.monotonic() - batches[c][0] > max_age:
            batches[c] = sign_level(c)
        _, signin_bodies, first_bodies = batches.pop(c)
        for kind, bodies in (("sign-in", signin_bodies), ("first-login", first_bodies)):
            if not bodies:
                continue
            for attempt in (1, 2):
                if not wait_settled(w, settle_timeout):
                    log("the worker did not settle (a rebuild still running or failed?); running anyway")
                before = reloads(w)
                r = load(w, company, bodies, c)
                r["worker_reloads"] = reloads(w) - before
                r["attempt"] = attempt
                if not r["worker_reloads"] or attempt == 2:
                    break
                log(f"c={c} {kind}: wrangler rebuilt the worker during the run (src/ changed): again")
                bodies = sign_all(idp, origin, company, emails(kind, c, attempt), how, signers)
            log(f"c={c} {kind}: {r['rps']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                f"statuses {r['statuses']}")
            print(json.dumps({"impl": "e2e", "kind": kind, "sign": how, **r}), flush=True)
    harness.stop_worker()


if __name__ == "__main__":
    main()
