//! The SCIM endpoints (`jit::scim_api::handle`) end to end against a real SQLite with
//! `migrations/` applied (tests/sqlite_serve.py, as D1 runs statements): Okta- and Entra-shaped
//! sequences from the IdPs' documented request shapes, tokens, the domain rule, deactivation and
//! sessions, groups feeding the group mappings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scim_world;

use jit::scim_api::{session, Method, Sql};
use jit::session::Claims;
use jit::tokens::TokenKind;
use jit::usecases::tokens::{create_token, revoke_token};
use pollster::block_on;
use scim_world::{fixture, World, NOW};
use serde_json::{json, Value as Json};

#[test]
fn tokens_reach_only_their_company() {
    let w = World::new(json!({}));
    let admin = block_on(create_token(
        &w.tokens,
        TokenKind::Admin,
        "acme",
        "0a1b",
        "ffee",
        NOW,
    ))
    .unwrap();
    let other = block_on(create_token(
        &w.tokens,
        TokenKind::Scim,
        "other",
        "07e4",
        "cafe",
        NOW,
    ))
    .unwrap();
    for (case, token, company) in [
        ("no token", "", "acme"),
        ("an admin token", admin.as_str(), "acme"),
        ("company B's token at A", other.as_str(), "acme"),
        ("A's token at B", w.token.as_str(), "other"),
        ("garbage", "scim_5c11.beee", "acme"),
    ] {
        let r = w.call_as(token, company, Method::Get, "Users", Json::Null);
        assert_eq!(r.status, 401, "{case}");
        assert_eq!(r.body.unwrap()["schemas"][0], scim::ERROR_SCHEMA, "{case}");
    }
    assert_eq!(w.call(Method::Get, "Users", Json::Null).status, 200);
    block_on(revoke_token(
        &w.tokens,
        TokenKind::Scim,
        "acme",
        "5c11",
        NOW,
    ))
    .unwrap();
    assert_eq!(
        w.call(Method::Get, "Users", Json::Null).status,
        401,
        "revoked"
    );
}

#[test]
fn okta_sequence() {
    let w = World::new(json!({}));
    let created = w.ok(Method::Post, "Users", fixture("okta_create_user.json"), 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["userName"], "test.user@okta.example");
    assert!(
        !created.to_string().contains("1mz050nq"),
        "the password is never echoed"
    );
    let found = w.ok(
        Method::Get,
        "Users?filter=userName%20eq%20%22TEST.user%40okta.example%22&startIndex=1&count=100",
        Json::Null,
        200,
    );
    assert_eq!(
        (
            found["totalResults"].as_u64(),
            found["Resources"][0]["id"].as_str()
        ),
        (Some(1), Some(id.as_str()))
    );
    // Okta retries: the same create again is a uniqueness conflict, nothing written.
    let again = w.call(Method::Post, "Users", fixture("okta_create_user.json"));
    assert_eq!(
        (again.status, again.body.unwrap()["scimType"].as_str()),
        (409, Some("uniqueness"))
    );
    let path = format!("Users/{id}");
    let off = w.ok(
        Method::Patch,
        &path,
        fixture("okta_deactivate_user.json"),
        200,
    );
    assert_eq!(off["active"], false);
    w.ok(
        Method::Patch,
        &path,
        fixture("okta_deactivate_user.json"),
        200,
    ); // retried: no write
    let claims = Claims {
        company: "acme".into(),
        email: "test.user@okta.example".into(),
        iat: NOW.unix_seconds() - 10,
        exp: NOW.unix_seconds() + 3600,
        sid: None,
        uid: Some(id.clone()),
    };
    assert_eq!(
        block_on(session::current(&w.db, &claims)).unwrap(),
        None,
        "deactivated"
    );
    let on = w.ok(
        Method::Patch,
        &path,
        fixture("okta_reactivate_user.json"),
        200,
    );
    assert_eq!(on["active"], true);
    assert_eq!(
        block_on(session::current(&w.db, &claims)).unwrap(),
        None,
        "a session from before the deactivation stays refused"
    );
    let fresh = Claims {
        iat: NOW.unix_seconds() + 1,
        ..claims.clone()
    };
    let by_email = Claims {
        uid: None,
        ..fresh.clone()
    };
    assert_eq!(
        block_on(session::current(&w.db, &by_email))
            .unwrap()
            .unwrap()["id"],
        id.as_str(),
        "a session of before uid, by email"
    );
    assert_eq!(
        block_on(session::current(&w.db, &fresh)).unwrap().unwrap()["id"],
        id.as_str()
    );
    let replaced = w.ok(Method::Put, &path, fixture("okta_replace_user.json"), 200);
    assert_eq!(replaced["name"]["givenName"], "Another");
    let events: Vec<(String, String, String)> = w.audit();
    let want = [
        (
            "created",
            "fields: userName, externalId, name.givenName, name.familyName, emails, active",
        ),
        ("deactivated", "fields: active"),
        ("reactivated", "fields: active"),
        ("updated", "fields: name.givenName"),
    ];
    assert_eq!(events.len(), want.len(), "{events:?}");
    for ((event, actor, detail), (we, wd)) in events.iter().zip(want) {
        assert_eq!(
            (event.as_str(), actor.as_str(), detail.as_str()),
            (we, "scim:5c11", wd)
        );
    }
    let mem = w.db.query("SELECT workspace, permission_set FROM memberships WHERE user_id = (SELECT id FROM users WHERE email = 'test.user@okta.example')");
    assert_eq!(mem.len(), 1, "a SCIM user gets the default membership");
    w.ok(Method::Delete, &path, Json::Null, 204);
    assert_eq!(w.call(Method::Get, &path, Json::Null).status, 404);
    let row = &w
        .db
        .query("SELECT active, scim_deleted FROM users WHERE email = 'test.user@okta.example'")[0];
    assert_eq!(
        (row["active"].as_i64(), row["scim_deleted"].as_i64()),
        (Some(0), Some(1))
    );
}

#[test]
fn entra_sequence() {
    let w = World::new(json!({}));
    let created = w.ok(
        Method::Post,
        "Users",
        fixture("entra_create_user.json"),
        201,
    );
    let path = format!("Users/{}", created["id"].as_str().unwrap());
    let updated = w.ok(Method::Patch, &path, fixture("entra_update_user.json"), 200);
    assert_eq!(updated["name"]["familyName"], "updatedFamilyName");
    let off = w.ok(
        Method::Patch,
        &path,
        fixture("entra_disable_user.json"),
        200,
    );
    assert_eq!(off["active"], false);
    let on = w.ok(
        Method::Patch,
        &path,
        fixture("entra_value_object.json"),
        200,
    );
    assert_eq!(
        (on["active"].as_bool(), on["name"]["givenName"].as_str()),
        (Some(true), Some("Barbara"))
    );
    // Entra deletes, then re-assigns the same person: the row comes back, same id.
    w.ok(Method::Delete, &path, Json::Null, 204);
    let back = w.ok(
        Method::Post,
        "Users",
        fixture("entra_create_user.json"),
        201,
    );
    assert_eq!(back["id"], created["id"]);
    assert_eq!(w.user_count(), 3);
}

#[test]
fn the_domain_rule_is_no_back_door() {
    let w = World::new(json!({}));
    let before = w.user_count();
    for email in ["someone@gmail.com", "x@sub.okta.example"] {
        let r = w.call(
            Method::Post,
            "Users",
            json!({"schemas": [scim::USER_SCHEMA], "userName": email}),
        );
        assert_eq!(r.status, 403, "{email}");
        assert!(r.body.unwrap()["detail"]
            .as_str()
            .unwrap()
            .starts_with("domain_not_allowed"));
    }
    assert_eq!(w.user_count(), before, "nothing written");
    let ok = w.ok(
        Method::Post,
        "Users",
        json!({"schemas": [scim::USER_SCHEMA], "userName": "pat@partner.example"}),
        201,
    );
    // SCIM users never make their domain provisionable, exception domain or not.
    let counts = w.db.query("SELECT DISTINCT domain FROM users WHERE confirmed = 1 AND impersonation = 0 AND created_via <> 'scim' ORDER BY domain");
    assert_eq!(counts.len(), 2);
    // Moving a user to gmail.com is refused too.
    let r = w.call(Method::Patch, &format!("Users/{}", ok["id"].as_str().unwrap()),
        json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "userName", "value": "pat@gmail.com"}]}));
    assert_eq!(r.status, 403);
}

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let w = World::new(json!({}));
    let before = (w.user_count(), w.audit().len());
    #[rustfmt::skip]
    let table: Vec<(Method, &str, Json, u16, Option<&str>)> = vec![
        (Method::Post, "Users", json!({"userName": "a@okta.example"}), 400, Some("invalidSyntax")),
        (Method::Post, "Users", json!({"schemas": [scim::USER_SCHEMA], "userName": "nope"}), 400, Some("invalidValue")),
        (Method::Get, "Users?filter=userName%20co%20%22a%22", Json::Null, 400, Some("invalidFilter")),
        (Method::Get, "Users?filter=displayName%20eq%20%22a%22", Json::Null, 400, Some("invalidFilter")),
        (Method::Patch, "Users/a1", json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "remove"}]}), 400, Some("noTarget")),
        (Method::Patch, "Users/a1", json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "shoeSize", "value": 1}]}), 400, Some("invalidPath")),
        (Method::Get, "Users/nobody", Json::Null, 404, None),
        (Method::Get, "Widgets", Json::Null, 404, None),
        (Method::Post, "Groups", json!({"schemas": [scim::GROUP_SCHEMA], "displayName": "G", "members": [{"value": "nobody"}]}), 400, Some("invalidValue")),
    ];
    for (method, path, body, status, scim_type) in table {
        let r = w.call(method, path, body);
        let b = r.body.unwrap();
        assert_eq!(
            (r.status, b["scimType"].as_str()),
            (status, scim_type),
            "{method:?} {path}: {b}"
        );
    }
    assert_eq!((w.user_count(), w.audit().len()), before);
    let page = w.ok(Method::Get, "Users?startIndex=2&count=1", Json::Null, 200);
    assert_eq!(
        (
            page["totalResults"].as_u64(),
            page["itemsPerPage"].as_u64(),
            page["startIndex"].as_u64()
        ),
        (Some(2), Some(1), Some(2))
    );
    for doc in [
        "ServiceProviderConfig",
        "ResourceTypes",
        "Schemas",
        "ResourceTypes/User",
        &format!("Schemas/{}", scim::GROUP_SCHEMA),
    ] {
        w.ok(Method::Get, doc, Json::Null, 200);
    }
}

#[test]
fn groups_feed_the_group_mappings() {
    let rules = json!({"mode": "authoritative", "rules": [{"group": "Engineering", "workspace": "eng", "permission_set": "admin"},
                                                           {"group": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "workspace": "eng", "permission_set": "member"}]});
    let w = World::new(rules);
    let memberships = |id: &str| -> Vec<(String, String)> {
        w.db.query(&format!("SELECT workspace, permission_set FROM memberships WHERE user_id = '{id}' ORDER BY workspace"))
            .iter().map(|r| (r["workspace"].as_str().unwrap().into(), r["permission_set"].as_str().unwrap().into())).collect()
    };
    let g = w.ok(
        Method::Post,
        "Groups",
        fixture("okta_create_group.json"),
        201,
    );
    let gpath = format!("Groups/{}", g["id"].as_str().unwrap());
    w.ok(Method::Patch, &gpath, json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"id": g["id"], "displayName": "Engineering"}}]}), 200);
    w.ok(Method::Patch, &gpath, json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": "a1"}]}]}), 200);
    assert_eq!(memberships("a1"), [("eng".to_owned(), "admin".to_owned())]);
    let all = w.ok(Method::Get, "Groups", Json::Null, 200);
    let eng = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["displayName"] == "Engineering")
        .unwrap();
    assert_eq!(
        eng["members"],
        json!([{"value": "a1", "$ref": format!("{}/Users/a1", scim_world::BASE)}])
    );
    let only = w.ok(
        Method::Get,
        "Groups?attributes=displayName",
        Json::Null,
        200,
    );
    assert!(only["Resources"][0].get("members").is_none());
    let got = w.ok(
        Method::Get,
        "Groups?filter=displayName%20eq%20%22Engineering%22&excludedAttributes=members",
        Json::Null,
        200,
    );
    assert_eq!(got["totalResults"], 1);
    assert!(got["Resources"][0].get("members").is_none());
    w.ok(Method::Patch, &gpath, json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "members[value eq \"a1\"]"}]}), 200);
    assert_eq!(
        memberships("a1"),
        [("main".to_owned(), "member".to_owned())],
        "authoritative, no group: the default"
    );
    // Entra: the group's externalId (its object ID) is what the rule names.
    let e = w.ok(
        Method::Post,
        "Groups",
        fixture("entra_create_group.json"),
        201,
    );
    let epath = format!("Groups/{}", e["id"].as_str().unwrap());
    let add = fixture("entra_add_member.json")
        .to_string()
        .replace("\"u1\"", "\"a2\"");
    w.ok(
        Method::Patch,
        &epath,
        serde_json::from_str(&add).unwrap(),
        200,
    );
    assert_eq!(memberships("a2"), [("eng".to_owned(), "member".to_owned())]);
    w.ok(Method::Delete, &epath, Json::Null, 204);
    assert_eq!(
        memberships("a2"),
        [("main".to_owned(), "member".to_owned())]
    );
    assert_eq!(w.call(Method::Get, &epath, Json::Null).status, 404);
}

#[test]
fn the_bearer_secret_never_reaches_debug_output() {
    let req = jit::scim_api::ScimRequest {
        method: Method::Get,
        company: "acme",
        path: &["Users"],
        query: "",
        authorization: Some("Bearer scim_5c11.beefbeefbeef"),
        content_type: None,
        body: b"{\"password\":\"hunter2\"}",
        base: "https://sp/scim/v2/acme",
        now: NOW,
        new_id: "00",
        reference: "ref",
    };
    let shown = format!("{req:?}");
    assert!(
        !shown.contains("beefbeefbeef") && !shown.contains("hunter2"),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"));
}

#[test]
fn a_deleted_user_brought_back_starts_afresh() {
    let rules = json!({"mode": "authoritative", "rules": [{"group": "Engineering", "workspace": "eng", "permission_set": "admin"}]});
    let w = World::new(rules);
    let memberships = |id: &str| -> Vec<(String, String)> {
        w.db.query(&format!("SELECT workspace, permission_set FROM memberships WHERE user_id = '{id}' ORDER BY workspace"))
            .iter().map(|r| (r["workspace"].as_str().unwrap().into(), r["permission_set"].as_str().unwrap().into())).collect()
    };
    let u = w.ok(
        Method::Post,
        "Users",
        json!({"schemas": [scim::USER_SCHEMA], "userName": "sam@okta.example", "active": true}),
        201,
    );
    let id = u["id"].as_str().unwrap().to_owned();
    let g = w.ok(Method::Post, "Groups", json!({"schemas": [scim::GROUP_SCHEMA], "displayName": "Engineering", "members": [{"value": id}]}), 201);
    assert!(g["id"].is_string());
    assert_eq!(memberships(&id), [("eng".to_owned(), "admin".to_owned())]);
    let bind = format!(
        "UPDATE users SET name_id = '00u-sam', name_id_issuer = 'https://idp' WHERE id = '{id}'"
    );
    assert!(block_on(w.db.batch_applied(&[jit::sql::Stmt {
        sql: bind,
        args: vec![]
    }]))
    .unwrap());
    w.ok(Method::Delete, &format!("Users/{id}"), Json::Null, 204);
    assert!(
        memberships(&id).is_empty(),
        "a deleted user keeps no access"
    );
    // The address comes back (perhaps another person): what a new user gets, no old binding.
    let back = w.ok(
        Method::Post,
        "Users",
        json!({"schemas": [scim::USER_SCHEMA], "userName": "sam@okta.example", "active": true}),
        201,
    );
    assert_eq!(back["id"].as_str(), Some(id.as_str()));
    assert_eq!(memberships(&id), [("main".to_owned(), "member".to_owned())]);
    let row = &w
        .db
        .query(&format!("SELECT name_id FROM users WHERE id = '{id}'"))[0];
    assert!(
        row["name_id"].is_null(),
        "the binding of the person who left is gone"
    );
}

#[test]
fn a_new_user_name_ends_the_sessions_of_the_old_one() {
    let w = World::new(json!({}));
    let id = w.user("lee@okta.example");
    let path = format!("Users/{id}");
    let claims = Claims {
        company: "acme".into(),
        email: "lee@okta.example".into(),
        iat: NOW.unix_seconds() - 10,
        exp: NOW.unix_seconds() + 3600,
        sid: None,
        uid: Some(id.clone()),
    };
    assert!(block_on(session::current(&w.db, &claims))
        .unwrap()
        .is_some());
    let named = w.ok(Method::Patch, &path, json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "name.givenName", "value": "Lee"}]}), 200);
    assert_eq!(named["name"]["givenName"], "Lee");
    assert!(
        block_on(session::current(&w.db, &claims))
            .unwrap()
            .is_some(),
        "a name change keeps the session"
    );
    let moved = w.ok(Method::Patch, &path, json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "userName", "value": "lee.park@okta.example"}]}), 200);
    assert_eq!(moved["userName"], "lee.park@okta.example");
    assert_eq!(
        block_on(session::current(&w.db, &claims)).unwrap(),
        None,
        "the cookie names an address the user no longer has"
    );
    let fresh = Claims {
        email: "lee.park@okta.example".into(),
        iat: NOW.unix_seconds() + 1,
        ..claims
    };
    assert_eq!(
        block_on(session::current(&w.db, &fresh)).unwrap().unwrap()["email"],
        "lee.park@okta.example"
    );
}

#[test]
fn a_replace_without_active_never_reactivates() {
    let w = World::new(json!({}));
    let path = format!("Users/{}", w.user("kim@okta.example"));
    let off = w.ok(Method::Patch, &path, json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "replace", "value": {"active": false}}]}), 200);
    assert_eq!(off["active"], false);
    let put = w.ok(Method::Put, &path, json!({"schemas": [scim::USER_SCHEMA], "userName": "kim@okta.example", "name": {"givenName": "Kim"}}), 200);
    assert_eq!(
        put["active"], false,
        "a PUT that leaves active out keeps it"
    );
    let on = w.ok(
        Method::Put,
        &path,
        json!({"schemas": [scim::USER_SCHEMA], "userName": "kim@okta.example", "active": true}),
        200,
    );
    assert_eq!(on["active"], true, "an explicit active: true reactivates");
}

#[test]
fn a_failed_member_removal_is_retried_whole() {
    let rules = json!({"mode": "authoritative", "rules": [{"group": "Engineering", "workspace": "eng", "permission_set": "admin"}]});
    let w = World::new(rules);
    let memberships = |id: &str| -> Vec<(String, String)> {
        w.db.query(&format!("SELECT workspace, permission_set FROM memberships WHERE user_id = '{id}' ORDER BY workspace"))
            .iter().map(|r| (r["workspace"].as_str().unwrap().into(), r["permission_set"].as_str().unwrap().into())).collect()
    };
    let raw = |sql: &str| {
        block_on(w.db.batch_applied(&[jit::sql::Stmt {
            sql: sql.into(),
            args: vec![],
        }]))
        .unwrap()
    };
    let g = w.ok(Method::Post, "Groups", json!({"schemas": [scim::GROUP_SCHEMA], "displayName": "Engineering", "members": [{"value": "a1"}]}), 201);
    let gpath = format!("Groups/{}", g["id"].as_str().unwrap());
    assert_eq!(memberships("a1"), [("eng".to_owned(), "admin".to_owned())]);
    let remove = json!({"schemas": [scim::PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "members[value eq \"a1\"]"}]});
    // The memberships table is away: the removal's batch fails, and nothing of it is written.
    raw("ALTER TABLE memberships RENAME TO memberships_away");
    let failed = w.call(Method::Patch, &gpath, remove.clone());
    raw("ALTER TABLE memberships_away RENAME TO memberships");
    assert_eq!(failed.status, 503);
    let still = w.ok(Method::Get, &gpath, Json::Null, 200);
    assert_eq!(
        still["members"][0]["value"], "a1",
        "the group change rolled back with it"
    );
    // The IdP retries: the removal is still to do, and the access goes with it.
    w.ok(Method::Patch, &gpath, remove, 200);
    assert_eq!(
        memberships("a1"),
        [("main".to_owned(), "member".to_owned())]
    );
}

#[test]
fn a_retried_group_create_finds_its_group_taken() {
    let w = World::new(json!({}));
    let body = json!({"schemas": [scim::GROUP_SCHEMA], "displayName": "Admins", "members": [{"value": "a1"}]});
    w.ok(Method::Post, "Groups", body.clone(), 201);
    let again = w.call(Method::Post, "Groups", body);
    assert_eq!(again.status, 409);
    let all = w.ok(Method::Get, "Groups", Json::Null, 200);
    assert_eq!(all["totalResults"], 1, "no orphan duplicate");
}
