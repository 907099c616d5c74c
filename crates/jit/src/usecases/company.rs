//! The company's settings document: read it, replace it (Support), change its security settings
//! (as [`crate::admin::apply`] allows the caller), and keep its `provisionable_domains` mirror in
//! step with the directory.

use super::AdminError;
use crate::admin::{apply, Role, SecurityChange};
use crate::ports::{AdminDirectory, SettingsStore, StoreError};
use crate::settings::CompanySettings;

/// The stored settings: 404 when none, `settings_invalid` when they do not parse.
pub async fn settings<S: SettingsStore>(
    store: &S,
    company: &str,
) -> Result<CompanySettings, AdminError> {
    match store.company(company).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(AdminError::CompanyUnknown),
        Err(StoreError::Corrupt(d)) => Err(AdminError::SettingsInvalid(d)),
        Err(e) => Err(AdminError::Store(e)),
    }
}

/// The settings with the live provisionable domains from the directory (not the mirror).
pub async fn settings_with_domains<S: SettingsStore, D: AdminDirectory>(
    store: &S,
    dir: &D,
    company: &str,
) -> Result<CompanySettings, AdminError> {
    let mut s = settings(store, company).await?;
    s.provisionable_domains = dir.provisionable_domains(company).await?;
    Ok(s)
}

/// Support's `PUT`: the whole, already validated, document. Workspaces and permission sets go to
/// the directory too (the sign-in flow checks the defaults there); `provisionable_domains` is
/// set from the directory, whatever the document said.
pub async fn put_settings<S: SettingsStore, D: AdminDirectory>(
    store: &S,
    dir: &D,
    company: &str,
    mut settings: CompanySettings,
) -> Result<CompanySettings, AdminError> {
    dir.replace_catalog(company, &settings.workspaces, &settings.permission_sets)
        .await?;
    settings.provisionable_domains = dir.provisionable_domains(company).await?;
    store.put(company, &settings).await?;
    Ok(settings)
}

/// Apply a security change for `role` and store the result. Any storage failure, including an
/// unreadable document, is `store_unavailable`.
pub async fn change_security<S: SettingsStore>(
    store: &S,
    company: &str,
    role: &Role,
    change: &SecurityChange,
) -> Result<CompanySettings, AdminError> {
    let current = store
        .company(company)
        .await?
        .ok_or(AdminError::CompanyUnknown)?;
    let next = apply(&current, change, role, company).map_err(|e| match e {
        crate::admin::ChangeError::Denied(d) => AdminError::Denied(d),
        crate::admin::ChangeError::Invalid(f) => AdminError::Invalid(f),
    })?;
    store.put(company, &next).await?;
    Ok(next)
}

/// [`change_security`], then a `settings_changed` audit row naming the settings that changed and
/// who changed them (`audit`: the row's actor, time and reference). The settings are stored
/// either way; a lost audit row comes back for the caller to log.
pub async fn change_security_audited<S: SettingsStore, D: crate::ports::Directory>(
    store: &S,
    dir: &D,
    (company, role, change): (&str, &Role, &SecurityChange),
    audit: crate::ports::AuditEntry,
) -> Result<(CompanySettings, Option<StoreError>), AdminError> {
    let before = store.company(company).await?;
    let next = change_security(store, company, role, change).await?;
    let changed = before.map_or_else(
        || vec!["settings".to_owned()],
        |b| crate::admin::changed_paths(&b, &next),
    );
    if changed.is_empty() {
        return Ok((next, None));
    }
    let entry = crate::ports::AuditEntry {
        event: crate::ports::AuditEvent::SettingsChanged,
        detail: Some(changed.join(",")),
        ..audit
    };
    Ok((next, dir.audit(&entry).await.err()))
}

/// Bring the document's `provisionable_domains` mirror in step with the directory, after a user
/// started to count for their domain. Best effort for the caller: provisioning reads the
/// directory, never the mirror. `Ok(false)` when there was nothing to write.
pub async fn refresh_domains_mirror<S: SettingsStore, D: AdminDirectory>(
    store: &S,
    dir: &D,
    company: &str,
) -> Result<bool, StoreError> {
    let domains = dir.provisionable_domains(company).await?;
    match store.company(company).await? {
        Some(mut s) if s.provisionable_domains != domains => {
            s.provisionable_domains = domains;
            store.put(company, &s).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
