#!/usr/bin/env bash
# Issue #11, finding 1, checked in wasm under V8 (Node): the verifier built as the worker builds
# it (opt-level z) refuses the crafted 1 MiB c14n input within 3x the time of a plain unsigned
# Response of the same size. Natively the same check is `tests/pre_auth_cost.rs`.
#
#   bash scripts/wasm-pre-auth.sh [RATIO]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="$ROOT/bench/target"
PKG="$TARGET/wasm-pkg/pre-auth"
INPUTS="$TARGET/pre-auth-inputs"
unset CARGO_PROFILE_RELEASE_OPT_LEVEL CARGO_TARGET_DIR CARGO_BUILD_TARGET

cargo run --release -q -p saml-verify --example pre_auth_inputs -- "$INPUTS"
( cd bench && cargo build -q --profile worker -p bench-wasm --target wasm32-unknown-unknown --target-dir "$TARGET" )
rm -rf "$PKG"
wasm-bindgen --target nodejs --out-dir "$PKG" "$TARGET/wasm32-unknown-unknown/worker/bench_wasm.wasm"
node bench/js/pre_auth.js --pkg "$PKG" --dir "$INPUTS" --runs 5 --check "${1:-3}"
