//! The D1 statements of the SCIM endpoints, as data ([`Stmt`], bound and run by the worker's D1
//! adapter through the [`Sql`] port), tested on a real SQLite with `migrations/` applied
//! (`tests/scim_sqlite.rs`). Schema: `migrations/0004_scim.sql` on top of 0003.
#![allow(async_fn_in_trait)] // wasm32 is single-threaded: no Send bound wanted.

use serde_json::{Map, Value as Json};

use crate::policy::{email_domain, COUNTS_FOR_DOMAIN_SQL};
use crate::ports::{AuditEntry, StoreError};
use crate::sql::{Stmt, Value};
use scim::query::{Filter, FilterAttr};

/// One result row, by column name.
pub type Row = Map<String, Json>;

/// Run statements: the worker's D1 adapter, or SQLite in tests.
pub trait Sql {
    /// Every row of one statement.
    async fn rows(&self, stmt: &Stmt) -> Result<Vec<Row>, StoreError>;
    /// Statements as one transaction; whether the first changed exactly one row.
    async fn batch_applied(&self, stmts: &[Stmt]) -> Result<bool, StoreError>;
    /// One statement on its own; how many rows it changed.
    async fn run(&self, stmt: &Stmt) -> Result<u64, StoreError>;
}

fn stmt(sql: impl Into<String>, args: Vec<Value>) -> Stmt {
    Stmt {
        sql: sql.into(),
        args,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// The SCIM view of a `users` row.
pub const USER_COLUMNS: &str = "id, email, first_name, last_name, external_id, scim_emails, \
     active, created_at, COALESCE(updated_at, created_at) AS updated_at";

/// A live (not SCIM-deleted) user by SCIM id.
pub fn user_by_id(company: &str, id: &str) -> Stmt {
    stmt(
        format!(
            "SELECT {USER_COLUMNS} FROM users WHERE company = ?1 AND id = ?2 AND scim_deleted = 0"
        ),
        vec![text(company), text(id)],
    )
}

/// Any user by email, with whether SCIM deleted it.
pub fn user_by_email(company: &str, email: &str) -> Stmt {
    stmt(
        format!("SELECT {USER_COLUMNS}, scim_deleted FROM users WHERE company = ?1 AND email = ?2"),
        vec![text(company), text(email)],
    )
}

fn user_where(filter: Option<&Filter>) -> (&'static str, Value) {
    match filter.map(|f| (f.attr, f.value.as_str())) {
        Some((FilterAttr::UserName, v)) => ("AND email = ?2", text(v)),
        Some((FilterAttr::ExternalId, v)) => ("AND external_id = ?2", text(v)),
        // DisplayName is refused for Users by the filter parser; match nothing if it came.
        Some((FilterAttr::DisplayName, _)) => ("AND 0 AND ?2 IS NULL", Value::Null),
        None => ("AND ?2 IS NULL", Value::Null),
    }
}

/// A page of live users, oldest first (`offset` 0-based).
pub fn users_page(company: &str, filter: Option<&Filter>, offset: usize, count: usize) -> Stmt {
    let (cond, v) = user_where(filter);
    stmt(
        format!(
            "SELECT {USER_COLUMNS} FROM users WHERE company = ?1 AND scim_deleted = 0 {cond} \
             ORDER BY created_at, id LIMIT ?3 OFFSET ?4"
        ),
        vec![
            text(company),
            v,
            Value::Int(count as i64),
            Value::Int(offset as i64),
        ],
    )
}

/// How many live users match (`n`).
pub fn users_count(company: &str, filter: Option<&Filter>) -> Stmt {
    let (cond, v) = user_where(filter);
    stmt(
        format!("SELECT COUNT(*) AS n FROM users WHERE company = ?1 AND scim_deleted = 0 {cond}"),
        vec![text(company), v],
    )
}

/// Whether the domain has a user that counts for the domain rule (`ok`).
pub fn domain_counts(company: &str, domain: &str) -> Stmt {
    stmt(
        format!(
            "SELECT EXISTS (SELECT 1 FROM users WHERE company = ?1 AND domain = ?2 AND \
             {COUNTS_FOR_DOMAIN_SQL}) AS ok"
        ),
        vec![text(company), text(domain)],
    )
}

/// What a SCIM write sets on a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields<'a> {
    pub email: &'a str,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    /// `emails` as JSON (`scim::emails::to_json`), None when there are none.
    pub emails: Option<&'a str>,
    pub active: bool,
    /// RFC 3339, for `updated_at` (and `created_at` of a new user).
    pub at: &'a str,
}

/// An audit row written only if the statement before it changed a row.
pub fn audit_if_changed(e: &AuditEntry) -> Stmt {
    stmt(
        "INSERT INTO audit_log (company, at, event, email, assertion_id, reason, reference, \
         actor, detail) SELECT ?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6, ?7 WHERE changes() = 1",
        vec![
            text(&e.company),
            Value::Text(e.at.to_string()),
            text(e.event.as_str()),
            e.email.as_deref().into(),
            text(&e.reference),
            e.actor.as_deref().into(),
            e.detail.as_deref().into(),
        ],
    )
}

/// A new SCIM user (`created_via` `scim`, confirmed, never impersonation) unless the email is
/// taken; its memberships and audit rows only if it was inserted.
pub fn insert_user(
    company: &str,
    id: &str,
    f: &UserFields<'_>,
    memberships: &[crate::lifecycle::Membership],
    audit: &AuditEntry,
) -> Vec<Stmt> {
    let mut out = vec![
        stmt(
            "INSERT INTO users (company, id, email, domain, confirmed, impersonation, created_via, \
             created_at, first_name, last_name, active, external_id, updated_at, scim_emails) \
             VALUES (?1, ?2, ?3, ?4, 1, 0, 'scim', ?5, ?6, ?7, ?8, ?9, ?5, ?10) \
             ON CONFLICT DO NOTHING",
            vec![
                text(company),
                text(id),
                text(f.email),
                Value::Text(email_domain(f.email).unwrap_or_default()),
                text(f.at),
                f.given_name.into(),
                f.family_name.into(),
                f.active.into(),
                f.external_id.into(),
                f.emails.into(),
            ],
        ),
        audit_if_changed(audit),
    ];
    out.extend(memberships.iter().map(|m| {
        stmt(
            "INSERT INTO memberships (company, user_id, workspace, permission_set) \
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM users WHERE company = ?1 AND \
             id = ?2 AND created_at = ?5) ON CONFLICT DO NOTHING",
            vec![
                text(company),
                text(id),
                text(&m.workspace),
                text(&m.permission_set),
                text(f.at),
            ],
        )
    }));
    out
}

/// Update a live user (or, with `revive`, bring back one SCIM deleted). `revoke_at` (Unix
/// seconds) ends the sessions issued until then. `UPDATE OR IGNORE`: an email taken by another
/// user changes nothing (the first statement's changes are 0).
pub fn update_user(
    company: &str,
    id: &str,
    f: &UserFields<'_>,
    revoke_at: Option<i64>,
    revive: bool,
    audit: &[AuditEntry],
) -> Vec<Stmt> {
    let mut out = vec![stmt(
        "UPDATE OR IGNORE users SET email = ?3, domain = ?4, first_name = ?5, last_name = ?6, \
         external_id = ?7, active = ?8, updated_at = ?9, \
         sessions_valid_after = COALESCE(?10, sessions_valid_after), scim_deleted = 0, \
         scim_emails = ?12 WHERE company = ?1 AND id = ?2 AND scim_deleted = ?11",
        vec![
            text(company),
            text(id),
            text(f.email),
            Value::Text(email_domain(f.email).unwrap_or_default()),
            f.given_name.into(),
            f.family_name.into(),
            f.external_id.into(),
            f.active.into(),
            text(f.at),
            revoke_at.map_or(Value::Null, Value::Int),
            revive.into(),
            f.emails.into(),
        ],
    )];
    out.extend(audit.iter().map(audit_if_changed));
    out
}

/// A user SCIM deleted and a POST brings back may be another person (Entra re-assigns an
/// address): it starts as a new user would, with `memberships` and no persistent-NameID binding.
/// Run after [`update_user`] with `revive` in the same batch, guarded by the revival.
pub fn revive_fresh(
    company: &str,
    id: &str,
    memberships: &[crate::lifecycle::Membership],
) -> Vec<Stmt> {
    let guard = "EXISTS (SELECT 1 FROM users WHERE company = ?1 AND id = ?2 AND scim_deleted = 0)";
    let mut out = vec![
        stmt(
            format!("DELETE FROM memberships WHERE company = ?1 AND user_id = ?2 AND {guard}"),
            vec![text(company), text(id)],
        ),
        stmt(
            "UPDATE users SET name_id = NULL, name_id_issuer = NULL \
             WHERE company = ?1 AND id = ?2 AND scim_deleted = 0",
            vec![text(company), text(id)],
        ),
    ];
    out.extend(memberships.iter().map(|m| {
        stmt(
            format!(
                "INSERT INTO memberships (company, user_id, workspace, permission_set) \
                 SELECT ?1, ?2, ?3, ?4 WHERE {guard} ON CONFLICT DO NOTHING"
            ),
            vec![
                text(company),
                text(id),
                text(&m.workspace),
                text(&m.permission_set),
            ],
        )
    }));
    out
}

/// SCIM DELETE: deactivate, end every session, hide from SCIM, leave its groups and drop the
/// memberships they gave (a later POST of the address starts afresh: [`revive_fresh`]).
pub fn delete_user(company: &str, id: &str, now_secs: i64, audit: &AuditEntry) -> Vec<Stmt> {
    vec![
        stmt(
            "UPDATE users SET active = 0, scim_deleted = 1, sessions_valid_after = ?3, \
             updated_at = ?4 WHERE company = ?1 AND id = ?2 AND scim_deleted = 0",
            vec![
                text(company),
                text(id),
                Value::Int(now_secs),
                Value::Text(audit.at.to_string()),
            ],
        ),
        audit_if_changed(audit),
        stmt(
            "DELETE FROM scim_group_members WHERE company = ?1 AND user_id = ?2",
            vec![text(company), text(id)],
        ),
        stmt(
            "DELETE FROM memberships WHERE company = ?1 AND user_id = ?2",
            vec![text(company), text(id)],
        ),
    ]
}

/// End the sessions of a user issued until `now_secs` (support/admin API).
pub fn revoke_sessions(company: &str, email: &str, now_secs: i64, audit: &AuditEntry) -> Vec<Stmt> {
    vec![
        stmt(
            "UPDATE users SET sessions_valid_after = ?3 WHERE company = ?1 AND email = ?2",
            vec![text(company), text(email), Value::Int(now_secs)],
        ),
        audit_if_changed(audit),
    ]
}

/// What `GET /session` needs of the session's user: by the account's ID when the session names
/// it (`uid`, which survives an email change), else by email.
pub fn session_user(company: &str, email: &str, uid: Option<&str>) -> Stmt {
    stmt(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.active, u.sessions_valid_after, \
         (SELECT json_group_array(json_object('workspace', m.workspace, 'permission_set', \
         m.permission_set)) FROM (SELECT workspace, permission_set FROM memberships ms \
         WHERE ms.company = u.company AND ms.user_id = u.id ORDER BY workspace) m) AS memberships \
         FROM users u WHERE u.company = ?1 AND \
         (u.id = ?3 OR (?3 IS NULL AND u.email = ?2))",
        vec![text(company), text(email), uid.into()],
    )
}

/// Read a TEXT column.
pub fn col_text(r: &Row, col: &str) -> Result<String, StoreError> {
    col_opt(r, col)?.ok_or_else(|| StoreError::Corrupt(format!("column {col} missing")))
}

/// Read a nullable TEXT column.
pub fn col_opt(r: &Row, col: &str) -> Result<Option<String>, StoreError> {
    match r.get(col) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(StoreError::Corrupt(format!("column {col} is not text"))),
    }
}

/// Read an INTEGER column.
pub fn col_int(r: &Row, col: &str) -> Result<i64, StoreError> {
    match r.get(col) {
        Some(Json::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is not an integer"))),
        _ => Err(StoreError::Corrupt(format!(
            "column {col} is not an integer"
        ))),
    }
}
