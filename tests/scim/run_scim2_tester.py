#!/usr/bin/env python3
"""Run the PyPI package scim2-tester (a SCIM RFC 7643/7644 compliance checker) against this
worker under wrangler dev (or WORKER_URL): a company with a SCIM token, then every check of
`scim2_tester.check_server`. Prints one line per check; fails when a check fails that is not in
KNOWN below, each of which README "SCIM" lists with its reason, or when a known one passes (the
list must stay true).

    .venv/bin/python tests/scim/run_scim2_tester.py      (scripts/install.sh makes .venv)
"""

from __future__ import annotations

import os
import secrets
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
from httpx2 import Client  # noqa: E402
from scim2_client.engines.httpx2 import SyncSCIMClient  # noqa: E402
from scim2_tester import Status, check_server  # noqa: E402

# Checks this service fails on purpose: a substring of "<title>: <reason>" -> why (README "SCIM").
KNOWN: dict[str, str] = {
    "check_remove_attribute: Failed to remove attribute 'active'":
        "an account is active or deactivated: removing `active` is refused (400 mutability); "
        "deactivate with active false",
}

FAILED = {Status.ERROR, Status.CRITICAL} if hasattr(Status, "CRITICAL") else {Status.ERROR}


def company(w: harness.Worker) -> tuple[str, str]:
    c = "s2t-" + secrets.token_hex(4)
    doc = {
        "version": 1, "display_name": "scim2-tester", "dashboard_url": "https://dashboard.example",
        "saml": {"idp_entity_id": "https://idp.example", "idp_certificates": []},
        "provisioning": {"enabled": True, "default_workspace": "main", "default_permission_set": "member"},
        # scim2-tester writes users at example.com (the RFC's examples) and at random .com domains.
        "exception_domains": ["example.com"],
        "workspaces": [{"id": "main", "name": "Main"}],
        "permission_sets": [{"id": "member", "name": "Member"}],
    }
    r = w.support("PUT", f"/admin/companies/{c}", doc)
    assert r.status == 200, r
    r = w.support("POST", f"/admin/companies/{c}/scim-tokens")
    assert r.status == 201, r
    return c, r.json()["token"]


def main() -> int:
    w = harness.get_worker()
    c, token = company(w)
    http = Client(base_url=f"{w.base_url}/scim/v2/{c}", headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    client.discover()
    # userName is the email here (README "SCIM"); the schemas cannot say so, and scim2-tester
    # would send UUIDs. Its values come from a field's examples when there are some: give it
    # addresses at example.com (an exception domain of the test company), all different.
    user = client.get_resource_model("User")
    user.model_fields["user_name"].examples = [f"u{secrets.token_hex(8)}@example.com" for _ in range(10000)]
    results = check_server(client)
    seen_known: set[str] = set()
    unexpected = []
    for r in results:
        line = f"{r.status.name:<11} {r.title}" + (f": {r.reason}" if r.reason else "")
        known = next((k for k in KNOWN if k in line), None)
        print(line[:300])
        if r.status in FAILED:
            if known:
                seen_known.add(known)
            else:
                unexpected.append(line)
    counts = Counter(r.status.name for r in results)
    print("scim2-tester:", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    stale = sorted(set(KNOWN) - seen_known)
    for line in unexpected:
        print("UNEXPECTED FAILURE:", line[:300])
    for k in stale:
        print(f"KNOWN FAILURE THAT NO LONGER FAILS (update KNOWN and README): {k}")
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
