"""The Security Settings and sign-in pages without a browser: rendering in both languages, CSRF, the SSO-button rule.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
from base import Base  # noqa: E402
from common import COOKIE, JANE, JON, NEVER, Html, form_body, location_path  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: "base.fake_idp.FakeIdP | None" = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


# =================================================================================================
# Pages without a browser: Security Settings, CSRF, login
# =================================================================================================


class PagesTest(Base):
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
