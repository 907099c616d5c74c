//! The [`Sql`] port on D1: statements prepared with their arguments bound, batches as one
//! transaction. Every storage port is `jit::sql_store::SqlDirectory` over this executor.

use jit::ports::StoreError;
use jit::sql::{rows, Stmt, Value};
use jit::sql_store::{Sql, SqlDirectory};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::d1_js::{self, changes, Row};

/// The storage ports on the worker's D1 binding.
pub type D1Directory = SqlDirectory<D1>;

/// The D1 binding as a SQL executor.
pub struct D1(pub D1Database);

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("D1: {e}"))
}

impl D1 {
    /// Prepare a [`jit::sql`] statement.
    fn prepare(&self, st: &Stmt) -> Result<D1PreparedStatement, StoreError> {
        let args: Vec<JsValue> = st
            .args
            .iter()
            .map(|v| match v {
                Value::Text(t) => JsValue::from(t.as_str()),
                Value::Int(i) => JsValue::from(*i as f64),
                Value::Null => JsValue::NULL,
            })
            .collect();
        self.0.prepare(&st.sql).bind(&args).map_err(unavailable)
    }
}

impl Sql for D1 {
    async fn rows(&self, stmt: &Stmt) -> Result<Vec<rows::Row>, StoreError> {
        let rows = d1_js::all(&self.prepare(stmt)?).await?;
        rows.iter().map(Row::json).collect()
    }

    async fn batch_applied(&self, stmts: &[Stmt]) -> Result<bool, StoreError> {
        let prepared = stmts
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;
        let results = d1_js::batch(&self.0, &prepared).await?;
        Ok(results.first().map(changes).transpose()? == Some(1))
    }

    async fn run(&self, stmt: &Stmt) -> Result<u64, StoreError> {
        Ok(changes(&d1_js::run(&self.prepare(stmt)?).await?)? as u64)
    }
}
