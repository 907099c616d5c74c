//! The Group resource (RFC 7643 §4.2): `displayName`, `externalId` and `members` (user IDs; this
//! service has no nested groups).

use serde_json::{json, Map, Value};

use crate::attr::{self, normalize};
use crate::{ScimError, GROUP_SCHEMA};

/// The extra schema Entra ID lists in a new group (its documentation's request shape).
pub const ENTRA_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group";

/// A group as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub display_name: String,
    pub external_id: Option<String>,
    /// User IDs, in order, without repeats.
    pub members: Vec<String>,
}

/// A `POST /Groups` or `PUT /Groups/{id}` body. `id` and `meta` are ignored.
pub fn parse(body: &[u8]) -> Result<Group, ScimError> {
    let map = crate::parse_body(body)?;
    let mut schemas = None;
    let mut display_name = None;
    let mut group = Group {
        display_name: String::new(),
        external_id: None,
        members: Vec::new(),
    };
    let mut seen = Vec::new();
    for (key, v) in &map {
        let name = normalize(key, GROUP_SCHEMA);
        if seen.contains(&name) {
            return Err(ScimError::syntax(format!("attribute {key} given twice")));
        }
        seen.push(name.clone());
        match name.as_str() {
            "schemas" => schemas = Some(v),
            "id" | "meta" => {}
            "displayname" => display_name = Some(attr::string(v, "displayName")?),
            "externalid" => group.external_id = attr::opt_string(v, "externalId")?,
            "members" => add_members(&mut group.members, v)?,
            _ => return Err(ScimError::syntax(format!("unknown attribute {key}"))),
        }
    }
    attr::check_schemas(schemas, GROUP_SCHEMA, &[ENTRA_GROUP_SCHEMA])?;
    group.display_name = display_name.ok_or_else(|| ScimError::value("displayName is required"))?;
    Ok(group)
}

/// The user IDs of a `members` value: an array of `{"value": id}` objects (`display`, `$ref`
/// and `type: "User"` allowed beside it), or one such object; null is none.
pub fn member_ids(v: &Value) -> Result<Vec<String>, ScimError> {
    let one = |m: &Value| -> Result<String, ScimError> {
        let Value::Object(o) = m else {
            return Err(ScimError::value("each member must be an object"));
        };
        let mut id = None;
        for (k, v) in o {
            match k.to_ascii_lowercase().as_str() {
                "value" => id = Some(attr::id(v, "members.value")?),
                "display" | "$ref" => {
                    attr::opt_string(v, "members.display")?;
                }
                "type" if v.as_str().is_some_and(|t| t.eq_ignore_ascii_case("user")) => {}
                "type" => return Err(ScimError::value("members may only be users")),
                _ => return Err(ScimError::path(format!("members has no sub-attribute {k}"))),
            }
        }
        id.ok_or_else(|| ScimError::value("a member needs a value"))
    };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(list) => list.iter().map(one).collect(),
        Value::Object(_) => Ok(vec![one(v)?]),
        _ => Err(ScimError::value("members must be an array")),
    }
}

/// Append the members of `v` that are not there yet.
pub fn add_members(members: &mut Vec<String>, v: &Value) -> Result<(), ScimError> {
    for id in member_ids(v)? {
        if !members.contains(&id) {
            members.push(id);
        }
    }
    Ok(())
}

/// A member: its ID (answered with its location), and its userName.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub display: String,
}

/// How a stored group is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<Member>,
    pub created: String,
    pub last_modified: String,
}

/// The Group resource. `base` is `{PUBLIC_ORIGIN}/scim/v2/{company}`.
pub fn render(g: &GroupRecord, base: &str) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| json!({"value": m.id, "$ref": format!("{base}/Users/{}", m.id)}))
        .collect();
    let mut doc = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.display_name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": g.created,
            "lastModified": g.last_modified,
            "location": format!("{base}/Groups/{}", g.id),
        },
    });
    if let (Some(x), Some(map)) = (&g.external_id, doc.as_object_mut()) {
        map.insert("externalId".into(), x.as_str().into());
    }
    doc
}

/// Keep only the requested attributes of a rendered resource (RFC 7644 §3.4.2.5): with
/// `attributes`, those (by top-level name) plus `schemas`, `id` and `meta`; with
/// `excludedAttributes`, all but those (`schemas` and `id` are always returned).
pub fn project(doc: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(map) = doc else {
        return doc;
    };
    let top = |a: &String| a.split('.').next().unwrap_or_default().to_ascii_lowercase();
    let wanted: Vec<String> = attributes.iter().map(top).collect();
    let dropped: Vec<String> = excluded.iter().map(top).collect();
    let out: Map<String, Value> = map
        .into_iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            let always = k == "schemas" || k == "id";
            always
                || ((wanted.is_empty() || wanted.contains(&k) || k == "meta")
                    && !dropped.contains(&k))
        })
        .collect();
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScimType;

    fn body(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn groups_parse() {
        let g = parse(&body(json!({
            "schemas": [GROUP_SCHEMA], "displayName": "Engineering", "externalId": "8f1",
            "members": [{"value": "ab12", "display": "jane@x.com"}, {"value": "cd34", "type": "User"}, {"value": "ab12"}]
        })))
        .unwrap();
        assert_eq!(g.display_name, "Engineering");
        assert_eq!(g.members, vec!["ab12", "cd34"]);
        #[rustfmt::skip]
        let refused: Vec<(Value, ScimType)> = vec![
            (json!({"displayName": "E"}), ScimType::InvalidSyntax),
            (json!({"schemas": [GROUP_SCHEMA]}), ScimType::InvalidValue),
            (json!({"schemas": [GROUP_SCHEMA], "displayName": ""}), ScimType::InvalidValue),
            (json!({"schemas": [GROUP_SCHEMA], "displayName": "E", "members": [{"value": "a b"}]}), ScimType::InvalidValue),
            (json!({"schemas": [GROUP_SCHEMA], "displayName": "E", "members": [{"display": "x"}]}), ScimType::InvalidValue),
            (json!({"schemas": [GROUP_SCHEMA], "displayName": "E", "members": [{"value": "g1", "type": "Group"}]}), ScimType::InvalidValue),
            (json!({"schemas": [GROUP_SCHEMA], "displayName": "E", "members": "ab"}), ScimType::InvalidValue),
            (json!({"schemas": [GROUP_SCHEMA], "displayName": "E", "owner": "x"}), ScimType::InvalidSyntax),
        ];
        for (doc, want) in refused {
            let e = parse(&body(doc.clone())).unwrap_err();
            assert_eq!(e.scim_type, Some(want), "{doc}: {}", e.detail);
        }
    }

    #[test]
    fn groups_render_and_project() {
        let g = GroupRecord {
            id: "g1".into(),
            display_name: "Eng".into(),
            external_id: Some("x".into()),
            members: vec![Member {
                id: "ab12".into(),
                display: "jane@x.com".into(),
            }],
            created: "c".into(),
            last_modified: "m".into(),
        };
        let doc = render(&g, "https://sp/scim/v2/acme");
        assert_eq!(
            doc["members"][0]["$ref"],
            "https://sp/scim/v2/acme/Users/ab12"
        );
        assert_eq!(parse(&body(doc.clone())).unwrap().members, vec!["ab12"]);
        let slim = project(doc.clone(), &[], &["members".into()]);
        assert!(slim.get("members").is_none() && slim.get("displayName").is_some());
        let only = project(doc, &["displayName".into()], &[]);
        let mut keys: Vec<&String> = only.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["displayName", "id", "meta", "schemas"]);
    }
}
