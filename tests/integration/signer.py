"""SAML 2.0 Responses signed at test time by an independent signer: Debian's `xmlsec1 --sign`.

Nothing here shares code with the worker. The IdP key/certificate (and an attacker's) are made
once per process with the `openssl` CLI in a temporary directory; responses carry current
timestamps and random IDs. Every builder returns the XML as bytes; tests base64 it for the form.

    idp = TestIdP()                       # keys made on first use
    xml = idp.response("jane.smith@decorumsoft.com", sp_entity_id=..., acs_url=...)
    xml = idp.response(..., sign="both", in_response_to="_req1", expired=True, attacker=True)
    bad = xsw_extensions(xml)             # post-signing tampering helpers

Standard library only (plus the `xmlsec1` and `openssl` executables).
"""

from __future__ import annotations

import atexit
import datetime as _dt
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from xml.sax.saxutils import escape as _xml_escape

NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"

FORMAT_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
FORMAT_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_REQUESTER = "urn:oasis:names:tc:SAML:2.0:status:Requester"

DEFAULT_IDP_ENTITY_ID = "https://idp.example.com/metadata"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


class SignerError(RuntimeError):
    pass


def _attr(value: str) -> str:
    return _xml_escape(value, {'"': "&quot;"})


def _ts(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    """A random xs:ID (must not start with a digit)."""
    return "_" + secrets.token_hex(20)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60, **kw)
    except FileNotFoundError as e:
        raise SignerError(f"{cmd[0]} not found: install it (Debian: apt-get install xmlsec1 openssl)") from e


def _make_keypair(directory: str, name: str, cn: str) -> tuple[str, str]:
    key = os.path.join(directory, f"{name}.key.pem")
    cert = os.path.join(directory, f"{name}.cert.pem")
    p = _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
              "-subj", f"/CN={cn}", "-keyout", key, "-out", cert])
    if p.returncode != 0:
        raise SignerError("openssl req failed: " + p.stderr.decode(errors="replace"))
    return key, cert


def signature_template(ref_id: str) -> str:
    """A ds:Signature template for xmlsec1: enveloped + exc-c14n, rsa-sha256, sha256, URI=#ID."""
    return (
        f'<ds:Signature xmlns:ds="{NS_DS}">'
        "<ds:SignedInfo>"
        f'<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
        f'<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>'
        f'<ds:Reference URI="#{ref_id}">'
        "<ds:Transforms>"
        f'<ds:Transform Algorithm="{ENVELOPED}"/>'
        f'<ds:Transform Algorithm="{EXC_C14N}"/>'
        "</ds:Transforms>"
        f'<ds:DigestMethod Algorithm="{SHA256}"/>'
        "<ds:DigestValue></ds:DigestValue>"
        "</ds:Reference>"
        "</ds:SignedInfo>"
        "<ds:SignatureValue></ds:SignatureValue>"
        "<ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</ds:Signature>"
    )


class TestIdP:
    """A test IdP: a key pair (plus an attacker's) and a builder of signed responses."""

    __test__ = False  # not a unittest class

    def __init__(self, entity_id: str = DEFAULT_IDP_ENTITY_ID, directory: str | None = None):
        for tool in ("xmlsec1", "openssl"):
            if shutil.which(tool) is None:
                raise SignerError(f"{tool} not found on PATH: apt-get install xmlsec1 openssl")
        self.entity_id = entity_id
        if directory is None:
            directory = tempfile.mkdtemp(prefix="saml-test-idp-")
            atexit.register(shutil.rmtree, directory, True)
        self.dir = directory
        self.key, self.cert = _make_keypair(directory, "idp", "Test IdP")
        self.attacker_key, self.attacker_cert = _make_keypair(directory, "attacker", "Test IdP")

    @property
    def cert_pem(self) -> str:
        with open(self.cert, encoding="ascii") as f:
            return f.read()

    @property
    def attacker_cert_pem(self) -> str:
        with open(self.attacker_cert, encoding="ascii") as f:
            return f.read()

    # -- building ------------------------------------------------------------------------------

    def response(
        self,
        email: str | None,
        *,
        sp_entity_id: str,
        acs_url: str,
        sign: str = "assertion",
        in_response_to: str | None = None,
        audience: str | None = None,
        recipient: str | None = None,
        destination: str | None = None,
        issuer: str | None = None,
        assertion_issuer: str | None = None,
        expired: bool = False,
        not_yet_valid: bool = False,
        name_id: str | None = None,
        name_id_format: str | None = None,
        email_attribute: bool = True,
        attributes: dict | None = None,
        attacker: bool = False,
        status: str = STATUS_SUCCESS,
        response_id: str | None = None,
        assertion_id: str | None = None,
        session_index: str | None = None,
        now: _dt.datetime | None = None,
        _defer: list | None = None,
    ) -> bytes:
        """A signed Response for `email`.

        sign: "assertion" | "response" | "both" | "none".
        name_id/name_id_format: defaults to the email with the emailAddress format; pass an opaque
        value and FORMAT_PERSISTENT to carry the email only in the `email` attribute.
        email_attribute: include the `email` attribute (when email is not None).
        attributes: more attributes, name -> list of string values (an IdP's claim shapes).
        destination: None means the ACS URL; "" leaves the attribute out.
        expired: every window ended about an hour ago. not_yet_valid: starts in an hour.
        attacker: sign with the attacker's key (its own certificate goes in KeyInfo).
        """
        if sign not in ("assertion", "response", "both", "none"):
            raise ValueError(f"sign={sign!r}")
        now = now or _dt.datetime.now(_dt.timezone.utc)
        if expired:
            now = now - _dt.timedelta(hours=1)
        if not_yet_valid:
            now = now + _dt.timedelta(hours=1)
        rid = response_id or new_id()
        aid = assertion_id or new_id()
        issuer = self.entity_id if issuer is None else issuer
        assertion_issuer = issuer if assertion_issuer is None else assertion_issuer
        audience = sp_entity_id if audience is None else audience
        recipient = acs_url if recipient is None else recipient
        destination = acs_url if destination is None else destination
        if name_id is None:
            name_id = email or ""
        if name_id_format is None:
            name_id_format = FORMAT_EMAIL
        session_index = session_index or new_id()

        issue_instant = _ts(now)
        not_before = _ts(now - _dt.timedelta(minutes=1))
        not_on_or_after = _ts(now + _dt.timedelta(minutes=5))
        irt = f' InResponseTo="{_attr(in_response_to)}"' if in_response_to else ""
        dest = f' Destination="{_attr(destination)}"' if destination else ""

        extra = dict(attributes or {})
        if email is not None and email_attribute:
            extra = {"email": [email], **extra}
        attributes = ""
        if extra:
            attributes = "<saml:AttributeStatement>" + "".join(
                f'<saml:Attribute Name="{_attr(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">'
                + "".join(
                    '<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                    f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{_xml_escape(v)}</saml:AttributeValue>'
                    for v in values)
                + "</saml:Attribute>"
                for name, values in extra.items()) + "</saml:AttributeStatement>"

        assertion_sig = signature_template(aid) if sign in ("assertion", "both") else ""
        assertion = (
            f'<saml:Assertion xmlns:saml="{NS_SAML}" ID="{aid}" Version="2.0" IssueInstant="{issue_instant}">'
            f"<saml:Issuer>{_xml_escape(assertion_issuer)}</saml:Issuer>"
            f"{assertion_sig}"
            "<saml:Subject>"
            f'<saml:NameID Format="{_attr(name_id_format)}">{_xml_escape(name_id)}</saml:NameID>'
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData{irt} NotOnOrAfter="{not_on_or_after}" Recipient="{_attr(recipient)}"/>'
            "</saml:SubjectConfirmation>"
            "</saml:Subject>"
            f'<saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_on_or_after}">'
            f"<saml:AudienceRestriction><saml:Audience>{_xml_escape(audience)}</saml:Audience></saml:AudienceRestriction>"
            "</saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{issue_instant}" SessionIndex="{session_index}">'
            "<saml:AuthnContext><saml:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml:AuthnContextClassRef></saml:AuthnContext>"
            "</saml:AuthnStatement>"
            f"{attributes}"
            "</saml:Assertion>"
        )
        response_sig_marker = "<!--RESPONSE-SIGNATURE-->"
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<samlp:Response xmlns:samlp="{NS_SAMLP}" xmlns:saml="{NS_SAML}" ID="{rid}" Version="2.0" '
            f'IssueInstant="{issue_instant}"{dest}{irt}>'
            f"<saml:Issuer>{_xml_escape(issuer)}</saml:Issuer>"
            f"{response_sig_marker}"
            f'<samlp:Status><samlp:StatusCode Value="{_attr(status)}"/></samlp:Status>'
            f"{assertion}"
            "</samlp:Response>"
        )

        key, cert = (self.attacker_key, self.attacker_cert) if attacker else (self.key, self.cert)
        if _defer is not None:  # responses(): signed later, many per xmlsec1 run
            if sign != "assertion":
                raise ValueError("responses() signs assertions only (sign='assertion')")
            _defer.append((xml.replace(response_sig_marker, ""), key, cert))
            return b""
        if sign in ("assertion", "both"):
            # First pass: the only template present is the Assertion's.
            xml = self._xmlsec_sign(xml.replace(response_sig_marker, ""), key, cert)
            if sign == "both":
                xml = _insert_after_first_issuer(xml, signature_template(rid))
        else:
            repl = signature_template(rid) if sign == "response" else ""
            xml = xml.replace(response_sig_marker, repl)
        if sign in ("response", "both"):
            # The Response template follows the Response's Issuer, before the Assertion: it is the
            # first ds:Signature in document order, the one xmlsec1 signs; pin it by XPath anyway.
            xml = self._xmlsec_sign(xml, key, cert, node_xpath="/*[local-name()='Response']/*[local-name()='Signature']")
        return xml.encode("utf-8")

    def responses(self, specs, **common) -> list[bytes]:
        """Many assertion-signed responses at once: one xmlsec1 run per 100 (about 4 ms each
        instead of about 50 ms for response()). specs: an iterable of keyword dicts for
        response() (its `email` included), merged over `common`; sign must stay "assertion"."""
        templates: list = []
        for spec in specs:
            kw = {**common, **spec}
            self.response(kw.pop("email"), _defer=templates, **kw)
        out: list[bytes | None] = [None] * len(templates)
        groups: dict = {}
        for i, (_, key, cert) in enumerate(templates):
            groups.setdefault((key, cert), []).append(i)
        for (key, cert), idxs in groups.items():
            for start in range(0, len(idxs), 100):
                chunk = idxs[start:start + 100]
                signed = self._xmlsec_sign_many([templates[i][0] for i in chunk], key, cert)
                for i, xml in zip(chunk, signed):
                    out[i] = xml.encode("utf-8")
        return out  # type: ignore[return-value]

    def _xmlsec_sign_many(self, xmls: list[str], key: str, cert: str) -> list[str]:
        d = tempfile.mkdtemp(dir=self.dir)
        try:
            paths = []
            for i, xml in enumerate(xmls):
                path = os.path.join(d, f"{i}.xml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(xml)
                paths.append(path)
            p = _run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}",
                      "--id-attr:ID", f"{NS_SAMLP}:Response", "--id-attr:ID", f"{NS_SAML}:Assertion", *paths])
            if p.returncode != 0:
                raise SignerError("xmlsec1 --sign failed: " + p.stderr.decode(errors="replace"))
            # xmlsec1 prints each signed document in turn, each starting with its XML declaration.
            docs = ["<?xml" + part for part in p.stdout.decode("utf-8").split("<?xml")[1:]]
            if len(docs) != len(xmls):
                raise SignerError(f"xmlsec1 signed {len(docs)} of {len(xmls)} documents")
            return [doc.rstrip("\n") + "\n" for doc in docs]
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def _xmlsec_sign(self, xml: str, key: str, cert: str, node_xpath: str | None = None) -> str:
        fd, path = tempfile.mkstemp(suffix=".xml", dir=self.dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(xml)
            cmd = [
                "xmlsec1", "--sign",
                "--privkey-pem", f"{key},{cert}",
                "--id-attr:ID", f"{NS_SAMLP}:Response",
                "--id-attr:ID", f"{NS_SAML}:Assertion",
            ]
            if node_xpath:
                cmd += ["--node-xpath", node_xpath]
            cmd.append(path)
            p = _run(cmd)
            if p.returncode != 0:
                raise SignerError("xmlsec1 --sign failed: " + p.stderr.decode(errors="replace"))
            return p.stdout.decode("utf-8")
        finally:
            os.unlink(path)


def _insert_after_first_issuer(xml: str, fragment: str) -> str:
    end = xml.index("</saml:Issuer>") + len("</saml:Issuer>")
    return xml[:end] + fragment + xml[end:]


# -- post-signing tampering (string surgery, so the signed bytes stay byte-identical) ------------

_ASSERTION_RE = re.compile(r"<saml:Assertion\b.*?</saml:Assertion>", re.S)
_SIGNATURE_RE = re.compile(r"<ds:Signature\b.*?</ds:Signature>", re.S)


def _text(xml: bytes) -> str:
    return xml.decode("utf-8")


def _evil_copy(assertion: str, evil_email: str) -> str:
    """An unsigned copy of `assertion` with a new ID and `evil_email` as NameID and attribute."""
    evil = _SIGNATURE_RE.sub("", assertion)
    evil = re.sub(r'ID="[^"]*"', f'ID="{new_id()}"', evil, count=1)
    evil = re.sub(r"(<saml:NameID\b[^>]*>)[^<]*(</saml:NameID>)", rf"\g<1>{evil_email}\g<2>", evil)
    evil = re.sub(r"(<saml:AttributeValue\b[^>]*>)[^<]*(</saml:AttributeValue>)", rf"\g<1>{evil_email}\g<2>", evil)
    return evil


def xsw_extensions(xml: bytes, evil_email: str = "evil.admin@decorumsoft.com") -> bytes:
    """Signature wrapping: the signed Assertion moves into samlp:Extensions (where a naive
    verifier still finds it by ID) and an unsigned evil Assertion takes its place."""
    s = _text(xml)
    m = _ASSERTION_RE.search(s)
    if not m:
        raise ValueError("no assertion")
    original = m.group(0)
    evil = _evil_copy(original, evil_email)
    s = s[: m.start()] + evil + s[m.end():]
    ext = f"<samlp:Extensions>{original}</samlp:Extensions>"
    # Extensions come after Issuer (and the Response's Signature, if any), before Status.
    i = s.index("<samlp:Status>")
    s = s[:i] + ext + s[i:]
    return s.encode("utf-8")


def xsw_sibling(xml: bytes, evil_email: str = "evil.admin@decorumsoft.com", evil_first: bool = True) -> bytes:
    """Signature wrapping: an unsigned evil Assertion beside the signed one."""
    s = _text(xml)
    m = _ASSERTION_RE.search(s)
    if not m:
        raise ValueError("no assertion")
    original = m.group(0)
    evil = _evil_copy(original, evil_email)
    both = evil + original if evil_first else original + evil
    return (s[: m.start()] + both + s[m.end():]).encode("utf-8")


def xsw_response_wrap(xml: bytes, evil_email: str = "evil.admin@decorumsoft.com") -> bytes:
    """Signature wrapping of a Response-signed message: a new Response (new ID, an unsigned evil
    Assertion) keeps the original ds:Signature and carries the original signed Response, minus
    its enveloped signature, in samlp:Extensions, so `URI="#id"` still resolves to bytes that
    verify for a verifier that looks the ID up anywhere."""
    s = _text(xml)
    if s.startswith("<?xml"):
        s = s[s.index("?>") + 2 :].lstrip()
    sig_m = _SIGNATURE_RE.search(s)
    if not sig_m or s.index("<saml:Assertion") < sig_m.start():
        raise ValueError("the Response must be signed")
    original = s[: sig_m.start()] + s[sig_m.end():]
    a = _ASSERTION_RE.search(s)
    evil = s[: a.start()] + _evil_copy(a.group(0), evil_email) + s[a.end():]
    evil = re.sub(r'ID="[^"]*"', f'ID="{new_id()}"', evil, count=1)
    i = evil.index("<samlp:Status>")
    evil = evil[:i] + f"<samlp:Extensions>{original}</samlp:Extensions>" + evil[i:]
    return ('<?xml version="1.0" encoding="UTF-8"?>' + evil).encode("utf-8")


def inject_comment(xml: bytes, email: str, split_at: str) -> bytes:
    """Insert `<!---->` into every text occurrence of `email` (NameID, attribute) right after
    `split_at`, e.g. inject_comment(x, "jon@decorumsoft.com.evil.io", "jon@decorumsoft.com") gives
    `jon@decorumsoft.com<!---->.evil.io`. Exclusive c14n without comments drops the comment, so a
    signature over the original still verifies: only the text a verifier reads differs."""
    if not email.startswith(split_at):
        raise ValueError("split_at must be a prefix of email")
    s = _text(xml)
    target = f">{_xml_escape(email)}<"
    if target not in s:
        raise ValueError("email not found as element text")
    head, tail = email[: len(split_at)], email[len(split_at):]
    s = s.replace(target, f">{_xml_escape(head)}<!---->{_xml_escape(tail)}<")
    return s.encode("utf-8")


def replace_text(xml: bytes, old: str, new: str) -> bytes:
    """Plain post-signing edit (breaks the digest of whatever signed `old`)."""
    s = _text(xml)
    if old not in s:
        raise ValueError(f"{old!r} not found")
    return s.replace(old, new).encode("utf-8")


def swap_keyinfo_certificate(xml: bytes, cert_pem: str) -> bytes:
    """Replace every KeyInfo certificate with `cert_pem` (e.g. an attacker's signature that claims
    the real IdP's certificate)."""
    body = "".join(l for l in cert_pem.strip().splitlines() if "-----" not in l)
    s = re.sub(r"(<ds:X509Certificate>)[^<]*(</ds:X509Certificate>)", rf"\g<1>{body}\g<2>", _text(xml))
    return s.encode("utf-8")


def with_doctype(xml: bytes) -> bytes:
    """Insert an (XXE-style) DOCTYPE after the XML declaration."""
    s = _text(xml)
    decl_end = s.index("?>") + 2 if s.startswith("<?xml") else 0
    doctype = '<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return (s[:decl_end] + doctype + s[decl_end:]).encode("utf-8")


def assertion_id_of(xml: bytes) -> str:
    m = re.search(r'<saml:Assertion\b[^>]*\bID="([^"]*)"', _text(xml))
    if not m:
        raise ValueError("no assertion ID")
    return m.group(1)
