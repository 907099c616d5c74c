//! The [`Directory`] port on D1: users, workspaces, permission sets, replay cache, audit log.
//! Every query is parameterised; multi-statement writes go in one `batch` (one transaction).

use jit::policy::{email_domain, COUNTS_FOR_DOMAIN_SQL};
use jit::ports::{
    AdminDirectory, AuditEntry, AuditRow, CompanyFacts, Directory, StoreError, TokenInfo, User,
};
use jit::retention::{Purge, Table};
use jit::settings::Named;
use saml_verify::Timestamp;
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

fn opt(v: Option<&str>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from)
}

/// A `users` row (flags are INTEGER 0/1).
fn user_from(r: &Row) -> Result<User, StoreError> {
    Ok(User {
        company: r.text("company")?,
        email: r.text("email")?,
        workspace: r.opt_text("workspace")?,
        permission_set: r.opt_text("permission_set")?,
        confirmed: r.flag("confirmed")?,
        impersonation: r.flag("impersonation")?,
        created_via: r.text("created_via")?,
        created_at: r.text("created_at")?,
        last_login_at: r.opt_text("last_login_at")?,
    })
}

const USER_COLUMNS: &str = "company, email, workspace, permission_set, confirmed, impersonation, created_via, created_at, last_login_at";

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

    fn audit_stmt(
        &self,
        e: &AuditEntry,
        only_if_changed: bool,
    ) -> Result<D1PreparedStatement, StoreError> {
        let sql = if only_if_changed {
            "INSERT INTO audit_log (company, at, event, email, assertion_id, reason, reference) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1"
        } else {
            "INSERT INTO audit_log (company, at, event, email, assertion_id, reason, reference) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        };
        self.stmt(
            sql,
            &[
                e.company.as_str().into(),
                e.at.to_string().into(),
                e.event.as_str().into(),
                opt(e.email.as_deref()),
                opt(e.assertion_id.as_deref()),
                opt(e.reason.as_deref()),
                e.reference.as_str().into(),
            ],
        )
    }

    fn insert_user_stmt(&self, u: &User) -> Result<D1PreparedStatement, StoreError> {
        self.stmt(
            &format!("INSERT INTO users ({USER_COLUMNS}, domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING"),
            &[
                u.company.as_str().into(),
                u.email.as_str().into(),
                opt(u.workspace.as_deref()),
                opt(u.permission_set.as_deref()),
                i32::from(u.confirmed).into(),
                i32::from(u.impersonation).into(),
                u.created_via.as_str().into(),
                u.created_at.as_str().into(),
                opt(u.last_login_at.as_deref()),
                email_domain(&u.email).unwrap_or_default().into(),
            ],
        )
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
        let stmt = self.stmt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE company = ?1 AND email = ?2"),
            &[company.into(), email.into()],
        )?;
        d1_js::first(&stmt)
            .await?
            .as_ref()
            .map(user_from)
            .transpose()
    }

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        ws: Option<&str>,
        ps: Option<&str>,
    ) -> Result<CompanyFacts, StoreError> {
        let stmt = self.stmt(
                &format!("SELECT EXISTS (SELECT 1 FROM users WHERE company = ?1 AND domain = ?2 AND {COUNTS_FOR_DOMAIN_SQL}) AS domain_ok, \
                 EXISTS (SELECT 1 FROM workspaces WHERE company = ?1 AND id = ?3) AS ws_ok, \
                 EXISTS (SELECT 1 FROM permission_sets WHERE company = ?1 AND id = ?4) AS ps_ok"),
                &[company.into(), domain.into(), opt(ws), opt(ps)],
            )?;
        let r = d1_js::first(&stmt)
            .await?
            .ok_or_else(|| StoreError::Corrupt("no row from EXISTS query".into()))?;
        Ok(CompanyFacts {
            domain_has_confirmed_user: r.flag("domain_ok")?,
            workspace_exists: r.flag("ws_ok")?,
            permission_set_exists: r.flag("ps_ok")?,
        })
    }

    async fn claim_assertion(
        &self,
        company: &str,
        assertion_id: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError> {
        let stmt = self.stmt(
            "INSERT INTO used_assertions (company, assertion_id, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            &[company.into(), assertion_id.into(), (expires.0 as f64).into()],
        )?;
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

    async fn sign_in(
        &self,
        company: &str,
        email: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let update = self.stmt(
            "UPDATE users SET last_login_at = ?3 WHERE company = ?1 AND email = ?2",
            &[company.into(), email.into(), audit.at.to_string().into()],
        )?;
        let results = d1_js::batch(&self.db, &[update, self.audit_stmt(audit, true)?]).await?;
        match results.first().map(changes).transpose()? {
            Some(1) => Ok(()),
            _ => Err(StoreError::Unavailable("sign-in updated no user".into())),
        }
    }

    async fn provision(&self, user: &User, audit: &AuditEntry) -> Result<bool, StoreError> {
        // The audit row is inserted only when the user row was: a concurrent first login that
        // lost the race writes nothing here and signs in instead.
        let stmts = [self.insert_user_stmt(user)?, self.audit_stmt(audit, true)?];
        let results = d1_js::batch(&self.db, &stmts).await?;
        Ok(results.first().map(changes).transpose()? == Some(1))
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        d1_js::run(&self.audit_stmt(entry, false)?).await?;
        Ok(())
    }
}

impl AdminDirectory for D1Directory {
    /// Create a user through the support API. `Ok(false)` when the email is taken.
    async fn insert_user(&self, u: &User) -> Result<bool, StoreError> {
        let r = d1_js::run(&self.insert_user_stmt(u)?).await?;
        Ok(changes(&r)? == 1)
    }

    async fn users(&self, company: &str) -> Result<Vec<User>, StoreError> {
        let stmt = self.stmt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE company = ?1 ORDER BY email"),
            &[company.into()],
        )?;
        d1_js::all(&stmt).await?.iter().map(user_from).collect()
    }

    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError> {
        let stmt = self.stmt(
            "SELECT at, event, email, assertion_id, reason, reference FROM audit_log WHERE company = ?1 ORDER BY id DESC LIMIT 1000",
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
        let mut batch = vec![
            self.stmt(
                "DELETE FROM workspaces WHERE company = ?1",
                &[company.into()],
            )?,
            self.stmt(
                "DELETE FROM permission_sets WHERE company = ?1",
                &[company.into()],
            )?,
        ];
        for w in workspaces {
            batch.push(self.stmt(
                "INSERT INTO workspaces (company, id, name) VALUES (?1, ?2, ?3)",
                &[company.into(), w.id.as_str().into(), w.name.as_str().into()],
            )?);
        }
        for p in sets {
            batch.push(self.stmt(
                "INSERT INTO permission_sets (company, id, name, admin) VALUES (?1, ?2, ?3, ?4)",
                &[
                    company.into(),
                    p.id.as_str().into(),
                    p.name.as_str().into(),
                    i32::from(p.admin).into(),
                ],
            )?);
        }
        d1_js::batch(&self.db, &batch).await?;
        Ok(())
    }

    /// Store a new admin token's hash.
    async fn insert_token(
        &self,
        company: &str,
        id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stmt = self.stmt(
            "INSERT INTO admin_tokens (company, id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            &[company.into(), id.into(), secret_hash.into(), now.to_string().into()],
        )?;
        d1_js::run(&stmt).await?;
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
        let stmt = self.stmt(
            "UPDATE admin_tokens SET revoked_at = ?3 WHERE company = ?1 AND id = ?2 AND revoked_at IS NULL",
            &[company.into(), id.into(), now.to_string().into()],
        )?;
        Ok(changes(&d1_js::run(&stmt).await?)? == 1)
    }

    /// Whether a permission set of the company grants the admin surfaces.
    async fn is_admin_set(&self, company: &str, permission_set: &str) -> Result<bool, StoreError> {
        let stmt = self.stmt(
            "SELECT admin FROM permission_sets WHERE company = ?1 AND id = ?2",
            &[company.into(), permission_set.into()],
        )?;
        match d1_js::first(&stmt).await? {
            Some(r) => r.flag("admin"),
            None => Ok(false),
        }
    }
}
