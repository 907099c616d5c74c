#!/usr/bin/env bash
# Installs everything needed to build, test and run the worker locally, skipping what is already
# there, so it is cheap to run before every dev/test command. Safe to re-run. Prints one line per
# step it runs (what it installs and roughly how long that takes; nothing when everything is
# there); on failure prints what went wrong (and the tail of the failing tool's log) to stderr.
# VERBOSE=1 also shows each tool's own output. A cold install takes about 15 minutes on 2 cores,
# almost all of it the three `cargo install`s.
#
#   Debian packages  xmlsec1 libxml2-utils (reference XML-DSig checks), pkg-config libssl-dev
#                    (worker-build links OpenSSL), curl openssl ca-certificates python3 (dev.sh),
#                    chromium (browser tests, driven by playwright-core), python3-venv (.venv)
#   rust target      wasm32-unknown-unknown
#   cargo tools      worker-build 0.8.7; wasm-bindgen-cli at the exact wasm-bindgen in Cargo.lock;
#                    cargo-deny 0.20.2 (supply-chain checks in scripts/test.sh)
#   advisory db      ../shared/advisory-db (RustSec snapshot) copied, as a git repository, to
#                    $CARGO_HOME/saml-jit-advisory-dbs/ where deny.toml's db-path points
#   npm              wrangler, binaryen (wasm-opt) and esbuild pinned in package-lock.json
#   python venv      .venv with scim2-tester[httpx2] 0.5.2 from PyPI (the SCIM compliance checker
#                    scripts/test.sh runs against wrangler dev)
#   PyPI             xmlsec 1.3.17 + lxml (bench/xmlsec_inproc.py), when `import xmlsec` fails
#
# Needs (not installable here): rustup + cargo, Node.js >= 20.3 with npm (Debian's nodejs is 18).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

WORKER_BUILD_VERSION="0.8.7"
CARGO_DENY_VERSION="0.20.2"
APT_PACKAGES=(xmlsec1 libxml2-utils pkg-config libssl-dev curl openssl ca-certificates python3 python3-venv chromium git)
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=3

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/install-sh.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

die() {
  echo "scripts/install.sh: error: $*" >&2
  exit 1
}
# step WHAT: one line per step that runs, so a cold install is never silent for minutes.
step() {
  echo "scripts/install.sh: $*" >&2
}
# run NAME CMD...: run CMD with its output captured; on failure show the log's tail and exit.
run() {
  local name="$1"
  shift
  local log="$LOG_DIR/$name.log"
  if [ "${VERBOSE:-0}" = "1" ]; then
    "$@" 2>&1 | tee "$log" >&2 && return 0
  elif "$@" >"$log" 2>&1; then
    return 0
  fi
  echo "scripts/install.sh: error: '$*' failed; its output:" >&2
  if [ "$(wc -l <"$log")" -le 50 ]; then
    sed 's/^/    /' "$log" >&2
  else
    head -n 15 "$log" | sed 's/^/    /' >&2
    echo "    [...]" >&2
    tail -n 30 "$log" | sed 's/^/    /' >&2
  fi
  exit 1
}

# One install at a time (dev.sh and test.sh may both call this).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/install-sh-$(id -u).lock"
  flock 9
fi

# cargo-installed tools live in ~/.cargo/bin; make sure this script (and its checks) see them.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -d "$CARGO_BIN" ]; then
  case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac
fi

# --- Debian packages ------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "apt-get install ${missing[*]} (about a minute)"
  command -v apt-get >/dev/null 2>&1 || die "missing Debian packages (${missing[*]}) and no apt-get"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=(sudo)
  fi
  run apt-update "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run apt-install "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Node.js (preinstalled; Debian's own nodejs is too old for wrangler 4) -------------------
command -v node >/dev/null 2>&1 || die "node not found: install Node.js >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm alongside Node.js"
node_version="$(node -p 'process.versions.node')"
IFS=. read -r node_major node_minor _ <<<"$node_version"
if [ "$node_major" -lt "$NODE_MIN_MAJOR" ] ||
  { [ "$node_major" -eq "$NODE_MIN_MAJOR" ] && [ "$node_minor" -lt "$NODE_MIN_MINOR" ]; }; then
  die "Node.js $node_version is too old: wrangler needs >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}"
fi

# --- Rust: wasm32 target ----------------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (and put ~/.cargo/bin on PATH)"
command -v rustup >/dev/null 2>&1 || die "rustup not found: the wasm32-unknown-unknown target is added with rustup"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown (under a minute)"
  run rustup-target rustup target add wasm32-unknown-unknown
fi

# --- worker-build ------------------------------------------------------------------------------
installed_wb="$(worker-build --version 2>/dev/null | awk '{print $NF}' | head -n 1 || true)"
if [ "$installed_wb" != "$WORKER_BUILD_VERSION" ]; then
  step "cargo install worker-build $WORKER_BUILD_VERSION (was: ${installed_wb:-none}; about 4 minutes on 2 cores)"
  run worker-build cargo install worker-build --version "$WORKER_BUILD_VERSION" --force
  [ "$(worker-build --version 2>/dev/null | awk '{print $NF}' | head -n 1)" = "$WORKER_BUILD_VERSION" ] ||
    die "worker-build $WORKER_BUILD_VERSION was installed but 'worker-build --version' disagrees (PATH order?)"
fi

# --- wasm-bindgen-cli: exactly the wasm-bindgen version the worker links -----------------------
[ -f Cargo.lock ] || die "Cargo.lock not found in $ROOT: run 'cargo generate-lockfile' first"
# Versions of the package named exactly "wasm-bindgen" (not wasm-bindgen-futures etc.).
mapfile -t wb_versions < <(awk '
  /^\[\[package\]\]/ { in_wb = 0 }
  /^name = "wasm-bindgen"$/ { in_wb = 1; next }
  in_wb && /^version = "/ { v = $3; gsub(/"/, "", v); print v; in_wb = 0 }
' Cargo.lock | sort -u)
if [ "${#wb_versions[@]}" -eq 0 ]; then
  die "Cargo.lock has no 'wasm-bindgen' package: the worker crate must depend on worker/wasm-bindgen"
elif [ "${#wb_versions[@]}" -gt 1 ]; then
  die "Cargo.lock has several wasm-bindgen versions (${wb_versions[*]}): unify them (cargo update -p wasm-bindgen)"
fi
WASM_BINDGEN_VERSION="${wb_versions[0]}"
installed_bindgen="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' | head -n 1 || true)"
if [ "$installed_bindgen" != "$WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (was: ${installed_bindgen:-none}; about 4 minutes on 2 cores)"
  run wasm-bindgen-cli cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' | head -n 1)" = "$WASM_BINDGEN_VERSION" ] ||
    die "wasm-bindgen-cli $WASM_BINDGEN_VERSION was installed but 'wasm-bindgen --version' disagrees (PATH order?)"
fi

# --- npm: wrangler, binaryen, esbuild -----------------------------------------------------------
[ -f package-lock.json ] || die "package-lock.json not found in $ROOT"
# npm writes node_modules/.package-lock.json on every install: it is older than package-lock.json
# exactly when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci: wrangler, binaryen, esbuild from package-lock.json (under a minute)"
  run npm-ci npm ci --no-audit --no-fund --loglevel=error
fi
for bin in wrangler wasm-opt esbuild; do
  [ -x "node_modules/.bin/$bin" ] || die "node_modules/.bin/$bin missing after npm ci: remove node_modules and re-run"
done

# --- Python: scim2-tester in .venv (the SCIM compliance checker of scripts/test.sh) ----------------
SCIM2_TESTER_VERSION="0.5.2"
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('scim2-tester') != '$SCIM2_TESTER_VERSION')" 2>/dev/null; then
  step "python3 -m venv .venv; pip install scim2-tester[httpx2]==$SCIM2_TESTER_VERSION (under a minute)"
  run venv python3 -m venv .venv
  run scim2-tester .venv/bin/pip install --quiet --disable-pip-version-check "scim2-tester[httpx2]==$SCIM2_TESTER_VERSION"
fi

# --- PyPI xmlsec: libxmlsec1 in-process, bench/run.sh's comparison (bench/xmlsec_inproc.py) ------
XMLSEC_PY_VERSION="1.3.17"
if ! python3 -c 'import xmlsec, lxml.etree' >/dev/null 2>&1; then
  step "pip install xmlsec==$XMLSEC_PY_VERSION (with lxml; the in-process libxmlsec1 benchmark; under a minute)"
  run pip-xmlsec python3 -m pip install --disable-pip-version-check "xmlsec==$XMLSEC_PY_VERSION" lxml
fi

# --- cargo-deny: advisories, duplicate versions and licenses (scripts/test.sh) ---------------------
installed_deny="$(cargo-deny --version 2>/dev/null | awk '{print $2}' | head -n 1 || true)"
if [ "$installed_deny" != "$CARGO_DENY_VERSION" ]; then
  step "cargo install cargo-deny $CARGO_DENY_VERSION --locked (was: ${installed_deny:-none}; about 7-10 minutes on 2 cores)"
  run cargo-deny cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --force
  [ "$(cargo-deny --version 2>/dev/null | awk '{print $2}' | head -n 1)" = "$CARGO_DENY_VERSION" ] ||
    die "cargo-deny $CARGO_DENY_VERSION was installed but 'cargo-deny --version' disagrees (PATH order?)"
fi

# --- RustSec advisory database: the offline snapshot in ../shared -------------------------------
# These machines reach only package registries, so cargo-deny cannot fetch the database. deny.toml
# sets db-path to $CARGO_HOME/saml-jit-advisory-dbs; `cargo deny --offline` reads the database from
# the directory it derives from the default URL, advisory-db-3157b0e258782691, and needs it to be
# a git repository. Refreshed whenever ../shared/advisory-db/SNAPSHOT.txt changes.
ADVISORY_SRC="$ROOT/../shared/advisory-db"
ADVISORY_DIR="${CARGO_HOME:-$HOME/.cargo}/saml-jit-advisory-dbs/advisory-db-3157b0e258782691"
[ -f "$ADVISORY_SRC/SNAPSHOT.txt" ] || die "$ADVISORY_SRC/SNAPSHOT.txt not found: the RustSec snapshot must sit beside the repository"
if [ ! -d "$ADVISORY_DIR/.git" ] || ! cmp -s "$ADVISORY_SRC/SNAPSHOT.txt" "$ADVISORY_DIR/SNAPSHOT.txt"; then
  step "RustSec advisory database: ../shared/advisory-db -> $ADVISORY_DIR, as a git repository (seconds)"
  command -v git >/dev/null 2>&1 || die "git not found (needed for the advisory database)"
  rm -rf "$ADVISORY_DIR.tmp"
  mkdir -p "$ADVISORY_DIR.tmp"
  cp -R "$ADVISORY_SRC/." "$ADVISORY_DIR.tmp/"
  chmod -R u+w "$ADVISORY_DIR.tmp"
  run advisory-git-init git -C "$ADVISORY_DIR.tmp" init -q
  run advisory-git-add git -C "$ADVISORY_DIR.tmp" add -A
  run advisory-git-commit git -C "$ADVISORY_DIR.tmp" -c user.name=install.sh -c user.email=install.sh@localhost \
    -c commit.gpgsign=false commit -q -m "$(head -n 1 "$ADVISORY_SRC/SNAPSHOT.txt")"
  rm -rf "$ADVISORY_DIR"
  mv "$ADVISORY_DIR.tmp" "$ADVISORY_DIR"
fi
