//! Which account a sign-in is: one account per person.
//!
//! A persistent NameID (SAML core §8.3.7) is an opaque, stable identifier of the person at one
//! IdP. An account is bound to it (company + IdP entity ID + NameID) the first time it arrives,
//! and from then on the binding, not the email, finds the account: a new email under the same
//! persistent NameID is an email change, not a second account. Transient NameIDs (§8.3.8) and
//! every other format never bind; those sign-ins find the account by email.

use crate::ports::User;

/// The persistent NameID format.
pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// Longest NameID that binds, in bytes (SAML core §8.3.7 caps a persistent NameID at 256
/// characters).
pub const MAX_NAME_ID_BYTES: usize = 1024;

/// The binding a sign-in carries: the IdP's entity ID and a persistent NameID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub issuer: String,
    pub name_id: String,
}

/// The binding of a verified assertion, when its NameID is persistent and usable.
pub fn binding(issuer: &str, name_id: &str, format: Option<&str>) -> Option<Binding> {
    let name_id = name_id.trim();
    (format == Some(PERSISTENT) && !name_id.is_empty() && name_id.len() <= MAX_NAME_ID_BYTES).then(
        || Binding {
            issuer: issuer.to_owned(),
            name_id: name_id.to_owned(),
        },
    )
}

/// The accounts D1 holds for a sign-in, read together: by binding and by email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub by_binding: Option<User>,
    pub by_email: Option<User>,
}

/// Which account, and what changes about its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// No account: a first login (provisioning policy applies).
    New,
    /// This account signs in. `email_change` when the binding found it under another email;
    /// `bind` when the sign-in's binding is to be recorded on it now.
    Existing {
        user: Box<User>,
        email_change: bool,
        bind: bool,
    },
    /// Refused, with nothing written.
    Refuse(AccountRefusal),
}

/// Why the account cannot be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRefusal {
    /// The new email belongs to another account (`email_conflict`).
    EmailConflict,
    /// The account with this email is bound to another persistent NameID of the same IdP (a
    /// different person now holds the address at the IdP), or is bound and this sign-in carries
    /// no persistent NameID at all, so nothing says it is the same person (`name_id_conflict`).
    NameIdConflict,
}

/// Resolve. `email` is the sign-in's verified, lower-cased email; `issuer` the verified IdP
/// entity ID of the sign-in.
pub fn resolve(found: Found, binding: Option<&Binding>, email: &str, issuer: &str) -> Resolution {
    if let Some(user) = found.by_binding {
        if user.email == email {
            return Resolution::Existing {
                user: Box::new(user),
                email_change: false,
                bind: false,
            };
        }
        if found.by_email.is_some() {
            return Resolution::Refuse(AccountRefusal::EmailConflict);
        }
        return Resolution::Existing {
            user: Box::new(user),
            email_change: true,
            bind: false,
        };
    }
    let Some(user) = found.by_email else {
        return Resolution::New;
    };
    match (binding, &user.name_id, &user.name_id_issuer) {
        (Some(b), Some(bound), Some(issuer)) if *issuer == b.issuer && *bound != b.name_id => {
            Resolution::Refuse(AccountRefusal::NameIdConflict)
        }
        (Some(b), Some(bound), Some(issuer)) if *issuer == b.issuer && *bound == b.name_id => {
            Resolution::Existing {
                user: Box::new(user),
                email_change: false,
                bind: false,
            }
        }
        // Unbound, or bound by an IdP entity ID the company no longer trusts: bind now.
        (Some(_), _, _) => Resolution::Existing {
            user: Box::new(user),
            email_change: false,
            bind: true,
        },
        // Bound by this IdP, and the sign-in has no persistent NameID (transient, emailAddress:
        // e.g. an SP-initiated request whose NameIDPolicy the IdP honoured): the binding is the
        // only proof of the person, so the email alone does not open the account.
        (None, Some(_), Some(bound_by)) if bound_by == issuer => {
            Resolution::Refuse(AccountRefusal::NameIdConflict)
        }
        (None, _, _) => Resolution::Existing {
            user: Box::new(user),
            email_change: false,
            bind: false,
        },
    }
}
