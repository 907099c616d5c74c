//! The profile a sign-in carries: first name, last name and groups, read only from the verified
//! assertion's attributes (SAML core §2.7.3.1), by the names the company's settings list.

use saml_verify::VerifiedAssertion;
use serde::{Deserialize, Serialize};

/// Entra ID sends this claim instead of the groups when a user is in more than 150 groups (the
/// "groups overage claim"); its value is a Graph API link, never a group.
pub const ENTRA_GROUPS_OVERAGE: &str = "http://schemas.microsoft.com/claims/groups.link";

/// Most values one groups attribute may carry; more is refused, never truncated.
pub const MAX_GROUPS: usize = 1000;
/// Longest first name, last name or group name, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// Settings `saml.attributes`: for each field, the SAML attribute names tried in order (the
/// first one the assertion carries is used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeNames {
    #[serde(default = "default_first_name")]
    pub first_name: Vec<String>,
    #[serde(default = "default_last_name")]
    pub last_name: Vec<String>,
    #[serde(default = "default_groups")]
    pub groups: Vec<String>,
}

impl Default for AttributeNames {
    fn default() -> Self {
        AttributeNames {
            first_name: default_first_name(),
            last_name: default_last_name(),
            groups: default_groups(),
        }
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Okta and Google Workspace (`firstName`, as their set-up guides name it), Entra ID and AD FS
/// (the WS-Federation claim), LDAP-style IdPs (Shibboleth's `givenName`, its OID).
pub fn default_first_name() -> Vec<String> {
    strings(&[
        "firstName",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "givenName",
        "urn:oid:2.5.4.42",
    ])
}

/// As [`default_first_name`], for the surname.
pub fn default_last_name() -> Vec<String> {
    strings(&[
        "lastName",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "sn",
        "urn:oid:2.5.4.4",
    ])
}

/// Okta and Google Workspace (`groups`), Entra ID's groups claim, AD FS's Group claim and role
/// claim, and eduPerson's isMemberOf.
pub fn default_groups() -> Vec<String> {
    strings(&[
        "groups",
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
        "http://schemas.xmlsoap.org/claims/Group",
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
    ])
}

/// What the assertion says of the user's groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groups {
    /// The values of the first configured groups attribute present (none present: empty).
    Listed(Vec<String>),
    /// Entra's overage claim: the groups were not sent. Never read as "no groups".
    Overage,
}

/// The profile of one sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub groups: Groups,
}

/// Why a profile could not be read. The sign-in is refused and nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileError {
    /// The attribute chosen for this field had a value holding an element (issue #11,
    /// finding 3): never read, refused as the email rule does.
    Markup(String),
    /// A value longer than [`MAX_VALUE_CHARS`], or more than [`MAX_GROUPS`] groups.
    TooLong(String),
}

/// The first of `names` the assertion carries: its name and values. An attribute that had
/// element content counts as carried, so that it is refused rather than skipped over.
fn first_present<'a>(
    v: &'a VerifiedAssertion,
    names: &'a [String],
) -> Result<Option<(&'a str, &'a [String])>, ProfileError> {
    for name in names {
        if v.markup_attributes.contains(name) {
            return Err(ProfileError::Markup(name.clone()));
        }
        if let Some(values) = v.attributes.get(name) {
            return Ok(Some((name, values)));
        }
    }
    Ok(None)
}

/// A name: the attribute's first non-blank value, trimmed.
fn name(v: &VerifiedAssertion, names: &[String]) -> Result<Option<String>, ProfileError> {
    let Some((attr, values)) = first_present(v, names)? else {
        return Ok(None);
    };
    let Some(value) = values.iter().map(|s| s.trim()).find(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(ProfileError::TooLong(attr.to_owned()));
    }
    Ok(Some(value.to_owned()))
}

/// The groups: every non-blank value of the first groups attribute present, trimmed, in order,
/// duplicates dropped; [`Groups::Overage`] when Entra's overage claim is present.
fn groups(v: &VerifiedAssertion, names: &[String]) -> Result<Groups, ProfileError> {
    if v.attributes.contains_key(ENTRA_GROUPS_OVERAGE)
        || v.markup_attributes.contains(ENTRA_GROUPS_OVERAGE)
    {
        return Ok(Groups::Overage);
    }
    let Some((attr, values)) = first_present(v, names)? else {
        return Ok(Groups::Listed(Vec::new()));
    };
    if values.len() > MAX_GROUPS {
        return Err(ProfileError::TooLong(attr.to_owned()));
    }
    let mut out: Vec<String> = Vec::new();
    for g in values.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if g.chars().count() > MAX_VALUE_CHARS {
            return Err(ProfileError::TooLong(attr.to_owned()));
        }
        if !out.iter().any(|o| o == g) {
            out.push(g.to_owned());
        }
    }
    Ok(Groups::Listed(out))
}

/// Read the profile from a verified assertion.
pub fn read(v: &VerifiedAssertion, names: &AttributeNames) -> Result<Profile, ProfileError> {
    Ok(Profile {
        first_name: name(v, &names.first_name)?,
        last_name: name(v, &names.last_name)?,
        groups: groups(v, &names.groups)?,
    })
}

/// Settings check of one list of attribute names: 1 to 10 names of 1 to 256 characters.
pub fn check_names(list: &[String]) -> Result<(), String> {
    if list.is_empty() || list.len() > 10 {
        return Err("1 to 10 attribute names".into());
    }
    if list.iter().any(|n| {
        n.trim().is_empty()
            || n.chars().count() > MAX_VALUE_CHARS
            || n.trim() != n
            || n.chars().any(char::is_control)
    }) {
        return Err(
            "each name 1 to 256 characters, no control characters or surrounding white space"
                .into(),
        );
    }
    Ok(())
}
