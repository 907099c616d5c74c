//! One account per person (resolution table) and what a sign-in writes.
#![allow(clippy::unwrap_used)]

use saml_verify::Timestamp;

use super::account::{binding, resolve, AccountRefusal, Binding, Found, Resolution, PERSISTENT};
use super::mapping::Outcome;
use super::plan::{create, existing, MembershipWrite, Write};
use super::{Groups, Membership, Profile};
use crate::ports::{AuditEntry, AuditEvent, User};

const IDP: &str = "https://idp.example/";

fn user(email: &str, bound: Option<(&str, &str)>) -> User {
    User {
        company: "acme".into(),
        id: format!("id-{email}"),
        email: email.into(),
        memberships: vec![Membership::new("main", "member")],
        active: true,
        name_id: bound.map(|b| b.1.to_owned()),
        name_id_issuer: bound.map(|b| b.0.to_owned()),
        first_name: Some("Jane".into()),
        ..User::default()
    }
}

fn b(name_id: &str) -> Binding {
    Binding {
        issuer: IDP.into(),
        name_id: name_id.into(),
    }
}

#[test]
fn only_persistent_name_ids_bind() {
    assert_eq!(binding(IDP, " 00u1 ", Some(PERSISTENT)), Some(b("00u1")));
    let transient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
    assert_eq!(binding(IDP, "_t1", Some(transient)), None);
    let email = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    assert_eq!(binding(IDP, "jane@x.com", Some(email)), None);
    assert_eq!(binding(IDP, "00u1", None), None);
    assert_eq!(binding(IDP, "", Some(PERSISTENT)), None);
    assert_eq!(binding(IDP, &"x".repeat(1025), Some(PERSISTENT)), None);
}

#[test]
fn resolution_table() {
    let jane = user("jane@acme.com", Some((IDP, "00u1")));
    let unbound = user("jane@acme.com", None);
    let other_idp = user("jane@acme.com", Some(("https://old-idp/", "x")));
    let taken = user("jane.smith@acme.com", None);
    let existing = |u: &User, email_change, bind| Resolution::Existing {
        user: Box::new(u.clone()),
        email_change,
        bind,
    };
    let found = |by_binding: Option<&User>, by_email: Option<&User>| Found {
        by_binding: by_binding.cloned(),
        by_email: by_email.cloned(),
    };
    #[rustfmt::skip]
    let table: Vec<(&str, Found, Option<Binding>, &str, Resolution)> = vec![
        ("first login", found(None, None), Some(b("00u1")), "jane@acme.com", Resolution::New),
        ("same binding, same email", found(Some(&jane), Some(&jane)), Some(b("00u1")), "jane@acme.com", existing(&jane, false, false)),
        ("same binding, new email: email change", found(Some(&jane), None), Some(b("00u1")), "jane.smith@acme.com", existing(&jane, true, false)),
        ("same binding, new email taken", found(Some(&jane), Some(&taken)), Some(b("00u1")), "jane.smith@acme.com", Resolution::Refuse(AccountRefusal::EmailConflict)),
        ("unbound account found by email: bind", found(None, Some(&unbound)), Some(b("00u1")), "jane@acme.com", existing(&unbound, false, true)),
        ("bound to another person's NameID", found(None, Some(&jane)), Some(b("00u2")), "jane@acme.com", Resolution::Refuse(AccountRefusal::NameIdConflict)),
        ("bound by an IdP no longer trusted: rebind", found(None, Some(&other_idp)), Some(b("00u1")), "jane@acme.com", existing(&other_idp, false, true)),
        ("bound account, sign-in without a persistent NameID", found(None, Some(&jane)), None, "jane@acme.com", Resolution::Refuse(AccountRefusal::NameIdConflict)),
        ("bound by an untrusted IdP, no persistent NameID: by email", found(None, Some(&other_idp)), None, "jane@acme.com", existing(&other_idp, false, false)),
        ("transient, unbound: by email, no bind", found(None, Some(&unbound)), None, "jane@acme.com", existing(&unbound, false, false)),
        ("transient, unknown email", found(None, None), None, "jane@acme.com", Resolution::New),
    ];
    for (case, f, binding, email, want) in table {
        assert_eq!(resolve(f, binding.as_ref(), email, IDP), want, "{case}");
    }
}

fn base() -> AuditEntry {
    AuditEntry {
        company: "acme".into(),
        at: Timestamp(1_767_225_660_000),
        event: AuditEvent::SignedIn,
        email: None,
        assertion_id: Some("_a1".into()),
        reason: None,
        reference: "ref".into(),
        actor: Some("saml".into()),
        detail: None,
    }
}

fn profile(first: Option<&str>, groups: Groups) -> Profile {
    Profile {
        first_name: first.map(str::to_owned),
        last_name: None,
        groups,
    }
}

#[test]
fn an_unchanged_sign_in_writes_the_login_and_one_audit_row() {
    let u = user("jane@acme.com", None);
    let p = existing(
        &u,
        "jane@acme.com",
        &profile(Some("Jane"), Groups::Listed(vec![])),
        None,
        &Outcome::Keep,
        &base(),
        None,
    );
    assert_eq!(p.audit.len(), 1);
    assert_eq!(p.audit[0].event, AuditEvent::SignedIn);
    let Write::Update(up) = p.write else {
        unreachable!()
    };
    assert_eq!(
        (up.memberships, up.first_name.as_deref(), up.bind),
        (MembershipWrite::Keep, Some("Jane"), None)
    );
    assert_eq!(up.last_login_at, "2026-01-01T00:01:00.000Z");
}

#[test]
fn changes_are_audited_by_field_name_never_value() {
    let u = user("jane@acme.com", None);
    let out = Outcome::Replace(vec![Membership::new("sales", "member")]);
    let p = existing(
        &u,
        "jane.smith@acme.com",
        &profile(Some("Janet"), Groups::Listed(vec![])),
        Some(b("00u1")),
        &out,
        &base(),
        None,
    );
    assert_eq!(p.audit[1].event, AuditEvent::Updated);
    assert_eq!(
        p.audit[1].detail.as_deref(),
        Some("email,first_name,name_id,memberships; user id-jane@acme.com")
    );
    assert!(!format!("{:?}", p.audit).contains("Janet"));
    let Write::Update(up) = p.write else {
        unreachable!()
    };
    assert_eq!(up.email, "jane.smith@acme.com");
    assert_eq!(
        up.memberships,
        MembershipWrite::Replace(vec![Membership::new("sales", "member")])
    );
}

#[test]
fn a_name_not_sent_is_kept_and_an_outcome_equal_to_the_current_set_writes_nothing() {
    let u = user("jane@acme.com", None);
    let same = Outcome::Add(vec![Membership::new("main", "member")]);
    let p = existing(
        &u,
        "jane@acme.com",
        &profile(None, Groups::Listed(vec![])),
        None,
        &same,
        &base(),
        None,
    );
    let Write::Update(up) = p.write else {
        unreachable!()
    };
    assert_eq!(
        (up.first_name.as_deref(), up.memberships),
        (Some("Jane"), MembershipWrite::Keep)
    );
    assert_eq!(p.audit.len(), 1);
}

#[test]
fn a_first_login_carries_names_binding_and_memberships() {
    let u = User {
        company: "acme".into(),
        id: "u1".into(),
        email: "new@acme.com".into(),
        active: true,
        ..User::default()
    };
    let ms = vec![
        Membership::new("sales", "member"),
        Membership::new("main", "admin"),
    ];
    let p = create(
        u,
        &profile(Some("New"), Groups::Listed(vec![])),
        Some(b("00u9")),
        ms,
        &base(),
        Some("memberships: group mappings"),
    );
    let Write::Create(u) = p.write else {
        unreachable!()
    };
    assert_eq!(u.memberships[0].workspace, "main", "sorted");
    assert_eq!(
        (u.name_id.as_deref(), u.name_id_issuer.as_deref()),
        (Some("00u9"), Some(IDP))
    );
    assert_eq!(p.audit[0].event, AuditEvent::Provisioned);
}
