"""Certificate lifecycle (issue #15, README "Certificate rollover") on wrangler dev: a local
metadata server whose certificate rotates, the daily Cron Trigger (GET /__scheduled with the
daily expression) and POST /admin/companies/{c}/idp/refresh. No sign-in fails across the
rotation and nothing is changed by hand; a fetch failure or expired metadata changes nothing;
expiry warnings are written once per threshold; `expired_certificates` accept / refuse.

Certificates with chosen validity dates are made with `openssl ca -selfsign` (OpenSSL 3.0's
`req -x509` cannot backdate).
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import tempfile
import threading
import unittest

import signer
import test_acs
from test_acs import JON, Base

DAILY = "17 4 * * *"
NS = ('xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
      'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"')


def setUpModule():
    test_acs.setUpModule()


def pem_body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def metadata(entity_id: str, certs: list[str], valid_until: str | None = None) -> bytes:
    vu = f' validUntil="{valid_until}"' if valid_until else ""
    kds = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{pem_body(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>" for c in certs)
    return (f'<md:EntityDescriptor {NS} entityID="{entity_id}"{vu}>'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f"{kds}</md:IDPSSODescriptor></md:EntityDescriptor>").encode()


class MetadataServer:
    """Serves `body` at /metadata with `status`; both can change between requests."""

    def __init__(self):
        server = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                self.send_response(server.status)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *a):
                pass

        self.body, self.status = b"", 200
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/metadata"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def dated_idp(entity_id: str, start: dt.datetime, end: dt.datetime) -> signer.TestIdP:
    """A test IdP whose signing certificate is valid from `start` to `end`."""
    idp = signer.TestIdP(entity_id=entity_id)
    d = tempfile.mkdtemp(dir=idp.dir)
    key, csr, cert = (os.path.join(d, n) for n in ("k.pem", "r.csr", "c.pem"))
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    conf = os.path.join(d, "ca.cnf")
    with open(conf, "w") as f:
        f.write(f"[ca]\ndefault_ca=d\n[d]\ndatabase={d}/index.txt\nnew_certs_dir={d}\nserial={d}/serial\n"
                "default_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n")
    fmt = "%Y%m%d%H%M%SZ"
    for cmd in (["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Dated IdP",
                 "-keyout", key, "-out", csr],
                ["openssl", "ca", "-batch", "-config", conf, "-selfsign", "-keyfile", key, "-in", csr,
                 "-out", cert, "-notext", "-startdate", start.strftime(fmt), "-enddate", end.strftime(fmt)]):
        p = signer._run(cmd)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
    idp.key, idp.cert = key, cert
    return idp


class RolloverBase(Base):
    @classmethod
    def setUpClass(cls):
        cls.md = MetadataServer()

    @classmethod
    def tearDownClass(cls):
        cls.md.stop()

    def signed_by(self, idp: signer.TestIdP, company: str, email: str = JON) -> bytes:
        W = test_acs.W
        return idp.response(email, sp_entity_id=W.sp_entity_id(company), acs_url=W.acs_url(company))

    def sign_in_ok(self, idp, company: str, what: str):
        r = test_acs.W.post_acs(company, self.signed_by(idp, company), accept_json=True)
        self.assertEqual(r.status, 303, f"{what}: {r!r}")

    def pinned(self, company: str) -> list[str]:
        r = test_acs.W.support("GET", f"/admin/companies/{company}")
        self.assertEqual(r.status, 200, r)
        return [pem_body(p) for p in r.json()["saml"]["idp_certificates"]]

    def cron(self):
        W = test_acs.W
        if not W.test_scheduled:
            self.skipTest("worker not started by the harness with --test-scheduled")
        r = W.scheduled(cron=DAILY)
        self.assertEqual(r.status, 200, r)

    def refresh(self, company: str):
        return test_acs.W.support("POST", f"/admin/companies/{company}/idp/refresh")


class RotationTest(RolloverBase):
    def test_announce_switch_retire_without_a_failed_sign_in(self):
        a = test_acs.IDP
        b = signer.TestIdP(entity_id=a.entity_id)
        W = test_acs.W
        c = self.new_company()
        # Step 1: the metadata has A; the admin imports it from its URL (kept for the refresh).
        self.md.body = metadata(a.entity_id, [a.cert_pem])
        r = W.support("PATCH", f"/admin/companies/{c}/security", {"idp_metadata_url": self.md.url})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["saml"]["idp_metadata_url"], self.md.url)
        self.sign_in_ok(a, c, "step 1, A")
        # Step 2: the metadata announces B beside A; the daily refresh pins both.
        self.md.body = metadata(a.entity_id, [a.cert_pem, b.cert_pem])
        self.cron()
        self.assertEqual(self.pinned(c), [pem_body(a.cert_pem), pem_body(b.cert_pem)])
        self.sign_in_ok(a, c, "step 2, A during the overlap")
        # Step 3: the IdP switches to B: no manual change.
        self.sign_in_ok(b, c, "step 3, B")
        # Step 4: A leaves the metadata; B has verified a sign-in, so A goes.
        self.md.body = metadata(a.entity_id, [b.cert_pem])
        self.cron()
        self.assertEqual(self.pinned(c), [pem_body(b.cert_pem)])
        self.sign_in_ok(b, c, "step 4, B")
        r = W.post_acs(c, self.signed_by(a, c), accept_json=True)
        self.assertRefused(r, 403, {"untrusted_key", "signature_invalid"})
        details = [e["detail"] for e in self.audit(c, "idp_refreshed")]
        self.assertEqual(len(details), 2, details)
        self.assertTrue(details[0].startswith("updated: added [], removed ["), details)
        self.assertTrue(details[1].startswith("updated: added ["), details)

    def test_a_departed_certificate_waits_for_a_sign_in_by_its_successor(self):
        a = test_acs.IDP
        b = signer.TestIdP(entity_id=a.entity_id)
        c = self.new_company(saml={"idp_metadata_url": self.md.url})
        self.md.body = metadata(a.entity_id, [b.cert_pem])  # a straight swap: B only
        r = self.refresh(c)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["outcome"], "updated")
        self.assertEqual(len(r.json()["pending"]), 1, "A kept: B has verified nothing yet")
        self.assertEqual(self.pinned(c), [pem_body(a.cert_pem), pem_body(b.cert_pem)])
        self.sign_in_ok(a, c, "A still signs")
        self.sign_in_ok(b, c, "B signs")
        r = self.refresh(c)
        self.assertEqual((r.json()["outcome"], len(r.json()["removed"])), ("updated", 1), r.json())
        self.assertEqual(self.pinned(c), [pem_body(b.cert_pem)])


class NothingChangesTest(RolloverBase):
    def test_fetch_failure_expired_metadata_and_another_idp(self):
        a = test_acs.IDP
        b = signer.TestIdP(entity_id=a.entity_id)
        c = self.new_company(saml={"idp_metadata_url": self.md.url})
        past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        cases = [
            ("fetch failure", 500, metadata(a.entity_id, [b.cert_pem]), "fetch failed: the URL answered 500"),
            ("expired metadata", 200, metadata(a.entity_id, [b.cert_pem], past), "the metadata expired"),
            ("not metadata", 200, b"<html>Sign in</html>", "the URL did not return IdP metadata"),
            ("another IdP", 200, metadata("https://other.example", [b.cert_pem]), "another entity ID"),
        ]
        for what, status, body, reason in cases:
            with self.subTest(what):
                self.md.status, self.md.body = status, body
                r = self.refresh(c)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["outcome"], "failed")
                self.assertIn(reason, r.json()["error"])
                self.assertEqual(self.pinned(c), [pem_body(a.cert_pem)])
                self.sign_in_ok(a, c, f"after the {what}")
        self.md.status = 200
        failed = self.audit(c, "idp_refresh_failed")
        self.assertEqual(len(failed), 4)
        self.assertNotIn("Sign in", str(failed), "fetched content never reaches the audit log")
        rows = test_acs.W.d1(f"SELECT last_error FROM idp_sources WHERE company = '{c}'")
        self.assertIn("another entity ID", rows[0]["last_error"])

    def test_refresh_without_an_url_and_by_no_one(self):
        c = self.new_company()
        r = self.refresh(c)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["field"], "saml.idp_metadata_url")
        r = test_acs.W.support("POST", f"/admin/companies/{c}/idp/refresh", token=None)
        self.assertEqual(r.status, 401, r)


class ExpiryTest(RolloverBase):
    def test_warnings_once_per_threshold(self):
        now = dt.datetime.now(dt.timezone.utc)
        soon = dated_idp(test_acs.IDP.entity_id, now - dt.timedelta(days=300), now + dt.timedelta(days=20))
        sooner = dated_idp(test_acs.IDP.entity_id, now - dt.timedelta(days=300), now + dt.timedelta(days=5))
        c = self.new_company(saml={"idp_certificates": [soon.cert_pem, sooner.cert_pem]})
        self.cron()
        self.cron()
        rows = self.audit(c, "idp_certificate_expiring")
        self.assertEqual(sorted(r["detail"][:8] for r in rows), ["30 days:", "7 days: "], rows)
        self.assertIn("CN=Dated IdP", rows[0]["detail"])
        flags = test_acs.W.d1(f"SELECT warned_30, warned_7 FROM idp_certificates WHERE company = '{c}' "
                              "ORDER BY warned_7")
        self.assertEqual([(f["warned_30"], f["warned_7"]) for f in flags], [(1, 0), (1, 1)])

    def test_expired_certificate_accept_with_a_note_or_refuse(self):
        now = dt.datetime.now(dt.timezone.utc)
        old = dated_idp(test_acs.IDP.entity_id, now - dt.timedelta(days=400), now - dt.timedelta(days=30))
        c = self.new_company(saml={"idp_certificates": [old.cert_pem]})
        self.sign_in_ok(old, c, "accept is the default")
        notes = [e["detail"] for e in self.audit(c, "signed_in")]
        self.assertTrue(notes and "certificate_expired accepted" in notes[0], notes)
        r = test_acs.W.support("PATCH", f"/admin/companies/{c}/security", {"expired_certificates": "refuse"})
        self.assertEqual(r.status, 200, r)
        r = test_acs.W.post_acs(c, self.signed_by(old, c), accept_json=True)
        self.assertRefused(r, 403, "certificate_expired")
        self.assertEqual(self.audit(c, "refused")[0]["reason"], "certificate_expired")


if __name__ == "__main__":
    unittest.main()
