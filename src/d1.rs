//! The [`Directory`] port on D1: users, workspaces, permission sets, replay cache, audit log.
//! Every query is parameterised; multi-statement writes go in one `batch` (one transaction).

use jit::lifecycle::account::{Binding, Found};
use jit::lifecycle::plan::Plan;
use jit::policy::COUNTS_FOR_DOMAIN_SQL;
use jit::ports::IdpRecords;
use jit::ports::{
    AdminDirectory, AuditEntry, AuditRow, CompanyFacts, Directory, StoreError, TokenInfo, User,
};
use jit::rollover::CertFacts;
use jit::settings::Named;
use jit::sql::{self, Stmt, Value, USER_SELECT};
use jit::sql_idp;
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

/// A row of [`USER_SELECT`] (flags are INTEGER 0/1).
fn user_from(r: &Row) -> Result<User, StoreError> {
    Ok(User {
        company: r.text("company")?,
        id: r.text("id")?,
        email: r.text("email")?,
        memberships: sql::memberships_from_json(&r.text("memberships")?)
            .map_err(|e| StoreError::Corrupt(format!("D1: memberships: {e}")))?,
        confirmed: r.flag("confirmed")?,
        impersonation: r.flag("impersonation")?,
        created_via: r.text("created_via")?,
        created_at: r.text("created_at")?,
        last_login_at: r.opt_text("last_login_at")?,
        first_name: r.opt_text("first_name")?,
        last_name: r.opt_text("last_name")?,
        name_id: r.opt_text("name_id")?,
        name_id_issuer: r.opt_text("name_id_issuer")?,
        active: r.flag("active")?,
    })
}

fn json_list(r: &Row, col: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&r.text(col)?).map_err(|e| StoreError::Corrupt(format!("D1: {col}: {e}")))
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

    /// Delete replay-cache entries and answered request IDs that have expired; returns how many
    /// assertions.
    pub async fn purge_used_assertions(&self, now: Timestamp) -> Result<usize, StoreError> {
        let [assertions, requests] = sql::purge_expired(now);
        let r = d1_js::run(&self.prepare(&assertions)?).await?;
        d1_js::run(&self.prepare(&requests)?).await?;
        changes(&r)
    }
}

impl Directory for D1Directory {
    async fn user(&self, company: &str, email: &str) -> Result<Option<User>, StoreError> {
        let stmt = self.stmt(
            &format!("{USER_SELECT} WHERE u.company = ?1 AND u.email = ?2"),
            &[company.into(), email.into()],
        )?;
        d1_js::first(&stmt)
            .await?
            .as_ref()
            .map(user_from)
            .transpose()
    }

    async fn accounts(
        &self,
        company: &str,
        email: &str,
        binding: Option<&Binding>,
    ) -> Result<Found, StoreError> {
        let stmt = self.prepare(&sql::accounts(company, email, binding))?;
        let rows = d1_js::all(&stmt).await?;
        let users = rows.iter().map(user_from).collect::<Result<Vec<_>, _>>()?;
        Ok(sql::found(users, email, binding))
    }

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        ws: &[String],
        ps: &[String],
    ) -> Result<CompanyFacts, StoreError> {
        let stmt = self.prepare(&sql::company_facts(company, domain, ws, ps))?;
        let r = d1_js::first(&stmt)
            .await?
            .ok_or_else(|| StoreError::Corrupt("no row from the facts query".into()))?;
        Ok(CompanyFacts {
            domain_has_confirmed_user: r.flag("domain_ok")?,
            missing_workspaces: json_list(&r, "ws_missing")?,
            missing_permission_sets: json_list(&r, "ps_missing")?,
        })
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
        let st = self.prepare(&sql_idp::certificate_facts(company))?;
        let json = d1_js::first(&st).await?.map(|r| r.text("facts"));
        sql_idp::facts_from_json(&json.transpose()?.unwrap_or_default())
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
        let stmt = self.stmt(
            &format!("{USER_SELECT} WHERE u.company = ?1 ORDER BY u.email"),
            &[company.into()],
        )?;
        d1_js::all(&stmt).await?.iter().map(user_from).collect()
    }

    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError> {
        let stmt = self.stmt(
            "SELECT at, event, email, assertion_id, reason, reference, actor, detail FROM audit_log WHERE company = ?1 ORDER BY id DESC LIMIT 1000",
            &[company.into()],
        )?;
        let rows = d1_js::all(&stmt).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: r.text("at")?,
                    event: r.text("event")?,
                    email: r.opt_text("email")?,
                    assertion_id: r.opt_text("assertion_id")?,
                    reason: r.opt_text("reason")?,
                    reference: r.text("reference")?,
                    actor: r.opt_text("actor")?,
                    detail: r.opt_text("detail")?,
                })
            })
            .collect()
    }

    /// Domains with a confirmed, non-impersonation user: the provisioning rule's source of truth.
    async fn provisionable_domains(&self, company: &str) -> Result<Vec<String>, StoreError> {
        let stmt = self.stmt(
            &format!("SELECT DISTINCT domain FROM users WHERE company = ?1 AND {COUNTS_FOR_DOMAIN_SQL} ORDER BY domain"),
            &[company.into()],
        )?;
        let rows = d1_js::all(&stmt).await?;
        rows.iter().map(|r| r.text("domain")).collect()
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

    /// Store a new admin token's hash.
    async fn insert_token(
        &self,
        company: &str,
        id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stmt = sql::insert_token(company, id, secret_hash, now);
        d1_js::run(&self.prepare(&stmt)?).await?;
        Ok(())
    }

    /// The company and stored hash of an unrevoked token.
    async fn token(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        let stmt = self.stmt(
            "SELECT company, secret_hash FROM admin_tokens WHERE id = ?1 AND revoked_at IS NULL",
            &[id.into()],
        )?;
        match d1_js::first(&stmt).await? {
            Some(r) => Ok(Some((r.text("company")?, r.text("secret_hash")?))),
            None => Ok(None),
        }
    }

    /// Tokens of a company (never their hashes).
    async fn tokens(&self, company: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let stmt = self.stmt(
            "SELECT id, created_at, revoked_at FROM admin_tokens WHERE company = ?1 ORDER BY created_at",
            &[company.into()],
        )?;
        let rows = d1_js::all(&stmt).await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.text("id")?,
                    created_at: r.text("created_at")?,
                    revoked_at: r.opt_text("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revoke a token; `Ok(false)` when there was no such unrevoked token.
    async fn revoke_token(
        &self,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let stmt = self.prepare(&sql::revoke_token(company, id, now))?;
        Ok(changes(&d1_js::run(&stmt).await?)? == 1)
    }

    /// Whether a permission set of the company grants the admin surfaces.
    async fn is_admin_set(&self, company: &str, permission_set: &str) -> Result<bool, StoreError> {
        let stmt = self.prepare(&sql::is_admin_set(company, permission_set))?;
        match d1_js::first(&stmt).await? {
            Some(r) => r.flag("admin"),
            None => Ok(false),
        }
    }
}
