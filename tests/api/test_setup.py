"""Self-service set-up (issue #15) without a browser: the Identity provider section (manual entry,
pasted metadata), the test sign-in (passing, failing, domain refused; no user written; its ID
used once; its report only for the company's admins) and the sign-in log with the reference a
refused user saw.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
import fake_idp  # noqa: E402
import signer  # noqa: E402
from common import ADMIN, JANE, Html  # noqa: E402
from base import Base  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: "base.fake_idp.FakeIdP | None" = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


class SetupTest(Base):
    def start_test(self, c: str, cookie: str) -> str:
        r = self.get_page(f"/admin/{c}/test/start", cookie)
        self.assertEqual(r.status, 302, r)
        loc = r.headers.get("Location")
        self.assertTrue(loc.startswith(IDP.sso_url), loc)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        req = fake_idp.parse_authn_request(fake_idp.decode_redirect_request(q["SAMLRequest"][0]))
        self.assertTrue(req["id"].startswith("_t"), req["id"])
        return req["id"]

    def answer(self, c: str, test_id: str, email: str, **kw):
        xml = IDP.sp_initiated(email, test_id, sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c), **kw)
        return W.post_acs(c, xml)

    def report(self, c: str, test_id: str, cookie: str, lang: str = "en") -> str:
        r = self.get_page(f"/admin/{c}/test/{test_id}?lang={lang}", cookie)
        self.assertEqual(r.status, 200, r)
        return r.text

    def test_a_passing_test_explains_every_rule_and_writes_nothing(self):
        c = self.new_company()
        cookie = self.session(c)
        tid = self.start_test(c, cookie)
        r = self.answer(c, tid, JANE)
        self.assertEqual(r.status, 303, r)
        self.assertEqual(urllib.parse.urlsplit(r.headers.get("Location")).path, f"/admin/{c}/test/{tid}")
        self.assertIsNone(r.headers.get("Set-Cookie"), "a test signs nobody in")
        page = self.report(c, tid, cookie)
        self.assertIn('<strong class="ok">passed</strong>', page)
        self.assertIn(JANE, page)
        self.assertIn("has a confirmed user,", page)
        self.assertIn("create the account and sign the user in", page)
        self.assertIn("<code>main</code> / <code>member</code>", page)
        self.assertIsNone(self.user(c, JANE), "the test created a user")
        # The ID is used once: a second answer is refused.
        r2 = self.answer(c, tid, JANE)
        self.assertEqual(r2.status, 403, r2)
        self.assertIn("in_response_to_mismatch", r2.text)

    def test_a_failing_test_names_the_check_in_english_and_french(self):
        c = self.new_company()
        cookie = self.session(c)
        tid = self.start_test(c, cookie)
        self.answer(c, tid, JANE, audience="https://wrong.example/sp")
        en = self.report(c, tid, cookie)
        self.assertIn('<code id="failed_code">audience_mismatch</code>', en)
        self.assertIn("set the Audience", en)
        fr = self.report(c, tid, cookie, "fr")
        self.assertIn("indiquez comme Audience", fr)
        tid2 = self.start_test(c, cookie)
        self.answer(c, tid2, "mallory@decorumsoft.eu")
        page = self.report(c, tid2, cookie)
        self.assertIn('<code id="outcome_code">domain_not_allowed</code>', page)
        self.assertIn("does not qualify", page)
        tid3 = self.start_test(c, cookie)
        self.answer(c, tid3, JANE, attacker=True)
        self.assertRegex(self.report(c, tid3, cookie), r'id="failed_code">(untrusted_key|signature_invalid)<')
        self.assertIsNone(self.user(c, "mallory@decorumsoft.eu"))

    def test_the_report_is_only_for_the_companys_admins(self):
        a, b = self.new_company(), self.new_company()
        cookie_a = self.session(a)
        tid = self.start_test(a, cookie_a)
        self.answer(a, tid, JANE)
        r = self.get_page(f"/admin/{a}/test/{tid}", self.session(b))
        self.assertEqual(r.status, 403, r)
        r = self.get_page(f"/admin/{a}/test/{tid}", None)
        self.assertEqual(r.status, 303, r)
        r = self.get_page(f"/admin/{b}/test/{tid}", self.session(b))
        self.assertEqual(r.status, 404, "another company's test ID")

    def test_the_log_shows_the_reference_a_refused_user_saw_and_pages(self):
        c = self.new_company()
        cookie = self.session(c)
        r = W.post_acs(c, self.saml(c, "mallory@decorumsoft.eu"), accept_json=True)
        self.assertEqual(r.status, 403, r)
        ref = r.json()["reference"]
        for _ in range(50):
            W.post_acs(c, self.saml(c, ADMIN))
        r = self.get_page(f"/admin/{c}/log", cookie)
        self.assertEqual(r.status, 200, r)
        self.assertNotIn(ref, r.text, "51 newer attempts: the refusal is on page 2")
        older = re.search(r'id="older" href="([^"]+)"', r.text)
        self.assertIsNotNone(older, "no link to older attempts")
        r2 = self.get_page(older.group(1).replace("&amp;", "&"), cookie)
        self.assertIn(f'<code class="reference">{ref}</code>', r2.text)
        self.assertIn("domain_not_allowed", r2.text)
        self.assertIn("no confirmed user in this company", r2.text)
        fr = self.get_page(older.group(1).replace("&amp;", "&").replace("lang=en", "lang=fr"), cookie)
        self.assertIn("refusée", fr.text)
        self.assertEqual(self.get_page(f"/admin/{c}/log?before=x", cookie).status, 400)

    def test_the_idp_section_takes_manual_entry_and_pasted_metadata(self):
        c = self.new_company(saml={"idp_entity_id": "https://old.example/", "idp_certificates": []})
        # An admin session needs a working IdP: configure by hand as Support first, then as admin.
        r = W.support("PATCH", f"/admin/companies/{c}/security", {"idp_entity_id": IDP.entity_id, "idp_certificates": [IDP.cert_pem]})
        self.assertEqual(r.status, 200, r)
        cookie = self.session(c)
        page = Html(self.get_page(f"/admin/{c}/security", cookie).text)
        self.assertIsNotNone(page.el("entra_note"))
        fields = {"csrf": self.csrf(c, cookie), "section": "idp", "idp_entity_id": "https://new.example/idp",
                  "idp_certificates": IDP.cert_pem + "\n" + signer.TestIdP().cert_pem}
        r = self.post_page(f"/admin/{c}/security", cookie, fields)
        self.assertEqual(r.status, 303, r)
        s = self.settings(c)
        self.assertEqual((s["saml"]["idp_entity_id"], len(s["saml"]["idp_certificates"])), ("https://new.example/idp", 2))
        audit = W.support("GET", f"/admin/companies/{c}/audit").json()["entries"]
        changes = [(e["actor"], e["detail"]) for e in audit if e["event"] == "settings_changed"]
        self.assertEqual(changes[0], ("admin (page)", "saml.idp_certificates,saml.idp_entity_id"))
        self.assertEqual(changes[1], ("support (API)", "saml.idp_certificates,saml.idp_entity_id"))
        self.assertNotIn("new.example", str(changes), "names, never values")
        bad = {"csrf": self.csrf(c, cookie), "section": "idp", "idp_certificates": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"}
        r = self.post_page(f"/admin/{c}/security", cookie, bad)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(len(self.settings(c)["saml"]["idp_certificates"]), 2, "nothing written")
        md = {"csrf": self.csrf(c, cookie), "section": "idp", "idp_metadata_xml": IDP.metadata_xml()}
        r = self.post_page(f"/admin/{c}/security", cookie, md)
        self.assertEqual(r.status, 303, r)
        s = self.settings(c)
        self.assertEqual((s["saml"]["idp_entity_id"], s["saml"]["idp_certificates"]), (IDP.entity_id, [IDP.cert_pem]))
        page = self.get_page(f"/admin/{c}/security", cookie).text
        self.assertEqual(len(re.findall(r'<code class="fingerprint">[0-9a-f]{64}</code>', page)), 1)
