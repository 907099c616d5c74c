//! Who may change what in a company's settings: least privilege, as a pure function.
//!
//! Support can do everything. A company admin (a user whose permission set is an admin one, or a
//! per-company admin token) can configure the IdP, turn provisioning on and choose the defaults,
//! and read users and the audit log, for their own company only. Turning provisioning off once
//! it is on, exception domains and SHA-1 are Support's (the product page: "contact Support").

use serde::Deserialize;

use crate::lifecycle::{AttributeNames, GroupMappings};
use crate::settings::{CompanySettings, ExpiredCertificates, FieldError};

/// The caller, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Support,
    /// Admin of this company (by admin token or by an admin user's session).
    Admin {
        company: String,
    },
}

impl Role {
    /// The audit `actor` of what this role does.
    pub fn actor(&self) -> &'static str {
        match self {
            Role::Support => "support",
            Role::Admin { .. } => "admin",
        }
    }
}

/// What a route does, for authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read settings, users, audit log.
    Read,
    /// The IdP and provisioning settings admins manage (checked field by field in [`apply`]).
    ChangeSecurity,
    /// Replace the whole settings document, create users, manage admin tokens.
    SupportOnly,
    /// Create, list and revoke the company's SCIM tokens: Support and the company's admins.
    ScimTokens,
    /// Revoke a user's sessions: Support and the company's admins.
    RevokeSessions,
}

/// Why a caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Another company's admin: 403 `forbidden`.
    OtherCompany,
    /// Reserved to Support: 403 `support_only`, naming what.
    SupportOnly(&'static str),
}

/// May `role` do `action` on `company` at all?
pub fn authorize(role: &Role, action: Action, company: &str) -> Result<(), Denied> {
    match role {
        Role::Support => Ok(()),
        Role::Admin { company: own } if own != company => Err(Denied::OtherCompany),
        Role::Admin { .. } => match action {
            Action::Read | Action::ChangeSecurity | Action::ScimTokens | Action::RevokeSessions => {
                Ok(())
            }
            Action::SupportOnly => Err(Denied::SupportOnly("this action")),
        },
    }
}

/// A change to the security settings (`PATCH /admin/companies/{c}/security`, and the Security
/// Settings form). Absent fields are left as they are. IdP metadata is resolved by the caller
/// into `idp_entity_id`, `idp_certificates` and `idp_sso_url` before [`apply`]. As JSON, every
/// member is optional, null is the same as absent, and unknown members are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityChange {
    pub idp_entity_id: Option<String>,
    pub idp_certificates: Option<Vec<String>>,
    pub idp_sso_url: Option<String>,
    pub idp_metadata_xml: Option<String>,
    pub idp_metadata_url: Option<String>,
    pub provisioning_enabled: Option<bool>,
    pub default_workspace: Option<String>,
    pub default_permission_set: Option<String>,
    pub exception_domains: Option<Vec<String>>,
    pub allow_sha1: Option<bool>,
    /// `saml.attributes` (the defaults are stored as absent).
    pub attributes: Option<AttributeNames>,
    pub group_mappings: Option<GroupMappings>,
    /// `saml.expired_certificates`.
    pub expired_certificates: Option<ExpiredCertificates>,
    /// Set by [`crate::usecases::metadata::import`] (never from JSON): the URL the metadata was
    /// fetched from, stored as `saml.idp_metadata_url` so the daily refresh keeps it fresh.
    #[serde(skip)]
    pub fetched_from: Option<String>,
}

/// Why a change was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    Denied(Denied),
    Invalid(FieldError),
}

/// Apply `change` to `current` for `role`: the new, validated document, or why not.
pub fn apply(
    current: &CompanySettings,
    change: &SecurityChange,
    role: &Role,
    company: &str,
) -> Result<CompanySettings, ChangeError> {
    authorize(role, Action::ChangeSecurity, company).map_err(ChangeError::Denied)?;
    let support = *role == Role::Support;
    let deny = |what| Err(ChangeError::Denied(Denied::SupportOnly(what)));
    let mut next = current.clone();
    if let Some(enabled) = change.provisioning_enabled {
        if current.provisioning.enabled && !enabled && !support {
            return deny("turning automatic user provisioning off");
        }
        next.provisioning.enabled = enabled;
    }
    if let Some(domains) = &change.exception_domains {
        if !support && *domains != current.exception_domains {
            return deny("exception domains");
        }
        next.exception_domains = domains.clone();
    }
    if let Some(allow) = change.allow_sha1 {
        if !support && allow != current.saml.allow_sha1 {
            return deny("allowing SHA-1");
        }
        next.saml.allow_sha1 = allow;
    }
    if let Some(id) = &change.idp_entity_id {
        next.saml.idp_entity_id = id.trim().to_owned();
    }
    if let Some(certs) = &change.idp_certificates {
        next.saml.idp_certificates = certs.clone();
        // Certificates from an URL keep following it; pasted or typed ones end the refresh.
        next.saml.idp_metadata_url = change.fetched_from.clone();
    }
    if let Some(policy) = change.expired_certificates {
        next.saml.expired_certificates = policy;
    }
    if let Some(url) = &change.idp_sso_url {
        next.saml.idp_sso_url = (!url.trim().is_empty()).then(|| url.trim().to_owned());
    }
    if let Some(w) = &change.default_workspace {
        next.provisioning.default_workspace = Some(w.clone());
    }
    if let Some(p) = &change.default_permission_set {
        next.provisioning.default_permission_set = Some(p.clone());
    }
    if let Some(a) = &change.attributes {
        next.saml.attributes = (*a != AttributeNames::default()).then(|| a.clone());
    }
    if let Some(m) = &change.group_mappings {
        next.group_mappings = m.clone();
    }
    // Through the document's JSON form: the same parse and validation as a full PUT.
    let json = next.to_json();
    CompanySettings::parse(json.as_bytes()).map_err(|mut e| {
        e.field = rename_field(&e.field);
        ChangeError::Invalid(e)
    })
}

/// The settings that differ between two documents, as paths (`saml.idp_entity_id`,
/// `group_mappings`…), never their values: for the `settings_changed` audit row.
pub fn changed_paths(before: &CompanySettings, after: &CompanySettings) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return vec!["settings".into()];
    };
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (Some(serde_json::Value::Object(x)), Some(serde_json::Value::Object(y))) => {
                let inner: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                out.extend(
                    inner
                        .into_iter()
                        .filter(|i| x.get(*i) != y.get(*i))
                        .map(|i| format!("{k}.{i}")),
                );
            }
            (x, y) if x != y => out.push(k.clone()),
            _ => {}
        }
    }
    out
}

/// Report settings-document paths with the names the change uses.
fn rename_field(field: &str) -> String {
    match field {
        "saml.idp_entity_id" => "idp_entity_id".into(),
        "saml.idp_sso_url" => "idp_sso_url".into(),
        "provisioning.default_workspace" => "default_workspace".into(),
        "provisioning.default_permission_set" => "default_permission_set".into(),
        "provisioning" => "provisioning_enabled".into(),
        f if f.starts_with("saml.idp_certificates") || f.starts_with("saml.attributes") => {
            f.trim_start_matches("saml.").into()
        }
        f => f.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Named, Provisioning, SamlSettings};

    fn settings(enabled: bool) -> CompanySettings {
        CompanySettings {
            version: 1,
            display_name: "Acme".into(),
            dashboard_url: "https://dash.example.com".into(),
            saml: SamlSettings::new("https://idp", vec![]),
            provisioning: Provisioning {
                enabled,
                default_workspace: Some("main".into()),
                default_permission_set: Some("member".into()),
            },
            exception_domains: vec![],
            provisionable_domains: vec![],
            workspaces: vec![
                Named {
                    id: "main".into(),
                    name: "Main".into(),
                    admin: false,
                },
                Named {
                    id: "ops".into(),
                    name: "Ops".into(),
                    admin: false,
                },
            ],
            permission_sets: vec![Named {
                id: "member".into(),
                name: "Member".into(),
                admin: false,
            }],
            group_mappings: Default::default(),
        }
    }

    fn admin() -> Role {
        Role::Admin {
            company: "acme".into(),
        }
    }

    #[test]
    fn authorization_table() {
        let other = Role::Admin {
            company: "other".into(),
        };
        #[rustfmt::skip]
        let table = [
            (Role::Support, Action::SupportOnly, Ok(())),
            (admin(), Action::Read, Ok(())),
            (admin(), Action::ChangeSecurity, Ok(())),
            (admin(), Action::SupportOnly, Err(Denied::SupportOnly("this action"))),
            (Role::Support, Action::ScimTokens, Ok(())),
            (admin(), Action::ScimTokens, Ok(())),
            (other.clone(), Action::Read, Err(Denied::OtherCompany)),
            (other.clone(), Action::ScimTokens, Err(Denied::OtherCompany)),
            (admin(), Action::RevokeSessions, Ok(())),
            (other.clone(), Action::RevokeSessions, Err(Denied::OtherCompany)),
            (other, Action::ChangeSecurity, Err(Denied::OtherCompany)),
        ];
        for (role, action, want) in table {
            assert_eq!(
                authorize(&role, action, "acme"),
                want,
                "{role:?} {action:?}"
            );
        }
    }

    #[test]
    fn admins_turn_provisioning_on_but_only_support_turns_it_off() {
        let on = SecurityChange {
            provisioning_enabled: Some(true),
            default_workspace: Some("ops".into()),
            ..Default::default()
        };
        let next = apply(&settings(false), &on, &admin(), "acme").unwrap();
        assert!(next.provisioning.enabled);
        assert_eq!(next.provisioning.default_workspace.as_deref(), Some("ops"));
        let off = SecurityChange {
            provisioning_enabled: Some(false),
            ..Default::default()
        };
        assert_eq!(
            apply(&settings(true), &off, &admin(), "acme"),
            Err(ChangeError::Denied(Denied::SupportOnly(
                "turning automatic user provisioning off"
            )))
        );
        assert!(
            !apply(&settings(true), &off, &Role::Support, "acme")
                .unwrap()
                .provisioning
                .enabled
        );
        // Saying "on" while it is on is no change, and allowed.
        assert!(apply(&settings(true), &on, &admin(), "acme").is_ok());
    }

    #[test]
    fn support_only_fields_and_validation() {
        let exc = SecurityChange {
            exception_domains: Some(vec!["decorumsoft.eu".into()]),
            ..Default::default()
        };
        assert!(matches!(
            apply(&settings(true), &exc, &admin(), "acme"),
            Err(ChangeError::Denied(Denied::SupportOnly(_)))
        ));
        assert_eq!(
            apply(&settings(true), &exc, &Role::Support, "acme")
                .unwrap()
                .exception_domains,
            ["decorumsoft.eu"]
        );
        let sha1 = SecurityChange {
            allow_sha1: Some(true),
            ..Default::default()
        };
        assert!(matches!(
            apply(&settings(true), &sha1, &admin(), "acme"),
            Err(ChangeError::Denied(_))
        ));
        let same = SecurityChange {
            allow_sha1: Some(false),
            exception_domains: Some(vec![]),
            ..Default::default()
        };
        assert!(
            apply(&settings(true), &same, &admin(), "acme").is_ok(),
            "restating current values is no change"
        );
        let bad = SecurityChange {
            default_workspace: Some("nope".into()),
            ..Default::default()
        };
        match apply(&settings(true), &bad, &admin(), "acme") {
            Err(ChangeError::Invalid(e)) => assert_eq!(e.field, "default_workspace"),
            other => panic!("{other:?}"),
        }
        let cert = SecurityChange {
            idp_certificates: Some(vec!["not a cert".into()]),
            ..Default::default()
        };
        match apply(&settings(true), &cert, &admin(), "acme") {
            Err(ChangeError::Invalid(e)) => assert_eq!(e.field, "idp_certificates[0]"),
            other => panic!("{other:?}"),
        }
        let other = Role::Admin {
            company: "other".into(),
        };
        assert_eq!(
            apply(&settings(true), &SecurityChange::default(), &other, "acme"),
            Err(ChangeError::Denied(Denied::OtherCompany))
        );
    }
}
