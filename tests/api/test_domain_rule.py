"""The provisioning domain rule on D1 (wrangler dev): the scenarios of domain_rule.json, which
crates/jit/src/usecases/tests.rs runs against the in-memory store. Both stores must agree: the
domains the support API lists as provisionable, and which first logins are provisioned.

    python3 tests/api/run.py -k domain_rule
"""

from __future__ import annotations

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
import harness  # noqa: E402
import fake_idp  # noqa: E402
from common import new_company_id, settings_doc  # noqa: E402

with open(os.path.join(HERE, "domain_rule.json"), encoding="utf-8") as f:
    SCENARIOS = json.load(f)

W: harness.Worker | None = None
IDP: fake_idp.FakeIdP | None = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


class DomainRuleTest(unittest.TestCase):
    def test_d1_agrees_with_the_in_memory_scenarios(self):
        c = new_company_id()
        self.assertEqual(W.support("PUT", f"/admin/companies/{c}", settings_doc(IDP)).status, 200)
        for u in SCENARIOS["users"]:
            r = W.support("POST", f"/admin/companies/{c}/users", u)
            self.assertEqual(r.status, 201, f"POST user {u}: {r!r}")
        got = W.support("GET", f"/admin/companies/{c}").json()
        self.assertEqual(got["provisionable_domains"], SCENARIOS["provisionable_domains"], "live, from D1")
        for login in SCENARIOS["first_logins"]:
            email = login["email"]
            with self.subTest(email=email):
                xml = IDP.idp_initiated(email, sp_entity_id=W.sp_entity_id(c), acs_url=W.acs_url(c))
                r = W.post_acs(c, xml, accept_json=True)
                if login["refusal"] is None:
                    self.assertEqual(r.status, 303, f"{email} provisioned: {r!r}")
                else:
                    self.assertEqual(r.status, 403, f"{email}: {r!r}")
                    self.assertEqual(r.json()["error"], login["refusal"], email)


if __name__ == "__main__":
    unittest.main()
