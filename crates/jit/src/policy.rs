//! Who may sign in and who may be provisioned: a pure function of facts, table-tested.
//!
//! The product rules (the product page in `shared/seeds/`): existing users sign in; a new user is
//! created only on IdP-initiated sign-in, when automatic provisioning is on, the default workspace
//! and permission set exist, and the email's domain (lower case, exact: no subdomains, no
//! look-alikes) already has a confirmed, non-impersonation user in the company, or is an exception
//! domain granted by support.

use crate::settings::Provisioning;
use crate::Code;

/// Facts about one sign-in, gathered by the flow.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The verified email, if the assertion carried one.
    pub email: Option<&'a str>,
    /// A user with that email already exists in the company.
    pub user_exists: bool,
    /// The response answered no request of ours (IdP-initiated).
    pub idp_initiated: bool,
    pub provisioning: &'a Provisioning,
    pub exception_domains: &'a [String],
    /// The company has a confirmed, non-impersonation user in the email's domain.
    pub domain_has_confirmed_user: bool,
    /// The new user gets the default membership (no group mapping gave one); only then must
    /// the defaults exist.
    pub uses_default: bool,
    pub default_workspace_exists: bool,
    pub default_permission_set_exists: bool,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    SignIn,
    Provision,
    Refuse(PolicyRefusal),
}

/// Why the policy said no. Codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRefusal {
    EmailMissing,
    ProvisioningDisabled,
    SpInitiatedNoProvisioning,
    DomainNotAllowed,
    DefaultWorkspaceMissing,
    DefaultPermissionSetMissing,
}

impl PolicyRefusal {
    pub fn code(self) -> Code {
        match self {
            PolicyRefusal::EmailMissing => Code::EmailMissing,
            PolicyRefusal::ProvisioningDisabled => Code::ProvisioningDisabled,
            PolicyRefusal::SpInitiatedNoProvisioning => Code::SpInitiatedNoProvisioning,
            PolicyRefusal::DomainNotAllowed => Code::DomainNotAllowed,
            PolicyRefusal::DefaultWorkspaceMissing => Code::DefaultWorkspaceMissing,
            PolicyRefusal::DefaultPermissionSetMissing => Code::DefaultPermissionSetMissing,
        }
    }
}

/// The rule "a domain qualifies for provisioning when it has at least one confirmed,
/// non-impersonation user" rests on this predicate: whether one user counts for its domain. The
/// in-memory store calls it; the D1 store uses [`COUNTS_FOR_DOMAIN_SQL`], checked against it.
///
/// A user created through SCIM (`created_via` `scim`) never counts (issue #14): a SCIM token is
/// held by whoever administers the IdP, who also controls what SAML asserts, so a SCIM user
/// counting (even only after a SAML sign-in) would let the IdP alone make any domain
/// (gmail.com) provisionable. SCIM may create users only where JIT could provision them
/// ([`domain_allowed`]), so it opens no new domain either.
pub fn counts_for_domain(confirmed: bool, impersonation: bool, created_via: &str) -> bool {
    confirmed && !impersonation && created_via != "scim"
}

/// [`counts_for_domain`] over the `users` table's INTEGER 0/1 flags and `created_via`, for D1.
pub const COUNTS_FOR_DOMAIN_SQL: &str =
    "confirmed = 1 AND impersonation = 0 AND created_via <> 'scim'";

/// The lower-cased domain of an address (after the last `@`).
pub fn email_domain(email: &str) -> Option<String> {
    let (_, d) = email.rsplit_once('@')?;
    (!d.is_empty()).then(|| d.to_ascii_lowercase())
}

/// Decide.
pub fn decide(f: &Facts<'_>) -> Decision {
    let Some(email) = f.email else {
        return Decision::Refuse(PolicyRefusal::EmailMissing);
    };
    if f.user_exists {
        return Decision::SignIn;
    }
    if !f.idp_initiated {
        return Decision::Refuse(PolicyRefusal::SpInitiatedNoProvisioning);
    }
    if !f.provisioning.enabled {
        return Decision::Refuse(PolicyRefusal::ProvisioningDisabled);
    }
    if !domain_allowed(email, f.domain_has_confirmed_user, f.exception_domains) {
        return Decision::Refuse(PolicyRefusal::DomainNotAllowed);
    }
    if f.uses_default {
        if f.provisioning.default_workspace.is_none() || !f.default_workspace_exists {
            return Decision::Refuse(PolicyRefusal::DefaultWorkspaceMissing);
        }
        if f.provisioning.default_permission_set.is_none() || !f.default_permission_set_exists {
            return Decision::Refuse(PolicyRefusal::DefaultPermissionSetMissing);
        }
    }
    Decision::Provision
}

/// The domain rule: the email's domain has a user that [`counts_for_domain`], or is an
/// exception domain granted by support (exact, case-insensitive: no subdomains). Provisioning
/// and an email change under a persistent NameID both pass through it.
pub fn domain_allowed(email: &str, domain_has_confirmed_user: bool, exceptions: &[String]) -> bool {
    let domain = email_domain(email).unwrap_or_default();
    domain_has_confirmed_user || exceptions.iter().any(|d| d.eq_ignore_ascii_case(&domain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PolicyRefusal::*;

    fn on() -> Provisioning {
        Provisioning {
            enabled: true,
            default_workspace: Some("ws".into()),
            default_permission_set: Some("ps".into()),
        }
    }

    #[allow(clippy::type_complexity)]
    /// (case, email, exists, idp_initiated, provisioning on, exception domains, domain has
    /// confirmed user, workspace exists, permission set exists, expected)
    #[test]
    fn decision_table() {
        let prov = Decision::Provision;
        let exc = vec!["decorumsoft.eu".to_string()];
        #[rustfmt::skip]
        let table: Vec<(&str, Option<&str>, bool, bool, bool, &[String], bool, bool, bool, Decision)> = vec![
            ("same domain as a confirmed user", Some("jon.smith@decorumsoft.com"), false, true, true, &[], true, true, true, prov.clone()),
            ("other TLD, no user there", Some("jon.smith@decorumsoft.eu"), false, true, true, &[], false, true, true, Decision::Refuse(DomainNotAllowed)),
            ("exception domain granted by support", Some("jon.smith@decorumsoft.eu"), false, true, true, &exc, false, true, true, prov.clone()),
            ("exception domain matches case-insensitively", Some("Jon@DecorumSoft.EU"), false, true, true, &exc, false, true, true, prov.clone()),
            ("subdomain of an exception is not the exception", Some("a@x.decorumsoft.eu"), false, true, true, &exc, false, true, true, Decision::Refuse(DomainNotAllowed)),
            ("existing user signs in, provisioning off", Some("jane@decorumsoft.com"), true, true, false, &[], false, false, false, Decision::SignIn),
            ("existing user signs in SP-initiated", Some("jane@decorumsoft.com"), true, false, true, &[], true, true, true, Decision::SignIn),
            ("new user, provisioning off", Some("new@decorumsoft.com"), false, true, false, &[], true, true, true, Decision::Refuse(ProvisioningDisabled)),
            ("new user, SP-initiated never provisions", Some("new@decorumsoft.com"), false, false, true, &[], true, true, true, Decision::Refuse(SpInitiatedNoProvisioning)),
            ("no email", None, false, true, true, &[], true, true, true, Decision::Refuse(EmailMissing)),
            ("no email, even for an existing NameID", None, true, true, true, &[], true, true, true, Decision::Refuse(EmailMissing)),
            ("default workspace deleted", Some("new@decorumsoft.com"), false, true, true, &[], true, false, true, Decision::Refuse(DefaultWorkspaceMissing)),
            ("default permission set deleted", Some("new@decorumsoft.com"), false, true, true, &[], true, true, false, Decision::Refuse(DefaultPermissionSetMissing)),
        ];
        let off = Provisioning {
            enabled: false,
            ..on()
        };
        let on = on();
        for (case, email, exists, idp, enabled, exceptions, has_user, ws, ps, want) in table {
            let facts = Facts {
                email,
                user_exists: exists,
                idp_initiated: idp,
                provisioning: if enabled { &on } else { &off },
                exception_domains: exceptions,
                domain_has_confirmed_user: has_user,
                uses_default: true,
                default_workspace_exists: ws,
                default_permission_set_exists: ps,
            };
            assert_eq!(decide(&facts), want, "{case}");
        }
    }

    /// The SQL form is a conjunction of `column = 0|1` and `created_via <> '…'`; evaluated on
    /// every combination it gives the predicate's answer.
    #[test]
    fn the_sql_form_of_the_domain_rule_agrees_with_the_predicate() {
        let terms: Vec<(&str, &str, &str)> = COUNTS_FOR_DOMAIN_SQL
            .split(" AND ")
            .map(|t| {
                let (col, op, v) = match t.split_once(" <> ") {
                    Some((c, v)) => (c, "<>", v.trim_matches('\'')),
                    None => t.split_once(" = ").map(|(c, v)| (c, "=", v)).unwrap(),
                };
                (col, op, v)
            })
            .collect();
        for confirmed in [false, true] {
            for impersonation in [false, true] {
                for via in ["admin", "jit", "scim"] {
                    let sql = terms.iter().all(|&(col, op, v)| match (col, op) {
                        ("confirmed", "=") => confirmed == (v == "1"),
                        ("impersonation", "=") => impersonation == (v == "1"),
                        ("created_via", "<>") => via != v,
                        other => panic!("unknown term {other:?}"),
                    });
                    assert_eq!(
                        sql,
                        counts_for_domain(confirmed, impersonation, via),
                        "confirmed={confirmed} impersonation={impersonation} via={via}"
                    );
                }
            }
        }
        assert!(counts_for_domain(true, false, "admin"));
        assert!(counts_for_domain(true, false, "jit"));
        assert!(
            !counts_for_domain(true, false, "scim"),
            "SCIM users never count"
        );
    }

    #[test]
    fn group_mapped_new_users_need_no_default_but_pass_the_domain_rule() {
        let on = on();
        let base = Facts {
            email: Some("new@decorumsoft.com"),
            user_exists: false,
            idp_initiated: true,
            provisioning: &on,
            exception_domains: &[],
            domain_has_confirmed_user: true,
            uses_default: false,
            default_workspace_exists: false,
            default_permission_set_exists: false,
        };
        assert_eq!(decide(&base), Decision::Provision);
        let other_domain = Facts {
            domain_has_confirmed_user: false,
            ..base.clone()
        };
        assert_eq!(decide(&other_domain), Decision::Refuse(DomainNotAllowed));
        let off = Provisioning {
            enabled: false,
            ..on.clone()
        };
        let disabled = Facts {
            provisioning: &off,
            ..base
        };
        assert_eq!(decide(&disabled), Decision::Refuse(ProvisioningDisabled));
    }

    #[test]
    fn domain_allowed_is_exact_and_case_insensitive() {
        let exc = vec!["decorumsoft.eu".to_string()];
        assert!(domain_allowed("a@DecorumSoft.EU", false, &exc));
        assert!(!domain_allowed("a@x.decorumsoft.eu", false, &exc));
        assert!(domain_allowed("a@gmail.com", true, &exc));
        assert!(!domain_allowed("a@gmail.com", false, &[]));
    }

    #[test]
    fn domain_is_the_part_after_the_last_at() {
        assert_eq!(
            email_domain("Jon.Smith@DecorumSoft.COM").as_deref(),
            Some("decorumsoft.com")
        );
        assert_eq!(email_domain("nobody"), None);
        assert_eq!(email_domain("x@"), None);
    }
}
