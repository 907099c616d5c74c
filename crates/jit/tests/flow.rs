//! The ACS flow end to end against in-memory stores, with responses signed by xmlsec1 (the
//! saml-verify vectors, fixed clock): the product rules, replay, and every storage fault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jit::flow::{acs, AcsRequest, SignedIn};
use jit::memory::{MemoryDirectory, MemorySettings};
use jit::ports::{AuditEvent, StoreError};
use jit::settings::{CompanySettings, Named, Provisioning, SamlSettings};
use jit::{session, Refusal};
use saml_verify::Timestamp;

const SP: &str = "https://sp.example.com/saml/acme/metadata";
const ACS: &str = "https://sp.example.com/saml/acme/acs";
const DASH: &str = "https://dash.example.com/acme";

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../saml-verify/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn settings() -> CompanySettings {
    CompanySettings {
        version: 1,
        display_name: "Acme".into(),
        dashboard_url: DASH.into(),
        saml: SamlSettings::new(
            "https://idp.example.org/saml2/metadata",
            vec![String::from_utf8(vector("keys/idp.crt")).unwrap()],
        ),
        provisioning: Provisioning {
            enabled: true,
            default_workspace: Some("main".into()),
            default_permission_set: Some("member".into()),
        },
        exception_domains: vec![],
        provisionable_domains: vec![],
        workspaces: vec![Named {
            id: "main".into(),
            name: "Main".into(),
            admin: false,
        }],
        permission_sets: vec![Named {
            id: "member".into(),
            name: "Member".into(),
            admin: false,
        }],
        group_mappings: Default::default(),
    }
}

struct World {
    settings: MemorySettings,
    dir: MemoryDirectory,
}

fn world(s: CompanySettings) -> World {
    let w = World {
        settings: MemorySettings::default(),
        dir: MemoryDirectory::default(),
    };
    w.settings.companies.borrow_mut().insert("acme".into(), s);
    w.dir
        .workspaces
        .borrow_mut()
        .insert(("acme".into(), "main".into()));
    w.dir
        .permission_sets
        .borrow_mut()
        .insert(("acme".into(), "member".into()));
    w
}

fn post(w: &World, file: &str, relay: Option<&str>) -> Result<SignedIn, Refusal> {
    let body = vector(file);
    let req = AcsRequest {
        company: "acme",
        saml_response: &body,
        relay_state: relay,
        now: Timestamp::parse("2026-01-01T00:01:00Z").unwrap(),
        sp_entity_id: SP,
        acs_url: ACS,
        reference: "ref1",
        session_secret: b"secret",
        sp_keys: &[],
        new_user_id: "u-new",
        blinding: None,
    };
    pollster::block_on(acs(&req, &w.settings, &w.dir))
}

fn users(w: &World) -> usize {
    w.dir.users.borrow().len()
}

fn jane(w: &World) -> Option<jit::ports::User> {
    w.dir
        .users
        .borrow()
        .get(&("acme".to_string(), "jane.smith@decorumsoft.com".to_string()))
        .cloned()
}

#[test]
fn provisions_a_new_user_with_the_defaults() {
    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    let done = post(&w, "valid/generic-both-signed.xml", None).unwrap();
    assert!(done.created);
    assert_eq!(done.redirect, DASH);
    let u = jane(&w).unwrap();
    assert_eq!(
        u.memberships,
        [jit::lifecycle::Membership::new("main", "member")]
    );
    assert_eq!(u.id, "u-new");
    assert!(u.confirmed && !u.impersonation && u.created_via == "jit");
    let log = w.dir.audit_log.borrow();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].event, AuditEvent::Provisioned);
    let claims = session::check(b"secret", &done.session, 1_767_225_700).unwrap();
    assert_eq!(claims.email, "jane.smith@decorumsoft.com");
}

#[test]
fn a_replay_is_refused_and_changes_nothing() {
    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    post(&w, "valid/generic-both-signed.xml", None).unwrap();
    let r = post(&w, "valid/generic-both-signed.xml", None).unwrap_err();
    assert_eq!((r.code.as_str(), r.status()), ("assertion_replayed", 403));
    assert_eq!(users(&w), 2);
    // Kept until the assertion's end (00:05:00) plus the 180 s skew, when the verifier would
    // refuse it as expired anyway.
    let until = *w.dir.used.borrow().values().next().unwrap();
    assert_eq!(until, Timestamp::parse("2026-01-01T00:08:00Z").unwrap());
}

#[test]
fn existing_users_sign_in_even_with_provisioning_off() {
    let mut s = settings();
    s.provisioning.enabled = false;
    let w = world(s);
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    let done = post(&w, "valid/generic-assertion-signed.xml", Some("/reports")).unwrap();
    assert!(!done.created);
    assert_eq!(done.redirect, "https://dash.example.com/reports");
    assert!(jane(&w).unwrap().last_login_at.is_some());
    assert_eq!(w.dir.audit_log.borrow()[0].event, AuditEvent::SignedIn);
}

#[test]
fn product_rules_refuse_without_writing_a_user() {
    let only_unconfirmed = |w: &World| {
        w.dir
            .add_user("acme", "jon.smith@decorumsoft.com", false, false)
    };
    let only_impersonation = |w: &World| {
        w.dir
            .add_user("acme", "support@decorumsoft.com", true, true)
    };
    let other_domain = |w: &World| {
        w.dir
            .add_user("acme", "jon.smith@decorumsoft.eu", true, false)
    };
    let nobody = |_: &World| {};
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, Box<dyn Fn(&World)>, CompanySettings, &str)> = vec![
        (
            "no confirmed user in the domain",
            Box::new(other_domain),
            settings(),
            "domain_not_allowed",
        ),
        (
            "only unconfirmed users",
            Box::new(only_unconfirmed),
            settings(),
            "domain_not_allowed",
        ),
        (
            "only impersonation users",
            Box::new(only_impersonation),
            settings(),
            "domain_not_allowed",
        ),
        (
            "provisioning off",
            Box::new(nobody),
            CompanySettings {
                provisioning: Provisioning {
                    enabled: false,
                    ..settings().provisioning
                },
                ..settings()
            },
            "provisioning_disabled",
        ),
    ];
    for (case, seed, s, code) in cases {
        let w = world(s);
        seed(&w);
        let before = users(&w);
        let r = post(&w, "valid/generic-both-signed.xml", None).unwrap_err();
        assert_eq!((r.code.as_str(), r.status()), (code, 403), "{case}");
        assert_eq!(users(&w), before, "{case}: no user written");
        let log = w.dir.audit_log.borrow();
        assert_eq!(
            (log.len(), log[0].event, log[0].reason.as_deref()),
            (1, AuditEvent::Refused, Some(code)),
            "{case}"
        );
    }
}

#[test]
fn exception_domains_admit_without_a_confirmed_user() {
    let mut s = settings();
    s.exception_domains = vec!["decorumsoft.com".into()];
    let w = world(s);
    assert!(
        post(&w, "valid/generic-both-signed.xml", None)
            .unwrap()
            .created
    );
}

#[test]
fn look_alike_domains_from_comment_injection_are_not_the_real_domain() {
    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    // The IdP signed "jane.smith@decorumsoft.com<!---->.evil.example": the whole text is the email.
    let r = post(&w, "valid/comment-in-nameid.xml", None).unwrap_err();
    assert_eq!(r.code, "domain_not_allowed");
    assert!(
        jane(&w).unwrap().last_login_at.is_none(),
        "jane was not signed in"
    );
}

#[test]
fn sp_initiated_responses_need_a_pending_request_and_never_provision() {
    // valid/sp-initiated.xml answers request "_req123".
    let until = Timestamp::parse("2026-01-01T00:10:00Z").unwrap();
    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    let r = post(&w, "valid/sp-initiated.xml", None).unwrap_err();
    assert_eq!(r.code, "in_response_to_mismatch", "no such request issued");
    assert_eq!(users(&w), 1);

    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    w.dir
        .requests
        .borrow_mut()
        .insert(("acme".into(), "_req123".into()), until);
    let r = post(&w, "valid/sp-initiated.xml", None).unwrap_err();
    assert_eq!(
        r.code, "sp_initiated_no_provisioning",
        "never provisions SP-initiated"
    );
    assert_eq!(users(&w), 1);

    let w = world(settings());
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    w.dir
        .requests
        .borrow_mut()
        .insert(("acme".into(), "_req123".into()), until);
    assert!(
        !post(&w, "valid/sp-initiated.xml", None).unwrap().created,
        "existing user signs in"
    );
    assert!(
        w.dir.requests.borrow().is_empty(),
        "the request was consumed"
    );

    let w = world(settings());
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    let expired = Timestamp::parse("2026-01-01T00:00:30Z").unwrap();
    w.dir
        .requests
        .borrow_mut()
        .insert(("acme".into(), "_req123".into()), expired);
    let r = post(&w, "valid/sp-initiated.xml", None).unwrap_err();
    assert_eq!(r.code, "in_response_to_mismatch", "expired request");
}

#[test]
fn hostile_and_malformed_input_is_refused_with_its_code() {
    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    for (file, code, status) in [
        ("attack/xsw3.xml", "multiple_assertions", 403),
        ("attack/attacker-cert.xml", "untrusted_key", 403),
        ("malformed/garbage.bin", "xml_malformed", 400),
        ("attack/doctype-dtd.xml", "doctype_forbidden", 400),
        ("attack/too-large-3mb.xml", "input_too_large", 413),
    ] {
        let r = post(&w, file, None).unwrap_err();
        assert_eq!((r.code.as_str(), r.status()), (code, status), "{file}");
    }
    assert_eq!(users(&w), 1);
}

#[test]
fn storage_faults_fail_closed_and_write_no_user() {
    for op in [
        "accounts",
        "company_facts",
        "claim_assertion",
        "write_sign_in",
    ] {
        let w = world(settings());
        w.dir
            .add_user("acme", "jon.smith@decorumsoft.com", true, false);
        *w.dir.fail_on.borrow_mut() = Some(op);
        let r = post(&w, "valid/generic-both-signed.xml", None).unwrap_err();
        assert_eq!(
            (r.code.as_str(), r.status()),
            ("store_unavailable", 503),
            "{op}"
        );
        assert!(jane(&w).is_none(), "{op}: no user");
        assert!(
            w.dir
                .audit_log
                .borrow()
                .iter()
                .all(|e| e.event == AuditEvent::Refused),
            "{op}"
        );
    }
    // The sign-in write fails for an existing user: refused, no session.
    let w = world(settings());
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    *w.dir.fail_on.borrow_mut() = Some("write_sign_in");
    assert_eq!(
        post(&w, "valid/generic-both-signed.xml", None)
            .unwrap_err()
            .code,
        "store_unavailable"
    );
    // A lost audit write of a refusal does not turn it into a success.
    let w = world(settings());
    *w.dir.fail_on.borrow_mut() = Some("audit");
    assert_eq!(
        post(&w, "valid/generic-both-signed.xml", None)
            .unwrap_err()
            .code,
        "domain_not_allowed"
    );
}

#[test]
fn settings_faults_fail_closed() {
    let w = world(settings());
    *w.settings.fail.borrow_mut() = Some(StoreError::Unavailable("KV down".into()));
    assert_eq!(
        post(&w, "valid/generic-both-signed.xml", None)
            .unwrap_err()
            .code,
        "store_unavailable"
    );
    *w.settings.fail.borrow_mut() = Some(StoreError::Corrupt("bad JSON".into()));
    assert_eq!(
        post(&w, "valid/generic-both-signed.xml", None)
            .unwrap_err()
            .code,
        "settings_invalid"
    );

    let mut s = settings();
    s.saml.idp_certificates.clear();
    let w = world(s);
    let r = post(&w, "valid/generic-both-signed.xml", None).unwrap_err();
    assert_eq!((r.code.as_str(), r.status()), ("idp_not_configured", 503));

    let w = world(settings());
    w.settings.companies.borrow_mut().clear();
    let r = post(&w, "valid/generic-both-signed.xml", None).unwrap_err();
    assert_eq!((r.code.as_str(), r.status()), ("company_unknown", 404));
    assert!(
        w.dir.audit_log.borrow().is_empty(),
        "unknown companies are not audited"
    );
}

#[test]
fn a_lost_provisioning_race_signs_in_the_user_created_meanwhile() {
    /// A directory where the user appears between the lookup and the insert.
    struct Racy(MemoryDirectory);
    impl jit::ports::Directory for Racy {
        async fn consume_request(
            &self,
            c: &str,
            id: &str,
            t: Timestamp,
        ) -> Result<bool, StoreError> {
            self.0.consume_request(c, id, t).await
        }
        async fn user(&self, c: &str, e: &str) -> Result<Option<jit::ports::User>, StoreError> {
            self.0.user(c, e).await
        }
        async fn accounts(
            &self,
            c: &str,
            e: &str,
            b: Option<&jit::lifecycle::account::Binding>,
        ) -> Result<jit::lifecycle::account::Found, StoreError> {
            let found = self.0.accounts(c, e, b).await?;
            if found.by_email.is_none() {
                self.0.add_user(c, e, true, false); // the concurrent first login commits now
            }
            Ok(found)
        }
        async fn company_facts(
            &self,
            c: &str,
            d: &str,
            w: &[String],
            p: &[String],
        ) -> Result<jit::ports::CompanyFacts, StoreError> {
            self.0.company_facts(c, d, w, p).await
        }
        async fn claim_assertion(
            &self,
            c: &str,
            id: &str,
            t: Timestamp,
        ) -> Result<bool, StoreError> {
            self.0.claim_assertion(c, id, t).await
        }
        async fn write_sign_in(&self, p: &jit::lifecycle::plan::Plan) -> Result<bool, StoreError> {
            self.0.write_sign_in(p).await
        }
        async fn audit(&self, e: &jit::ports::AuditEntry) -> Result<(), StoreError> {
            self.0.audit(e).await
        }
    }
    let w = world(settings());
    w.dir
        .add_user("acme", "jon.smith@decorumsoft.com", true, false);
    let racy = Racy(MemoryDirectory::default());
    racy.0
        .users
        .borrow_mut()
        .extend(w.dir.users.borrow().clone());
    racy.0
        .workspaces
        .borrow_mut()
        .extend(w.dir.workspaces.borrow().clone());
    racy.0
        .permission_sets
        .borrow_mut()
        .extend(w.dir.permission_sets.borrow().clone());
    let body = vector("valid/generic-both-signed.xml");
    let req = AcsRequest {
        company: "acme",
        saml_response: &body,
        relay_state: None,
        now: Timestamp::parse("2026-01-01T00:01:00Z").unwrap(),
        sp_entity_id: SP,
        acs_url: ACS,
        reference: "r",
        session_secret: b"s",
        sp_keys: &[],
        new_user_id: "u-new",
        blinding: None,
    };
    let done = pollster::block_on(acs(&req, &w.settings, &racy)).unwrap();
    assert!(!done.created, "the loser signs in");
    let log = racy.0.audit_log.borrow();
    assert_eq!(
        log.iter().map(|e| e.event).collect::<Vec<_>>(),
        [AuditEvent::SignedIn]
    );
}

#[test]
fn a_deactivated_user_is_refused_and_never_recreated() {
    let w = world(settings());
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    w.dir
        .users
        .borrow_mut()
        .values_mut()
        .for_each(|u| u.active = false);
    let r = post(&w, "valid/generic-both-signed.xml", None).unwrap_err();
    assert_eq!(r.code, "user_deactivated");
    let u = jane(&w).unwrap();
    assert!(!u.active && u.last_login_at.is_none(), "nothing written");
    assert_eq!(users(&w), 1);
    let log = w.dir.audit_log.borrow();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].reason.as_deref(), Some("user_deactivated"));
}

#[test]
fn an_account_that_changes_under_two_attempts_fails_closed() {
    /// A directory whose every sign-in write finds the account changed.
    struct Shifting(MemoryDirectory);
    impl jit::ports::Directory for Shifting {
        async fn consume_request(
            &self,
            c: &str,
            id: &str,
            t: Timestamp,
        ) -> Result<bool, StoreError> {
            self.0.consume_request(c, id, t).await
        }
        async fn user(&self, c: &str, e: &str) -> Result<Option<jit::ports::User>, StoreError> {
            self.0.user(c, e).await
        }
        async fn accounts(
            &self,
            c: &str,
            e: &str,
            b: Option<&jit::lifecycle::account::Binding>,
        ) -> Result<jit::lifecycle::account::Found, StoreError> {
            self.0.accounts(c, e, b).await
        }
        async fn company_facts(
            &self,
            c: &str,
            d: &str,
            w: &[String],
            p: &[String],
        ) -> Result<jit::ports::CompanyFacts, StoreError> {
            self.0.company_facts(c, d, w, p).await
        }
        async fn claim_assertion(
            &self,
            c: &str,
            id: &str,
            t: Timestamp,
        ) -> Result<bool, StoreError> {
            self.0.claim_assertion(c, id, t).await
        }
        async fn write_sign_in(&self, _: &jit::lifecycle::plan::Plan) -> Result<bool, StoreError> {
            *self.0.fail_on.borrow_mut() = None;
            Ok(false)
        }
        async fn audit(&self, e: &jit::ports::AuditEntry) -> Result<(), StoreError> {
            self.0.audit(e).await
        }
    }
    let w = world(settings());
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    let shifting = Shifting(MemoryDirectory::default());
    shifting
        .0
        .users
        .borrow_mut()
        .extend(w.dir.users.borrow().clone());
    let body = vector("valid/generic-both-signed.xml");
    let req = AcsRequest {
        company: "acme",
        saml_response: &body,
        relay_state: None,
        now: Timestamp::parse("2026-01-01T00:01:00Z").unwrap(),
        sp_entity_id: SP,
        acs_url: ACS,
        reference: "r",
        session_secret: b"s",
        sp_keys: &[],
        new_user_id: "u-new",
        blinding: None,
    };
    let r = pollster::block_on(acs(&req, &w.settings, &shifting)).unwrap_err();
    assert_eq!(r.code, "store_unavailable");
    assert!(r.detail.contains("two consecutive"));
}

#[test]
fn the_session_names_the_account_by_id() {
    let w = world(settings());
    w.dir
        .add_user("acme", "jane.smith@decorumsoft.com", true, false);
    let done = post(&w, "valid/generic-both-signed.xml", None).unwrap();
    let claims = session::check(b"secret", &done.session, 1_767_225_700).unwrap();
    assert_eq!(claims.uid.as_deref(), Some("id-jane.smith@decorumsoft.com"));
}
