"""Integration tests of the worker under `wrangler dev`: ACS, JIT provisioning, support API.

Every test makes its own company (`t-<random>`) through the support API, configured with the test
IdP's certificate, and (unless it says otherwise) a confirmed user jon.smith@decorumsoft.com.
Responses are signed at test time by xmlsec1 (signer.py). Run through run.py, or
`python3 -m unittest tests/integration/test_acs.py` from the repo root.
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import random
import secrets
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import signer  # noqa: E402

DASHBOARD = "https://dashboard.example.com/decorumsoft"
DASHBOARD_ORIGIN = "https://dashboard.example.com"
JON = "jon.smith@decorumsoft.com"
JANE = "jane.smith@decorumsoft.com"
COOKIE = "saml_jit_session"
SESSION_MAX_AGE = 28800

# Codes a signature-wrapping attempt may be refused with (all 403, all before any identity is read).
XSW_CODES = {"multiple_assertions", "signature_misplaced", "signature_missing", "reference_invalid",
             "digest_mismatch", "signature_invalid", "duplicate_id", "assertion_missing"}

W: harness.Worker | None = None
IDP: signer.TestIdP | None = None


def setUpModule():
    global W, IDP
    IDP = signer.TestIdP()
    W = harness.get_worker()


def settings_doc(**over) -> dict:
    doc = {
        "version": 1,
        "display_name": "Decorumsoft",
        "dashboard_url": DASHBOARD,
        "saml": {"idp_entity_id": IDP.entity_id, "idp_certificates": [IDP.cert_pem], "allow_sha1": False},
        "provisioning": {"enabled": True, "default_workspace": "main", "default_permission_set": "member"},
        "exception_domains": [],
        "workspaces": [{"id": "main", "name": "Main"}],
        "permission_sets": [{"id": "member", "name": "Member"}, {"id": "admin", "name": "Admin", "admin": True}],
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {**doc[k], **v}
        else:
            doc[k] = v
    return doc


class Base(unittest.TestCase):
    maxDiff = 4000

    # -- companies and users -------------------------------------------------------------------

    def new_company(self, seed_jon: bool = True, **over) -> str:
        company = "t-" + secrets.token_hex(6)
        self.put_settings(company, settings_doc(**over))
        if seed_jon:
            self.add_user(company, JON, confirmed=True, impersonation=False)
        return company

    def put_settings(self, company: str, doc: dict) -> dict:
        r = W.support("PUT", f"/admin/companies/{company}", doc)
        self.assertEqual(r.status, 200, f"PUT settings: {r!r}")
        return r.json()

    def add_user(self, company: str, email: str, confirmed: bool = True, impersonation: bool = False, **extra):
        body = {"email": email, "confirmed": confirmed, "impersonation": impersonation, **extra}
        r = W.support("POST", f"/admin/companies/{company}/users", body)
        self.assertEqual(r.status, 201, f"POST user: {r!r}")
        return r

    def user(self, company: str, email: str) -> dict | None:
        r = W.support("GET", f"/admin/companies/{company}/users/{email}")
        if r.status == 404:
            return None
        self.assertEqual(r.status, 200, f"GET user: {r!r}")
        return r.json()

    def users(self, company: str) -> list[dict]:
        r = W.support("GET", f"/admin/companies/{company}/users")
        self.assertEqual(r.status, 200, f"GET users: {r!r}")
        return r.json()["users"]

    def emails(self, company: str) -> list[str]:
        return sorted(u["email"] for u in self.users(company))

    def audit(self, company: str, event: str | None = None) -> list[dict]:
        r = W.support("GET", f"/admin/companies/{company}/audit")
        self.assertEqual(r.status, 200, f"GET audit: {r!r}")
        entries = r.json()["entries"]
        return [e for e in entries if event is None or e.get("event") == event]

    # -- responses -----------------------------------------------------------------------------

    def saml(self, company: str, email: str | None = JANE, **kw) -> bytes:
        return IDP.response(email, sp_entity_id=W.sp_entity_id(company), acs_url=W.acs_url(company), **kw)

    def assertRedirect(self, r, location: str | None = DASHBOARD):
        self.assertEqual(r.status, 303, f"expected 303, got {r!r}")
        if location is not None:
            self.assertEqual(r.headers.get("Location"), location)

    def assertRefused(self, r, status: int, code, html: bool = False) -> dict | None:
        """A refusal with `status` and (JSON) error `code` (a string or a set of allowed codes)."""
        self.assertEqual(r.status, status, f"expected {status} {code}, got {r!r}")
        ctype = (r.headers.get("Content-Type") or "").lower()
        if html:
            self.assertTrue(ctype.startswith("text/html"), f"Content-Type {ctype!r}")
            return None
        self.assertTrue(ctype.startswith("application/json"), f"Content-Type {ctype!r}: {r!r}")
        body = r.json()
        codes = {code} if isinstance(code, str) else set(code)
        self.assertIn(body.get("error"), codes, f"body {body}")
        self.assertIsInstance(body.get("reference"), str)
        self.assertTrue(body["reference"], "empty reference")
        self.assertIsNone(r.headers.get("Set-Cookie"), "a refusal set a cookie")
        return body


# =================================================================================================
# Provisioning and sign-in
# =================================================================================================


class ProvisioningTest(Base):
    def test_provisions_new_user_with_defaults(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        r = W.post_acs(c, xml)
        self.assertRedirect(r)
        u = self.user(c, JANE)
        self.assertIsNotNone(u, "jane was not created")
        self.assertEqual(u["company"], c)
        self.assertEqual(u["email"], JANE)
        self.assertEqual(u["workspace"], "main")
        self.assertEqual(u["permission_set"], "member")
        self.assertIs(u["confirmed"], True)
        self.assertIs(u["impersonation"], False)
        self.assertEqual(u["created_via"], "jit")
        self.assertTrue(u["created_at"])
        self.assertEqual(self.emails(c), sorted([JON, JANE]))
        prov = self.audit(c, "provisioned")
        self.assertEqual(len(prov), 1, prov)
        self.assertEqual(prov[0]["email"], JANE)
        self.assertEqual(prov[0]["assertion_id"], signer.assertion_id_of(xml))
        self.assertTrue(prov[0]["at"])
        self.assertEqual(self.audit(c, "refused"), [])

    def test_existing_user_signs_in(self):
        c = self.new_company()
        before = self.user(c, JON)
        self.assertEqual(before["created_via"], "admin")
        self.assertFalse(before.get("last_login_at"), "last_login_at set before any sign-in")
        r = W.post_acs(c, self.saml(c, JON))
        self.assertRedirect(r)
        after = self.user(c, JON)
        self.assertTrue(after["last_login_at"], "last_login_at not set")
        self.assertEqual(after["created_via"], "admin")
        self.assertEqual(after["created_at"], before["created_at"])
        self.assertEqual(self.emails(c), [JON])
        self.assertEqual(self.audit(c, "provisioned"), [])
        signed_in = self.audit(c, "signed_in")
        self.assertEqual(len(signed_in), 1, signed_in)
        self.assertEqual(signed_in[0]["email"], JON)

    def test_other_tld_is_not_allowed(self):
        c = self.new_company()
        r = W.post_acs(c, self.saml(c, "jane.smith@decorumsoft.eu"), accept_json=True)
        self.assertRefused(r, 403, "domain_not_allowed")
        self.assertIsNone(self.user(c, "jane.smith@decorumsoft.eu"))
        self.assertEqual(self.emails(c), [JON])
        refused = self.audit(c, "refused")
        self.assertEqual([e["reason"] for e in refused], ["domain_not_allowed"])

    def test_subdomain_is_not_the_domain(self):
        c = self.new_company()
        r = W.post_acs(c, self.saml(c, "jane@eu.decorumsoft.com"), accept_json=True)
        self.assertRefused(r, 403, "domain_not_allowed")
        self.assertEqual(self.emails(c), [JON])

    def test_exception_domain_is_provisioned(self):
        c = self.new_company()
        stored = self.put_settings(c, settings_doc(exception_domains=["decorumsoft.eu"]))
        self.assertEqual(stored["exception_domains"], ["decorumsoft.eu"])
        r = W.post_acs(c, self.saml(c, "jane.smith@decorumsoft.eu"))
        self.assertRedirect(r)
        u = self.user(c, "jane.smith@decorumsoft.eu")
        self.assertIsNotNone(u)
        self.assertEqual((u["workspace"], u["permission_set"], u["created_via"]), ("main", "member", "jit"))

    def test_provisioning_disabled(self):
        c = self.new_company(provisioning={"enabled": False})
        r = W.post_acs(c, self.saml(c, JANE), accept_json=True)
        self.assertRefused(r, 403, "provisioning_disabled")
        self.assertIsNone(self.user(c, JANE))
        r = W.post_acs(c, self.saml(c, JON))
        self.assertRedirect(r)
        self.assertTrue(self.user(c, JON)["last_login_at"])
        self.assertEqual(self.emails(c), [JON])

    def test_domain_with_only_unconfirmed_user(self):
        c = self.new_company(seed_jon=False)
        self.add_user(c, "ann@decorumsoft.com", confirmed=False, impersonation=False)
        r = W.post_acs(c, self.saml(c, JANE), accept_json=True)
        self.assertRefused(r, 403, "domain_not_allowed")
        self.assertEqual(self.emails(c), ["ann@decorumsoft.com"])

    def test_domain_with_only_impersonation_user(self):
        c = self.new_company(seed_jon=False)
        self.add_user(c, "support@decorumsoft.com", confirmed=True, impersonation=True)
        r = W.post_acs(c, self.saml(c, JANE), accept_json=True)
        self.assertRefused(r, 403, "domain_not_allowed")
        self.assertEqual(self.emails(c), ["support@decorumsoft.com"])

    def test_in_response_to_never_provisions(self):
        c = self.new_company()
        r = W.post_acs(c, self.saml(c, JANE, in_response_to="_sp_request_1"), accept_json=True)
        self.assertRefused(r, 403, "in_response_to_mismatch")
        self.assertIsNone(self.user(c, JANE))
        # This SP sends no AuthnRequest: an answer to one is refused even for an existing user.
        r = W.post_acs(c, self.saml(c, JON, in_response_to="_sp_request_2"), accept_json=True)
        self.assertRefused(r, 403, "in_response_to_mismatch")
        self.assertFalse(self.user(c, JON).get("last_login_at"))
        self.assertEqual(self.emails(c), [JON])

    def test_email_only_in_attribute(self):
        c = self.new_company()
        xml = self.saml(c, JANE, name_id="00u" + secrets.token_hex(8), name_id_format=signer.FORMAT_PERSISTENT)
        self.assertRedirect(W.post_acs(c, xml))
        self.assertEqual(self.user(c, JANE)["created_via"], "jit")

    def test_no_email_at_all(self):
        c = self.new_company()
        xml = self.saml(c, None, name_id="00u" + secrets.token_hex(8), name_id_format=signer.FORMAT_PERSISTENT)
        self.assertRefused(W.post_acs(c, xml, accept_json=True), 403, "email_missing")
        self.assertEqual(self.emails(c), [JON])

    def test_response_signed_and_both_signed(self):
        c = self.new_company()
        self.assertRedirect(W.post_acs(c, self.saml(c, "a.response@decorumsoft.com", sign="response")))
        self.assertRedirect(W.post_acs(c, self.saml(c, "b.both@decorumsoft.com", sign="both")))
        self.assertEqual(self.emails(c), sorted([JON, "a.response@decorumsoft.com", "b.both@decorumsoft.com"]))


class ReplayTest(Base):
    def test_same_response_twice(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        self.assertRedirect(W.post_acs(c, xml))
        r = W.post_acs(c, xml, accept_json=True)
        self.assertRefused(r, 403, "assertion_replayed")
        self.assertEqual(self.emails(c), sorted([JON, JANE]))
        self.assertEqual(len(self.audit(c, "provisioned")), 1)
        self.assertEqual([e["reason"] for e in self.audit(c, "refused")], ["assertion_replayed"])

    def test_same_assertion_id_in_a_new_response(self):
        c = self.new_company()
        aid = signer.new_id()
        self.assertRedirect(W.post_acs(c, self.saml(c, JON, assertion_id=aid)))
        r = W.post_acs(c, self.saml(c, JON, assertion_id=aid, sign="both"), accept_json=True)
        self.assertRefused(r, 403, "assertion_replayed")


class RedirectAndSessionTest(Base):
    def test_relay_state(self):
        c = self.new_company()
        cases = [
            (None, DASHBOARD),
            ("", DASHBOARD),
            ("https://evil.example/", DASHBOARD),
            ("//evil.example", DASHBOARD),
            ("//evil.example/decorumsoft", DASHBOARD),
            ("https://dashboard.example.com.evil.example/decorumsoft", DASHBOARD),
            ("javascript:alert(1)", DASHBOARD),
            ("/reports", DASHBOARD_ORIGIN + "/reports"),
            (DASHBOARD + "/settings", DASHBOARD + "/settings"),
        ]
        for relay, want in cases:
            with self.subTest(relay_state=relay):
                r = W.post_acs(c, self.saml(c, JON), relay_state=relay)
                self.assertRedirect(r, want)

    def test_session_cookie(self):
        c = self.new_company()
        t0 = int(time.time())
        r = W.post_acs(c, self.saml(c, JANE))
        self.assertRedirect(r)
        cookies = [v for v in (r.headers.get_all("Set-Cookie") or []) if v.startswith(COOKIE + "=")]
        self.assertEqual(len(cookies), 1, r.headers.get_all("Set-Cookie"))
        parts = [p.strip() for p in cookies[0].split(";")]
        value = parts[0][len(COOKIE) + 1:]
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip()
        self.assertEqual(attrs.get("path"), "/")
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite", "").lower(), "lax")
        self.assertEqual(attrs.get("max-age"), str(SESSION_MAX_AGE))
        if W.loopback:
            self.assertNotIn("secure", attrs, "Secure on a loopback origin")
        else:
            self.assertIn("secure", attrs)
        # v1.<payload>.<mac>
        pieces = value.split(".")
        self.assertEqual(len(pieces), 3, value)
        self.assertEqual(pieces[0], "v1")
        payload = json.loads(base64.urlsafe_b64decode(pieces[1] + "=" * (-len(pieces[1]) % 4)))
        self.assertEqual(payload["company"], c)
        self.assertEqual(payload["email"], JANE)
        self.assertEqual(payload["exp"] - payload["iat"], SESSION_MAX_AGE)
        self.assertLess(abs(payload["iat"] - t0), 300)
        if W.session_secret:
            mac = hmac.new(W.session_secret.encode(), f"v1.{pieces[1]}".encode(), hashlib.sha256).digest()
            self.assertEqual(pieces[2], base64.urlsafe_b64encode(mac).rstrip(b"=").decode(), "cookie MAC")


class ErrorBodyTest(Base):
    def test_json_and_html(self):
        c = self.new_company()
        xml = self.saml(c, "jane.smith@decorumsoft.eu")
        r = W.post_acs(c, xml, accept_json=True)
        body = self.assertRefused(r, 403, "domain_not_allowed")
        self.assertLessEqual({"error", "reference"}, set(body), body)
        refused = self.audit(c, "refused")
        self.assertEqual(len(refused), 1, refused)
        self.assertEqual(refused[0]["reference"], body["reference"])
        self.assertEqual(refused[0]["reason"], "domain_not_allowed")
        # The browser default: an HTML page, same status.
        r = W.post_acs(c, self.saml(c, "joe@decorumsoft.eu"))
        self.assertRefused(r, 403, None, html=True)
        self.assertIn(b"<", r.body)
        with self.assertRaises(ValueError):
            json.loads(r.body)
        self.assertIsNone(r.headers.get("Set-Cookie"))


# =================================================================================================
# Hostile and invalid responses
# =================================================================================================


class SecurityTest(Base):
    def refused_without_user(self, c: str, xml: bytes, code, status: int = 403):
        before = self.emails(c)
        r = W.post_acs(c, xml, accept_json=True)
        body = self.assertRefused(r, status, code)
        self.assertEqual(self.emails(c), before, "a refusal wrote a user")
        self.assertEqual(self.audit(c, "provisioned"), [])
        return body

    def test_signature_wrapping(self):
        c = self.new_company()
        evil = "evil.admin@decorumsoft.com"
        cases = {
            "assertion moved to Extensions": signer.xsw_extensions(self.saml(c, JANE), evil),
            "both signed, assertion moved to Extensions": signer.xsw_extensions(self.saml(c, JANE, sign="both"), evil),
            "evil assertion before the signed one": signer.xsw_sibling(self.saml(c, JANE), evil, evil_first=True),
            "evil assertion after the signed one": signer.xsw_sibling(self.saml(c, JANE), evil, evil_first=False),
            "signed Response wrapped in an evil one": signer.xsw_response_wrap(self.saml(c, JANE, sign="response"), evil),
        }
        for name, xml in cases.items():
            with self.subTest(name):
                self.refused_without_user(c, xml, XSW_CODES)
        self.assertIsNone(self.user(c, evil))
        self.assertIsNone(self.user(c, JANE))

    def test_comment_injection_after_signing(self):
        c = self.new_company()
        # The IdP signed jon.smith@decorumsoft.com.evil.io; a comment is slipped in after signing.
        # The signature still verifies (c14n drops comments); the identity is the whole text.
        lookalike = "jon.smith@decorumsoft.com.evil.io"
        xml = signer.inject_comment(self.saml(c, lookalike), lookalike, JON)
        self.assertIn(b"jon.smith@decorumsoft.com<!---->.evil.io", xml)
        self.refused_without_user(c, xml, "domain_not_allowed")
        self.assertFalse(self.user(c, JON).get("last_login_at"), "jon signed in through a comment")
        refused = self.audit(c, "refused")
        self.assertEqual([e["email"] for e in refused if e["reason"] == "domain_not_allowed"], [lookalike], refused)
        self.assertEqual(self.audit(c, "signed_in"), [])
        # Appending after signing changes the signed text: the digest no longer matches.
        xml = signer.replace_text(self.saml(c, JON), f">{JON}<", f">{JON}<!---->.evil.io<")
        self.refused_without_user(c, xml, "digest_mismatch")
        self.assertFalse(self.user(c, JON).get("last_login_at"))

    def test_attacker_key(self):
        c = self.new_company()
        self.refused_without_user(c, self.saml(c, JANE, attacker=True), "untrusted_key")
        self.refused_without_user(c, self.saml(c, JANE, attacker=True, sign="both"), "untrusted_key")
        # An attacker's signature that names the real IdP certificate in KeyInfo.
        forged = signer.swap_keyinfo_certificate(self.saml(c, JANE, attacker=True), IDP.cert_pem)
        self.refused_without_user(c, forged, "signature_invalid")
        # Signed content altered after signing.
        tampered = signer.replace_text(self.saml(c, JON), f">{JON}<", ">evil.admin@decorumsoft.com<")
        self.refused_without_user(c, tampered, "digest_mismatch")

    def test_unsigned(self):
        c = self.new_company()
        self.refused_without_user(c, self.saml(c, JANE, sign="none"), "signature_missing")

    def test_conditions(self):
        c = self.new_company()
        other = "http://127.0.0.1:1/saml/other"
        cases = [
            ("audience", dict(audience=other + "/metadata"), "audience_mismatch"),
            ("recipient", dict(recipient=other + "/acs"), "recipient_mismatch"),
            ("destination", dict(destination=other + "/acs"), "destination_mismatch"),
            ("issuer", dict(issuer="https://evil-idp.example/metadata"), "issuer_mismatch"),
            ("assertion issuer", dict(assertion_issuer="https://evil-idp.example/metadata"), "issuer_mismatch"),
            ("expired", dict(expired=True), "expired"),
            ("not yet valid", dict(not_yet_valid=True), "not_yet_valid"),
            ("status", dict(status=signer.STATUS_REQUESTER), "status_not_success"),
        ]
        for name, kw, code in cases:
            for who in (JANE, JON):
                with self.subTest(name, email=who):
                    self.refused_without_user(c, self.saml(c, who, **kw), code)
        self.assertFalse(self.user(c, JON).get("last_login_at"))

    def test_response_for_another_company(self):
        a = self.new_company()
        b = self.new_company()
        xml = self.saml(a, JANE)  # audience, recipient and destination of company a
        self.refused_without_user(b, xml, {"audience_mismatch", "destination_mismatch", "recipient_mismatch"})
        self.assertIsNone(self.user(a, JANE))


class MalformedInputTest(Base):
    def refused(self, c, r, status, code):
        self.assertRefused(r, status, code)
        self.assertEqual(self.emails(c), [JON], "a refusal wrote a user")

    def test_empty_saml_response(self):
        c = self.new_company()
        # An empty value is as good as no value: either code is a faithful reading of the contract.
        self.refused(c, W.post_acs(c, None, saml_value="", accept_json=True), 400, {"input_empty", "form_field_missing"})

    def test_missing_field(self):
        c = self.new_company()
        self.refused(c, W.post_acs(c, None, relay_state="/reports", accept_json=True), 400, "form_field_missing")
        r = W.post_form(harness.acs_path(c), b"", accept_json=True)
        self.refused(c, r, 400, "form_field_missing")

    def test_duplicate_field(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        b64 = base64.b64encode(xml).decode()
        r = W.post_acs(c, xml, extra_fields=[("SAMLResponse", b64)], accept_json=True)
        self.refused(c, r, 400, "form_field_duplicate")
        other = base64.b64encode(self.saml(c, "mallory@decorumsoft.com")).decode()
        r = W.post_acs(c, xml, extra_fields=[("SAMLResponse", other)], accept_json=True)
        self.refused(c, r, 400, "form_field_duplicate")
        # Refused as a form, before verification: the assertion was not used up.
        self.assertRedirect(W.post_acs(c, xml))

    def test_wrong_content_type(self):
        c = self.new_company()
        body = f"SAMLResponse={base64.b64encode(self.saml(c, JANE)).decode()}".encode()
        for ctype in ("text/plain", "application/json"):
            with self.subTest(ctype):
                r = W.post_form(harness.acs_path(c), body, content_type=ctype, accept_json=True)
                self.refused(c, r, 415, "content_type_unsupported")

    def test_non_utf8(self):
        c = self.new_company()
        xml = self.saml(c, JANE).replace(b"jane.smith@", b"j\xe9ne.smith@")
        self.refused(c, W.post_acs(c, xml, accept_json=True), 400, "xml_malformed")
        r = W.post_form(harness.acs_path(c), b"SAMLResponse=%FF%FE%FD%80", accept_json=True)
        self.assertIn(r.status, (400,), repr(r))
        self.assertEqual(self.emails(c), [JON])

    def test_garbage_base64(self):
        c = self.new_company()
        r = W.post_acs(c, None, saml_value="!!!not base64***", accept_json=True)
        self.refused(c, r, 400, "base64_invalid")

    def test_body_over_2_mib(self):
        c = self.new_company()
        body = b"SAMLResponse=" + b"A" * (2 * 1024 * 1024 + 1024)
        r = W.post_form(harness.acs_path(c), body, accept_json=True)
        self.refused(c, r, 413, "body_too_large")

    def test_decoded_response_over_1_mib(self):
        c = self.new_company()
        xml = self.saml(c, JANE).replace(b"</samlp:Response>", b"<!--" + b"x" * (1100 * 1024) + b"--></samlp:Response>")
        r = W.post_acs(c, xml, accept_json=True)
        self.refused(c, r, 413, {"input_too_large", "body_too_large"})

    def test_doctype(self):
        c = self.new_company()
        self.refused(c, W.post_acs(c, signer.with_doctype(self.saml(c, JANE)), accept_json=True), 400, "doctype_forbidden")

    def test_not_xml(self):
        c = self.new_company()
        r = W.post_acs(c, b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'>", accept_json=True)
        self.refused(c, r, 400, "xml_malformed")

    def test_unknown_company(self):
        c = "t-unknown-" + secrets.token_hex(6)
        r = W.post_acs(c, self.saml(c, JANE), accept_json=True)
        self.assertRefused(r, 404, "company_unknown")
        r = W.post_acs(c, self.saml(c, JANE))
        self.assertRefused(r, 404, None, html=True)


# =================================================================================================
# Support API and metadata
# =================================================================================================


class SupportApiTest(Base):
    def test_requires_token(self):
        c = "t-" + secrets.token_hex(6)
        for token in (None, "wrong-token", ""):
            with self.subTest(token=token):
                hdrs = {"Authorization": "Bearer "} if token == "" else None
                r = W.support("GET", f"/admin/companies/{c}", token=None if token == "" else token, headers=hdrs)
                self.assertEqual(r.status, 401, repr(r))
                r = W.support("PUT", f"/admin/companies/{c}", settings_doc(), token=None if token == "" else token, headers=hdrs)
                self.assertEqual(r.status, 401, repr(r))
        self.assertEqual(W.support("GET", f"/admin/companies/{c}").status, 404, "an unauthorized PUT stored settings")
        r = W.request("GET", f"/admin/companies/{c}/users", headers={"Authorization": "Basic dGVzdDp0ZXN0"})
        self.assertEqual(r.status, 401)

    def test_put_and_get_company(self):
        c = self.new_company()
        doc = settings_doc()
        stored = self.put_settings(c, doc)
        for k in ("version", "display_name", "dashboard_url", "provisioning", "workspaces", "exception_domains"):
            self.assertEqual(stored[k], doc[k], k)
        r = W.support("GET", f"/admin/companies/{c}")
        self.assertEqual(r.status, 200, repr(r))
        got = r.json()
        self.assertEqual(got["dashboard_url"], DASHBOARD)
        self.assertEqual(got["saml"]["idp_entity_id"], IDP.entity_id)
        self.assertEqual(got["sp_entity_id"], W.sp_entity_id(c))
        self.assertEqual(got["acs_url"], W.acs_url(c))
        self.assertEqual(got["metadata_url"], f"{W.public_origin}/saml/{c}/metadata")
        self.assertIsInstance(got["provisionable_domains"], list)

    def test_bad_documents_name_the_field(self):
        c = self.new_company()
        cases = [
            ("provisioning.default_workspace", settings_doc(provisioning={"default_workspace": "nope"})),
            ("provisioning.default_permission_set", settings_doc(provisioning={"default_permission_set": "nope"})),
            ("dashboard_url", settings_doc(dashboard_url="not a url")),
            ("version", settings_doc(version=2)),
        ]
        for field, doc in cases:
            with self.subTest(field):
                r = W.support("PUT", f"/admin/companies/{c}", doc)
                self.assertEqual(r.status, 400, repr(r))
                body = r.json()
                self.assertEqual(body.get("error"), "invalid_field", body)
                self.assertEqual(body.get("field"), field, body)
                self.assertIsInstance(body.get("message"), str)
        r = W.support("PUT", f"/admin/companies/{c}", settings_doc(saml={"idp_certificates": ["not a certificate"]}))
        self.assertEqual(r.status, 400, repr(r))
        self.assertTrue(r.json().get("field", "").startswith("saml.idp_certificates"), r.json())
        # The refused documents changed nothing: provisioning still works with the old one.
        self.assertEqual(W.support("GET", f"/admin/companies/{c}").json()["provisioning"]["default_workspace"], "main")
        self.assertRedirect(W.post_acs(c, self.saml(c, JANE)))

    def test_users_api(self):
        c = self.new_company()
        r = W.support("GET", f"/admin/companies/{c}/users/nobody@decorumsoft.com")
        self.assertEqual(r.status, 404, repr(r))
        r = W.support("POST", f"/admin/companies/{c}/users", {"email": JON, "confirmed": True, "impersonation": False})
        self.assertEqual(r.status, 409, repr(r))
        self.add_user(c, "pat@decorumsoft.com", confirmed=False, impersonation=False, workspace="main", permission_set="admin")
        u = self.user(c, "pat@decorumsoft.com")
        for k, v in {"company": c, "email": "pat@decorumsoft.com", "workspace": "main", "permission_set": "admin",
                     "confirmed": False, "impersonation": False, "created_via": "admin"}.items():
            self.assertEqual(u[k], v, k)
        self.assertIn("last_login_at", u)
        self.assertTrue(u["created_at"])
        self.assertEqual(self.emails(c), sorted([JON, "pat@decorumsoft.com"]))


class MetadataTest(Base):
    def test_metadata(self):
        c = self.new_company()
        r = W.request("GET", f"/saml/{c}/metadata")
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn("xml", (r.headers.get("Content-Type") or "").lower())
        md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, md + "EntityDescriptor")
        self.assertEqual(root.get("entityID"), W.sp_entity_id(c))
        sp = root.find(md + "SPSSODescriptor")
        self.assertIsNotNone(sp)
        acs = sp.findall(md + "AssertionConsumerService")
        self.assertTrue(any(a.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
                            and a.get("Location") == W.acs_url(c) for a in acs), [a.attrib for a in acs])
        formats = [(f.text or "").strip() for f in sp.findall(md + "NameIDFormat")]
        self.assertIn(signer.FORMAT_EMAIL, formats)

    def test_healthz(self):
        r = W.request("GET", "/healthz")
        self.assertEqual((r.status, r.body.strip()), (200, b"ok"))


# =================================================================================================
# Concurrency
# =================================================================================================


class ConcurrencyTest(Base):
    def test_same_response_20_times(self):
        c = self.new_company()
        xml = self.saml(c, JANE)
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(lambda _: W.post_acs(c, xml, accept_json=True), range(20)))
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses.count(303), 1, statuses)
        self.assertEqual(statuses.count(403), 19, statuses)
        for r in results:
            if r.status == 403:
                self.assertEqual(r.json()["error"], "assertion_replayed", r)
        self.assertEqual(self.emails(c), sorted([JON, JANE]))
        self.assertEqual(len(self.audit(c, "provisioned")), 1)

    def test_20_new_users_twice_each(self):
        c = self.new_company()
        emails = [f"user{i:02d}.{secrets.token_hex(3)}@decorumsoft.com" for i in range(20)]
        jobs = [(e, self.saml(c, e)) for e in emails for _ in range(2)]
        random.shuffle(jobs)
        with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(lambda job: (job[0], W.post_acs(c, job[1], accept_json=True)), jobs))
        statuses = [r.status for _, r in results]
        self.assertFalse([s for s in statuses if s >= 500], statuses)
        bad = [(e, r) for e, r in results if r.status != 303]
        self.assertEqual(bad, [], f"{len(bad)} of 40 not 303")
        self.assertEqual(self.emails(c), sorted([JON] + emails))
        prov = self.audit(c, "provisioned")
        self.assertEqual(len(prov), 20, prov)
        self.assertEqual(sorted(e["email"] for e in prov), sorted(emails))
        self.assertEqual(len(self.audit(c, "signed_in")), 20)
        for e in emails:
            self.assertEqual(self.user(c, e)["created_via"], "jit")


if __name__ == "__main__":
    unittest.main()
