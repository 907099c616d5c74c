//! The [`Directory`] port on D1: users, workspaces, permission sets, replay cache, audit log.
//! Every query is parameterised; multi-statement writes go in one `batch` (one transaction).

use jit::lifecycle::account::{Binding, Found};
use jit::lifecycle::plan::Plan;
use jit::policy::COUNTS_FOR_DOMAIN_SQL;
use jit::ports::IdpRecords;
use jit::ports::{
    AdminDirectory, AuditEntry, AuditRow, CompanyFacts, Directory, StoreError, TokenInfo,
    TokenOwner, User,
};
use jit::retention::{Purge, Table};
use jit::rollover::CertFacts;
use jit::scim_api::Sql;
use jit::settings::Named;
use jit::sql::{self, rows, Stmt, Value, USER_SELECT};
use jit::sql_idp;
use jit::tokens::TokenKind;
use saml_verify::Timestamp;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::d1_js::{self, changes, Row};

pub struct D1Directory {
    db: D1Database,
    /// The key of [`jit::request_id`] (the `SESSION_SECRET`); empty: no request ID is valid.
    request_secret: Vec<u8>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("D1: {e}"))
}

/// A statement with TEXT arguments.
fn query(sql: String, args: &[&str]) -> Stmt {
    let args = args.iter().map(|a| Value::Text((*a).to_owned())).collect();
    Stmt { sql, args }
}

impl D1Directory {
    pub fn new(db: D1Database) -> Self {
        D1Directory {
            db,
            request_secret: Vec::new(),
        }
    }

    /// The same, able to check the AuthnRequest IDs this SP issued.
    pub fn with_request_secret(db: D1Database, secret: &[u8]) -> Self {
        D1Directory {
            db,
            request_secret: secret.to_vec(),
        }
    }

    fn stmt(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
        self.db.prepare(sql).bind(args).map_err(unavailable)
    }

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
        self.stmt(&st.sql, &args)
    }

    /// Run statements as one batch; whether the first changed exactly one row.
    async fn batch_applied(&self, stmts: &[Stmt]) -> Result<bool, StoreError> {
        let prepared = stmts
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;
        let results = d1_js::batch(&self.db, &prepared).await?;
        Ok(results.first().map(changes).transpose()? == Some(1))
    }
}

/// The cron's bounded deletes ([`Table::delete_sql`]); the audit cutoff is `at`'s RFC 3339 text.
impl Purge for D1Directory {
    async fn purge_batch(
        &self,
        t: Table,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<u32, StoreError> {
        let arg: JsValue = match t {
            Table::AuditLog => cutoff.to_string().into(),
            _ => (cutoff.0 as f64).into(),
        };
        let stmt = self.stmt(&t.delete_sql(limit), &[arg])?;
        Ok(changes(&d1_js::run(&stmt).await?)? as u32)
    }
}

impl Directory for D1Directory {
    async fn user(&self, company: &str, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("{USER_SELECT} WHERE u.company = ?1 AND u.email = ?2");
        let rows = self.rows(&query(sql, &[company, email])).await?;
        rows.first().map(rows::user).transpose()
    }

    async fn accounts(
        &self,
        company: &str,
        email: &str,
        binding: Option<&Binding>,
    ) -> Result<Found, StoreError> {
        let rows = self.rows(&sql::accounts(company, email, binding)).await?;
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
        let stmt = self.prepare(&sql::claim_assertion(company, assertion_id, expires))?;
        Ok(changes(&d1_js::run(&stmt).await?)? == 1)
    }

    async fn consume_request(
        &self,
        company: &str,
        request_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(expires) = jit::request_id::expiry(&self.request_secret, company, request_id)
        else {
            return Ok(false);
        };
        if expires <= now {
            return Ok(false);
        }
        // Remembered until it expires (the cron purges it then), so it is answered only once.
        let stmt = self.stmt(
            "INSERT INTO authn_requests (company, id, expires_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT DO NOTHING",
            &[company.into(), request_id.into(), (expires.0 as f64).into()],
        )?;
        Ok(changes(&d1_js::run(&stmt).await?)? == 1)
    }

    async fn write_sign_in(&self, plan: &Plan) -> Result<bool, StoreError> {
        self.batch_applied(&sql::sign_in_batch(plan)).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        d1_js::run(&self.prepare(&sql::audit(entry))?).await?;
        Ok(())
    }
}

impl IdpRecords for D1Directory {
    async fn certificate_facts(
        &self,
        company: &str,
    ) -> Result<BTreeMap<String, CertFacts>, StoreError> {
        let found = self.rows(&sql_idp::certificate_facts(company)).await?;
        let json = found
            .first()
            .map(|r| rows::col_opt(r, "facts"))
            .transpose()?;
        sql_idp::facts_from_json(json.flatten().as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Corrupt(format!("D1: idp_certificates: {e}")))
    }

    async fn write(&self, stmts: &[Stmt]) -> Result<(), StoreError> {
        self.batch_applied(stmts).await.map(|_| ())
    }
}

impl AdminDirectory for D1Directory {
    /// Create a user through the support API. `Ok(false)` when the email is taken.
    async fn insert_user(&self, u: &User) -> Result<bool, StoreError> {
        self.batch_applied(&sql::insert_user(u)).await
    }

    async fn users(&self, company: &str) -> Result<Vec<User>, StoreError> {
        let sql = format!("{USER_SELECT} WHERE u.company = ?1 ORDER BY u.email");
        self.rows(&query(sql, &[company]))
            .await?
            .iter()
            .map(rows::user)
            .collect()
    }

    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError> {
        let sql = "SELECT at, event, email, assertion_id, reason, reference, actor, detail FROM audit_log WHERE company = ?1 ORDER BY id DESC LIMIT 1000";
        let rows = self.rows(&query(sql.into(), &[company])).await?;
        rows.iter().map(rows::from_row::<AuditRow>).collect()
    }

    async fn sign_in_log(
        &self,
        company: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError> {
        let rows = self.rows(&sql::sign_in_log(company, before, limit)).await?;
        let entry = |r: &rows::Row| Ok((rows::col_int(r, "id")?, rows::from_row(r)?));
        rows.iter().map(entry).collect()
    }

    async fn domain_witness(
        &self,
        company: &str,
        domain: &str,
    ) -> Result<Option<String>, StoreError> {
        let rows = self.rows(&sql::domain_witness(company, domain)).await?;
        rows.first().map(|r| rows::col_text(r, "email")).transpose()
    }

    async fn consume_test(
        &self,
        company: &str,
        id: &str,
        keep: Timestamp,
        report_json: &str,
    ) -> Result<bool, StoreError> {
        self.batch_applied(&[sql::consume_test(company, id, keep.0, report_json)])
            .await
    }

    async fn test_report(
        &self,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let rows = self.rows(&sql::test_report(company, id, now.0)).await?;
        rows.first()
            .map(|r| rows::col_text(r, "report"))
            .transpose()
    }

    /// Domains with a confirmed, non-impersonation user: the provisioning rule's source of truth.
    async fn provisionable_domains(&self, company: &str) -> Result<Vec<String>, StoreError> {
        let sql = format!("SELECT DISTINCT domain FROM users WHERE company = ?1 AND {COUNTS_FOR_DOMAIN_SQL} ORDER BY domain");
        let rows = self.rows(&query(sql, &[company])).await?;
        rows.iter().map(|r| rows::col_text(r, "domain")).collect()
    }

    /// Replace the company's workspaces and permission sets, in one transaction.
    async fn replace_catalog(
        &self,
        company: &str,
        workspaces: &[Named],
        sets: &[Named],
    ) -> Result<(), StoreError> {
        let batch = sql::replace_catalog(company, workspaces, sets);
        self.batch_applied(&batch).await.map(|_| ())
    }

    /// Store a new token's hash.
    async fn insert_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let at = now.to_string();
        let args = [company.into(), id.into(), secret_hash.into(), at.into()];
        let stmt = self.stmt(kind.insert_sql(), &args)?;
        d1_js::run(&stmt).await?;
        Ok(())
    }

    /// The company and stored hash of an unrevoked token.
    async fn token(&self, kind: TokenKind, id: &str) -> Result<Option<TokenOwner>, StoreError> {
        match self
            .rows(&query(kind.lookup_sql().into(), &[id]))
            .await?
            .first()
        {
            Some(r) => Ok(Some((
                rows::col_text(r, "company")?,
                rows::col_text(r, "secret_hash")?,
            ))),
            None => Ok(None),
        }
    }

    /// Tokens of a company (never their hashes).
    async fn tokens(&self, kind: TokenKind, company: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = self
            .rows(&query(kind.list_sql().into(), &[company]))
            .await?;
        rows.iter().map(rows::from_row::<TokenInfo>).collect()
    }

    /// Revoke a token; `Ok(false)` when there was no such unrevoked token.
    async fn revoke_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let stmt = self.stmt(
            kind.revoke_sql(),
            &[company.into(), id.into(), now.to_string().into()],
        )?;
        Ok(changes(&d1_js::run(&stmt).await?)? == 1)
    }

    /// Whether a permission set of the company grants the admin surfaces.
    async fn is_admin_set(&self, company: &str, permission_set: &str) -> Result<bool, StoreError> {
        let sql = "SELECT admin FROM permission_sets WHERE company = ?1 AND id = ?2";
        match self
            .rows(&query(sql.into(), &[company, permission_set]))
            .await?
            .first()
        {
            Some(r) => rows::col_flag(r, "admin"),
            None => Ok(false),
        }
    }
}

impl Sql for D1Directory {
    async fn rows(&self, stmt: &Stmt) -> Result<Vec<rows::Row>, StoreError> {
        let rows = d1_js::all(&self.prepare(stmt)?).await?;
        rows.iter().map(Row::json).collect()
    }

    async fn batch_applied(&self, stmts: &[Stmt]) -> Result<bool, StoreError> {
        D1Directory::batch_applied(self, stmts).await
    }
}
