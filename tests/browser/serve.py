"""Start what the browser tests need and print it as one JSON line on stdout:

    {"worker": "http://127.0.0.1:P", "public_origin": …, "support_token": …,
     "idp": {"origin", "entity_id", "cert_pem", "metadata_url", "sso_url"}}

The worker comes from tests/integration/harness.py (`wrangler dev` with --persist-to and --var,
or WORKER_URL); the fake IdP from tests/integration/fake_idp.py. Both stop when stdin closes (or on SIGTERM), so
the node test runner only has to spawn this and close its stdin. On a start failure it prints
{"error": …} and exits 1.
"""

from __future__ import annotations

import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from fake_idp import FakeIdP  # noqa: E402


def main() -> int:
    idp = None
    try:
        idp = FakeIdP().start()
        w = harness.get_worker()
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        print(json.dumps({"error": str(e)[-6000:]}), flush=True)
        if idp:
            idp.stop()
        harness.stop_worker()
        return 1

    def bye(*_):
        idp.stop()
        harness.stop_worker()
        os._exit(0)

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGHUP, bye)
    print(json.dumps({
        "worker": w.base_url,
        "public_origin": w.public_origin,
        "support_token": w.support_token,
        "log_path": w.log_path,
        "idp": {"origin": idp.origin, "entity_id": idp.entity_id, "cert_pem": idp.cert_pem,
                "metadata_url": idp.metadata_url, "sso_url": idp.sso_url},
    }), flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    if os.environ.get("BROWSER_TESTS_SHOW_LOG") == "1" and w.log_path:
        sys.stderr.write(w.log_tail(80) + "\n")
    bye()
    return 0


if __name__ == "__main__":
    sys.exit(main())
