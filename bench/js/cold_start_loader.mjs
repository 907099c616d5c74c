// Module hooks for bench/js/cold_start.mjs: what workerd provides and Node does not.
// - `cloudflare:workers`: only WorkerEntrypoint, which keeps ctx and env as workerd's does;
// - `*.wasm` imports: compiled on import (workerd's CompiledWasm modules), so the compile is
//   part of the measured start, as on the platform.
export async function resolve(specifier, context, next) {
  if (specifier === "cloudflare:workers") return { url: "stub:cloudflare-workers", shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url === "stub:cloudflare-workers") {
    return {
      format: "module",
      shortCircuit: true,
      source: "export class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
    };
  }
  if (url.endsWith(".wasm")) {
    // Hooks run on their own thread: the module reads the bytes itself, on the main thread.
    return {
      format: "module",
      shortCircuit: true,
      source: `import { readFileSync } from "node:fs";
export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));`,
    };
  }
  return next(url, context);
}
