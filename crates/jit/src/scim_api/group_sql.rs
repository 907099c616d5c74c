//! The D1 statements of `/Groups` (see [`super::sql`]).

use scim::group::Group;
use scim::query::{Filter, FilterAttr};

use crate::lifecycle::Membership;
use crate::ports::AuditEntry;
use crate::sql::{Stmt, Value};

use super::sql::audit_if_changed;

fn stmt(sql: impl Into<String>, args: Vec<Value>) -> Stmt {
    Stmt {
        sql: sql.into(),
        args,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn ids(list: &[String]) -> Value {
    Value::Text(serde_json::to_string(list).unwrap_or_else(|_| "[]".into()))
}

const COLUMNS: &str = "id, display_name, external_id, created_at, updated_at";

pub fn group_by_id(company: &str, id: &str) -> Stmt {
    stmt(
        format!("SELECT {COLUMNS} FROM scim_groups WHERE company = ?1 AND id = ?2"),
        vec![text(company), text(id)],
    )
}

/// The live members of the groups `list`, by email (`group_id`, `id`, `email`).
pub fn members(company: &str, list: &[String]) -> Stmt {
    stmt(
        "SELECT m.group_id, u.id, u.email FROM scim_group_members m JOIN users u ON \
         u.company = m.company AND u.id = m.user_id WHERE m.company = ?1 AND m.group_id IN \
         (SELECT value FROM json_each(?2)) AND u.scim_deleted = 0 ORDER BY u.email",
        vec![text(company), ids(list)],
    )
}

fn group_where(filter: Option<&Filter>) -> (&'static str, Value) {
    match filter.map(|f| (f.attr, f.value.as_str())) {
        Some((FilterAttr::DisplayName, v)) => ("AND display_name = ?2", text(v)),
        Some((FilterAttr::ExternalId, v)) => ("AND external_id = ?2", text(v)),
        Some((FilterAttr::UserName, _)) => ("AND 0 AND ?2 IS NULL", Value::Null),
        None => ("AND ?2 IS NULL", Value::Null),
    }
}

pub fn groups_page(company: &str, filter: Option<&Filter>, offset: usize, count: usize) -> Stmt {
    let (cond, v) = group_where(filter);
    stmt(
        format!(
            "SELECT {COLUMNS} FROM scim_groups WHERE company = ?1 {cond} \
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

pub fn groups_count(company: &str, filter: Option<&Filter>) -> Stmt {
    let (cond, v) = group_where(filter);
    stmt(
        format!("SELECT COUNT(*) AS n FROM scim_groups WHERE company = ?1 {cond}"),
        vec![text(company), v],
    )
}

/// Which of `ids` are live users of the company.
pub fn live_users(company: &str, list: &[String]) -> Stmt {
    stmt(
        "SELECT id FROM users WHERE company = ?1 AND scim_deleted = 0 AND id IN \
         (SELECT value FROM json_each(?2))",
        vec![text(company), ids(list)],
    )
}

fn add_members(company: &str, id: &str, list: &[String]) -> Stmt {
    stmt(
        "INSERT INTO scim_group_members (company, group_id, user_id) SELECT ?1, ?2, value \
         FROM json_each(?3) WHERE EXISTS (SELECT 1 FROM scim_groups WHERE company = ?1 AND \
         id = ?2) ON CONFLICT DO NOTHING",
        vec![text(company), text(id), ids(list)],
    )
}

pub fn insert_group(company: &str, id: &str, g: &Group, at: &str, audit: &AuditEntry) -> Vec<Stmt> {
    vec![
        stmt(
            // One group per displayName: an IdP's retried POST finds its group taken (409) and
            // looks it up, instead of leaving an orphan duplicate whose members keep its grants.
            "INSERT INTO scim_groups (company, id, display_name, external_id, created_at, \
             updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE NOT EXISTS (SELECT 1 FROM \
             scim_groups WHERE company = ?1 AND display_name = ?3)",
            vec![
                text(company),
                text(id),
                text(&g.display_name),
                g.external_id.as_deref().into(),
                text(at),
            ],
        ),
        audit_if_changed(audit),
        add_members(company, id, &g.members),
    ]
}

pub fn update_group(
    company: &str,
    id: &str,
    g: &Group,
    added: &[String],
    removed: &[String],
    at: &str,
    audit: &AuditEntry,
) -> Vec<Stmt> {
    vec![
        stmt(
            "UPDATE scim_groups SET display_name = ?3, external_id = ?4, updated_at = ?5 \
             WHERE company = ?1 AND id = ?2",
            vec![
                text(company),
                text(id),
                text(&g.display_name),
                g.external_id.as_deref().into(),
                text(at),
            ],
        ),
        audit_if_changed(audit),
        stmt(
            "DELETE FROM scim_group_members WHERE company = ?1 AND group_id = ?2 AND user_id IN \
             (SELECT value FROM json_each(?3))",
            vec![text(company), text(id), ids(removed)],
        ),
        add_members(company, id, added),
    ]
}

pub fn delete_group(company: &str, id: &str, audit: &AuditEntry) -> Vec<Stmt> {
    vec![
        stmt(
            "DELETE FROM scim_groups WHERE company = ?1 AND id = ?2",
            vec![text(company), text(id)],
        ),
        audit_if_changed(audit),
        stmt(
            "DELETE FROM scim_group_members WHERE company = ?1 AND group_id = ?2",
            vec![text(company), text(id)],
        ),
    ]
}

/// Live users among `list`, with their memberships (`[[workspace, permission_set]…]`) and the
/// display names and external IDs of their SCIM groups (`groups`, a JSON array).
pub fn users_with_groups(company: &str, list: &[String]) -> Stmt {
    stmt(
        "SELECT u.id, u.email, (SELECT json_group_array(json_array(ms.workspace, \
         ms.permission_set)) FROM (SELECT workspace, permission_set FROM memberships x WHERE \
         x.company = u.company AND x.user_id = u.id ORDER BY workspace) ms) AS memberships, \
         (SELECT json_group_array(n) FROM (SELECT g.display_name AS n FROM scim_group_members m \
         JOIN scim_groups g ON g.company = m.company AND g.id = m.group_id WHERE \
         m.company = u.company AND m.user_id = u.id UNION SELECT g.external_id FROM \
         scim_group_members m JOIN scim_groups g ON g.company = m.company AND g.id = m.group_id \
         WHERE m.company = u.company AND m.user_id = u.id AND g.external_id IS NOT NULL)) AS groups \
         FROM users u WHERE u.company = ?1 AND u.scim_deleted = 0 AND u.id IN \
         (SELECT value FROM json_each(?2))",
        vec![text(company), ids(list)],
    )
}

/// Set a user's memberships to exactly `ms`, and audit it.
pub fn replace_memberships(
    company: &str,
    user_id: &str,
    ms: &[Membership],
    audit: &AuditEntry,
) -> Vec<Stmt> {
    let mut out = vec![
        stmt(
            "DELETE FROM memberships WHERE company = ?1 AND user_id = ?2",
            vec![text(company), text(user_id)],
        ),
        crate::sql::audit(audit),
    ];
    out.extend(ms.iter().map(|m| {
        stmt(
            "INSERT INTO memberships (company, user_id, workspace, permission_set) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (company, user_id, workspace) DO UPDATE SET \
             permission_set = excluded.permission_set",
            vec![
                text(company),
                text(user_id),
                text(&m.workspace),
                text(&m.permission_set),
            ],
        )
    }));
    out
}
