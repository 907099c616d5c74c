//! Per-company admin tokens (README "Routes"): created by Support and shown once, listed
//! without their hashes, revoked; and who a bearer token names.

use saml_verify::Timestamp;

use super::AdminError;
use crate::admin::Role;
use crate::ports::{AdminDirectory, StoreError};
use crate::tokens::{format, hash, parse, same_hash, same_secret};

/// Store a new token from its random `id` and `secret` (hex, drawn by the caller); the token
/// string, to show once.
pub async fn create_token<D: AdminDirectory>(
    dir: &D,
    company: &str,
    id: &str,
    secret: &str,
    now: Timestamp,
) -> Result<String, AdminError> {
    dir.insert_token(company, id, &hash(secret), now).await?;
    Ok(format(id, secret))
}

/// Revoke an active token of the company.
pub async fn revoke_token<D: AdminDirectory>(
    dir: &D,
    company: &str,
    id: &str,
    now: Timestamp,
) -> Result<(), AdminError> {
    match dir.revoke_token(company, id, now).await? {
        true => Ok(()),
        false => Err(AdminError::TokenUnknown),
    }
}

/// Who a bearer token names: Support (the configured support secret, compared in constant
/// time), the admin of the company an active admin token belongs to, or nobody.
pub async fn bearer_role<D: AdminDirectory>(
    dir: &D,
    token: &str,
    support_secret: &str,
) -> Result<Option<Role>, StoreError> {
    if same_secret(token, support_secret) {
        return Ok(Some(Role::Support));
    }
    let Some((id, secret)) = parse(token) else {
        return Ok(None);
    };
    Ok(match dir.token(id).await? {
        Some((company, stored)) if same_hash(&stored, &hash(secret)) => {
            Some(Role::Admin { company })
        }
        _ => None,
    })
}
