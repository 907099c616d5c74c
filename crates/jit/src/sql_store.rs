//! Every storage port ([`Directory`], [`AdminDirectory`], [`IdpRecords`], [`Purge`]) over one
//! SQL executor, the [`Sql`] port: the adapter runs parameterised statements (D1 in the worker,
//! SQLite in the tests) and everything else, which statement and how its rows are read, is here,
//! once. Multi-statement writes go in one batch (one transaction).

use std::collections::BTreeMap;

use saml_verify::Timestamp;

use crate::lifecycle::account::{Binding, Found};
use crate::lifecycle::plan::Plan;
use crate::ports::{AuditEntry, CompanyFacts, Directory, IdpRecords, StoreError, User};
use crate::retention::{Purge, Table};
use crate::rollover::CertFacts;
pub use crate::scim_api::Sql;
use crate::sql::{self, rows, Stmt, Value, USER_SELECT};
use crate::sql_idp;

/// The storage ports on a SQL executor `S`.
pub struct SqlDirectory<S> {
    pub sql: S,
    /// The key of [`crate::request_id`] (the `SESSION_SECRET`); empty: no request ID is valid.
    request_secret: Vec<u8>,
}

impl<S> SqlDirectory<S> {
    pub fn new(sql: S) -> Self {
        SqlDirectory {
            sql,
            request_secret: Vec::new(),
        }
    }

    /// The same, able to check the AuthnRequest IDs this SP issued.
    pub fn with_request_secret(sql: S, secret: &[u8]) -> Self {
        SqlDirectory {
            sql,
            request_secret: secret.to_vec(),
        }
    }
}

/// The executor itself, for the use cases that build their own statements (SCIM).
impl<S: Sql> Sql for SqlDirectory<S> {
    async fn rows(&self, stmt: &Stmt) -> Result<Vec<rows::Row>, StoreError> {
        self.sql.rows(stmt).await
    }

    async fn batch_applied(&self, stmts: &[Stmt]) -> Result<bool, StoreError> {
        self.sql.batch_applied(stmts).await
    }

    async fn run(&self, stmt: &Stmt) -> Result<u64, StoreError> {
        self.sql.run(stmt).await
    }
}

/// A statement with TEXT arguments.
fn query(sql: impl Into<String>, args: &[&str]) -> Stmt {
    let args = args.iter().map(|a| Value::Text((*a).to_owned())).collect();
    Stmt {
        sql: sql.into(),
        args,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn stmt(sql: impl Into<String>, args: Vec<Value>) -> Stmt {
    Stmt {
        sql: sql.into(),
        args,
    }
}

/// The cron's bounded deletes ([`Table::delete_sql`]); the audit cutoff is `at`'s RFC 3339 text.
impl<S: Sql> Purge for SqlDirectory<S> {
    async fn purge_batch(
        &self,
        t: Table,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<u32, StoreError> {
        let arg = match t {
            Table::AuditLog => Value::Text(cutoff.to_string()),
            _ => Value::Int(cutoff.0),
        };
        let n = self.sql.run(&stmt(t.delete_sql(limit), vec![arg])).await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

impl<S: Sql> Directory for SqlDirectory<S> {
    async fn user(&self, company: &str, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("{USER_SELECT} WHERE u.company = ?1 AND u.email = ?2");
        let rows = self.sql.rows(&query(sql, &[company, email])).await?;
        rows.first().map(rows::user).transpose()
    }

    async fn accounts(
        &self,
        company: &str,
        email: &str,
        binding: Option<&Binding>,
    ) -> Result<Found, StoreError> {
        let rows = self
            .sql
            .rows(&sql::accounts(company, email, binding))
            .await?;
        let users = rows.iter().map(rows::user).collect::<Result<Vec<_>, _>>()?;
        Ok(sql::found(users, email, binding))
    }

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        ws: &[String],
        ps: &[String],
    ) -> Result<CompanyFacts, StoreError> {
        let rows = self
            .sql
            .rows(&sql::company_facts(company, domain, ws, ps))
            .await?;
        let r = rows
            .first()
            .ok_or_else(|| StoreError::Corrupt("no facts row".into()))?;
        rows::facts(r)
    }

    async fn claim_assertion(
        &self,
        company: &str,
        assertion_id: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError> {
        let claim = sql::claim_assertion(company, assertion_id, expires);
        Ok(self.sql.run(&claim).await? == 1)
    }

    async fn consume_request(
        &self,
        company: &str,
        request_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(expires) = crate::request_id::expiry(&self.request_secret, company, request_id)
        else {
            return Ok(false);
        };
        if expires <= now {
            return Ok(false);
        }
        // Remembered until it expires (the cron purges it then), so it is answered only once.
        let remember = stmt(
            "INSERT INTO authn_requests (company, id, expires_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT DO NOTHING",
            vec![text(company), text(request_id), Value::Int(expires.0)],
        );
        Ok(self.sql.run(&remember).await? == 1)
    }

    async fn write_sign_in(&self, plan: &Plan) -> Result<bool, StoreError> {
        self.sql.batch_applied(&sql::sign_in_batch(plan)).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.sql.run(&sql::audit(entry)).await.map(|_| ())
    }
}

impl<S: Sql> IdpRecords for SqlDirectory<S> {
    async fn certificate_facts(
        &self,
        company: &str,
    ) -> Result<BTreeMap<String, CertFacts>, StoreError> {
        let found = self.sql.rows(&sql_idp::certificate_facts(company)).await?;
        let json = found
            .first()
            .map(|r| rows::col_opt(r, "facts"))
            .transpose()?;
        sql_idp::facts_from_json(json.flatten().as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Corrupt(format!("D1: idp_certificates: {e}")))
    }

    async fn write(&self, stmts: &[Stmt]) -> Result<(), StoreError> {
        self.sql.batch_applied(stmts).await.map(|_| ())
    }
}

#[path = "sql_store_admin.rs"]
mod admin;
