#!/usr/bin/env bash
# README command 2: install what the tests need (skipping what is there), then run every check.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if [ -f scripts/install.sh ]; then
  bash scripts/install.sh
else
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --release -- -D warnings
echo "== wasm32 build of the verification core"
cargo build --release -p saml-verify --target wasm32-unknown-unknown
echo "== cargo test"
cargo test --workspace --release
