#!/usr/bin/env bash
# README command 2: install what the tests need (skipping what is there), then run every check:
# formatting, lints, native unit and corpus tests, the wasm32 build of the core, the worker bundle
# budget, and the integration tests against the real local runtime (wrangler dev: workerd, KV, D1).
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
cargo build --release -p saml-verify -p jit -p web --target wasm32-unknown-unknown
echo "== cargo test"
cargo test --workspace --all-features --release
echo "== worker bundle (wrangler deploy --dry-run)"
bash scripts/bundle-size.sh
echo "== integration tests on wrangler dev"
WORKER_BUILD_ARGS=--no-opt python3 tests/integration/run.py
echo "== admin/support API and role tests on wrangler dev"
WORKER_BUILD_ARGS=--no-opt python3 tests/api/run.py
echo "== browser tests on wrangler dev (headless Chromium)"
bash tests/browser/run.sh
