"""SP-initiated sign-in: the HTTP-Redirect AuthnRequest, signed request IDs, InResponseTo answered once.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
import harness  # noqa: E402
import fake_idp  # noqa: E402
from base import Base  # noqa: E402
from common import ADMIN, JANE, JON, new_company_id, set_cookie_value, settings_doc  # noqa: E402

W: harness.Worker | None = None
IDP: fake_idp.FakeIdP | None = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


# =================================================================================================
# SP-initiated sign-in
# =================================================================================================


def request_id(company: str, expires_ms: int, secret: bytes = harness.SESSION_SECRET.encode(), nonce: bytes | None = None) -> str:
    """An AuthnRequest ID as the worker signs them (crates/jit/src/request_id.rs)."""
    body = (nonce or secrets.token_bytes(16)) + expires_ms.to_bytes(8, "big", signed=True)
    tag = hmac.new(secret, b"authn-request|" + company.encode() + b"|" + body, hashlib.sha256).digest()[:16]
    return "_" + body.hex() + tag.hex()


class SpInitiatedTest(Base):
    def start(self, c: str, email: str = JON) -> dict:
        """GET /saml/{c}/login and decode the HTTP-Redirect AuthnRequest."""
        r = W.request("GET", f"/saml/{c}/login?email={urllib.parse.quote(email)}", headers={"Accept": "text/html"})
        self.assertIn(r.status, (302, 303), f"GET /saml/{c}/login: {r!r}")
        loc = r.headers.get("Location") or ""
        self.assertTrue(loc.startswith(IDP.sso_url + "?"), f"Location {loc!r} is not the IdP SSO URL")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertIn("SAMLRequest", q)
        req = fake_idp.parse_authn_request(fake_idp.decode_redirect_request(q["SAMLRequest"]))
        req["relay_state"] = q.get("RelayState")
        return req

    def test_authn_request_shape(self):
        c = self.new_company()
        req = self.start(c)
        self.assertRegex(req["id"] or "", r"^[A-Za-z_][\w.-]*$", "ID must be an xs:ID")
        self.assertGreaterEqual(len(req["id"]), 17, "ID too short to be unguessable")
        self.assertEqual(req["version"], "2.0")
        self.assertEqual(req["acs_url"], W.acs_url(c))
        self.assertEqual(req["issuer"], W.sp_entity_id(c))
        self.assertEqual(req["destination"], IDP.sso_url)
        self.assertTrue(req["issue_instant"])
        self.assertNotEqual(self.start(c)["id"], req["id"], "request IDs repeat")

    def test_starting_sign_in_writes_nothing(self):
        """Anyone may start a sign-in, so it writes nothing: the request ID is signed. Only an
        answered request is remembered (once), until it expires."""
        if not W.persist_dir:
            self.skipTest("needs the worker's local D1 (harness-started, or WORKER_PERSIST_TO)")
        c = self.new_company()
        reqs = [self.start(c) for _ in range(5)]
        count = lambda: W.d1(f"SELECT COUNT(*) AS n FROM authn_requests WHERE company = '{c}'")[0]["n"]
        self.assertEqual(count(), 0, "GET /saml/{c}/login wrote rows")
        xml = IDP.sp_initiated(JON, reqs[0]["id"], sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        self.assertEqual(W.post_acs(c, xml).status, 303)
        rows = W.d1(f"SELECT id, expires_at FROM authn_requests WHERE company = '{c}'")
        self.assertEqual([r["id"] for r in rows], [reqs[0]["id"]])
        now_ms = time.time() * 1000
        self.assertTrue(now_ms < rows[0]["expires_at"] <= now_ms + 15 * 60 * 1000, f"expiry not short: {rows}")

    def test_existing_user_once(self):
        c = self.new_company()
        req = self.start(c)
        xml = IDP.sp_initiated(JON, req["id"], sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        r = W.post_acs(c, xml, relay_state=req["relay_state"])
        self.assertEqual(r.status, 303, f"SP-initiated response for an existing user: {r!r}")
        self.assertTrue((r.headers.get("Location") or "").startswith(IDP.dashboard_url), r.headers.get("Location"))
        self.assertTrue(set_cookie_value(r), "no session cookie")
        self.assertTrue(self.user(c, JON)["last_login_at"])
        # the same request ID again, in a fresh response: refused
        xml2 = IDP.sp_initiated(JON, req["id"], sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        r = W.post_acs(c, xml2, accept_json=True)
        self.assertJsonError(r, 403, "in_response_to_mismatch", f"request ID reused: {r!r}")

    def test_unknown_in_response_to(self):
        c = self.new_company()
        self.start(c)  # a real request exists, but the response names another
        xml = IDP.sp_initiated(JON, "_" + "ab" * 20, sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        r = W.post_acs(c, xml, accept_json=True)
        self.assertJsonError(r, 403, "in_response_to_mismatch", f"unknown request ID: {r!r}")
        self.assertFalse(self.user(c, JON).get("last_login_at"))

    def test_request_id_of_another_company(self):
        a, b = self.new_company(), self.new_company()
        req = self.start(a)
        xml = IDP.sp_initiated(JON, req["id"], sp_entity_id=W.sp_entity_id(b), acs_url=W.acs_url(b))
        r = W.post_acs(b, xml, accept_json=True)
        self.assertJsonError(r, 403, "in_response_to_mismatch", f"company A's request ID at company B: {r!r}")

    def test_new_user_is_never_provisioned(self):
        c = self.new_company()
        req = self.start(c, JANE)
        xml = IDP.sp_initiated(JANE, req["id"], sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        r = W.post_acs(c, xml, accept_json=True)
        self.assertJsonError(r, 403, "sp_initiated_no_provisioning", f"new user via SP-initiated: {r!r}")
        self.assertIsNone(self.user(c, JANE))
        self.assertEqual(self.emails(c), sorted([ADMIN, JON]))
        # while the IdP-initiated path still provisions her
        r = W.post_acs(c, self.saml(c, JANE))
        self.assertEqual(r.status, 303, r)
        self.assertEqual(self.user(c, JANE)["created_via"], "jit")

    def test_request_id_consumed_once_under_concurrency(self):
        import concurrent.futures
        c = self.new_company()
        req = self.start(c)
        xmls = [IDP.sp_initiated(JON, req["id"], sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c)) for _ in range(4)]
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            rs = list(ex.map(lambda x: W.post_acs(c, x, accept_json=True), xmls))
        statuses = sorted(r.status for r in rs)
        self.assertEqual(statuses, [303, 403, 403, 403], f"4 concurrent responses to one AuthnRequest: {rs}")
        for r in rs:
            if r.status == 403:
                self.assertEqual(r.json().get("error"), "in_response_to_mismatch", r)

    def test_forged_expired_and_foreign_request_ids(self):
        c, other = self.new_company(), self.new_company()
        now_ms = int(time.time() * 1000)
        real = self.start(c)["id"]
        cases = {
            "expired": request_id(c, now_ms - 1000),
            "another company's": request_id(other, now_ms + 60_000),
            "another secret's": request_id(c, now_ms + 60_000, secret=b"not-the-secret"),
            "forged tag": real[:-4] + ("0000" if not real.endswith("0000") else "1111"),
            "unsigned": "_" + secrets.token_hex(20),
        }
        for what, rid in cases.items():
            with self.subTest(what):
                xml = IDP.sp_initiated(JON, rid, sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
                r = W.post_acs(c, xml, accept_json=True)
                self.assertJsonError(r, 403, "in_response_to_mismatch", f"{what} request ID: {r!r}")
        self.assertFalse(self.user(c, JON).get("last_login_at"))
        # the same construction, valid: accepted (so the refusals above are about what changed)
        xml = IDP.sp_initiated(JON, request_id(c, now_ms + 60_000), sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
        self.assertEqual(W.post_acs(c, xml).status, 303)

    def test_no_sso_url_configured(self):
        c = new_company_id()
        doc = settings_doc(IDP)
        del doc["saml"]["idp_sso_url"]
        r = W.support("PUT", f"/admin/companies/{c}", doc)
        self.assertEqual(r.status, 200, r)
        r = W.request("GET", f"/saml/{c}/login?email={JON}", headers={"Accept": "application/json"})
        self.assertNotIn(r.status, (301, 302, 303, 307, 308), f"redirected without an SSO URL: {r!r}")
        self.assertGreaterEqual(r.status, 400, r)


if __name__ == "__main__":
    unittest.main()
