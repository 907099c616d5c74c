"""Seed the demo company through the support API (what an operator would do)."""
import json
import sys
import urllib.error
import urllib.request

origin, token = sys.argv[1], sys.argv[2]
cert = open("demo/dev-idp.crt").read()


def call(method, path, body):
    req = urllib.request.Request(
        origin + path,
        method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        if e.code == 409:
            return 409
        sys.exit(f"seeding {method} {path} failed: {e.code} {e.read().decode()}")


call("PUT", "/admin/companies/decorumsoft", {
    "version": 1,
    "display_name": "Decorumsoft",
    "dashboard_url": origin + "/demo/dashboard",
    "saml": {"idp_entity_id": origin + "/demo/idp", "idp_certificates": [cert], "allow_sha1": False},
    "provisioning": {"enabled": True, "default_workspace": "main", "default_permission_set": "member"},
    "exception_domains": [],
    "workspaces": [{"id": "main", "name": "Main workspace"}],
    "permission_sets": [{"id": "member", "name": "Member"}, {"id": "admin", "name": "Administrator", "admin": True}],
})
call("POST", "/admin/companies/decorumsoft/users",
     {"email": "jon.smith@decorumsoft.com", "confirmed": True, "impersonation": False,
      "workspace": "main", "permission_set": "admin"})
print("seeded company decorumsoft")
