// One cold start of the built worker (build/ from worker-build, as wrangler deploys it) in a
// fresh Node (V8) process: module load with the wasm compile and instantiation, then the first
// request (GET /healthz) handled by the fetch handler. Prints one JSON line, milliseconds.
// bench/cold_start.py runs it in 20 fresh processes and reports medians.
//
//   node bench/js/cold_start.mjs BUILD_DIR
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import path from "node:path";

register("./cold_start_loader.mjs", import.meta.url);
globalThis.addEventListener ??= () => {};

const dir = path.resolve(process.argv[2] || "build");
const t0 = performance.now();
const mod = await import(pathToFileURL(path.join(dir, "index.js")).href);
const t1 = performance.now();
const ctx = { waitUntil() {}, passThroughOnException() {} };
const env = { PUBLIC_ORIGIN: "http://127.0.0.1:8787" };
const worker = new mod.default(ctx, env);
const res = await worker.fetch(new Request("http://127.0.0.1:8787/healthz"));
const body = await res.text();
const t2 = performance.now();
if (res.status !== 200) throw new Error(`/healthz answered ${res.status}: ${body.slice(0, 200)}`);
console.log(JSON.stringify({ load_ms: +(t1 - t0).toFixed(2), first_request_ms: +(t2 - t1).toFixed(2), total_ms: +(t2 - t0).toFixed(2) }));
