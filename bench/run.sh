#!/usr/bin/env bash
# The saml-verify benchmark: builds what it needs, runs every measurement, prints ONE markdown
# table (also written to bench/results/latest.md). Progress goes to stderr; logs and raw JSON to
# bench/results/raw/. See bench/README.md.
#
#   bash bench/run.sh
#
# Knobs (environment):
#   BENCH_N=2000 BENCH_WARMUP=200 BENCH_MAX_SECONDS=8   in-process timings, per input and implementation
#   XMLSEC_RUNS=200 XMLSEC_BATCHES=15 XMLSEC_REPEAT=100  xmlsec1 processes / --repeat batches
#   E2E_LEVELS=1,8,32 E2E_SIGNINS=300 E2E_FIRST=300 E2E_USERS=64 E2E_SIGN=both E2E_SIGNERS=4
#   COLD_RUNS=20                                          fresh isolates per cold-start place
#   DECRYPT_RUNS=400                                      examples/decrypt_timing.rs rounds
#   SKIP_E2E=1 SKIP_BUNDLE=1 SKIP_CHOICES=1              leave a part out (SKIP_CHOICES: the all-z and
#                                                         all-3 builds, wasm and bundle, of issue #16)
#   WORKER_URL=... SUPPORT_TOKEN=...                      e2e against a running worker instead
set -uo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$BENCH")"
RAW="$BENCH/results/raw"
TARGET="$BENCH/target"
started=$(date +%s)

BENCH_N="${BENCH_N:-2000}"
BENCH_WARMUP="${BENCH_WARMUP:-200}"
BENCH_MAX_SECONDS="${BENCH_MAX_SECONDS:-8}"
XMLSEC_RUNS="${XMLSEC_RUNS:-200}"
XMLSEC_BATCHES="${XMLSEC_BATCHES:-15}"
XMLSEC_REPEAT="${XMLSEC_REPEAT:-100}"
export E2E_LEVELS="${E2E_LEVELS:-1,8,32}" E2E_SIGNINS="${E2E_SIGNINS:-300}" E2E_FIRST="${E2E_FIRST:-300}"
export E2E_USERS="${E2E_USERS:-64}" E2E_SIGN="${E2E_SIGN:-both}" E2E_SIGNERS="${E2E_SIGNERS:-4}"

# Profiles come from bench/Cargo.toml only (wrangler's build command sets this one for its own build).
unset CARGO_PROFILE_RELEASE_OPT_LEVEL CARGO_TARGET_DIR CARGO_BUILD_TARGET

rm -rf "$RAW"
mkdir -p "$RAW"
: >"$RAW/failures.tsv"

say() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# step NAME OUTFILE CMD...: run CMD with stdout to OUTFILE (or /dev/null) and stderr to
# raw/NAME.log; on failure note it for the table and go on with the next step.
step() {
  local name="$1" out="$2"
  shift 2
  say "$name"
  local t0 rc
  t0=$(date +%s)
  if [ "$out" = "-" ]; then out=/dev/null; fi
  "$@" >"$out" 2>"$RAW/$name.log"
  rc=$?
  if [ $rc -ne 0 ]; then
    local why
    why="$(grep -v '^\s*$' "$RAW/$name.log" | tail -n 1 | cut -c1-160)"
    printf '%s\texit %s: %s (log: bench/results/raw/%s.log)\n' "$name" "$rc" "$why" "$name" >>"$RAW/failures.tsv"
    say "  $name FAILED (exit $rc); see $RAW/$name.log"
  fi
  say "  $name: $(($(date +%s) - t0)) s"
  return $rc
}

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench/run.sh: $1 not found ($2)" >&2; exit 2; }; }
need cargo "Rust toolchain"
need node "Node.js 20+"
need npm "npm"
need python3 "python3"
need xmlsec1 "apt-get install xmlsec1"
need openssl "apt-get install openssl"
need wasm-bindgen "cargo install wasm-bindgen-cli --version 0.2.130"

# ---- inputs (committed; made again only when missing) ------------------------------------------
if [ ! -f "$BENCH/inputs/inputs.json" ]; then
  step make-inputs - python3 "$BENCH/make_inputs.py" || exit 1
fi

# ---- builds, one at a time ----------------------------------------------------------------------
cd "$BENCH"
step build-native - cargo build --release -p bench-native --target-dir "$TARGET"

WASM_OPT=""
if [ -x "$REPO/node_modules/.bin/wasm-opt" ]; then WASM_OPT="$REPO/node_modules/.bin/wasm-opt";
elif command -v wasm-opt >/dev/null 2>&1; then WASM_OPT="$(command -v wasm-opt)"; fi

build_wasm() { # PROFILE PKGDIR [wasm-opt]
  local profile="$1" pkg="$2" opt="${3:-}"
  cargo build --profile "$profile" -p bench-wasm --target wasm32-unknown-unknown --target-dir "$TARGET" || return 1
  rm -rf "$pkg"
  wasm-bindgen --target nodejs --out-dir "$pkg" "$TARGET/wasm32-unknown-unknown/$profile/bench_wasm.wasm" || return 1
  if [ -n "$opt" ]; then
    if [ -z "$WASM_OPT" ]; then echo "no wasm-opt (run scripts/install.sh): the worker row is NOT wasm-opt'ed" >&2; return 0; fi
    # The flags worker-build uses for this repo (Cargo.toml wasm-pack profile + worker-build's features).
    "$WASM_OPT" "$pkg/bench_wasm_bg.wasm" -o "$pkg/opt.wasm" -Oz --strip-debug --strip-producers \
      --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
      --enable-multivalue --enable-reference-types --enable-exception-handling --debuginfo || return 1
    mv "$pkg/opt.wasm" "$pkg/bench_wasm_bg.wasm"
  fi
}
step build-wasm-worker - build_wasm worker "$TARGET/wasm-pkg/worker" opt
# Issue #16's other build choices, wasm-opt'ed like the worker: all opt-level z, all opt-level 3.
CHOICES=(all-z all-3)
if [ "${SKIP_CHOICES:-0}" = 1 ]; then CHOICES=(); fi
for choice in "${CHOICES[@]}"; do
  step "build-wasm-$choice" - build_wasm "worker-$choice" "$TARGET/wasm-pkg/$choice" opt
done

npm_install() {
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
}
if [ ! -d node_modules/xml-crypto ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step npm-install - npm_install
fi

# The worker bundle (wrangler deploy --dry-run builds the worker in the repo's target/): before
# the timings, so that its build does not run beside them. Each build choice of issue #16 is
# built for real (the other two through WORKER_BUILD_ARGS: cargo --config overrides win over
# wrangler.toml's CARGO_PROFILE_RELEASE_OPT_LEVEL=z); the shipped one last, so that build/ (which
# the cold-start step runs) is what ships.
HOT_PKGS=(saml-verify quick-xml memchr sha2 base64)
choice_args() { # CHOICE -> WORKER_BUILD_ARGS
  case "$1" in
    all-z) local a="--"; for p in "${HOT_PKGS[@]}"; do a="$a --config profile.release.package.$p.opt-level=\"z\""; done; echo "$a" ;;
    all-3) echo "-- --config profile.release.opt-level=3" ;;
    *) echo "" ;;
  esac
}
bundle_line=""
: >"$RAW/bundle-choices.jsonl"
if [ "${SKIP_BUNDLE:-0}" != 1 ]; then
  for choice in "${CHOICES[@]}" shipped; do
    say "bundle-size ($choice)"
    t0=$(date +%s)
    ( cd "$REPO" && WORKER_BUILD_ARGS="$(choice_args "$choice")" bash scripts/bundle-size.sh ) \
      >"$RAW/bundle-$choice.txt" 2>"$RAW/bundle-size-$choice.log"
    rc=$?
    line="$(grep -o 'worker bundle: .*' "$RAW/bundle-$choice.txt" | tail -n 1 | sed 's/^worker bundle: //')"
    if [ -z "$line" ]; then
      printf 'bundle-size-%s\texit %s: %s (log: bench/results/raw/bundle-size-%s.log)\n' "$choice" "$rc" \
        "$(grep -v '^\s*$' "$RAW/bundle-size-$choice.log" | tail -n 1 | cut -c1-160)" "$choice" >>"$RAW/failures.tsv"
      say "  bundle-size ($choice) FAILED (exit $rc); see $RAW/bundle-size-$choice.log"
    else
      if [ $rc -ne 0 ]; then line="$line; $(grep -v '^\s*$' "$RAW/bundle-size-$choice.log" | tail -n 1 | cut -c1-120)"; fi
      python3 -c 'import json,sys; print(json.dumps({"choice": sys.argv[1], "line": sys.argv[2]}))' "$choice" "$line" \
        >>"$RAW/bundle-choices.jsonl"
      if [ "$choice" = shipped ]; then bundle_line="$line"; fi
    fi
    say "  bundle-size ($choice): $(($(date +%s) - t0)) s"
  done
fi

# Cold start of the built worker (issue #17): 20 fresh isolates under Node's V8 and on wrangler dev.
if [ "${SKIP_BUNDLE:-0}" != 1 ]; then
  step cold-start "$RAW/cold-start.jsonl" python3 "$BENCH/cold_start.py" --runs "${COLD_RUNS:-20}"
fi

# ---- in-process timings ------------------------------------------------------------------------
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
common=(--n "$BENCH_N" --warmup "$BENCH_WARMUP" --max-seconds "$BENCH_MAX_SECONDS")
step native "$RAW/native.jsonl" "$TARGET/release/bench-native" "$BENCH/inputs" "${common[@]}"
: >"$RAW/wasm.jsonl"
step wasm-worker "$RAW/wasm-worker.jsonl" node js/wasm_bench.js --pkg "$TARGET/wasm-pkg/worker" --label wasm-worker "${common[@]}"
cat "$RAW/wasm-worker.jsonl" >>"$RAW/wasm.jsonl"
for choice in "${CHOICES[@]}"; do
  step "wasm-$choice" "$RAW/wasm-$choice.jsonl" node js/wasm_bench.js --pkg "$TARGET/wasm-pkg/$choice" \
    --label "wasm-$choice" --only typical-both-sha256 "${common[@]}"
  cat "$RAW/wasm-$choice.jsonl" >>"$RAW/wasm.jsonl"
done
step xml-crypto "$RAW/xmlcrypto.jsonl" node js/xmlcrypto_bench.js "${common[@]}"
step xmlsec1 "$RAW/xmlsec.jsonl" python3 xmlsec_bench.py --runs "$XMLSEC_RUNS" --batches "$XMLSEC_BATCHES" --repeat "$XMLSEC_REPEAT"
# libxmlsec1 in-process through PyPI's xmlsec binding (issue #16's 0.2x target).
step xmlsec-inproc "$RAW/xmlsec-inproc.jsonl" python3 xmlsec_inproc.py "${common[@]}"
# Where the native time goes (issue #16): phases and allocations, and OpenSSL's floor.
step phases "$RAW/phases.jsonl" "$TARGET/release/phases" "$BENCH/inputs" --n 3000
step openssl-floor "$RAW/openssl-floor.jsonl" python3 openssl_floor.py

# ---- issue #11: pre-authentication cost and decryption timing by failure kind ------------------
PRE="$TARGET/pre-auth-inputs"
: >"$RAW/pre-auth.jsonl"
step pre-auth-native "$RAW/pre-auth-native.jsonl" cargo run --release -q --manifest-path "$REPO/Cargo.toml" \
  -p saml-verify --example pre_auth_inputs -- "$PRE" 15
cat "$RAW/pre-auth-native.jsonl" >>"$RAW/pre-auth.jsonl"
step pre-auth-wasm "$RAW/pre-auth-wasm.jsonl" node js/pre_auth.js --pkg "$TARGET/wasm-pkg/worker" --dir "$PRE" --runs 15
cat "$RAW/pre-auth-wasm.jsonl" >>"$RAW/pre-auth.jsonl"
step decrypt-timing "$RAW/decrypt-timing.jsonl" cargo run --release -q --manifest-path "$REPO/Cargo.toml" \
  -p saml-verify --example decrypt_timing -- "${DECRYPT_RUNS:-400}"

# ---- end to end on wrangler dev ------------------------------------------------------------------
if [ "${SKIP_E2E:-0}" != 1 ]; then
  step e2e "$RAW/e2e.jsonl" python3 e2e.py
fi

# ---- the table ------------------------------------------------------------------------------------
total=$(($(date +%s) - started))
export META_BUNDLE="$bundle_line" META_LOAD="$load_at_start" META_TOTAL="$total" META_RAW="$RAW" META_REPO="$REPO"
export META_KNOBS="BENCH_N=$BENCH_N BENCH_WARMUP=$BENCH_WARMUP BENCH_MAX_SECONDS=$BENCH_MAX_SECONDS XMLSEC_RUNS=$XMLSEC_RUNS XMLSEC_BATCHES=$XMLSEC_BATCHES XMLSEC_REPEAT=$XMLSEC_REPEAT E2E_LEVELS=$E2E_LEVELS E2E_SIGNINS=$E2E_SIGNINS E2E_FIRST=$E2E_FIRST E2E_SIGN=$E2E_SIGN"
export META_WASM_OPT="${WASM_OPT:-none}"
python3 - <<'EOF'
import json, os, platform, subprocess, datetime
def out(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except Exception:
        return "?"
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
repo = os.environ["META_REPO"]
rev = out(["git", "-C", repo, "rev-parse", "--short", "HEAD"])
dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--", "crates", "src", "Cargo.toml", "Cargo.lock"],
                       capture_output=True, text=True).stdout.strip()
xc = json.load(open(os.path.join(repo, "bench", "node_modules", "xml-crypto", "package.json")))["version"] if os.path.exists(os.path.join(repo, "bench", "node_modules", "xml-crypto", "package.json")) else "?"
failures = {}
for line in open(os.path.join(os.environ["META_RAW"], "failures.tsv"), encoding="utf-8"):
    if "\t" in line:
        k, v = line.rstrip("\n").split("\t", 1)
        failures[k] = v
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "git": rev + (" + uncommitted changes in crates/ src/ or Cargo.*" if dirty else ""),
    "cpu": f"{cpu}, {os.cpu_count()} logical CPUs ({platform.machine()})",
    "loadavg": os.environ.get("META_LOAD", "?"),
    "versions": "; ".join([out(["rustc", "--version"]), "node " + out(["node", "--version"]), out(["xmlsec1", "--version"]),
                           "xml-crypto " + xc, out(["wasm-bindgen", "--version"]),
                           "wasm-opt: " + (out([os.environ["META_WASM_OPT"], "--version"]) if os.environ["META_WASM_OPT"] != "none" else "none")]),
    "knobs": os.environ.get("META_KNOBS", ""),
    "total_seconds": int(os.environ.get("META_TOTAL", "0")),
    "bundle_line": os.environ.get("META_BUNDLE", ""),
    "failures": failures,
}
json.dump(meta, open(os.path.join(os.environ["META_RAW"], "meta.json"), "w"), indent=2)
EOF
python3 "$BENCH/report.py" "$RAW" --out "$BENCH/results/latest.md"
say "done in ${total} s"
