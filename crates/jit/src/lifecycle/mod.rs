//! After the first login (issue #13): the account follows the IdP. Every rule here is a pure
//! function of the verified assertion, the settings and what D1 holds, table-tested:
//!
//! - [`profile`]: which signed attributes give the first name, last name and groups;
//! - [`mapping`]: IdP groups to workspace memberships (additive or authoritative);
//! - [`account`]: which account a sign-in is (persistent NameID binding, email change);
//! - [`plan`]: what one sign-in writes, in one D1 batch.

pub mod account;
pub mod mapping;
pub mod plan;
pub mod profile;

#[cfg(test)]
mod mapping_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod profile_tests;

pub use account::{resolve, Resolution};
pub use mapping::{GroupMappings, MappingMode, MappingRule};
pub use profile::{AttributeNames, Groups, Profile};

/// A workspace membership with its one permission set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Membership {
    pub workspace: String,
    pub permission_set: String,
}

impl Membership {
    pub fn new(workspace: &str, permission_set: &str) -> Self {
        Membership {
            workspace: workspace.to_owned(),
            permission_set: permission_set.to_owned(),
        }
    }
}
