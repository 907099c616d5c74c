//! Whether a signed-in user may use the admin surfaces of their company: their permission set
//! is one the company marked `admin`.

use crate::ports::{AdminDirectory, StoreError};

/// Whether `email` is an admin of `company`.
pub async fn is_company_admin<D: AdminDirectory>(
    dir: &D,
    company: &str,
    email: &str,
) -> Result<bool, StoreError> {
    match dir
        .user(company, email)
        .await?
        .and_then(|u| u.permission_set)
    {
        Some(set) => dir.is_admin_set(company, &set).await,
        None => Ok(false),
    }
}
