#!/usr/bin/env python3
"""Cold start of the worker (issue #17, item 2): median of 20 fresh isolates, in two places.

1. V8 under Node: `node bench/js/cold_start.mjs build` in a fresh process each time: module load
   (wasm compile + instantiate) and the first request handled (GET /healthz).
2. wrangler dev (workerd): a fresh `wrangler dev` each time, on the already built worker (a
   temporary config without the build command), timed from the process start to the first
   /healthz answer, and that first request alone (sent as soon as wrangler says it is ready).

Needs build/ from a worker build (scripts/bundle-size.sh or `wrangler deploy --dry-run` make it).
Prints one JSON line per place on stdout; progress on stderr.

    python3 bench/cold_start.py [--runs 20] [--skip-wrangler]
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def node_runs(n):
    rows = []
    for _ in range(n):
        out = subprocess.run(["node", "--experimental-wasm-gc",
                              os.path.join(REPO, "bench", "js", "cold_start.mjs"),
                              os.path.join(REPO, "build")], capture_output=True, text=True,
                             timeout=60)
        if out.returncode != 0:
            # Node 20's V8 (11.3) cannot compile the worker's wasm: wasm-bindgen's catch
            # wrappers use exnref (try_table), which workerd's V8 has and Node 20's lacks.
            why = [l for l in out.stderr.splitlines() if "Error" in l][:1]
            version = subprocess.run(["node", "--version"], capture_output=True, text=True)
            return {"place": "node-v8", "runs": 0, "not_measured": f"node {version.stdout.strip()}: "
                    + (why[0].strip() if why else out.stderr.strip()[-200:])}
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {k: round(statistics.median(r[k] for r in rows), 2) for k in rows[0]}
    return {"place": "node-v8", "runs": n, **{f"median_{k}": v for k, v in med.items()}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrangler_config(tmp):
    """wrangler.toml without the build step, main pointing at the built worker."""
    src = open(os.path.join(REPO, "wrangler.toml"), encoding="utf-8").read()
    src = re.sub(r"\n\[build\]\ncommand = .*\n", "\n", src)
    src = src.replace('main = "build/index.js"',
                      f'main = "{os.path.join(REPO, "build", "index.js")}"')
    path = os.path.join(tmp, "wrangler.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)
    return path


def stop(p):
    """End wrangler dev and everything it started (npx -> node -> workerd, esbuild): the whole
    process group, or 20 runs leave 20 workerd instances behind."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=wait)
            # The group may outlive its leader: give the rest a moment, then make sure.
            time.sleep(0.5)
            os.killpg(p.pid, signal.SIGKILL)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            continue
        return


def wrangler_runs(n):
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false",
               WRANGLER_HIDE_BANNER="true", WRANGLER_SEND_ERROR_REPORTS="false")
    starts, firsts = [], []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = wrangler_config(tmp)
        for i in range(n):
            port = free_port()
            t0 = time.perf_counter()
            p = subprocess.Popen(
                ["npx", "--no", "--", "wrangler", "dev", "--config", cfg, "--port", str(port),
                 "--ip", "127.0.0.1", "--persist-to", os.path.join(tmp, f"state{i}")],
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                start_new_session=True)
            try:
                deadline = time.time() + 60
                for line in p.stdout:
                    if "Ready on" in line or time.time() > deadline:
                        break
                t1 = time.perf_counter()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                    r.read()
                t2 = time.perf_counter()
                starts.append((t2 - t0) * 1000)
                firsts.append((t2 - t1) * 1000)
            finally:
                stop(p)
            print(f"[cold-start] wrangler dev {i + 1}/{n}: first request {firsts[-1]:.0f} ms",
                  file=sys.stderr)
    return {"place": "wrangler-dev", "runs": n,
            "median_process_start_to_first_answer_ms": round(statistics.median(starts), 1),
            "median_first_request_ms": round(statistics.median(firsts), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--skip-wrangler", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(REPO, "build", "index.js")):
        sys.exit("no build/index.js: build the worker first (bash scripts/bundle-size.sh)")
    print(json.dumps(node_runs(a.runs)), flush=True)
    if not a.skip_wrangler:
        print(json.dumps(wrangler_runs(a.runs)), flush=True)


if __name__ == "__main__":
    main()
