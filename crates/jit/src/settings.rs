//! The per-company settings document kept in Workers KV (key `company:{id}`), version 1.
//!
//! It is the whole of a company's SAML and provisioning configuration. Writes go through
//! [`CompanySettings::parse`], which refuses unknown fields and names the offending field.
//! Absent lists read as empty, absent options as none, and options written as `null` as absent;
//! members are written in schema order, optional SAML members only when set.

use serde::{Deserialize, Serialize};

use crate::lifecycle::{AttributeNames, GroupMappings};

/// Current schema version of the settings document.
pub const SETTINGS_VERSION: u32 = 1;

/// One company's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanySettings {
    /// Schema version; must be 1.
    pub version: u32,
    pub display_name: String,
    /// Where signed-in users land (absolute http(s) URL).
    pub dashboard_url: String,
    pub saml: SamlSettings,
    pub provisioning: Provisioning,
    /// Domains support granted for provisioning without a confirmed user (lower case).
    #[serde(default)]
    pub exception_domains: Vec<String>,
    /// Mirror of the domains that have a confirmed, non-impersonation user in D1 (informational;
    /// the provisioning check itself reads D1).
    #[serde(default)]
    pub provisionable_domains: Vec<String>,
    #[serde(default)]
    pub workspaces: Vec<Named>,
    #[serde(default)]
    pub permission_sets: Vec<Named>,
    /// IdP groups to workspace memberships (README "After the first login").
    #[serde(default, skip_serializing_if = "GroupMappings::is_default")]
    pub group_mappings: GroupMappings,
}

/// The company's IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlSettings {
    pub idp_entity_id: String,
    /// PEM certificates (or bare base64 DER), several during a rollover.
    pub idp_certificates: Vec<String>,
    #[serde(default)]
    pub allow_sha1: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_attributes: Option<Vec<String>>,
    /// This SP's encryption certificates (PEM), published in its metadata so the IdP can encrypt
    /// assertions. The matching private keys live only in the `SP_KEYS` Worker secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sp_certificates: Vec<String>,
    /// The IdP's SingleSignOnService URL for the HTTP-Redirect binding (SP-initiated sign-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_sso_url: Option<String>,
    /// The SAML attributes synced into the account at each sign-in; absent: the defaults
    /// (Okta, Entra ID, AD FS, Google Workspace, LDAP names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<AttributeNames>,
    /// The IdP's metadata URL: when set, the daily refresh (README "Certificate rollover")
    /// keeps `idp_certificates` (and the SSO URL) in step with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_metadata_url: Option<String>,
    /// A signature by a pinned certificate past its NotAfter: accepted with a warning (the
    /// default) or refused (`certificate_expired`).
    #[serde(default, skip_serializing_if = "ExpiredCertificates::is_default")]
    pub expired_certificates: ExpiredCertificates,
}

impl SamlSettings {
    /// This IdP with these certificates, every optional setting at its default.
    pub fn new(idp_entity_id: impl Into<String>, idp_certificates: Vec<String>) -> Self {
        SamlSettings {
            idp_entity_id: idp_entity_id.into(),
            idp_certificates,
            allow_sha1: false,
            skew_seconds: None,
            email_attributes: None,
            sp_certificates: Vec::new(),
            idp_sso_url: None,
            attributes: None,
            idp_metadata_url: None,
            expired_certificates: ExpiredCertificates::Accept,
        }
    }
}

/// What a signature by a pinned certificate past its NotAfter gets. Entra ID and AD FS keep
/// signing with expired certificates, and refusing them causes exactly the lock-out a rollover
/// should avoid: accepting (with an audit note) is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiredCertificates {
    #[default]
    Accept,
    Refuse,
}

impl ExpiredCertificates {
    fn is_default(&self) -> bool {
        *self == ExpiredCertificates::Accept
    }
}

/// Automatic user provisioning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioning {
    pub enabled: bool,
    #[serde(default)]
    pub default_workspace: Option<String>,
    #[serde(default)]
    pub default_permission_set: Option<String>,
}

/// A workspace or a permission set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub id: String,
    pub name: String,
    /// For permission sets: grants the company's admin surfaces (written only when true).
    #[serde(default, skip_serializing_if = "is_false")]
    pub admin: bool,
}

/// A settings document that does not parse or validate: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FieldError {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

impl CompanySettings {
    /// Parse and validate JSON, naming the field at fault.
    pub fn parse(json: &[u8]) -> Result<Self, FieldError> {
        let mut s = crate::wire::from_slice::<CompanySettings>(json)?;
        s.normalize();
        s.validate()?;
        Ok(s)
    }

    fn normalize(&mut self) {
        for d in self
            .exception_domains
            .iter_mut()
            .chain(self.provisionable_domains.iter_mut())
        {
            *d = d.trim().to_ascii_lowercase();
        }
        self.exception_domains.sort();
        self.exception_domains.dedup();
        self.provisionable_domains.sort();
        self.provisionable_domains.dedup();
    }

    /// The document as compact JSON, members in schema order. Serializing strings, integers,
    /// booleans and lists cannot fail; were it to, the empty string fails every parse.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Rules a well-formed document must follow.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.version != SETTINGS_VERSION {
            return Err(FieldError::new(
                "version",
                format!("must be {SETTINGS_VERSION}"),
            ));
        }
        if self.display_name.trim().is_empty() {
            return Err(FieldError::new("display_name", "must not be empty"));
        }
        if !is_http_url(&self.dashboard_url) {
            return Err(FieldError::new(
                "dashboard_url",
                "must be an absolute http(s) URL",
            ));
        }
        if self.saml.idp_entity_id.trim().is_empty() {
            return Err(FieldError::new("saml.idp_entity_id", "must not be empty"));
        }
        for (i, pem) in self.saml.idp_certificates.iter().enumerate() {
            if let Err(e) = saml_verify::TrustedKey::from_certificate(pem.as_bytes()) {
                return Err(FieldError::new(
                    &format!("saml.idp_certificates[{i}]"),
                    e.to_string(),
                ));
            }
        }
        if self
            .saml
            .idp_sso_url
            .as_deref()
            .is_some_and(|u| !is_http_url(u))
        {
            return Err(FieldError::new(
                "saml.idp_sso_url",
                "must be an absolute http(s) URL",
            ));
        }
        if self
            .saml
            .idp_metadata_url
            .as_deref()
            .is_some_and(|u| !is_http_url(u))
        {
            return Err(FieldError::new(
                "saml.idp_metadata_url",
                "must be an absolute https URL",
            ));
        }
        for (i, pem) in self.saml.sp_certificates.iter().enumerate() {
            if let Err(e) = saml_verify::TrustedKey::from_certificate(pem.as_bytes()) {
                return Err(FieldError::new(
                    &format!("saml.sp_certificates[{i}]"),
                    e.to_string(),
                ));
            }
        }
        if self
            .saml
            .skew_seconds
            .is_some_and(|s| s > saml_verify::MAX_SKEW_SECONDS)
        {
            return Err(FieldError::new("saml.skew_seconds", "at most 3600"));
        }
        for (i, d) in self.exception_domains.iter().enumerate() {
            if !is_domain(d) {
                return Err(FieldError::new(
                    &format!("exception_domains[{i}]"),
                    "not a domain name",
                ));
            }
        }
        unique_ids(&self.workspaces, "workspaces")?;
        unique_ids(&self.permission_sets, "permission_sets")?;
        let p = &self.provisioning;
        if let Some(w) = &p.default_workspace {
            if !self.workspaces.iter().any(|x| &x.id == w) {
                return Err(FieldError::new(
                    "provisioning.default_workspace",
                    "no such workspace",
                ));
            }
        }
        if let Some(ps) = &p.default_permission_set {
            if !self.permission_sets.iter().any(|x| &x.id == ps) {
                return Err(FieldError::new(
                    "provisioning.default_permission_set",
                    "no such permission set",
                ));
            }
        }
        if p.enabled && (p.default_workspace.is_none() || p.default_permission_set.is_none()) {
            return Err(FieldError::new(
                "provisioning",
                "enabling provisioning needs a default workspace and permission set",
            ));
        }
        self.validate_lifecycle()
    }

    /// `saml.attributes` and `group_mappings`: names well formed, and every workspace and
    /// permission set a rule names in the catalog (as the defaults are).
    fn validate_lifecycle(&self) -> Result<(), FieldError> {
        if let Some(a) = &self.saml.attributes {
            for (field, list) in [
                ("first_name", &a.first_name),
                ("last_name", &a.last_name),
                ("groups", &a.groups),
            ] {
                crate::lifecycle::profile::check_names(list)
                    .map_err(|r| FieldError::new(&format!("saml.attributes.{field}"), r))?;
            }
        }
        let m = &self.group_mappings;
        m.check().map_err(|(f, r)| FieldError::new(&f, r))?;
        for (i, r) in m.rules.iter().enumerate() {
            if !self.workspaces.iter().any(|w| w.id == r.workspace) {
                let field = format!("group_mappings.rules[{i}].workspace");
                return Err(FieldError::new(&field, "no such workspace"));
            }
            if !self
                .permission_sets
                .iter()
                .any(|p| p.id == r.permission_set)
            {
                let field = format!("group_mappings.rules[{i}].permission_set");
                return Err(FieldError::new(&field, "no such permission set"));
            }
        }
        Ok(())
    }

    /// The attribute names in force (the defaults when none are set).
    pub fn attribute_names(&self) -> AttributeNames {
        self.saml.attributes.clone().unwrap_or_default()
    }

    /// Trust settings for the verifier, for this SP's entity ID and ACS URL.
    pub fn trust(
        &self,
        sp_entity_id: &str,
        acs_url: &str,
        sp_keys: &[saml_verify::DecryptionKey],
    ) -> Result<saml_verify::Trust, saml_verify::Error> {
        let keys = self
            .saml
            .idp_certificates
            .iter()
            .map(|pem| saml_verify::TrustedKey::from_certificate(pem.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut t = saml_verify::Trust::new(&self.saml.idp_entity_id, keys, sp_entity_id, acs_url);
        t.allow_sha1 = self.saml.allow_sha1;
        if let Some(s) = self.saml.skew_seconds {
            t.skew_seconds = s;
        }
        if let Some(names) = &self.saml.email_attributes {
            t.email_attributes = names.clone();
        }
        t.sp_keys = sp_keys.to_vec();
        t.validate()?;
        Ok(t)
    }
}

fn unique_ids(list: &[Named], field: &str) -> Result<(), FieldError> {
    for (i, n) in list.iter().enumerate() {
        if !is_identifier(&n.id) {
            return Err(FieldError::new(
                &format!("{field}[{i}].id"),
                "1-64 of a-z A-Z 0-9 _ -",
            ));
        }
        if list[..i].iter().any(|m| m.id == n.id) {
            return Err(FieldError::new(&format!("{field}[{i}].id"), "duplicate id"));
        }
    }
    Ok(())
}

/// Company, workspace and permission-set identifiers: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A lower-case DNS name of two or more labels.
pub fn is_domain(s: &str) -> bool {
    saml_verify::email::looks_like_email(&format!("x@{s}")) && s == s.to_ascii_lowercase()
}

/// `http://` or `https://` followed by a host, no white space or control characters.
pub fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && !host.contains('@')
                && s.bytes().all(|b| b.is_ascii_graphic())
                && !s.contains('\\')
        }
        None => false,
    }
}
