#!/usr/bin/env bash
# README command 1: install everything (skipping what is there), apply the D1 migrations locally,
# start `wrangler dev` (workerd, local KV + D1, telemetry off) and seed the demo company
# `decorumsoft` through the support API. Then open http://127.0.0.1:8787/demo/idp.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/wrangler-env.sh
PORT="${PORT:-8787}"
ORIGIN="http://127.0.0.1:${PORT}"

# Local secrets: random per machine, never committed. DEMO=1 turns on /demo/* (never in production).
if [ ! -f .dev.vars ]; then
  {
    echo "SUPPORT_TOKEN=\"$(openssl rand -hex 24)\""
    echo "SESSION_SECRET=\"$(openssl rand -hex 32)\""
    echo "DEMO=\"1\""
    printf 'DEMO_IDP_KEY="%s"\n' "$(cat demo/dev-idp.key)"
    printf 'DEMO_IDP_CERT="%s"\n' "$(cat demo/dev-idp.crt)"
  } > .dev.vars
  chmod 600 .dev.vars
fi
SUPPORT_TOKEN="$(sed -n 's/^SUPPORT_TOKEN="\(.*\)"$/\1/p' .dev.vars)"

npx wrangler d1 migrations apply DB --local >/dev/null
# Its own process group, so that stopping it also stops wrangler's workerd children.
# The demo IdP is compiled in only here (cargo feature `demo`), without wasm-opt for fast rebuilds.
WORKER_BUILD_ARGS="--no-opt -- --features demo" setsid npx --no -- wrangler dev --port "$PORT" --ip 127.0.0.1 --var "PUBLIC_ORIGIN:${ORIGIN}" \
  --show-interactive-dev-session=false &
DEV_PID=$!
trap 'kill -- -"$DEV_PID" 2>/dev/null || true' EXIT INT TERM

echo "waiting for the worker to build and start on ${ORIGIN} ..."
for _ in $(seq 1 600); do
  curl -fsS "${ORIGIN}/healthz" >/dev/null 2>&1 && break
  kill -0 "$DEV_PID" 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 1
done

python3 scripts/seed_demo.py "$ORIGIN" "$SUPPORT_TOKEN"
cat <<MSG

  Demo company 'decorumsoft' is ready (confirmed user jon.smith@decorumsoft.com, provisioning on).
  Open ${ORIGIN}/demo/idp and sign in as:
    jane.smith@decorumsoft.com  -> provisioned on first sign-in, lands on the demo dashboard
    jon.smith@decorumsoft.com   -> existing user, signed in
    jon.smith@decorumsoft.eu    -> refused: no user in decorumsoft.eu
  Support API token (local only): ${SUPPORT_TOKEN}
  Ctrl-C stops the worker.

MSG
wait "$DEV_PID" || true
