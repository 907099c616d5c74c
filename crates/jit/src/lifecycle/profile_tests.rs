//! Reading names and groups from the verified assertion's attributes.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use saml_verify::{Timestamp, VerifiedAssertion};

use super::profile::{read, AttributeNames, ProfileError, ENTRA_GROUPS_OVERAGE};
use super::Groups;

pub(crate) fn assertion(attrs: &[(&str, &[&str])], markup: &[&str]) -> VerifiedAssertion {
    let attributes: BTreeMap<String, Vec<String>> = attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect();
    VerifiedAssertion {
        assertion_id: "_a1".into(),
        issuer: "https://idp.example/".into(),
        name_id: "jane@decorumsoft.com".into(),
        name_id_format: None,
        session_index: None,
        not_on_or_after: Timestamp(0),
        in_response_to: None,
        attributes,
        markup_attributes: markup
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        email: Some("jane@decorumsoft.com".into()),
        email_source: None,
        response_signed: true,
        assertion_signed: true,
        signing_key: String::new(),
    }
}

const GIVEN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
const SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
const ENTRA_GROUPS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
const ADFS_GROUP: &str = "http://schemas.xmlsoap.org/claims/Group";

#[test]
fn the_defaults_read_each_idps_shape() {
    let names = AttributeNames::default();
    let okta = assertion(
        &[
            ("firstName", &["Jane"]),
            ("lastName", &["Smith"]),
            ("groups", &["Braze-Admins", "Everyone"]),
        ],
        &[],
    );
    let p = read(&okta, &names).unwrap();
    assert_eq!(
        (p.first_name.as_deref(), p.last_name.as_deref()),
        (Some("Jane"), Some("Smith"))
    );
    assert_eq!(
        p.groups,
        Groups::Listed(vec!["Braze-Admins".into(), "Everyone".into()])
    );
    let entra = assertion(
        &[
            (GIVEN, &["Jane"]),
            (SURNAME, &["Smith"]),
            (ENTRA_GROUPS, &["5d6a8b1e-0f3c-4f7e-9a51-3c2b1d0e9f77"]),
        ],
        &[],
    );
    let p = read(&entra, &names).unwrap();
    assert_eq!(p.first_name.as_deref(), Some("Jane"));
    assert_eq!(
        p.groups,
        Groups::Listed(vec!["5d6a8b1e-0f3c-4f7e-9a51-3c2b1d0e9f77".into()])
    );
    let adfs = assertion(&[(ADFS_GROUP, &["Domain Users", "Braze-Admins"])], &[]);
    let p = read(&adfs, &names).unwrap();
    assert_eq!((p.first_name, p.last_name), (None, None));
    assert_eq!(
        p.groups,
        Groups::Listed(vec!["Domain Users".into(), "Braze-Admins".into()])
    );
}

#[test]
fn entra_overage_is_never_no_groups() {
    let names = AttributeNames::default();
    let a = assertion(
        &[(
            ENTRA_GROUPS_OVERAGE,
            &["https://graph.windows.net/x/users/y/getMemberObjects"],
        )],
        &[],
    );
    assert_eq!(read(&a, &names).unwrap().groups, Groups::Overage);
    let none = assertion(&[], &[]);
    assert_eq!(read(&none, &names).unwrap().groups, Groups::Listed(vec![]));
}

#[test]
fn names_are_tried_in_order_first_present_wins() {
    let names = AttributeNames {
        first_name: vec!["preferred".into(), "firstName".into()],
        ..AttributeNames::default()
    };
    let a = assertion(
        &[("firstName", &["Jane"]), ("preferred", &["  Janie  "])],
        &[],
    );
    assert_eq!(
        read(&a, &names).unwrap().first_name.as_deref(),
        Some("Janie")
    );
    let blank = assertion(&[("preferred", &["  "]), ("firstName", &["Jane"])], &[]);
    assert_eq!(
        read(&blank, &names).unwrap().first_name,
        None,
        "present but blank: no name, no fall-through"
    );
}

#[test]
fn groups_are_trimmed_and_deduplicated_in_order() {
    let a = assertion(&[("groups", &["b", " a ", "b", ""])], &[]);
    let p = read(&a, &AttributeNames::default()).unwrap();
    assert_eq!(p.groups, Groups::Listed(vec!["b".into(), "a".into()]));
}

#[test]
fn markup_and_oversize_values_are_refused_not_skipped() {
    let names = AttributeNames::default();
    let markup = assertion(&[("groups", &["Braze-Users"])], &["firstName"]);
    assert_eq!(
        read(&markup, &names),
        Err(ProfileError::Markup("firstName".into()))
    );
    let markup_groups = assertion(&[], &["groups"]);
    assert_eq!(
        read(&markup_groups, &names),
        Err(ProfileError::Markup("groups".into()))
    );
    let long = "x".repeat(257);
    let a = assertion(&[("lastName", &[long.as_str()])], &[]);
    assert_eq!(
        read(&a, &names),
        Err(ProfileError::TooLong("lastName".into()))
    );
    let many: Vec<String> = (0..1001).map(|i| format!("g{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let a = assertion(&[("groups", &many)], &[]);
    assert_eq!(
        read(&a, &names),
        Err(ProfileError::TooLong("groups".into()))
    );
    let ok = "é".repeat(256);
    let a = assertion(&[("lastName", &[ok.as_str()])], &[]);
    assert!(read(&a, &names).is_ok(), "256 characters, not bytes");
}
