// bench/d1_capacity.py only (never deployed): the built worker (../../build/index.js) with its D1
// binding wrapped, so that every request's answer carries an `X-D1-Stats` header: how many
// statements it ran (each statement of a batch counts), how many batches, and the sums of D1's
// own `meta.rows_read` and `meta.rows_written` (Cloudflare D1 docs, "Return objects": `meta`).
// `first()` is run as `all()` so that its meta is seen; it returns what `first()` would.
//
// POST /__d1replay {ops, n, concurrency, vary, salt}: runs the statements of one recorded request
// `n` times, `concurrency` at a time, straight on D1 (no verification, no KV), each string in
// `vary` made unique (salt and iteration appended) in every bound value: how many sign-ins' worth of D1 work per second
// one local D1 sustains. Answers {seconds, per_second, rows_written, errors}.
import { WorkerEntrypoint } from "cloudflare:workers";
import Worker from "../../build/index.js";

const RAW = Symbol("raw");

// One statement's result into the totals; returns its record (SQL, bound values, rows).
function count(stats, result, sql, params, batch) {
  stats.statements += 1;
  const m = (result && result.meta) || {};
  stats.rows_read += m.rows_read || 0;
  stats.rows_written += m.rows_written || 0;
  if (m.size_after) stats.size_after = m.size_after;
  return { sql, params, batch, rows_written: m.rows_written || 0, rows_read: m.rows_read || 0 };
}

function wrapStmt(stmt, stats, sql, params) {
  return new Proxy(stmt, {
    get(t, k) {
      if (k === RAW) return { stmt: t, sql, params };
      const v = Reflect.get(t, k, t);
      if (typeof v !== "function" || k === "constructor") return v;
      if (k === "bind") return (...a) => wrapStmt(v.apply(t, a), stats, sql, a);
      if (k === "run" || k === "all") {
        return async (...a) => {
          const r = await v.apply(t, a);
          stats.ops.push([count(stats, r, sql, params, false)]);
          return r;
        };
      }
      if (k === "first") {
        return async (col) => {
          const r = await t.all();
          stats.ops.push([count(stats, r, sql, params, false)]);
          const row = r.results[0];
          if (row === undefined) return null;
          return col === undefined ? row : row[col];
        };
      }
      return v.bind(t);
    },
  });
}

function wrapDb(db, stats) {
  return new Proxy(db, {
    get(t, k) {
      const v = Reflect.get(t, k, t);
      if (k === "prepare") return (sql) => wrapStmt(v.call(t, sql), stats, sql, []);
      if (k === "batch") {
        return async (stmts) => {
          const raws = stmts.map((s) => s[RAW] || { stmt: s, sql: "?", params: [] });
          const rs = await v.call(t, raws.map((r) => r.stmt));
          stats.batches += 1;
          stats.ops.push(rs.map((r, i) => count(stats, r, raws[i].sql, raws[i].params, true)));
          return rs;
        };
      }
      return typeof v === "function" && k !== "constructor" ? v.bind(t) : v;
    },
  });
}

async function replay(db, { ops, n, concurrency, vary, salt }) {
  let next = 0, rowsWritten = 0, sizeBefore = 0, sizeAfter = 0;
  const errors = [];
  const subst = (p, i) => (typeof p === "string" ? vary.reduce((s, v) => s.split(v).join(`${v}-${salt}-${i}`), p) : p);
  async function one(i) {
    // The request's statements in its order; a batch's statements run as one batch again.
    for (const group of ops) {
      const stmts = group.map((o) => db.prepare(o.sql).bind(...o.params.map((p) => subst(p, i))));
      const rs = stmts.length === 1 && !group[0].batch ? [await stmts[0].run()] : await db.batch(stmts);
      for (const r of rs) {
        rowsWritten += (r.meta && r.meta.rows_written) || 0;
        if (r.meta && r.meta.size_after) sizeAfter = r.meta.size_after;
      }
    }
  }
  async function lane() {
    while (next < n) {
      const i = next++;
      try { await one(i); } catch (e) { if (errors.length < 5) errors.push(String(e)); }
    }
  }
  const probe = await db.prepare("SELECT 1").run();
  sizeBefore = (probe.meta && probe.meta.size_after) || 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (Date.now() - t0) / 1000;
  return { n, concurrency, seconds, per_second: n / seconds, rows_written: rowsWritten, errors,
    size_before: sizeBefore, size_after: sizeAfter, bytes_per_run: (sizeAfter - sizeBefore) / n };
}

// The worker's env with DB replaced; every other binding, var and secret read through.
function withDb(env, db) {
  return new Proxy(env, { get: (t, k) => (k === "DB" ? db : Reflect.get(t, k)) });
}

export default class extends WorkerEntrypoint {
  async fetch(request) {
    return this.measured(request);
  }

  async measured(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__d1replay" && request.method === "POST") {
      return Response.json(await replay(this.env.DB, await request.json()));
    }
    const stats = { statements: 0, batches: 0, rows_read: 0, rows_written: 0, ops: [] };
    const inner = new Worker(this.ctx, withDb(this.env, wrapDb(this.env.DB, stats)));
    const resp = await inner.fetch(request);
    const out = new Response(resp.body, resp);
    out.headers.set("X-D1-Stats", JSON.stringify(stats));
    return out;
  }

  async scheduled(controller) {
    const stats = { statements: 0, batches: 0, rows_read: 0, rows_written: 0, ops: [] };
    const inner = new Worker(this.ctx, withDb(this.env, wrapDb(this.env.DB, stats)));
    await inner.scheduled(controller);
    console.log(JSON.stringify({ event: "d1_stats_scheduled", ...stats, ops: undefined }));
  }
}
