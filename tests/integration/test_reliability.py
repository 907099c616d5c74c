"""Reliability, fault and hardening tests of the worker under `wrangler dev`.

Same harness and conventions as test_acs.py (whose helpers this reuses): each test makes its own
company `t-<random>` with a confirmed jon.smith@decorumsoft.com, and responses are signed at test
time by xmlsec1. On top of that:

  * races: 500 concurrent first logins for 250 users; 5 responses posted 20 times each at once;
  * the Cron handler: `GET /__scheduled` (the harness runs `wrangler dev --test-scheduled`);
  * faults injected straight into the live local state with `wrangler d1 execute` / `wrangler kv
    key put --local --persist-to <the dev server's dir>` (a broken settings document, a renamed
    D1 table), each on its own company and undone in a `finally`;
  * input and HTTP hardening, and what reaches the log (the harness's wrangler.log).

With WORKER_URL, the tests that write local state need WORKER_PERSIST_TO and the log tests need
WORKER_LOG; they are skipped otherwise.
"""

from __future__ import annotations

import base64
import calendar
import collections
import concurrent.futures
import contextlib
import http.client
import json
import os
import re
import secrets
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import signer  # noqa: E402
import test_acs as acs  # noqa: E402
from test_acs import DASHBOARD, JANE, JON, COOKIE, Base, settings_doc  # noqa: E402

W: harness.Worker | None = None
IDP: signer.TestIdP | None = None

MAX_FORM_BYTES = 2 << 20  # web::MAX_FORM_BYTES
DEFAULT_SKEW_MS = 180_000  # saml_verify::DEFAULT_SKEW_SECONDS
FORM = "application/x-www-form-urlencoded"


def setUpModule():
    global W, IDP
    if acs.W is None or acs.IDP is None:  # run alone (-k): test_acs's module set-up did not run
        acs.setUpModule()
    W, IDP = acs.W, acs.IDP


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode("ascii")


def form(*pairs) -> bytes:
    return urllib.parse.urlencode(pairs).encode("ascii")


def cookie_claims(r) -> dict | None:
    for v in r.headers.get_all("Set-Cookie") or []:
        if v.startswith(COOKIE + "="):
            payload = v.split(";")[0][len(COOKIE) + 1:].split(".")[1]
            return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return None


def post_chunked(path: str, body: bytes, chunk: int = 64 * 1024, accept_json: bool = True,
                 content_type: str = FORM) -> harness.Response:
    """POST with `Transfer-Encoding: chunked` and no Content-Length, to the user worker's own socket.

    Not through wrangler dev's proxy: when the worker answers 413 before reading the whole body,
    that proxy (wrangler 4.86) often answers 503 "Your worker restarted mid-request" instead of
    passing the 413 on (14 of 40 runs here), and can drop the next connection too. Cloudflare's
    edge has no such proxy; what is under test is the worker's own answer."""
    u = urllib.parse.urlsplit(W.direct().base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    try:
        hdrs = {"Content-Type": content_type, "Accept": "application/json" if accept_json else "text/html"}
        pieces = (body[i:i + chunk] for i in range(0, len(body), chunk))
        try:
            conn.request("POST", path, body=pieces, headers=hdrs, encode_chunked=True)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (413) before the whole body was read
        r = conn.getresponse()
        try:
            body = r.read()
        except (http.client.IncompleteRead, ConnectionResetError):
            body = None  # the server answered early and reset the connection we were still sending on
        return harness.Response(r.status, r.headers, body)
    finally:
        conn.close()


class RBase(Base):
    """test_acs.Base plus header, HTML-page and local-state helpers."""

    def needs_state(self):
        if not W.persist_dir:
            self.skipTest("local state not reachable (WORKER_URL without WORKER_PERSIST_TO)")

    def assertHardened(self, r, no_store: bool = True, what: str = ""):
        h = r.headers
        ctx = f"{what}: {r!r}"
        csp = h.get("Content-Security-Policy") or ""
        self.assertIn("frame-ancestors 'none'", csp, ctx)
        self.assertIn("default-src 'none'", csp, ctx)
        self.assertEqual(h.get("X-Frame-Options"), "DENY", ctx)
        self.assertEqual(h.get("X-Content-Type-Options"), "nosniff", ctx)
        self.assertEqual(h.get("Referrer-Policy"), "no-referrer", ctx)
        if no_store:
            self.assertEqual(h.get("Cache-Control"), "no-store", ctx)
        if r.status != 303:
            self.assertIsNone(h.get("Set-Cookie"), f"a {r.status} set a cookie ({what})")

    def assertPage(self, r, status: int, code: str, leaks=()):
        """The browser's refusal: a plain HTML page naming the code, no internal detail."""
        self.assertEqual(r.status, status, repr(r))
        self.assertTrue((r.headers.get("Content-Type") or "").lower().startswith("text/html"), repr(r))
        text = r.text
        self.assertTrue(text.lower().startswith("<!doctype html>"), text[:200])
        self.assertIn(f"<code>{code}</code>", text)
        self.assertNotIn("<script", text.lower())
        for s in leaks:
            self.assertNotIn(s, text, "the page shows internal detail")
        with self.assertRaises(ValueError):
            json.loads(r.body)
        self.assertHardened(r, what=f"{status} page")

    def assertJsonRefusal(self, r, status: int, code):
        body = self.assertRefused(r, status, code)
        self.assertEqual(set(body), {"error", "reference"}, body)
        self.assertHardened(r, what=f"{status} JSON")
        return body

    def jit_emails(self, c: str) -> list[str]:
        return sorted(u["email"] for u in self.users(c) if u["created_via"] == "jit")

    @contextlib.contextmanager
    def broken_table(self, table: str):
        """The D1 table renamed away for the duration, then put back (even on failure)."""
        self.needs_state()
        W.d1(f"ALTER TABLE {table} RENAME TO {table}_broken")
        try:
            yield
        finally:
            W.d1(f"ALTER TABLE {table}_broken RENAME TO {table}")


# =================================================================================================
# Races
# =================================================================================================


class ConcurrentFirstLoginTest(RBase):
    USERS = 250
    THREADS = 200

    def test_500_concurrent_first_logins_for_250_users(self):
        # Every other user is in the IdP group "Sales", which a rule maps to a workspace: those get
        # that membership, the others the default one.
        c = self.new_company(
            workspaces=[{"id": "main", "name": "Main"}, {"id": "sales", "name": "Sales"}],
            group_mappings={"rules": [{"group": "Sales", "workspace": "sales", "permission_set": "member"}]})
        tag = secrets.token_hex(3)
        emails = [f"u{i:03d}.{tag}@decorumsoft.com" for i in range(self.USERS)]
        in_sales = {e for i, e in enumerate(emails) if i % 2 == 0}
        # Two different valid responses per user, pairs adjacent: each wave of THREADS requests
        # holds whole pairs, so the two first logins of a user really race.
        xmls = IDP.responses([{"email": e, "attributes": {"groups": ["Sales"] if e in in_sales else ["Other"]}}
                              for e in emails for _ in range(2)],
                             sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        jobs = [(emails[i // 2], x, b64(x)) for i, x in enumerate(xmls)]
        bodies = [form(("SAMLResponse", s)) for _, _, s in jobs]
        results: list = [None] * len(jobs)
        barrier = threading.Barrier(self.THREADS)
        D = W.direct()  # past wrangler's dev proxy, which drops POSTs at this concurrency
        if W.proc is not None:
            self.assertIsNot(D, W, "the user worker's own socket was not found")

        def worker(t: int):
            barrier.wait()
            for i in range(t, len(jobs), self.THREADS):
                try:
                    results[i] = D.request("POST", harness.acs_path(c), body=bodies[i], timeout=180,
                                           headers={"Content-Type": FORM, "Accept": "application/json"})
                except Exception as e:  # noqa: BLE001 - counted below
                    results[i] = e

        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(self.THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0

        errors = [r for r in results if isinstance(r, Exception)]
        self.assertEqual(errors, [], f"{len(errors)} requests failed at the HTTP level")
        statuses = collections.Counter(r.status for r in results)
        self.assertEqual(statuses, {303: len(jobs)}, f"{statuses} in {elapsed:.1f} s; e.g. "
                         + repr([r for r in results if r.status != 303][:3]))
        for (email, _, _), r in zip(jobs, results):
            self.assertEqual(r.headers.get("Location"), DASHBOARD)
            claims = cookie_claims(r)
            self.assertIsNotNone(claims, "303 without a session cookie")
            self.assertEqual((claims["company"], claims["email"]), (c, email))

        users = self.users(c)
        self.assertEqual(len(users), self.USERS + 1, "users created more than once or not at all")
        by_email = collections.Counter(u["email"] for u in users)
        self.assertEqual(sorted(by_email), sorted(emails + [JON]))
        self.assertEqual(max(by_email.values()), 1)
        for u in users:
            if u["email"] == JON:
                continue
            with self.subTest(u["email"]):
                want = [{"workspace": "sales" if u["email"] in in_sales else "main", "permission_set": "member"}]
                self.assertEqual((u["memberships"], u["created_via"], u["confirmed"], u["impersonation"], u["active"]),
                                 (want, "jit", True, False, True), u)
                self.assertTrue(u["last_login_at"])

        entries = self.audit(c)
        events = collections.Counter(e["event"] for e in entries)
        self.assertEqual(events, {"provisioned": self.USERS, "signed_in": self.USERS}, events)
        for event in ("provisioned", "signed_in"):
            per_user = collections.Counter(e["email"] for e in entries if e["event"] == event)
            self.assertEqual(sorted(per_user), sorted(emails), event)
            self.assertEqual(set(per_user.values()), {1}, event)
        # Every posted assertion was used exactly once, by exactly one of the two audit events.
        self.assertEqual(sorted(e["assertion_id"] for e in entries),
                         sorted(signer.assertion_id_of(x) for _, x, _ in jobs))


class ReplayRaceTest(RBase):
    def test_5_responses_20_copies_each_at_once(self):
        # test_acs.ConcurrencyTest covers one new user's response x20; this mixes new and existing
        # users, starts all 100 posts together, and checks the audit trail of the losers.
        c = self.new_company()
        emails = [f"racer{i}.{secrets.token_hex(3)}@decorumsoft.com" for i in range(3)] + [JON, JON]
        xmls = IDP.responses([{"email": e} for e in emails], sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        jobs = [(k, xmls[k]) for k in range(5) for _ in range(20)]
        barrier = threading.Barrier(len(jobs))
        D = W.direct()  # past wrangler's dev proxy (see harness.Worker.direct)

        def post(job):
            barrier.wait()
            return job[0], D.post_acs(c, job[1], accept_json=True)

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(post, jobs))
        for k in range(5):
            with self.subTest(response=k, email=emails[k]):
                mine = [r for j, r in results if j == k]
                statuses = collections.Counter(r.status for r in mine)
                self.assertEqual(statuses, {303: 1, 403: 19}, statuses)
                for r in mine:
                    if r.status == 403:
                        self.assertJsonRefusal(r, 403, "assertion_replayed")
        self.assertEqual(self.emails(c), sorted(set(emails)))
        entries = self.audit(c)
        by = collections.Counter((e["event"], e.get("reason")) for e in entries)
        self.assertEqual(by, {("provisioned", None): 3, ("signed_in", None): 2, ("refused", "assertion_replayed"): 95}, by)
        refused_ids = collections.Counter(e["assertion_id"] for e in entries if e["event"] == "refused")
        self.assertEqual(refused_ids, {signer.assertion_id_of(x): 19 for x in xmls})
        self.assertTrue(self.user(c, JON)["last_login_at"])


# =================================================================================================
# Cron: replay-cache purge
# =================================================================================================


def _ms(iso: str) -> int:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")) * 1000


class CronPurgeTest(RBase):
    def test_purge_drops_expired_rows_only_and_replays_stay_refused(self):
        self.needs_state()
        if not W.test_scheduled:
            self.skipTest("worker not started by the harness with --test-scheduled")
        c = self.new_company()
        now_ms = int(time.time() * 1000)
        expired = {"_exp_epoch": 0, "_exp_hour": now_ms - 3_600_000, "_exp_ms": now_ms - 1}
        alive = {"_live_10min": now_ms + 600_000, "_live_far": now_ms + 10 ** 12}
        rows = ", ".join(f"('{c}', '{a}', {t})" for a, t in {**expired, **alive}.items())
        W.d1(f"INSERT INTO used_assertions (company, assertion_id, expires_at) VALUES {rows}")

        # An assertion whose NotOnOrAfter passed 30 s ago: still inside the 180 s skew, so the
        # verifier accepts it, and its replay-cache row must outlive the purge.
        import datetime as dt
        late = self.saml(c, JON, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5, seconds=30))
        late_id = signer.assertion_id_of(late)
        late_expiry = _ms(re.search(rb'<saml:Conditions [^>]*NotOnOrAfter="([^"]+)"', late).group(1).decode())
        self.assertLess(late_expiry, time.time() * 1000, "the late assertion is not past NotOnOrAfter")
        self.assertRedirect(W.post_acs(c, late))
        fresh = self.saml(c, JANE)
        self.assertRedirect(W.post_acs(c, fresh))

        log_from = os.path.getsize(W.log_path) if W.log_path and os.path.exists(W.log_path) else None
        purge_at = int(time.time() * 1000)
        r = W.scheduled()
        if r.status == 404:
            self.skipTest("/__scheduled not served (wrangler dev without --test-scheduled)")
        self.assertEqual(r.status, 200, repr(r))

        left = W.d1(
            f"SELECT assertion_id, expires_at, (SELECT count(*) FROM used_assertions WHERE expires_at <= {purge_at}) AS stale "
            f"FROM used_assertions WHERE company = '{c}' ORDER BY assertion_id")
        ids = {row["assertion_id"]: row["expires_at"] for row in left}
        self.assertEqual(set(ids), set(alive) | {late_id, signer.assertion_id_of(fresh)}, left)
        self.assertEqual(left[0]["stale"], 0, "rows that had expired before the purge are still there")
        self.assertEqual(ids[late_id], late_expiry + DEFAULT_SKEW_MS, "kept for NotOnOrAfter + skew")
        for a, t in alive.items():
            self.assertEqual(ids[a], t)

        # Both assertions are still refused as replays after the purge.
        self.assertJsonRefusal(W.post_acs(c, late, accept_json=True), 403, "assertion_replayed")
        self.assertJsonRefusal(W.post_acs(c, fresh, accept_json=True), 403, "assertion_replayed")
        self.assertEqual(len(self.audit(c, "signed_in")), 1)
        self.assertEqual(len(self.audit(c, "provisioned")), 1)

        if log_from is not None:
            deleted = None
            for _ in range(50):
                with open(W.log_path, "rb") as f:
                    f.seek(log_from)
                    m = re.search(rb'"event":"purge_used_assertions","deleted":(\d+)', f.read())
                if m:
                    deleted = int(m.group(1))
                    break
                time.sleep(0.1)
            self.assertIsNotNone(deleted, "no purge_used_assertions log line")
            self.assertGreaterEqual(deleted, len(expired))

    def test_audit_retention_purges_old_rows_in_batches_and_keeps_the_rest(self):
        """Audit rows older than AUDIT_RETENTION_DAYS (400 in wrangler.toml) go, 1,000 per
        statement, in one cron run; younger rows stay. The old rows are given the lowest ids, as
        rows written 400 days ago have: the purge looks for old rows among the oldest ids only."""
        self.needs_state()
        if not W.test_scheduled:
            self.skipTest("worker not started by the harness with --test-scheduled")
        import datetime as dt
        c = self.new_company()
        now = dt.datetime.now(dt.timezone.utc)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"  # noqa: E731
        old, young = iso(now - dt.timedelta(days=401)), iso(now - dt.timedelta(days=399))
        lowest = W.d1("SELECT coalesce(min(id), 1) AS m FROM audit_log")[0]["m"]
        # Ids below everything there: 3 young rows first (a clock that ran ahead), then 2,500 old.
        first = min(lowest, 1) - 2_600
        W.d1(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2502) "
            "INSERT INTO audit_log (id, company, at, event, reference) "
            f"SELECT {first} + i, '{c}', CASE WHEN i < 3 THEN '{young}' ELSE '{old}' END, 'signed_in', 'retention' FROM n")
        self.assertRedirect(W.post_acs(c, self.saml(c, JON)))  # a row written now
        self.assertEqual(W.d1(f"SELECT count(*) AS n FROM audit_log WHERE company = '{c}'")[0]["n"], 2_504)

        log_from = os.path.getsize(W.log_path) if W.log_path and os.path.exists(W.log_path) else None
        r = W.scheduled()
        if r.status == 404:
            self.skipTest("/__scheduled not served (wrangler dev without --test-scheduled)")
        self.assertEqual(r.status, 200, repr(r))
        left = W.d1(f"SELECT at, count(*) AS n FROM audit_log WHERE company = '{c}' GROUP BY at ORDER BY at")
        self.assertEqual([row["at"] for row in left if row["at"] < iso(now - dt.timedelta(days=400))], [],
                         "audit rows older than 400 days left")
        self.assertEqual(sum(row["n"] for row in left), 4, left)  # 3 young + the sign-in's
        self.assertEqual(len(self.audit(c, "signed_in")), 4)

        if log_from is not None:
            line = None
            for _ in range(50):
                with open(W.log_path, "rb") as f:
                    f.seek(log_from)
                    line = re.search(rb'\{"event":"purge_audit_log"[^}]*\}', f.read())
                if line:
                    break
                time.sleep(0.1)
            self.assertIsNotNone(line, "no purge_audit_log log line")
            got = json.loads(line.group(0))
            self.assertEqual((got["deleted"], got["complete"], got["retention_days"]), (2_500, True, 400), got)


# =================================================================================================
# Faults
# =================================================================================================


class SettingsFaultTest(RBase):
    """A company's KV document broken behind the support API's back (which validates writes)."""

    def broken_settings(self, raw: str, codes, leaks=()):
        self.needs_state()
        c = self.new_company()
        W.kv_put(f"company:{c}", raw)
        try:
            r = W.post_acs(c, self.saml(c, JANE), accept_json=True)
            body = self.assertJsonRefusal(r, 503, codes)
            r = W.post_acs(c, self.saml(c, JON))
            self.assertPage(r, 503, body["error"], leaks)
            r = W.post_acs(c, self.saml(c, JON), accept_json=True)
            self.assertJsonRefusal(r, 503, body["error"])
            self.assertEqual(self.emails(c), [JON], "a user was written")
            self.assertFalse(self.user(c, JON).get("last_login_at"), "jon signed in")
            self.assertEqual(self.audit(c, "provisioned") + self.audit(c, "signed_in"), [])
            refused = self.audit(c, "refused")
            self.assertEqual([e["reason"] for e in refused], [body["error"]] * 3)
            self.assertIn(body["reference"], [e["reference"] for e in refused])
        finally:
            self.put_settings(c, settings_doc())  # restore through the support API
        self.assertRedirect(W.post_acs(c, self.saml(c, JANE)))
        self.assertEqual(self.emails(c), sorted([JON, JANE]))
        return body

    def test_malformed_json(self):
        self.broken_settings('{"version": 1, "display_name": "Decorumsoft", "saml": {', "settings_invalid",
                             leaks=("EOF", "line 1"))

    def test_schema_violation_unknown_field(self):
        doc = settings_doc()
        doc["provisioning"]["auto_admin"] = True
        self.broken_settings(json.dumps(doc), "settings_invalid", leaks=("auto_admin",))

    def test_schema_violation_provisioning_without_defaults(self):
        doc = settings_doc()
        del doc["provisioning"]["default_workspace"], doc["provisioning"]["default_permission_set"]
        self.broken_settings(json.dumps(doc), "settings_invalid", leaks=("default workspace",))

    def test_idp_certificate_not_a_certificate(self):
        doc = settings_doc(saml={"idp_certificates": ["-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"]})
        self.broken_settings(json.dumps(doc), {"settings_invalid", "idp_not_configured"}, leaks=("idp_certificates",))


class StoreFaultTest(RBase):
    """D1 failing mid-flow: a table renamed away with `wrangler d1 execute`, then put back."""

    LEAKS = ("D1_ERROR", "no such table", "SQLITE")

    def test_audit_log_missing_during_provisioning(self):
        c = self.new_company()
        with self.broken_table("audit_log"):
            r = W.post_acs(c, self.saml(c, JANE), accept_json=True)
            self.assertJsonRefusal(r, 503, "store_unavailable")
            self.assertPage(W.post_acs(c, self.saml(c, JANE)), 503, "store_unavailable", self.LEAKS)
            # The user insert and its audit row are one batch: neither is written.
            self.assertEqual(self.emails(c), [JON], "the user row outlived its failed audit row")
        self.assertEqual(self.emails(c), [JON])
        self.assertEqual(self.audit(c, "provisioned"), [])
        self.assertRedirect(W.post_acs(c, self.saml(c, JANE)))
        self.assertEqual(self.jit_emails(c), [JANE])
        self.assertEqual(len(self.audit(c, "provisioned")), 1)

    def test_audit_log_missing_during_sign_in(self):
        c = self.new_company()
        self.assertRedirect(W.post_acs(c, self.saml(c, JON)))
        before = self.user(c, JON)["last_login_at"]
        self.assertTrue(before)
        time.sleep(0.01)
        with self.broken_table("audit_log"):
            self.assertJsonRefusal(W.post_acs(c, self.saml(c, JON), accept_json=True), 503, "store_unavailable")
            self.assertPage(W.post_acs(c, self.saml(c, JON)), 503, "store_unavailable", self.LEAKS)
            self.assertEqual(self.user(c, JON)["last_login_at"], before, "last_login_at moved without its audit row")
        self.assertEqual(self.user(c, JON)["last_login_at"], before)
        self.assertEqual(len(self.audit(c, "signed_in")), 1)
        self.assertRedirect(W.post_acs(c, self.saml(c, JON)))
        self.assertNotEqual(self.user(c, JON)["last_login_at"], before)
        self.assertEqual(len(self.audit(c, "signed_in")), 2)

    def test_used_assertions_missing(self):
        c = self.new_company()
        xml_json, xml_html = self.saml(c, JANE), self.saml(c, JANE)
        with self.broken_table("used_assertions"):
            body = self.assertJsonRefusal(W.post_acs(c, xml_json, accept_json=True), 503, "store_unavailable")
            self.assertPage(W.post_acs(c, xml_html), 503, "store_unavailable", self.LEAKS)
            self.assertEqual(self.emails(c), [JON])
        self.assertEqual(self.emails(c), [JON])
        refused = self.audit(c, "refused")
        self.assertEqual([e["reason"] for e in refused], ["store_unavailable"] * 2)
        self.assertIn(body["reference"], [e["reference"] for e in refused])
        # The claim failed, so the assertion was not used up: it still signs in once, and only once.
        self.assertRedirect(W.post_acs(c, xml_json))
        self.assertJsonRefusal(W.post_acs(c, xml_json, accept_json=True), 403, "assertion_replayed")
        self.assertEqual(self.jit_emails(c), [JANE])


# =================================================================================================
# Input hardening
# =================================================================================================


class InputHardeningTest(RBase):
    def refused(self, c, r, status, code):
        self.assertJsonRefusal(r, status, code)
        self.assertEqual(self.emails(c), [JON], "a refusal wrote a user")

    def test_body_limit_with_chunked_encoding(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        head = form(("SAMLResponse", b64(xml))) + b"&pad="

        def padded(n):
            return head + b"x" * (n - len(head))

        for size in (MAX_FORM_BYTES + 1, 5 * MAX_FORM_BYTES):
            with self.subTest(size=size):
                r = post_chunked(harness.acs_path(c), padded(size))
                if r.body is None:
                    # Refused before the whole body was read: the reset may cut the JSON body.
                    self.assertEqual(r.status, 413, repr(r.headers.items()))
                    self.assertEqual(self.emails(c), [JON])
                else:
                    self.refused(c, r, 413, "body_too_large")
        # Exactly the limit, chunked, is read whole: the refused posts did not use the assertion up.
        r = post_chunked(harness.acs_path(c), padded(MAX_FORM_BYTES), accept_json=False)
        self.assertRedirect(r)
        self.assertEqual(self.jit_emails(c), [JANE])

    def test_unsupported_content_types(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        value = b64(xml)
        boundary = "----b" + secrets.token_hex(8)
        multipart = (f'--{boundary}\r\nContent-Disposition: form-data; name="SAMLResponse"\r\n\r\n{value}\r\n'
                     f"--{boundary}--\r\n").encode()
        urlencoded = form(("SAMLResponse", value))
        cases = [
            ("multipart/form-data", f"multipart/form-data; boundary={boundary}", multipart),
            ("text/plain", "text/plain", urlencoded),
            ("application/json", "application/json", json.dumps({"SAMLResponse": value}).encode()),
            ("look-alike", "application/x-www-form-urlencoded-evil", urlencoded),
            ("none", None, urlencoded),
        ]
        for name, ctype, body in cases:
            with self.subTest(name):
                hdrs = {"Accept": "application/json"}
                if ctype is not None:
                    hdrs["Content-Type"] = ctype
                r = W.request("POST", harness.acs_path(c), body=body, headers=hdrs)
                self.refused(c, r, 415, "content_type_unsupported")
        # Media types are case-insensitive and may carry parameters.
        r = W.request("POST", harness.acs_path(c), body=urlencoded,
                      headers={"Content-Type": "Application/X-WWW-Form-URLEncoded; charset=UTF-8"})
        self.assertRedirect(r)

    def test_ambiguous_and_undecodable_forms(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        v = urllib.parse.quote(b64(xml), safe="").encode()
        cases = [
            ("name is case-sensitive", b"samlresponse=" + v, 400, "form_field_missing"),
            ("name without a value", b"SAMLResponse&RelayState=%2Fa", 400, "form_field_missing"),
            ("percent-encoded duplicate name", b"SAMLResponse=" + v + b"&SAML%52esponse=" + v, 400, "form_field_duplicate"),
            ("empty duplicate", b"SAMLResponse=" + v + b"&SAMLResponse=", 400, "form_field_duplicate"),
            ("duplicate RelayState", b"SAMLResponse=" + v + b"&RelayState=%2Fa&RelayState=%2Fb", 400, "form_field_duplicate"),
            ("raw non-UTF-8 value", b"SAMLResponse=" + v + b"&RelayState=\xff\xfe", 400, "form_not_utf8"),
            ("raw non-UTF-8 name", b"\xe9t\xe9=1&SAMLResponse=" + v, 400, "form_not_utf8"),
            ("encoded invalid UTF-8", b"SAMLResponse=" + v + b"&RelayState=%C3%28", 400, "form_not_utf8"),
            ("encoded overlong slash", b"SAMLResponse=" + v + b"&RelayState=%C0%AF", 400, "form_not_utf8"),
            ("encoded lone surrogate", b"SAMLResponse=" + v + b"&RelayState=%ED%A0%80", 400, "form_not_utf8"),
        ]
        for name, body, status, code in cases:
            with self.subTest(name):
                self.refused(c, W.post_form(harness.acs_path(c), body, accept_json=True), status, code)
        self.assertEqual(self.audit(c, "provisioned"), [])
        # Refused as forms, before verification: the assertion is still unused.
        self.assertRedirect(W.post_acs(c, xml))


# =================================================================================================
# HTTP hardening
# =================================================================================================


class HttpHardeningTest(RBase):
    def test_security_headers_on_every_kind_of_response(self):
        c = self.new_company()
        acs_path = harness.acs_path(c)
        checks = []  # (what, response, no_store, expected status)

        r = W.post_acs(c, self.saml(c, JANE))
        checks.append(("ACS 303", r, True, 303))
        self.assertIsNotNone(cookie_claims(r))
        checks.append(("ACS 403 page", W.post_acs(c, self.saml(c, "x@decorumsoft.eu")), True, 403))
        checks.append(("ACS 403 JSON", W.post_acs(c, self.saml(c, "y@decorumsoft.eu"), accept_json=True), True, 403))
        checks.append(("ACS 400 JSON", W.post_form(acs_path, b"RelayState=%2F", accept_json=True), True, 400))
        checks.append(("ACS 400 page", W.post_form(acs_path, b"RelayState=%2F"), True, 400))
        checks.append(("ACS 413", W.post_form(acs_path, b"SAMLResponse=" + b"A" * (MAX_FORM_BYTES + 10), accept_json=True), True, 413))
        checks.append(("ACS 415", W.post_form(acs_path, b"SAMLResponse=x", content_type="text/plain"), True, 415))
        checks.append(("ACS 404 unknown company", W.post_acs("t-nope-" + secrets.token_hex(4), self.saml(c, JANE)), True, 404))
        checks.append(("support 200", W.support("GET", f"/admin/companies/{c}"), True, 200))
        checks.append(("support 200 list", W.support("GET", f"/admin/companies/{c}/users"), True, 200))
        checks.append(("support 200 audit", W.support("GET", f"/admin/companies/{c}/audit"), True, 200))
        checks.append(("support 201", W.support("POST", f"/admin/companies/{c}/users",
                                                {"email": "new.admin@decorumsoft.com", "confirmed": True, "impersonation": False}), True, 201))
        checks.append(("support 400", W.support("PUT", f"/admin/companies/{c}", settings_doc(version=2)), True, 400))
        checks.append(("support 401", W.support("GET", f"/admin/companies/{c}", token=None), True, 401))
        checks.append(("support 401 wrong token", W.support("GET", f"/admin/companies/{c}/users", token="nope"), True, 401))
        checks.append(("support 404", W.support("GET", f"/admin/companies/{c}/users/nobody@decorumsoft.com"), True, 404))
        checks.append(("support 409", W.support("POST", f"/admin/companies/{c}/users",
                                                {"email": JON, "confirmed": True, "impersonation": False}), True, 409))
        checks.append(("metadata 200", W.request("GET", f"/saml/{c}/metadata"), False, 200))
        checks.append(("metadata 404", W.request("GET", f"/saml/t-nope-{secrets.token_hex(4)}/metadata"), True, 404))
        checks.append(("healthz", W.request("GET", "/healthz"), False, 200))
        checks.append(("unknown route page", W.request("GET", "/nope"), True, 404))
        checks.append(("unknown route JSON", W.request("GET", "/nope", headers={"Accept": "application/json"}), True, 404))
        checks.append(("GET on the ACS", W.request("GET", acs_path), True, 404))
        checks.append(("DELETE company", W.request("DELETE", f"/admin/companies/{c}",
                                                   headers={"Authorization": f"Bearer {W.support_token}"}), True, 404))
        for what, r, no_store, status in checks:
            with self.subTest(what):
                self.assertEqual(r.status, status, f"{what}: {r!r}")
                self.assertHardened(r, no_store=no_store, what=what)
                if r.status != 303:
                    self.assertIsNone(r.headers.get("Set-Cookie"), what)
        # No cookie on any refusal, and the one success is the only cookie.
        self.assertEqual([w for w, r, _, _ in checks if r.headers.get("Set-Cookie")], ["ACS 303"])


# =================================================================================================
# Logs
# =================================================================================================


class LogHygieneTest(RBase):
    def setUp(self):
        if not W.log_path or not os.path.exists(W.log_path):
            self.skipTest("no worker log (WORKER_URL without WORKER_LOG)")
        self.log_from = os.path.getsize(W.log_path)

    def log_since(self, markers) -> str:
        """The log written since setUp, once every marker (reference, assertion ID) is in it."""
        deadline = time.monotonic() + 15
        while True:
            with open(W.log_path, "rb") as f:
                f.seek(self.log_from)
                text = f.read().decode("utf-8", errors="replace")
            missing = [m for m in markers if m not in text]
            if not missing or time.monotonic() > deadline:
                self.assertEqual(missing, [], "the worker did not log these references / assertion IDs")
                return text

    def forbidden(self, posted: list[bytes], emails: list[str]) -> dict[str, str]:
        """What must never reach the log, by name."""
        out = {"SUPPORT_TOKEN": W.support_token, "-----BEGIN": "-----BEGIN"}
        if W.session_secret:
            out["SESSION_SECRET"] = W.session_secret
        for i, xml in enumerate(posted):
            enc = b64(xml)
            out[f"SAMLResponse #{i} (base64, start)"] = enc[:48]
            out[f"SAMLResponse #{i} (base64, middle)"] = enc[len(enc) // 2: len(enc) // 2 + 48]
            out[f"SAMLResponse #{i} (URL-encoded)"] = urllib.parse.quote(enc, safe="")[100:160]
            for tag in (rb"SignatureValue", rb"DigestValue", rb"X509Certificate"):
                m = re.search(rb"<ds:" + tag + rb">([^<]{20,})</ds:", xml)
                if m:
                    out[f"#{i} {tag.decode()}"] = m.group(1)[:40].decode()
        for e in emails:
            out[f"email {e}"] = e
            out[f"email {e} (local part)"] = e.split("@")[0]
        return out

    def assertClean(self, text: str, forbidden: dict[str, str]):
        found = {name: value for name, value in forbidden.items() if value and value in text}
        lines = [line for line in text.splitlines() if any(v in line for v in found.values())]
        self.assertEqual(found, {}, "the log holds what it must not:\n" + "\n".join(lines[:10]))

    def test_sign_ins_and_refusals_log_codes_and_ids_only(self):
        c = self.new_company()
        tag = secrets.token_hex(4)
        new_user = f"logcheck.new.{tag}@decorumsoft.com"
        hostile = f"logcheck.evil.{tag}@decorumsoft.com"
        posted, markers = [], []

        def post(xml, json_mode=True):
            posted.append(xml)
            return W.post_acs(c, xml, relay_state="/reports", accept_json=json_mode)

        signed = [self.saml(c, new_user), self.saml(c, JON)]
        for xml in signed:
            self.assertRedirect(post(xml, json_mode=False), None)
            markers.append(signer.assertion_id_of(xml))
        refusals = [
            (signed[0], 403, "assertion_replayed"),
            (signer.replace_text(self.saml(c, JON), f">{JON}<", f">{hostile}<"), 403, "digest_mismatch"),
            (signer.xsw_extensions(self.saml(c, JON), hostile), 403, acs.XSW_CODES),
            (self.saml(c, JON, expired=True), 403, "expired"),
            (self.saml(c, JON, attacker=True), 403, "untrusted_key"),
            (self.saml(c, JON, sign="none"), 403, "signature_missing"),
            (signer.with_doctype(self.saml(c, JON)), 400, "doctype_forbidden"),
            (self.saml(c, JON)[:-200], 400, "xml_malformed"),
        ]
        for xml, status, code in refusals:
            body = self.assertRefused(post(xml), status, code)
            markers.append(body["reference"])
        body = self.assertRefused(W.post_form(harness.acs_path(c), b"SAMLResponse=" + b64(signed[1]).encode()
                                              + b"&SAMLResponse=x", accept_json=True), 400, "form_field_duplicate")
        markers.append(body["reference"])
        self.assertEqual(W.support("GET", f"/admin/companies/{c}/users", token="wrong-" + W.support_token).status, 401)
        text = self.log_since(markers)
        self.assertClean(text, self.forbidden(posted, [new_user, JON, hostile]))

    def test_policy_refusal_logs_no_email(self):
        c = self.new_company()
        outsider = f"logcheck.outsider.{secrets.token_hex(4)}@decorumsoft.eu"
        xml = self.saml(c, outsider)
        body = self.assertRefused(W.post_acs(c, xml, accept_json=True), 403, "domain_not_allowed")
        text = self.log_since([body["reference"]])
        self.assertClean(text, self.forbidden([xml], [outsider]))


if __name__ == "__main__":
    unittest.main()
