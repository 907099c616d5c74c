//! Whether a signed-in user may use the admin surfaces of their company: they are active and
//! one of their memberships has a permission set the company marked `admin`.

use crate::ports::{AdminDirectory, StoreError};

/// Whether `email` is an admin of `company`.
pub async fn is_company_admin<D: AdminDirectory>(
    dir: &D,
    company: &str,
    email: &str,
) -> Result<bool, StoreError> {
    let Some(user) = dir.user(company, email).await?.filter(|u| u.active) else {
        return Ok(false);
    };
    for m in &user.memberships {
        if dir.is_admin_set(company, &m.permission_set).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
