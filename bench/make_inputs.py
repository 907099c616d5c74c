#!/usr/bin/env python3
"""Make the fixed benchmark inputs in bench/inputs/ (run once; the results are committed).

Okta-shaped SAML 2.0 Responses (saml2p:/saml2: prefixes, xmlns:xs on Response and Assertion,
Issuer Format=entity, exc-c14n with InclusiveNamespaces PrefixList="xs", X509Certificate in
KeyInfo), signed by Debian's `xmlsec1 --sign` with an RSA-2048 key made once by `openssl`.

Every timestamp derives from the fixed clock below, so the files verify forever at
inputs.json's `now` (the certificate is valid for 100 years, though saml-verify pins the key and
does not look at certificate dates). IDs are fixed too and RSA PKCS#1 v1.5 signatures are
deterministic: re-running this script with the committed key reproduces the files byte for byte.

    python3 bench/make_inputs.py            # keeps bench/inputs/idp.key.pem if it exists
    python3 bench/make_inputs.py --new-key  # a new key pair (changes every file)

Standard library only (plus the xmlsec1 and openssl executables).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "inputs")
KEY = os.path.join(OUT, "idp.key.pem")
CERT = os.path.join(OUT, "idp.cert.pem")

NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XS = "http://www.w3.org/2001/XMLSchema"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
ALGS = {
    "sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    "sha512": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "http://www.w3.org/2001/04/xmlenc#sha512"),
}

# The fixed clock: IssueInstant. `now` (what verifiers are given) is one second later.
ISSUE_INSTANT = dt.datetime(2025, 1, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
NOW = ISSUE_INSTANT + dt.timedelta(seconds=1)
IDP_ENTITY_ID = "http://www.okta.com/exk1benchmarkIdP0h7"
SP_ENTITY_ID = "https://sp.example.com/saml/acme/metadata"
ACS_URL = "https://sp.example.com/saml/acme/acs"
SUBJECT = "/C=US/ST=California/L=San Francisco/O=Okta/OU=SSOProvider/CN=dev-1234567/emailAddress=info@okta.com"

# name: (signed elements, algorithm, attributes, target size in bytes or None, blurb)
VARIANTS = {
    "typical-both-sha256": ("both", "sha256", "typical", None,
                            "typical Okta response: Response + Assertion signed, 4 attributes"),
    "typical-assertion-sha256": ("assertion", "sha256", "typical", None,
                                 "the same content, only the Assertion signed"),
    "small-assertion-sha256": ("assertion", "sha256", "minimal", None,
                               "only the Assertion signed, no AttributeStatement: the smallest realistic one"),
    "large-both-sha256": ("both", "sha256", "typical", 16384,
                          "Response + Assertion signed, padded to 16 KiB with group values"),
    "typical-both-sha512": ("both", "sha512", "typical", None,
                            "the typical content with rsa-sha512 + sha512 in both signatures"),
}
BASE_GROUPS = ["Everyone", "Engineering"]


def ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def run(cmd: list[str]) -> bytes:
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p.stdout


def make_key() -> None:
    # An X.509 v3 certificate shaped like Okta's (long subject, no key-usage extensions).
    with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
        f.write("[req]\ndistinguished_name = dn\nx509_extensions = v3\n[dn]\n[v3]\nbasicConstraints = CA:FALSE\n")
        cnf = f.name
    try:
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "36500",
             "-config", cnf, "-subj", SUBJECT, "-keyout", KEY, "-out", CERT])
    finally:
        os.unlink(cnf)


def sig_template(ref: str, alg: str, keyinfo: bool = True) -> str:
    sig_alg, digest_alg = ALGS[alg]
    ki = "<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>" if keyinfo else ""
    return (
        f'<ds:Signature xmlns:ds="{NS_DS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
        f'<ds:SignatureMethod Algorithm="{sig_alg}"/>'
        f'<ds:Reference URI="#{ref}"><ds:Transforms>'
        f'<ds:Transform Algorithm="{ENVELOPED}"/>'
        f'<ds:Transform Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="xs"/></ds:Transform>'
        f'</ds:Transforms><ds:DigestMethod Algorithm="{digest_alg}"/><ds:DigestValue/></ds:Reference>'
        f"</ds:SignedInfo><ds:SignatureValue/>{ki}</ds:Signature>"
    )


def attribute(name: str, values: list[str]) -> str:
    vals = "".join(
        f'<saml2:AttributeValue xmlns:xsi="{NS_XSI}" xsi:type="xs:string">{v}</saml2:AttributeValue>' for v in values
    )
    return (f'<saml2:Attribute Name="{name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">'
            f"{vals}</saml2:Attribute>")


def unsigned(sign: str, alg: str, groups: list[str] | None, rid: str, aid: str) -> str:
    t = ts(ISSUE_INSTANT)
    nb = ts(ISSUE_INSTANT - dt.timedelta(minutes=5))
    noa = ts(ISSUE_INSTANT + dt.timedelta(minutes=5))
    email = "jane.doe@example.com"
    statement = ""
    if groups is not None:  # None: no AttributeStatement at all
        attrs = (attribute("firstName", ["Jane"]) + attribute("lastName", ["Doe"]) + attribute("email", [email])
                 + attribute("groups", groups))
        statement = f'<saml2:AttributeStatement xmlns:saml2="{NS_SAML}">{attrs}</saml2:AttributeStatement>'

    rsig = sig_template(rid, alg) if sign == "both" else ""
    asig = sig_template(aid, alg)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<saml2p:Response xmlns:saml2p="{NS_SAMLP}" Destination="{ACS_URL}" ID="{rid}" IssueInstant="{t}" Version="2.0" xmlns:xs="{NS_XS}">'
        f'<saml2:Issuer xmlns:saml2="{NS_SAML}" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP_ENTITY_ID}</saml2:Issuer>'
        f"{rsig}"
        f'<saml2p:Status xmlns:saml2p="{NS_SAMLP}"><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>'
        f'<saml2:Assertion xmlns:saml2="{NS_SAML}" ID="{aid}" IssueInstant="{t}" Version="2.0" xmlns:xs="{NS_XS}">'
        f'<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" xmlns:saml2="{NS_SAML}">{IDP_ENTITY_ID}</saml2:Issuer>'
        f"{asig}"
        f'<saml2:Subject xmlns:saml2="{NS_SAML}"><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{email}</saml2:NameID>'
        '<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml2:SubjectConfirmationData NotOnOrAfter="{noa}" Recipient="{ACS_URL}"/></saml2:SubjectConfirmation></saml2:Subject>'
        f'<saml2:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}" xmlns:saml2="{NS_SAML}">'
        f"<saml2:AudienceRestriction><saml2:Audience>{SP_ENTITY_ID}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>"
        f'<saml2:AuthnStatement AuthnInstant="{t}" SessionIndex="{aid}" xmlns:saml2="{NS_SAML}"><saml2:AuthnContext>'
        "<saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef>"
        "</saml2:AuthnContext></saml2:AuthnStatement>"
        f"{statement}"
        "</saml2:Assertion></saml2p:Response>"
    )


def xmlsec_sign(xml: str, xpath: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False, encoding="utf-8") as f:
        f.write(xml)
        path = f.name
    try:
        out = run(["xmlsec1", "--sign", "--privkey-pem", f"{KEY},{CERT}",
                   "--id-attr:ID", f"{NS_SAMLP}:Response", "--id-attr:ID", f"{NS_SAML}:Assertion",
                   "--node-xpath", xpath, path])
        return out.decode("utf-8")
    finally:
        os.unlink(path)


def signed(sign: str, alg: str, groups: list[str], rid: str, aid: str) -> str:
    xml = unsigned(sign, alg, groups, rid, aid)
    # The Assertion first (the Response's digest covers the signed Assertion), then the Response.
    xml = xmlsec_sign(xml, "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']")
    if sign == "both":
        xml = xmlsec_sign(xml, "/*[local-name()='Response']/*[local-name()='Signature']")
    return xml


def ids(idx: int) -> tuple[str, str]:
    """Okta-style IDs (fixed, distinct per input)."""
    return f"id{idx:02d}243394333794369953880112", f"id{idx:02d}243394333801626928363134"


def padded(sign: str, alg: str, groups: list[str] | None, target: int | None, idx: int) -> str:
    """The response, with as many extra `app-group-NNN` values as bring it to about `target` bytes."""
    rid, aid = ids(idx)
    xml = signed(sign, alg, groups, rid, aid)
    if target is not None and groups is not None:
        one = len(f'<saml2:AttributeValue xmlns:xsi="{NS_XSI}" xsi:type="xs:string">app-group-000</saml2:AttributeValue>')
        extra = max(0, round((target - len(xml.encode())) / one))
        if extra:
            xml = signed(sign, alg, groups + [f"app-group-{i:03d}" for i in range(extra)], rid, aid)
    return xml


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--new-key", action="store_true", help="make a new IdP key pair first")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.new_key or not (os.path.exists(KEY) and os.path.exists(CERT)):
        make_key()
    manifest = {"now": ts(NOW).replace(".000Z", "Z"), "issue_instant": ts(ISSUE_INSTANT),
                "idp_entity_id": IDP_ENTITY_ID, "sp_entity_id": SP_ENTITY_ID, "acs_url": ACS_URL,
                "cert": "idp.cert.pem", "key": "idp.key.pem", "inputs": []}
    for idx, (name, (sign, alg, content, target, blurb)) in enumerate(VARIANTS.items(), start=1):
        xml = padded(sign, alg, list(BASE_GROUPS) if content == "typical" else None, target, idx)
        data = xml.encode("utf-8")
        with open(os.path.join(OUT, f"{name}.xml"), "wb") as f:
            f.write(data)
        manifest["inputs"].append({
            "name": name, "file": f"{name}.xml", "bytes": len(data),
            "signatures": 2 if sign == "both" else 1, "signed": ["Response", "Assertion"] if sign == "both" else ["Assertion"],
            "algorithm": f"rsa-{alg} + {alg}", "key": "RSA-2048", "about": blurb,
        })
        print(f"{name}.xml: {len(data)} bytes", file=sys.stderr)
    with open(os.path.join(OUT, "inputs.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
