//! In-memory ports with fault injection, for tests of the flow without a runtime.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use saml_verify::Timestamp;

use crate::lifecycle::account::{Binding, Found};
use crate::lifecycle::plan::Plan;
use crate::policy::{counts_for_domain, email_domain};
use crate::ports::{
    AdminDirectory, AuditEntry, AuditRow, CompanyFacts, Directory, SettingsStore, StoreError,
    TokenInfo, User,
};
use crate::settings::{CompanySettings, Named};
use crate::tokens::TokenKind;

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

    async fn put(&self, company: &str, settings: &CompanySettings) -> Result<(), StoreError> {
        if let Some(e) = self.fail.borrow().clone() {
            return Err(e);
        }
        self.companies
            .borrow_mut()
            .insert(company.to_owned(), settings.clone());
        Ok(())
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
    /// Permission sets that grant the admin surfaces.
    pub admin_sets: RefCell<BTreeSet<(String, String)>>,
    /// Admin and SCIM tokens by ID.
    pub tokens: RefCell<BTreeMap<String, MemoryToken>>,
    /// Pending AuthnRequest IDs and their expiry.
    pub requests: RefCell<BTreeMap<(String, String), Timestamp>>,
    /// Answered test sign-ins: kept until, report JSON.
    pub tests: RefCell<BTreeMap<(String, String), (Timestamp, String)>>,
    /// Name of an operation (`user`, `accounts`, `company_facts`, `claim_assertion`,
    /// `write_sign_in`, `audit`, …) that fails with `Unavailable`, writing nothing.
    pub fail_on: RefCell<Option<&'static str>>,
}

/// A stored admin token.
#[derive(Debug, Clone)]
pub struct MemoryToken {
    pub kind: TokenKind,
    pub company: String,
    pub secret_hash: String,
    pub info: TokenInfo,
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
            id: format!("id-{}", email.to_ascii_lowercase()),
            email: email.to_ascii_lowercase(),
            confirmed,
            impersonation,
            created_via: "admin".into(),
            created_at: "2025-01-01T00:00:00.000Z".into(),
            active: true,
            ..User::default()
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

    async fn accounts(
        &self,
        company: &str,
        email: &str,
        binding: Option<&Binding>,
    ) -> Result<Found, StoreError> {
        self.check("accounts")?;
        let users = self.users.borrow();
        let ours = || users.values().filter(|u| u.company == company);
        Ok(Found {
            by_binding: binding.and_then(|b| {
                ours()
                    .find(|u| {
                        u.name_id.as_deref() == Some(b.name_id.as_str())
                            && u.name_id_issuer.as_deref() == Some(b.issuer.as_str())
                    })
                    .cloned()
            }),
            by_email: ours().find(|u| u.email == email).cloned(),
        })
    }

    async fn company_facts(
        &self,
        company: &str,
        domain: &str,
        workspaces: &[String],
        permission_sets: &[String],
    ) -> Result<CompanyFacts, StoreError> {
        self.check("company_facts")?;
        let missing = |set: &RefCell<BTreeSet<(String, String)>>, ids: &[String]| {
            let set = set.borrow();
            let mut out: Vec<String> = ids
                .iter()
                .filter(|id| !set.contains(&(company.to_owned(), (*id).clone())))
                .cloned()
                .collect();
            out.dedup();
            out
        };
        Ok(CompanyFacts {
            domain_has_confirmed_user: self.users.borrow().values().any(|u| {
                u.company == company
                    && counts_for_domain(u.confirmed, u.impersonation, &u.created_via)
                    && email_domain(&u.email).as_deref() == Some(domain)
            }),
            missing_workspaces: missing(&self.workspaces, workspaces),
            missing_permission_sets: missing(&self.permission_sets, permission_sets),
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

    async fn write_sign_in(&self, plan: &Plan) -> Result<bool, StoreError> {
        self.check("write_sign_in")?;
        let applied = crate::memory_sign_in::apply(&mut self.users.borrow_mut(), plan)?;
        if applied {
            self.audit_log
                .borrow_mut()
                .extend(plan.audit.iter().cloned());
        }
        Ok(applied)
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.check("audit")?;
        self.audit_log.borrow_mut().push(entry.clone());
        Ok(())
    }
}

impl AdminDirectory for MemoryDirectory {
    async fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
        self.check("insert_user")?;
        let key = (user.company.clone(), user.email.clone());
        let mut users = self.users.borrow_mut();
        if users.contains_key(&key) {
            return Ok(false);
        }
        users.insert(key, user.clone());
        Ok(true)
    }

    async fn users(&self, company: &str) -> Result<Vec<User>, StoreError> {
        self.check("users")?;
        let users = self.users.borrow();
        Ok(users
            .values()
            .filter(|u| u.company == company)
            .cloned()
            .collect())
    }

    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError> {
        self.check("audit_rows")?;
        let log = self.audit_log.borrow();
        let rows = log.iter().rev().filter(|e| e.company == company).take(1000);
        Ok(rows
            .map(|e| AuditRow {
                at: e.at.to_string(),
                event: e.event.as_str().to_owned(),
                email: e.email.clone(),
                assertion_id: e.assertion_id.clone(),
                reason: e.reason.clone(),
                reference: e.reference.clone(),
                actor: e.actor.clone(),
                detail: e.detail.clone(),
            })
            .collect())
    }

    async fn sign_in_log(
        &self,
        company: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError> {
        self.check("sign_in_log")?;
        let all = self.audit_rows(company).await?;
        let n = all.len() as i64;
        let rows = all.into_iter().enumerate().map(|(i, r)| (n - i as i64, r));
        Ok(rows
            .filter(|(id, r)| {
                before.is_none_or(|b| *id < b)
                    && matches!(r.event.as_str(), "provisioned" | "signed_in" | "refused")
            })
            .take(limit as usize)
            .collect())
    }

    async fn domain_witness(
        &self,
        company: &str,
        domain: &str,
    ) -> Result<Option<String>, StoreError> {
        self.check("domain_witness")?;
        let users = self.users.borrow();
        Ok(users
            .values()
            .filter(|u| {
                u.company == company
                    && counts_for_domain(u.confirmed, u.impersonation, &u.created_via)
            })
            .filter(|u| email_domain(&u.email).as_deref() == Some(domain))
            .min_by(|a, b| a.created_at.cmp(&b.created_at))
            .map(|u| u.email.clone()))
    }

    async fn consume_test(
        &self,
        company: &str,
        id: &str,
        keep: Timestamp,
        report_json: &str,
    ) -> Result<bool, StoreError> {
        self.check("consume_test")?;
        let key = (company.to_owned(), id.to_owned());
        let mut tests = self.tests.borrow_mut();
        if tests.contains_key(&key) {
            return Ok(false);
        }
        tests.insert(key, (keep, report_json.to_owned()));
        Ok(true)
    }

    async fn test_report(
        &self,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        self.check("test_report")?;
        let tests = self.tests.borrow();
        let found = tests.get(&(company.to_owned(), id.to_owned()));
        Ok(found
            .filter(|(keep, _)| *keep > now)
            .map(|(_, r)| r.clone()))
    }

    async fn provisionable_domains(&self, company: &str) -> Result<Vec<String>, StoreError> {
        self.check("provisionable_domains")?;
        let users = self.users.borrow();
        let domains: BTreeSet<String> = users
            .values()
            .filter(|u| {
                u.company == company
                    && counts_for_domain(u.confirmed, u.impersonation, &u.created_via)
            })
            .filter_map(|u| email_domain(&u.email))
            .collect();
        Ok(domains.into_iter().collect())
    }

    async fn replace_catalog(
        &self,
        company: &str,
        workspaces: &[Named],
        permission_sets: &[Named],
    ) -> Result<(), StoreError> {
        self.check("replace_catalog")?;
        let key = |n: &Named| (company.to_owned(), n.id.clone());
        let ours = |(c, _): &(String, String)| c != company;
        self.workspaces.borrow_mut().retain(ours);
        self.permission_sets.borrow_mut().retain(ours);
        self.admin_sets.borrow_mut().retain(ours);
        self.workspaces
            .borrow_mut()
            .extend(workspaces.iter().map(key));
        self.permission_sets
            .borrow_mut()
            .extend(permission_sets.iter().map(key));
        let admins = permission_sets.iter().filter(|p| p.admin).map(key);
        self.admin_sets.borrow_mut().extend(admins);
        Ok(())
    }

    async fn is_admin_set(&self, company: &str, set: &str) -> Result<bool, StoreError> {
        self.check("is_admin_set")?;
        let key = (company.to_owned(), set.to_owned());
        Ok(self.admin_sets.borrow().contains(&key))
    }

    async fn insert_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.check("insert_token")?;
        let info = TokenInfo {
            id: id.to_owned(),
            created_at: now.to_string(),
            revoked_at: None,
        };
        let token = MemoryToken {
            kind,
            company: company.to_owned(),
            secret_hash: secret_hash.to_owned(),
            info,
        };
        self.tokens.borrow_mut().insert(id.to_owned(), token);
        Ok(())
    }

    async fn token(
        &self,
        kind: TokenKind,
        id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.check("token")?;
        let tokens = self.tokens.borrow();
        let live = tokens
            .get(id)
            .filter(|t| t.kind == kind && t.info.revoked_at.is_none());
        Ok(live.map(|t| (t.company.clone(), t.secret_hash.clone())))
    }

    async fn tokens(&self, kind: TokenKind, company: &str) -> Result<Vec<TokenInfo>, StoreError> {
        self.check("tokens")?;
        let tokens = self.tokens.borrow();
        let ours = tokens
            .values()
            .filter(|t| t.kind == kind && t.company == company);
        Ok(ours.map(|t| t.info.clone()).collect())
    }

    async fn revoke_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.check("revoke_token")?;
        let mut tokens = self.tokens.borrow_mut();
        match tokens.get_mut(id) {
            Some(t) if t.kind == kind && t.company == company && t.info.revoked_at.is_none() => {
                t.info.revoked_at = Some(now.to_string());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
