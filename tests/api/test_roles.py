"""Every role on every admin route: Support, a company admin (session or token), another company's admin, a plain user, no credentials; support-only actions.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import base64
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
from base import Base  # noqa: E402
from common import COOKIE, JON, call, describe, settings_doc  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: "base.fake_idp.FakeIdP | None" = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


# =================================================================================================
# Roles × routes
# =================================================================================================


class RolesTest(Base):
    def test_support_can_do_everything(self):
        c = self.new_company()
        for method, path, body in self.admin_routes(c):
            with self.subTest(route=f"{method} {path}"):
                r = call(W, method, path, ("bearer", W.support_token), body)
                self.assertEqual(r.status, 200, describe(method, path, ("bearer", "SUPPORT"), r, body))
        tid, tok = self.new_token(c)
        self.assertRegex(tok, rf"^sat_{re.escape(tid)}\.[^\s.]+$")
        r = W.support("GET", f"/admin/companies/{c}/tokens")
        self.assertEqual(r.status, 200, r)
        r = W.support("DELETE", f"/admin/companies/{c}/tokens/{tid}")
        self.assertEqual(r.status, 204, describe("DELETE", "tokens", ("bearer", "SUPPORT"), r))
        r = W.support("PUT", f"/admin/companies/{c}", settings_doc(IDP, display_name="Renamed"))
        self.assertEqual(r.status, 200, r)
        r = W.support("POST", f"/admin/companies/{c}/users", {"email": "new@decorumsoft.com", "confirmed": True, "impersonation": False})
        self.assertEqual(r.status, 201, r)
        body = {"exception_domains": ["decorumsoft.eu"], "allow_sha1": True, "provisioning_enabled": False}
        r = call(W, "PATCH", f"/admin/companies/{c}/security", ("bearer", W.support_token), body)
        self.assertEqual(r.status, 200, describe("PATCH", "security", ("bearer", "SUPPORT"), r, body))
        doc = r.json()
        self.assertEqual(doc["exception_domains"], ["decorumsoft.eu"])
        self.assertIs(doc["saml"]["allow_sha1"], True)
        self.assertIs(doc["provisioning"]["enabled"], False)
        s = self.settings(c)
        self.assertEqual((s["exception_domains"], s["saml"]["allow_sha1"], s["provisioning"]["enabled"]),
                         (["decorumsoft.eu"], True, False))

    def _admin_allowed(self, c: str, cred):
        for method, path, body in self.admin_routes(c):
            with self.subTest(route=f"{method} {path}", cred=cred[0]):
                r = call(W, method, path, cred, body)
                self.assertEqual(r.status, 200, describe(method, path, cred, r, body))
                doc = r.json()
                if path.endswith("/users"):
                    self.assertIn(JON, [u["email"] for u in doc["users"]])
                elif path.endswith(JON):
                    self.assertEqual(doc["email"], JON)
                elif path.endswith("/audit"):
                    self.assertIsInstance(doc["entries"], list)
                elif method == "PATCH":
                    self.assertEqual(doc["provisioning"]["default_workspace"], "ops")
                else:
                    self.assertEqual(doc["saml"]["idp_entity_id"], IDP.entity_id)
        self.assertEqual(self.settings(c)["provisioning"]["default_workspace"], "ops")

    def test_admin_token_allowed_routes(self):
        c = self.new_company()
        _, tok = self.new_token(c)
        self._admin_allowed(c, ("bearer", tok))

    def test_admin_session_allowed_routes(self):
        c = self.new_company()
        self._admin_allowed(c, ("cookie", self.session(c)))

    def _admin_support_only_refused(self, c: str, cred):
        victim, _ = self.new_token(c)
        before = self.snapshot(c)
        for method, path, body in self.support_only_routes(c, victim):
            with self.subTest(route=f"{method} {path}", body=body, cred=cred[0]):
                r = call(W, method, path, cred, body)
                self.assertSupportOnly(r, describe(method, path, cred, r, body))
        self.assertEqual(self.snapshot(c), before, "a refused support-only action changed something")

    def test_admin_token_refused_support_only_actions(self):
        c = self.new_company()
        _, tok = self.new_token(c)
        self._admin_support_only_refused(c, ("bearer", tok))

    def test_admin_session_refused_support_only_actions(self):
        c = self.new_company()
        self._admin_support_only_refused(c, ("cookie", self.session(c)))

    def test_admin_may_turn_provisioning_on_and_restate_it(self):
        c = self.new_company(provisioning={"enabled": False})
        _, tok = self.new_token(c)
        body = {"provisioning_enabled": True, "default_workspace": "ops", "default_permission_set": "viewer"}
        r = call(W, "PATCH", f"/admin/companies/{c}/security", ("bearer", tok), body)
        self.assertEqual(r.status, 200, describe("PATCH", "security", ("bearer", tok), r, body))
        p = self.settings(c)["provisioning"]
        self.assertEqual((p["enabled"], p["default_workspace"], p["default_permission_set"]), (True, "ops", "viewer"))
        r = call(W, "PATCH", f"/admin/companies/{c}/security", ("bearer", tok), {"provisioning_enabled": True})
        self.assertEqual(r.status, 200, f"saying 'on' while on is no change: {r!r}")

    def _other_company_forbidden(self, cred_for_a, b: str):
        victim, _ = self.new_token(b)
        before = self.snapshot(b)
        for method, path, body in self.admin_routes(b) + self.support_only_routes(b, victim):
            with self.subTest(route=f"{method} {path}", body=body):
                r = call(W, method, path, cred_for_a, body)
                self.assertJsonError(r, 403, "forbidden", describe(method, path, cred_for_a, r, body))
        self.assertEqual(self.snapshot(b), before, "admin of A changed company B")

    def test_admin_token_of_a_forbidden_on_b(self):
        a, b = self.new_company(), self.new_company()
        _, tok = self.new_token(a)
        self._other_company_forbidden(("bearer", tok), b)

    def test_admin_session_of_a_forbidden_on_b(self):
        a, b = self.new_company(), self.new_company()
        self._other_company_forbidden(("cookie", self.session(a)), b)

    def test_revoked_token_is_unauthorized(self):
        c = self.new_company()
        tid, tok = self.new_token(c)
        r = call(W, "GET", f"/admin/companies/{c}", ("bearer", tok))
        self.assertEqual(r.status, 200, r)
        r = W.support("DELETE", f"/admin/companies/{c}/tokens/{tid}")
        self.assertEqual(r.status, 204, r)
        listed = {t["id"]: t for t in self.token_list(c)}
        self.assertTrue(listed[tid].get("revoked_at"), f"revoked_at not set: {listed[tid]}")
        for method, path, body in self.admin_routes(c):
            with self.subTest(route=f"{method} {path}"):
                r = call(W, method, path, ("bearer", tok), body)
                self.assertJsonError(r, 401, "unauthorized", describe(method, path, ("bearer", tok), r, body))
        self.assertEqual(self.settings(c)["provisioning"]["default_workspace"], "main")

    def test_missing_or_garbage_credentials_are_unauthorized(self):
        c = self.new_company()
        tid, tok = self.new_token(c)
        secret = tok.split(".", 1)[1]
        wrong_secret = tok[:-4] + ("0000" if not tok.endswith("0000") else "1111")
        cookie = self.session(c)
        forged = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
        creds = [
            None,
            ("header", "Bearer "),
            ("header", "Bearer garbage"),
            ("header", f"Basic {base64.b64encode(b'support:x').decode()}"),
            ("header", f"Bearer {W.support_token}x"),
            ("bearer", "sat_deadbeef.cafebabe"),
            ("bearer", wrong_secret),
            ("bearer", f"sat_{tid}"),
            ("bearer", secret),
            ("rawcookie", f"{COOKIE}=v1.garbage.garbage"),
            ("rawcookie", f"{COOKIE}={forged}"),
        ]
        for cred in creds:
            for method, path, body in self.admin_routes(c):
                with self.subTest(cred=cred and (cred[0], cred[1][:30]), route=f"{method} {path}"):
                    r = call(W, method, path, cred, body)
                    self.assertJsonError(r, 401, "unauthorized", describe(method, path, cred, r, body))
        self.assertEqual(self.settings(c)["provisioning"]["default_workspace"], "main")

    def test_member_session_refused(self):
        c = self.new_company()
        member = self.session(c, JON)
        for method, path, body in self.admin_routes(c):
            with self.subTest(route=f"{method} {path}"):
                r = call(W, method, path, ("cookie", member), body)
                self.assertJsonError(r, 403, None, describe(method, path, ("cookie", member), r, body))
        r = W.request("GET", f"/admin/{c}/security", headers={"Cookie": f"{COOKIE}={member}", "Accept": "text/html"})
        self.assertEqual(r.status, 403, f"GET /admin/{c}/security as a member: {r!r}")
        self.html_page(r, "403 page")
        self.assertEqual(self.settings(c)["provisioning"]["default_workspace"], "main")
