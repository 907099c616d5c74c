// saml-verify compiled to wasm32-unknown-unknown, bound by `wasm-bindgen --target nodejs`, timed
// under Node's V8: one JSON line per input on stdout (microseconds).
//
//   node bench/js/wasm_bench.js --pkg DIR --label worker [--inputs DIR] [--n N] [--warmup N] [--max-seconds S] [--only NAME]
"use strict";
const path = require("path");
const { parseArgs, loadManifest, timeCalls } = require("./common");

const o = parseArgs(process.argv.slice(2), { pkg: null, label: "wasm" });
if (!o.pkg) throw new Error("--pkg DIR (the wasm-bindgen output) is required");
const { Verifier } = require(path.resolve(o.pkg, "bench_wasm.js"));
const m = loadManifest(o.inputs);
const verifier = new Verifier(Buffer.from(m.certPem), m.idp_entity_id, m.sp_entity_id, m.acs_url, m.now);

for (const input of m.inputs) {
  if (o.only && o.only !== input.name) continue;
  const bytes = new Uint8Array(input.bytes);
  const flags = verifier.verify(bytes);
  const sigs = ((flags & 2) ? 1 : 0) + ((flags & 4) ? 1 : 0);
  if (!flags) throw new Error(`${input.name} does not verify in wasm: ${verifier.explain(bytes)}`);
  if (sigs !== input.signatures) throw new Error(`${input.name}: ${sigs} signatures verified, inputs.json says ${input.signatures}`);
  const r = timeCalls(() => verifier.verify(bytes), o);
  console.log(JSON.stringify({ impl: o.label, input: input.name, ...r }));
}
