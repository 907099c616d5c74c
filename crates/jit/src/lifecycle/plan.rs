//! What one sign-in writes, decided before anything is written: a new account, or the changes
//! to an existing one (last login, synced names, email, NameID binding, memberships), with the
//! audit rows. The D1 adapter writes a plan in one batch (one transaction), so a failure writes
//! nothing partial, and two concurrent sign-ins of one person each leave a consistent set.

use super::account::Binding;
use super::mapping::{apply, Outcome};
use super::profile::Profile;
use super::Membership;
use crate::ports::{AuditEntry, AuditEvent, User};

/// How the memberships of an existing account change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipWrite {
    Keep,
    /// Insert these, or set their permission set when the workspace is held (additive).
    Upsert(Vec<Membership>),
    /// Delete every membership, then insert these (authoritative): the last of two concurrent
    /// batches wins whole.
    Replace(Vec<Membership>),
}

/// The changes to an existing, active account. Every statement of the batch is guarded by the
/// account still being active: if it was deactivated or deleted meanwhile, nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub company: String,
    pub user_id: String,
    /// The account's email after the sign-in (changed under a persistent binding).
    pub email: String,
    pub email_changed: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Record this binding on the account.
    pub bind: Option<Binding>,
    pub last_login_at: String,
    pub memberships: MembershipWrite,
}

/// One sign-in's writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Insert the account (with its memberships) unless one with its email exists: a concurrent
    /// first login may have won, and then nothing is written.
    Create(User),
    Update(Update),
}

/// A plan: the writes and their audit rows (the first is `provisioned` or `signed_in`; an
/// `updated` row follows when something changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub write: Write,
    pub audit: Vec<AuditEntry>,
    /// The account's memberships once the plan is written, sorted.
    pub memberships_after: Vec<Membership>,
    /// The fingerprint of the IdP certificate that verified the sign-in: the first time it
    /// does, D1 records it (`idp_certificates.first_verified_at`, for the rollover).
    pub signing_key: Option<String>,
}

/// The fields a sign-in changes on an existing account, by name (the audit row's detail: names
/// only, never values).
pub fn changed_fields(
    user: &User,
    email: &str,
    profile: &Profile,
    bind: bool,
    memberships_after: &[Membership],
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if user.email != email {
        out.push("email");
    }
    if profile.first_name.is_some() && profile.first_name != user.first_name {
        out.push("first_name");
    }
    if profile.last_name.is_some() && profile.last_name != user.last_name {
        out.push("last_name");
    }
    if bind {
        out.push("name_id");
    }
    let mut before = user.memberships.clone();
    before.sort();
    if before != memberships_after {
        out.push("memberships");
    }
    out
}

/// Plan the sign-in of an existing account. `base` is the audit row's common part (company,
/// time, assertion ID, reference); `note` goes into the `signed_in` row's detail (e.g. the
/// groups overage).
pub fn existing(
    user: &User,
    email: &str,
    profile: &Profile,
    binding: Option<Binding>,
    outcome: &Outcome,
    base: &AuditEntry,
    note: Option<&str>,
) -> Plan {
    let after = apply(&user.memberships, outcome);
    let changed = changed_fields(user, email, profile, binding.is_some(), &after);
    let memberships = match outcome {
        _ if !changed.contains(&"memberships") => MembershipWrite::Keep,
        Outcome::Keep => MembershipWrite::Keep,
        Outcome::Add(m) => MembershipWrite::Upsert(m.clone()),
        Outcome::Replace(m) => MembershipWrite::Replace(m.clone()),
    };
    let pick = |new: &Option<String>, old: &Option<String>| new.clone().or_else(|| old.clone());
    let mut audit = vec![entry(
        base,
        AuditEvent::SignedIn,
        email,
        note.map(str::to_owned),
    )];
    if !changed.is_empty() {
        // The fields by name, and the account by ID (an email change is traceable to it).
        let detail = format!("{}; user {}", changed.join(","), user.id);
        audit.push(entry(base, AuditEvent::Updated, email, Some(detail)));
    }
    Plan {
        write: Write::Update(Update {
            company: user.company.clone(),
            user_id: user.id.clone(),
            email: email.to_owned(),
            email_changed: user.email != email,
            first_name: pick(&profile.first_name, &user.first_name),
            last_name: pick(&profile.last_name, &user.last_name),
            bind: binding,
            last_login_at: base.at.to_string(),
            memberships,
        }),
        audit,
        memberships_after: after,
        signing_key: None,
    }
}

/// Plan a first login: the account, active and confirmed, with its memberships and binding.
pub fn create(
    mut user: User,
    profile: &Profile,
    binding: Option<Binding>,
    memberships: Vec<Membership>,
    base: &AuditEntry,
    note: Option<&str>,
) -> Plan {
    user.first_name = profile.first_name.clone();
    user.last_name = profile.last_name.clone();
    if let Some(b) = binding {
        user.name_id = Some(b.name_id);
        user.name_id_issuer = Some(b.issuer);
    }
    user.memberships = memberships;
    user.memberships.sort();
    let audit = vec![entry(
        base,
        AuditEvent::Provisioned,
        &user.email,
        note.map(str::to_owned),
    )];
    Plan {
        memberships_after: user.memberships.clone(),
        write: Write::Create(user),
        audit,
        signing_key: None,
    }
}

fn entry(base: &AuditEntry, event: AuditEvent, email: &str, detail: Option<String>) -> AuditEntry {
    AuditEntry {
        event,
        email: Some(email.to_owned()),
        detail,
        ..base.clone()
    }
}
