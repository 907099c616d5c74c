#!/usr/bin/env bash
# README command 2: install what the tests need (skipping what is there), then run every check:
# formatting, lints, native unit and corpus tests, the wasm32 build of the core, the supply-chain
# checks (cargo deny on the three workspaces, npm audit reported), the worker bundle budget, and
# the integration tests against the real local runtime (wrangler dev: workerd, KV, D1).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

bash scripts/install.sh
source scripts/wrangler-env.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features --release -- -D warnings
echo "== wasm32 build of the verification core"
cargo build --release -p saml-verify -p jit -p web -p scim --target wasm32-unknown-unknown
echo "== pre-authentication cost in wasm (crafted c14n input vs plain unsigned, V8)"
bash scripts/wasm-pre-auth.sh
echo "== cargo test"
cargo test --workspace --all-features --release
echo "== supply chain: cargo deny (advisories, duplicate versions, licenses, sources)"
# Offline: the RustSec database is the snapshot that install.sh copied from ../shared.
head -n 1 ../shared/advisory-db/SNAPSHOT.txt | cut -d. -f1
for manifest in Cargo.toml fuzz/Cargo.toml bench/Cargo.toml; do
  echo "-- cargo deny --offline check ($manifest, every workspace member)"
  cargo fetch --locked --quiet --manifest-path "$manifest"
  cargo deny --offline --manifest-path "$manifest" --workspace --config deny.toml check
done
echo "== supply chain: npm audit --omit=dev (reported, never fails the run)"
# wrangler, binaryen and esbuild are dev-only tools; the audit endpoint is unreachable from
# machines that reach only the registry's package downloads, which is said rather than hidden.
if audit="$(npm audit --omit=dev 2>&1)"; then
  echo "$audit"
elif grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|audit endpoint|network|request to .* failed|code E[0-9]{3}' <<<"$audit"; then
  echo "npm audit could not reach the registry's audit endpoint; not checked:"
  sed 's/^/    /' <<<"$audit" | head -n 5
else
  echo "$audit"
  echo "npm audit reported the findings above (not failing the run)"
fi
echo "== worker bundle (wrangler deploy --dry-run)"
bash scripts/bundle-size.sh
echo "== integration tests on wrangler dev"
WORKER_BUILD_ARGS=--no-opt python3 tests/integration/run.py
echo "== admin/support API and role tests on wrangler dev"
WORKER_BUILD_ARGS=--no-opt python3 tests/api/run.py
echo "== SCIM compliance: scim2-tester against wrangler dev"
WORKER_BUILD_ARGS=--no-opt .venv/bin/python tests/scim/run_scim2_tester.py
echo "== browser tests on wrangler dev (headless Chromium)"
bash tests/browser/run.sh
