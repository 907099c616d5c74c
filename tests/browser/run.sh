#!/usr/bin/env bash
# Browser tests of the admin and sign-in pages (admin.test.mjs, node --test + playwright-core +
# Debian's headless Chromium). The API tests are tests/api/ (python3 tests/api/run.py).
#
#   bash tests/browser/run.sh
#
# It starts its own `wrangler dev` through tests/integration/harness.py, unless WORKER_URL
# (with SUPPORT_TOKEN) names a running worker. Screenshots go to $SCREENSHOT_DIR (default
# tests/browser/screenshots/). Ends with one line `N passed, N failed`; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM
export WORKER_BUILD_ARGS="${WORKER_BUILD_ARGS---no-opt}"

# --- what is missing ---------------------------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
  echo "tests/browser/run.sh: installing chromium (apt)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null ||
    { $SUDO apt-get update >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null; } ||
    { echo "tests/browser/run.sh: could not install chromium" >&2; echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -f node_modules/playwright-core/package.json ]; then
  echo "tests/browser/run.sh: node_modules/playwright-core missing; running scripts/install.sh (npm ci)" >&2
  bash scripts/install.sh || { echo "0 passed, 1 failed"; exit 1; }
fi
for tool in xmlsec1 openssl python3 node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "tests/browser/run.sh: $tool not found (scripts/install.sh installs it)" >&2; echo "0 passed, 1 failed"; exit 1; }
done

OUT="$(mktemp -d "${TMPDIR:-/tmp}/browser-tests.XXXXXX")"
if [ "${WORKER_KEEP_LOGS:-0}" = "1" ]; then echo "tests/browser/run.sh: logs and state kept in $OUT" >&2; else trap 'rm -rf "$OUT"' EXIT; fi
# The workers' temp dirs (wrangler log, local KV/D1) live under this run's own directory, out of
# the way of anything that cleans /tmp/saml-jit-it-* for other runs.
mkdir -p "$OUT/tmp"
export TMPDIR="$OUT/tmp"

# --- browser tests -------------------------------------------------------------------------------
echo "== browser tests (tests/browser/admin.test.mjs)" >&2
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stderr \
  --test-reporter=tap --test-reporter-destination="$OUT/browser.tap" \
  tests/browser/*.test.mjs
br_pass="$(grep -E '^# pass [0-9]+' "$OUT/browser.tap" | awk '{print $3}' | tail -n 1)"
br_fail="$(grep -E '^# fail [0-9]+' "$OUT/browser.tap" | awk '{print $3}' | tail -n 1)"
br_cancel="$(grep -E '^# cancelled [0-9]+' "$OUT/browser.tap" | awk '{print $3}' | tail -n 1)"
br_total_expected="$(grep -hcE "^test\\('" tests/browser/*.test.mjs | awk '{s+=$1} END {print s+0}')"
br_pass="${br_pass:-0}"; br_fail="$(( ${br_fail:-0} + ${br_cancel:-0} ))"
# a crash before any test reported still counts every test as failed
if [ $((br_pass + br_fail)) -lt "$br_total_expected" ]; then br_fail=$((br_total_expected - br_pass)); fi

passed=$br_pass; failed=$br_fail
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
