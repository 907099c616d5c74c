//! Per-company tokens (README "Routes"): admin API tokens (Support's) and SCIM tokens (Support's
//! or the company's admins'), each shown once, listed without their hashes, revoked; and who a
//! bearer token names.

use saml_verify::Timestamp;

use super::AdminError;
use crate::admin::{Action, Role};
use crate::ports::{AdminDirectory, StoreError};
use crate::tokens::{format, hash, parse, same_hash, same_secret, TokenKind};

/// Who may manage a kind of token: admin tokens are Support's; SCIM tokens also the company
/// admins' (they connect their own IdP).
pub fn manage_action(kind: TokenKind) -> Action {
    match kind {
        TokenKind::Admin => Action::SupportOnly,
        TokenKind::Scim => Action::ScimTokens,
    }
}

/// Store a new token from its random `id` and `secret` (hex, drawn by the caller); the token
/// string, to show once.
pub async fn create_token<D: AdminDirectory>(
    dir: &D,
    kind: TokenKind,
    company: &str,
    id: &str,
    secret: &str,
    now: Timestamp,
) -> Result<String, AdminError> {
    dir.insert_token(kind, company, id, &hash(secret), now)
        .await?;
    Ok(format(kind, id, secret))
}

/// Revoke an active token of the company.
pub async fn revoke_token<D: AdminDirectory>(
    dir: &D,
    kind: TokenKind,
    company: &str,
    id: &str,
    now: Timestamp,
) -> Result<(), AdminError> {
    match dir.revoke_token(kind, company, id, now).await? {
        true => Ok(()),
        false => Err(AdminError::TokenUnknown),
    }
}

/// The company and ID of an active token of `kind`, or None (unknown, revoked, wrong secret,
/// another kind).
pub async fn token_owner<D: AdminDirectory>(
    dir: &D,
    kind: TokenKind,
    token: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let Some((id, secret)) = parse(kind, token) else {
        return Ok(None);
    };
    Ok(match dir.token(kind, id).await? {
        Some((company, stored)) if same_hash(&stored, &hash(secret)) => {
            Some((company, id.to_owned()))
        }
        _ => None,
    })
}

/// Who a bearer token names on the admin API: Support (the configured support secret, compared
/// in constant time), the admin of the company an active admin token belongs to, or nobody (a
/// SCIM token included).
pub async fn bearer_role<D: AdminDirectory>(
    dir: &D,
    token: &str,
    support_secret: &str,
) -> Result<Option<Role>, StoreError> {
    if same_secret(token, support_secret) {
        return Ok(Some(Role::Support));
    }
    let owner = token_owner(dir, TokenKind::Admin, token).await?;
    Ok(owner.map(|(company, _)| Role::Admin { company }))
}
