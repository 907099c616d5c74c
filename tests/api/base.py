"""Shared base of the admin/support API tests (tests/api/test_*.py): the worker and fake IdP of the
run, companies with an admin and a confirmed member made through the support API, sessions through
the ACS, and assertions on JSON errors and pages.

Each test module calls `start()` from its setUpModule: one worker (tests/integration/harness.py:
`wrangler dev`, or WORKER_URL) and one fake IdP (tests/integration/fake_idp.py) for the whole run.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import fake_idp  # noqa: E402
from common import ADMIN, COOKIE, JON, Html, form_body, new_company_id, set_cookie_value, settings_doc  # noqa: E402

W: harness.Worker | None = None
IDP: fake_idp.FakeIdP | None = None

NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


def start() -> tuple[harness.Worker, fake_idp.FakeIdP]:
    """The run's worker and fake IdP (the IdP started on first call, stopped at exit)."""
    global W, IDP
    if IDP is None:
        IDP = fake_idp.FakeIdP().start()
        atexit.register(IDP.stop)
    W = harness.get_worker()
    return W, IDP


class Base(unittest.TestCase):
    maxDiff = 6000

    # -- companies, users, credentials ---------------------------------------------------------

    def new_company(self, **over) -> str:
        c = new_company_id()
        r = W.support("PUT", f"/admin/companies/{c}", settings_doc(IDP, **over))
        self.assertEqual(r.status, 200, f"PUT settings: {r!r}")
        self.add_user(c, ADMIN, workspace="main", permission_set="admin")
        self.add_user(c, JON)
        return c

    def add_user(self, c: str, email: str, **extra):
        body = {"email": email, "confirmed": True, "impersonation": False, **extra}
        r = W.support("POST", f"/admin/companies/{c}/users", body)
        self.assertEqual(r.status, 201, f"POST user: {r!r}")

    def settings(self, c: str) -> dict:
        r = W.support("GET", f"/admin/companies/{c}")
        self.assertEqual(r.status, 200, f"GET settings: {r!r}")
        return r.json()

    def user(self, c: str, email: str) -> dict | None:
        r = W.support("GET", f"/admin/companies/{c}/users/{email}")
        if r.status == 404:
            return None
        self.assertEqual(r.status, 200, f"GET user: {r!r}")
        return r.json()

    def emails(self, c: str) -> list[str]:
        r = W.support("GET", f"/admin/companies/{c}/users")
        self.assertEqual(r.status, 200, f"GET users: {r!r}")
        return sorted(u["email"] for u in r.json()["users"])

    def token_list(self, c: str) -> list[dict]:
        r = W.support("GET", f"/admin/companies/{c}/tokens")
        self.assertEqual(r.status, 200, f"GET tokens: {r!r}")
        return r.json()["tokens"]

    def new_token(self, c: str) -> tuple[str, str]:
        r = W.support("POST", f"/admin/companies/{c}/tokens")
        self.assertEqual(r.status, 201, f"POST tokens: {r!r}")
        body = r.json()
        return body["id"], body["token"]

    def saml(self, c: str, email: str, **kw) -> bytes:
        return IDP.idp_initiated(email, sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c), **kw)

    def session(self, c: str, email: str = ADMIN) -> str:
        """Sign `email` in through the ACS (IdP-initiated) and return the session cookie value."""
        r = W.post_acs(c, self.saml(c, email))
        self.assertEqual(r.status, 303, f"ACS sign-in of {email}: {r!r}")
        v = set_cookie_value(r)
        self.assertTrue(v, f"no {COOKIE} cookie: {r.headers.get_all('Set-Cookie')}")
        return v

    # -- pages -----------------------------------------------------------------------------------

    def get_page(self, path: str, cookie: str | None, lang: str | None = None):
        hdrs = {"Accept": "text/html"}
        if cookie:
            hdrs["Cookie"] = f"{COOKIE}={cookie}"
        if lang:
            hdrs["Accept-Language"] = lang
        return W.request("GET", path, headers=hdrs)

    def post_page(self, path: str, cookie: str | None, fields):
        hdrs = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded", "Origin": W.public_origin}
        if cookie:
            hdrs["Cookie"] = f"{COOKIE}={cookie}"
        return W.request("POST", path, body=form_body(fields), headers=hdrs)

    def csrf(self, c: str, cookie: str) -> str:
        r = self.get_page(f"/admin/{c}/security", cookie)
        self.assertEqual(r.status, 200, r)
        e = Html(r.text).el("csrf") or next((x for f in Html(r.text).forms for x in f["controls"] if x["attrs"].get("name") == "csrf"), None)
        self.assertIsNotNone(e, "no csrf field")
        self.assertEqual(e["attrs"].get("type"), "hidden")
        self.assertTrue(e["attrs"].get("value"))
        return e["attrs"]["value"]

    # -- assertions ----------------------------------------------------------------------------

    def assertJsonError(self, resp, status: int, code: str | None, what: str) -> dict:
        self.assertEqual(resp.status, status, what)
        ctype = (resp.headers.get("Content-Type") or "").lower()
        self.assertTrue(ctype.startswith("application/json"), f"Content-Type {ctype!r}: {what}")
        body = resp.json()
        if code is not None:
            self.assertEqual(body.get("error"), code, what)
        return body

    def assertSupportOnly(self, resp, what: str):
        body = self.assertJsonError(resp, 403, "support_only", what)
        self.assertIn("Support", body.get("message", ""), f"message should say to contact Support: {what}")

    def assertInvalidField(self, resp, field: str, what: str, prefix: bool = False):
        body = self.assertJsonError(resp, 400, "invalid_field", what)
        if prefix:
            self.assertTrue(str(body.get("field", "")).startswith(field), f"field {body.get('field')!r}: {what}")
        else:
            self.assertEqual(body.get("field"), field, what)
        self.assertIsInstance(body.get("message"), str, what)

    def html_page(self, resp, what: str) -> Html:
        ctype = (resp.headers.get("Content-Type") or "").lower()
        self.assertTrue(ctype.startswith("text/html"), f"Content-Type {ctype!r}: {what}")
        return Html(resp.text)

    # -- routes --------------------------------------------------------------------------------

    @staticmethod
    def admin_routes(c: str) -> list[tuple]:
        return [
            ("GET", f"/admin/companies/{c}", None),
            ("GET", f"/admin/companies/{c}/users", None),
            ("GET", f"/admin/companies/{c}/users/{JON}", None),
            ("GET", f"/admin/companies/{c}/audit", None),
            ("PATCH", f"/admin/companies/{c}/security", {"default_workspace": "ops"}),
        ]

    def support_only_routes(self, c: str, victim_token_id: str) -> list[tuple]:
        return [
            ("PUT", f"/admin/companies/{c}", settings_doc(IDP, display_name="Hijacked")),
            ("POST", f"/admin/companies/{c}/users", {"email": "mallory@decorumsoft.com", "confirmed": True,
                                                      "impersonation": False, "workspace": "main", "permission_set": "admin"}),
            ("POST", f"/admin/companies/{c}/tokens", None),
            ("GET", f"/admin/companies/{c}/tokens", None),
            ("DELETE", f"/admin/companies/{c}/tokens/{victim_token_id}", None),
            ("PATCH", f"/admin/companies/{c}/security", {"exception_domains": ["decorumsoft.eu"]}),
            ("PATCH", f"/admin/companies/{c}/security", {"allow_sha1": True}),
            ("PATCH", f"/admin/companies/{c}/security", {"provisioning_enabled": False}),
        ]

    def snapshot(self, c: str):
        s = self.settings(c)
        return (json.dumps(s, sort_keys=True), self.emails(c),
                json.dumps(sorted(self.token_list(c), key=lambda t: t["id"]), sort_keys=True))
