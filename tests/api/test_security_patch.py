"""PATCH /admin/companies/{c}/security: each field, the support-only rules, IdP metadata import (pasted, fetched, the real metadata documents).

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
import fake_idp  # noqa: E402
from base import Base, NS_MD, NS_DS, REDIRECT  # noqa: E402
from common import FIXTURES, JON, call, describe, pem_body  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: fake_idp.FakeIdP | None = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


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
