//! Support creates the dashboard users that exist before any SAML sign-in.

use saml_verify::Timestamp;

use super::company::refresh_domains_mirror;
use super::AdminError;
use serde::Deserialize;

use crate::lifecycle::Membership;
use crate::policy::counts_for_domain;
use crate::ports::{AdminDirectory, SettingsStore, StoreError, User};
use crate::settings::{CompanySettings, FieldError};

/// `POST /admin/companies/{company}/users`: unknown members refused, the options may be absent
/// or null.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub confirmed: bool,
    pub impersonation: bool,
    pub workspace: Option<String>,
    pub permission_set: Option<String>,
}

/// A created user, and a failed refresh of the domains mirror for the log (the user exists).
#[derive(Debug)]
pub struct Created {
    pub user: User,
    pub mirror_error: Option<StoreError>,
}

fn invalid(field: &str, reason: &str) -> AdminError {
    AdminError::Invalid(FieldError {
        field: field.into(),
        reason: reason.into(),
    })
}

/// Check `new` against the company's document: an email address, and a workspace and
/// permission set that exist in it when given.
pub fn validate(new: &NewUser, settings: &CompanySettings) -> Result<String, AdminError> {
    let email = new.email.trim().to_ascii_lowercase();
    if !saml_verify::email::looks_like_email(&email) {
        return Err(invalid("email", "not an email address"));
    }
    let exists = |list: &[crate::settings::Named], id: &Option<String>| {
        id.as_ref()
            .is_none_or(|id| list.iter().any(|x| &x.id == id))
    };
    if !exists(&settings.workspaces, &new.workspace) {
        return Err(invalid("workspace", "no such workspace"));
    }
    if !exists(&settings.permission_sets, &new.permission_set) {
        return Err(invalid("permission_set", "no such permission set"));
    }
    Ok(email)
}

/// Create the user (`created_via` `admin`) with the fresh ID `id`; its membership is the
/// workspace and permission set when both are given. When it counts for its domain, refresh
/// the mirror.
pub async fn create_user<S: SettingsStore, D: AdminDirectory>(
    store: &S,
    dir: &D,
    settings: &CompanySettings,
    (company, id): (&str, &str),
    new: NewUser,
    now: Timestamp,
) -> Result<Created, AdminError> {
    let email = validate(&new, settings)?;
    let memberships = match (new.workspace, new.permission_set) {
        (Some(w), Some(ps)) => vec![Membership::new(&w, &ps)],
        (None, None) => Vec::new(),
        _ => {
            let reason = "give both a workspace and a permission set, or neither";
            return Err(invalid("workspace", reason));
        }
    };
    let user = User {
        company: company.to_owned(),
        id: id.to_owned(),
        email,
        memberships,
        confirmed: new.confirmed,
        impersonation: new.impersonation,
        created_via: "admin".into(),
        created_at: now.to_string(),
        active: true,
        ..User::default()
    };
    if !dir.insert_user(&user).await? {
        return Err(AdminError::UserExists);
    }
    let mut mirror_error = None;
    if counts_for_domain(user.confirmed, user.impersonation, &user.created_via) {
        mirror_error = refresh_domains_mirror(store, dir, company).await.err();
    }
    Ok(Created { user, mirror_error })
}
