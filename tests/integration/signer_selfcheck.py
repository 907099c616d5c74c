#!/usr/bin/env python3
"""Checks signer.py against the native verifier, no worker needed:

    python3 tests/integration/signer_selfcheck.py [path/to/saml-check]

Every valid variant must verify with the expected email; every hostile one must be refused with
the expected code (or, for the comment-injection look-alike, verify to the WHOLE look-alike
address, never the truncated one). Also checks, with `xmlsec1 --verify`, that the wrapping attacks
still carry a signature a naive verifier accepts (so they test something).
Ends with `N passed, N failed`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import signer  # noqa: E402

SAML_CHECK = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "target", "release", "saml-check")
ORIGIN = "http://127.0.0.1:8787"
SP = f"{ORIGIN}/saml/acme/metadata"
ACS = f"{ORIGIN}/saml/acme/acs"
JANE = "jane.smith@decorumsoft.com"
JON = "jon.smith@decorumsoft.com"


def main() -> int:
    if not os.path.exists(SAML_CHECK):
        print(f"saml-check not found at {SAML_CHECK}: cargo build --release --bin saml-check")
        print("0 passed, 1 failed")
        return 1
    idp = signer.TestIdP()
    tmp = tempfile.mkdtemp(prefix="signer-selfcheck-", dir=idp.dir)

    def R(email=JANE, **kw):
        return idp.response(email, sp_entity_id=SP, acs_url=ACS, **kw)

    def check(xml: bytes):
        path = os.path.join(tmp, "r.xml")
        with open(path, "wb") as f:
            f.write(xml)
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        p = subprocess.run([SAML_CHECK, "verify", "--idp-cert", idp.cert, "--idp-entity-id", idp.entity_id,
                            "--sp-entity-id", SP, "--acs-url", ACS, "--now", now, path], capture_output=True, text=True)
        return json.loads(p.stdout.strip().splitlines()[0])

    def naive_ok(xml: bytes) -> bool:
        path = os.path.join(tmp, "n.xml")
        with open(path, "wb") as f:
            f.write(xml)
        p = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", idp.cert,
                            "--id-attr:ID", f"{signer.NS_SAMLP}:Response", "--id-attr:ID", f"{signer.NS_SAML}:Assertion", path],
                           capture_output=True)
        return p.returncode == 0

    lookalike = JON + ".evil.io"
    cases = [
        # (name, xml, expected email or error code, must a naive xmlsec1 verify accept it)
        ("assertion signed", R(), ("ok", JANE), True),
        ("response signed", R(sign="response"), ("ok", JANE), True),
        ("both signed", R(sign="both"), ("ok", JANE), True),
        ("email only in attribute", R(name_id="00uopaque", name_id_format=signer.FORMAT_PERSISTENT), ("ok", JANE), None),
        ("no email", R(None, name_id="00uopaque", name_id_format=signer.FORMAT_PERSISTENT), ("ok", None), None),
        ("unsigned", R(sign="none"), ("error", "signature_missing"), None),
        ("InResponseTo", R(in_response_to="_req1"), ("error", "in_response_to_mismatch"), None),
        ("audience", R(audience="https://other/metadata"), ("error", "audience_mismatch"), None),
        ("recipient", R(recipient="https://other/acs"), ("error", "recipient_mismatch"), None),
        ("destination", R(destination="https://other/acs"), ("error", "destination_mismatch"), None),
        ("issuer", R(issuer="https://evil-idp/"), ("error", "issuer_mismatch"), None),
        ("expired", R(expired=True), ("error", "expired"), None),
        ("not yet valid", R(not_yet_valid=True), ("error", "not_yet_valid"), None),
        ("status", R(status=signer.STATUS_REQUESTER), ("error", "status_not_success"), None),
        ("attacker key", R(attacker=True), ("error", "untrusted_key"), None),
        ("attacker claims IdP cert", signer.swap_keyinfo_certificate(R(attacker=True), idp.cert_pem), ("error", "signature_invalid"), None),
        ("tampered text", signer.replace_text(R(JON), f">{JON}<", ">evil@decorumsoft.com<"), ("error", "digest_mismatch"), None),
        ("XSW assertion into Extensions", signer.xsw_extensions(R()), ("error", "multiple_assertions"), True),
        ("XSW both signed into Extensions", signer.xsw_extensions(R(sign="both")), ("error", "multiple_assertions"), None),
        ("XSW evil sibling first", signer.xsw_sibling(R()), ("error", "multiple_assertions"), None),
        ("XSW evil sibling last", signer.xsw_sibling(R(), evil_first=False), ("error", "multiple_assertions"), None),
        ("XSW Response wrap", signer.xsw_response_wrap(R(sign="response")), ("error", "multiple_assertions"), True),
        ("comment injection (look-alike signed)", signer.inject_comment(R(lookalike), lookalike, JON), ("ok", lookalike), True),
        ("comment appended after signing", signer.replace_text(R(JON), f">{JON}<", f">{JON}<!---->.evil.io<"), ("error", "digest_mismatch"), None),
        ("DOCTYPE", signer.with_doctype(R()), ("error", "doctype_forbidden"), None),
    ]
    passed = failed = 0
    for name, xml, (kind, want), naive in cases:
        got = check(xml)
        ok = got["ok"] and got.get("email") == want if kind == "ok" else (not got["ok"] and got["error"] == want)
        if naive is not None and naive_ok(xml) != naive:
            ok = False
            got = {**got, "naive_xmlsec1_verify": not naive}
        print(f"{'PASS' if ok else 'FAIL'}  {name:40s} {json.dumps({k: got.get(k) for k in ('ok', 'email', 'error')})}")
        passed, failed = passed + ok, failed + (not ok)
    ids = {signer.assertion_id_of(R()) for _ in range(5)}
    ok = len(ids) == 5
    print(f"{'PASS' if ok else 'FAIL'}  assertion IDs are random")
    passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
