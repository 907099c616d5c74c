//! The User resource (RFC 7643 §4.1) as this service keeps it: `userName` (the email),
//! `externalId`, `name.givenName`, `name.familyName`, `emails` and `active`. Other attributes of
//! the core User schema and of the enterprise extension that IdPs send by default (displayName,
//! title, phoneNumbers, addresses, locale, password, groups, department, manager…) are accepted
//! and not kept. Anything else is refused.

use serde_json::{json, Map, Value};

use crate::attr::{self, normalize, ENTERPRISE};
use crate::emails::{self, Email};
use crate::{ScimError, ENTERPRISE_SCHEMA, USER_SCHEMA};

/// The attributes this service keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The email, lower case.
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// As the IdP sent them ([`crate::emails`]).
    pub emails: Vec<Email>,
    pub active: bool,
}

/// Core and enterprise attributes accepted but not kept (lower case).
pub const IGNORED: &[&str] = &[
    "displayname",
    "nickname",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "profileurl",
    "phonenumbers",
    "addresses",
    "photos",
    "ims",
    "roles",
    "entitlements",
    "x509certificates",
    "groups",
    "password",
    ENTERPRISE,
];

/// Sub-attributes of `name` accepted but not kept.
const IGNORED_NAME: &[&str] = &[
    "formatted",
    "middlename",
    "honorificprefix",
    "honorificsuffix",
];

/// A `POST /Users` or `PUT /Users/{id}` body. `id` and `meta` are read-only and ignored
/// (RFC 7644 §3.3); `active` defaults to true.
pub fn parse(body: &[u8]) -> Result<User, ScimError> {
    let map = crate::parse_body(body)?;
    from_map(&map)
}

/// A `PUT /Users/{id}` body, and whether it names `active`: a replace that leaves `active` out
/// keeps the stored value, so that reactivation is always an explicit act (issue #14).
pub fn parse_replace(body: &[u8]) -> Result<(User, bool), ScimError> {
    let map = crate::parse_body(body)?;
    let names_active = map
        .keys()
        .any(|k| crate::attr::normalize(k, USER_SCHEMA) == "active");
    Ok((from_map(&map)?, names_active))
}

/// The same, from a parsed object.
pub fn from_map(map: &Map<String, Value>) -> Result<User, ScimError> {
    let mut schemas = None;
    let mut user_name = None;
    let mut user = User {
        user_name: String::new(),
        external_id: None,
        given_name: None,
        family_name: None,
        emails: Vec::new(),
        active: true,
    };
    let mut seen = Vec::new();
    for (key, v) in map {
        let name = normalize(key, USER_SCHEMA);
        if seen.contains(&name) && name != ENTERPRISE {
            return Err(ScimError::syntax(format!("attribute {key} given twice")));
        }
        seen.push(name.clone());
        match name.as_str() {
            "schemas" => schemas = Some(v),
            "id" | "meta" => {}
            "username" => user_name = Some(attr::user_name(v)?),
            "externalid" => user.external_id = attr::opt_string(v, "externalId")?,
            "active" => user.active = attr::boolean(v, "active")?,
            "name" => set_name(&mut user, v)?,
            "emails" => user.emails = emails::parse_list(v)?,
            n if IGNORED.contains(&n) => {}
            _ => return Err(ScimError::syntax(format!("unknown attribute {key}"))),
        }
    }
    attr::check_schemas(schemas, USER_SCHEMA, &[ENTERPRISE_SCHEMA])?;
    user.user_name = user_name.ok_or_else(|| ScimError::value("userName is required"))?;
    Ok(user)
}

/// `name`: an object (or null, which clears it) of which givenName and familyName are kept.
pub fn set_name(user: &mut User, v: &Value) -> Result<(), ScimError> {
    let obj = match v {
        Value::Null => {
            user.given_name = None;
            user.family_name = None;
            return Ok(());
        }
        Value::Object(o) => o,
        _ => return Err(ScimError::value("name must be an object")),
    };
    for (key, v) in obj {
        set_name_part(user, &key.to_ascii_lowercase(), v)?;
    }
    Ok(())
}

/// One sub-attribute of `name` (lower case); null clears it.
pub fn set_name_part(user: &mut User, sub: &str, v: &Value) -> Result<(), ScimError> {
    match sub {
        "givenname" => user.given_name = attr::opt_string(v, "name.givenName")?,
        "familyname" => user.family_name = attr::opt_string(v, "name.familyName")?,
        s if IGNORED_NAME.contains(&s) => {
            attr::opt_string(v, "name")?;
        }
        s => return Err(ScimError::path(format!("name has no sub-attribute {s}"))),
    }
    Ok(())
}

/// How a stored user is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub user: User,
    pub created: String,
    pub last_modified: String,
}

/// The User resource. `base` is `{PUBLIC_ORIGIN}/scim/v2/{company}`.
pub fn render(r: &UserRecord, base: &str) -> Value {
    let u = &r.user;
    let mut doc = json!({
        "schemas": [USER_SCHEMA],
        "id": r.id,
        "userName": u.user_name,
        "active": u.active,
        "meta": {
            "resourceType": "User",
            "created": r.created,
            "lastModified": r.last_modified,
            "location": format!("{base}/Users/{}", r.id),
        },
    });
    let mut name = Map::new();
    if let Some(g) = &u.given_name {
        name.insert("givenName".into(), g.as_str().into());
    }
    if let Some(f) = &u.family_name {
        name.insert("familyName".into(), f.as_str().into());
    }
    if let Some(map) = doc.as_object_mut() {
        if let Some(x) = &u.external_id {
            map.insert("externalId".into(), x.as_str().into());
        }
        if !name.is_empty() {
            map.insert("name".into(), Value::Object(name));
        }
        if !u.emails.is_empty() {
            map.insert("emails".into(), emails::to_json(&u.emails));
        }
    }
    doc
}

/// The attributes that differ, by SCIM name, for the audit log (never their values).
pub fn changed(before: &User, after: &User) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.user_name != after.user_name {
        out.push("userName");
    }
    if before.external_id != after.external_id {
        out.push("externalId");
    }
    if before.given_name != after.given_name {
        out.push("name.givenName");
    }
    if before.family_name != after.family_name {
        out.push("name.familyName");
    }
    if before.emails != after.emails {
        out.push("emails");
    }
    if before.active != after.active {
        out.push("active");
    }
    out
}

#[cfg(test)]
#[path = "user_tests.rs"]
mod tests;
