//! The D1 statements behind the account ports, as data: SQL text and arguments, built here
//! (pure, tested natively) and bound and run by the worker's D1 adapter. Schema: `migrations/`.
//!
//! A sign-in's [`Plan`] becomes one batch (D1 runs a batch as one transaction). Its first
//! statement decides whether the plan applied: the insert of a new account (which yields to an
//! existing email: a concurrent first login won) or the update of an active account. Every
//! later statement is guarded so that it writes nothing when the first did not.

use serde::Deserialize;

use crate::lifecycle::account::{Binding, Found};
use crate::lifecycle::plan::{MembershipWrite, Plan, Update, Write};
use crate::lifecycle::Membership;
use crate::policy::email_domain;
use crate::ports::{AuditEntry, User};
use crate::settings::Named;

/// A bound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Int(i64),
    Null,
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<Option<&str>> for Value {
    fn from(s: Option<&str>) -> Self {
        s.map_or(Value::Null, Value::from)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Int(i64::from(b))
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    pub sql: String,
    pub args: Vec<Value>,
}

fn stmt(sql: impl Into<String>, args: Vec<Value>) -> Stmt {
    Stmt {
        sql: sql.into(),
        args,
    }
}

/// The columns of a user row, memberships as a JSON array of `[workspace, permission_set]`.
pub const USER_SELECT: &str = "SELECT u.company, u.id, u.email, u.confirmed, u.impersonation, \
     u.created_via, u.created_at, u.last_login_at, u.first_name, u.last_name, u.name_id, \
     u.name_id_issuer, u.active, (SELECT json_group_array(json_array(m.workspace, \
     m.permission_set)) FROM (SELECT workspace, permission_set FROM memberships ms \
     WHERE ms.company = u.company AND ms.user_id = u.id ORDER BY workspace) m) AS memberships \
     FROM users u";

/// The accounts a sign-in may be (by email, by binding): at most two rows.
pub fn accounts(company: &str, email: &str, binding: Option<&Binding>) -> Stmt {
    stmt(
        format!(
            "{USER_SELECT} WHERE u.company = ?1 AND (u.email = ?2 OR \
             (u.name_id_issuer = ?3 AND u.name_id = ?4))"
        ),
        vec![
            company.into(),
            email.into(),
            binding.map(|b| b.issuer.as_str()).into(),
            binding.map(|b| b.name_id.as_str()).into(),
        ],
    )
}

/// Sort the rows of [`accounts`] into what [`crate::lifecycle::resolve`] reads.
pub fn found(rows: Vec<User>, email: &str, binding: Option<&Binding>) -> Found {
    let mut f = Found::default();
    for u in rows {
        let bound = binding.is_some_and(|b| {
            u.name_id.as_deref() == Some(b.name_id.as_str())
                && u.name_id_issuer.as_deref() == Some(b.issuer.as_str())
        });
        if u.email == email {
            f.by_email = Some(u.clone());
        }
        if bound {
            f.by_binding = Some(u);
        }
    }
    f
}

/// The memberships column of [`USER_SELECT`].
pub fn memberships_from_json(json: &str) -> Result<Vec<Membership>, String> {
    #[derive(Deserialize)]
    struct Pair(String, String);
    let pairs: Vec<Pair> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    Ok(pairs
        .into_iter()
        .map(|Pair(w, p)| Membership {
            workspace: w,
            permission_set: p,
        })
        .collect())
}

/// The domain rule and which of the named workspaces and permission sets are missing, in one
/// read. `counts_sql` is [`crate::policy::COUNTS_FOR_DOMAIN_SQL`].
pub fn company_facts(company: &str, domain: &str, ws: &[String], ps: &[String]) -> Stmt {
    let list = |l: &[String]| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    stmt(
        format!(
            "SELECT EXISTS (SELECT 1 FROM users WHERE company = ?1 AND domain = ?2 AND {}) \
             AS domain_ok, \
             (SELECT json_group_array(value) FROM json_each(?3) WHERE value NOT IN \
             (SELECT id FROM workspaces WHERE company = ?1)) AS ws_missing, \
             (SELECT json_group_array(value) FROM json_each(?4) WHERE value NOT IN \
             (SELECT id FROM permission_sets WHERE company = ?1)) AS ps_missing",
            crate::policy::COUNTS_FOR_DOMAIN_SQL
        ),
        vec![
            company.into(),
            domain.into(),
            Value::Text(list(ws)),
            Value::Text(list(ps)),
        ],
    )
}

/// The cron's purge: replay-cache entries, then answered AuthnRequest IDs, that have expired.
pub fn purge_expired(now: saml_verify::Timestamp) -> [Stmt; 2] {
    let at = || vec![Value::Int(now.0)];
    [
        stmt("DELETE FROM used_assertions WHERE expires_at <= ?1", at()),
        stmt("DELETE FROM authn_requests WHERE expires_at <= ?1", at()),
    ]
}

/// Remember a used assertion ID until `expires` (1 change; 0 when already used: a replay).
pub fn claim_assertion(company: &str, assertion_id: &str, expires: saml_verify::Timestamp) -> Stmt {
    stmt(
        "INSERT INTO used_assertions (company, assertion_id, expires_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT DO NOTHING",
        vec![company.into(), assertion_id.into(), Value::Int(expires.0)],
    )
}

/// Whether a permission set of the company grants the admin surfaces (column `admin`).
pub fn is_admin_set(company: &str, permission_set: &str) -> Stmt {
    stmt(
        "SELECT admin FROM permission_sets WHERE company = ?1 AND id = ?2",
        vec![company.into(), permission_set.into()],
    )
}

/// Store a new admin token's hash.
pub fn insert_token(company: &str, id: &str, hash: &str, now: saml_verify::Timestamp) -> Stmt {
    stmt(
        "INSERT INTO admin_tokens (company, id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        vec![
            company.into(),
            id.into(),
            hash.into(),
            Value::Text(now.to_string()),
        ],
    )
}

/// Revoke an unrevoked token (1 change, or 0 when there was none).
pub fn revoke_token(company: &str, id: &str, now: saml_verify::Timestamp) -> Stmt {
    stmt(
        "UPDATE admin_tokens SET revoked_at = ?3 WHERE company = ?1 AND id = ?2 \
         AND revoked_at IS NULL",
        vec![company.into(), id.into(), Value::Text(now.to_string())],
    )
}

/// Replace the company's workspaces and permission sets (one batch, one transaction).
pub fn replace_catalog(company: &str, workspaces: &[Named], sets: &[Named]) -> Vec<Stmt> {
    let mut out = vec![
        stmt(
            "DELETE FROM workspaces WHERE company = ?1",
            vec![company.into()],
        ),
        stmt(
            "DELETE FROM permission_sets WHERE company = ?1",
            vec![company.into()],
        ),
    ];
    for w in workspaces {
        out.push(stmt(
            "INSERT INTO workspaces (company, id, name) VALUES (?1, ?2, ?3)",
            vec![company.into(), w.id.as_str().into(), w.name.as_str().into()],
        ));
    }
    for p in sets {
        out.push(stmt(
            "INSERT INTO permission_sets (company, id, name, admin) VALUES (?1, ?2, ?3, ?4)",
            vec![
                company.into(),
                p.id.as_str().into(),
                p.name.as_str().into(),
                p.admin.into(),
            ],
        ));
    }
    out
}

/// Guard of every statement after the first: the account exists (and, for updates, is active).
const GUARD: &str = "EXISTS (SELECT 1 FROM users WHERE company = ?1 AND id = ?2 AND active = 1)";

/// Insert a user unless its email (or binding) is taken; then its memberships.
pub fn insert_user(u: &User) -> Vec<Stmt> {
    let mut out = vec![stmt(
        "INSERT INTO users (company, id, email, domain, confirmed, impersonation, created_via, \
         created_at, last_login_at, first_name, last_name, name_id, name_id_issuer, active) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
         ON CONFLICT DO NOTHING",
        vec![
            u.company.as_str().into(),
            u.id.as_str().into(),
            u.email.as_str().into(),
            Value::Text(email_domain(&u.email).unwrap_or_default()),
            u.confirmed.into(),
            u.impersonation.into(),
            u.created_via.as_str().into(),
            u.created_at.as_str().into(),
            u.last_login_at.as_deref().into(),
            u.first_name.as_deref().into(),
            u.last_name.as_deref().into(),
            u.name_id.as_deref().into(),
            u.name_id_issuer.as_deref().into(),
            u.active.into(),
        ],
    )];
    out.extend(
        u.memberships
            .iter()
            .map(|m| upsert_membership(&u.company, &u.id, m, false)),
    );
    out
}

fn upsert_membership(company: &str, user_id: &str, m: &Membership, update: bool) -> Stmt {
    let on_conflict = if update {
        "ON CONFLICT (company, user_id, workspace) DO UPDATE SET permission_set = excluded.permission_set"
    } else {
        "ON CONFLICT DO NOTHING"
    };
    stmt(
        format!(
            "INSERT INTO memberships (company, user_id, workspace, permission_set) \
             SELECT ?1, ?2, ?3, ?4 WHERE {GUARD} {on_conflict}"
        ),
        vec![
            company.into(),
            user_id.into(),
            m.workspace.as_str().into(),
            m.permission_set.as_str().into(),
        ],
    )
}

/// An audit row, written only if the account `user_id` exists and is active.
pub fn guarded_audit(e: &AuditEntry, user_id: &str) -> Stmt {
    let mut args = vec![e.company.as_str().into(), user_id.into()];
    args.extend(audit_values(e));
    stmt(
        format!(
            "INSERT INTO audit_log (company, at, event, email, assertion_id, reason, reference, \
             actor, detail) SELECT ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE {GUARD}"
        ),
        args,
    )
}

/// An audit row, unconditionally.
pub fn audit(e: &AuditEntry) -> Stmt {
    let mut args = vec![e.company.as_str().into()];
    args.extend(audit_values(e));
    stmt(
        "INSERT INTO audit_log (company, at, event, email, assertion_id, reason, reference, \
         actor, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        args,
    )
}

fn audit_values(e: &AuditEntry) -> Vec<Value> {
    vec![
        Value::Text(e.at.to_string()),
        e.event.as_str().into(),
        e.email.as_deref().into(),
        e.assertion_id.as_deref().into(),
        e.reason.as_deref().into(),
        e.reference.as_str().into(),
        e.actor.as_deref().into(),
        e.detail.as_deref().into(),
    ]
}

/// The batch of a sign-in: the first statement's `changes` is 1 when the plan applied.
pub fn sign_in_batch(plan: &Plan) -> Vec<Stmt> {
    let (mut out, company, user_id) = match &plan.write {
        Write::Create(u) => (insert_user(u), &u.company, &u.id),
        Write::Update(up) => (update(up), &up.company, &up.user_id),
    };
    // Audit rows go last, guarded like the rest: after a lost insert, the account with this
    // ID does not exist, so nothing of this plan is written.
    debug_assert!(plan.audit.iter().all(|e| &e.company == company));
    if let (Some(fp), Some(first)) = (&plan.signing_key, plan.audit.first()) {
        out.push(first_verified(company, user_id, fp, first.at));
    }
    out.extend(plan.audit.iter().map(|e| guarded_audit(e, user_id)));
    out
}

/// Record when the IdP certificate `fingerprint` first verified a sign-in (the rollover's
/// evidence that the IdP signs with it): written the first time only, guarded like the rest.
pub fn first_verified(
    company: &str,
    user_id: &str,
    fingerprint: &str,
    at: saml_verify::Timestamp,
) -> Stmt {
    stmt(
        format!(
            "INSERT INTO idp_certificates (company, fingerprint, first_verified_at) \
             SELECT ?1, ?3, ?4 WHERE {GUARD} \
             ON CONFLICT (company, fingerprint) DO UPDATE SET \
             first_verified_at = excluded.first_verified_at \
             WHERE idp_certificates.first_verified_at IS NULL"
        ),
        vec![
            company.into(),
            user_id.into(),
            fingerprint.into(),
            Value::Text(at.to_string()),
        ],
    )
}

fn update(up: &Update) -> Vec<Stmt> {
    let (c, id) = (up.company.as_str(), up.user_id.as_str());
    // An address changed under a persistent binding ends the sessions issued before this
    // sign-in's second (their cookies name the old address), as a SCIM userName change does;
    // the session this sign-in issues (iat = this second) stays valid.
    let ends = crate::session::update_ends_sessions(true, true, up.email_changed);
    let cutoff = ends
        .then(|| saml_verify::Timestamp::parse(&up.last_login_at))
        .flatten()
        .map(|at| Value::Int(at.unix_seconds() - 1));
    let mut out = vec![stmt(
        "UPDATE users SET email = ?3, domain = ?4, first_name = ?5, last_name = ?6, \
         last_login_at = ?7, name_id = COALESCE(?8, name_id), \
         name_id_issuer = COALESCE(?9, name_id_issuer), \
         sessions_valid_after = MAX(sessions_valid_after, COALESCE(?10, sessions_valid_after)) \
         WHERE company = ?1 AND id = ?2 AND active = 1",
        vec![
            c.into(),
            id.into(),
            up.email.as_str().into(),
            Value::Text(email_domain(&up.email).unwrap_or_default()),
            up.first_name.as_deref().into(),
            up.last_name.as_deref().into(),
            up.last_login_at.as_str().into(),
            up.bind.as_ref().map(|b| b.name_id.as_str()).into(),
            up.bind.as_ref().map(|b| b.issuer.as_str()).into(),
            cutoff.unwrap_or(Value::Null),
        ],
    )];
    match &up.memberships {
        MembershipWrite::Keep => {}
        MembershipWrite::Upsert(ms) => {
            out.extend(ms.iter().map(|m| upsert_membership(c, id, m, true)));
        }
        MembershipWrite::Replace(ms) => {
            out.push(stmt(
                format!("DELETE FROM memberships WHERE company = ?1 AND user_id = ?2 AND {GUARD}"),
                vec![c.into(), id.into()],
            ));
            out.extend(ms.iter().map(|m| upsert_membership(c, id, m, false)));
        }
    }
    out
}

/// Sign-in attempts, newest first, below the cursor `before` (`i64::MAX`: from the newest).
pub fn sign_in_log(company: &str, before: Option<i64>, limit: u32) -> Stmt {
    stmt(
        "SELECT id, at, event, email, assertion_id, reason, reference, actor, detail \
         FROM audit_log WHERE company = ?1 AND id < ?2 \
         AND event IN ('provisioned', 'signed_in', 'refused') ORDER BY id DESC LIMIT ?3",
        vec![
            company.into(),
            Value::Int(before.unwrap_or(i64::MAX)),
            Value::Int(i64::from(limit)),
        ],
    )
}

/// One user that makes the domain qualify: the earliest created.
pub fn domain_witness(company: &str, domain: &str) -> Stmt {
    stmt(
        format!(
            "SELECT email FROM users WHERE company = ?1 AND domain = ?2 AND {} \
             ORDER BY created_at, email LIMIT 1",
            crate::policy::COUNTS_FOR_DOMAIN_SQL
        ),
        vec![company.into(), domain.into()],
    )
}

/// Consume a test sign-in ID with its report (the primary key makes it once).
pub fn consume_test(company: &str, id: &str, keep_ms: i64, report: &str) -> Stmt {
    stmt(
        "INSERT INTO authn_requests (company, id, expires_at, report) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT DO NOTHING",
        vec![
            company.into(),
            id.into(),
            Value::Int(keep_ms),
            report.into(),
        ],
    )
}

/// A kept test report.
pub fn test_report(company: &str, id: &str, now_ms: i64) -> Stmt {
    stmt(
        "SELECT report FROM authn_requests WHERE company = ?1 AND id = ?2 AND expires_at > ?3 \
         AND report IS NOT NULL",
        vec![company.into(), id.into(), Value::Int(now_ms)],
    )
}

/// Rows as the D1 adapter reads them (column name -> JSON value), into the ports' types.
pub mod rows {
    use serde::de::DeserializeOwned;

    use crate::ports::{CompanyFacts, StoreError, User};
    pub use crate::scim_api::sql::{col_int, col_opt, col_text, Row};

    fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(format!("D1: {what}: {e}"))
    }

    /// An INTEGER 0/1 column (SQLite has no boolean): non-zero is true.
    pub fn col_flag(r: &Row, col: &str) -> Result<bool, StoreError> {
        Ok(col_int(r, col)? != 0)
    }

    /// A row into a type whose fields are the columns (TEXT and NULL only).
    pub fn from_row<T: DeserializeOwned>(r: &Row) -> Result<T, StoreError> {
        serde_json::from_value(serde_json::Value::Object(r.clone())).map_err(|e| corrupt("row", e))
    }

    fn json_list(r: &Row, col: &str) -> Result<Vec<String>, StoreError> {
        serde_json::from_str(&col_text(r, col)?).map_err(|e| corrupt(col, e))
    }

    /// A row of [`super::USER_SELECT`].
    pub fn user(r: &Row) -> Result<User, StoreError> {
        Ok(User {
            company: col_text(r, "company")?,
            id: col_text(r, "id")?,
            email: col_text(r, "email")?,
            memberships: super::memberships_from_json(&col_text(r, "memberships")?)
                .map_err(|e| corrupt("memberships", e))?,
            confirmed: col_flag(r, "confirmed")?,
            impersonation: col_flag(r, "impersonation")?,
            created_via: col_text(r, "created_via")?,
            created_at: col_text(r, "created_at")?,
            last_login_at: col_opt(r, "last_login_at")?,
            first_name: col_opt(r, "first_name")?,
            last_name: col_opt(r, "last_name")?,
            name_id: col_opt(r, "name_id")?,
            name_id_issuer: col_opt(r, "name_id_issuer")?,
            active: col_flag(r, "active")?,
        })
    }

    /// The row of [`super::company_facts`].
    pub fn facts(r: &Row) -> Result<CompanyFacts, StoreError> {
        Ok(CompanyFacts {
            domain_has_confirmed_user: col_flag(r, "domain_ok")?,
            missing_workspaces: json_list(r, "ws_missing")?,
            missing_permission_sets: json_list(r, "ps_missing")?,
        })
    }
}
