//! D1 statements run and read through the D1 binding's own JS objects: a row is turned into a
//! JSON object by `JSON.stringify` (and read by `jit::sql::rows`), `meta.changes` read with
//! `Reflect`. workers-rs' `results::<T>()`, `first` and
//! `meta` go through serde_wasm_bindgen, whose generic deserializers (and the float formatting
//! their error messages reach) cost the bundle more than everything in this file.

use jit::ports::StoreError;
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::{Array, Error, Function, Object, Promise, Reflect};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{D1Database, D1PreparedStatement, Env};

/// A store outage, with D1's message (and SQLite's, which D1 puts in the error's cause).
fn unavailable(e: JsValue) -> StoreError {
    let message = |v: &JsValue| {
        v.dyn_ref::<Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| v.as_string())
    };
    let mut msg = message(&e).unwrap_or_else(|| "unknown error".into());
    if let Some(cause) = e.dyn_ref::<Error>().and_then(|e| message(&e.cause())) {
        msg = format!("{msg}: {cause}");
    }
    StoreError::Unavailable(format!("D1: {msg}"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("D1: {what}"))
}

async fn settle(p: Result<Promise, JsValue>) -> Result<JsValue, StoreError> {
    JsFuture::from(p.map_err(unavailable)?)
        .await
        .map_err(unavailable)
}

fn member(v: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(v, &JsValue::from_str(key))
        .ok()
        .filter(|m| !m.is_undefined() && !m.is_null())
}

/// One result row: a JS object keyed by column name.
pub struct Row(JsValue);

impl Row {
    /// The row as a JSON object, column by column (read with `jit::sql::rows`).
    pub fn json(&self) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
        let text = worker::js_sys::JSON::stringify(&self.0)
            .ok()
            .and_then(|s| s.as_string());
        serde_json::from_str(&text.unwrap_or_default()).map_err(|e| corrupt(&e.to_string()))
    }
}

/// Every row.
pub async fn all(stmt: &D1PreparedStatement) -> Result<Vec<Row>, StoreError> {
    let r = settle(stmt.inner().all()).await?;
    let rows = member(&r, "results")
        .and_then(|v| v.dyn_into::<Array>().ok())
        .ok_or_else(|| corrupt("result without rows"))?;
    Ok(rows.iter().map(Row).collect())
}

/// Run a statement for its effect; the D1 result (see [`changes`]).
pub async fn run(stmt: &D1PreparedStatement) -> Result<JsValue, StoreError> {
    settle(stmt.inner().run()).await
}

/// Run statements in one transaction; their D1 results, in order.
pub async fn batch(
    db: &D1Database,
    stmts: &[D1PreparedStatement],
) -> Result<Vec<JsValue>, StoreError> {
    let sys: &worker::worker_sys::D1Database = db.as_ref().unchecked_ref();
    let list: Array = stmts
        .iter()
        .map(|s| AsRef::<JsValue>::as_ref(s.inner()).clone())
        .collect();
    let r = settle(sys.batch(list)).await?;
    r.dyn_into::<Array>()
        .map(|a| a.to_vec())
        .map_err(|_| corrupt("batch result is not a list"))
}

/// Rows a statement changed. A result without `meta.changes` is a store failure, not "none":
/// reading it as 0 would turn a D1 fault into a replay, a mismatch or a busy answer.
pub fn changes(result: &JsValue) -> Result<usize, StoreError> {
    member(result, "meta")
        .and_then(|m| member(&m, "changes"))
        .and_then(|c| c.as_f64())
        .filter(|c| *c >= 0.0)
        .map(|c| c as usize)
        .ok_or_else(|| StoreError::Unavailable("D1 result without meta.changes".into()))
}

/// The keys under `prefix` of the KV namespace bound as `binding`, page by page, read with
/// `Reflect` like the rest of this file (worker's `list()` costs 9 KiB of bundle for serde).
pub async fn kv_keys(env: &Env, binding: &str, prefix: &str) -> Result<Vec<String>, StoreError> {
    let kv = member(env, binding).ok_or_else(|| corrupt("no KV binding"))?;
    let list = member(&kv, "list").and_then(|f| f.dyn_into::<Function>().ok());
    let list = list.ok_or_else(|| corrupt("KV binding without list()"))?;
    let (mut out, mut cursor) = (Vec::new(), JsValue::UNDEFINED);
    loop {
        let opts = Object::new();
        Reflect::set(&opts, &"prefix".into(), &prefix.into()).map_err(unavailable)?;
        Reflect::set(&opts, &"cursor".into(), &cursor).map_err(unavailable)?;
        let page = settle(list.call1(&kv, &opts).map(JsValue::unchecked_into)).await?;
        let keys = member(&page, "keys").and_then(|k| k.dyn_into::<Array>().ok());
        let keys = keys.ok_or_else(|| corrupt("KV list without keys"))?;
        out.extend(keys.iter().filter_map(|k| member(&k, "name")?.as_string()));
        let done = member(&page, "list_complete").and_then(|c| c.as_bool()) != Some(false);
        match member(&page, "cursor") {
            Some(c) if !done => cursor = c,
            _ => return Ok(out),
        }
    }
}
