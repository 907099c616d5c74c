//! The admin and support use cases against the in-memory ports, table-driven.
#![allow(clippy::type_complexity)] // the tables

use pollster::block_on;
use saml_verify::Timestamp;

use super::company::{change_security, put_settings, settings_with_domains};
use super::sign_in_page::{shows_sso_button, sso_button_for};
use super::tokens::{bearer_role, create_token, revoke_token, token_owner};
use super::users::{create_user, NewUser};
use super::*;
use crate::admin::{Role, SecurityChange};
use crate::memory::{MemoryDirectory, MemorySettings};
use crate::ports::{AdminDirectory, SettingsStore};
use crate::settings::CompanySettings;
use crate::tokens::TokenKind::{Admin as AdminToken, Scim as ScimToken};

pub(super) const NOW: Timestamp = Timestamp(1_767_225_600_000);

pub(super) fn doc(enabled: bool) -> CompanySettings {
    let json = format!(
        r#"{{"version":1,"display_name":"Acme","dashboard_url":"https://dash.example","saml":{{"idp_entity_id":"https://idp","idp_certificates":[]}},
        "provisioning":{{"enabled":{enabled},"default_workspace":"main","default_permission_set":"member"}},
        "workspaces":[{{"id":"main","name":"Main"}},{{"id":"ops","name":"Ops"}}],
        "permission_sets":[{{"id":"member","name":"Member"}},{{"id":"admin","name":"Admin","admin":true}}]}}"#
    );
    CompanySettings::parse(json.as_bytes()).unwrap()
}

/// Company `acme` put by Support, with the document `doc(enabled)`.
pub(super) fn world(enabled: bool) -> (MemorySettings, MemoryDirectory) {
    let (s, d) = (MemorySettings::default(), MemoryDirectory::default());
    block_on(put_settings(&s, &d, "acme", doc(enabled))).unwrap();
    (s, d)
}

fn admin(company: &str) -> Role {
    Role::Admin {
        company: company.into(),
    }
}

fn change(f: impl FnOnce(&mut SecurityChange)) -> SecurityChange {
    let mut c = SecurityChange::default();
    f(&mut c);
    c
}

#[test]
fn security_changes_by_role() {
    #[rustfmt::skip]
    let table: Vec<(&str, bool, Role, SecurityChange, Result<(), Code>)> = vec![
        ("admin turns provisioning on", false, admin("acme"), change(|c| c.provisioning_enabled = Some(true)), Ok(())),
        ("admin may not turn it off", true, admin("acme"), change(|c| c.provisioning_enabled = Some(false)), Err(Code::SupportOnly)),
        ("support turns it off", true, Role::Support, change(|c| c.provisioning_enabled = Some(false)), Ok(())),
        ("exception domains are support's", true, admin("acme"), change(|c| c.exception_domains = Some(vec!["x.eu".into()])), Err(Code::SupportOnly)),
        ("SHA-1 is support's", true, admin("acme"), change(|c| c.allow_sha1 = Some(true)), Err(Code::SupportOnly)),
        ("another company's admin", false, admin("other"), change(|c| c.default_workspace = Some("ops".into())), Err(Code::Forbidden)),
        ("a default that does not exist", true, admin("acme"), change(|c| c.default_workspace = Some("gone".into())), Err(Code::InvalidField)),
        ("admin picks an existing default", true, admin("acme"), change(|c| c.default_workspace = Some("ops".into())), Ok(())),
    ];
    for (case, enabled, role, ch, want) in table {
        let (s, _) = world(enabled);
        let before = block_on(s.company("acme")).unwrap();
        let got = block_on(change_security(&s, "acme", &role, &ch));
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(|e| e.code()),
            want,
            "{case}"
        );
        let after = block_on(s.company("acme")).unwrap();
        match got {
            Ok(next) => assert_eq!(after, Some(next), "{case}: stored"),
            Err(_) => assert_eq!(after, before, "{case}: nothing written"),
        }
    }
    let none = block_on(change_security(
        &MemorySettings::default(),
        "acme",
        &Role::Support,
        &SecurityChange::default(),
    ));
    assert_eq!(none.unwrap_err(), AdminError::CompanyUnknown);
}

fn new_user(email: &str, confirmed: bool, impersonation: bool) -> NewUser {
    NewUser {
        email: email.into(),
        confirmed,
        impersonation,
        workspace: None,
        permission_set: None,
    }
}

#[test]
fn users_are_checked_and_only_counting_users_feed_the_mirror() {
    let with = |ws: &str, ps: &str| NewUser {
        workspace: Some(ws.into()),
        permission_set: Some(ps.into()),
        ..new_user("jon@decorumsoft.com", true, false)
    };
    #[rustfmt::skip]
    let table: Vec<(&str, NewUser, Result<&[&str], (Code, &str)>)> = vec![
        ("confirmed user: its domain qualifies", new_user(" Jon@DecorumSoft.com ", true, false), Ok(&["decorumsoft.com"])),
        ("unconfirmed: no", new_user("jon@decorumsoft.com", false, false), Ok(&[])),
        ("impersonation: no", new_user("jon@decorumsoft.com", true, true), Ok(&[])),
        ("not an email", new_user("jon", true, false), Err((Code::InvalidField, "email"))),
        ("workspace removed from the document", with("gone", "member"), Err((Code::InvalidField, "workspace"))),
        ("permission set that does not exist", with("main", "gone"), Err((Code::InvalidField, "permission_set"))),
        ("existing workspace and set", with("ops", "admin"), Ok(&["decorumsoft.com"])),
    ];
    for (case, nu, want) in table {
        let (s, d) = world(true);
        let settings = doc(true);
        let got = block_on(create_user(&s, &d, &settings, ("acme", "u1"), nu, NOW));
        match (got, want) {
            (Ok(c), Ok(domains)) => {
                assert_eq!(c.user.email, "jon@decorumsoft.com", "{case}");
                assert!(c.mirror_error.is_none(), "{case}");
                let mirror = block_on(s.company("acme"))
                    .unwrap()
                    .unwrap()
                    .provisionable_domains;
                assert_eq!(mirror, domains, "{case}");
            }
            (Err(AdminError::Invalid(e)), Err((Code::InvalidField, field))) => {
                assert_eq!(e.field, field, "{case}")
            }
            (got, want) => panic!("{case}: {got:?}, wanted {want:?}"),
        }
    }
    let (s, d) = world(true);
    let again = || {
        block_on(create_user(
            &s,
            &d,
            &doc(true),
            ("acme", "u1"),
            new_user("a@b.com", true, false),
            NOW,
        ))
    };
    assert!(again().is_ok());
    assert_eq!(again().unwrap_err().code(), Code::UserExists);
}

#[test]
fn put_and_get_take_the_domains_from_the_directory_not_the_document() {
    let (s, d) = world(true);
    d.add_user("acme", "jane@decorumsoft.com", true, false);
    d.add_user("acme", "imp@other.com", true, true);
    let mut claimed = doc(true);
    claimed.provisionable_domains = vec!["evil.com".into()];
    let put = block_on(put_settings(&s, &d, "acme", claimed)).unwrap();
    assert_eq!(put.provisionable_domains, ["decorumsoft.com"]);
    d.add_user("acme", "x@later.com", true, false);
    let got = block_on(settings_with_domains(&s, &d, "acme")).unwrap();
    assert_eq!(got.provisionable_domains, ["decorumsoft.com", "later.com"]);
    assert!(block_on(d.is_admin_set("acme", "admin")).unwrap());
    assert!(!block_on(d.is_admin_set("acme", "member")).unwrap());
    *d.fail_on.borrow_mut() = Some("replace_catalog");
    let failed = block_on(put_settings(&s, &d, "acme", doc(false)));
    assert_eq!(failed.unwrap_err().code(), Code::StoreUnavailable);
    assert!(
        block_on(s.company("acme"))
            .unwrap()
            .unwrap()
            .provisioning
            .enabled,
        "not stored"
    );
}

#[test]
fn tokens_name_their_company_until_revoked() {
    let (_, d) = world(true);
    let token = block_on(create_token(&d, AdminToken, "acme", "0a1b", "ffee", NOW)).unwrap();
    #[rustfmt::skip]
    let table: Vec<(&str, &str, Option<Role>)> = vec![
        ("support secret", "support-secret", Some(Role::Support)),
        ("the admin token", &token, Some(admin("acme"))),
        ("wrong secret", "sat_0a1b.ffef", None),
        ("unknown id", "sat_0a1c.ffee", None),
        ("not a token", "bearer", None),
    ];
    for (case, presented, want) in table {
        assert_eq!(
            block_on(bearer_role(&d, presented, "support-secret")).unwrap(),
            want,
            "{case}"
        );
    }
    assert_eq!(
        block_on(bearer_role(&d, "", "")).unwrap(),
        None,
        "no support secret set"
    );
    assert_eq!(
        block_on(revoke_token(&d, AdminToken, "other", "0a1b", NOW))
            .unwrap_err()
            .code(),
        Code::TokenUnknown
    );
    block_on(revoke_token(&d, AdminToken, "acme", "0a1b", NOW)).unwrap();
    assert_eq!(
        block_on(bearer_role(&d, &token, "support-secret")).unwrap(),
        None,
        "revoked"
    );
    assert_eq!(
        block_on(revoke_token(&d, AdminToken, "acme", "0a1b", NOW))
            .unwrap_err()
            .code(),
        Code::TokenUnknown
    );
    let listed = block_on(d.tokens(AdminToken, "acme")).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].revoked_at.is_some());
}

#[test]
fn scim_tokens_name_their_company_and_are_no_admin_tokens() {
    let (_, d) = world(true);
    let scim = block_on(create_token(&d, ScimToken, "acme", "5c11", "beef", NOW)).unwrap();
    assert_eq!(scim, "scim_5c11.beef");
    let owner = |t: &str| block_on(token_owner(&d, ScimToken, t)).unwrap();
    assert_eq!(owner(&scim), Some(("acme".into(), "5c11".into())));
    assert_eq!(owner("scim_5c11.beee"), None, "wrong secret");
    assert_eq!(owner("sat_5c11.beef"), None, "admin prefix");
    assert_eq!(
        block_on(bearer_role(&d, &scim, "support-secret")).unwrap(),
        None,
        "a SCIM token opens no admin route"
    );
    let admin_token = block_on(create_token(&d, AdminToken, "acme", "0a1b", "ffee", NOW)).unwrap();
    assert_eq!(owner(&admin_token), None, "an admin token is no SCIM token");
    assert_eq!(
        owner("scim_0a1b.ffee"),
        None,
        "an admin token's id and secret under the SCIM prefix"
    );
    let listed = block_on(d.tokens(ScimToken, "acme")).unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["5c11"]
    );
    assert_eq!(
        block_on(revoke_token(&d, AdminToken, "acme", "5c11", NOW))
            .unwrap_err()
            .code(),
        Code::TokenUnknown,
        "revoked as the other kind"
    );
    block_on(revoke_token(&d, ScimToken, "acme", "5c11", NOW)).unwrap();
    assert_eq!(owner(&scim), None, "revoked");
}

#[test]
fn session_admins_are_users_of_an_admin_permission_set() {
    let (s, d) = world(true);
    let with_set = |email: &str, set: &str| NewUser {
        workspace: Some("main".into()),
        permission_set: Some(set.into()),
        ..new_user(email, true, false)
    };
    block_on(create_user(
        &s,
        &d,
        &doc(true),
        ("acme", "u1"),
        with_set("boss@acme.com", "admin"),
        NOW,
    ))
    .unwrap();
    block_on(create_user(
        &s,
        &d,
        &doc(true),
        ("acme", "u2"),
        with_set("jon@acme.com", "member"),
        NOW,
    ))
    .unwrap();
    #[rustfmt::skip]
    let table = [("boss@acme.com", "acme", true), ("jon@acme.com", "acme", false), ("nobody@acme.com", "acme", false), ("boss@acme.com", "other", false)];
    for (email, company, want) in table {
        assert_eq!(
            block_on(caller::is_company_admin(&d, company, email, None)).unwrap(),
            want,
            "{email} {company}"
        );
    }
}

#[test]
fn the_sso_button_is_for_returning_saml_users_only() {
    let (_, d) = world(true);
    d.add_user("acme", "new@acme.com", true, false);
    d.add_user("acme", "back@acme.com", true, false);
    if let Some(u) = d
        .users
        .borrow_mut()
        .get_mut(&("acme".into(), "back@acme.com".into()))
    {
        u.last_login_at = Some(NOW.to_string());
    }
    #[rustfmt::skip]
    let table = [
        ("returning SAML user", "acme", "Back@acme.com ", true),
        ("user who never signed in with SAML", "acme", "new@acme.com", false),
        ("no such user", "acme", "ghost@acme.com", false),
        ("another company", "other", "back@acme.com", false),
        ("malformed company", "ac/me", "back@acme.com", false),
    ];
    for (case, company, email, want) in table {
        assert_eq!(block_on(sso_button_for(&d, company, email)), want, "{case}");
    }
    assert!(!shows_sso_button(None));
    *d.fail_on.borrow_mut() = Some("user");
    assert!(
        !block_on(sso_button_for(&d, "acme", "back@acme.com")),
        "store failure: no button"
    );
}

#[test]
fn metadata_sources_and_limits() {
    use super::metadata::{import, source, Source};
    #[rustfmt::skip]
    let table: Vec<(&str, Option<&str>, Option<&str>, bool, Result<Source, &str>)> = vec![
        ("nothing", None, None, false, Ok(Source::None)),
        ("pasted wins", Some("<x/>"), Some("https://idp/md"), false, Ok(Source::Pasted(b"<x/>".to_vec()))),
        ("https URL", None, Some("https://idp.example/md"), false, Ok(Source::Fetch("https://idp.example/md".into()))),
        ("http refused in production", None, Some("http://idp.example/md"), false, Err("idp_metadata_url")),
        ("http on a loopback origin", None, Some("http://127.0.0.1:9/md"), true, Ok(Source::Fetch("http://127.0.0.1:9/md".into()))),
        ("not an URL", None, Some("https://"), false, Err("idp_metadata_url")),
    ];
    for (case, xml, url, loopback, want) in table {
        let mut c = SecurityChange {
            idp_metadata_xml: xml.map(Into::into),
            idp_metadata_url: url.map(Into::into),
            ..Default::default()
        };
        assert_eq!(
            source(&mut c, loopback).map_err(|e| e.field),
            want.map_err(str::to_owned),
            "{case}"
        );
    }
    let mut c = SecurityChange::default();
    let big = vec![b' '; metadata::MAX_METADATA_BYTES + 1];
    assert_eq!(
        import(&mut c, &big, None).unwrap_err().reason,
        "metadata over 256 KiB"
    );
    let e = import(&mut c, b"<nope/>", Some("https://idp.example/md")).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.reason.as_str()),
        ("idp_metadata_url", "the URL did not return IdP metadata")
    );
    assert_eq!(
        import(&mut c, b"<nope/>", None).unwrap_err().field,
        "idp_metadata_xml"
    );
    assert_eq!(c, SecurityChange::default(), "nothing set on failure");
}

#[test]
fn changed_paths_name_the_settings_never_their_values() {
    let before = doc(true);
    let mut after = before.clone();
    after.saml.idp_entity_id = "https://other/".into();
    after.group_mappings.require_match = true;
    assert_eq!(
        crate::admin::changed_paths(&before, &after),
        ["group_mappings", "saml.idp_entity_id"]
    );
    assert!(crate::admin::changed_paths(&before, &before).is_empty());
}
