"""A fake SAML IdP for the admin/SP-initiated tests: a small threaded HTTP server on 127.0.0.1.

    idp = FakeIdP().start()          # random port; idp.origin, idp.entity_id, idp.cert_pem
    idp.metadata_url                 # GET  /metadata   EntityDescriptor + IDPSSODescriptor (HTTP-Redirect SSO = /sso)
    idp.sso_url                      # GET  /sso?SAMLRequest=…&RelayState=…   (HTTP-Redirect binding)
    idp.idp_initiated(email, sp_entity_id=…, acs_url=…)   # signed Response XML (bytes), no InResponseTo
    idp.sp_initiated(email, request_id, sp_entity_id=…, acs_url=…)
    idp.stop()

/sso decodes SAMLRequest (base64, then raw inflate: zlib wbits -15), reads the AuthnRequest's ID,
AssertionConsumerServiceURL and Issuer, and answers an HTML page with a form (no script) that POSTs
a signed SAMLResponse (InResponseTo = the request ID) and the RelayState to the ACS when the user
clicks `#idp-continue`. The email signed is, first found: the `email` (or `login_hint`) query
parameter, the AuthnRequest's Subject/NameID, the user set with `GET /set-user?email=…` (or
`idp.user = …`), else `jon.smith@decorumsoft.com`. Every decoded request is kept in `idp.requests`
(and served as JSON by `GET /requests`).

Other routes: `GET /start?acs=…&sp=…&email=…[&relay_state=…]` an IdP-initiated page (same form,
no InResponseTo); `GET /dashboard` a stand-in dashboard (shows whether the session cookie came
along); `GET /healthz`.

Run as a script (`python3 fake_idp.py [--port N]`) it prints one JSON line with origin,
entity_id, cert_pem and serves until stdin closes or SIGTERM. Standard library only (plus
signer.py's xmlsec1/openssl).
"""

from __future__ import annotations

import base64
import html
import json
import os
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import signer  # noqa: E402

NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
DEFAULT_USER = "jon.smith@decorumsoft.com"


class BadRequest(ValueError):
    pass


def decode_redirect_request(value: str) -> bytes:
    """SAMLRequest of the HTTP-Redirect binding: base64, then raw DEFLATE (RFC 1951)."""
    try:
        raw = base64.b64decode(value, validate=False)
    except (ValueError, TypeError) as e:
        raise BadRequest(f"SAMLRequest is not base64: {e}")
    try:
        d = zlib.decompressobj(-15)
        xml = d.decompress(raw, 1 << 20)
        if d.unconsumed_tail:
            raise BadRequest("SAMLRequest inflates to more than 1 MiB")
        xml += d.flush()
    except zlib.error as e:
        raise BadRequest(f"SAMLRequest is not raw DEFLATE: {e}")
    return xml


def parse_authn_request(xml: bytes) -> dict:
    """The fields of an AuthnRequest the IdP needs."""
    if b"<!DOCTYPE" in xml:
        raise BadRequest("DOCTYPE in AuthnRequest")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise BadRequest(f"AuthnRequest is not XML: {e}")
    if root.tag != f"{{{signer.NS_SAMLP}}}AuthnRequest":
        raise BadRequest(f"root is {root.tag}, not samlp:AuthnRequest")
    issuer = root.find(f"{{{signer.NS_SAML}}}Issuer")
    name_id = root.find(f"{{{signer.NS_SAML}}}Subject/{{{signer.NS_SAML}}}NameID")
    return {
        "id": root.get("ID"),
        "version": root.get("Version"),
        "issue_instant": root.get("IssueInstant"),
        "destination": root.get("Destination"),
        "acs_url": root.get("AssertionConsumerServiceURL"),
        "protocol_binding": root.get("ProtocolBinding"),
        "issuer": (issuer.text or "").strip() if issuer is not None else None,
        "name_id": (name_id.text or "").strip() if name_id is not None else None,
        "xml": xml.decode("utf-8", errors="replace"),
    }


def post_form_page(acs_url: str, saml_response_xml: bytes, relay_state: str | None, title: str, email: str) -> str:
    b64 = base64.b64encode(saml_response_xml).decode("ascii")
    rs = (f'<input type="hidden" name="RelayState" value="{html.escape(relay_state, quote=True)}">'
          if relay_state is not None else "")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fake IdP</title></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>Signed in at the fake IdP as <strong id=\"idp-user\">{html.escape(email)}</strong>.</p>"
        f"<form id=\"idp-form\" method=\"post\" action=\"{html.escape(acs_url, quote=True)}\">"
        f"<input type=\"hidden\" name=\"SAMLResponse\" value=\"{b64}\">{rs}"
        "<button id=\"idp-continue\" type=\"submit\">Continue</button>"
        "</form></body></html>"
    )


class FakeIdP:
    def __init__(self, user: str = DEFAULT_USER, port: int = 0):
        self._port = port
        self.user = user
        self.requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.origin = ""
        self.idp: signer.TestIdP | None = None
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "FakeIdP":
        idp_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # quiet
                if os.environ.get("FAKE_IDP_LOG") == "1":
                    sys.stderr.write("fake_idp: " + (fmt % args) + "\n")

            def do_GET(self):
                idp_self._handle(self)

            def do_HEAD(self):
                idp_self._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.server.daemon_threads = True
        port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{port}"
        self.idp = signer.TestIdP(entity_id=f"{self.origin}/metadata")
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-idp", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # -- identity ------------------------------------------------------------------------------

    @property
    def entity_id(self) -> str:
        return self.idp.entity_id

    @property
    def cert_pem(self) -> str:
        return self.idp.cert_pem

    @property
    def metadata_url(self) -> str:
        return f"{self.origin}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.origin}/sso"

    @property
    def dashboard_url(self) -> str:
        return f"{self.origin}/dashboard"

    def metadata_xml(self) -> str:
        cert_b64 = "".join(l for l in self.cert_pem.strip().splitlines() if "-----" not in l)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<md:EntityDescriptor xmlns:md="{NS_MD}" xmlns:ds="{NS_DS}" entityID="{html.escape(self.entity_id, quote=True)}">'
            '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            f"<ds:X509Certificate>{cert_b64}</ds:X509Certificate>"
            "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
            f'<md:SingleSignOnService Binding="{REDIRECT_BINDING}" Location="{html.escape(self.sso_url, quote=True)}"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    # -- responses -----------------------------------------------------------------------------

    def idp_initiated(self, email: str | None, *, sp_entity_id: str, acs_url: str, **kw) -> bytes:
        return self.idp.response(email, sp_entity_id=sp_entity_id, acs_url=acs_url, **kw)

    def sp_initiated(self, email: str | None, request_id: str, *, sp_entity_id: str, acs_url: str, **kw) -> bytes:
        return self.idp.response(email, sp_entity_id=sp_entity_id, acs_url=acs_url, in_response_to=request_id, **kw)

    # -- HTTP ----------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler):
        u = urllib.parse.urlsplit(h.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        try:
            if u.path == "/healthz":
                return self._send(h, 200, "ok", "text/plain")
            if u.path == "/metadata":
                return self._send(h, 200, self.metadata_xml(), "application/samlmetadata+xml")
            if u.path == "/metadata-moved":
                # A redirect to the real metadata: the worker must not follow it.
                h.send_response(302)
                h.send_header("Location", self.metadata_url)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return None
            if u.path == "/set-user":
                with self._lock:
                    self.user = q.get("email") or DEFAULT_USER
                return self._send(h, 200, json.dumps({"user": self.user}), "application/json")
            if u.path == "/requests":
                with self._lock:
                    body = json.dumps(self.requests)
                return self._send(h, 200, body, "application/json")
            if u.path == "/sso":
                return self._sso(h, q)
            if u.path == "/start":
                return self._start(h, q)
            if u.path == "/dashboard":
                cookie = h.headers.get("Cookie") or ""
                has = any(c.strip().startswith("saml_jit_session=") for c in cookie.split(";"))
                body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dashboard</title></head>"
                        f"<body><h1 id=\"dashboard\">Dashboard</h1><p id=\"session\">{'session' if has else 'no session'}</p>"
                        f"<p id=\"path\">{html.escape(h.path)}</p></body></html>")
                return self._send(h, 200, body, "text/html; charset=utf-8")
            return self._send(h, 404, "not found", "text/plain")
        except BadRequest as e:
            return self._send(h, 400, f"fake IdP: {e}", "text/plain")

    def _sso(self, h, q: dict):
        if "SAMLRequest" not in q:
            raise BadRequest("no SAMLRequest parameter")
        req = parse_authn_request(decode_redirect_request(q["SAMLRequest"]))
        if not req["id"]:
            raise BadRequest("AuthnRequest has no ID")
        if not req["acs_url"]:
            raise BadRequest("AuthnRequest has no AssertionConsumerServiceURL")
        if not req["issuer"]:
            raise BadRequest("AuthnRequest has no Issuer")
        relay_state = q.get("RelayState")
        req["relay_state"] = relay_state
        req["query_keys"] = sorted(q)
        with self._lock:
            email = q.get("email") or q.get("login_hint") or req["name_id"] or self.user or DEFAULT_USER
            req["email"] = email
            self.requests.append(req)
        xml = self.sp_initiated(email, req["id"], sp_entity_id=req["issuer"], acs_url=req["acs_url"])
        page = post_form_page(req["acs_url"], xml, relay_state, "Fake IdP: SP-initiated sign-in", email)
        return self._send(h, 200, page, "text/html; charset=utf-8")

    def _start(self, h, q: dict):
        acs, sp = q.get("acs"), q.get("sp")
        if not acs or not sp:
            raise BadRequest("/start needs acs and sp")
        email = q.get("email") or self.user or DEFAULT_USER
        xml = self.idp_initiated(email, sp_entity_id=sp, acs_url=acs)
        page = post_form_page(acs, xml, q.get("relay_state"), "Fake IdP: IdP-initiated sign-in", email)
        return self._send(h, 200, page, "text/html; charset=utf-8")

    @staticmethod
    def _send(h, status: int, body: str, ctype: str):
        data = body.encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Cache-Control", "no-store")
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)


def main() -> int:
    import argparse
    import signal

    ap = argparse.ArgumentParser(description="fake SAML IdP on 127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    idp = FakeIdP(port=args.port).start()
    print(json.dumps({"origin": idp.origin, "entity_id": idp.entity_id, "cert_pem": idp.cert_pem,
                      "metadata_url": idp.metadata_url, "sso_url": idp.sso_url}), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (idp.stop(), sys.exit(0)))
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    idp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
