#![allow(clippy::type_complexity)] // the tables

use serde_json::json;

use super::*;
use crate::ScimType;

fn user() -> User {
    User {
        user_name: "jane@x.com".into(),
        external_id: Some("00u1".into()),
        given_name: Some("Jane".into()),
        family_name: Some("Doe".into()),
        emails: vec![crate::emails::Email {
            value: "jane@x.com".into(),
            kind: Some("work".into()),
            display: None,
            primary: true,
        }],
        active: true,
    }
}

fn ops(list: Value, schema: &str) -> Result<Vec<Operation>, ScimError> {
    let body = json!({"schemas": [PATCH_SCHEMA], "Operations": list});
    parse(body.to_string().as_bytes(), schema)
}

fn patch_user(list: Value) -> Result<User, ScimError> {
    apply_user(&user(), &ops(list, USER_SCHEMA)?)
}

#[test]
fn user_patches() {
    #[rustfmt::skip]
    let table: Vec<(&str, Value, fn(&mut User))> = vec![
        ("replace active", json!([{"op": "replace", "path": "active", "value": false}]), |u| u.active = false),
        ("Entra: Replace, string boolean", json!([{"op": "Replace", "path": "active", "value": "False"}]), |u| u.active = false),
        ("Okta: value object", json!([{"op": "replace", "value": {"active": false}}]), |u| u.active = false),
        ("add behaves as replace", json!([{"op": "add", "path": "name.givenName", "value": "Janet"}]), |u| u.given_name = Some("Janet".into())),
        ("remove a name part", json!([{"op": "remove", "path": "name.familyName"}]), |u| u.family_name = None),
        ("name object merges", json!([{"op": "replace", "path": "name", "value": {"familyName": "Roe"}}]), |u| u.family_name = Some("Roe".into())),
        ("remove name", json!([{"op": "remove", "path": "name"}]), |u| { u.given_name = None; u.family_name = None }),
        ("userName lower-cased", json!([{"op": "replace", "path": "userName", "value": "Jane.Doe@X.com"}]), |u| u.user_name = "jane.doe@x.com".into()),
        ("remove externalId", json!([{"op": "remove", "path": "externalId"}]), |u| u.external_id = None),
        ("URN-qualified path", json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "value": "J"}]), |u| u.given_name = Some("J".into())),
        ("Entra: dotted keys in a value object", json!([{"op": "Add", "value": {"name.givenName": "B", "active": "True"}}]), |u| u.given_name = Some("B".into())),
        ("ignored attributes", json!([{"op": "replace", "path": "displayName", "value": "J D"}, {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"}]), |_| {}),
        ("emails filter path", json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "x@y.com"}]), |u| u.emails[0].value = "x@y.com".into()),
        ("remove emails", json!([{"op": "remove", "path": "emails"}]), |u| u.emails.clear()),
        ("several ops in order", json!([{"op": "replace", "path": "active", "value": false}, {"op": "replace", "path": "active", "value": true}]), |_| {}),
    ];
    for (case, list, change) in table {
        let mut want = user();
        change(&mut want);
        assert_eq!(patch_user(list).map_err(|e| e.detail), Ok(want), "{case}");
    }
}

#[test]
fn user_patches_refused() {
    #[rustfmt::skip]
    let table: Vec<(&str, Value, ScimType)> = vec![
        ("remove without path", json!([{"op": "remove"}]), ScimType::NoTarget),
        ("unknown op", json!([{"op": "move", "path": "active", "value": true}]), ScimType::InvalidSyntax),
        ("add without value", json!([{"op": "add", "path": "active"}]), ScimType::InvalidValue),
        ("active not boolean", json!([{"op": "replace", "path": "active", "value": "nope"}]), ScimType::InvalidValue),
        ("remove active", json!([{"op": "remove", "path": "active"}]), ScimType::Mutability),
        ("remove userName", json!([{"op": "remove", "path": "userName"}]), ScimType::Mutability),
        ("unknown attribute", json!([{"op": "replace", "path": "shoeSize", "value": 42}]), ScimType::InvalidPath),
        ("unknown in value object", json!([{"op": "replace", "value": {"shoeSize": 42}}]), ScimType::InvalidPath),
        ("bad path syntax", json!([{"op": "replace", "path": "name[", "value": 1}]), ScimType::InvalidPath),
        ("filter with and", json!([{"op": "replace", "path": "emails[type eq \"work\" and primary eq true].value", "value": "a@b.co"}]), ScimType::InvalidPath),
        ("id is read-only", json!([{"op": "replace", "path": "id", "value": "x"}]), ScimType::Mutability),
        ("groups are read-only", json!([{"op": "add", "path": "groups", "value": []}]), ScimType::Mutability),
        ("value without path not an object", json!([{"op": "replace", "value": false}]), ScimType::InvalidValue),
        ("bad userName", json!([{"op": "replace", "path": "userName", "value": "nobody"}]), ScimType::InvalidValue),
        ("no operations", json!([]), ScimType::TooMany),
        ("not an array", json!({"op": "add"}), ScimType::InvalidSyntax),
        ("unknown member", json!([{"op": "add", "path": "active", "value": true, "extra": 1}]), ScimType::InvalidSyntax),
        ("path not a string", json!([{"op": "add", "path": 3, "value": true}]), ScimType::InvalidPath),
    ];
    for (case, list, want) in table {
        let e = patch_user(list).unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(want)),
            "{case}: {}",
            e.detail
        );
    }
    let wrong_schema =
        json!({"schemas": [USER_SCHEMA], "Operations": [{"op": "remove", "path": "name"}]});
    assert!(parse(wrong_schema.to_string().as_bytes(), USER_SCHEMA).is_err());
    let many: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|_| json!({"op": "remove", "path": "name"}))
        .collect();
    assert_eq!(
        patch_user(Value::Array(many)).unwrap_err().scim_type,
        Some(ScimType::TooMany)
    );
}

fn group() -> Group {
    Group {
        display_name: "Eng".into(),
        external_id: None,
        members: vec!["u1".into(), "u2".into()],
    }
}

#[test]
fn group_patches() {
    #[rustfmt::skip]
    let table: Vec<(&str, Value, Result<Vec<&str>, ScimType>)> = vec![
        ("add", json!([{"op": "add", "path": "members", "value": [{"value": "u3"}]}]), Ok(vec!["u1", "u2", "u3"])),
        ("add twice is one", json!([{"op": "Add", "path": "members", "value": [{"value": "u1"}, {"value": "u3"}, {"value": "u3"}]}]), Ok(vec!["u1", "u2", "u3"])),
        ("replace", json!([{"op": "replace", "path": "members", "value": [{"value": "u9"}]}]), Ok(vec!["u9"])),
        ("Okta remove by filter", json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]), Ok(vec!["u2"])),
        ("remove absent member is a no-op", json!([{"op": "remove", "path": "members[value eq \"zz\"]"}]), Ok(vec!["u1", "u2"])),
        ("Entra remove with value", json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}]}]), Ok(vec!["u1"])),
        ("remove all", json!([{"op": "remove", "path": "members"}]), Ok(vec![])),
        ("value object members", json!([{"op": "add", "value": {"members": [{"value": "u4"}]}}]), Ok(vec!["u1", "u2", "u4"])),
        ("bad member id", json!([{"op": "add", "path": "members", "value": [{"value": "u 1"}]}]), Err(ScimType::InvalidValue)),
        ("filter on other sub", json!([{"op": "remove", "path": "members[display eq \"x\"]"}]), Err(ScimType::InvalidPath)),
        ("add with filter", json!([{"op": "add", "path": "members[value eq \"u1\"]", "value": {"value": "u1"}}]), Err(ScimType::InvalidPath)),
        ("unknown attribute", json!([{"op": "add", "path": "owners", "value": []}]), Err(ScimType::InvalidPath)),
        ("remove displayName", json!([{"op": "remove", "path": "displayName"}]), Err(ScimType::Mutability)),
    ];
    for (case, list, want) in table {
        let got = ops(list, GROUP_SCHEMA).and_then(|o| apply_group(&group(), &o));
        let got = got
            .map(|g| g.members)
            .map_err(|e| e.scim_type.unwrap_or(ScimType::Sensitive));
        let want = want.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
        assert_eq!(got, want, "{case}");
    }
    let renamed = ops(
        json!([{"op": "replace", "value": {"id": "g1", "displayName": "Platform"}}]),
        GROUP_SCHEMA,
    )
    .and_then(|o| apply_group(&group(), &o))
    .unwrap();
    assert_eq!(renamed.display_name, "Platform");
}

#[test]
fn paths() {
    let p = parse_path("emails[type eq \"work\"].value", USER_SCHEMA).unwrap();
    assert_eq!(p.attr, "emails");
    assert_eq!(p.filter, Some(("type".into(), json!("work"))));
    assert_eq!(p.sub.as_deref(), Some("value"));
    let p = parse_path("members[value eq \"2819c223\"]", GROUP_SCHEMA).unwrap();
    assert_eq!((p.attr.as_str(), p.sub), ("members", None));
    for bad in [
        "",
        "a b",
        "name.given.x",
        "emails[type eq \"w\"]x",
        "emails[type gt \"w\"]",
        "emails[type eq w]",
        "a]",
        "emails[type eq \"w\"].value.x",
    ] {
        assert!(parse_path(bad, USER_SCHEMA).is_err(), "{bad:?}");
    }
}
