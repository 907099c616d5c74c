"""SCIM 2.0 (issue #14) end to end on wrangler dev: Okta- and Entra-shaped sequences (request
bodies from crates/scim/tests/fixtures, the IdPs' documented shapes), deactivation refusing SAML
sign-in and the previous session at GET /session, tokens of another company or revoked, the
domain rule, session revocation through the API, and SCIM deactivation racing SAML first logins.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
from base import Base  # noqa: E402
from common import COOKIE, JON, call  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: "base.fake_idp.FakeIdP | None" = None
FIXTURES = os.path.join(HERE, "..", "..", "crates", "scim", "tests", "fixtures")
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def setUpModule():
    global W, IDP
    W, IDP = base.start()


def fixture(name: str, **replace) -> dict:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        text = f.read()
    for old, new in replace.items():
        text = text.replace(old, new)
    return json.loads(text)


class Scim(Base):
    def scim_company(self, **over) -> tuple[str, str, str]:
        """A company, and a SCIM token of it: (company, token id, token)."""
        c = self.new_company(**over)
        r = W.support("POST", f"/admin/companies/{c}/scim-tokens")
        self.assertEqual(r.status, 201, r)
        return c, r.json()["id"], r.json()["token"]

    def scim(self, token: str, c: str, method: str, path: str, body=None, ctype="application/scim+json"):
        hdrs = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = ctype
        return W.request(method, f"/scim/v2/{c}/{path}", body=data, headers=hdrs)

    def ok(self, resp, status: int, what: str) -> dict | None:
        self.assertEqual(resp.status, status, f"{what}: {resp!r}")
        self.assertTrue((resp.headers.get("Content-Type") or "").startswith("application/scim+json") or status == 204,
                        f"{what}: Content-Type {resp.headers.get('Content-Type')!r}")
        return resp.json() if resp.body else None

    def scim_error(self, resp, status: int, scim_type: str | None, what: str) -> dict:
        body = self.ok(resp, status, what)
        self.assertEqual(body["schemas"], ["urn:ietf:params:scim:api:messages:2.0:Error"], what)
        self.assertEqual(body["status"], str(status), what)
        self.assertEqual(body.get("scimType"), scim_type, what)
        return body

    def signin_refusal(self, c: str, email: str) -> str | None:
        r = W.post_acs(c, self.saml(c, email), accept_json=True)
        return None if r.status == 303 else r.json().get("error")

    def get_session(self, cookie: str):
        return W.request("GET", "/session", headers={"Cookie": f"{COOKIE}={cookie}", "Accept": "application/json"})

    def audit(self, c: str) -> list[dict]:
        r = W.support("GET", f"/admin/companies/{c}/audit")
        self.assertEqual(r.status, 200, r)
        return r.json()["entries"]


class ScimEndToEnd(Scim):
    def test_okta_sequence(self):
        c, tid, tok = self.scim_company()
        email = "test.user@decorumsoft.com"
        body = fixture("okta_create_user.json", **{"test.user@okta.example": email})
        user = self.ok(self.scim(tok, c, "POST", "Users", body), 201, "create")
        uid = user["id"]
        self.assertEqual(user["userName"], email)
        self.assertNotIn("1mz050nq", json.dumps(user), "the password is echoed")
        self.assertEqual(self.scim_error(self.scim(tok, c, "POST", "Users", body), 409, "uniqueness", "retried create")["status"], "409")
        q = urllib.parse.quote(f'userName eq "{email.upper()}"')
        found = self.ok(self.scim(tok, c, "GET", f"Users?filter={q}&startIndex=1&count=100"), 200, "lookup")
        self.assertEqual((found["totalResults"], found["Resources"][0]["id"]), (1, uid))
        # The user signs in with SAML, then Okta deactivates them.
        cookie = self.session(c, email)
        self.assertEqual(self.get_session(cookie).status, 200)
        off = self.ok(self.scim(tok, c, "PATCH", f"Users/{uid}", fixture("okta_deactivate_user.json")), 200, "deactivate")
        self.assertIs(off["active"], False)
        r = self.get_session(cookie)
        self.assertJsonError(r, 401, "unauthorized", "the previous session after deactivation")
        self.assertEqual(self.signin_refusal(c, email), "user_deactivated")
        self.assertEqual(self.user(c, email)["active"], False, "JIT reactivated the account")
        on = self.ok(self.scim(tok, c, "PATCH", f"Users/{uid}", fixture("okta_reactivate_user.json")), 200, "reactivate")
        self.assertIs(on["active"], True)
        self.assertEqual(self.get_session(cookie).status, 401, "a session from before the deactivation came back")
        self.assertIsNone(self.signin_refusal(c, email), "reactivated user refused")
        rep = self.ok(self.scim(tok, c, "PUT", f"Users/{uid}", fixture("okta_replace_user.json", **{"test.user@okta.example": email})), 200, "replace")
        self.assertEqual(rep["name"]["givenName"], "Another")
        rows = [e for e in self.audit(c) if e.get("actor") == f"scim:{tid}"]
        self.assertEqual([e["event"] for e in reversed(rows)], ["created", "deactivated", "reactivated", "updated"])
        self.assertNotIn(tok.split(".", 1)[1], json.dumps(rows), "the secret in the audit log")

    def test_entra_sequence_and_group_push(self):
        rules = {"mode": "authoritative", "rules": [
            {"group": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "workspace": "ops", "permission_set": "admin"}]}
        c, _, tok = self.scim_company(group_mappings=rules)
        email = "barbara.jensen@decorumsoft.com"
        body = fixture("entra_create_user.json", **{"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.example": email})
        uid = self.ok(self.scim(tok, c, "POST", "Users", body), 201, "create")["id"]
        self.assertEqual(self.user(c, email)["memberships"], [{"workspace": "main", "permission_set": "member"}])
        upd = self.ok(self.scim(tok, c, "PATCH", f"Users/{uid}", fixture("entra_update_user.json")), 200, "Replace ops")
        self.assertEqual(upd["name"]["familyName"], "updatedFamilyName")
        g = self.ok(self.scim(tok, c, "POST", "Groups", fixture("entra_create_group.json")), 201, "create group")
        add = fixture("entra_add_member.json", **{'"u1"': json.dumps(uid)})
        self.ok(self.scim(tok, c, "PATCH", f"Groups/{g['id']}", add), 200, "add member")
        self.assertEqual(self.user(c, email)["memberships"], [{"workspace": "ops", "permission_set": "admin"}],
                         "the group mapping on the group's externalId")
        listed = self.ok(self.scim(tok, c, "GET", "Groups?excludedAttributes=members&filter=" + urllib.parse.quote('displayName eq "displayName"')), 200, "group lookup")
        self.assertEqual(listed["totalResults"], 1)
        self.assertNotIn("members", listed["Resources"][0])
        rem = fixture("entra_remove_member.json", **{'"u1"': json.dumps(uid)})
        self.ok(self.scim(tok, c, "PATCH", f"Groups/{g['id']}", rem), 200, "remove member")
        self.assertEqual(self.user(c, email)["memberships"], [{"workspace": "main", "permission_set": "member"}])
        off = self.ok(self.scim(tok, c, "PATCH", f"Users/{uid}", fixture("entra_disable_user.json")), 200, '"False"')
        self.assertIs(off["active"], False)
        self.assertEqual(self.signin_refusal(c, email), "user_deactivated")
        self.ok(self.scim(tok, c, "DELETE", f"Users/{uid}"), 204, "delete")
        self.scim_error(self.scim(tok, c, "GET", f"Users/{uid}"), 404, None, "deleted user")
        self.assertEqual(self.signin_refusal(c, email), "user_deactivated", "JIT re-created a deleted user")

    def test_tokens_of_another_company_or_revoked_are_refused(self):
        a, aid, atok = self.scim_company()
        b, _, btok = self.scim_company()
        _, admin_token = self.new_token(a)
        for what, tok, c in [("A's token at B", atok, b), ("B's token at A", btok, a), ("an admin token", admin_token, a),
                             ("the support token", W.support_token, a), ("no token", "", a)]:
            self.scim_error(self.scim(tok, c, "GET", "Users"), 401, None, what)
        self.ok(self.scim(atok, a, "GET", "Users"), 200, "A's token at A")
        r = W.support("DELETE", f"/admin/companies/{a}/scim-tokens/{aid}")
        self.assertEqual(r.status, 204, r)
        self.scim_error(self.scim(atok, a, "GET", "Users"), 401, None, "revoked token")

    def test_strict_input_and_the_domain_rule(self):
        c, _, tok = self.scim_company()
        before = self.emails(c)
        self.scim_error(self.scim(tok, c, "POST", "Users", {"schemas": [USER], "userName": "someone@gmail.com"}), 403, None, "gmail.com")
        self.scim_error(self.scim(tok, c, "POST", "Users", {"schemas": [USER], "userName": "x@decorumsoft.com", "shoeSize": 9}), 400, "invalidSyntax", "unknown attribute")
        self.scim_error(self.scim(tok, c, "GET", "Users?filter=" + urllib.parse.quote('userName sw "x"')), 400, "invalidFilter", "sw filter")
        self.scim_error(self.scim(tok, c, "POST", "Users", {"schemas": [USER], "userName": "x@decorumsoft.com"}, ctype="text/plain"), 415, None, "content type")
        big = {"schemas": [USER], "userName": "x@decorumsoft.com", "displayName": "x" * (300 << 10)}
        self.assertEqual(self.scim(tok, c, "POST", "Users", big).status, 413)
        self.assertEqual(self.emails(c), before, "a refused request wrote a user")
        page = self.ok(self.scim(tok, c, "GET", "Users?count=1&startIndex=2"), 200, "paging")
        self.assertEqual((page["totalResults"], page["itemsPerPage"], page["startIndex"]), (2, 1, 2))
        for doc in ["ServiceProviderConfig", "ResourceTypes", "Schemas"]:
            self.ok(self.scim(tok, c, "GET", doc), 200, doc)

    def test_support_and_admins_revoke_sessions(self):
        c, _, _ = self.scim_company()
        cookie = self.session(c, JON)
        self.assertEqual(self.get_session(cookie).status, 200)
        body = self.get_session(cookie).json()
        self.assertEqual(body["email"], JON)
        admin = ("cookie", self.session(c))
        r = call(W, "POST", f"/admin/companies/{c}/users/{JON}/revoke-sessions", admin)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.get_session(cookie).status, 401)
        self.assertEqual(self.audit(c)[0]["event"], "sessions_revoked")
        r = call(W, "POST", f"/admin/companies/{c}/users/nobody@decorumsoft.com/revoke-sessions", admin)
        self.assertJsonError(r, 404, "user_unknown", "unknown user")
        self.assertJsonError(self.get_session("v1.garbage.garbage"), 401, "unauthorized", "a forged cookie")

    def test_scim_deactivation_racing_saml_first_logins_leaves_no_active_duplicate(self):
        c, _, tok = self.scim_company()
        people = [f"race{i}@decorumsoft.com" for i in range(8)]
        barrier = threading.Barrier(2 * len(people))

        def saml(email):
            barrier.wait()
            W.post_acs(c, self.saml(c, email), accept_json=True)

        def scim_deactivate(email):
            barrier.wait()
            r = self.scim(tok, c, "POST", "Users", {"schemas": [USER], "userName": email, "active": False})
            if r.status == 409:  # the first login won: find the user and deactivate, as the IdPs do
                q = urllib.parse.quote(f'userName eq "{email}"')
                uid = self.scim(tok, c, "GET", f"Users?filter={q}").json()["Resources"][0]["id"]
                self.scim(tok, c, "PATCH", f"Users/{uid}", {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]})
        threads = [threading.Thread(target=f, args=(e,)) for e in people for f in (saml, scim_deactivate)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        users = [u for u in W.support("GET", f"/admin/companies/{c}/users").json()["users"] if u["email"] in people]
        self.assertEqual(sorted(u["email"] for u in users), sorted(people), "one account per person")
        self.assertEqual([u["email"] for u in users if u["active"]], [], "an active account survived")
        for e in people:
            self.assertEqual(self.signin_refusal(c, e), "user_deactivated", e)
