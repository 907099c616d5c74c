"""Per-company admin tokens: shown once, listed without secrets, revocable.

Part of the API suite: `python3 tests/api/run.py` (one worker for the run).
"""

from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import base  # noqa: E402
from base import Base  # noqa: E402
from common import call  # noqa: E402

W: "base.harness.Worker | None" = None
IDP: "base.fake_idp.FakeIdP | None" = None


def setUpModule():
    global W, IDP
    W, IDP = base.start()


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
