//! SCIM 2.0 (RFC 7643 core schema, RFC 7644 protocol) as the worker speaks it, with no I/O: what a
//! request body means ([`user`], [`group`], [`patch`]), what a list request asks for
//! ([`query`]), and every document the service answers with ([`discovery`], [`error`], the
//! renderers). Strict about everything except the documented quirks of Okta and Entra ID
//! (capitalised PATCH ops, booleans as strings, PATCH values without a path).
#![forbid(unsafe_code)]

pub mod attr;
pub mod discovery;
pub mod emails;
pub mod error;
pub mod group;
pub mod patch;
pub mod query;
pub mod strict_json;
pub mod user;

pub use error::{ScimError, ScimType};

/// The media type of every answer (RFC 7644 §3.1).
pub const CONTENT_TYPE: &str = "application/scim+json";
/// Largest request body accepted (bytes): a group PATCH of about 4,000 members fits.
pub const MAX_BODY_BYTES: usize = 256 << 10;
/// Most resources on one list page (`ServiceProviderConfig` `filter.maxResults`).
pub const MAX_COUNT: usize = 200;
/// Most operations in one PATCH request.
pub const MAX_OPERATIONS: usize = 1000;
/// Longest string attribute value (characters), userName excepted (an email: 254).
pub const MAX_STRING: usize = 256;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Whether a request's `Content-Type` is one SCIM clients send: `application/scim+json`
/// (RFC 7644 §3.1) or `application/json` (Okta's and Entra's documentation show both),
/// parameters such as `charset=utf-8` allowed.
pub fn request_content_type_ok(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case(CONTENT_TYPE) || essence.eq_ignore_ascii_case("application/json")
}

/// Check a body's size and parse it as JSON: 413 over [`MAX_BODY_BYTES`], 400 `invalidSyntax`
/// when it is not JSON, not an object, or names one member twice in any object
/// ([`strict_json`]).
pub fn parse_body(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ScimError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ScimError::too_large());
    }
    match serde_json::from_slice::<strict_json::Strict>(body).map(|s| s.0) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ScimError::syntax("the body must be a JSON object")),
        Err(e) => Err(ScimError::syntax(format!("the body is not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        #[rustfmt::skip]
        let table: &[(Option<&str>, bool)] = &[
            (Some("application/scim+json"), true),
            (Some("application/scim+json; charset=utf-8"), true),
            (Some("Application/SCIM+JSON"), true),
            (Some("application/json"), true),
            (Some("application/json;charset=UTF-8"), true),
            (Some("text/plain"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some(""), false),
            (None, false),
        ];
        for (ct, want) in table {
            assert_eq!(request_content_type_ok(*ct), *want, "{ct:?}");
        }
    }

    #[test]
    fn bodies() {
        assert!(parse_body(br#"{"a":1}"#).is_ok());
        for (body, status) in [
            (&b"[]"[..], 400),
            (b"not json", 400),
            (b"", 400),
            (b"\"s\"", 400),
            (br#"{"active":true,"active":false}"#, 400),
        ] {
            assert_eq!(parse_body(body).unwrap_err().status, status);
        }
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_body(&big).unwrap_err().status, 413);
        let deep = "[".repeat(10_000);
        assert_eq!(parse_body(deep.as_bytes()).unwrap_err().status, 400);
    }
}
