#!/usr/bin/env python3
"""Generate the committed XML Encryption (EncryptedAssertion) test vectors for saml-verify.

How to run (from anywhere; re-runnable, it rewrites every *.xml here and manifest.json):

    python3 generate.py

Needs: xmlsec1 (Debian package `xmlsec1`, tested with 1.2.37), openssl, and the PyPI packages
`lxml`, `signxml`, `cryptography` (all already needed by ../generate.py) plus `xmlsec`
(`pip install xmlsec==1.3.17`: its manylinux wheel bundles libxmlsec1 1.3.9, which is only used
for the two xenc11#rsa-oaep vectors, because xmlsec1 1.2.x implements neither
http://www.w3.org/2009/xmlenc11#rsa-oaep nor any OAEP digest other than SHA-1).

What it does:
  * keys/: creates sp (PKCS#8), sp2 (PKCS#1, "BEGIN RSA PRIVATE KEY") and wrong (PKCS#8) RSA-2048
    keys with self-signed certificates (valid 2020..2099) unless they already exist.
  * Builds responses with the templates of ../generate.py (imported, not copied), signs the
    Assertion with `xmlsec1 --sign` (idp.key from ../keys) BEFORE encryption, encrypts the whole
    <saml:Assertion> element in place inside <saml:EncryptedAssertion> with `xmlsec1 --encrypt`
    (template file + --session-key / --aeskey + --pubkey-cert-pem keys/sp.crt + --node-xpath),
    and signs the Response (if wanted) AFTER encryption. Negative vectors are edits of that
    output (byte flips in base64-decoded CipherValues, moved elements); no AES or RSA is done here
    except for verification.
  * Checks every positive vector: decrypts with `xmlsec1 --decrypt --privkey-pem keys/...`
    (python-xmlsec for the xenc11 ones), verifies the Assertion signature of the decrypted
    document and the Response signature of the vector with `xmlsec1 --verify --enabled-key-data
    x509 --pubkey-cert-pem ../keys/idp.crt --id-attr:ID ...`, and decrypts a second time with the
    `cryptography` package, requiring the plaintext to be byte-identical to the signed Assertion.
    Negative vectors are checked to fail where they should (tampered ciphertext does not decrypt,
    wrong key does not decrypt, swapped ciphertext decrypts but breaks the Response signature).
    Any failed check aborts the script.
  * manifest.json: every vector with its settings (paths relative to this directory) and the
    expected outcome.

Determinism: the keys are reused and the RSA PKCS#1 v1.5 signatures are deterministic, so the
signed Assertions (and all IDs, descriptions and the manifest) are byte-identical on every run.
The encryption is not: xmlsec1 draws a fresh session key / IV / GCM nonce / OAEP seed from the
OpenSSL RNG and offers no way to fix them, so CipherValues change on every run.

Fixed clock: IssueInstant 2026-01-01T00:00:00Z, NotBefore 2025-12-31T23:55:00Z,
NotOnOrAfter 2026-01-01T00:05:00Z, settings.now 2026-01-01T00:01:00Z, skew 180 s.
"""

import base64
import copy
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
PARENT = os.path.dirname(HERE)

# The signed-vector generator: templates (response, sig_tpl, attr_xml), xmlsec1 signing and
# verification helpers, temp files. Importing it does not run it (its main() is guarded).
_spec = importlib.util.spec_from_file_location("signed_vectors", os.path.join(PARENT, "generate.py"))
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)

SAML = V.SAML_NS
SAMLP = V.SAMLP_NS
DS = V.DS_NS
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"

CIPHERS = {  # name -> (EncryptionMethod URI, xmlsec1 --session-key, key bytes)
    "aes128-cbc": (XENC + "aes128-cbc", "aes-128", 16),
    "aes192-cbc": (XENC + "aes192-cbc", "aes-192", 24),
    "aes256-cbc": (XENC + "aes256-cbc", "aes-256", 32),
    "aes128-gcm": (XENC11 + "aes128-gcm", "aes-128", 16),
    "aes192-gcm": (XENC11 + "aes192-gcm", "aes-192", 24),
    "aes256-gcm": (XENC11 + "aes256-gcm", "aes-256", 32),
}
KT_OAEP = XENC + "rsa-oaep-mgf1p"
KT_OAEP11 = XENC11 + "rsa-oaep"
KT_RSA15 = XENC + "rsa-1_5"
SHA1 = DS + "sha1"
SHA256 = XENC + "sha256"
MGF1SHA1 = XENC11 + "mgf1sha1"
MGF1SHA256 = XENC11 + "mgf1sha256"
HASHES = {SHA1: hashes.SHA1, SHA256: hashes.SHA256, MGF1SHA1: hashes.SHA1,
          MGF1SHA256: hashes.SHA256}

IDP_CRT = "../keys/idp.crt"
JANE, EVIL = V.JANE, V.EVIL
ALLOWED_ERRORS = V.ALLOWED_ERRORS | {"encrypted_assertion_unsupported", "decryption_failed"}
EK_ID_ATTR = ["--id-attr:Id", XENC + ":EncryptedKey"]

MANIFEST = []


def die(msg):
    print("FATAL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(cmd, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        die(f"command failed ({p.returncode}): {' '.join(cmd)}\n"
            f"{p.stderr.decode(errors='replace')}")
    return p


def here(rel):
    return os.path.join(HERE, rel)


def key(name, ext="key"):
    return here(f"keys/{name}.{ext}")


def write(rel, data):
    with open(here(rel), "wb") as f:
        f.write(data)
    return rel


def read(rel):
    with open(here(rel), "rb") as f:
        return f.read()


def tool_version(cmd):
    return run(cmd).stdout.decode().strip()


XMLSEC1 = None   # "xmlsec1 1.2.37 (openssl)", filled in main()
PYXMLSEC = None  # "python-xmlsec 1.3.17 (libxmlsec1 1.3.9)"


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------
SP_KEYS = {  # name -> (subject, serial, PEM form)
    "sp": ("/C=US/O=Decorum Test SP/CN=sp.example.com (encryption)", "2001", "pkcs8"),
    "sp2": ("/C=US/O=Decorum Test SP/CN=sp.example.com (encryption rollover)", "2002", "pkcs1"),
    "wrong": ("/C=US/O=Decorum Test SP/CN=sp.example.com (not configured)", "2003", "pkcs8"),
}
PEM_HEAD = {"pkcs8": b"-----BEGIN PRIVATE KEY-----", "pkcs1": b"-----BEGIN RSA PRIVATE KEY-----"}


def ensure_keys():
    os.makedirs(here("keys"), exist_ok=True)
    for name, (subj, serial, form) in SP_KEYS.items():
        k, c = key(name), key(name, "crt")
        if not (os.path.exists(k) and os.path.exists(c)):
            print(f"creating keys/{name}.key ({form}) and keys/{name}.crt (RSA-2048)")
            d = os.path.join(V.TMP, "ca-" + name)
            os.makedirs(d)
            open(os.path.join(d, "index.txt"), "w").close()
            with open(os.path.join(d, "serial"), "w") as f:
                f.write(serial + "\n")
            cnf = V.CA_CNF.format(dir=d).replace(
                "keyUsage = critical,digitalSignature",
                "keyUsage = critical,keyEncipherment,dataEncipherment")
            with open(os.path.join(d, "ca.cnf"), "w") as f:
                f.write(cnf)
            tmpk = os.path.join(d, "key.pem")
            run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", tmpk])
            csr = os.path.join(d, "req.csr")
            run(["openssl", "req", "-new", "-key", tmpk, "-subj", subj, "-out", csr])
            run(["openssl", "ca", "-batch", "-selfsign", "-config", os.path.join(d, "ca.cnf"),
                 "-keyfile", tmpk, "-in", csr, "-out", c, "-notext", "-extensions", "v3",
                 "-startdate", "20200101000000Z", "-enddate", "20991231235959Z"])
            if form == "pkcs1":
                run(["openssl", "rsa", "-in", tmpk, "-traditional", "-out", k])
            else:
                shutil.copyfile(tmpk, k)
            os.chmod(k, 0o644)  # test-only keys, committed
        with open(k, "rb") as f:
            if not f.read().startswith(PEM_HEAD[form]):
                die(f"keys/{name}.key is not a {form} PEM key")


# ---------------------------------------------------------------------------------------------
# Building, signing, encrypting
# ---------------------------------------------------------------------------------------------
def build(name, *, asig=True, rsig=False, ns_on_root=False, name_id=JANE):
    """A Response whose Assertion sits inside <saml:EncryptedAssertion> (still plaintext), with
    the Assertion signed if asig; a Response signature template is left in place if rsig.

    Returns (document bytes, exact bytes of the <saml:Assertion> element, assertion ID, rid)."""
    x = V.response(name=name, ns_on_root=ns_on_root, rsig={} if rsig else None,
                   asig={} if asig else None, name_id=name_id,
                   attrs=[V.attr_xml("saml", "email", [name_id], V.ATTR_BASIC)])
    if x.count("<saml:Assertion") != 1 or x.count("</saml:Assertion>") != 1:
        die("unexpected template")
    decl = "" if ns_on_root else f' xmlns:saml="{SAML}"'
    x = x.replace("<saml:Assertion", f"<saml:EncryptedAssertion{decl}><saml:Assertion", 1)
    x = x.replace("</saml:Assertion>", "</saml:Assertion></saml:EncryptedAssertion>", 1)
    if asig:
        data = V.xmlsec_sign(x, ["Assertion"])
    else:
        data = b'<?xml version="1.0"?>\n' + x.encode()
    i = data.index(b"<saml:Assertion")
    j = data.index(b"</saml:Assertion>") + len(b"</saml:Assertion>")
    return data, data[i:j], V.uid(name, "a"), V.uid(name, "r")


def enc_template(cipher_uri, kt_uri, digest=None, mgf=None):
    dm = f'<ds:DigestMethod Algorithm="{digest}"/>' if digest else ""
    mg = f'<xenc11:MGF xmlns:xenc11="{XENC11}" Algorithm="{mgf}"/>' if mgf else ""
    return (
        f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">'
        f'<xenc:EncryptionMethod Algorithm="{cipher_uri}"/>'
        f'<ds:KeyInfo xmlns:ds="{DS}"><xenc:EncryptedKey>'
        f'<xenc:EncryptionMethod Algorithm="{kt_uri}">{dm}{mg}</xenc:EncryptionMethod>'
        f'<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
        f'<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>'
    )


ASSERTION_XP = ("(//*[local-name()='EncryptedAssertion']/*[local-name()='Assertion'"
                f" and namespace-uri()='{SAML}'])[1]")


def encrypt(data, cipher="aes256-cbc", kt=KT_OAEP, digest=SHA1, mgf=None, to="sp",
            aeskey=None, engine="xmlsec1"):
    """Replace the (first) Assertion inside an EncryptedAssertion by an xenc:EncryptedData."""
    curi, session, _ = CIPHERS[cipher]
    tpl = enc_template(curi, kt, digest, mgf)
    if engine == "xmlsec1":
        out = V.tmpfile()
        keyopt = ["--aeskey", aeskey] if aeskey else ["--session-key", session]
        run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", key(to, "crt"), *keyopt,
             "--xml-data", V.tmpfile(data), "--node-xpath", ASSERTION_XP, "--output", out,
             V.tmpfile(tpl)])
        with open(out, "rb") as f:
            return f.read()
    import xmlsec  # python-xmlsec, libxmlsec1 >= 1.3 (see the module docstring)
    root = etree.fromstring(data)
    mgr = xmlsec.KeysManager()
    mgr.add_key(xmlsec.Key.from_file(key(to, "crt"), xmlsec.constants.KeyDataFormatCertPem))
    ctx = xmlsec.EncryptionContext(mgr)
    ctx.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, 8 * CIPHERS[cipher][2],
                                  xmlsec.constants.KeyDataTypeSession)
    ctx.encrypt_xml(etree.fromstring(tpl.encode()), root.xpath(ASSERTION_XP)[0])
    return b'<?xml version="1.0"?>\n' + etree.tostring(root, encoding="UTF-8")


def sign_response(data):
    return V.xmlsec_sign(data, ["Response"])


def to_retrieval_method(data, name):
    """Okta style: move the inline EncryptedKey out of EncryptedData/KeyInfo to be a sibling of
    EncryptedData inside the EncryptedAssertion, referenced by ds:RetrievalMethod (and pointing
    back with a ReferenceList/DataReference)."""
    root = V.parse(data)
    ed = root.find(f"{{{SAML}}}EncryptedAssertion/{{{XENC}}}EncryptedData")
    ki = ed.find(f"{{{DS}}}KeyInfo")
    ek = ki.find(f"{{{XENC}}}EncryptedKey")
    ed_id, ek_id = V.uid(name, "ed"), V.uid(name, "ek")
    ki.remove(ek)
    ed.set("Id", ed_id)
    rm = etree.SubElement(ki, f"{{{DS}}}RetrievalMethod")
    rm.set("Type", XENC + "EncryptedKey")
    rm.set("URI", "#" + ek_id)
    ek.set("Id", ek_id)
    ek.tail = None
    ed.addnext(ek)
    rl = etree.SubElement(ek, f"{{{XENC}}}ReferenceList")
    etree.SubElement(rl, f"{{{XENC}}}DataReference").set("URI", "#" + ed_id)
    return V.ser(root)


CV_XPATH = {
    "data": f"{{{SAML}}}EncryptedAssertion/{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/"
            f"{{{XENC}}}CipherValue",
    "key": f"{{{SAML}}}EncryptedAssertion/{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo/"
           f"{{{XENC}}}EncryptedKey/{{{XENC}}}CipherData/{{{XENC}}}CipherValue",
}


def cipher_value_text(data, which):
    el = V.parse(data).find(CV_XPATH[which])
    if el is None:
        die(f"no {which} CipherValue")
    return el.text


def b64wrap(raw):
    s = base64.b64encode(raw).decode()
    return "\n".join(s[i:i + 64] for i in range(0, len(s), 64))


def flip_middle(data, which):
    """Flip (xor 0x01) the middle byte of the decoded CipherValue; textual edit of the bytes."""
    old = cipher_value_text(data, which)
    raw = bytearray(base64.b64decode("".join(old.split())))
    raw[len(raw) // 2] ^= 0x01
    new = b64wrap(bytes(raw))
    if data.count(old.encode()) != 1:
        die("CipherValue text not unique")
    return data.replace(old.encode(), new.encode(), 1), len(raw) // 2, len(raw)


# ---------------------------------------------------------------------------------------------
# Independent checks
# ---------------------------------------------------------------------------------------------
class DecryptError(Exception):
    pass


def py_decrypt(data, keyname):
    """Second, independent decryption with the `cryptography` package (verification only)."""
    root = V.parse(data)
    eas = root.findall(f"{{{SAML}}}EncryptedAssertion")
    ea = eas[0]
    ed = ea.find(f"{{{XENC}}}EncryptedData")
    if ed.get("Type") != XENC + "Element":
        die("EncryptedData Type is not Element")
    curi = ed.find(f"{{{XENC}}}EncryptionMethod").get("Algorithm")
    ki = ed.find(f"{{{DS}}}KeyInfo")
    ek = ki.find(f"{{{XENC}}}EncryptedKey")
    if ek is None:
        target = ki.find(f"{{{DS}}}RetrievalMethod").get("URI")[1:]
        ek = [k for k in ea.findall(f"{{{XENC}}}EncryptedKey") if k.get("Id") == target][0]
    em = ek.find(f"{{{XENC}}}EncryptionMethod")
    kt = em.get("Algorithm")
    dm = em.find(f"{{{DS}}}DigestMethod")
    mg = em.find(f"{{{XENC11}}}MGF")
    digest = HASHES[dm.get("Algorithm") if dm is not None else SHA1]()
    mgf = HASHES[mg.get("Algorithm") if mg is not None else MGF1SHA1]()
    if kt == KT_RSA15:
        pad = padding.PKCS1v15()
    elif kt == KT_OAEP:
        pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=digest, label=None)
    elif kt == KT_OAEP11:
        pad = padding.OAEP(mgf=padding.MGF1(mgf), algorithm=digest, label=None)
    else:
        die("unknown key transport " + kt)
    with open(key(keyname), "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), None)

    def b64(el):
        return base64.b64decode("".join(el.find(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
                                        .text.split()))
    try:
        cek = priv.decrypt(b64(ek), pad)
    except ValueError as e:
        raise DecryptError("key transport: " + str(e))
    name = [n for n, c in CIPHERS.items() if c[0] == curi][0]
    if len(cek) != CIPHERS[name][2]:
        raise DecryptError("content key length")
    ct = b64(ed)
    if name.endswith("gcm"):
        try:
            return AESGCM(cek).decrypt(ct[:12], ct[12:], None)
        except InvalidTag:
            raise DecryptError("GCM tag")
    d = Cipher(algorithms.AES(cek), modes.CBC(ct[:16])).decryptor()
    p = d.update(ct[16:]) + d.finalize()
    n = p[-1]
    if not 1 <= n <= 16:
        raise DecryptError("CBC padding")
    return p[:-n]


def xmlsec1_decrypt(data, keyname):
    """`xmlsec1 --decrypt`; returns the decrypted document or None."""
    out = V.tmpfile()
    p = run(["xmlsec1", "--decrypt", "--privkey-pem", key(keyname), *EK_ID_ATTR, "--output", out,
             V.tmpfile(data)], check=False)
    if p.returncode != 0:
        return None
    with open(out, "rb") as f:
        return f.read()


def pyxmlsec_decrypt(data, keyname):
    import xmlsec
    root = etree.fromstring(data)
    mgr = xmlsec.KeysManager()
    mgr.add_key(xmlsec.Key.from_file(key(keyname), xmlsec.constants.KeyDataFormatPem))
    ctx = xmlsec.EncryptionContext(mgr)
    try:
        ctx.decrypt(root.find(f".//{{{XENC}}}EncryptedData"))
    except xmlsec.Error:
        return None
    return b'<?xml version="1.0"?>\n' + etree.tostring(root, encoding="UTF-8")


def sig_ok(data, which):
    return V.xmlsec_verify(V.tmpfile(data), os.path.join(HERE, IDP_CRT), which)


def has_sig(el):
    return el.find(f"{{{DS}}}Signature") is not None


def check_positive(rel, *, plain, aid, name_id, dec_key, asig, rsig, engine, inline_ek=True):
    data = read(rel)
    root = V.parse(data)
    if root.findall(f"{{{SAML}}}Assertion"):
        die(f"{rel}: plaintext Assertion left in the Response")
    eas = root.findall(f"{{{SAML}}}EncryptedAssertion")
    if len(eas) != 1 or eas[0].find(f"{{{XENC}}}EncryptedData") is None:
        die(f"{rel}: expected one EncryptedAssertion with EncryptedData")
    ki = eas[0].find(f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo")
    if (ki.find(f"{{{XENC}}}EncryptedKey") is not None) != inline_ek:
        die(f"{rel}: EncryptedKey placement")
    if has_sig(root) != rsig:
        die(f"{rel}: Response signature presence")
    # 1. decrypt with the xmlsec library
    dec = (xmlsec1_decrypt if engine == "xmlsec1" else pyxmlsec_decrypt)(data, dec_key)
    if dec is None:
        die(f"{rel}: {engine} cannot decrypt it with keys/{dec_key}.key")
    droot = V.parse(dec)
    a = droot.find(f"{{{SAML}}}EncryptedAssertion/{{{SAML}}}Assertion")
    if a is None or a.get("ID") != aid:
        die(f"{rel}: decrypted Assertion ID")
    if a.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID").text != name_id:
        die(f"{rel}: decrypted NameID")
    if has_sig(a) != asig:
        die(f"{rel}: Assertion signature presence")
    # 2. signatures with xmlsec1 (Assertion: on the decrypted document; Response: as is)
    if asig and not sig_ok(dec, "Assertion"):
        die(f"{rel}: xmlsec1 does not verify the decrypted Assertion's signature")
    if rsig and not sig_ok(data, "Response"):
        die(f"{rel}: xmlsec1 does not verify the Response signature")
    if not (asig or rsig):
        die(f"{rel}: positive vector without any signature")
    # 3. independent decryption: the plaintext is exactly the signed Assertion element
    if py_decrypt(data, dec_key) != plain:
        die(f"{rel}: cryptography's plaintext differs from the signed Assertion")


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------
def settings(sp_keys=("keys/sp.key",)):
    return {
        "idp_entity_id": V.GEN_IDP,
        "sp_entity_id": V.SP,
        "acs_url": V.ACS,
        "certs": [IDP_CRT],
        "sp_keys": list(sp_keys),
        "allow_sha1": False,
        "skew_seconds": 180,
        "now": V.NOW,
        "in_response_to": None,
    }


def ok(aid, name_id=JANE):
    return {"ok": True, "name_id": name_id, "email": name_id, "assertion_id": aid}


def err(*codes):
    for c in codes:
        if c not in ALLOWED_ERRORS:
            die(f"unknown error code {c}")
    return {"ok": False, "error": list(codes)}


def add(file, description, sett, expect):
    for k in sett["certs"] + sett["sp_keys"]:
        if not os.path.exists(here(k)):
            die(f"settings path {k} does not exist")
    MANIFEST.append({"file": file, "description": description, "settings": sett,
                     "expect": expect})


# =============================================================================================
# POSITIVE
# =============================================================================================
def positive(rel, desc, *, name, cipher="aes256-cbc", kt=KT_OAEP, digest=SHA1, mgf=None,
             to="sp", engine="xmlsec1", asig=True, rsig=False, okta=False, ns_on_root=False,
             sp_keys=("keys/sp.key",)):
    data, plain, aid, _ = build(name, asig=asig, rsig=rsig, ns_on_root=ns_on_root)
    enc = encrypt(data, cipher, kt, digest, mgf, to=to, engine=engine)
    if okta:
        enc = to_retrieval_method(enc, name)
    if rsig:
        enc = sign_response(enc)
    write(rel, enc)
    check_positive(rel, plain=plain, aid=aid, name_id=JANE, dec_key=to, asig=asig, rsig=rsig,
                   engine=engine, inline_ek=not okta)
    tool = XMLSEC1 if engine == "xmlsec1" else PYXMLSEC
    add(rel, desc + f" Encrypted with {tool}.", settings(sp_keys), ok(aid))
    return rel


def kt_desc(kt, digest, mgf):
    if kt == KT_OAEP:
        d = "rsa-oaep-mgf1p (OAEP, SHA-1 digest, MGF1-SHA1"
        return d + (", explicit ds:DigestMethod sha1)" if digest else ", no ds:DigestMethod)")
    return (f"xenc11#rsa-oaep (ds:DigestMethod {digest.rsplit('#', 1)[1]}, "
            + (f"xenc11:MGF {mgf.rsplit('#', 1)[1]})" if mgf else "no xenc11:MGF = mgf1sha1)"))


def gen_positive():
    out = {}
    for cipher in CIPHERS:
        digest = None if cipher == "aes128-cbc" else SHA1
        rel = f"{cipher}-oaep-mgf1p.xml"
        out[cipher] = positive(
            rel, f"EncryptedAssertion, content cipher {cipher}, key transport "
            f"{kt_desc(KT_OAEP, digest, None)}, EncryptedKey inline in EncryptedData/KeyInfo; "
            "Assertion signed (rsa-sha256) before encryption, Response unsigned.",
            name=f"enc-{cipher}", cipher=cipher, digest=digest)
    for rel, mgf in (("aes256-gcm-rsa-oaep-sha256.xml", None),
                     ("aes256-gcm-rsa-oaep-sha256-mgf1sha256.xml", MGF1SHA256)):
        positive(rel, "EncryptedAssertion, aes256-gcm, key transport "
                 f"{kt_desc(KT_OAEP11, SHA256, mgf)}; Assertion signed, Response unsigned.",
                 name="enc-" + rel[:-4], cipher="aes256-gcm", kt=KT_OAEP11, digest=SHA256,
                 mgf=mgf, engine="pyxmlsec")
    positive("okta-retrieval-method.xml",
             "Okta style: aes256-cbc + rsa-oaep-mgf1p; the EncryptedKey (Id) is a SIBLING of "
             "EncryptedData inside EncryptedAssertion (with ReferenceList/DataReference back to "
             "EncryptedData/@Id), EncryptedData/KeyInfo holds only <ds:RetrievalMethod "
             "Type=\"...xmlenc#EncryptedKey\" URI=\"#id\">. Encrypted inline by xmlsec1, the "
             "EncryptedKey then moved with lxml. Assertion signed, Response unsigned.",
             name="enc-okta", okta=True)
    positive("response-signed-assertion-unsigned.xml",
             "aes256-cbc + rsa-oaep-mgf1p; the Assertion is NOT signed; the Response is signed "
             "(rsa-sha256) AFTER encryption, over the Response containing the EncryptedAssertion.",
             name="enc-response-signed", asig=False, rsig=True)
    out["both"] = positive(
        "both-signed.xml",
        "aes256-gcm + rsa-oaep-mgf1p; Assertion signed before encryption AND Response signed "
        "after encryption (over the EncryptedAssertion).",
        name="enc-both-signed", cipher="aes256-gcm", rsig=True)
    out["sp2"] = positive(
        "sp2-rollover.xml",
        "Encrypted to the rollover key sp2 (aes256-cbc + rsa-oaep-mgf1p); both keys/sp.key "
        "(PKCS#8) and keys/sp2.key (PKCS#1 'BEGIN RSA PRIVATE KEY') are configured, so the second "
        "one must be tried. Assertion signed, Response unsigned.",
        name="enc-sp2-rollover", to="sp2", sp_keys=("keys/sp.key", "keys/sp2.key"))
    positive("inherited-namespace.xml",
             "xmlns:saml is declared only on the Response root and the Assertion inherits it, so "
             "the decrypted plaintext (<saml:Assertion ID=...> as xmlsec1 serializes the node) "
             "carries no xmlns:saml and must be parsed in the namespace context of the "
             "EncryptedAssertion (as xmlsec1 --decrypt does). aes128-gcm + rsa-oaep-mgf1p; "
             "Assertion signed, Response unsigned.",
             name="enc-inherited-ns", cipher="aes128-gcm", ns_on_root=True)
    data = read("inherited-namespace.xml")
    if b"xmlns:saml" not in data[:data.index(b"<saml:EncryptedAssertion")]:
        die("inherited-namespace: no xmlns:saml on the root")
    if b"xmlns:saml" in py_decrypt(data, "sp"):
        die("inherited-namespace: plaintext declares xmlns:saml itself")
    return out


# =============================================================================================
# NEGATIVE
# =============================================================================================
def is_xml(b):
    try:
        etree.fromstring(b'<w xmlns:saml="%s" xmlns:ds="%s">' % (SAML.encode(), DS.encode())
                         + b + b"</w>")
        return True
    except (etree.XMLSyntaxError, ValueError):
        return False


def gen_negative(pos):
    # --- tampered CBC ciphertext ---
    data, plain, aid, _ = build("enc-tamper-cbc")
    enc = encrypt(data, "aes256-cbc")
    if py_decrypt(enc, "sp") != plain:
        die("tamper-cbc base does not decrypt")
    bad, pos_, n = flip_middle(enc, "data")
    write("tampered-cbc-ciphertext.xml", bad)
    try:
        garbled = py_decrypt(bad, "sp")
    except DecryptError:
        garbled = None
    if garbled is not None and is_xml(garbled):
        print("note: tampered-cbc-ciphertext.xml: the garbled plaintext still parses")
    dec = xmlsec1_decrypt(bad, "sp")
    if dec is not None and sig_ok(dec, "Assertion"):
        die("tampered CBC ciphertext still decrypts to a validly signed Assertion")
    add("tampered-cbc-ciphertext.xml",
        f"aes256-cbc EncryptedData whose CipherValue has byte {pos_} of {n} (decoded; IV "
        "included) xor 0x01: one plaintext block is garbled and one byte of the next is flipped "
        "(usually unparsable, else the signed content changed). Assertion signed, Response "
        "unsigned.", settings(), err("decryption_failed", "digest_mismatch", "signature_invalid"))

    # --- tampered EncryptedKey ---
    data, plain, aid, _ = build("enc-tamper-ek")
    enc = encrypt(data, "aes256-cbc")
    bad, pos_, n = flip_middle(enc, "key")
    write("tampered-encrypted-key.xml", bad)
    try:
        py_decrypt(bad, "sp")
        die("tampered EncryptedKey still unwraps")
    except DecryptError:
        pass
    if xmlsec1_decrypt(bad, "sp") is not None:
        die("xmlsec1 decrypts the tampered EncryptedKey")
    add("tampered-encrypted-key.xml",
        f"rsa-oaep-mgf1p EncryptedKey CipherValue with byte {pos_} of {n} xor 0x01: the OAEP "
        "decoding fails (aes256-cbc content untouched). Assertion signed, Response unsigned.",
        settings(), err("decryption_failed"))

    # --- tampered GCM ciphertext ---
    data, plain, aid, _ = build("enc-tamper-gcm")
    enc = encrypt(data, "aes256-gcm")
    if py_decrypt(enc, "sp") != plain:
        die("tamper-gcm base does not decrypt")
    bad, pos_, n = flip_middle(enc, "data")
    write("tampered-gcm-ciphertext.xml", bad)
    try:
        py_decrypt(bad, "sp")
        die("tampered GCM ciphertext still authenticates")
    except DecryptError:
        pass
    if xmlsec1_decrypt(bad, "sp") is not None:
        die("xmlsec1 decrypts the tampered GCM ciphertext")
    add("tampered-gcm-ciphertext.xml",
        f"aes256-gcm EncryptedData CipherValue with byte {pos_} of {n} (decoded; nonce||ct||tag) "
        "xor 0x01: the GCM tag check fails. Assertion signed, Response unsigned.",
        settings(), err("decryption_failed"))

    # --- key configuration ---
    base = pos["aes256-cbc"]
    if xmlsec1_decrypt(read(base), "wrong") is not None:
        die("wrong.key decrypts")
    add(base, "The aes256-cbc vector (encrypted to sp.crt) but only keys/wrong.key is "
        "configured.", settings(["keys/wrong.key"]), err("decryption_failed"))
    add(base, "The aes256-cbc vector with NO SP decryption key configured (sp_keys []).",
        settings([]), err("encrypted_assertion_unsupported"))
    if xmlsec1_decrypt(read(pos["sp2"]), "sp") is not None:
        die("sp.key decrypts the sp2 vector")
    add(pos["sp2"], "The sp2-rollover vector (encrypted to sp2.crt) but only keys/sp.key is "
        "configured.", settings(), err("decryption_failed"))

    # --- no signature anywhere ---
    data, plain, aid, _ = build("enc-unsigned", asig=False)
    enc = encrypt(data, "aes256-cbc")
    write("unsigned.xml", enc)
    dec = xmlsec1_decrypt(enc, "sp")
    if dec is None or b"Signature" in dec or py_decrypt(enc, "sp") != plain:
        die("unsigned.xml: bad base")
    add("unsigned.xml", "A well-formed aes256-cbc + rsa-oaep-mgf1p EncryptedAssertion that "
        "decrypts fine, but neither the decrypted Assertion nor the Response is signed. "
        "With no verified signature over the ciphertext, every failure after decryption is "
        "the one opaque decryption_failed (no format oracle).",
        settings(), err("decryption_failed"))

    # --- rsa-1_5 key transport ---
    data, plain, aid, _ = build("enc-rsa-1_5")
    enc = encrypt(data, "aes256-cbc", KT_RSA15, None)
    write("rsa-1_5.xml", enc)
    dec = xmlsec1_decrypt(enc, "sp")
    if dec is None or not sig_ok(dec, "Assertion") or py_decrypt(enc, "sp") != plain:
        die("rsa-1_5.xml: bad base")
    add("rsa-1_5.xml", "Key transport http://www.w3.org/2001/04/xmlenc#rsa-1_5 (PKCS#1 v1.5, "
        f"Bleichenbacher-prone; made by {XMLSEC1} and decryptable by it), aes256-cbc, Assertion "
        "signed: must be refused, not decrypted.", settings(), err("algorithm_unsupported"))

    # --- EncryptedAssertion + plain Assertion ---
    data, plain, aid, _ = build("enc-multi")
    enc = encrypt(data, "aes256-cbc")
    root = V.parse(enc)
    other = V.parse(V.xmlsec_sign(
        V.response(name="enc-multi-plain", ns_on_root=False, asig={},
                   attrs=[V.attr_xml("saml", "email", [JANE], V.ATTR_BASIC)]), ["Assertion"]))
    root.find(f"{{{SAML}}}EncryptedAssertion").addnext(
        copy.deepcopy(other.find(f"{{{SAML}}}Assertion")))
    d = V.ser(root)
    write("encrypted-plus-plain-assertion.xml", d)
    if not sig_ok(d, "Assertion"):
        die("the plain Assertion's signature does not verify")
    dec = xmlsec1_decrypt(d, "sp")
    if dec is None or V.parse(dec).find(f"{{{SAML}}}EncryptedAssertion/{{{SAML}}}Assertion") is None:
        die("encrypted-plus-plain: EncryptedAssertion does not decrypt")
    add("encrypted-plus-plain-assertion.xml",
        "An EncryptedAssertion (signed Assertion inside, aes256-cbc) followed by a plain, "
        "validly signed <saml:Assertion> (other ID) in the same Response.", settings(),
        err("multiple_assertions"))

    # --- two EncryptedAssertions ---
    d1 = encrypt(build("enc-two-1")[0], "aes256-cbc")
    d2 = encrypt(build("enc-two-2")[0], "aes256-cbc")
    root = V.parse(d1)
    root.find(f"{{{SAML}}}EncryptedAssertion").addnext(
        copy.deepcopy(V.parse(d2).find(f"{{{SAML}}}EncryptedAssertion")))
    write("two-encrypted-assertions.xml", V.ser(root))
    add("two-encrypted-assertions.xml",
        "Two EncryptedAssertions (each a validly signed Assertion, different IDs, aes256-cbc) in "
        "one Response.", settings(), err("multiple_assertions"))

    # --- Response signed over the EncryptedAssertion, then ciphertext swapped ---
    cek = hashlib.sha256(b"saml-verify encrypted/ swap vector content key").digest()
    cekf = V.tmpfile(cek, suffix=".bin")
    data, plain, aid, _ = build("enc-swap", asig=False, rsig=True)
    signed = sign_response(encrypt(data, "aes256-cbc", aeskey=cekf))
    if not sig_ok(signed, "Response") or py_decrypt(signed, "sp") != plain:
        die("swap base does not verify/decrypt")
    evil_data, evil_plain, evil_aid, _ = build("enc-swap-evil", asig=False, name_id=EVIL)
    evil = encrypt(evil_data, "aes256-cbc", aeskey=cekf)
    old, new = cipher_value_text(signed, "data"), cipher_value_text(evil, "data")
    d = signed.replace(old.encode(), new.encode(), 1)
    write("response-signed-ciphertext-swapped.xml", d)
    if sig_ok(d, "Response"):
        die("swapped ciphertext: the Response signature still verifies")
    dec = xmlsec1_decrypt(d, "sp")
    if dec is None or py_decrypt(d, "sp") != evil_plain:
        die("swapped ciphertext does not decrypt to the evil assertion")
    nid = V.parse(dec).find(f"{{{SAML}}}EncryptedAssertion/{{{SAML}}}Assertion/{{{SAML}}}Subject/"
                            f"{{{SAML}}}NameID")
    if nid.text != EVIL:
        die("swapped ciphertext: NameID")
    add("response-signed-ciphertext-swapped.xml",
        "Response signed (after encryption) over an EncryptedAssertion of an unsigned Assertion; "
        "then the EncryptedData CipherValue was replaced by another valid xmlsec1 encryption, "
        "under the same content key (fixed with --aeskey), of an unsigned evil Assertion "
        f"(NameID {EVIL}): it decrypts cleanly, but the Response digest no longer matches.",
        settings(), err("digest_mismatch"))


    # --- Response signed; the plaintext needs a binding the signature does not cover ---
    # The IdP declared xmlns:ext on the Response root and used it only inside the Assertion it
    # then encrypted. Exclusive c14n renders a declaration only where it is visibly used, so
    # the verified Response bytes never bind ext (and anyone may add or change an unused
    # declaration without breaking the signature). Only the bindings the verified bytes
    # establish are in scope for the plaintext, so it does not parse.
    data, plain, aid, _ = build("enc-unsigned-binding", asig=False, rsig=True)
    data = data.replace(b"<saml:Assertion", b'<saml:Assertion ext:flag="1"', 1)
    data = data.replace(b"<samlp:Response", b'<samlp:Response xmlns:ext="urn:example:ext"', 1)
    signed = sign_response(encrypt(data, "aes256-gcm"))
    if not sig_ok(signed, "Response"):
        die("unsigned-binding: the Response signature does not verify")
    if b"ext:flag" not in py_decrypt(signed, "sp"):
        die("unsigned-binding: the plaintext does not use ext")
    write("response-signed-unsigned-binding.xml", signed)
    add("response-signed-unsigned-binding.xml",
        "Response signed after encryption (aes256-gcm); the encrypted Assertion uses a prefix "
        "(ext:flag) declared only on the Response root, which exclusive c14n leaves out of the "
        "signed bytes. The plaintext is parsed with only the bindings the verified bytes "
        "establish, so it does not parse: an unsigned declaration never shapes what is read.",
        settings(), err("decryption_failed"))


# =============================================================================================
def main():
    global XMLSEC1, PYXMLSEC
    for t in ("xmlsec1", "openssl"):
        if shutil.which(t) is None:
            die(f"{t} not found")
    XMLSEC1 = tool_version(["xmlsec1", "--version"])
    try:
        import xmlsec
    except ImportError:
        die("python-xmlsec missing: pip install xmlsec==1.3.17 (bundles libxmlsec1 1.3.x)")
    libv = xmlsec.get_libxmlsec_version()
    if libv < (1, 3, 0):
        die(f"python-xmlsec is linked with libxmlsec1 {libv}; 1.3+ is needed for xenc11#rsa-oaep")
    from importlib.metadata import version
    PYXMLSEC = f"python-xmlsec {version('xmlsec')} (libxmlsec1 {'.'.join(map(str, libv))})"
    for f in glob.glob(here("*.xml")) + [here("manifest.json")]:
        if os.path.exists(f):
            os.remove(f)
    ensure_keys()
    if not os.path.exists(os.path.join(HERE, IDP_CRT)):
        die("../keys/idp.crt missing: run ../generate.py first")
    pos = gen_positive()
    gen_negative(pos)
    write("manifest.json", (json.dumps({"vectors": MANIFEST}, indent=1, ensure_ascii=False)
                            + "\n").encode())
    n_ok = sum(v["expect"]["ok"] for v in MANIFEST)
    files = {v["file"] for v in MANIFEST}
    print(f"{len(MANIFEST)} manifest entries ({n_ok} ok, {len(MANIFEST) - n_ok} refusals) over "
          f"{len(files)} files; encryptors: {XMLSEC1}; {PYXMLSEC}")
    shutil.rmtree(V.TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
