"""After the first login (issue #13), end to end on wrangler dev: responses signed at test time by
xmlsec1 in the claim shapes of Okta, Entra ID (object-ID groups, the groups overage claim), AD FS
and Google Workspace; attribute sync, group mappings (additive and authoritative), one account
per persistent NameID, require_match, and a rule naming a workspace deleted from D1.
"""

from __future__ import annotations

import base64
import threading
import unittest
import urllib.parse

import harness
import signer
import test_acs
from test_acs import JANE, Base, settings_doc

ENTRA_GIVEN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
ENTRA_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
ENTRA_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
ENTRA_OVERAGE = "http://schemas.microsoft.com/claims/groups.link"
ADFS_GROUP = "http://schemas.xmlsoap.org/claims/Group"
ADMINS_OID = "5d6a8b1e-0f3c-4f7e-9a51-3c2b1d0e9f77"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"


def setUpModule():
    test_acs.setUpModule()


def ms(user: dict) -> list[tuple[str, str]]:
    return sorted((m["workspace"], m["permission_set"]) for m in user["memberships"])


class LifecycleBase(Base):
    def mapped_company(self, mode: str = "additive", require_match: bool = False, **over) -> str:
        doc = {
            "workspaces": [{"id": "main", "name": "Main"}, {"id": "sales", "name": "Sales"}, {"id": "ops", "name": "Ops"}],
            "group_mappings": {"mode": mode, "require_match": require_match, "rules": [
                {"group": "Braze-Admins", "workspace": "main", "permission_set": "admin"},
                {"group": "Sales", "workspace": "sales", "permission_set": "member"},
                {"group": ADMINS_OID, "workspace": "ops", "permission_set": "admin"},
            ]},
        }
        doc.update(over)
        return self.new_company(**doc)

    def sign_in(self, company: str, email: str | None = JANE, attrs: dict | None = None, **kw):
        return test_acs.W.post_acs(company, self.saml(company, email, attributes=attrs or {}, **kw), accept_json=True)

    def ok(self, company: str, email: str | None = JANE, attrs: dict | None = None, **kw) -> dict:
        r = self.sign_in(company, email, attrs, **kw)
        self.assertRedirect(r)
        return self.user(company, email or "")

    def updated_details(self, company: str) -> list[str]:
        """The changed fields of each `updated` row (its detail is `<fields>; user <id>`)."""
        return [e.get("detail").split("; user ")[0] for e in self.audit(company, "updated")]


class AttributeSyncTest(LifecycleBase):
    def test_okta_names_sync_and_changes_are_audited_by_field(self):
        c = self.mapped_company()
        u = self.ok(c, attrs={"firstName": ["Jane"], "lastName": ["Smith"], "groups": ["Everyone"]})
        self.assertEqual((u["first_name"], u["last_name"], u["active"]), ("Jane", "Smith", True))
        self.assertEqual(ms(u), [("main", "member")], "no rule matched: the default")
        u = self.ok(c, attrs={"firstName": ["Janet"], "lastName": ["Smith"], "groups": ["Everyone"]})
        self.assertEqual(u["first_name"], "Janet")
        self.assertEqual(self.updated_details(c), ["first_name"])
        self.assertNotIn("Janet", str(self.audit(c)), "values never reach the audit log")
        # A sign-in that changes nothing writes no `updated` row.
        self.ok(c, attrs={"firstName": ["Janet"], "lastName": ["Smith"], "groups": ["Everyone"]})
        self.assertEqual(len(self.audit(c, "updated")), 1)

    def test_google_workspace_and_adfs_shapes(self):
        c = self.mapped_company()
        u = self.ok(c, attrs={"firstName": ["Jane"], "lastName": ["Smith"], "groups": ["Sales"]})  # Google: admin-chosen names
        self.assertEqual(ms(u), [("sales", "member")])
        c2 = self.mapped_company()
        u = self.ok(c2, attrs={ADFS_GROUP: ["Domain Users", "Braze-Admins"], ENTRA_GIVEN: ["Jane"]})
        self.assertEqual((ms(u), u["first_name"]), ([("main", "admin")], "Jane"))

    def test_configured_attribute_names_are_tried_in_order(self):
        c = self.mapped_company(saml={"idp_entity_id": test_acs.IDP.entity_id, "idp_certificates": [test_acs.IDP.cert_pem],
                                      "attributes": {"first_name": ["preferredName", "firstName"], "groups": ["memberOf"]}})
        u = self.ok(c, attrs={"firstName": ["Jane"], "preferredName": ["JJ"], "memberOf": ["Sales"], "groups": ["Braze-Admins"]})
        self.assertEqual((u["first_name"], ms(u)), ("JJ", [("sales", "member")]))


class GroupMappingTest(LifecycleBase):
    def test_entra_object_id_groups_and_additive_keeps_a_removed_group(self):
        c = self.mapped_company("additive")
        attrs = {ENTRA_GIVEN: ["Jane"], ENTRA_SURNAME: ["Smith"], ENTRA_GROUPS: [ADMINS_OID, "Sales"]}
        u = self.ok(c, attrs=attrs)
        self.assertEqual(ms(u), [("ops", "admin"), ("sales", "member")])
        u = self.ok(c, attrs={ENTRA_GROUPS: ["Sales"]})
        self.assertEqual(ms(u), [("ops", "admin"), ("sales", "member")], "additive never removes")

    def test_authoritative_removes_access_at_the_next_sign_in(self):
        c = self.mapped_company("authoritative")
        u = self.ok(c, attrs={"groups": ["Braze-Admins", "Sales"]})
        self.assertEqual(ms(u), [("main", "admin"), ("sales", "member")])
        u = self.ok(c, attrs={"groups": ["Sales"]})
        self.assertEqual(ms(u), [("sales", "member")])
        self.assertIn("memberships", self.updated_details(c)[0])
        u = self.ok(c, attrs={"groups": []})
        self.assertEqual(ms(u), [("main", "member")], "no group left: the default, as a new user")

    def test_entra_overage_leaves_memberships_and_says_so(self):
        c = self.mapped_company("authoritative")
        self.ok(c, attrs={ENTRA_GROUPS: ["Sales"]})
        u = self.ok(c, attrs={ENTRA_OVERAGE: ["https://graph.microsoft.com/v1.0/users/x/getMemberObjects"]})
        self.assertEqual(ms(u), [("sales", "member")], "overage is never read as no groups")
        self.assertEqual(self.audit(c, "signed_in")[0].get("detail"), "groups_overage: memberships unchanged")

    def test_require_match_refuses_new_and_emptied_users_and_writes_nothing(self):
        c = self.mapped_company("authoritative", require_match=True)
        r = self.sign_in(c, attrs={"groups": ["Everyone"]})
        self.assertRefused(r, 403, "no_group_match")
        self.assertIsNone(self.user(c, JANE))
        self.ok(c, attrs={"groups": ["Sales"]})
        r = self.sign_in(c, attrs={"groups": ["Everyone"]})
        self.assertRefused(r, 403, "no_group_match")
        self.assertEqual(ms(self.user(c, JANE)), [("sales", "member")], "a refusal writes nothing")
        r = self.sign_in(c, "new.person@decorumsoft.com", attrs={ENTRA_OVERAGE: ["x"]})
        self.assertRefused(r, 403, "groups_overage")

    def test_groups_never_let_in_whom_the_domain_rule_keeps_out(self):
        c = self.mapped_company()
        r = self.sign_in(c, "mallory@decorumsoft.eu", attrs={"groups": ["Braze-Admins"]})
        self.assertRefused(r, 403, "domain_not_allowed")
        c2 = self.mapped_company(provisioning={"enabled": False, "default_workspace": "main", "default_permission_set": "member"})
        self.assertRefused(self.sign_in(c2, attrs={"groups": ["Braze-Admins"]}), 403, "provisioning_disabled")

    def test_a_rule_naming_a_workspace_deleted_in_d1_refuses(self):
        c = self.mapped_company()
        test_acs.W.d1(f"DELETE FROM workspaces WHERE company = '{c}' AND id = 'sales'")
        r = self.sign_in(c, attrs={"groups": ["Sales"]})
        self.assertRefused(r, 403, "mapping_target_missing")
        self.assertIsNone(self.user(c, JANE))

    def test_settings_refuse_a_rule_naming_an_unknown_workspace(self):
        c = self.mapped_company()
        doc = settings_doc(group_mappings={"rules": [{"group": "g", "workspace": "nope", "permission_set": "member"}]})
        r = test_acs.W.support("PUT", f"/admin/companies/{c}", doc)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json().get("field"), "group_mappings.rules[0].workspace")


class OneAccountPerPersonTest(LifecycleBase):
    def test_an_email_change_under_a_persistent_name_id_updates_the_account(self):
        c = self.mapped_company()
        kw = {"name_id": "00u1abcd", "name_id_format": signer.FORMAT_PERSISTENT}
        u = self.ok(c, attrs={"groups": ["Sales"]}, **kw)
        self.assertEqual(u["name_id"], "00u1abcd")
        r = self.sign_in(c, "jane.doe@decorumsoft.com", attrs={"groups": ["Sales"]}, **kw)
        self.assertRedirect(r)
        self.assertIsNone(self.user(c, JANE))
        moved = self.user(c, "jane.doe@decorumsoft.com")
        self.assertEqual((moved["id"], ms(moved)), (u["id"], [("sales", "member")]))
        self.assertIn("email", self.updated_details(c)[0])
        self.assertEqual(len(self.users(c)), 2, "jon and jane: no second account")

    def test_email_change_to_a_domain_not_provisionable_or_taken_is_refused(self):
        c = self.mapped_company()
        kw = {"name_id": "00u2", "name_id_format": signer.FORMAT_PERSISTENT}
        self.ok(c, **kw)
        self.assertRefused(self.sign_in(c, "jane@gmail.com", **kw), 403, "email_change_not_allowed")
        self.assertRefused(self.sign_in(c, test_acs.JON, **kw), 403, "email_conflict")
        self.assertIsNotNone(self.user(c, JANE), "nothing written")

    def test_transient_name_ids_never_bind(self):
        c = self.mapped_company()
        u = self.ok(c, name_id="_t" + "1" * 20, name_id_format=TRANSIENT)
        self.assertIsNone(u["name_id"])

    def test_an_address_reassigned_to_another_person_is_refused(self):
        c = self.mapped_company()
        self.ok(c, name_id="00u-first", name_id_format=signer.FORMAT_PERSISTENT)
        r = self.sign_in(c, name_id="00u-second", name_id_format=signer.FORMAT_PERSISTENT)
        self.assertRefused(r, 403, "name_id_conflict")
        # Without a persistent NameID (an emailAddress or transient one), the email alone does
        # not open an account bound to this IdP.
        self.assertRefused(self.sign_in(c), 403, "name_id_conflict")
        self.assertRefused(self.sign_in(c, name_id="_t" + "2" * 20, name_id_format=TRANSIENT), 403, "name_id_conflict")


class ConcurrencyAndFaultTest(LifecycleBase):
    def test_simultaneous_sign_ins_of_one_person_end_in_one_consistent_set(self):
        c = self.mapped_company("authoritative")
        self.ok(c, attrs={"groups": ["Sales"]})
        # 24 sign-ins at once, alternating two group sets: each batch replaces the whole set, so
        # the end state is exactly one of the two mapped sets, never a mix.
        sets = [["Braze-Admins", "Sales"], [ADMINS_OID]]
        xmls = test_acs.IDP.responses([{"email": JANE, "attributes": {"groups": sets[i % 2]}} for i in range(24)],
                                      sp_entity_id=test_acs.W.sp_entity_id(c), acs_url=test_acs.W.acs_url(c))
        direct = test_acs.W.direct()
        results: list = [None] * len(xmls)
        barrier = threading.Barrier(len(xmls))

        def post(i: int):
            body = urllib.parse.urlencode([("SAMLResponse", base64.b64encode(xmls[i]).decode())]).encode()
            barrier.wait()
            results[i] = direct.request("POST", harness.acs_path(c), body=body, timeout=120, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(xmls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual({r.status for r in results}, {303}, [r for r in results if r.status != 303][:2])
        final = ms(self.user(c, JANE))
        self.assertIn(final, ([("main", "admin"), ("sales", "member")], [("ops", "admin")]))
        self.assertEqual(len(self.users(c)), 2)

    def test_a_d1_failure_writes_nothing_partial(self):
        if not test_acs.W.persist_dir:
            self.skipTest("local state not reachable (WORKER_URL without WORKER_PERSIST_TO)")
        # The audit row is the batch's last statement: with its table gone, the user row and the
        # memberships written before it in the same batch must roll back.
        c = self.mapped_company()
        test_acs.W.d1("ALTER TABLE audit_log RENAME TO audit_log_broken")
        try:
            r = self.sign_in(c, attrs={"groups": ["Sales"]})
        finally:
            test_acs.W.d1("ALTER TABLE audit_log_broken RENAME TO audit_log")
        self.assertRefused(r, 503, "store_unavailable")
        self.assertIsNone(self.user(c, JANE), "no user without its audit row")
        self.assertEqual(test_acs.W.d1(f"SELECT count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id "
                                       f"WHERE u.company = '{c}' AND u.email = '{JANE}'")[0]["n"], 0)
        self.assertEqual(self.audit(c, "provisioned"), [])
        self.assertRedirect(self.sign_in(c, attrs={"groups": ["Sales"]}))
        self.assertEqual(ms(self.user(c, JANE)), [("sales", "member")])


if __name__ == "__main__":
    unittest.main()
