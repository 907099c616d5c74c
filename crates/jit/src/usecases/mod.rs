//! The admin and support use cases, one function per operation over the ports: the worker's
//! handlers parse a request, call one of these, and render the outcome. Tested natively against
//! [`crate::memory`] (see `tests.rs`).

pub mod caller;
pub mod company;
pub mod metadata;
pub mod refresh;
pub mod sign_in_page;
pub mod tokens;
pub mod users;

use crate::admin::Denied;
use crate::ports::StoreError;
use crate::settings::FieldError;
use crate::Code;

/// Why an admin or support operation was not done. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// Another company's admin, or reserved to Support.
    Denied(Denied),
    /// A field of the request is not valid.
    Invalid(FieldError),
    /// No settings document for the company.
    CompanyUnknown,
    /// The stored settings document does not parse (the detail).
    SettingsInvalid(String),
    /// A user with this email exists.
    UserExists,
    /// No such user.
    UserUnknown,
    /// No such active token.
    TokenUnknown,
    /// Storage failed.
    Store(StoreError),
}

impl AdminError {
    /// The refusal code it is answered with.
    pub fn code(&self) -> Code {
        match self {
            AdminError::Denied(Denied::OtherCompany) => Code::Forbidden,
            AdminError::Denied(Denied::SupportOnly(_)) => Code::SupportOnly,
            AdminError::Invalid(_) => Code::InvalidField,
            AdminError::CompanyUnknown => Code::CompanyUnknown,
            AdminError::SettingsInvalid(_) => Code::SettingsInvalid,
            AdminError::UserExists => Code::UserExists,
            AdminError::UserUnknown => Code::UserUnknown,
            AdminError::TokenUnknown => Code::TokenUnknown,
            AdminError::Store(_) => Code::StoreUnavailable,
        }
    }

    /// The API's message (English, for operators).
    pub fn message(&self) -> String {
        match self {
            AdminError::Denied(Denied::OtherCompany) => {
                "this company is not yours to administer".into()
            }
            AdminError::Denied(Denied::SupportOnly(what)) => {
                format!("{what} is reserved to Support: please contact Support")
            }
            AdminError::Invalid(e) => e.reason.clone(),
            AdminError::CompanyUnknown => "no such company".into(),
            AdminError::SettingsInvalid(d) => d.clone(),
            AdminError::UserExists => "a user with this email exists".into(),
            AdminError::UserUnknown => "no such user".into(),
            AdminError::TokenUnknown => "no such active token".into(),
            AdminError::Store(_) => "storage is unavailable; nothing was changed".into(),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Store(e)
    }
}

#[cfg(test)]
mod refresh_tests;
#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod tests;
