use super::*;
use crate::ScimType;

fn body(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

#[test]
fn users_parse() {
    let u = parse(&body(json!({
        "schemas": [USER_SCHEMA],
        "userName": "Jane@Example.com",
        "name": {"givenName": "Jane", "familyName": "Doe", "formatted": "Jane Doe"},
        "emails": [{"value": "jane@example.com", "type": "work", "primary": true}],
        "externalId": "00u1",
        "active": "False",
        "displayName": "Jane Doe",
        "password": "s3cret",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
    })))
    .unwrap();
    assert_eq!(
        u,
        User {
            user_name: "jane@example.com".into(),
            external_id: Some("00u1".into()),
            given_name: Some("Jane".into()),
            family_name: Some("Doe".into()),
            emails: vec![crate::emails::Email {
                value: "jane@example.com".into(),
                kind: Some("work".into()),
                display: None,
                primary: true,
            }],
            active: false,
        }
    );
    let minimal = parse(&body(
        json!({"schemas": [USER_SCHEMA], "USERNAME": "a@b.co"}),
    ))
    .unwrap();
    assert!(minimal.active);
    assert_eq!(minimal.given_name, None);
}

#[test]
fn users_refused() {
    #[rustfmt::skip]
    let table: Vec<(Value, ScimType)> = vec![
        (json!({"userName": "a@b.co"}), ScimType::InvalidSyntax),
        (json!({"schemas": [USER_SCHEMA]}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": "not-an-email"}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": 7}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "active": "maybe"}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "favouriteColour": "red"}), ScimType::InvalidSyntax),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "username": "c@d.co"}), ScimType::InvalidSyntax),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "name": "Jane"}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "name": {"nick": "J"}}), ScimType::InvalidPath),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "emails": [{"value": 3}]}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "emails": {"value": "x"}}), ScimType::InvalidValue),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "emails": [{"value": "a@b.co", "home": 1}]}), ScimType::InvalidPath),
        (json!({"schemas": [USER_SCHEMA, "urn:evil"], "userName": "a@b.co"}), ScimType::InvalidSyntax),
        (json!({"schemas": [USER_SCHEMA], "userName": "a@b.co", "externalId": 12}), ScimType::InvalidValue),
    ];
    for (doc, want) in table {
        let e = parse(&body(doc.clone())).unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(want)),
            "{doc}: {}",
            e.detail
        );
    }
}

#[test]
fn users_render_and_diff() {
    let r = UserRecord {
        id: "ab12".into(),
        user: User {
            user_name: "jane@example.com".into(),
            external_id: None,
            given_name: Some("Jane".into()),
            family_name: None,
            emails: crate::emails::parse_list(
                &json!([{"value": "jane@example.com", "type": "work", "primary": true}]),
            )
            .unwrap(),
            active: true,
        },
        created: "2026-01-01T00:00:00.000Z".into(),
        last_modified: "2026-01-02T00:00:00.000Z".into(),
    };
    let doc = render(&r, "https://sp/scim/v2/acme");
    assert_eq!(doc["id"], "ab12");
    assert_eq!(
        doc["meta"]["location"],
        "https://sp/scim/v2/acme/Users/ab12"
    );
    assert_eq!(doc["name"], json!({"givenName": "Jane"}));
    assert_eq!(doc["emails"][0]["value"], "jane@example.com");
    assert!(doc.get("externalId").is_none());
    // What is rendered parses back to the same user.
    assert_eq!(parse(&body(doc)).unwrap(), r.user);
    let mut after = r.user.clone();
    after.active = false;
    after.family_name = Some("Doe".into());
    assert_eq!(changed(&r.user, &after), vec!["name.familyName", "active"]);
}
