# Source this (`source scripts/wrangler-env.sh`) before running wrangler: it keeps wrangler, miniflare
# and worker-build off the network (beyond the package registries) and free of interactive prompts.
# Checked by running wrangler dev / d1 migrations apply --local / kv key put --local /
# deploy --dry-run in a network namespace with only loopback, under strace: no outside connect().

# No usage metrics (also `send_metrics = false` in wrangler.toml).
export WRANGLER_SEND_METRICS=false
# No Sentry crash reports, and no "Would you like to report this error?" prompt after a crash.
export WRANGLER_SEND_ERROR_REPORTS=false
# miniflare would otherwise download request.cf data from workers.cloudflare.com on dev start.
export CLOUDFLARE_CF_FETCH_ENABLED=false
# The banner triggers an npm-registry "newer wrangler?" check (3 s timeout); hiding it skips that.
export WRANGLER_HIDE_BANNER=true

# worker-build would download wasm-bindgen, wasm-opt and esbuild; wrangler.toml's build command
# points it at local ones. Exported too so a bare `worker-build` run from the repo root behaves alike.
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-./node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-./node_modules/.bin/esbuild}"

# wrangler runs worker-build, wasm-bindgen from ~/.cargo/bin.
_wrangler_env_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -d "$_wrangler_env_cargo_bin" ]; then
  case ":$PATH:" in
    *":$_wrangler_env_cargo_bin:"*) ;;
    *) export PATH="$_wrangler_env_cargo_bin:$PATH" ;;
  esac
fi
unset _wrangler_env_cargo_bin
