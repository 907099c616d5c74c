//! Storage behind small traits: KV and D1 in the worker, in-memory fakes in tests.
#![allow(async_fn_in_trait)] // wasm32 is single-threaded: no Send bound wanted.

use saml_verify::Timestamp;

use crate::lifecycle::account::{Binding, Found};
use crate::lifecycle::plan::Plan;
use crate::lifecycle::Membership;
use crate::settings::{CompanySettings, Named};
use crate::tokens::TokenKind;
use serde::Serialize;

/// A dashboard user of one company. Its JSON form is the support API's answer: every field
/// below, plus `workspace` and `permission_set`, the first membership (the fields of before
/// memberships, kept for existing clients).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    pub company: String,
    /// Stable and opaque (lower hex): memberships point at it, and it survives an email change.
    pub id: String,
    /// Lower case.
    pub email: String,
    /// Sorted by workspace.
    pub memberships: Vec<Membership>,
    pub confirmed: bool,
    pub impersonation: bool,
    /// `admin` (created through the API), `jit` (provisioned on first SAML sign-in) or `scim`.
    pub created_via: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
    /// Synced from the IdP's attributes at each sign-in.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The persistent NameID the account is bound to, and the IdP entity ID that issued it.
    pub name_id: Option<String>,
    pub name_id_issuer: Option<String>,
    /// A deactivated user cannot sign in, and JIT never re-creates or reactivates them.
    pub active: bool,
}

impl Serialize for User {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Answer<'a> {
            company: &'a str,
            id: &'a str,
            email: &'a str,
            workspace: Option<&'a str>,
            permission_set: Option<&'a str>,
            memberships: &'a [Membership],
            confirmed: bool,
            impersonation: bool,
            created_via: &'a str,
            created_at: &'a str,
            last_login_at: Option<&'a str>,
            first_name: Option<&'a str>,
            last_name: Option<&'a str>,
            name_id: Option<&'a str>,
            name_id_issuer: Option<&'a str>,
            active: bool,
        }
        let first = self.memberships.first();
        Answer {
            company: &self.company,
            id: &self.id,
            email: &self.email,
            workspace: first.map(|m| m.workspace.as_str()),
            permission_set: first.map(|m| m.permission_set.as_str()),
            memberships: &self.memberships,
            confirmed: self.confirmed,
            impersonation: self.impersonation,
            created_via: &self.created_via,
            created_at: &self.created_at,
            last_login_at: self.last_login_at.as_deref(),
            first_name: self.first_name.as_deref(),
            last_name: self.last_name.as_deref(),
            name_id: self.name_id.as_deref(),
            name_id_issuer: self.name_id_issuer.as_deref(),
            active: self.active,
        }
        .serialize(s)
    }
}

/// A storage failure. The flow fails closed on either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The store could not be reached or a statement failed.
    Unavailable(String),
    /// The store answered with data that does not parse.
    Corrupt(String),
}

/// What happened, for the audit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    Provisioned,
    SignedIn,
    Refused,
    /// An existing account changed (names, email, binding, memberships): the detail names the
    /// fields, never their values.
    Updated,
    /// Created through SCIM (or a group created).
    Created,
    /// `active` set false through SCIM.
    Deactivated,
    /// `active` set true through SCIM.
    Reactivated,
    /// Deleted through SCIM: deactivated and hidden from SCIM (or a group deleted).
    Deleted,
    /// The user's sessions were revoked through the support/admin API.
    SessionsRevoked,
    /// The company's settings changed through the security API or page: the detail names the
    /// settings, never their values; the actor says who.
    SettingsChanged,
    /// The IdP metadata was refreshed from its URL (README "Certificate rollover").
    IdpRefreshed,
    /// A refresh changed nothing: fetch failure, not metadata, expired, another entity.
    IdpRefreshFailed,
    /// A pinned IdP certificate expires within 30 or 7 days (once per threshold).
    IdpCertificateExpiring,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::Provisioned => "provisioned",
            AuditEvent::SignedIn => "signed_in",
            AuditEvent::Refused => "refused",
            AuditEvent::Updated => "updated",
            AuditEvent::Created => "created",
            AuditEvent::Deactivated => "deactivated",
            AuditEvent::Reactivated => "reactivated",
            AuditEvent::Deleted => "deleted",
            AuditEvent::SessionsRevoked => "sessions_revoked",
            AuditEvent::SettingsChanged => "settings_changed",
            AuditEvent::IdpRefreshed => "idp_refreshed",
            AuditEvent::IdpRefreshFailed => "idp_refresh_failed",
            AuditEvent::IdpCertificateExpiring => "idp_certificate_expiring",
        }
    }
}

/// One audit row. Holds no assertion content beyond its ID, and never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub company: String,
    pub at: Timestamp,
    pub event: AuditEvent,
    pub email: Option<String>,
    pub assertion_id: Option<String>,
    /// The refusal code, for `Refused`.
    pub reason: Option<String>,
    pub reference: String,
    /// Who acted: `saml` for sign-ins.
    pub actor: Option<String>,
    /// Non-secret detail: the fields that changed, a note such as the groups overage.
    pub detail: Option<String>,
}

/// Facts the policy needs about a company, read in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyFacts {
    /// The domain asked about has a user that [`crate::policy::counts_for_domain`].
    pub domain_has_confirmed_user: bool,
    /// Of the workspaces asked about, those that do not exist.
    pub missing_workspaces: Vec<String>,
    /// Of the permission sets asked about, those that do not exist.
    pub missing_permission_sets: Vec<String>,
}

/// Company settings (Workers KV).
pub trait SettingsStore {
    /// The settings of `company`; `Ok(None)` when there are none.
    async fn company(&self, company: &str) -> Result<Option<CompanySettings>, StoreError>;

    /// Store a validated document.
    async fn put(&self, company: &str, settings: &CompanySettings) -> Result<(), StoreError>;
}

/// Users, replay cache and audit log (D1).
pub trait Directory {
    async fn user(&self, company: &str, email: &str) -> Result<Option<User>, StoreError>;

    /// The accounts a sign-in may be: the one bound to `binding` and the one with `email`
    /// (with their memberships), in one read.
    async fn accounts(
        &self,
        company: &str,
        email: &str,
        binding: Option<&Binding>,
    ) -> Result<Found, StoreError>;

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        workspaces: &[String],
        permission_sets: &[String],
    ) -> Result<CompanyFacts, StoreError>;

    /// Record `assertion_id` as used until `expires`. `Ok(false)` when it already was: a replay.
    /// Must be atomic (a single insert that fails on the primary key).
    async fn claim_assertion(
        &self,
        company: &str,
        assertion_id: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Consume an AuthnRequest ID this SP issued (SP-initiated sign-in): `Ok(true)` once, for an
    /// ID that was issued and has not expired at `now`; atomic. (On D1 the ID is a signed
    /// [`crate::request_id`] and consuming it is an atomic insert of the used ID.)
    async fn consume_request(
        &self,
        company: &str,
        request_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Write a sign-in's plan in one transaction. `Ok(false)` when the account changed under
    /// it (a concurrent first login created it, or it was deactivated or deleted): nothing
    /// was written, and the flow decides again.
    async fn write_sign_in(&self, plan: &Plan) -> Result<bool, StoreError>;

    /// Write one audit row.
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
}

/// The company a token belongs to and the stored hash of its secret.
pub type TokenOwner = (String, String);

/// A token as the support API lists it (never its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// An audit row as the support API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub event: String,
    pub email: Option<String>,
    pub assertion_id: Option<String>,
    pub reason: Option<String>,
    pub reference: String,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

/// What the admin and support use cases read and write beyond the sign-in flow (D1).
pub trait AdminDirectory: Directory {
    /// Create a user. `Ok(false)` when the email is taken: nothing was written.
    async fn insert_user(&self, user: &User) -> Result<bool, StoreError>;

    /// The company's users, by email.
    async fn users(&self, company: &str) -> Result<Vec<User>, StoreError>;

    /// The latest 1000 audit rows, newest first.
    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError>;

    /// Sign-in attempts (`provisioned`, `signed_in`, `refused`), newest first: at most `limit`
    /// with an audit ID below `before` (all when None), each with its ID (the page's cursor).
    async fn sign_in_log(
        &self,
        company: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError>;

    /// The email of one user that makes `domain` qualify (the earliest created), if any.
    async fn domain_witness(
        &self,
        company: &str,
        domain: &str,
    ) -> Result<Option<String>, StoreError>;

    /// Consume a test sign-in ID, keeping its report until `keep`: `Ok(false)` when it was
    /// already answered. Atomic.
    async fn consume_test(
        &self,
        company: &str,
        id: &str,
        keep: Timestamp,
        report_json: &str,
    ) -> Result<bool, StoreError>;

    /// The report of an answered test still kept at `now`.
    async fn test_report(
        &self,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError>;

    /// The domains (sorted, distinct) of the users that
    /// [`crate::policy::counts_for_domain`]: the provisioning rule's source of truth.
    async fn provisionable_domains(&self, company: &str) -> Result<Vec<String>, StoreError>;

    /// Replace the company's workspaces and permission sets, together.
    async fn replace_catalog(
        &self,
        company: &str,
        workspaces: &[Named],
        permission_sets: &[Named],
    ) -> Result<(), StoreError>;

    /// Whether a permission set of the company grants the admin surfaces.
    async fn is_admin_set(&self, company: &str, permission_set: &str) -> Result<bool, StoreError>;

    /// Store a new token's hash.
    async fn insert_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The company and stored hash of an unrevoked token.
    async fn token(&self, kind: TokenKind, id: &str) -> Result<Option<TokenOwner>, StoreError>;

    /// The company's tokens, oldest first.
    async fn tokens(&self, kind: TokenKind, company: &str) -> Result<Vec<TokenInfo>, StoreError>;

    /// Revoke a token; `Ok(false)` when there was no such unrevoked token.
    async fn revoke_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// The IdP certificate lifecycle's records (D1 `idp_sources`, `idp_certificates`).
pub trait IdpRecords {
    /// What is remembered of each certificate of `company`, by fingerprint.
    async fn certificate_facts(
        &self,
        company: &str,
    ) -> Result<std::collections::BTreeMap<String, crate::rollover::CertFacts>, StoreError>;

    /// Run statements of [`crate::sql_idp`] and [`crate::sql`] as one batch (one transaction).
    async fn write(&self, stmts: &[crate::sql::Stmt]) -> Result<(), StoreError>;
}

/// GET the IdP metadata at an URL the caller checked ([`crate::usecases::metadata::fetchable`]):
/// no redirects followed, at most [`crate::usecases::metadata::MAX_METADATA_BYTES`] read, and
/// an error that says nothing of what the URL returned.
pub trait MetadataFetcher {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String>;
}
