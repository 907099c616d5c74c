// Shared by the Node benchmarks: argument parsing, the inputs manifest, the timing loop.
"use strict";
const fs = require("fs");
const path = require("path");
const { performance } = require("perf_hooks");

function parseArgs(argv, extra = {}) {
  const o = { inputs: path.join(__dirname, "..", "inputs"), n: 2000, warmup: 200, maxSeconds: 10, only: null, ...extra };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--inputs") o.inputs = v();
    else if (a === "--n") o.n = Number(v());
    else if (a === "--warmup") o.warmup = Number(v());
    else if (a === "--max-seconds") o.maxSeconds = Number(v());
    else if (a === "--only") o.only = v();
    else if (a.startsWith("--") && a.slice(2) in extra) o[a.slice(2)] = v();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.n >= 1)) throw new Error("--n must be at least 1");
  return o;
}

function loadManifest(dir) {
  const m = JSON.parse(fs.readFileSync(path.join(dir, "inputs.json"), "utf8"));
  m.certPem = fs.readFileSync(path.join(dir, m.cert), "utf8");
  for (const input of m.inputs) input.bytes = fs.readFileSync(path.join(dir, input.file));
  return m;
}

// Nearest rank, as in bench/native and bench/*.py: sorted[ceil(q * n) - 1].
function pct(sorted, q) {
  const n = sorted.length;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1];
}

// Warm up, then time up to o.n calls of fn() (fewer if o.maxSeconds runs out), each alone with
// performance.now(). fn must return a truthy value (a check that the call really verified).
function timeCalls(fn, o) {
  // Warm-up: o.warmup calls, but never more than a quarter of the time budget (at most 2 s).
  const warmEnd = performance.now() + Math.min(2000, (o.maxSeconds * 1000) / 4);
  for (let i = 0; i < o.warmup && performance.now() < warmEnd; i++) fn();
  const times = [];
  const deadline = performance.now() + o.maxSeconds * 1000;
  while (times.length < o.n && performance.now() < deadline) {
    const t0 = performance.now();
    const r = fn();
    const t1 = performance.now();
    if (!r) throw new Error("a timed call did not verify");
    times.push((t1 - t0) * 1000);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  times.sort((a, b) => a - b);
  return { n: times.length, median_us: pct(times, 0.5), p99_us: pct(times, 0.99), mean_us: mean, min_us: times[0], max_us: times[times.length - 1] };
}

module.exports = { parseArgs, loadManifest, pct, timeCalls };
