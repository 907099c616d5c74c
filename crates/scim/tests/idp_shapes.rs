//! The request shapes of Okta's and Entra ID's SCIM documentation (tests/fixtures), and what each
//! one means here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scim::group::{self, Group};
use scim::patch::{self, apply_group, apply_user};
use scim::user::{self, User};
use scim::{GROUP_SCHEMA, USER_SCHEMA};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn patch_user(u: &User, name: &str) -> User {
    let ops = patch::parse(&fixture(name), USER_SCHEMA).unwrap();
    apply_user(u, &ops).unwrap()
}

fn patch_group(g: &Group, name: &str) -> Group {
    let ops = patch::parse(&fixture(name), GROUP_SCHEMA).unwrap();
    apply_group(g, &ops).unwrap()
}

#[test]
fn okta_user_lifecycle() {
    let u = user::parse(&fixture("okta_create_user.json")).unwrap();
    assert_eq!(u.user_name, "test.user@okta.example");
    assert_eq!(u.external_id.as_deref(), Some("00ujl29u0le5T6Aj10h7"));
    assert_eq!((u.given_name.as_deref(), u.active), (Some("Test"), true));
    let off = patch_user(&u, "okta_deactivate_user.json");
    assert!(!off.active);
    assert_eq!(user::changed(&u, &off), vec!["active"]);
    let on = patch_user(&off, "okta_reactivate_user.json");
    assert_eq!(on, u);
    let replaced = user::parse(&fixture("okta_replace_user.json")).unwrap();
    assert_eq!(user::changed(&u, &replaced), vec!["name.givenName"]);
    // Okta's password is accepted and not kept anywhere.
    assert!(!format!("{replaced:?}").contains("1mz050nq"));
}

#[test]
fn okta_group_push() {
    let g = group::parse(&fixture("okta_create_group.json")).unwrap();
    assert_eq!(
        (g.display_name.as_str(), g.members.len()),
        ("Test SCIMv2", 0)
    );
    let g = patch_group(&g, "okta_rename_group.json");
    assert_eq!(g.display_name, "Test SCIMv2 renamed");
    let g = patch_group(&g, "okta_add_members.json");
    assert_eq!(g.members, vec!["u1"]);
    let g = patch_group(&g, "okta_add_members.json");
    assert_eq!(g.members, vec!["u1"], "a retried add changes nothing");
    let g = patch_group(&g, "okta_replace_members.json");
    assert_eq!(g.members, vec!["u2"]);
    let g = patch_group(&g, "okta_add_members.json");
    let g = patch_group(&g, "okta_remove_member.json");
    assert_eq!(g.members, vec!["u2"]);
    let g = patch_group(&g, "okta_remove_member.json");
    assert_eq!(g.members, vec!["u2"], "a retried remove changes nothing");
}

#[test]
fn entra_user_lifecycle() {
    let u = user::parse(&fixture("entra_create_user.json")).unwrap();
    assert_eq!(
        u.user_name,
        "test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.example"
    );
    assert_eq!(u.family_name.as_deref(), Some("familyName"));
    let updated = patch_user(&u, "entra_update_user.json");
    assert_eq!(
        user::changed(&u, &updated),
        vec!["name.familyName", "emails"]
    );
    assert_eq!(updated.emails[0].value, "updatedEmail@contoso.example");
    assert_eq!(
        updated.user_name, u.user_name,
        "the account's email is the userName"
    );
    let off = patch_user(&updated, "entra_disable_user.json");
    assert!(!off.active);
    let on = patch_user(&off, "entra_value_object.json");
    assert!(on.active);
    assert_eq!(on.given_name.as_deref(), Some("Barbara"));
}

#[test]
fn entra_group_push() {
    let g = group::parse(&fixture("entra_create_group.json")).unwrap();
    assert_eq!(
        g.external_id.as_deref(),
        Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
    );
    let g = patch_group(&g, "entra_add_member.json");
    assert_eq!(g.members, vec!["u1"]);
    let g = patch_group(&g, "entra_rename_group.json");
    assert!(g.display_name.ends_with("updatedDisplayName"));
    let g = patch_group(&g, "entra_remove_member.json");
    assert!(g.members.is_empty());
}
