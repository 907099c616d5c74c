//! Attribute names and values as RFC 7643 §2 reads them: names are case-insensitive and may be
//! prefixed with their schema URN; booleans are JSON booleans, or (Entra ID's quirk) the
//! strings `"True"`/`"False"` in any case; strings are bounded.

use serde_json::Value;

use crate::{ScimError, ENTERPRISE_SCHEMA, MAX_STRING};

/// An attribute name, lower-cased, its core schema URN prefix removed. Names in the enterprise
/// extension (`urn:…:enterprise:2.0:User:department`, or the extension object itself) become
/// [`ENTERPRISE`].
pub fn normalize(name: &str, core_schema: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let core = format!("{}:", core_schema.to_ascii_lowercase());
    let enterprise = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix(&core) {
        return rest.to_owned();
    }
    if lower == enterprise || lower.starts_with(&format!("{enterprise}:")) {
        return ENTERPRISE.to_owned();
    }
    lower
}

/// What [`normalize`] calls any name of the enterprise User extension.
pub const ENTERPRISE: &str = "#enterprise";

/// A boolean: `true`/`false`, or the string forms Entra ID sends (`"True"`, `"False"`, any case).
pub fn boolean(v: &Value, what: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::value(format!("{what} must be a boolean"))),
    }
}

/// A string of 1 to [`MAX_STRING`] characters, trimmed; control characters refused.
pub fn string(v: &Value, what: &str) -> Result<String, ScimError> {
    let Value::String(s) = v else {
        return Err(ScimError::value(format!("{what} must be a string")));
    };
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_STRING {
        let msg = format!("{what} must be 1 to {MAX_STRING} characters");
        return Err(ScimError::value(msg));
    }
    if s.chars().any(char::is_control) {
        return Err(ScimError::value(format!("{what} has a control character")));
    }
    Ok(s.to_owned())
}

/// An optional string: null, or an empty string (Okta's `"middleName": ""`), is None.
pub fn opt_string(v: &Value, what: &str) -> Result<Option<String>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => string(v, what).map(Some),
    }
}

/// A `userName`, which is the user's email: lower-cased, one `@`, a local part and a dotted
/// domain, no white space, at most 254 characters.
pub fn user_name(v: &Value) -> Result<String, ScimError> {
    let Value::String(s) = v else {
        return Err(ScimError::value("userName must be a string"));
    };
    let email = s.trim().to_ascii_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    match ok {
        true => Ok(email),
        false => Err(ScimError::value("userName must be an email address")),
    }
}

/// A member or resource ID as this service issues them: 1 to 64 ASCII letters, digits, `-`, `_`.
pub fn id(v: &Value, what: &str) -> Result<String, ScimError> {
    match v {
        Value::String(s)
            if !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(s.clone())
        }
        _ => Err(ScimError::value(format!("{what} must be a resource id"))),
    }
}

/// Check `schemas`: an array of strings that includes `required`; `also` lists the other URNs
/// allowed. Compared ignoring case.
pub fn check_schemas(v: Option<&Value>, required: &str, also: &[&str]) -> Result<(), ScimError> {
    let Some(Value::Array(list)) = v else {
        return Err(ScimError::syntax(format!("schemas must list {required}")));
    };
    let mut found = false;
    for s in list {
        let Value::String(s) = s else {
            return Err(ScimError::syntax("schemas must be strings"));
        };
        if s.eq_ignore_ascii_case(required) {
            found = true;
        } else if !also.iter().any(|a| a.eq_ignore_ascii_case(s)) {
            return Err(ScimError::syntax(format!("unknown schema {s}")));
        }
    }
    match found {
        true => Ok(()),
        false => Err(ScimError::syntax(format!("schemas must list {required}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::USER_SCHEMA;
    use serde_json::json;

    #[test]
    fn names() {
        #[rustfmt::skip]
        let table = [
            ("userName", "username"),
            ("USERNAME", "username"),
            ("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "name.givenname"),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", ENTERPRISE),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", ENTERPRISE),
            ("urn:ietf:params:scim:schemas:core:2.0:Group:displayName", "urn:ietf:params:scim:schemas:core:2.0:group:displayname"),
        ];
        for (name, want) in table {
            assert_eq!(normalize(name, USER_SCHEMA), want, "{name}");
        }
    }

    #[test]
    fn booleans() {
        for (v, want) in [
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!("False"), Some(false)),
            (json!("TRUE"), Some(true)),
            (json!("true"), Some(true)),
            (json!("no"), None),
            (json!(0), None),
            (json!(null), None),
        ] {
            assert_eq!(boolean(&v, "active").ok(), want, "{v}");
        }
    }

    #[test]
    fn strings_user_names_and_ids() {
        assert_eq!(string(&json!(" Ann "), "x").unwrap(), "Ann");
        for bad in [
            json!(""),
            json!(" "),
            json!(1),
            json!("a\u{7}b"),
            json!("x".repeat(257)),
        ] {
            assert!(string(&bad, "x").is_err(), "{bad}");
        }
        assert_eq!(opt_string(&json!(null), "x").unwrap(), None);
        assert_eq!(opt_string(&json!(" "), "x").unwrap(), None);
        assert!(opt_string(&json!(false), "x").is_err());
        assert_eq!(
            user_name(&json!("Jane@Example.COM")).unwrap(),
            "jane@example.com"
        );
        for bad in [
            "jane",
            "@x.com",
            "a@b",
            "a@@b.com",
            "a b@x.com",
            "a@.com",
            "a@x.com.",
            "",
        ] {
            assert!(user_name(&json!(bad)).is_err(), "{bad}");
        }
        assert!(user_name(&json!(format!("{}@x.com", "a".repeat(250)))).is_err());
        assert_eq!(id(&json!("0a1b-c_d"), "m").unwrap(), "0a1b-c_d");
        for bad in [
            json!(""),
            json!("a b"),
            json!("x".repeat(65)),
            json!(3),
            json!("é"),
        ] {
            assert!(id(&bad, "m").is_err(), "{bad}");
        }
    }

    #[test]
    fn schemas() {
        let ok = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
        assert!(check_schemas(Some(&ok), USER_SCHEMA, &[ENTERPRISE_SCHEMA]).is_ok());
        for bad in [
            json!([]),
            json!("x"),
            json!([ENTERPRISE_SCHEMA]),
            json!([USER_SCHEMA, "urn:x"]),
            json!([1]),
        ] {
            assert!(
                check_schemas(Some(&bad), USER_SCHEMA, &[ENTERPRISE_SCHEMA]).is_err(),
                "{bad}"
            );
        }
        assert!(check_schemas(None, USER_SCHEMA, &[]).is_err());
    }
}
