"""API tests of the admin and support surfaces: every role on every route, admin tokens, the
security settings (PATCH, IdP metadata import), the Security Settings and login pages without a
browser, and SP-initiated sign-in (HTTP-Redirect AuthnRequest, InResponseTo once).

One worker for the module (tests/integration/harness.py: `wrangler dev`, or WORKER_URL) and one
fake IdP (tests/integration/fake_idp.py). Each test makes its own companies `t-<random>` through
the support API, with an admin user (permission set `admin`) and a confirmed member, signed by the
fake IdP's key.

    python3 -m unittest tests/api/test_roles.py        (or python3 tests/api/run.py)
"""

from __future__ import annotations

import base64
import glob
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import fake_idp  # noqa: E402
from common import (ADMIN, COOKIE, FIXTURES, JANE, JON, NEVER, Html, call, describe, form_body,  # noqa: E402
                    location_path, new_company_id, pem_body, set_cookie_value, settings_doc)

W: harness.Worker | None = None
IDP: fake_idp.FakeIdP | None = None

NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


def setUpModule():
    global W, IDP
    IDP = fake_idp.FakeIdP().start()
    W = harness.get_worker()


def tearDownModule():
    if IDP:
        IDP.stop()


class Base(unittest.TestCase):
    maxDiff = 6000

    # -- companies, users, credentials ---------------------------------------------------------

    def new_company(self, **over) -> str:
        c = new_company_id()
        r = W.support("PUT", f"/admin/companies/{c}", settings_doc(IDP, **over))
        self.assertEqual(r.status, 200, f"PUT settings: {r!r}")
        self.add_user(c, ADMIN, permission_set="admin")
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
                                                      "impersonation": False, "permission_set": "admin"}),
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


# =================================================================================================
# Admin tokens
# =================================================================================================


class TokensTest(Base):
    def test_tokens_are_shown_once_and_listed_without_secret(self):
        a, b = self.new_company(), self.new_company()
        r = W.support("POST", f"/admin/companies/{a}/tokens")
        self.assertEqual(r.status, 201, r)
        body = r.json()
        self.assertRegex(body["token"], rf"^sat_{re.escape(body['id'])}\.")
        secret = body["token"].split(".", 1)[1]
        self.assertGreaterEqual(len(secret), 32, "the secret part should be long")
        r2 = W.support("POST", f"/admin/companies/{a}/tokens")
        self.assertNotEqual(r2.json()["token"], body["token"])
        r = W.support("GET", f"/admin/companies/{a}/tokens")
        self.assertEqual(r.status, 200, r)
        self.assertNotIn(secret, r.text, "the token list leaks the secret")
        self.assertNotIn("sat_", r.text, "the token list shows a token")
        toks = r.json()["tokens"]
        self.assertEqual(sorted(t["id"] for t in toks), sorted([body["id"], r2.json()["id"]]))
        for t in toks:
            self.assertTrue(t["created_at"])
            self.assertIn("revoked_at", t)
            self.assertFalse(t["revoked_at"])
            self.assertFalse({"token", "hash", "secret", "token_hash"} & set(t), t)
        self.assertEqual(self.token_list(b), [], "company B lists company A's tokens")
        # A's token does not open B even on B's read routes; B's own token revocation list is B's.
        r = W.support("DELETE", f"/admin/companies/{b}/tokens/{body['id']}")
        self.assertNotEqual(r.status, 204, f"revoked A's token through company B: {r!r}")
        r = call(W, "GET", f"/admin/companies/{a}", ("bearer", body["token"]))
        self.assertEqual(r.status, 200, r)


# =================================================================================================
# PATCH /admin/companies/{c}/security: fields and IdP metadata
# =================================================================================================


def metadata_expectations(path: str) -> dict:
    root = ET.parse(path).getroot()
    idpsso = root.find(f"{{{NS_MD}}}IDPSSODescriptor")
    certs = []
    for kd in idpsso.findall(f"{{{NS_MD}}}KeyDescriptor"):
        if kd.get("use") in (None, "signing"):
            for x in kd.iter(f"{{{NS_DS}}}X509Certificate"):
                b = pem_body(x.text or "")
                if b not in certs:
                    certs.append(b)
    redirect = [s.get("Location") for s in idpsso.findall(f"{{{NS_MD}}}SingleSignOnService") if s.get("Binding") == REDIRECT]
    return {"entity_id": root.get("entityID"), "certs": certs, "redirect": redirect[0] if redirect else None}


def fixture_cert_for(metadata_file: str) -> str | None:
    """The certs/*.pem the corpus README/MANIFEST pairs with this metadata document (same source)."""
    with open(os.path.join(FIXTURES, "MANIFEST.json"), encoding="utf-8") as f:
        m = json.load(f)
    src = m["idp_metadata"][metadata_file]["source"]["path"]
    for name, c in m["certificates"].items():
        if c["source"]["path"] == src and c["source"]["repo"] == m["idp_metadata"][metadata_file]["source"]["repo"]:
            return os.path.join(FIXTURES, "certs", name)
    return None


class SecurityPatchTest(Base):
    def patch(self, c, body, cred=None):
        return call(W, "PATCH", f"/admin/companies/{c}/security", cred or ("bearer", self.tok), body)

    def setUp(self):
        self.c = self.new_company()
        _, self.tok = self.new_token(self.c)

    def test_each_admin_field(self):
        c = self.c
        other = fake_idp.signer.TestIdP(entity_id="https://idp2.example.com/meta")
        cases = [
            ({"idp_entity_id": "https://idp2.example.com/meta"}, lambda s: s["saml"]["idp_entity_id"] == "https://idp2.example.com/meta"),
            ({"idp_certificates": [IDP.cert_pem, other.cert_pem]},
             lambda s: [pem_body(x) for x in s["saml"]["idp_certificates"]] == [pem_body(IDP.cert_pem), pem_body(other.cert_pem)]),
            ({"idp_sso_url": "https://idp2.example.com/sso?x=1"}, lambda s: s["saml"].get("idp_sso_url") == "https://idp2.example.com/sso?x=1"),
            ({"default_workspace": "ops"}, lambda s: s["provisioning"]["default_workspace"] == "ops"),
            ({"default_permission_set": "viewer"}, lambda s: s["provisioning"]["default_permission_set"] == "viewer"),
            ({"provisioning_enabled": True}, lambda s: s["provisioning"]["enabled"] is True),
        ]
        for body, check in cases:
            with self.subTest(body=list(body)):
                r = self.patch(c, body)
                self.assertEqual(r.status, 200, describe("PATCH", "security", ("bearer", self.tok), r, body))
                self.assertTrue(check(r.json()), f"PATCH answer does not show {body}: {r.json()}")
                self.assertTrue(check(self.settings(c)), f"support GET does not show {body}")

    def test_bad_fields_are_named(self):
        c = self.c
        before = self.snapshot(c)
        cases = [
            ({"default_workspace": "nope"}, "default_workspace", False),
            ({"default_permission_set": "nope"}, "default_permission_set", False),
            ({"idp_certificates": ["not a certificate"]}, "idp_certificates", True),
            ({"idp_sso_url": "javascript:alert(1)"}, "idp_sso_url", False),
            ({"idp_entity_id": ""}, "idp_entity_id", False),
            ({"provisioning_enabled": "yes"}, "provisioning_enabled", False),
            ({"idp_certificates": "not a list"}, "idp_certificates", True),
        ]
        for body, field, prefix in cases:
            with self.subTest(body=body):
                r = self.patch(c, body)
                self.assertInvalidField(r, field, describe("PATCH", f"/admin/companies/{c}/security", ("bearer", self.tok), r, body), prefix)
        with self.subTest(body="unknown field"):
            r = self.patch(c, {"display_name": "x"})
            self.assertJsonError(r, 400, "invalid_field", describe("PATCH", "security", ("bearer", self.tok), r, {"display_name": "x"}))
        self.assertEqual(self.snapshot(c), before, "a refused PATCH changed the settings")

    def test_malformed_metadata_xml(self):
        c = self.c
        before = self.snapshot(c)
        with open(os.path.join(FIXTURES, "metadata", "okta_exkppsa1qwuFV4D7z0h7_idp-metadata.xml"), encoding="utf-8") as f:
            okta = f.read()
        cases = {
            "not xml": "this is not XML",
            "truncated": okta[: len(okta) // 2],
            "doctype": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + okta.split("?>", 1)[-1],
            "no IDPSSODescriptor": f'<md:EntityDescriptor xmlns:md="{NS_MD}" entityID="https://sp.example.com"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>',
            "no signing certificate": f'<md:EntityDescriptor xmlns:md="{NS_MD}" entityID="https://idp.example.com"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="{REDIRECT}" Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>',
            "bad certificate": okta.replace("MIIDpDCCAoygAwIBAgIGAWW0dDUQ", "AAAA", 1),
            "empty": "",
        }
        for name, xml in cases.items():
            with self.subTest(case=name):
                r = self.patch(c, {"idp_metadata_xml": xml})
                self.assertInvalidField(r, "idp_metadata_xml", f"{name}: " + describe("PATCH", "security", ("bearer", self.tok), r, {"idp_metadata_xml": xml[:80]}))
        self.assertEqual(self.snapshot(c), before, "malformed metadata changed the settings")

    def test_real_idp_metadata_import(self):
        files = sorted(glob.glob(os.path.join(FIXTURES, "metadata", "*.xml")))
        self.assertEqual(len(files), 4, files)
        for path in files:
            name = os.path.basename(path)
            with self.subTest(metadata=name):
                exp = metadata_expectations(path)
                pem_file = fixture_cert_for(name)
                self.assertIsNotNone(pem_file, f"no cert paired with {name}")
                with open(pem_file, encoding="ascii") as f:
                    fixture_cert = pem_body(f.read())
                self.assertIn(fixture_cert, exp["certs"], "fixture sanity: metadata cert == certs/*.pem")
                c = self.new_company()
                _, tok = self.new_token(c)
                with open(path, encoding="utf-8") as f:
                    xml = f.read()
                r = call(W, "PATCH", f"/admin/companies/{c}/security", ("bearer", tok), {"idp_metadata_xml": xml})
                self.assertEqual(r.status, 200, describe("PATCH", f"/admin/companies/{c}/security", ("bearer", tok), r, {"idp_metadata_xml": name}))
                s = self.settings(c)
                self.assertEqual(s["saml"]["idp_entity_id"], exp["entity_id"])
                got = [pem_body(x) for x in s["saml"]["idp_certificates"]]
                self.assertIn(fixture_cert, got, f"{os.path.basename(pem_file)} not among the imported certificates")
                self.assertEqual(sorted(set(got)), sorted(exp["certs"]), "imported certificates != the metadata's signing certificates")
                self.assertNotIn(pem_body(IDP.cert_pem), got, "the previous certificate was kept")
                if exp["redirect"]:
                    self.assertEqual(s["saml"].get("idp_sso_url"), exp["redirect"], "HTTP-Redirect SSO URL")
                else:
                    # No HTTP-Redirect binding in this metadata: the old URL may stay or be cleared,
                    # but no other binding's URL (POST/SOAP) may become the redirect SSO URL.
                    self.assertIn(s["saml"].get("idp_sso_url"), (None, "", IDP.sso_url), "a non-Redirect SSO URL was taken")

    def test_metadata_url_of_fake_idp(self):
        c = self.new_company(saml={"idp_entity_id": "https://old.example.com", "idp_sso_url": "https://old.example.com/sso",
                                   "idp_certificates": [fake_idp.signer.TestIdP().cert_pem]})
        _, tok = self.new_token(c)
        body = {"idp_metadata_url": IDP.metadata_url}
        r = call(W, "PATCH", f"/admin/companies/{c}/security", ("bearer", tok), body)
        self.assertEqual(r.status, 200, describe("PATCH", "security", ("bearer", tok), r, body))
        s = self.settings(c)
        self.assertEqual(s["saml"]["idp_entity_id"], IDP.entity_id)
        self.assertEqual([pem_body(x) for x in s["saml"]["idp_certificates"]], [pem_body(IDP.cert_pem)])
        self.assertEqual(s["saml"].get("idp_sso_url"), IDP.sso_url)
        # and the imported trust works at the ACS
        r = W.post_acs(c, self.saml(c, JON))
        self.assertEqual(r.status, 303, f"sign-in after the metadata import: {r!r}")

    def test_metadata_url_not_found_or_redirected(self):
        # A redirect is not followed, even to the IdP's real metadata.
        for path in ("/no-such-metadata", "/metadata-moved"):
            with self.subTest(path=path):
                before = self.snapshot(self.c)
                body = {"idp_metadata_url": IDP.origin + path}
                r = self.patch(self.c, body)
                self.assertInvalidField(r, "idp_metadata_url", describe("PATCH", "security", ("bearer", self.tok), r, body))
                self.assertEqual(self.snapshot(self.c), before)


# =================================================================================================
# Pages without a browser: Security Settings, CSRF, login
# =================================================================================================


class PagesTest(Base):
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

    def test_security_page_requires_an_admin_session(self):
        a, b = self.new_company(), self.new_company()
        r = self.get_page(f"/admin/{a}/security", None)
        self.assertEqual(r.status, 303, f"no session: {r!r}")
        self.assertEqual(location_path(r), f"/login/{a}")
        r = self.get_page(f"/admin/{a}/security", "v1.garbage.garbage")
        self.assertEqual(r.status, 303, f"invalid session: {r!r}")
        self.assertEqual(location_path(r), f"/login/{a}")
        r = self.get_page(f"/admin/{a}/security", self.session(b))
        self.assertEqual(r.status, 403, f"admin of another company: {r!r}")
        self.html_page(r, "403")
        r = self.get_page(f"/admin/{a}/security", self.session(a, JON))
        self.assertEqual(r.status, 403, f"member: {r!r}")

    def test_security_page_content(self):
        c = self.new_company(provisioning={"enabled": False}, exception_domains=["decorumsoft.eu"])
        r = self.get_page(f"/admin/{c}/security", self.session(c), lang="en-US,en;q=0.9")
        self.assertEqual(r.status, 200, r)
        p = self.html_page(r, "security page")
        self.assertEqual(p.lang, "en")
        self.assertTrue(any("Security Settings" in h for h in p.headings), p.headings)
        self.assertTrue(any("SAML SSO" in h for h in p.headings), p.headings)
        cb = p.el("provisioning_enabled")
        self.assertIsNotNone(cb, "no #provisioning_enabled")
        self.assertEqual((cb["tag"], cb["attrs"].get("type"), cb["attrs"].get("name")), ("input", "checkbox", "provisioning_enabled"))
        self.assertNotIn("checked", cb["attrs"])
        self.assertNotIn("disabled", cb["attrs"], "checkbox disabled while provisioning is off")
        self.assertIn("Automatic user provisioning", p.label_for("provisioning_enabled") or cb.get("text", ""))
        self.assertEqual(p.el("default_workspace")["tag"], "select")
        self.assertEqual(p.el("default_workspace")["attrs"].get("name"), "default_workspace")
        self.assertEqual(sorted(p.option_values("default_workspace")), ["main", "ops"])
        self.assertEqual(p.el("default_permission_set")["attrs"].get("name"), "default_permission_set")
        self.assertLessEqual({"member", "viewer"}, set(p.option_values("default_permission_set")))
        save = p.el("save")
        self.assertEqual((save["tag"], save["attrs"].get("type")), ("button", "submit"))
        self.assertIn("Save changes", p.text_of("save"))
        self.assertEqual(p.text_of("sp_entity_id"), W.sp_entity_id(c))
        self.assertEqual(p.el("sp_entity_id")["tag"], "code")
        self.assertEqual(p.text_of("acs_url"), W.acs_url(c))
        self.assertEqual(p.el("metadata_url")["tag"], "a")
        self.assertEqual(urllib.parse.urljoin(W.public_origin + "/", p.el("metadata_url")["attrs"].get("href", "")),
                         W.sp_entity_id(c))
        self.assertIn("decorumsoft.eu", p.text_of("exception_domains"))
        prov = p.text_of("provisionable_domains")
        self.assertIn("decorumsoft.com", prov)
        self.assertIn("confirmed user", prov)
        self.assertIn("decorumsoft.eu", prov)
        self.assertIn("exception granted by Support", prov)
        self.assertEqual(p.el("lang-en")["attrs"].get("href"), "?lang=en")
        self.assertEqual(p.el("lang-fr")["attrs"].get("href"), "?lang=fr")
        self.assertIsNone(p.el("support_note"), "support note shown while provisioning is off")

    def test_security_page_in_french(self):
        c = self.new_company()
        cookie = self.session(c)
        for how, path, lang in [("Accept-Language", f"/admin/{c}/security", "fr-FR,fr;q=0.9,en;q=0.5"),
                                ("?lang=fr", f"/admin/{c}/security?lang=fr", "en-US")]:
            with self.subTest(how=how):
                r = self.get_page(path, cookie, lang=lang)
                self.assertEqual(r.status, 200, r)
                p = Html(r.text)
                self.assertEqual(p.lang, "fr")
                self.assertTrue(any("Paramètres de sécurité" in h for h in p.headings), p.headings)
                self.assertIn("Provisionnement automatique des utilisateurs", p.label_for("provisioning_enabled"))
                self.assertIn("Enregistrer les modifications", p.text_of("save"))
                self.assertIn("Support", p.text_of("support_note"))
        r = self.get_page(f"/admin/{c}/security?lang=en", cookie, lang="fr-FR")
        self.assertEqual(Html(r.text).lang, "en", "?lang=en should override Accept-Language fr")

    def test_form_post_applies_the_change(self):
        c = self.new_company(provisioning={"enabled": False})
        cookie = self.session(c)
        fields = {"csrf": self.csrf(c, cookie), "provisioning_enabled": "on", "default_workspace": "ops", "default_permission_set": "viewer"}
        r = self.post_page(f"/admin/{c}/security", cookie, fields)
        self.assertEqual(r.status, 303, f"POST /admin/{c}/security {fields} -> {r!r}")
        self.assertEqual(location_path(r), f"/admin/{c}/security")
        p = self.settings(c)["provisioning"]
        self.assertEqual((p["enabled"], p["default_workspace"], p["default_permission_set"]), (True, "ops", "viewer"))
        r = self.get_page(f"/admin/{c}/security", cookie)
        page = Html(r.text)
        self.assertIn("disabled", page.el("provisioning_enabled")["attrs"], "checkbox not disabled once provisioning is on")
        self.assertIn("checked", page.el("provisioning_enabled")["attrs"])
        self.assertIn("Support", page.text_of("support_note"))

    def test_form_post_without_valid_csrf_is_refused(self):
        a, b = self.new_company(provisioning={"enabled": False}), self.new_company()
        cookie = self.session(a)
        other_session_csrf = self.csrf(a, self.session(a))  # a token of another session of the same user
        before = self.snapshot(a)
        base = {"provisioning_enabled": "on", "default_workspace": "ops", "default_permission_set": "viewer"}
        for name, extra in [("missing", {}), ("empty", {"csrf": ""}), ("garbage", {"csrf": "AAAA"}),
                            ("other session's", {"csrf": other_session_csrf}),
                            ("other company's admin's", {"csrf": self.csrf(b, self.session(b))})]:
            with self.subTest(csrf=name):
                r = self.post_page(f"/admin/{a}/security", cookie, {**extra, **base})
                self.assertEqual(r.status, 403, f"csrf {name}: {r!r}")
                self.html_page(r, "csrf 403")
                self.assertIn("csrf_invalid", r.text)
        self.assertEqual(self.snapshot(a), before, "a CSRF-less post changed the settings")
        r = self.post_page(f"/admin/{a}/security", None, {"csrf": "x", **base})
        self.assertIn(r.status, (303, 401, 403), f"no session: {r!r}")
        self.assertEqual(self.snapshot(a), before)

    def test_form_post_cannot_turn_provisioning_off(self):
        c = self.new_company()
        cookie = self.session(c)
        before = self.snapshot(c)
        fields = {"csrf": self.csrf(c, cookie), "default_workspace": "main", "default_permission_set": "member"}
        r = self.post_page(f"/admin/{c}/security", cookie, fields)
        self.assertEqual(r.status, 403, f"turning provisioning off by the form: {r!r}")
        self.html_page(r, "support_only page")
        self.assertIn("support_only", r.text)
        self.assertIn("Support", r.text)
        self.assertEqual(self.snapshot(c), before)

    def test_form_post_on_another_company_is_refused(self):
        a, b = self.new_company(provisioning={"enabled": False}), self.new_company(provisioning={"enabled": False})
        cookie_b = self.session(b)
        before = self.snapshot(a)
        fields = {"csrf": self.csrf(b, cookie_b), "provisioning_enabled": "on", "default_workspace": "ops", "default_permission_set": "viewer"}
        r = self.post_page(f"/admin/{a}/security", cookie_b, fields)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.snapshot(a), before)

    def test_login_page_offers_sso_only_to_returning_users(self):
        c = self.new_company()
        self.add_user(c, NEVER)
        self.session(c, JON)  # JON has signed in with SAML: last_login_at set
        r = self.get_page(f"/login/{c}", None)
        self.assertEqual(r.status, 200, r)
        p = self.html_page(r, "login page")
        self.assertEqual((p.el("email") or {}).get("attrs", {}).get("name"), "email", "no <input id=email name=email>")
        self.assertIsNotNone(p.el("continue"), "no #continue")
        self.assertIsNone(p.el("sso"))
        method, action, _ = p.form_request(p.form_of("email"), "continue")
        self.assertEqual((method, urllib.parse.urlsplit(action).path or f"/login/{c}"), ("post", f"/login/{c}"))
        for email, expect in [(JON, True), (JON.upper(), True), (NEVER, False), ("nobody@decorumsoft.com", False), (JANE, False)]:
            with self.subTest(email=email):
                r = self.post_page(f"/login/{c}", None, {"email": email})
                self.assertEqual(r.status, 200, f"POST /login/{c} email={email}: {r!r}")
                p = Html(r.text)
                if not expect:
                    self.assertIsNone(p.el("sso"), f"#sso offered to {email}")
                    self.assertTrue(p.text.strip())
                    continue
                sso = p.el("sso")
                self.assertIsNotNone(sso, f"no #sso for {email}: {r.text[:1500]}")
                self.assertIn("Sign in with SAML SSO", p.text_of("sso"))
                # A link, not a form: CSP form-action 'self' would block a form's redirect to the IdP.
                href = sso["attrs"].get("href", "")
                u = urllib.parse.urlsplit(urllib.parse.urljoin(W.public_origin + f"/login/{c}", href))
                self.assertEqual(sso["tag"], "a")
                self.assertEqual(u.path, f"/saml/{c}/login")
                sent = dict(urllib.parse.parse_qsl(u.query))
                self.assertEqual(sent.get("email", "").lower(), JON)
        r = self.post_page(f"/login/{c}?lang=fr", None, {"email": JON})
        p = Html(r.text)
        self.assertEqual(p.lang, "fr")
        self.assertIn("Se connecter avec SAML SSO", p.text_of("sso"))


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
