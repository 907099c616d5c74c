"""An encrypted assertion end to end on `wrangler dev`: signed by xmlsec1, then encrypted to the
SP's key by `xmlsec1 --encrypt` (AES-256-GCM content key wrapped with RSA-OAEP), posted to the
ACS of a company whose SP key is in the `SP_KEYS` secret the harness passes (keys/sp.key, a
test-only key); the SP metadata publishes the matching encryption certificate.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import signer  # noqa: E402

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
COMPANY = harness.ENCRYPTED_COMPANY
JON, JANE = "jon.smith@decorumsoft.com", "jane.smith@decorumsoft.com"
ASSERTION_XP = ("(//*[local-name()='EncryptedAssertion']/*[local-name()='Assertion'"
                " and namespace-uri()='urn:oasis:names:tc:SAML:2.0:assertion'])[1]")
W: harness.Worker | None = None
IDP: signer.TestIdP | None = None


def setUpModule():
    global W, IDP
    IDP = signer.TestIdP()
    W = harness.get_worker()


def encrypt(xml: bytes, cipher: str = XENC11 + "aes256-gcm") -> bytes:
    """Wrap the Assertion in saml:EncryptedAssertion and let xmlsec1 encrypt it to the SP key."""
    s = xml.decode()
    i, j = s.index("<saml:Assertion"), s.index("</saml:Assertion>") + len("</saml:Assertion>")
    wrapped = s[:i] + "<saml:EncryptedAssertion>" + s[i:j] + "</saml:EncryptedAssertion>" + s[j:]
    template = (
        f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{cipher}"/>'
        f'<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>'
        f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"/>'
        f'<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
        f'<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>'
    )
    with tempfile.TemporaryDirectory() as d:
        data, tpl, out = (os.path.join(d, n) for n in ("data.xml", "tpl.xml", "out.xml"))
        with open(data, "w") as f:
            f.write(wrapped)
        with open(tpl, "w") as f:
            f.write(template)
        subprocess.run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", harness.SP_CERT_FILE, "--session-key", "aes-256",
                        "--xml-data", data, "--node-xpath", ASSERTION_XP, "--output", out, tpl],
                       check=True, capture_output=True)
        with open(out, "rb") as f:
            return f.read()


class EncryptedAssertionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(harness.SP_CERT_FILE) as f:
            cert = f.read()
        doc = {
            "version": 1, "display_name": "Encrypted Co", "dashboard_url": "https://dashboard.example.com/enc",
            "saml": {"idp_entity_id": IDP.entity_id, "idp_certificates": [IDP.cert_pem], "sp_certificates": [cert]},
            "provisioning": {"enabled": True, "default_workspace": "main", "default_permission_set": "member"},
            "workspaces": [{"id": "main", "name": "Main"}], "permission_sets": [{"id": "member", "name": "Member"}],
        }
        r = W.support("PUT", f"/admin/companies/{COMPANY}", doc)
        assert r.status == 200, r
        r = W.support("POST", f"/admin/companies/{COMPANY}/users", {"email": JON, "confirmed": True, "impersonation": False})
        assert r.status in (201, 409), r

    def response(self, email: str, **kw) -> bytes:
        return IDP.response(email, sp_entity_id=W.sp_entity_id(COMPANY), acs_url=W.acs_url(COMPANY), **kw)

    def test_encrypted_signed_assertion_provisions(self):
        xml = encrypt(self.response(JANE, sign="assertion"))
        self.assertIn(b"EncryptedAssertion", xml)
        self.assertNotIn(JANE.encode(), xml, "the email is only inside the ciphertext")
        r = W.post_acs(COMPANY, xml)
        self.assertEqual(r.status, 303, r)
        u = W.support("GET", f"/admin/companies/{COMPANY}/users/{JANE}")
        self.assertEqual(u.status, 200, u)
        self.assertEqual((u.json()["created_via"], u.json()["workspace"]), ("jit", "main"))

    def test_response_signed_over_the_ciphertext_signs_in(self):
        # Encrypt an unsigned assertion, then sign the Response (over the EncryptedAssertion).
        s = encrypt(self.response(JON, sign="none")).decode()
        rid = re.search(r'<samlp:Response[^>]*? ID="([^"]+)"', s).group(1)
        s = signer._insert_after_first_issuer(s, signer.signature_template(rid))
        xml = IDP._xmlsec_sign(s, IDP.key, IDP.cert, node_xpath="(//*[local-name()='Signature'])[1]").encode()
        r = W.post_acs(COMPANY, xml)
        self.assertEqual(r.status, 303, r)

    def test_unsigned_encrypted_assertion_is_refused(self):
        r = W.post_acs(COMPANY, encrypt(self.response(JON, sign="none")), accept_json=True)
        self.assertEqual((r.status, r.json()["error"]), (403, "decryption_failed"))

    def test_tampered_ciphertext_is_one_opaque_error(self):
        xml = encrypt(self.response(JON, sign="assertion"))
        root = ET.fromstring(xml)
        values = [e for e in root.iter(f"{{{XENC}}}CipherValue")]
        data = values[-1]  # the EncryptedData's (the EncryptedKey's comes first)
        raw = bytearray(__import__("base64").b64decode(data.text))
        raw[len(raw) // 2] ^= 0x01
        data.text = __import__("base64").b64encode(bytes(raw)).decode()
        r = W.post_acs(COMPANY, ET.tostring(root), accept_json=True)
        self.assertEqual((r.status, r.json()["error"]), (403, "decryption_failed"))

    def test_metadata_publishes_the_encryption_certificate(self):
        r = W.request("GET", f"/saml/{COMPANY}/metadata")
        self.assertEqual(r.status, 200)
        md = ET.fromstring(r.body)
        kd = [k for k in md.iter("{urn:oasis:names:tc:SAML:2.0:metadata}KeyDescriptor") if k.get("use") == "encryption"]
        self.assertEqual(len(kd), 1)
        with open(harness.SP_CERT_FILE) as f:
            body = "".join(l for l in f.read().splitlines() if not l.startswith("-----"))
        cert = next(kd[0].iter("{http://www.w3.org/2000/09/xmldsig#}X509Certificate")).text
        self.assertEqual(cert, body)


if __name__ == "__main__":
    unittest.main()
