#!/usr/bin/env python3
"""Generate the committed SAML 2.0 Response test vectors for saml-verify.

How to run (from anywhere):

    python3 generate.py

Needs: xmlsec1 (Debian package `xmlsec1`), xmllint (Debian `libxml2-utils`), openssl,
and the PyPI packages `lxml` and `signxml` (`pip install lxml signxml`).

What it does:
  * keys/: creates test-only RSA keys and long-lived self-signed certificates with openssl
    (idp, idp2, idp4096, attacker) unless they already exist; existing keys are reused so
    re-running reproduces the same signatures byte for byte (RSA PKCS#1 v1.5 is deterministic).
  * valid/, attack/, conditions/, malformed/: response documents signed by INDEPENDENT signers,
    `xmlsec1 --sign` (primary) and signxml (some valid vectors), then (for attacks) edited with
    lxml and serialized without reformatting. Nothing here uses Rust code.
  * manifest.json: every vector with its settings and expected outcome.
  * c14n/: `xmllint --exc-c14n` output for every well-formed, DOCTYPE-free vector XML
    (c14n/<path with / replaced by __>.exc, e.g. c14n/valid__okta-shaped.xml.exc) and for the
    hand-written cases in c14n/cases/NAME.xml (-> NAME.exc); c14n/index.json lists the pairs.
  * Every signature of every valid vector is verified with xmlsec1 and with signxml against the
    configured certificate(s); the script fails loudly if one does not verify. A few negative
    checks (attacker key, tampered digest) must FAIL xmlsec1 verification.

Fixed clock: IssueInstant 2026-01-01T00:00:00Z, NotBefore 2025-12-31T23:55:00Z,
NotOnOrAfter 2026-01-01T00:05:00Z, settings.now 2026-01-01T00:01:00Z, skew 180 s.
"""

import base64
import copy
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile

from lxml import etree
import signxml
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)

HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="saml-vectors-")

# ---------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------
SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"samlp": SAMLP_NS, "saml": SAML_NS, "ds": DS_NS}

SIG_ALGS = {
    "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "hmac-sha256": "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
}
DIGESTS = {
    "sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}

SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
HOK = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
FMT_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
FMT_UNSPEC = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
FMT_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
FMT_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
FMT_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ATTR_BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
ATTR_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
ATTR_UNSPEC = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"

T_ISSUE = "2026-01-01T00:00:00Z"
T_AUTHN = "2025-12-31T23:59:50Z"
T_NB = "2025-12-31T23:55:00Z"
T_NOA = "2026-01-01T00:05:00Z"
NOW = "2026-01-01T00:01:00Z"

SP = "https://sp.example.com/saml/acme/metadata"
ACS = "https://sp.example.com/saml/acme/acs"
GEN_IDP = "https://idp.example.org/saml2/metadata"
JANE = "jane.smith@decorumsoft.com"
EVIL = "ceo@decorumsoft.com"

ALLOWED_ERRORS = set(
    """input_empty input_too_large base64_invalid xml_malformed doctype_forbidden
    depth_exceeded duplicate_attribute duplicate_id not_a_response version_unsupported
    status_not_success assertion_missing multiple_assertions signature_missing
    signature_malformed signature_misplaced reference_invalid transform_forbidden
    algorithm_unsupported sha1_forbidden digest_mismatch signature_invalid untrusted_key
    issuer_mismatch destination_mismatch audience_mismatch recipient_mismatch bearer_missing
    not_yet_valid expired in_response_to_mismatch authn_statement_missing name_id_missing
    condition_unknown email_mismatch identity_markup schema_violation""".split()
)

ID_ATTRS = [
    "--id-attr:ID", f"{SAMLP_NS}:Response",
    "--id-attr:ID", f"{SAML_NS}:Assertion",
    "--id-attr:ID", f"{SAMLP_NS}:LogoutResponse",
]
XPATH_SIG = {
    "Response": "/*/*[local-name()='Signature']",
    "Assertion": "//*[local-name()='Assertion']/*[local-name()='Signature']",
}

MANIFEST = []
VALID_CHECKS = []  # (relpath, certs) verified at the end


def die(msg):
    print("FATAL: " + msg, file=sys.stderr)
    sys.exit(1)


class ToolError(RuntimeError):
    pass


def run(cmd, check=True, input_bytes=None):
    p = subprocess.run(cmd, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise ToolError(f"command failed ({p.returncode}): {' '.join(cmd)}\n"
                        f"{p.stderr.decode(errors='replace')}")
    return p


def path(rel):
    return os.path.join(HERE, rel)


def write(rel, data):
    full = path(rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(full, "wb") as f:
        f.write(data)
    return rel


def read(rel):
    with open(path(rel), "rb") as f:
        return f.read()


def uid(name, kind):
    return "_" + kind + hashlib.sha1(name.encode()).hexdigest()[:24]


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------
KEYS = {
    "idp": (2048, "/C=US/O=Decorum Test IdP/CN=idp.decorumsoft.test", "1001"),
    "idp2": (2048, "/C=US/O=Decorum Test IdP/CN=idp2.decorumsoft.test (rollover)", "1002"),
    "idp4096": (4096, "/C=US/O=Decorum Test IdP/CN=idp4096.decorumsoft.test", "1003"),
    "attacker": (2048, "/C=US/O=Decorum Test IdP/CN=idp.decorumsoft.test", "1004"),
}

CA_CNF = """
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
countryName = optional
organizationName = optional
commonName = supplied
[ v3 ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
"""


def ensure_keys():
    os.makedirs(path("keys"), exist_ok=True)
    for name, (bits, subj, serial) in KEYS.items():
        key, crt = path(f"keys/{name}.key"), path(f"keys/{name}.crt")
        if os.path.exists(key) and os.path.exists(crt):
            continue
        print(f"creating keys/{name}.key and keys/{name}.crt (RSA-{bits})")
        d = os.path.join(TMP, "ca-" + name)
        os.makedirs(d)
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write(serial + "\n")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(CA_CNF.format(dir=d))
        run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}",
             "-out", key])
        csr = os.path.join(d, "req.csr")
        run(["openssl", "req", "-new", "-key", key, "-subj", subj, "-out", csr])
        # `openssl ca -selfsign` lets us pick a notBefore in the past (2020) so the certificate is
        # valid at the vectors' fixed clock (2026-01-01) as well as today.
        run(["openssl", "ca", "-batch", "-selfsign", "-config", os.path.join(d, "ca.cnf"),
             "-keyfile", key, "-in", csr, "-out", crt, "-notext", "-extensions", "v3",
             "-startdate", "20200101000000Z", "-enddate", "20991231235959Z"])


def cert_der(name):
    pem = read(f"keys/{name}.crt").decode()
    b64 = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    return base64.b64decode(b64)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------
def sig_tpl(ref, alg="rsa-sha256", dig="sha256", prefixlist=None, c14n_prefixlist=None,
            style="ds", extra_transforms="", keyinfo=True, placeholder=False):
    """A ds:Signature template for xmlsec1 (or a signxml placeholder).

    style: "ds" (ds: prefix), "default" (Entra ID: xmlns=DS, unprefixed),
    "adfs" (ds: prefix, but KeyInfo in the default namespace as AD FS emits it).
    """
    if placeholder:
        return f'<ds:Signature xmlns:ds="{DS_NS}" Id="placeholder"/>'
    p = "" if style == "default" else "ds:"
    decl = f'xmlns="{DS_NS}"' if style == "default" else f'xmlns:ds="{DS_NS}"'

    def incl(pl):
        return f'<ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="{pl}"/>'

    if c14n_prefixlist:
        c14n = (f'<{p}CanonicalizationMethod Algorithm="{EXC}">{incl(c14n_prefixlist)}'
                f'</{p}CanonicalizationMethod>')
    else:
        c14n = f'<{p}CanonicalizationMethod Algorithm="{EXC}"/>'
    if prefixlist:
        exc_t = f'<{p}Transform Algorithm="{EXC}">{incl(prefixlist)}</{p}Transform>'
    else:
        exc_t = f'<{p}Transform Algorithm="{EXC}"/>'
    transforms = f'<{p}Transform Algorithm="{ENVELOPED}"/>' + extra_transforms + exc_t
    if not keyinfo:
        ki = ""
    elif style == "adfs":
        ki = (f'<KeyInfo xmlns="{DS_NS}"><X509Data><X509Certificate></X509Certificate>'
              f'</X509Data></KeyInfo>')
    else:
        ki = (f'<{p}KeyInfo><{p}X509Data><{p}X509Certificate></{p}X509Certificate>'
              f'</{p}X509Data></{p}KeyInfo>')
    return (
        f'<{p}Signature {decl}><{p}SignedInfo>{c14n}'
        f'<{p}SignatureMethod Algorithm="{SIG_ALGS[alg]}"/>'
        f'<{p}Reference URI="#{ref}"><{p}Transforms>{transforms}</{p}Transforms>'
        f'<{p}DigestMethod Algorithm="{DIGESTS[dig]}"/><{p}DigestValue></{p}DigestValue>'
        f'</{p}Reference></{p}SignedInfo><{p}SignatureValue></{p}SignatureValue>{ki}'
        f'</{p}Signature>'
    )


def attr_xml(A, name, values, nameformat=None, friendly=None, xsi_type=None,
             xsi_decl_on_value=False, xs_decl_on_value=None):
    q = (A + ":") if A else ""
    a = f'<{q}Attribute'
    if friendly:
        a += f' FriendlyName="{friendly}"'
    a += f' Name="{name}"'
    if nameformat:
        a += f' NameFormat="{nameformat}"'
    a += ">"
    for v in values:
        a += f"<{q}AttributeValue"
        if xs_decl_on_value:
            a += f' xmlns:{xs_decl_on_value}="{XS_NS}"'
        if xsi_decl_on_value:
            a += f' xmlns:xsi="{XSI_NS}"'
        if xsi_type:
            a += f' xsi:type="{xsi_type}"'
        a += f">{v}</{q}AttributeValue>"
    return a + f"</{q}Attribute>"


def response(*, name, P="samlp", A="saml", ns_on_root=True, root_local="Response",
             root_extra="", rid=None, aid=None, version="2.0", a_version="2.0",
             issue_instant=T_ISSUE, a_issue_instant=None, destination=ACS, irt=None,
             resp_issuer=GEN_IDP, issuer_attrs="", rsig=None, extensions="",
             status=SUCCESS, status_xml=None, include_assertion=True, a_extra="",
             a_issuer=GEN_IDP, asig=None, name_id=JANE, name_id_format=FMT_EMAIL,
             name_id_attrs="", cm=BEARER, recipient=ACS, scd_noa=T_NOA, scd_irt=None,
             scd_extra="", subject_xml=None, not_before=T_NB, not_on_or_after=T_NOA,
             audience=SP, conditions_extra="", authn=True, authn_instant=T_AUTHN,
             session_index=None, attrs=(), attrs_first=False, after_assertion=""):
    """Build an unsigned SAML Response (a string, no formatting whitespace).

    rsig / asig: dicts of sig_tpl() options (or None): a template is placed right after the
    Issuer of the Response / Assertion.
    """
    rid = rid or uid(name, "r")
    aid = aid or uid(name, "a")
    a_issue_instant = a_issue_instant or issue_instant
    session_index = session_index or uid(name, "s")
    q = (A + ":") if A else ""
    a_decl = (f' xmlns:{A}="{SAML_NS}"' if A else f' xmlns="{SAML_NS}"')
    root_decl = f'xmlns:{P}="{SAMLP_NS}"'
    sub_decl = a_decl
    if ns_on_root and A:
        root_decl += a_decl
        sub_decl = ""
    out = f"<{P}:{root_local} {root_decl}{root_extra}"
    if destination is not None:
        out += f' Destination="{destination}"'
    out += f' ID="{rid}"'
    if irt:
        out += f' InResponseTo="{irt}"'
    out += f' IssueInstant="{issue_instant}" Version="{version}">'
    if resp_issuer is not None:
        out += f"<{q}Issuer{sub_decl}{issuer_attrs}>{resp_issuer}</{q}Issuer>"
    if rsig is not None:
        out += sig_tpl(rid, **rsig)
    out += extensions
    if status_xml is None:
        status_xml = f'<{P}:StatusCode Value="{status}"/>'
    out += f"<{P}:Status>{status_xml}</{P}:Status>"
    if include_assertion:
        out += (f'<{q}Assertion{sub_decl}{a_extra} ID="{aid}" IssueInstant="{a_issue_instant}"'
                f' Version="{a_version}">')
        out += f"<{q}Issuer{issuer_attrs}>{a_issuer}</{q}Issuer>"
        if asig is not None:
            out += sig_tpl(aid, **asig)
        if subject_xml is None:
            subject_xml = f"<{q}Subject>"
            if name_id is not None:
                fmt = f' Format="{name_id_format}"' if name_id_format else ""
                subject_xml += f"<{q}NameID{fmt}{name_id_attrs}>{name_id}</{q}NameID>"
            scd_i = f' InResponseTo="{scd_irt}"' if scd_irt else ""
            subject_xml += (
                f'<{q}SubjectConfirmation Method="{cm}"><{q}SubjectConfirmationData{scd_i}'
                f' NotOnOrAfter="{scd_noa}" Recipient="{recipient}"{scd_extra}/>'
                f"</{q}SubjectConfirmation></{q}Subject>")
        out += subject_xml
        out += (f'<{q}Conditions NotBefore="{not_before}" NotOnOrAfter="{not_on_or_after}">'
                f"<{q}AudienceRestriction><{q}Audience>{audience}</{q}Audience>"
                f"</{q}AudienceRestriction>{conditions_extra}</{q}Conditions>")
        authn_xml = ""
        if authn:
            authn_xml = (f'<{q}AuthnStatement AuthnInstant="{authn_instant}"'
                         f' SessionIndex="{session_index}"><{q}AuthnContext>'
                         f"<{q}AuthnContextClassRef>{PPT}</{q}AuthnContextClassRef>"
                         f"</{q}AuthnContext></{q}AuthnStatement>")
        attr_stmt = ""
        if attrs:
            attr_stmt = f"<{q}AttributeStatement>{''.join(attrs)}</{q}AttributeStatement>"
        out += (attr_stmt + authn_xml) if attrs_first else (authn_xml + attr_stmt)
        out += f"</{q}Assertion>"
    out += after_assertion
    out += f"</{P}:{root_local}>"
    return out


# ---------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------
_tmpn = [0]


def tmpfile(data=None, suffix=".xml"):
    _tmpn[0] += 1
    p = os.path.join(TMP, f"t{_tmpn[0]}{suffix}")
    if data is not None:
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


def xmlsec_sign(xml, targets, key="idp"):
    """Sign the templates of `targets` (in order) with xmlsec1; returns the signed bytes."""
    cur = tmpfile(xml)
    for t in targets:
        out = tmpfile()
        run(["xmlsec1", "--sign", "--privkey-pem",
             f"{path('keys/' + key + '.key')},{path('keys/' + key + '.crt')}", *ID_ATTRS,
             "--node-xpath", XPATH_SIG[t], "--output", out, cur])
        cur = out
    with open(cur, "rb") as f:
        return f.read()


def signxml_sign(xml, targets, aid, rid, key="idp", alg="rsa-sha256", dig="sha256",
                 prefixes=None):
    """Sign signxml placeholders: the Assertion's first, then the Response's."""
    keyb, certb = read(f"keys/{key}.key"), read(f"keys/{key}.crt")
    signer = XMLSigner(
        method=signxml.methods.enveloped,
        signature_algorithm=SignatureMethod(SIG_ALGS[alg]),
        digest_algorithm=DigestAlgorithm(DIGESTS[dig]),
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    root = etree.fromstring(xml.encode())
    if "Assertion" in targets:
        rp = root.find("ds:Signature", NSMAP)
        idx = None
        if rp is not None:
            idx = list(root).index(rp)
            root.remove(rp)
        root = signer.sign(root, key=keyb, cert=certb, reference_uri="#" + aid,
                           inclusive_ns_prefixes=prefixes)
        if rp is not None:
            root.insert(idx, rp)
    if "Response" in targets:
        root = signer.sign(root, key=keyb, cert=certb, reference_uri="#" + rid,
                           inclusive_ns_prefixes=prefixes)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sign(xml, rsig, asig, key="idp"):
    targets = []
    if asig is not None:
        targets.append("Assertion")
    if rsig is not None:
        targets.append("Response")
    return xmlsec_sign(xml, targets, key=key)


PARSER = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True,
                         load_dtd=False, huge_tree=False)


def parse(data):
    return etree.fromstring(data, PARSER)


def ser(root):
    """Serialize an edited tree as is (no pretty printing)."""
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def exc_c14n(el, prefixes=None):
    return etree.tostring(el, method="c14n", exclusive=True, with_comments=False,
                          inclusive_ns_prefixes=prefixes)


def digest_of(el, dig="sha256", prefixes=None):
    """The Reference digest of `el` with its own (enveloped) ds:Signature removed, computed in
    place so that ancestors' namespace declarations stay in scope (for PrefixList)."""
    sigs = [(list(el).index(s), s) for s in el.findall("ds:Signature", NSMAP)]
    for _, s in sigs:
        el.remove(s)
    try:
        c = exc_c14n(el, prefixes)
    finally:
        for i, s in sigs:
            el.insert(i, s)
    return base64.b64encode(hashlib.new(dig, c).digest()).decode()


def check_prefixlist_matters(rel, which, prefixes):
    """Assert that the `which` signature's digest needs InclusiveNamespaces `prefixes`."""
    root = parse(read(rel))
    el = root if which == "Response" else root.find("saml:Assertion", NSMAP)
    dv = first(el, "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue").text.strip()
    if digest_of(el, prefixes=prefixes) != dv:
        die(f"{rel}: {which} digest with PrefixList {prefixes} does not match")
    if digest_of(el) == dv:
        die(f"{rel}: {which} digest does not depend on the PrefixList")


# ---------------------------------------------------------------------------------------------
# Verification of valid vectors (xmlsec1 + signxml)
# ---------------------------------------------------------------------------------------------
def xmlsec_verify(file, cert, which):
    p = run(["xmlsec1", "--verify", "--enabled-key-data", "x509", "--pubkey-cert-pem", cert,
             *ID_ATTRS, "--node-xpath", XPATH_SIG[which], file], check=False)
    return p.returncode == 0


ALL_SIG = frozenset(SignatureMethod)
ALL_DIG = frozenset(DigestAlgorithm)


def signxml_verify(el, cert):
    try:
        XMLVerifier().verify(
            el, x509_cert=cert, id_attribute="ID",
            expect_config=SignatureConfiguration(
                location="./", signature_methods=ALL_SIG, digest_algorithms=ALL_DIG))
        return True
    except Exception as e:  # noqa: BLE001
        signxml_verify.last = repr(e)
        return False


def signatures_in(data):
    root = parse(data)
    found = []
    if root.find("ds:Signature", NSMAP) is not None:
        found.append(("Response", root))
    for a in root.findall("saml:Assertion", NSMAP):
        if a.find("ds:Signature", NSMAP) is not None:
            found.append(("Assertion", a))
    return found


def verify_valid(rel, certs):
    data = read(rel)
    if rel.endswith(".b64"):
        data = base64.b64decode(b"".join(data.split()))
    f = tmpfile(data)
    sigs = signatures_in(data)
    if not sigs:
        die(f"{rel}: no signature found")
    certs_pem = [read(c).decode() for c in certs]
    for which, el in sigs:
        if not any(xmlsec_verify(f, path(c), which) for c in certs):
            die(f"{rel}: xmlsec1 does not verify the {which} signature")
        if rel in SIGNXML_CANNOT:
            continue
        if not any(signxml_verify(el, c) for c in certs_pem):
            die(f"{rel}: signxml does not verify the {which} signature: "
                f"{getattr(signxml_verify, 'last', '')}")
    return [w for w, _ in sigs]


def must_not_verify(rel, cert="keys/idp.crt"):
    """Negative check: xmlsec1 must refuse every signature of this vector."""
    data = read(rel)
    f = tmpfile(data)
    for which, _ in signatures_in(data):
        if xmlsec_verify(f, path(cert), which):
            die(f"{rel}: the {which} signature unexpectedly verifies")


def must_verify_crypto(data, which, cert="keys/idp.crt"):
    f = tmpfile(data)
    if not xmlsec_verify(f, path(cert), which):
        die(f"base document: xmlsec1 does not verify the {which} signature")


# ---------------------------------------------------------------------------------------------
# Manifest helpers
# ---------------------------------------------------------------------------------------------
def settings(idp=GEN_IDP, certs=("keys/idp.crt",), allow_sha1=False, now=NOW, irt=None,
             skew=180):
    return {
        "idp_entity_id": idp,
        "sp_entity_id": SP,
        "acs_url": ACS,
        "certs": list(certs),
        "allow_sha1": allow_sha1,
        "skew_seconds": skew,
        "now": now,
        "in_response_to": irt,
    }


def ok(name_id, fmt, email, issuer, aid):
    return {"ok": True, "name_id": name_id, "name_id_format": fmt, "email": email,
            "issuer": issuer, "assertion_id": aid}


def err(*codes):
    for c in codes:
        if c not in ALLOWED_ERRORS:
            die(f"unknown error code {c}")
    if not 1 <= len(codes) <= 3:
        die("1 to 3 error codes per vector")
    return {"ok": False, "error": list(codes)}


# signxml's bundled schema rejects InclusiveNamespaces inside CanonicalizationMethod (strict
# wildcard), so it cannot check these; xmlsec1 still must.
SIGNXML_CANNOT = {"valid/inclusive-prefixlist-signedinfo.xml"}


def add(file, description, signer, sett, expect):
    MANIFEST.append({"file": file, "description": description, "signer": signer,
                     "settings": sett, "expect": expect})
    if expect["ok"]:
        VALID_CHECKS.append((file, sett["certs"]))


def check_expect_fields(data, exp):
    """Cross-check expected name_id / assertion_id / issuer against the XML itself."""
    root = parse(data)
    a = root.find("saml:Assertion", NSMAP)
    if a.get("ID") != exp["assertion_id"]:
        die(f"assertion id mismatch {a.get('ID')} != {exp['assertion_id']}")
    nid = a.find("saml:Subject/saml:NameID", NSMAP)
    if nid.xpath("string()") != exp["name_id"]:
        die(f"name_id mismatch {nid.xpath('string()')!r} != {exp['name_id']!r}")
    if nid.get("Format") != exp["name_id_format"]:
        die("name_id_format mismatch")
    if a.find("saml:Issuer", NSMAP).xpath("string()") != exp["issuer"]:
        die("issuer mismatch")


# =============================================================================================
# VALID VECTORS
# =============================================================================================
def gen_valid():
    out = {}

    # --- Okta: both signed, saml2p/saml2, xs declared on the Response only, PrefixList="xs" ---
    okta_idp = "http://www.okta.com/exk1"
    rid, aid = "id17672256000001234567890", "id17672256000009876543210"
    ot = "2026-01-01T00:00:00.000Z"
    xsi_attrs = [
        attr_xml("saml2", "email", [JANE], ATTR_UNSPEC, xsi_type="xs:string",
                 xsi_decl_on_value=True),
        attr_xml("saml2", "firstName", ["Jane"], ATTR_UNSPEC, xsi_type="xs:string",
                 xsi_decl_on_value=True),
        attr_xml("saml2", "lastName", ["Smith"], ATTR_UNSPEC, xsi_type="xs:string",
                 xsi_decl_on_value=True),
        attr_xml("saml2", "groups", ["Everyone", "Engineering"], ATTR_UNSPEC,
                 xsi_type="xs:string", xsi_decl_on_value=True),
    ]
    okta_sig = dict(prefixlist="xs")
    x = response(name="okta", P="saml2p", A="saml2", ns_on_root=False,
                 root_extra=f' xmlns:xs="{XS_NS}"', rid=rid, aid=aid, issue_instant=ot,
                 resp_issuer=okta_idp, a_issuer=okta_idp, issuer_attrs=f' Format="{FMT_ENTITY}"',
                 rsig=okta_sig, asig=okta_sig, not_before="2025-12-31T23:55:00.000Z",
                 not_on_or_after="2026-01-01T00:05:00.000Z", scd_noa="2026-01-01T00:05:00.000Z",
                 authn_instant="2025-12-31T23:59:50.000Z", session_index=aid.replace("id", "_", 1),
                 attrs=xsi_attrs)
    data = sign(x, okta_sig, okta_sig)
    write("valid/okta-shaped.xml", data)
    add("valid/okta-shaped.xml",
        "Okta-shaped: Response and Assertion both signed (xmlsec1, rsa-sha256/sha256), saml2p/saml2 "
        "prefixes, timestamps with .000Z fractions, xmlns:xs declared only on the Response root and "
        "used in xsi:type=\"xs:string\" attribute values; both Reference transforms carry "
        "InclusiveNamespaces PrefixList=\"xs\" so both digests depend on honouring it.",
        "xmlsec1", settings(idp=okta_idp), ok(JANE, FMT_EMAIL, JANE, okta_idp, aid))

    # --- Entra ID: only the Assertion signed, default namespace Assertion + Signature ---
    entra_idp = "https://sts.windows.net/7f3c1a2e-5b4d-4e8f-9a0b-1c2d3e4f5a6b/"
    rid, aid = "_3f1d4a2b-8c7e-4b6a-9d5f-0e1a2b3c4d5e", "_9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    et = "2026-01-01T00:00:00.000Z"
    entra_attrs = [
        attr_xml("", "http://schemas.microsoft.com/identity/claims/tenantid",
                 ["7f3c1a2e-5b4d-4e8f-9a0b-1c2d3e4f5a6b"]),
        attr_xml("", "http://schemas.microsoft.com/identity/claims/objectidentifier",
                 ["0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"]),
        attr_xml("", "http://schemas.microsoft.com/identity/claims/displayname",
                 ["Jane Smith-Ødegård"]),
        attr_xml("", "http://schemas.microsoft.com/identity/claims/identityprovider",
                 [entra_idp]),
        attr_xml("", "http://schemas.microsoft.com/claims/authnmethodsreferences",
                 ["http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"]),
        attr_xml("", CLAIMS + "givenname", ["Jane"]),
        attr_xml("", CLAIMS + "surname", ["Smith"]),
        attr_xml("", CLAIMS + "emailaddress", [JANE]),
        attr_xml("", CLAIMS + "name", [JANE]),
    ]
    entra_sig = dict(style="default")
    x = response(name="entra", P="samlp", A="", rid=rid, aid=aid, issue_instant=et,
                 resp_issuer=entra_idp, a_issuer=entra_idp, asig=entra_sig,
                 not_before="2025-12-31T23:55:00.000Z", not_on_or_after="2026-01-01T00:05:00.000Z",
                 scd_noa="2026-01-01T00:05:00.000Z", authn_instant="2025-12-31T23:59:50.000Z",
                 session_index=aid, attrs=entra_attrs, attrs_first=True)
    data = sign(x, None, entra_sig)
    write("valid/entra-shaped.xml", data)
    add("valid/entra-shaped.xml",
        "Entra ID-shaped: only the Assertion signed; Assertion and its Signature use default "
        "namespaces (<Assertion xmlns=\"urn:...assertion\">, <Signature xmlns=\"...xmldsig#\">), "
        "NameID emailAddress, claims attributes (emailaddress, name, non-ASCII displayname), "
        "AttributeStatement before AuthnStatement.",
        "xmlsec1", settings(idp=entra_idp), ok(JANE, FMT_EMAIL, JANE, entra_idp, aid))

    # --- AD FS: Assertion signed, NameID unspecified (not an email), short SCD lifetime ---
    adfs_idp = "http://adfs.decorumsoft.com/adfs/services/trust"
    rid, aid = "_6c1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a", "_1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    at = "2026-01-01T00:00:00.000Z"
    adfs_attrs = [
        attr_xml("", CLAIMS + "emailaddress", [JANE]),
        attr_xml("", CLAIMS + "upn", ["jsmith@corp.decorumsoft.com"]),
        attr_xml("", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
                 ["Domain Users", "Engineering"]),
    ]
    adfs_sig = dict(style="adfs")
    x = response(name="adfs", P="samlp", A="", rid=rid, aid=aid, issue_instant=at,
                 root_extra=' Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified"',
                 resp_issuer=adfs_idp, a_issuer=adfs_idp, asig=adfs_sig,
                 name_id="DECORUMSOFT\\jsmith", name_id_format=FMT_UNSPEC,
                 not_before="2025-12-31T23:55:00.000Z", not_on_or_after="2026-01-01T01:00:00.000Z",
                 scd_noa="2026-01-01T00:05:00.000Z", authn_instant="2025-12-31T23:59:50.000Z",
                 session_index=aid, attrs=adfs_attrs, attrs_first=True)
    data = sign(x, None, adfs_sig)
    write("valid/adfs-shaped.xml", data)
    add("valid/adfs-shaped.xml",
        "AD FS-shaped: Assertion signed (ds: prefixed Signature, KeyInfo in the default xmldsig "
        "namespace), Consent attribute, NameID unspecified 'DECORUMSOFT\\jsmith' (not an address): "
        "email comes from the claims emailaddress attribute; SubjectConfirmationData NotOnOrAfter "
        "00:05 is shorter than Conditions NotOnOrAfter 01:00.",
        "xmlsec1", settings(idp=adfs_idp),
        ok("DECORUMSOFT\\jsmith", FMT_UNSPEC, JANE, adfs_idp, aid))
    out["adfs"] = ("valid/adfs-shaped.xml", adfs_idp)

    # --- Google Workspace: only the Response signed, NameID without Format ---
    g_idp = "https://accounts.google.com/o/saml2?idpid=C01abcdef"
    rid, aid = "_8a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d", "_4f6a8c0e2b4d6f8a0c2e4a6c8e0b2d4f"
    gsig = dict()
    x = response(name="google", P="saml2p", A="saml2", ns_on_root=False, rid=rid, aid=aid,
                 resp_issuer=g_idp, a_issuer=g_idp, rsig=gsig, name_id_format=None,
                 session_index=aid)
    data = sign(x, gsig, None)
    write("valid/google-shaped.xml", data)
    add("valid/google-shaped.xml",
        "Google Workspace-shaped: only the Response is signed (its signature covers the unsigned "
        "Assertion); NameID has no Format attribute and contains the address.",
        "xmlsec1", settings(idp=g_idp), ok(JANE, None, JANE, g_idp, aid))

    # --- OneLogin: both signed, User.email attribute, also as CRLF-wrapped base64 ---
    ol_idp = "https://app.onelogin.com/saml/metadata/1234567"
    rid = "Rc0ffee1234567890abcdef1234567890abcdef00"
    aid = "pfx6a4c1c3e-5d8b-4c7a-9e0f-1234567890ab"
    ol_attrs = [
        attr_xml("saml", "User.email", [JANE], ATTR_BASIC, xsi_type="xs:string"),
        attr_xml("saml", "User.FirstName", ["Jane"], ATTR_BASIC, xsi_type="xs:string"),
        attr_xml("saml", "User.LastName", ["Smith"], ATTR_BASIC, xsi_type="xs:string"),
        attr_xml("saml", "memberOf", ["engineering;everyone"], ATTR_BASIC, xsi_type="xs:string"),
    ]
    osig = dict()
    x = response(name="onelogin", rid=rid, aid=aid, resp_issuer=ol_idp, a_issuer=ol_idp,
                 a_extra=f' xmlns:xs="{XS_NS}" xmlns:xsi="{XSI_NS}"', rsig=osig, asig=osig,
                 attrs=ol_attrs, session_index="_be9967abd904ddcae3c0eb4189adbe3f71e327cf93")
    data = sign(x, osig, osig)
    write("valid/onelogin-shaped.xml", data)
    add("valid/onelogin-shaped.xml",
        "OneLogin-shaped: Response and Assertion signed, NameID emailAddress, User.email / "
        "User.FirstName attributes with xsi:type=\"xs:string\" (xs and xsi declared on the "
        "Assertion, no InclusiveNamespaces: xmlns:xs is dropped by exc-c14n).",
        "xmlsec1", settings(idp=ol_idp), ok(JANE, FMT_EMAIL, JANE, ol_idp, aid))
    b64 = base64.b64encode(data).decode()
    wrapped = "\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)) + "\r\n"
    write("valid/onelogin-shaped.b64", wrapped.encode())
    add("valid/onelogin-shaped.b64",
        "The OneLogin-shaped response as an HTTP-POST SAMLResponse value: base64, CRLF line-wrapped "
        "at 76 characters.",
        "xmlsec1", settings(idp=ol_idp), ok(JANE, FMT_EMAIL, JANE, ol_idp, aid))

    # --- Shibboleth: Assertion signed, transient NameID, mail OID, PrefixList="xsd" ---
    sh_idp = "https://idp.decorumsoft.com/idp/shibboleth"
    rid, aid = "_0a1b2c3d4e5f60718293a4b5c6d7e8f9", "_f9e8d7c6b5a4938271605f4e3d2c1b0a"
    transient = "AAdzZWNyZXQxvC8s9m0mLk2Qe+5R0uG9Y3xk0ZrW"
    sh_attrs = [
        attr_xml("saml2", "urn:oid:0.9.2342.19200300.100.1.3", [JANE], ATTR_URI, friendly="mail",
                 xsi_type="xsd:string", xsi_decl_on_value=True),
        attr_xml("saml2", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6", ["jsmith@decorumsoft.com"], ATTR_URI,
                 friendly="eduPersonPrincipalName", xsi_type="xsd:string", xsi_decl_on_value=True),
        attr_xml("saml2", "urn:oid:2.5.4.42", ["Jane"], ATTR_URI, friendly="givenName",
                 xsi_type="xsd:string", xsi_decl_on_value=True),
    ]
    ssig = dict(prefixlist="xsd")
    x = response(name="shib", P="saml2p", A="saml2", ns_on_root=False, rid=rid, aid=aid,
                 resp_issuer=sh_idp, a_issuer=sh_idp, a_extra=f' xmlns:xsd="{XS_NS}"', asig=ssig,
                 name_id=transient, name_id_format=FMT_TRANSIENT,
                 name_id_attrs=f' NameQualifier="{sh_idp}" SPNameQualifier="{SP}"',
                 attrs=sh_attrs, session_index="_7d3f1c9e2b4a6c8e0f1a3b5c7d9e1f2a")
    data = sign(x, None, ssig)
    write("valid/shibboleth-shaped.xml", data)
    add("valid/shibboleth-shaped.xml",
        "Shibboleth-shaped: Assertion signed with InclusiveNamespaces PrefixList=\"xsd\" (xmlns:xsd "
        "on the Assertion is only used inside xsi:type values, so the digest depends on the "
        "PrefixList); transient opaque NameID; email from urn:oid:0.9.2342.19200300.100.1.3.",
        "xmlsec1", settings(idp=sh_idp), ok(transient, FMT_TRANSIENT, JANE, sh_idp, aid))

    # --- Generic bases (also valid vectors on their own) ---
    for kind, rs, as_ in (("both", {}, {}), ("assertion", None, {}), ("response", {}, None)):
        name = f"generic-{kind}-signed"
        x = response(name=name, rsig=rs, asig=as_,
                     attrs=[attr_xml("saml", "email", [JANE], ATTR_BASIC)])
        data = sign(x, rs, as_)
        rel = write(f"valid/{name}.xml", data)
        what = {"both": "Response and Assertion", "assertion": "only the Assertion",
                "response": "only the Response"}[kind]
        add(rel, f"Generic samlp/saml response, {what} signed (xmlsec1, rsa-sha256). Base for "
            "the attack/ and conditions/ vectors.", "xmlsec1", settings(),
            ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid(name, "a")))
        out[kind] = rel

    # --- Algorithms ---
    specs = [
        ("rsa-sha512-4096", "idp4096", dict(alg="rsa-sha512", dig="sha512"),
         "rsa-sha512 signatures with sha512 digests on Response and Assertion, RSA-4096 key."),
        ("rsa-sha384", "idp", dict(alg="rsa-sha384", dig="sha384"),
         "rsa-sha384 signatures with sha384 digests on Response and Assertion."),
        ("idp2-rollover", "idp2", dict(),
         "Signed with the second IdP key (idp2); both idp.crt and idp2.crt are configured "
         "(certificate rollover), so it must verify."),
    ]
    for name, key, sg, desc in specs:
        x = response(name=name, rsig=sg, asig=sg)
        data = sign(x, sg, sg, key=key)
        rel = write(f"valid/{name}.xml", data)
        certs = {"idp4096": ["keys/idp4096.crt"], "idp": ["keys/idp.crt"],
                 "idp2": ["keys/idp.crt", "keys/idp2.crt"]}[key]
        add(rel, desc, "xmlsec1", settings(certs=certs),
            ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid(name, "a")))
    out["idp2"] = "valid/idp2-rollover.xml"

    # SHA-1
    sg = dict(alg="rsa-sha1", dig="sha1")
    x = response(name="rsa-sha1", rsig=sg, asig=sg)
    rel = write("valid/rsa-sha1.xml", sign(x, sg, sg))
    add(rel, "rsa-sha1 signatures with sha1 digests; accepted because allow_sha1 is true.",
        "xmlsec1", settings(allow_sha1=True), ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("rsa-sha1", "a")))
    out["sha1"] = rel

    # InclusiveNamespaces on the CanonicalizationMethod too (SignedInfo c14n depends on it)
    sg = dict(prefixlist="xs ds", c14n_prefixlist="xs")
    x = response(name="inclusive-c14n-method", root_extra=f' xmlns:xs="{XS_NS}"', rsig=sg, asig=sg,
                 attrs=[attr_xml("saml", "email", [JANE], ATTR_BASIC, xsi_type="xs:string",
                                 xsi_decl_on_value=True)])
    rel = write("valid/inclusive-prefixlist-signedinfo.xml", sign(x, sg, sg))
    add(rel, "InclusiveNamespaces PrefixList=\"xs\" on the SignedInfo CanonicalizationMethod (so the "
        "SignedInfo bytes include xmlns:xs from the Response root) and PrefixList=\"xs ds\" on the "
        "Reference exc-c14n transforms (ds is not in scope at the signed elements, so it adds "
        "nothing). Both Response and Assertion signed.",
        "xmlsec1", settings(), ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("inclusive-c14n-method", "a")))

    # SP-initiated
    sg = dict()
    x = response(name="sp-initiated", irt="_req123", scd_irt="_req123", rsig=sg, asig=sg)
    rel = write("valid/sp-initiated.xml", sign(x, sg, sg))
    add(rel, "SP-initiated: InResponseTo=\"_req123\" on the Response and on "
        "SubjectConfirmationData; the SP expects _req123.",
        "xmlsec1", settings(irt="_req123"),
        ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("sp-initiated", "a")))
    out["sp"] = rel

    # Indented (pretty-printed BEFORE signing, as some IdPs emit)
    x = response(name="indented", rsig={}, asig={},
                 attrs=[attr_xml("saml", "mail", [JANE], ATTR_BASIC)])
    tree = etree.fromstring(x.encode())
    etree.indent(tree, space="  ")
    x = etree.tostring(tree, encoding="unicode")
    rel = write("valid/indented-before-signing.xml", sign(x, {}, {}))
    add(rel, "Indented with newlines/spaces BEFORE signing, including inside the ds:Signature "
        "templates: whitespace text nodes are part of the signed content and of the SignedInfo "
        "c14n; base64 values are wrapped by xmlsec1. Both signed.",
        "xmlsec1", settings(), ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("indented", "a")))

    # UTF-8 BOM
    x = response(name="utf8-bom", asig={})
    data = sign(x, None, {})
    rel = write("valid/utf8-bom.xml", b"\xef\xbb\xbf" + data)
    add(rel, "Assertion-signed response preceded by a UTF-8 byte order mark.", "xmlsec1",
        settings(), ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("utf8-bom", "a")))

    # --- signxml-signed ---
    name = "signxml-assertion-signed"
    x = response(name=name, asig=dict(placeholder=True),
                 attrs=[attr_xml("saml", "email", [JANE], ATTR_BASIC)])
    data = signxml_sign(x, ["Assertion"], uid(name, "a"), uid(name, "r"))
    rel = write(f"valid/{name}.xml", data)
    add(rel, "Signed by signxml (not xmlsec1): only the Assertion, rsa-sha256/sha256, exc-c14n.",
        "signxml", settings(), ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid(name, "a")))
    name = "signxml-both-signed"
    x = response(name=name, P="saml2p", A="saml2", ns_on_root=False,
                 root_extra=f' xmlns:xs="{XS_NS}"', rsig=dict(placeholder=True),
                 asig=dict(placeholder=True),
                 attrs=[attr_xml("saml2", "email", [JANE], ATTR_BASIC, xsi_type="xs:string",
                                 xsi_decl_on_value=True)])
    data = signxml_sign(x, ["Assertion", "Response"], uid(name, "a"), uid(name, "r"),
                        alg="rsa-sha512", dig="sha256")
    rel = write(f"valid/{name}.xml", data)
    # (signxml's inclusive_ns_prefixes is not used: signxml 5.2 writes the PrefixList only on the
    # CanonicalizationMethod yet applies it to the Reference digest too, which xmlsec1 rejects.)
    add(rel, "Signed by signxml: Assertion then Response, rsa-sha512 with sha256 digests, "
        "saml2p/saml2 prefixes, xmlns:xs on the Response root used only in xsi:type (no "
        "InclusiveNamespaces, so exc-c14n drops it).",
        "signxml", settings(), ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid(name, "a")))

    # --- Comment injection signed by the IdP (ok, full joined text) ---
    full = JANE + ".evil.example"
    name = "comment-in-nameid"
    x = response(name=name, asig={}, name_id=JANE + "<!---->.evil.example")
    rel = write(f"valid/{name}.xml", sign(x, None, {}))
    add(rel, "NameID text is 'jane.smith@decorumsoft.com<!---->.evil.example' as signed by the IdP. "
        "The signature is valid; the NameID is the FULL joined text (a reader that stops at the "
        "comment would wrongly return jane.smith@decorumsoft.com).",
        "xmlsec1", settings(), ok(full, FMT_EMAIL, full, GEN_IDP, uid(name, "a")))
    name = "comment-in-email-attribute"
    opaque = "_opaque-8c6b1f0e4d2a"
    x = response(name=name, asig={}, name_id=opaque, name_id_format=FMT_TRANSIENT,
                 attrs=[attr_xml("saml", "email", [JANE + "<!---->.evil.example"], ATTR_BASIC)])
    rel = write(f"valid/{name}.xml", sign(x, None, {}))
    add(rel, "Transient NameID; the 'email' attribute value is "
        "'jane.smith@decorumsoft.com<!---->.evil.example' as signed. Email must be the FULL "
        "joined value.",
        "xmlsec1", settings(), ok(opaque, FMT_TRANSIENT, full, GEN_IDP, uid(name, "a")))
    # signed without a comment, comment inserted afterwards: c14n drops comments, still valid
    name = "comment-base"
    x = response(name=name, asig={}, name_id=full)
    base = sign(x, None, {})
    out["comment_base"] = base
    root = parse(base)
    nid = root.find("saml:Assertion/saml:Subject/saml:NameID", NSMAP)
    nid.text = JANE
    c = etree.Comment("")
    c.tail = ".evil.example"
    nid.append(c)
    rel = write("valid/comment-inserted-after-signing.xml", ser(root))
    add(rel, "The IdP signed NameID 'jane.smith@decorumsoft.com.evil.example'; '<!---->' was then "
        "inserted after '...decorumsoft.com' (Duo 2018 style). Comments are not signed, so the "
        "signature stays valid and the NameID must be the full joined text.",
        "xmlsec1+lxml-edit", settings(), ok(full, FMT_EMAIL, full, GEN_IDP, uid(name, "a")))
    return out


# =============================================================================================
# REVIEW FINDINGS (issue #11): where the email comes from, element content in identity fields,
# the xs:dateTime time zone, the schema-strict envelope. Each one signed by xmlsec1.
# =============================================================================================
INTERN = "intern@decorumsoft.com"
S1_NS = "urn:oasis:names:tc:SAML:1.0:assertion"


def edited(x, edit):
    """Parse the unsigned template `x`, apply `edit(root)` with lxml, serialize: the edit is
    made BEFORE signing, so the signature covers it."""
    root = parse(x.encode())
    edit(root)
    return ser(root).decode()


def gen_review():
    def vec(name, desc, expect, x, rsig=None, asig=None):
        rel = write(f"review/{name}.xml", sign(x, rsig, asig))
        add(rel, desc, "xmlsec1", settings(), expect)

    mail = lambda v: attr_xml("saml", "email", [v], ATTR_BASIC)
    a = uid
    # --- finding 2: the NameID is the email only when its Format is emailAddress ---
    n = "persistent-nameid-address"
    vec(n, "Persistent NameID 'ceo@decorumsoft.com' (users can pick it at some IdPs) and email "
        "attribute 'intern@decorumsoft.com': the attribute is the email, never the NameID.",
        ok(EVIL, FMT_PERSISTENT, INTERN, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, name_id=EVIL, name_id_format=FMT_PERSISTENT,
                 attrs=[mail(INTERN)]), asig={})
    n = "persistent-nameid-no-attribute"
    vec(n, "Persistent NameID that looks like an address and no email attribute: no email.",
        ok(EVIL, FMT_PERSISTENT, None, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, name_id=EVIL, name_id_format=FMT_PERSISTENT), asig={})
    n = "transient-nameid-address"
    vec(n, "Transient NameID that looks like an address and no email attribute: no email.",
        ok(EVIL, FMT_TRANSIENT, None, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, name_id=EVIL, name_id_format=FMT_TRANSIENT), asig={})
    n = "unspecified-nameid-with-email-attribute"
    vec(n, "Unspecified NameID 'ceo@...' and email attribute 'intern@...': an unspecified NameID "
        "serves only when no email attribute is present, so the email is intern@.",
        ok(EVIL, FMT_UNSPEC, INTERN, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, name_id=EVIL, name_id_format=FMT_UNSPEC,
                 attrs=[mail(INTERN)]), asig={})
    n = "no-format-nameid-address"
    vec(n, "NameID 'ceo@...' with no Format attribute (unspecified) and no email attribute: the "
        "NameID serves.",
        ok(EVIL, None, EVIL, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, name_id=EVIL, name_id_format=None), asig={})
    n = "email-nameid-attribute-mismatch"
    vec(n, "emailAddress NameID 'ceo@...' and email attribute 'intern@...' disagree: refused.",
        err("email_mismatch"),
        response(name=n, asig={}, name_id=EVIL, attrs=[mail(INTERN)]), asig={})
    n = "email-nameid-attribute-agree"
    vec(n, "emailAddress NameID and an email attribute naming the same address in other case: "
        "accepted, the NameID is the email.",
        ok(JANE, FMT_EMAIL, JANE, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, name_id=JANE, attrs=[mail("Jane.Smith@DecorumSoft.com")]),
        asig={})
    # --- finding 3: element content in identity fields ---
    n = "nameid-element-child"
    vec(n, "NameID 'intern@<b>x</b>decorumsoft.com' as signed: a text-children reader sees "
        "intern@decorumsoft.com, a textContent reader intern@xdecorumsoft.com. Refused.",
        err("identity_markup"),
        response(name=n, asig={}, name_id="intern@<b>x</b>decorumsoft.com"), asig={})
    n = "email-attribute-element-child"
    vec(n, "Transient NameID; email attribute value 'intern@<b>x</b>decorumsoft.com'. Refused.",
        err("identity_markup"),
        response(name=n, asig={}, name_id="_t1", name_id_format=FMT_TRANSIENT,
                 attrs=[mail("intern@<b>x</b>decorumsoft.com")]), asig={})
    n = "other-attribute-element-child"
    vec(n, "An attribute that is not read for identity (eduPersonTargetedID holding a NameID, as "
        "Shibboleth sends it) may hold an element; the email comes from the NameID.",
        ok(JANE, FMT_EMAIL, JANE, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, attrs=[attr_xml(
            "saml", "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
            [f'<saml:NameID Format="{FMT_PERSISTENT}">abc</saml:NameID>'], ATTR_URI)]),
        asig={})
    # --- finding 5: xs:dateTime time zones ---
    n = "timezone-signed-hour"
    vec(n, "Conditions NotOnOrAfter '2026-01-01T00:05:00+-1:00' (a sign inside the hours).",
        err("xml_malformed"),
        response(name=n, asig={}, rsig={}, not_on_or_after="2026-01-01T00:05:00+-1:00"),
        rsig={}, asig={})
    n = "timezone-signed-minutes"
    vec(n, "SubjectConfirmationData NotOnOrAfter '2026-01-01T00:05:00+00:-5'.",
        err("xml_malformed"),
        response(name=n, asig={}, scd_noa="2026-01-01T00:05:00+00:-5"), asig={})
    n = "timezone-offset"
    vec(n, "Conditions NotOnOrAfter '2026-01-01T01:05:00+01:00' (the usual instant, as an offset).",
        ok(JANE, FMT_EMAIL, JANE, GEN_IDP, a(n, "a")),
        response(name=n, asig={}, not_on_or_after="2026-01-01T01:05:00+01:00"), asig={})
    # --- finding 6: the schema-strict envelope (Response signed, so every edit is signed) ---
    n = "response-unknown-element"
    vec(n, "A samlp:Foo after the Assertion in a signed Response.", err("schema_violation"),
        response(name=n, rsig={}, after_assertion="<samlp:Foo/>"), rsig={})
    n = "response-saml1-issuer"
    vec(n, "A SAML 1.0 saml1:Issuer where the Response's Issuer goes.", err("schema_violation"),
        response(name=n, rsig={}, resp_issuer=None,
                 extensions=f'<s1:Issuer xmlns:s1="{S1_NS}">{GEN_IDP}</s1:Issuer>'), rsig={})
    n = "response-second-status"
    vec(n, "Two samlp:Status elements.", err("schema_violation"),
        response(name=n, rsig={}, extensions=f'<samlp:Status><samlp:StatusCode Value="{SUCCESS}"/>'
                 "</samlp:Status>"), rsig={})
    n = "response-signature-last"
    x = response(name=n, after_assertion=sig_tpl(a(n, "r")))
    vec(n, "The Response's Signature after the Assertion, as Auth0 places it: accepted (the one "
        "documented tolerance).", ok(JANE, FMT_EMAIL, JANE, GEN_IDP, a(n, "a")), x, rsig={})

    def move(first, before):
        def edit(root):
            asrt = root.find("saml:Assertion", NSMAP)
            el = asrt.find(first, NSMAP)
            asrt.remove(el)
            asrt.insert(list(asrt).index(asrt.find(before, NSMAP)), el)
        return edit

    def add_child(xml, after):
        def edit(root):
            asrt = root.find("saml:Assertion", NSMAP)
            ref = asrt.find(after, NSMAP)
            ref.addnext(etree.fromstring(xml))
        return edit

    second_subject = (f'<saml:Subject xmlns:saml="{SAML_NS}"><saml:NameID Format="{FMT_EMAIL}">'
                      f"{EVIL}</saml:NameID></saml:Subject>")
    for n, desc, edit in [
        ("assertion-second-subject", "A second saml:Subject (NameID ceo@...) after the first.",
         add_child(second_subject, "saml:Subject")),
        ("assertion-conditions-before-subject", "Conditions moved before Subject.",
         move("saml:Conditions", "saml:Subject")),
        ("assertion-unknown-element", "A saml:Foo between Conditions and AuthnStatement.",
         add_child(f'<saml:Foo xmlns:saml="{SAML_NS}"/>', "saml:Conditions")),
        ("assertion-saml1-subject", "A SAML 1.0 saml1:Subject after the Subject.",
         add_child(f'<s1:Subject xmlns:s1="{S1_NS}"/>', "saml:Subject")),
        ("assertion-second-issuer", "A second saml:Issuer after the first.",
         add_child(f'<saml:Issuer xmlns:saml="{SAML_NS}">{GEN_IDP}</saml:Issuer>',
                   "saml:Issuer")),
    ]:
        x = edited(response(name=n, rsig={}, asig={}), edit)
        vec(n, desc + " Response and Assertion signed after the edit.", err("schema_violation"),
            x, rsig={}, asig={})


# =============================================================================================
# CONDITIONS (each re-signed properly, both Response and Assertion)
# =============================================================================================
def gen_conditions(bases):
    both = bases["both"]
    cond = [
        ("status-responder", dict(status_xml='<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:'
                                  'status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:'
                                  'SAML:2.0:status:AuthnFailed"/></samlp:StatusCode>'),
         "Status Responder/AuthnFailed (an assertion is still present and signed).",
         ["status_not_success"]),
        ("wrong-issuer", dict(resp_issuer="https://idp.attacker.example/metadata",
                              a_issuer="https://idp.attacker.example/metadata"),
         "Response and Assertion Issuer are another entity (signed with the trusted key).",
         ["issuer_mismatch"]),
        ("wrong-destination", dict(destination="https://sp.example.com/saml/other/acs"),
         "Response Destination is another ACS URL.", ["destination_mismatch"]),
        ("wrong-audience", dict(audience="https://sp.example.com/saml/other/metadata"),
         "AudienceRestriction names another SP.", ["audience_mismatch"]),
        ("wrong-recipient", dict(recipient="https://sp.example.com/saml/other/acs"),
         "Bearer SubjectConfirmationData Recipient is another ACS URL.", ["recipient_mismatch"]),
        ("holder-of-key", dict(cm=HOK),
         "The only SubjectConfirmation is holder-of-key, not bearer.", ["bearer_missing"]),
        ("authn-statement-missing", dict(authn=False,
                                         attrs=[attr_xml("saml", "email", [JANE], ATTR_BASIC)]),
         "No AuthnStatement in the assertion (an AttributeStatement only).",
         ["authn_statement_missing"]),
        ("name-id-missing", dict(name_id=None),
         "Subject has a bearer SubjectConfirmation but no NameID.", ["name_id_missing"]),
        ("condition-unknown", dict(conditions_extra=(
            f'<saml:Condition xmlns:xsi="{XSI_NS}" xmlns:ex="urn:example:conditions" '
            'xsi:type="ex:DeviceBoundCondition"/>')),
         "Conditions contain an unknown saml:Condition (xsi:type ex:DeviceBoundCondition).",
         ["condition_unknown"]),
        ("version-1.1", dict(version="1.1"), "Response Version=\"1.1\".",
         ["version_unsupported"]),
        ("logout-response", dict(root_local="LogoutResponse", include_assertion=False),
         "Root is a signed samlp:LogoutResponse, not a Response.", ["not_a_response"]),
        ("assertion-missing", dict(include_assertion=False),
         "Signed Success Response with no Assertion.", ["assertion_missing"]),
    ]
    for name, kw, desc, codes in cond:
        has_a = kw.get("include_assertion", True)
        asig = {} if has_a else None
        x = response(name=name, rsig={}, asig=asig, **kw)
        rel = write(f"conditions/{name}.xml", sign(x, {}, asig))
        add(rel, desc + " Properly signed by the IdP key (xmlsec1).", "xmlsec1", settings(),
            err(*codes))
        must_verify_crypto(read(rel), "Response")

    # Time-based conditions and InResponseTo on existing valid files.
    add(both, "Generic valid response at now=00:08:30, after NotOnOrAfter (00:05) + skew (180 s).",
        "xmlsec1", settings(now="2026-01-01T00:08:30Z"), err("expired"))
    add(both, "Generic valid response at now=23:51:00, before NotBefore (23:55) - skew and before "
        "IssueInstant - skew.", "xmlsec1", settings(now="2025-12-31T23:51:00Z"),
        err("not_yet_valid"))
    add(both, "Generic valid response at now=00:07:30: 150 s after NotOnOrAfter but within the "
        "180 s skew.", "xmlsec1", settings(now="2026-01-01T00:07:30Z"),
        ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("generic-both-signed", "a")))
    add(both, "Generic valid response at now=23:57:30: IssueInstant (00:00) is 150 s in the "
        "future, within the 180 s skew.", "xmlsec1", settings(now="2025-12-31T23:57:30Z"),
        ok(JANE, FMT_EMAIL, JANE, GEN_IDP, uid("generic-both-signed", "a")))
    adfs_rel, adfs_idp = bases["adfs"]
    add(adfs_rel, "AD FS-shaped at now=00:10:00: Conditions (until 01:00) still valid but the "
        "bearer SubjectConfirmationData NotOnOrAfter (00:05) + skew has passed.", "xmlsec1",
        settings(idp=adfs_idp, now="2026-01-01T00:10:00Z"), err("expired"))
    add(bases["sp"], "SP-initiated response (InResponseTo _req123) received while the SP expects "
        "an IdP-initiated one (in_response_to null).", "xmlsec1", settings(),
        err("in_response_to_mismatch"))
    add(bases["sp"], "SP-initiated response answers _req123 but the SP expects _req999.",
        "xmlsec1", settings(irt="_req999"), err("in_response_to_mismatch"))
    add(bases["sha1"], "rsa-sha1/sha1 signed response with allow_sha1 false.", "xmlsec1",
        settings(allow_sha1=False), err("sha1_forbidden"))
    add(bases["idp2"], "Signed with idp2 but only idp.crt is configured.", "xmlsec1",
        settings(certs=["keys/idp.crt"]), err("untrusted_key", "signature_invalid"))
    add(bases["both"], "Generic valid response but the configured issuer is another entity.",
        "xmlsec1", settings(idp="https://idp.other.example/metadata"), err("issuer_mismatch"))


# =============================================================================================
# ATTACKS
# =============================================================================================
def first(root, xp):
    r = root.xpath(xp, namespaces=NSMAP)
    if not r:
        die(f"xpath {xp} found nothing")
    return r[0]


def new_before_status(root, local):
    """A new samlp:<local> child of the root (reusing the root's samlp prefix) before Status."""
    el = etree.SubElement(root, f"{{{SAMLP_NS}}}{local}")
    root.find("samlp:Status", NSMAP).addprevious(el)
    return el


def set_nameid(a, value):
    first(a, "saml:Subject/saml:NameID").text = value


def strip_sig(el):
    for s in el.findall("ds:Signature", NSMAP):
        el.remove(s)
    return el


def gen_attacks(bases):
    A_SIGNED = read(bases["assertion"])   # only Assertion signed
    R_SIGNED = read(bases["response"])    # only Response signed
    BOTH = read(bases["both"])

    def A(desc, codes, name, data, signer="xmlsec1+lxml-edit", sett=None):
        rel = write(f"attack/{name}", data)
        add(rel, desc, signer, sett or settings(), err(*codes))
        return rel

    # ---- XSW1..XSW8 (Somorovsky et al. 2012) ----
    root = parse(R_SIGNED)
    orig = strip_sig(copy.deepcopy(root))
    sig = root.find("ds:Signature", NSMAP)
    sig.append(orig)
    root.set("ID", "_evil-response")
    set_nameid(root.find("saml:Assertion", NSMAP), EVIL)
    A("XSW1 (Response signed): the root Response gets a new ID and an evil assertion (NameID "
      "ceo@...); its Signature is kept and an unsigned copy of the original Response (original ID) "
      "is appended inside the ds:Signature, where the Reference now points. The copy keeps the "
      "assertion's ID, so a parser that refuses duplicate IDs stops it first.",
      ["reference_invalid", "multiple_assertions", "duplicate_id"], "xsw1.xml", ser(root))

    root = parse(R_SIGNED)
    orig = strip_sig(copy.deepcopy(root))
    sig = root.find("ds:Signature", NSMAP)
    root.insert(list(root).index(sig), orig)
    root.set("ID", "_evil-response")
    set_nameid(root.find("saml:Assertion", NSMAP), EVIL)
    A("XSW2 (Response signed): like XSW1 but the unsigned copy of the original Response is "
      "inserted as a child of the evil root Response before the (now detached) Signature.",
      ["reference_invalid", "multiple_assertions", "duplicate_id"], "xsw2.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    evil = strip_sig(copy.deepcopy(a))
    evil.set("ID", "_evil-assertion")
    set_nameid(evil, EVIL)
    root.insert(list(root).index(a), evil)
    A("XSW3 (Assertion signed): an unsigned evil assertion with a new ID is inserted as a sibling "
      "BEFORE the original signed assertion.",
      ["multiple_assertions", "signature_missing"], "xsw3.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    evil = strip_sig(copy.deepcopy(a))
    evil.set("ID", "_evil-assertion")
    set_nameid(evil, EVIL)
    root.replace(a, evil)
    evil.append(a)
    A("XSW4 (Assertion signed): the evil assertion (new ID, unsigned) replaces the original, and "
      "the original signed assertion becomes a child of the evil one.",
      ["multiple_assertions", "signature_missing", "signature_misplaced"], "xsw4.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    copy_a = strip_sig(copy.deepcopy(a))
    a.set("ID", "_evil-assertion")
    set_nameid(a, EVIL)
    root.append(copy_a)
    A("XSW5 (Assertion signed): the signed assertion is modified in place (new ID, evil NameID, "
      "keeps its Signature); an unsigned copy of the original (original ID) is appended at the end "
      "of the Response for the Reference to find.",
      ["reference_invalid", "multiple_assertions"], "xsw5.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    copy_a = strip_sig(copy.deepcopy(a))
    a.set("ID", "_evil-assertion")
    set_nameid(a, EVIL)
    a.find("ds:Signature", NSMAP).append(copy_a)
    A("XSW6 (Assertion signed): evil assertion in place (new ID) keeps the Signature; the unsigned "
      "original assertion (original ID) is placed inside that ds:Signature.",
      ["reference_invalid", "multiple_assertions"], "xsw6.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    evil = strip_sig(copy.deepcopy(a))
    set_nameid(evil, EVIL)
    new_before_status(root, "Extensions").append(evil)
    A("XSW7 (Assertion signed): samlp:Extensions holding an unsigned evil assertion with the SAME ID "
      "as the signed one is inserted before Status (an SP reading the first assertion gets ceo@).",
      ["multiple_assertions", "duplicate_id"], "xsw7.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    orig = strip_sig(copy.deepcopy(a))
    set_nameid(a, EVIL)
    obj = etree.SubElement(a.find("ds:Signature", NSMAP), f"{{{DS_NS}}}Object")
    obj.append(orig)
    A("XSW8 (Assertion signed): the signed assertion is modified in place (same ID, evil NameID); "
      "the unsigned original (same ID) is placed inside a ds:Object in its Signature.",
      ["duplicate_id", "multiple_assertions"], "xsw8.xml", ser(root))

    # ---- comment injection changing the signed NameID ----
    root = parse(bases["comment_base"])
    nid = first(root, "saml:Assertion/saml:Subject/saml:NameID")
    nid.text = JANE
    nid.append(etree.Comment(".evil.example"))
    A("Comment injection after signing: the IdP signed NameID "
      "'jane.smith@decorumsoft.com.evil.example'; the attacker turned the suffix into a comment "
      "('jane.smith@decorumsoft.com<!--.evil.example-->'), which changes the canonical text.",
      ["digest_mismatch"], "comment-injection-truncates-nameid.xml", ser(root))
    must_not_verify("attack/comment-injection-truncates-nameid.xml")

    # ---- attacker key ----
    x = response(name="attacker-cert", asig={})
    A("Signed by the attacker's key with the attacker's certificate in KeyInfo (same subject DN "
      "as the IdP's); only idp.crt is configured.",
      ["untrusted_key", "signature_invalid"], "attacker-cert.xml",
      sign(x, None, {}, key="attacker"), signer="xmlsec1")
    must_not_verify("attack/attacker-cert.xml")
    if not xmlsec_verify(path("attack/attacker-cert.xml"), path("keys/attacker.crt"), "Assertion"):
        die("attacker-cert.xml does not verify with the attacker's own certificate")

    # ---- HMAC keyed with the IdP certificate ----
    root = parse(A_SIGNED)
    sig = first(root, "saml:Assertion/ds:Signature")
    first(sig, "ds:SignedInfo/ds:SignatureMethod").set("Algorithm", SIG_ALGS["hmac-sha256"])
    si = first(sig, "ds:SignedInfo")
    mac = hmac.new(cert_der("idp"), exc_c14n(si), hashlib.sha256).digest()
    first(sig, "ds:SignatureValue").text = base64.b64encode(mac).decode()
    data = ser(root)
    # cross-check the HMAC with xmlsec1 (KeyInfo removed so the HMAC key is used)
    chk = parse(data)
    for k in chk.iter(f"{{{DS_NS}}}KeyInfo"):
        k.getparent().remove(k)
    keyf = tmpfile(cert_der("idp"), suffix=".bin")
    f = tmpfile(ser(chk))
    p = run(["xmlsec1", "--verify", "--hmackey", keyf, *ID_ATTRS, "--node-xpath",
             XPATH_SIG["Assertion"], f], check=False)
    if p.returncode != 0:
        die("HMAC vector does not verify with xmlsec1 --hmackey: " + p.stderr.decode()[-400:])
    A("Key confusion: SignatureMethod hmac-sha256 whose SignatureValue is a valid HMAC over the "
      "SignedInfo keyed with the DER bytes of the IdP certificate (public). Verified with "
      "xmlsec1 --hmackey.", ["algorithm_unsupported"], "hmac-sha256-cert-key.xml", data,
      signer="python-hmac")

    # ---- duplicate IDs ----
    root = parse(A_SIGNED)
    aid = root.find("saml:Assertion", NSMAP).get("ID")
    ext = new_before_status(root, "Extensions")
    m = etree.SubElement(ext, "{urn:example:ext}Marker", nsmap={"ex": "urn:example:ext"})
    m.set("ID", aid)
    A("An ex:Marker element in samlp:Extensions carries the same ID as the signed Assertion.",
      ["duplicate_id"], "duplicate-id.xml", ser(root))

    # ---- two assertions ----
    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    forged = strip_sig(copy.deepcopy(a))
    forged.set("ID", "_forged-assertion")
    set_nameid(forged, EVIL)
    root.append(forged)
    A("A second, unsigned forged assertion (new ID, ceo@) appended after the signed one.",
      ["multiple_assertions"], "two-assertions.xml", ser(root))

    # ---- Reference to another element ----
    name = "reference-to-assertion"
    aid = uid(name, "a")
    x = response(name=name)
    # place a Response-level template whose Reference points at the Assertion
    x = x.replace("</saml:Issuer>", "</saml:Issuer>" + sig_tpl(aid), 1)
    data = sign(x, {}, None)
    must_verify_crypto(data, "Response")
    A("A Response-level Signature (cryptographically valid, xmlsec1) whose Reference URI is "
      "\"#<Assertion ID>\" instead of the Response's own ID; the Assertion has no signature.",
      ["reference_invalid"], f"{name}.xml", data, signer="xmlsec1")

    name = "reference-empty-uri"
    x = response(name=name, rsig={})
    x = x.replace(f'URI="#{uid(name, "r")}"', 'URI=""', 1)
    data = sign(x, {}, None)
    must_verify_crypto(data, "Response")
    A("Response Signature with Reference URI=\"\" (whole document) instead of \"#\"+ID; "
      "cryptographically valid (xmlsec1).", ["reference_invalid"], f"{name}.xml", data,
      signer="xmlsec1")

    # ---- XSLT / XPath transforms ----
    xslt = ('<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116">'
            '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
            '<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/>'
            '</xsl:copy></xsl:template></xsl:stylesheet></ds:Transform>')
    xpath_t = ('<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'
               '<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>')
    for name, tr, label in (("transform-xslt", xslt, "an XSLT (identity stylesheet)"),
                            ("transform-xpath", xpath_t, "an XPath filter")):
        sg = dict(extra_transforms=tr)
        x = response(name=name, asig=sg)
        try:
            data = sign(x, None, sg)
            f = tmpfile(data)
            if not xmlsec_verify(f, path("keys/idp.crt"), "Assertion"):
                raise ToolError("xmlsec1 does not verify its own " + name)
            how, signer = "signed by xmlsec1 with it (cryptographically valid)", "xmlsec1"
        except ToolError as e:
            print(f"note: {name}: xmlsec1 could not sign/verify it ({e}); editing instead")
            root = parse(A_SIGNED)
            ts = first(root, "saml:Assertion/ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms")
            ts.insert(1, etree.fromstring(f'<w xmlns:ds="{DS_NS}">{tr}</w>')[0])
            data = ser(root)
            how, signer = "inserted after signing", "xmlsec1+lxml-edit"
        A(f"The Assertion Reference has {label} transform between enveloped-signature and "
          f"exc-c14n; {how}.", ["transform_forbidden"], f"{name}.xml", data, signer=signer)

    # ---- CVE-2024-45409 (ruby-saml): smuggled DigestValue / SignedInfo ----
    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    if digest_of(a) != first(a, "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue").text:
        die("digest_of() disagrees with xmlsec1")
    set_nameid(a, EVIL)
    newd = digest_of(a)
    ext = new_before_status(root, "Extensions")
    dv = etree.SubElement(ext, f"{{{DS_NS}}}DigestValue", nsmap={"ds": DS_NS})
    dv.text = newd
    A("CVE-2024-45409 (ruby-saml): assertion NameID changed to ceo@ after signing; a ds:DigestValue "
      "holding the digest of the TAMPERED assertion is placed in samlp:Extensions (first "
      "//ds:DigestValue in document order). The real SignedInfo is untouched.",
      ["digest_mismatch", "signature_misplaced", "signature_invalid"],
      "cve-2024-45409-extensions-digestvalue.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    set_nameid(a, EVIL)
    newd = digest_of(a)
    si = copy.deepcopy(first(a, "ds:Signature/ds:SignedInfo"))
    first(si, "ds:Reference/ds:DigestValue").text = newd
    detail = etree.SubElement(root.find("samlp:Status", NSMAP), f"{{{SAMLP_NS}}}StatusDetail")
    detail.append(si)
    A("CVE-2024-45409 variant: tampered assertion (ceo@) and a copy of ds:SignedInfo whose "
      "DigestValue is the tampered assertion's digest placed in samlp:StatusDetail.",
      ["digest_mismatch", "signature_misplaced", "signature_invalid"],
      "cve-2024-45409-statusdetail-signedinfo.xml", ser(root))

    # ---- CVE-2020-15216 (goxmldsig): two SignedInfo ----
    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    set_nameid(a, EVIL)
    newd = digest_of(a)
    sig = a.find("ds:Signature", NSMAP)
    si2 = copy.deepcopy(first(sig, "ds:SignedInfo"))
    first(si2, "ds:Reference/ds:DigestValue").text = newd
    sig.insert(0, si2)
    A("CVE-2020-15216 (goxmldsig): the Signature holds two ds:SignedInfo: first a forged one whose "
      "DigestValue matches the tampered assertion (ceo@), then the genuine one that the "
      "SignatureValue covers.", ["signature_malformed"], "cve-2020-15216-two-signedinfo.xml",
      ser(root))

    # ---- other signature-structure attacks ----
    root = parse(A_SIGNED)
    sv = first(root, "saml:Assertion/ds:Signature/ds:SignatureValue")
    sv.getparent().remove(sv)
    A("The Assertion's ds:Signature has no SignatureValue.", ["signature_malformed"],
      "signature-value-missing.xml", ser(root))

    root = parse(A_SIGNED)
    first(root, "saml:Assertion/ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue").text = \
        "!!not*base64!!"
    A("DigestValue is not base64.", ["signature_malformed"], "digest-value-bad-base64.xml",
      ser(root))

    root = parse(A_SIGNED)
    ref = first(root, "saml:Assertion/ds:Signature/ds:SignedInfo/ds:Reference")
    ref.addnext(copy.deepcopy(ref))
    A("SignedInfo with two (identical) Reference elements.", ["signature_malformed"],
      "two-references.xml", ser(root))

    root = parse(A_SIGNED)
    sv = first(root, "saml:Assertion/ds:Signature/ds:SignatureValue")
    raw = bytearray(base64.b64decode("".join(sv.text.split())))
    raw[10] ^= 0x01
    sv.text = base64.b64encode(bytes(raw)).decode()
    A("One bit of the SignatureValue flipped.", ["signature_invalid"],
      "signature-value-tampered.xml", ser(root))
    must_not_verify("attack/signature-value-tampered.xml")

    root = parse(A_SIGNED)
    first(root, "saml:Assertion/saml:AttributeStatement/saml:Attribute/saml:AttributeValue").text = \
        EVIL
    A("The signed email attribute value changed to ceo@ after signing.", ["digest_mismatch"],
      "attribute-tampered.xml", ser(root))
    must_not_verify("attack/attribute-tampered.xml")

    root = parse(A_SIGNED)
    sig = first(root, "saml:Assertion/ds:Signature")
    new_before_status(root, "Extensions").append(copy.deepcopy(sig))
    A("A copy of the Assertion's ds:Signature placed inside samlp:Extensions (a Signature that is "
      "not a child of the Response or the Assertion).", ["signature_misplaced"],
      "signature-in-extensions.xml", ser(root))

    root = parse(A_SIGNED)
    a = root.find("saml:Assertion", NSMAP)
    sig = a.find("ds:Signature", NSMAP)
    first(a, "saml:Subject").append(sig)
    A("The Assertion's own (valid) Signature moved from after the Issuer into saml:Subject; no "
      "Response signature.", ["signature_misplaced", "signature_missing"],
      "signature-in-subject.xml", ser(root))

    for name, xp, alg, desc in (
        ("digest-method-md5", "ds:SignedInfo/ds:Reference/ds:DigestMethod",
         "http://www.w3.org/2001/04/xmldsig-more#md5", "DigestMethod md5."),
        ("signature-method-dsa", "ds:SignedInfo/ds:SignatureMethod",
         "http://www.w3.org/2009/xmldsig11#dsa-sha256", "SignatureMethod dsa-sha256."),
        ("c14n-method-unknown", "ds:SignedInfo/ds:CanonicalizationMethod",
         "urn:example:unknown-c14n", "CanonicalizationMethod with an unknown URI."),
    ):
        root = parse(A_SIGNED)
        first(root, "saml:Assertion/ds:Signature/" + xp).set("Algorithm", alg)
        A(desc + " (edited after signing.)", ["algorithm_unsupported"], f"{name}.xml", ser(root))

    # ---- unsigned ----
    x = response(name="unsigned")
    A("Neither the Response nor the Assertion is signed.", ["signature_missing"], "unsigned.xml",
      b'<?xml version="1.0"?>\n' + x.encode(), signer="none")

    # ---- DOCTYPE family (textual edits of signed documents) ----
    def with_doctype(data, dtd):
        head = b'<?xml version="1.0"?>\n'
        if not data.startswith(head):
            die("unexpected xmlsec1 header")
        return head + dtd + b"\n" + data[len(head):]

    dtd = (b"<!DOCTYPE samlp:Response [<!ELEMENT samlp:Response ANY>"
           b"<!ATTLIST saml:Assertion ID ID #IMPLIED>]>")
    A("A signed response with an internal DTD subset (no entities used).", ["doctype_forbidden"],
      "doctype-dtd.xml", with_doctype(BOTH, dtd), signer="xmlsec1+byte-edit")
    d = with_doctype(A_SIGNED, b'<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM '
                               b'"file:///etc/passwd">]>')
    d = d.replace(f">{JANE}</saml:NameID>".encode(), b">&xxe;</saml:NameID>", 1)
    A("XXE: external entity to file:///etc/passwd referenced inside NameID.",
      ["doctype_forbidden"], "xxe-file.xml", d, signer="xmlsec1+byte-edit")
    lol = b'<!DOCTYPE samlp:Response [<!ENTITY lol "lol">'
    prev = "lol"
    for i in range(1, 10):
        lol += f'<!ENTITY lol{i} "{("&" + prev + ";") * 10}">'.encode()
        prev = f"lol{i}"
    lol += b"]>"
    d = with_doctype(A_SIGNED, lol).replace(f">{JANE}</saml:NameID>".encode(),
                                            b">&lol9;</saml:NameID>", 1)
    A("Billion laughs: nested entities (10^9 expansion) referenced inside NameID.",
      ["doctype_forbidden"], "billion-laughs.xml", d, signer="xmlsec1+byte-edit")

    # ---- size / depth ----
    root = parse(A_SIGNED)
    ext = new_before_status(root, "Extensions")
    pad = etree.SubElement(ext, "{urn:example:pad}Padding", nsmap={"pad": "urn:example:pad"})
    pad.set("data", "A" * 1000)
    pad.text = "\n" + " " * 99 + "\n"
    d = ser(root)
    filler = (b" " * 127 + b"\n") * (3_000_000 // 128)
    d = d.replace(b"\n" + b" " * 99 + b"\n", filler, 1)
    if not 3_000_000 <= len(d) < 3_200_000:
        die(f"size vector has {len(d)} bytes")
    A(f"Validly signed assertion plus ~3 MB ({len(d)} bytes) of whitespace in a samlp:Extensions "
      "padding element: over the 1 MiB input limit.", ["input_too_large"], "too-large-3mb.xml", d,
      signer="xmlsec1+byte-edit")

    head, sep, tail = A_SIGNED.partition(b"<samlp:Status>")
    deep = (b'<samlp:Extensions><d:n xmlns:d="urn:example:deep">' + b"<d:n>" * 9999 +
            b"</d:n>" * 10000 + b"</samlp:Extensions>")
    A("10,000 nested elements inside samlp:Extensions of an assertion-signed response "
      "(limit: 128 levels).", ["depth_exceeded"], "deep-10000.xml", head + deep + sep + tail,
      signer="xmlsec1+byte-edit")


# =============================================================================================
# MALFORMED
# =============================================================================================
def gen_malformed(bases):
    A_SIGNED = read(bases["assertion"])

    def M(desc, codes, name, data, signer="none"):
        rel = write(f"malformed/{name}", data)
        add(rel, desc, signer, settings(), err(*codes))

    M("Empty file (0 bytes).", ["input_empty"], "empty.xml", b"")
    M("Only whitespace (spaces, CRLF, tab).", ["input_empty"], "whitespace-only.xml",
      b"  \r\n\t \r\n")
    g = b""
    h = b"saml-verify garbage"
    while len(g) < 512:
        h = hashlib.sha256(h).digest()
        g += h
    M("'<' followed by 511 pseudo-random bytes (sha256 chain).", ["xml_malformed"], "garbage.bin",
      b"<" + g[:511])
    M("A validly signed response cut in half.", ["xml_malformed"], "truncated.xml",
      A_SIGNED[: len(A_SIGNED) // 2], signer="xmlsec1+truncate")
    M("Invalid UTF-8 bytes (0xFF 0xFE 0xC3 0x28) inside the NameID of a signed response.",
      ["xml_malformed"], "bad-utf8.xml",
      A_SIGNED.replace(f">{JANE}<".encode(), b">jane\xff\xfe\xc3\x28@decorumsoft.com<", 1),
      signer="xmlsec1+byte-edit")
    M("Element with an unbound prefix (foo:Bar) inserted before Status.", ["xml_malformed"],
      "unbound-prefix.xml",
      A_SIGNED.replace(b"<samlp:Status>", b"<samlp:Extensions><foo:Bar/></samlp:Extensions>"
                       b"<samlp:Status>", 1), signer="xmlsec1+byte-edit")
    M("Mismatched end tag (</saml:Subjekt> closes <saml:Subject>).", ["xml_malformed"],
      "mismatched-tags.xml", A_SIGNED.replace(b"</saml:Subject>", b"</saml:Subjekt>", 1),
      signer="xmlsec1+byte-edit")
    M("The Assertion start tag has Version twice.", ["duplicate_attribute", "xml_malformed"],
      "duplicate-attribute.xml",
      A_SIGNED.replace(b' Version="2.0"><saml:Issuer>', b' Version="2.0" Version="2.0">'
                       b'<saml:Issuer>', 1), signer="xmlsec1+byte-edit")
    M("Two attributes with the same expanded name through different prefixes bound to one URI "
      "(a:x and b:x, both urn:example:same) on the Subject.",
      ["duplicate_attribute", "xml_malformed"], "duplicate-attribute-ns.xml",
      A_SIGNED.replace(b"<saml:Subject>", b'<saml:Subject xmlns:a="urn:example:same" '
                       b'xmlns:b="urn:example:same" a:x="1" b:x="2">', 1),
      signer="xmlsec1+byte-edit")
    b64 = base64.b64encode(A_SIGNED).decode()
    bad = b64[:200] + "*%$" + b64[200:400] + "\u00e9" + b64[400:]
    M("SAMLResponse value with characters outside the base64 alphabet ('*', '%', '$', 'é').",
      ["base64_invalid"], "base64-invalid.b64", bad.encode("utf-8"))


# =============================================================================================
# C14N
# =============================================================================================
C14N_CASES = {
    "default-ns-undeclared":
        b'<root xmlns="urn:example:a"><child xmlns=""><leaf attr="v"/></child><other/></root>',
    "default-ns-empty-superfluous":
        b'<root><child xmlns=""><x xmlns="urn:example:b"><y xmlns=""/><z/></x></child></root>',
    "redundant-redeclaration":
        b'<a:root xmlns:a="urn:example:a"><a:c xmlns:a="urn:example:a"><a:d xmlns:a="urn:example:a"'
        b' xmlns:b="urn:example:a">t</a:d></a:c></a:root>',
    "prefix-rebound":
        b'<p:root xmlns:p="urn:example:one"><p:c xmlns:p="urn:example:two"><p:d '
        b'xmlns:p="urn:example:one"/><p:e/></p:c><p:f/></p:root>',
    "attribute-sorting":
        b'<r xmlns:b="urn:example:b" xmlns:a="urn:example:z" xmlns="urn:example:default" z="1" '
        b'a="2" b:y="3" a:x="4" b:a="5" xml:lang="en" Z="6"/>',
    "attribute-sorting-same-local":
        b'<r xmlns:z="urn:example:a" xmlns:a="urn:example:z" a:k="2" z:k="1" k="0"/>',
    "attribute-charrefs":
        b'<r a="x&#9;y&#13;z&#10;w" b="&#x20;&#xD;&#xA;&#x9;" c="&#32;lead"/>',
    "attribute-literal-whitespace":
        b'<r a="line1\nline2\ttab\r\nend\rx" b="  spaced  "/>',
    "escaping":
        b'<r a="&amp; &lt; &gt; &quot; \' &apos;" b=\'single "quoted"\'>text &amp; &lt;tag&gt; '
        b'&quot;q&quot; \' ]]&gt; &#62; &#38;</r>',
    "cdata":
        b'<r><a><![CDATA[a <b> & c "d" \'e\' ]]></a><b>x<![CDATA[]]>y</b><c><![CDATA[\r\n]]></c></r>',
    "line-endings":
        b'<r>line1\r\nline2\rline3\nline4&#13;&#10;end<a attr="x">\r\n</a>\r\r\n</r>',
    "pi-inside-root":
        b'<r><?app-target some data ?><a/><?empty?><b>t<?inner x="1"?>u</b></r>',
    "comments-dropped":
        b'<r><!-- top --><a>t<!-- mid -->u</a><!----><b/></r>',
    "empty-elements":
        b'<r><a/><b></b><c x="1"/><d>  </d><e xmlns:unused="urn:example:u"/></r>',
    "xml-lang-space":
        b'<r xml:lang="en" xml:space="preserve"><c xml:lang="fr">  x  </c><d xml:space="default"/>'
        b'</r>',
    "non-ascii-utf8":
        '<r a="é ß" é="1" b="x"><名前>日本語 ü € 😀</名前></r>'.encode("utf-8"),
    "charref-astral":
        b'<r a="&#x10000;&#233;">&#x10000;&#x1F600;&#169;&#xA0;&#x7F;&#x85;&#x2028;</r>',
    "ns-deep-use":
        b'<r xmlns:d="urn:example:deep" xmlns:u="urn:example:unused"><a><b><c><d:leaf d:attr="1"/>'
        b'</c></b></a><d:x/></r>',
    "unused-ns":
        b'<r xmlns:u1="urn:example:u1" xmlns:u2="urn:example:u2" xmlns="urn:example:default">'
        b'<c xmlns:u3="urn:example:u3"/></r>',
    "attr-prefix-only":
        b'<r xmlns:x="urn:example:x"><c x:attr="1"><d/></c></r>',
    "xml-declaration-standalone":
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<r><a>t</a></r>',
    "saml-xsi-type-qname":
        b'<saml:Attribute xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        b'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Name="email">'
        b'<saml:AttributeValue xsi:type="xs:string">v</saml:AttributeValue></saml:Attribute>',
}


def xmllint_exc(file):
    """`xmllint --exc-c14n` WITHOUT comments.

    xmllint's --exc-c14n always keeps comments, so a document that has comments is first
    re-parsed with comments removed (lxml remove_comments: the text around a comment becomes one
    text node) and that copy is canonicalized; exclusive c14n of the comment-free copy with
    comments equals exclusive c14n of the original without comments. Every result is
    cross-checked against lxml's own exclusive c14n without comments.
    """
    if run(["xmllint", "--noout", "--nonet", file], check=False).returncode != 0:
        return 1, b""
    with open(file, "rb") as f:
        data = f.read()
    try:
        parse(data)
    except etree.XMLSyntaxError:
        return 1, b""  # e.g. namespace errors xmllint only warns about
    src = file
    if b"<!--" in data:
        nc = etree.fromstring(data, etree.XMLParser(remove_comments=True, resolve_entities=False,
                                                    no_network=True))
        src = tmpfile(etree.tostring(nc.getroottree(), encoding="UTF-8", xml_declaration=True))
    p = run(["xmllint", "--nonet", "--exc-c14n", src], check=False)
    if p.returncode != 0:
        return p.returncode, b""
    ref = etree.tostring(parse(data).getroottree(), method="c14n", exclusive=True,
                         with_comments=False)
    if p.stdout != ref:
        die(f"xmllint and lxml disagree on the exclusive c14n of {file}")
    if b"<!--" in p.stdout:
        die(f"comment left in the c14n of {file}")
    return 0, p.stdout


def gen_c14n():
    index = []
    for rel in sorted({v["file"] for v in MANIFEST}):
        if not rel.endswith(".xml"):
            continue
        data = read(rel)
        if b"<!DOCTYPE" in data:
            continue
        if len(data) > 1_000_000:
            continue  # the 3 MB vector: refused on size before any parsing
        rc, out = xmllint_exc(path(rel))
        if rc != 0:
            print(f"c14n: skipping {rel} (xmllint cannot parse it)")
            continue  # not well-formed (or deeper than xmllint's own limit)
        outrel = "c14n/" + rel.replace("/", "__") + ".exc"
        write(outrel, out)
        index.append({"input": rel, "output": outrel})
    for name, data in C14N_CASES.items():
        rel = write(f"c14n/cases/{name}.xml", data)
        rc, out = xmllint_exc(path(rel))
        if rc != 0:
            die(f"xmllint rejects c14n case {name}")
        outrel = write(f"c14n/cases/{name}.exc", out)
        index.append({"input": rel, "output": outrel})
    write("c14n/index.json", json.dumps({"tool": "xmllint --exc-c14n (no comments)",
                                         "pairs": index}, indent=1) + "\n")
    return index


# =============================================================================================
def main():
    for t in ("xmlsec1", "xmllint", "openssl"):
        if shutil.which(t) is None:
            die(f"{t} not found")
    for d in ("valid", "attack", "conditions", "malformed", "review", "c14n"):
        shutil.rmtree(path(d), ignore_errors=True)
    ensure_keys()
    bases = gen_valid()
    gen_conditions(bases)
    gen_attacks(bases)
    gen_malformed(bases)
    gen_review()

    for rel, certs in VALID_CHECKS:
        verify_valid(rel, certs)
    for v in MANIFEST:
        if v["expect"]["ok"] and v["file"].endswith(".xml"):
            check_expect_fields(read(v["file"]), v["expect"])

    check_prefixlist_matters("valid/okta-shaped.xml", "Response", ["xs"])
    check_prefixlist_matters("valid/okta-shaped.xml", "Assertion", ["xs"])
    check_prefixlist_matters("valid/shibboleth-shaped.xml", "Assertion", ["xsd"])
    # the SignedInfo of this one needs the CanonicalizationMethod's PrefixList too
    r = parse(read("valid/inclusive-prefixlist-signedinfo.xml"))
    si = first(r, "ds:Signature/ds:SignedInfo")
    if b"xmlns:xs=" not in exc_c14n(si, ["xs"]) or b"xmlns:xs=" in exc_c14n(si):
        die("inclusive-prefixlist-signedinfo: SignedInfo c14n does not depend on PrefixList")

    index = gen_c14n()
    write("manifest.json", json.dumps({"vectors": MANIFEST}, indent=1, ensure_ascii=False) + "\n")
    n_ok = sum(v["expect"]["ok"] for v in MANIFEST)
    print(f"{len(MANIFEST)} manifest entries ({n_ok} ok, {len(MANIFEST) - n_ok} refusals), "
          f"{len(VALID_CHECKS)} valid entries verified with xmlsec1 and signxml, "
          f"{len(index)} c14n pairs")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
