// Issue #11, finding 1, in wasm under V8: the crafted 1 MiB input (a forged signature over a
// 32-prefix InclusiveNamespaces list, ~500 declarations, ~250,000 elements) must be refused in
// about the time of a plain unsigned Response of the same size. Both come from
// `cargo run --release -p saml-verify --example pre_auth_inputs -- DIR`.
//
//   node bench/js/pre_auth.js --pkg DIR --dir INPUTS [--runs N] [--check RATIO]
//
// Prints one JSON line (milliseconds: the median and the fastest of --runs calls each). With
// --check, exits 1 when the fastest crafted call takes more than RATIO times the fastest plain
// one (the fastest call is the one least disturbed by the rest of the machine).
"use strict";
const fs = require("fs");
const path = require("path");
const { performance } = require("perf_hooks");

const o = { pkg: null, dir: null, runs: 15, check: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, "");
  if (!(k in o) || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
  o[k] = argv[i + 1];
}
if (!o.pkg || !o.dir) throw new Error("--pkg and --dir are required");
const { Verifier } = require(path.resolve(o.pkg, "bench_wasm.js"));
const cert = fs.readFileSync(path.join(__dirname, "..", "inputs", "idp.cert.pem"));
const verifier = new Verifier(cert, "https://idp.example.org/saml2/metadata",
  "https://sp.example.com/saml/acme/metadata", "https://sp.example.com/saml/acme/acs",
  "2026-01-01T00:01:00Z");

function measure(file, wantCode) {
  const bytes = new Uint8Array(fs.readFileSync(path.join(o.dir, file)));
  const why = verifier.explain(bytes);
  if (!why.startsWith(wantCode + ":")) throw new Error(`${file}: expected ${wantCode}, got ${why || "accepted"}`);
  const times = [];
  for (let i = 0; i < Number(o.runs); i++) {
    const t0 = performance.now();
    verifier.verify(bytes);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median_ms: +times[times.length >> 1].toFixed(2), fastest_ms: +times[0].toFixed(2) };
}

const crafted = measure("c14n-bomb.xml", "signature_invalid");
const plain = measure("plain-unsigned.xml", "signature_missing");
const ratio = +(crafted.fastest_ms / plain.fastest_ms).toFixed(2);
const median_ratio = +(crafted.median_ms / plain.median_ms).toFixed(2);
console.log(JSON.stringify({ impl: "wasm", crafted, plain, ratio, median_ratio }));
if (o.check !== null && ratio > Number(o.check)) {
  console.error(`pre-auth cost in wasm: crafted/plain = ${ratio} > ${o.check}`);
  process.exit(1);
}
