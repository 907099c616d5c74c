"""SCIM tokens (issue #14): created by Support or the company's admins, shown once, listed
without secrets, revocable; never accepted as admin API credentials, nor admin tokens as SCIM ones.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
from base import Base  # noqa: E402
from common import JON, call  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: "base.fake_idp.FakeIdP | None" = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


class ScimTokensTest(Base):
    def test_support_and_company_admins_manage_scim_tokens(self):
        c = self.new_company()
        admin_cookie = ("cookie", self.session(c))
        _, admin_token = self.new_token(c)
        made = []
        for who, cred in [("support", None), ("admin session", admin_cookie),
                          ("admin token", ("bearer", admin_token))]:
            r = W.support("POST", f"/admin/companies/{c}/scim-tokens") if cred is None else \
                call(W, "POST", f"/admin/companies/{c}/scim-tokens", cred)
            self.assertEqual(r.status, 201, f"{who}: {r!r}")
            body = r.json()
            self.assertEqual(sorted(body), ["id", "token"], who)
            self.assertRegex(body["token"], rf"^scim_{re.escape(body['id'])}\.[0-9a-f]{{64}}$", who)
            made.append(body)
        r = call(W, "GET", f"/admin/companies/{c}/scim-tokens", admin_cookie)
        self.assertEqual(r.status, 200, r)
        listed = r.json()["tokens"]
        self.assertEqual(sorted(t["id"] for t in listed), sorted(m["id"] for m in made))
        for m in made:
            self.assertNotIn(m["token"].split(".", 1)[1], r.text, "the list leaks a secret")
        for t in listed:
            self.assertFalse({"token", "hash", "secret", "secret_hash"} & set(t), t)
            self.assertIsNone(t["revoked_at"])
        # The two kinds are listed apart.
        self.assertEqual(len(self.token_list(c)), 1, "admin tokens list SCIM tokens")
        r = call(W, "DELETE", f"/admin/companies/{c}/scim-tokens/{made[0]['id']}", admin_cookie)
        self.assertEqual(r.status, 204, r)
        r = call(W, "DELETE", f"/admin/companies/{c}/scim-tokens/{made[0]['id']}", admin_cookie)
        self.assertJsonError(r, 404, "token_unknown", "revoked twice")
        listed = call(W, "GET", f"/admin/companies/{c}/scim-tokens", admin_cookie).json()["tokens"]
        self.assertTrue(next(t for t in listed if t["id"] == made[0]["id"])["revoked_at"])

    def test_other_companies_members_and_unauthenticated_callers_are_refused(self):
        a, b = self.new_company(), self.new_company()
        r = W.support("POST", f"/admin/companies/{a}/scim-tokens")
        self.assertEqual(r.status, 201, r)
        tok = r.json()
        b_admin = ("cookie", self.session(b))
        member = ("cookie", self.session(a, JON))
        for method, path in [("POST", f"/admin/companies/{a}/scim-tokens"),
                             ("GET", f"/admin/companies/{a}/scim-tokens"),
                             ("DELETE", f"/admin/companies/{a}/scim-tokens/{tok['id']}")]:
            self.assertJsonError(call(W, method, path, b_admin), 403, "forbidden", f"B's admin: {method} {path}")
            self.assertJsonError(call(W, method, path, member), 403, None, f"a member: {method} {path}")
            self.assertJsonError(call(W, method, path), 401, "unauthorized", f"nobody: {method} {path}")
            self.assertJsonError(call(W, method, path, ("bearer", tok["token"])), 401, "unauthorized",
                                 f"a SCIM token on the admin API: {method} {path}")
        # B cannot revoke A's token through its own company path.
        r = W.support("DELETE", f"/admin/companies/{b}/scim-tokens/{tok['id']}")
        self.assertJsonError(r, 404, "token_unknown", "A's token revoked through B")
        # An admin token's id is not a SCIM token's.
        admin_id, _ = self.new_token(a)
        r = W.support("DELETE", f"/admin/companies/{a}/scim-tokens/{admin_id}")
        self.assertJsonError(r, 404, "token_unknown", "an admin token revoked as a SCIM token")
        self.assertFalse(self.token_list(a)[0]["revoked_at"])
