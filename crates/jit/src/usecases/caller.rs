//! Whether a signed-in user may use the admin surfaces of their company: they are active and
//! one of their memberships has a permission set the company marked `admin`.

use crate::ports::{AdminDirectory, StoreError};

/// Whether `email` is an admin of `company`. `uid` is the session's user ID: an email can move
/// to another account (a persistent-NameID email change), so a session names its account by ID
/// and counts only while the address still belongs to it (sessions from before IDs: by email).
pub async fn is_company_admin<D: AdminDirectory>(
    dir: &D,
    company: &str,
    email: &str,
    uid: Option<&str>,
) -> Result<bool, StoreError> {
    let user = dir.user(company, email).await?;
    let Some(user) = user.filter(|u| u.active && uid.is_none_or(|id| id == u.id)) else {
        return Ok(false);
    };
    for m in &user.memberships {
        if dir.is_admin_set(company, &m.permission_set).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
