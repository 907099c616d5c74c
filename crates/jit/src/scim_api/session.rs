//! `GET /session` for dashboards, and session revocation: a session cookie is accepted while its
//! user exists, is active, and was issued after the user's `sessions_valid_after` (set when the
//! user is deactivated through SCIM, or their sessions are revoked through the API). Read from
//! D1 on every call, so a deactivation applies at once.

use saml_verify::Timestamp;
use serde_json::{json, Value as Json};

use super::sql::{self, col_int, col_opt, col_text, Sql};
use crate::ports::{AuditEntry, AuditEvent, StoreError};
use crate::session::Claims;

/// The rule: an active user, and a session issued after the last revocation (same second
/// included: a revocation ends the sessions issued in its second too).
pub fn session_valid(active: bool, sessions_valid_after: i64, iat: i64) -> bool {
    active && iat > sessions_valid_after
}

/// The session's user as `GET /session` answers it (200), or None (401): unknown, deactivated,
/// revoked. The cookie's MAC and expiry are checked before (`crate::session::check`).
pub async fn current<D: Sql>(dir: &D, claims: &Claims) -> Result<Option<Json>, StoreError> {
    let stmt = sql::session_user(&claims.company, &claims.email, claims.uid.as_deref());
    let rows = dir.rows(&stmt).await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let (active, after) = (
        col_int(r, "active")? != 0,
        col_int(r, "sessions_valid_after")?,
    );
    if !session_valid(active, after, claims.iat) {
        return Ok(None);
    }
    let memberships: Json = serde_json::from_str(&col_text(r, "memberships")?)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(json!({
        "company": claims.company,
        "id": col_text(r, "id")?,
        "email": col_text(r, "email")?,
        "first_name": col_opt(r, "first_name")?,
        "last_name": col_opt(r, "last_name")?,
        "memberships": memberships,
        "iat": claims.iat,
        "exp": claims.exp,
    })))
}

/// End every session of `email` issued until `now` (support/admin API); false: no such user.
pub async fn revoke<D: Sql>(
    dir: &D,
    company: &str,
    email: &str,
    now: Timestamp,
    actor: &str,
    reference: &str,
) -> Result<bool, StoreError> {
    let audit = AuditEntry {
        company: company.to_owned(),
        at: now,
        event: AuditEvent::SessionsRevoked,
        email: Some(email.to_owned()),
        assertion_id: None,
        reason: None,
        reference: reference.to_owned(),
        actor: Some(actor.to_owned()),
        detail: None,
    };
    dir.batch_applied(&sql::revoke_sessions(
        company,
        email,
        now.unix_seconds(),
        &audit,
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_valid_for_active_users_after_the_last_revocation() {
        #[rustfmt::skip]
        let table = [
            ("active, never revoked", true, 0, 1_700_000_000, true),
            ("deactivated", false, 0, 1_700_000_000, false),
            ("issued before the revocation", true, 1_700_000_100, 1_700_000_000, false),
            ("issued in the revocation's second", true, 1_700_000_100, 1_700_000_100, false),
            ("issued after the revocation", true, 1_700_000_100, 1_700_000_101, true),
            ("reactivated, old session", true, 1_700_000_100, 1_700_000_050, false),
        ];
        for (case, active, after, iat, want) in table {
            assert_eq!(session_valid(active, after, iat), want, "{case}");
        }
    }
}
