"""Shared helpers of the admin/support API tests (tests/api/test_*.py): settings documents,
sessions through the ACS, credentials, and a small HTML reader for the pages (no JavaScript
involved)."""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import urllib.parse
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402

COOKIE = "saml_jit_session"
ADMIN = "ada.admin@decorumsoft.com"
JON = "jon.smith@decorumsoft.com"      # confirmed member
JANE = "jane.smith@decorumsoft.com"    # not a user: provisionable (decorumsoft.com has a confirmed user)
NEVER = "nina.never@decorumsoft.com"   # confirmed member who never signed in
FIXTURES = os.environ.get("REAL_IDP_FIXTURES", "/work/shared/fixtures/real-idp")


def settings_doc(idp, **over) -> dict:
    doc = {
        "version": 1,
        "display_name": "Decorumsoft",
        "dashboard_url": idp.dashboard_url,
        "saml": {"idp_entity_id": idp.entity_id, "idp_certificates": [idp.cert_pem], "allow_sha1": False,
                 "idp_sso_url": idp.sso_url},
        "provisioning": {"enabled": True, "default_workspace": "main", "default_permission_set": "member"},
        "exception_domains": [],
        "workspaces": [{"id": "main", "name": "Main"}, {"id": "ops", "name": "Operations"}],
        "permission_sets": [{"id": "member", "name": "Member"}, {"id": "viewer", "name": "Viewer"},
                            {"id": "admin", "name": "Admin", "admin": True}],
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {**doc[k], **v}
        else:
            doc[k] = v
    return doc


def new_company_id() -> str:
    return "t-" + secrets.token_hex(6)


def pem_body(pem: str) -> str:
    """The base64 of a PEM certificate (or of a bare base64 value), whitespace removed."""
    return re.sub(r"\s+", "", re.sub(r"-----[A-Z ]+-----", "", pem))


def set_cookie_value(resp, name: str = COOKIE) -> str | None:
    for v in resp.headers.get_all("Set-Cookie") or []:
        if v.startswith(name + "="):
            return v.split(";", 1)[0][len(name) + 1:]
    return None


def location_path(resp) -> str:
    loc = resp.headers.get("Location") or ""
    return urllib.parse.urlsplit(loc).path


def describe(method: str, path: str, cred, resp, body=None) -> str:
    c = "none" if cred is None else f"{cred[0]}:{str(cred[1])[:24]}…"
    b = "" if body is None else f" body={json.dumps(body)[:200]}"
    return f"{method} {path} [{c}]{b} -> {resp.status} {resp.headers.get('Content-Type')!r} {resp.body[:400]!r}"


def call(w: harness.Worker, method: str, path: str, cred=None, body=None, headers: dict | None = None,
         accept: str = "application/json"):
    """An API call. cred: None, ("bearer", token), ("cookie", session value), ("header", raw
    Authorization value), ("rawcookie", raw Cookie header)."""
    hdrs = {"Accept": accept}
    if cred is not None:
        kind, value = cred
        if kind == "bearer":
            hdrs["Authorization"] = f"Bearer {value}"
        elif kind == "header":
            hdrs["Authorization"] = value
        elif kind == "cookie":
            hdrs["Cookie"] = f"{COOKIE}={value}"
            hdrs["Origin"] = w.public_origin  # what a browser sends with a same-origin write
        elif kind == "rawcookie":
            hdrs["Cookie"] = value
        else:
            raise ValueError(kind)
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    return w.request(method, path, body=data, headers=hdrs)


def form_body(fields) -> bytes:
    return urllib.parse.urlencode(list(fields.items()) if isinstance(fields, dict) else fields).encode("ascii")


class Html(HTMLParser):
    """Elements by id (tag, attrs, text), forms with their controls, headings, <html lang>."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.by_id: dict[str, dict] = {}
        self.forms: list[dict] = []
        self.headings: list[str] = []
        self.labels: list[dict] = []
        self.text_parts: list[str] = []
        self._stack: list[dict] = []
        self._form: dict | None = None
        self.feed(text)
        self.close()
        self.text = re.sub(r"\s+", " ", "".join(self.text_parts))

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        el = {"tag": tag, "attrs": a, "text": "", "form": self._form, "ancestors": list(self._stack)}
        if tag == "html":
            self.lang = a.get("lang")
        if "id" in a and a["id"] not in self.by_id:
            self.by_id[a["id"]] = el
        if tag == "form":
            self._form = {"attrs": a, "controls": [], "el": el}
            el["form"] = self._form
            self.forms.append(self._form)
        if tag in ("input", "select", "textarea", "button") and self._form is not None:
            self._form["controls"].append(el)
        if tag == "select":
            el["options"] = []
        if tag == "option":
            for s in reversed(self._stack):
                if s["tag"] == "select":
                    s["options"].append(el)
                    break
        if tag == "label":
            self.labels.append(el)
        if tag not in self.VOID:
            self._stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self._stack and self._stack[-1]["tag"] == tag:
            self._stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i]["tag"] == tag:
                el = self._stack[i]
                del self._stack[i:]
                if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                    self.headings.append(re.sub(r"\s+", " ", el["text"]).strip())
                if tag == "form":
                    self._form = None
                break

    def handle_data(self, data):
        self.text_parts.append(data)
        for el in self._stack:
            el["text"] += data

    # -- queries -------------------------------------------------------------------------------

    def el(self, id_: str) -> dict | None:
        return self.by_id.get(id_)

    def text_of(self, id_: str) -> str:
        e = self.by_id.get(id_)
        return re.sub(r"\s+", " ", e["text"]).strip() if e else ""

    def label_for(self, id_: str) -> str:
        """Text of the <label for=id>, or of the <label> wrapping the control."""
        for lab in self.labels:
            if lab["attrs"].get("for") == id_:
                return re.sub(r"\s+", " ", lab["text"]).strip()
        e = self.by_id.get(id_)
        for anc in reversed(e["ancestors"] if e else []):
            if anc["tag"] == "label":
                return re.sub(r"\s+", " ", anc["text"]).strip()
        return ""

    def option_values(self, id_: str) -> list[str]:
        e = self.by_id.get(id_)
        if not e or "options" not in e:
            return []
        return [o["attrs"].get("value", o["text"].strip()) for o in e["options"]]

    def form_of(self, id_: str) -> dict | None:
        e = self.by_id.get(id_)
        return e["form"] if e else None

    def form_request(self, form: dict, submitter_id: str | None = None) -> tuple[str, str, list]:
        """(method, action, fields) the browser would send when the form is submitted."""
        method = (form["attrs"].get("method") or "get").lower()
        action = form["attrs"].get("action") or ""
        fields = []
        for c in form["controls"]:
            a = c["attrs"]
            name = a.get("name")
            if not name or "disabled" in a:
                continue
            if c["tag"] == "button" or (c["tag"] == "input" and a.get("type", "text").lower() in ("submit", "image", "button", "reset")):
                if submitter_id and a.get("id") == submitter_id:
                    fields.append((name, a.get("value", "")))
                continue
            if c["tag"] == "input" and a.get("type", "").lower() in ("checkbox", "radio") and "checked" not in a:
                continue
            if c["tag"] == "select":
                opts = c.get("options", [])
                sel = [o for o in opts if "selected" in o["attrs"]] or opts[:1]
                for o in sel:
                    fields.append((name, o["attrs"].get("value", o["text"].strip())))
                continue
            fields.append((name, a.get("value", c["text"] if c["tag"] == "textarea" else "")))
        return method, action, fields
