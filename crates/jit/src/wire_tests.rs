//! The documented error cases of reading JSON (README: unknown fields refused, no repeated key,
//! the field at fault named), and the settings document's written form.

use super::*;
use crate::settings::CompanySettings;
use serde::Deserialize;

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inner {
    id: String,
    on: bool,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Outer {
    name: String,
    inner: Inner,
    #[serde(default)]
    list: Vec<Inner>,
    n: Option<u32>,
}

fn error(json: &str) -> FieldError {
    from_slice::<Outer>(json.as_bytes()).unwrap_err()
}

fn field(json: &str) -> String {
    error(json).field
}

#[test]
fn names_the_field_at_fault() {
    // Wrong type.
    assert_eq!(
        field(r#"{"name":"x","inner":{"id":"a","on":"yes"},"list":[]}"#),
        "inner.on"
    );
    // Unknown field.
    assert_eq!(
        field(r#"{"name":"x","inner":{"id":"a","on":true,"zz":1},"list":[]}"#),
        "inner.zz"
    );
    // Missing field.
    assert_eq!(
        field(r#"{"name":"x","inner":{"id":"a"},"list":[]}"#),
        "inner.on"
    );
    assert_eq!(field(r#"{"inner":{"id":"a","on":true},"list":[]}"#), "name");
    // In a list.
    assert_eq!(
        field(
            r#"{"name":"x","inner":{"id":"a","on":true},"list":[{"id":"b","on":true},{"id":3,"on":true}]}"#
        ),
        "list[1].id"
    );
    assert_eq!(field("{\n \"name\": 5,\n \"inner\": {}}"), "name");
    assert_eq!(
        field(r#"{"name":"x","inner":{"id":"a","on":true},"n":-1}"#),
        "n"
    );
    assert_eq!(field("not json"), "");
    assert_eq!(field("[]"), "");
}

#[test]
fn repeated_keys_are_refused_and_named() {
    let e = error(r#"{"name":"x","name":"y","inner":{"id":"a","on":true}}"#);
    assert_eq!(e.field, "name");
    assert!(e.reason.contains("duplicate field"), "{}", e.reason);
    assert_eq!(
        field(r#"{"name":"x","inner":{"id":"a","on":true,"id":"b"}}"#),
        "inner.id"
    );
    let map = |json: &str| from_slice::<UniqueMap<Vec<String>>>(json.as_bytes());
    assert_eq!(
        map(r#"{"a":["1"],"b":[]}"#).unwrap(),
        UniqueMap(vec![("a".into(), vec!["1".into()]), ("b".into(), vec![])])
    );
    let e = map(r#"{"a":[],"b":[],"a":["x"]}"#).unwrap_err();
    assert!(e.reason.contains("duplicate field `a`"), "{}", e.reason);
    assert_eq!(e.field, "a");
    assert_eq!(map(r#"{"a":["1",2]}"#).unwrap_err().field, "a[1]");
    assert!(map("[]").is_err());
}

#[test]
fn integers_only_where_integers_are_expected() {
    for n in ["1.0", "1e2", "4294967296", "-1", "\"7\"", "true"] {
        let doc = format!(r#"{{"name":"x","inner":{{"id":"a","on":true}},"n":{n}}}"#);
        assert_eq!(field(&doc), "n", "{n}");
    }
    let ok: Outer =
        from_slice(br#"{"name":"x","inner":{"id":"a","on":false},"n":4294967295}"#).unwrap();
    assert_eq!(ok.n, Some(u32::MAX));
}

#[test]
fn null_is_absent_only_for_optional_members() {
    let o: Outer = from_slice(br#"{"name":"x","inner":{"id":"a","on":true},"n":null}"#).unwrap();
    assert_eq!((o.list.len(), o.n), (0, None));
    // A defaulted member that is not optional may be absent, not null.
    assert_eq!(
        field(r#"{"name":"x","inner":{"id":"a","on":true},"list":null}"#),
        "list"
    );
    assert_eq!(
        field(r#"{"name":null,"inner":{"id":"a","on":true}}"#),
        "name"
    );
}

#[test]
fn size_and_depth_are_capped_before_parsing() {
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let e = error(&deep);
    assert!(e.reason.contains("nested more than 64"), "{}", e.reason);
    // Brackets inside strings do not count; escaped quotes do not end a string.
    let quoted = format!(
        r#"{{"name":"\"{}","inner":{{"id":"a","on":true}}}}"#,
        "[{".repeat(1000)
    );
    assert!(from_slice::<Outer>(quoted.as_bytes()).is_ok());
    // Unbalanced and far too deep: refused quickly, before parsing.
    let e = error(&r#"{"a":"#.repeat(50_000));
    assert!(e.reason.contains("nested more than"), "{}", e.reason);
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(MAX_BYTES));
    assert!(error(&big).reason.contains("larger than"));
    // Not UTF-8, trailing characters: refused.
    assert!(from_slice::<Outer>(b"{\"name\":\"\xff\"}").is_err());
    assert!(error(r#"{"name":"x","inner":{"id":"a","on":true}} x"#)
        .reason
        .starts_with("not JSON"));
}

#[test]
fn reasons_say_what_was_expected() {
    assert!(error(r#"{"name":5}"#).reason.contains("expected a string"));
    assert!(error(r#"{"name":"x"}"#).reason.contains("missing field"));
    assert!(
        error(r#"{"name":"x","inner":{"id":"a","on":true},"more":1}"#)
            .reason
            .contains("unknown field")
    );
    assert!(error(r#"{"name":"x","inner":{"id":"a","on":tru}}"#)
        .reason
        .starts_with("not JSON"));
}

const FULL: &str = r#"{"version":1,"display_name":"Decorumsoft \"DS\"","dashboard_url":"https://d.example/","saml":{"idp_entity_id":"https://idp.example/","idp_certificates":["MIIB"],"allow_sha1":true,"skew_seconds":90,"email_attributes":["mail"],"sp_certificates":["MIIC"],"idp_sso_url":"https://idp.example/sso"},"provisioning":{"enabled":true,"default_workspace":"main","default_permission_set":"member"},"exception_domains":["decorumsoft.eu"],"provisionable_domains":["decorumsoft.com"],"workspaces":[{"id":"main","name":"Main"}],"permission_sets":[{"id":"member","name":"Member"},{"id":"admins","name":"Admins","admin":true}]}"#;

#[test]
fn settings_write_back_exactly_what_they_read() {
    let s: CompanySettings = from_slice(FULL.as_bytes()).unwrap();
    assert_eq!(s.saml.skew_seconds, Some(90));
    assert!(s.permission_sets[1].admin);
    assert_eq!(s.to_json(), FULL);
}

#[test]
fn absent_settings_members_take_their_defaults_and_are_not_written() {
    let min = r#"{"version":1,"display_name":"x","dashboard_url":"https://d/","saml":{"idp_entity_id":"i","idp_certificates":[]},"provisioning":{"enabled":false}}"#;
    let s: CompanySettings = from_slice(min.as_bytes()).unwrap();
    assert_eq!(s.provisioning.default_workspace, None);
    assert!(s.workspaces.is_empty() && !s.saml.allow_sha1);
    assert_eq!(
        s.to_json(),
        r#"{"version":1,"display_name":"x","dashboard_url":"https://d/","saml":{"idp_entity_id":"i","idp_certificates":[],"allow_sha1":false},"provisioning":{"enabled":false,"default_workspace":null,"default_permission_set":null},"exception_domains":[],"provisionable_domains":[],"workspaces":[],"permission_sets":[]}"#
    );
    assert_eq!(from_slice::<CompanySettings>(s.to_json().as_bytes()), Ok(s));
}

#[test]
fn settings_errors_name_the_member_at_fault() {
    let field = |doc: &str| {
        from_slice::<CompanySettings>(doc.as_bytes())
            .unwrap_err()
            .field
    };
    assert_eq!(
        field(&FULL.replace("\"enabled\":true", "\"enabled\":1")),
        "provisioning.enabled"
    );
    assert_eq!(
        field(&FULL.replace("\"skew_seconds\":90", "\"skew_seconds\":-1")),
        "saml.skew_seconds"
    );
    assert_eq!(
        field(&FULL.replace("\"skew_seconds\":90", "\"skew_seconds\":90.0")),
        "saml.skew_seconds"
    );
    assert_eq!(
        field(&FULL.replace("\"admin\":true", "\"admin\":true,\"x\":1")),
        "permission_sets[1].x"
    );
    assert_eq!(field(&FULL.replace("\"version\":1,", "")), "version");
    assert_eq!(
        field(&FULL.replace("[\"MIIB\"]", "\"MIIB\"")),
        "saml.idp_certificates"
    );
    assert_eq!(
        field(&FULL.replace("\"allow_sha1\":true", "\"allow_sha1\":null")),
        "saml.allow_sha1"
    );
    assert_eq!(
        field(&FULL.replace("\"workspaces\":[", "\"workspaces\":[{\"id\":\"w\"},")),
        "workspaces[0].name"
    );
    assert_eq!(
        field(&FULL.replace(
            "\"default_workspace\":\"main\"",
            "\"default_workspace\":\"main\",\"default_workspace\":\"x\""
        )),
        "provisioning.default_workspace"
    );
}
