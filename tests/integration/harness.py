"""Runs the worker under `wrangler dev` (real workerd, local KV and D1) for one test run.

    w = harness.get_worker()        # started once per process, stopped at exit (or w.stop())
    w.support("GET", "/admin/companies/acme")
    w.post_acs("acme", xml_bytes, relay_state="/reports", accept_json=True)

Environment:
    WORKER_URL       use an already-running worker instead of starting one (e.g. http://127.0.0.1:8787)
    SUPPORT_TOKEN    its support token (default test-support-token)
    SESSION_SECRET   its session secret, to check the cookie MAC (default: the harness's own, only
                     when the harness started the worker)
    PUBLIC_ORIGIN    its PUBLIC_ORIGIN when that differs from WORKER_URL
    WORKER_START_TIMEOUT  seconds to wait for /healthz (default 300: the first start compiles)
    WORKER_KEEP_LOGS=1    keep the temp dir with the wrangler log and the local KV/D1 state
    WORKER_PERSIST_TO     with WORKER_URL: the --persist-to dir of that `wrangler dev` (tests that
                     write KV/D1 directly, w.d1(...) / w.kv_put(...), are skipped without it)
    WORKER_LOG       with WORKER_URL: the file that worker's output goes to (for the log tests)
    WORKER_DIRECT_URL  with WORKER_URL: the user worker's own socket, for w.direct() (see there)
    WORKER_CONFIG    another wrangler config for the started worker (e.g. bench/capacity/wrangler.toml,
                     which wraps the built worker to count D1 statements); default: the repo's

The started worker runs with --test-scheduled: w.scheduled() triggers the Cron handler through
GET /__scheduled. w.d1(sql) and w.kv_put(key, value) run `wrangler d1 execute` / `wrangler kv key
put` with --local --persist-to on the running server's state directory: workerd keeps local D1 and
KV in SQLite files there, and writes made by the CLI are seen by the running server at once.

Standard library only.
"""

from __future__ import annotations

import atexit
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUPPORT_TOKEN = "test-support-token"
SESSION_SECRET = "test-session-secret"


class HarnessError(RuntimeError):
    pass


def _config_args() -> list[str]:
    """`--config PATH` when WORKER_CONFIG names another wrangler config (same bindings)."""
    cfg = os.environ.get("WORKER_CONFIG")
    return ["--config", os.path.abspath(cfg)] if cfg else []


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    """status, headers (an http.client.HTTPMessage: case-insensitive, get_all for Set-Cookie),
    body (bytes)."""

    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def __iter__(self):  # (status, headers, body) = resp
        return iter((self.status, self.headers, self.body))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.headers.get('content-type')!r} {self.body[:300]!r}>"


class Worker:
    def __init__(self):
        self.base_url: str | None = None
        self.public_origin: str | None = None
        self.support_token = SUPPORT_TOKEN
        self.session_secret: str | None = None
        self.proc: subprocess.Popen | None = None
        self.tmp: str | None = None
        self.log_path: str | None = None
        self.persist_dir: str | None = None
        self.test_scheduled = False
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "Worker":
        url = os.environ.get("WORKER_URL")
        if url:
            self.base_url = url.rstrip("/")
            self.public_origin = os.environ.get("PUBLIC_ORIGIN", self.base_url).rstrip("/")
            self.support_token = os.environ.get("SUPPORT_TOKEN", SUPPORT_TOKEN)
            self.session_secret = os.environ.get("SESSION_SECRET")
            self.persist_dir = os.environ.get("WORKER_PERSIST_TO") or None
            self.log_path = os.environ.get("WORKER_LOG") or None
            self._wait_healthy(timeout=float(os.environ.get("WORKER_START_TIMEOUT", "30")))
            return self
        self._check_tools()
        port = _free_port()
        inspector = _free_port()
        self.base_url = self.public_origin = f"http://127.0.0.1:{port}"
        self.session_secret = SESSION_SECRET
        self.tmp = tempfile.mkdtemp(prefix="saml-jit-it-")
        persist = os.path.join(self.tmp, "state")
        os.mkdir(persist)
        self.persist_dir = persist
        self.test_scheduled = True
        self.log_path = os.path.join(self.tmp, "wrangler.log")
        env = dict(os.environ)
        env.update(WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false", CI="1", NO_COLOR="1", FORCE_COLOR="0")
        try:
            with open(self.log_path, "ab") as log:
                log.write(b"$ npx wrangler d1 migrations apply DB --local\n")
                log.flush()
                try:
                    mig = subprocess.run(
                        ["npx", "--no", "--", "wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist,
                         *_config_args()],
                        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                        timeout=600, start_new_session=True,
                    )
                except subprocess.TimeoutExpired:
                    raise HarnessError("`wrangler d1 migrations apply` did not finish in 600 s\n" + self.log_tail())
                if mig.returncode != 0:
                    raise HarnessError(f"`wrangler d1 migrations apply DB --local` failed (exit {mig.returncode})\n" + self.log_tail())
                log.write(f"\n$ npx wrangler dev --port {port}\n".encode())
                log.flush()
                self.proc = subprocess.Popen(
                    ["npx", "--no", "--", "wrangler", "dev",
                     "--port", str(port), "--ip", "127.0.0.1", "--inspector-port", str(inspector),
                     "--persist-to", persist,
                     "--test-scheduled",
                     "--var", f"PUBLIC_ORIGIN:{self.public_origin}",
                     "--var", f"SUPPORT_TOKEN:{SUPPORT_TOKEN}",
                     "--var", f"SESSION_SECRET:{SESSION_SECRET}",
                     "--var", f"SP_KEYS:{sp_keys_secret()}",
                     "--show-interactive-dev-session=false", *_config_args()],
                    cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stop() kills wrangler and workerd together
                )
            atexit.register(self.stop)
            self._wait_healthy(timeout=float(os.environ.get("WORKER_START_TIMEOUT", "300")))
        except BaseException:
            self.stop(keep_logs=True)
            raise
        return self

    def _check_tools(self):
        if shutil.which("npx") is None:
            raise HarnessError("npx not found: install Node.js (and wrangler), or set WORKER_URL to a running worker")
        if not os.path.exists(os.path.join(REPO, "wrangler.toml")) and not os.path.exists(os.path.join(REPO, "wrangler.jsonc")):
            raise HarnessError(f"no wrangler.toml in {REPO}: the worker is not configured yet")
        try:
            p = subprocess.run(["npx", "--no", "--", "wrangler", "--version"], cwd=REPO, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=120,
                               env=dict(os.environ, WRANGLER_SEND_METRICS="false", CI="1"))
        except subprocess.TimeoutExpired:
            raise HarnessError("`npx wrangler --version` hung for 120 s")
        if p.returncode != 0:
            raise HarnessError(
                "wrangler is not installed (npx --no wrangler failed): install it (npm install in the repo, "
                "or npm install -g wrangler), or set WORKER_URL to a running worker.\n"
                + p.stderr.decode(errors="replace")[-1500:])

    def _wait_healthy(self, timeout: float):
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise HarnessError(f"wrangler dev exited with {self.proc.returncode} before /healthz answered\n" + self.log_tail())
            try:
                r = self.request("GET", "/healthz", timeout=5)
                if r.status == 200:
                    return
                last = f"HTTP {r.status}: {r.body[:200]!r}"
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(1)
        raise HarnessError(f"GET {self.base_url}/healthz did not answer 200 within {timeout:.0f} s ({last})\n" + self.log_tail())

    def log_tail(self, lines: int = 80) -> str:
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.log_path} ---\n{tail}\n--- end of log ---"

    def stop(self, keep_logs: bool = False):
        with self._lock:
            proc, self.proc = self.proc, None
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)  # the group this harness started, by its id
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            if proc is not None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # leftovers (workerd) of that same group
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            if self.tmp and not keep_logs and os.environ.get("WORKER_KEEP_LOGS") != "1":
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None
                self.log_path = None
                self.persist_dir = None

    # -- the user worker's own socket ------------------------------------------------------------

    def direct(self) -> "Worker":
        """This worker reached on workerd's own socket, bypassing wrangler dev's ProxyWorker.

        wrangler dev (4.86) puts a proxy (a Durable Object in a second workerd) in front of the
        worker. Under ~100 concurrent slow POSTs that proxy loses requests: its connection to the
        user worker is reset and it answers 503 text/plain "Your worker restarted mid-request"
        (no restart took place; the worker never sees the request). Load tests talk to the user
        workerd directly instead: same worker, same local KV/D1, same PUBLIC_ORIGIN. Returns a
        Worker whose requests go there (or self when that socket cannot be found)."""
        if self.proc is None:
            url, pid = os.environ.get("WORKER_DIRECT_URL"), None
        else:
            url, pid = self._find_direct_url()
        if not url:
            return self
        d = Worker.__new__(Worker)
        d.__dict__.update(self.__dict__)
        d.base_url, d.proc, d.tmp, d._lock = url.rstrip("/"), None, None, threading.Lock()
        d.workerd_pid = pid  # the workerd process serving it
        return d

    def workerd_pids(self) -> list[int]:
        """The workerd processes this harness started (its wrangler's process group)."""
        if self.proc is None:
            return []
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() != "workerd":
                        continue
                if os.getpgid(int(entry)) == self.proc.pid:
                    out.append(int(entry))
            except (OSError, ProcessLookupError):
                continue
        return sorted(out)

    def _find_direct_url(self) -> tuple[str | None, int | None]:
        public_port = urllib.parse.urlsplit(self.base_url).port
        for pid in self.workerd_pids():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                inodes = set()
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    try:
                        link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    except OSError:
                        continue
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
            except OSError:
                continue
            if any(a.startswith(b"--socket-addr=entry=") and a.endswith(b":%d" % public_port) for a in argv):
                continue  # wrangler's proxy
            ports = []
            for table in ("/proc/net/tcp", "/proc/net/tcp6"):
                try:
                    with open(table) as f:
                        rows = f.read().splitlines()[1:]
                except OSError:
                    continue
                for row in rows:
                    cols = row.split()
                    if len(cols) > 9 and cols[3] == "0A" and cols[9] in inodes:  # LISTEN
                        ports.append(int(cols[1].rsplit(":", 1)[1], 16))
            for port in sorted(set(ports)):
                url = f"http://127.0.0.1:{port}"
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/healthz")
                    r = conn.getresponse()
                    body = r.read()
                    conn.close()
                except (OSError, http.client.HTTPException):
                    continue
                if r.status == 200 and body.strip() == b"ok" and r.getheader("Content-Security-Policy"):
                    return url, pid
        return None, None

    # -- local state (wrangler CLI on the running server's --persist-to dir) -------------------

    def _wrangler(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        if not self.persist_dir:
            raise HarnessError("no local state dir: set WORKER_PERSIST_TO with WORKER_URL")
        env = dict(os.environ, WRANGLER_SEND_METRICS="false", WRANGLER_SEND_ERROR_REPORTS="false",
                   CLOUDFLARE_CF_FETCH_ENABLED="false", WRANGLER_HIDE_BANNER="true", CI="1",
                   NO_COLOR="1", FORCE_COLOR="0")
        p = subprocess.run(["npx", "--no", "--", "wrangler", *args, "--local", "--persist-to", self.persist_dir,
                            *_config_args()],
                           cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           start_new_session=True)
        if p.returncode != 0:
            raise HarnessError(f"wrangler {' '.join(args[:3])} failed (exit {p.returncode}):\n"
                               + (p.stdout + p.stderr).decode(errors="replace")[-2000:])
        return p

    def d1(self, sql: str) -> list[dict]:
        """Run SQL (one or more `;`-separated statements) on the local D1 database `DB`; returns
        the rows of the last statement."""
        p = self._wrangler(["d1", "execute", "DB", "--yes", "--json", "--command", sql])
        out = p.stdout.decode("utf-8", errors="replace")
        try:
            results = json.loads(out[out.index("["):])
        except (ValueError, json.JSONDecodeError) as e:
            raise HarnessError(f"wrangler d1 execute: no JSON in output ({e}):\n{out[-2000:]}")
        return results[-1].get("results", []) if results else []

    def kv_put(self, key: str, value: str | bytes):
        """Write a raw value to the local `SETTINGS` KV namespace (bypassing the support API)."""
        fd, path = tempfile.mkstemp(prefix="kv-", dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(value.encode("utf-8") if isinstance(value, str) else value)
            self._wrangler(["kv", "key", "put", key, "--path", path, "--binding", "SETTINGS"])
        finally:
            os.unlink(path)

    def scheduled(self, cron: str = "*/30 * * * *") -> Response:
        """Trigger the scheduled (Cron) handler; needs `wrangler dev --test-scheduled`."""
        return self.request("GET", "/__scheduled?cron=" + urllib.parse.quote_plus(cron))

    # -- HTTP ----------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> Response:
        """One request on a fresh connection; redirects are never followed."""
        u = urllib.parse.urlsplit(self.base_url)
        conn_cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(u.hostname, u.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if body is not None:
                hdrs.setdefault("Content-Length", str(len(body)))
            try:
                conn.request(method, path, body=body, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (413) before reading all of a large body
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    def support(self, method: str, path: str, json_body=None, token: str | None = "", headers: dict | None = None) -> Response:
        """A support API call with `Authorization: Bearer <SUPPORT_TOKEN>` (token=None: none)."""
        hdrs = {"Accept": "application/json"}
        if token == "":
            token = self.support_token
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        return self.request(method, path, body=body, headers=hdrs)

    def post_form(self, path: str, body: bytes, content_type: str = "application/x-www-form-urlencoded",
                  accept_json: bool = False) -> Response:
        hdrs = {"Content-Type": content_type, "Accept": "application/json" if accept_json else "text/html"}
        return self.request("POST", path, body=body, headers=hdrs)

    def post_acs(self, company: str, saml_xml_bytes: bytes | None, relay_state: str | None = None,
                 accept_json: bool = False, extra_fields=None, saml_value: str | None = None) -> Response:
        """POST the form to /saml/{company}/acs (not following redirects).

        saml_xml_bytes is base64-encoded into SAMLResponse (None: no SAMLResponse field, unless
        saml_value gives the field's exact value). extra_fields: a dict or (name, value) pairs,
        appended after the other fields (repeat a name to send it twice)."""
        fields = []
        if saml_value is not None:
            fields.append(("SAMLResponse", saml_value))
        elif saml_xml_bytes is not None:
            fields.append(("SAMLResponse", base64.b64encode(saml_xml_bytes).decode("ascii")))
        if relay_state is not None:
            fields.append(("RelayState", relay_state))
        if extra_fields:
            fields.extend(extra_fields.items() if isinstance(extra_fields, dict) else extra_fields)
        body = urllib.parse.urlencode(fields).encode("ascii")
        return self.post_form(acs_path(company), body, accept_json=accept_json)

    # -- contract URLs -------------------------------------------------------------------------

    def sp_entity_id(self, company: str) -> str:
        return f"{self.public_origin}/saml/{company}/metadata"

    def acs_url(self, company: str) -> str:
        return f"{self.public_origin}/saml/{company}/acs"

    @property
    def loopback(self) -> bool:
        """An http:// loopback origin, where the session cookie cannot be Secure."""
        u = urllib.parse.urlsplit(self.public_origin)
        return u.scheme == "http" and (u.hostname or "") in ("127.0.0.1", "localhost", "::1")


def acs_path(company: str) -> str:
    return f"/saml/{urllib.parse.quote(company, safe='')}/acs"


_worker: Worker | None = None
_worker_error: BaseException | None = None
_glock = threading.Lock()


# The company whose SP decryption key the worker gets (test_encrypted.py), and that key.
ENCRYPTED_COMPANY = "enc-e2e"
SP_KEY_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys", "sp.key")
SP_CERT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keys", "sp.crt")


def sp_keys_secret() -> str:
    """The SP_KEYS secret: {company: [PEM private key]} (a committed test-only key)."""
    with open(SP_KEY_FILE) as f:
        return json.dumps({ENCRYPTED_COMPANY: [f.read()]})


def get_worker() -> Worker:
    """The one worker of this process, started on first call. A start failure is remembered and
    raised again, so a run fails fast instead of retrying for each test."""
    global _worker, _worker_error
    with _glock:
        if _worker is not None:
            return _worker
        if _worker_error is not None:
            raise HarnessError(f"the worker failed to start: {_worker_error}")
        _install_signal_handlers()
        w = Worker()
        try:
            w.start()
        except BaseException as e:
            _worker_error = e
            raise
        _worker = w
        return w


def stop_worker():
    global _worker
    with _glock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def _install_signal_handlers():
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, _frame):
        # Stop the dev server now, then unwind like Ctrl-C (unittest lets KeyboardInterrupt through).
        stop_worker()
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, handler)
        except (ValueError, OSError):
            pass


atexit.register(stop_worker)
