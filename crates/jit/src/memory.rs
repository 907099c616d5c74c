//! In-memory ports with fault injection, for tests of the flow without a runtime.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use saml_verify::Timestamp;

use crate::policy::email_domain;
use crate::ports::{AuditEntry, CompanyFacts, Directory, SettingsStore, StoreError, User};
use crate::settings::CompanySettings;

/// Settings by company.
#[derive(Debug, Default)]
pub struct MemorySettings {
    pub companies: RefCell<BTreeMap<String, CompanySettings>>,
    /// When set, every read fails with this error.
    pub fail: RefCell<Option<StoreError>>,
}

impl SettingsStore for MemorySettings {
    async fn company(&self, company: &str) -> Result<Option<CompanySettings>, StoreError> {
        if let Some(e) = self.fail.borrow().clone() {
            return Err(e);
        }
        Ok(self.companies.borrow().get(company).cloned())
    }
}

/// Users, workspaces, permission sets, used assertions and the audit log.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    pub users: RefCell<BTreeMap<(String, String), User>>,
    pub workspaces: RefCell<BTreeSet<(String, String)>>,
    pub permission_sets: RefCell<BTreeSet<(String, String)>>,
    pub used: RefCell<BTreeMap<(String, String), Timestamp>>,
    pub audit_log: RefCell<Vec<AuditEntry>>,
    /// Pending AuthnRequest IDs and their expiry.
    pub requests: RefCell<BTreeMap<(String, String), Timestamp>>,
    /// Name of an operation (`user`, `company_facts`, `claim_assertion`, `sign_in`, `provision`,
    /// `audit`) that fails with `Unavailable`, writing nothing.
    pub fail_on: RefCell<Option<&'static str>>,
}

impl MemoryDirectory {
    fn check(&self, op: &'static str) -> Result<(), StoreError> {
        match *self.fail_on.borrow() {
            Some(f) if f == op => Err(StoreError::Unavailable(format!("injected failure in {op}"))),
            _ => Ok(()),
        }
    }

    /// Add a user as the support API would.
    pub fn add_user(&self, company: &str, email: &str, confirmed: bool, impersonation: bool) {
        let u = User {
            company: company.into(),
            email: email.to_ascii_lowercase(),
            workspace: None,
            permission_set: None,
            confirmed,
            impersonation,
            created_via: "admin".into(),
            created_at: "2025-01-01T00:00:00.000Z".into(),
            last_login_at: None,
        };
        self.users
            .borrow_mut()
            .insert((company.into(), u.email.clone()), u);
    }
}

impl Directory for MemoryDirectory {
    async fn user(&self, company: &str, email: &str) -> Result<Option<User>, StoreError> {
        self.check("user")?;
        Ok(self
            .users
            .borrow()
            .get(&(company.into(), email.into()))
            .cloned())
    }

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        ws: Option<&str>,
        ps: Option<&str>,
    ) -> Result<CompanyFacts, StoreError> {
        self.check("company_facts")?;
        let has = |set: &RefCell<BTreeSet<(String, String)>>, id: Option<&str>| {
            id.is_some_and(|id| set.borrow().contains(&(company.to_owned(), id.to_owned())))
        };
        Ok(CompanyFacts {
            domain_has_confirmed_user: self.users.borrow().values().any(|u| {
                u.company == company
                    && u.confirmed
                    && !u.impersonation
                    && email_domain(&u.email).as_deref() == Some(domain)
            }),
            workspace_exists: has(&self.workspaces, ws),
            permission_set_exists: has(&self.permission_sets, ps),
        })
    }

    async fn claim_assertion(
        &self,
        company: &str,
        id: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError> {
        self.check("claim_assertion")?;
        let mut used = self.used.borrow_mut();
        let key = (company.to_owned(), id.to_owned());
        if used.contains_key(&key) {
            return Ok(false);
        }
        used.insert(key, expires);
        Ok(true)
    }

    async fn consume_request(
        &self,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.check("consume_request")?;
        let removed = self
            .requests
            .borrow_mut()
            .remove(&(company.to_owned(), id.to_owned()));
        Ok(removed.is_some_and(|exp| exp > now))
    }

    async fn sign_in(
        &self,
        company: &str,
        email: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.check("sign_in")?;
        let mut users = self.users.borrow_mut();
        let u = users
            .get_mut(&(company.into(), email.into()))
            .ok_or_else(|| StoreError::Unavailable("user vanished".into()))?;
        u.last_login_at = Some(audit.at.to_string());
        self.audit_log.borrow_mut().push(audit.clone());
        Ok(())
    }

    async fn provision(&self, user: &User, audit: &AuditEntry) -> Result<bool, StoreError> {
        self.check("provision")?;
        let key = (user.company.clone(), user.email.clone());
        if self.users.borrow().contains_key(&key) {
            return Ok(false);
        }
        self.users.borrow_mut().insert(key, user.clone());
        self.audit_log.borrow_mut().push(audit.clone());
        Ok(true)
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.check("audit")?;
        self.audit_log.borrow_mut().push(entry.clone());
        Ok(())
    }
}
