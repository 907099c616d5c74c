//! Storage behind small traits: KV and D1 in the worker, in-memory fakes in tests.
#![allow(async_fn_in_trait)] // wasm32 is single-threaded: no Send bound wanted.

use saml_verify::Timestamp;

use crate::settings::{CompanySettings, Named};
use crate::tokens::TokenKind;
use serde::Serialize;

/// A dashboard user of one company; its JSON form is the support API's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub company: String,
    /// Lower case.
    pub email: String,
    pub workspace: Option<String>,
    pub permission_set: Option<String>,
    pub confirmed: bool,
    pub impersonation: bool,
    /// `admin` (created through the API) or `jit` (provisioned on first SAML sign-in).
    pub created_via: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
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
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::Provisioned => "provisioned",
            AuditEvent::SignedIn => "signed_in",
            AuditEvent::Refused => "refused",
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
}

/// Facts the policy needs about a new user's company, read in one round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompanyFacts {
    pub domain_has_confirmed_user: bool,
    pub workspace_exists: bool,
    pub permission_set_exists: bool,
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

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        workspace: Option<&str>,
        permission_set: Option<&str>,
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

    /// Update the user's last login and write the audit row, together.
    async fn sign_in(
        &self,
        company: &str,
        email: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Create the user and write the audit row, together. `Ok(false)` when the user already
    /// existed (a concurrent first login won): nothing was written.
    async fn provision(&self, user: &User, audit: &AuditEntry) -> Result<bool, StoreError>;

    /// Write one audit row.
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
}

/// The company a token belongs to and the stored hash of its secret.
pub type TokenOwner = (String, String);

/// A token as the support API lists it (never its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// An audit row as the support API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub at: String,
    pub event: String,
    pub email: Option<String>,
    pub assertion_id: Option<String>,
    pub reason: Option<String>,
    pub reference: String,
}

/// What the admin and support use cases read and write beyond the sign-in flow (D1).
pub trait AdminDirectory: Directory {
    /// Create a user. `Ok(false)` when the email is taken: nothing was written.
    async fn insert_user(&self, user: &User) -> Result<bool, StoreError>;

    /// The company's users, by email.
    async fn users(&self, company: &str) -> Result<Vec<User>, StoreError>;

    /// The latest 1000 audit rows, newest first.
    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError>;

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
