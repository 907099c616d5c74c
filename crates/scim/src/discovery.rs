//! The discovery documents (RFC 7644 §4, RFC 7643 §5-7): ServiceProviderConfig, ResourceTypes
//! and Schemas, describing exactly what this service does (PATCH yes; bulk, sort, ETags and
//! password change no; filter with at most [`MAX_COUNT`] results; bearer tokens). The enterprise
//! User extension is accepted in requests and not kept, so it is not advertised.

use serde_json::{json, Value};

use crate::query::list_response;
use crate::{GROUP_SCHEMA, MAX_COUNT, USER_SCHEMA};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RT_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `GET /ServiceProviderConfig`. `base` is `{PUBLIC_ORIGIN}/scim/v2/{company}`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "Authorization: Bearer <SCIM token of the company>",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

fn resource_type_doc(name: &str, base: &str) -> Option<Value> {
    let (endpoint, schema, extensions) = match name {
        "User" => ("/Users", USER_SCHEMA, json!([])),
        "Group" => ("/Groups", GROUP_SCHEMA, json!([])),
        _ => return None,
    };
    Some(json!({
        "schemas": [RT_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
    }))
}

/// `GET /ResourceTypes/{name}`.
pub fn resource_type(name: &str, base: &str) -> Option<Value> {
    resource_type_doc(name, base)
}

/// `GET /ResourceTypes`.
pub fn resource_types(base: &str) -> Value {
    let all: Vec<Value> = ["User", "Group"]
        .iter()
        .filter_map(|n| resource_type_doc(n, base))
        .collect();
    list_response(all, 2, 1)
}

fn attribute(name: &str, ty: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": ty, "multiValued": false, "required": required,
        "caseExact": false, "mutability": mutability, "returned": "default",
        "uniqueness": uniqueness, "description": name,
    })
}

/// `members.$ref`: a reference to a User (RFC 7643 §7 `referenceTypes`).
fn reference_to_user() -> Value {
    let mut a = attribute("$ref", "reference", false, "immutable", "none");
    if let Some(m) = a.as_object_mut() {
        m.insert("referenceTypes".into(), json!(["User"]));
    }
    a
}

fn sub_attributes(parent: &str, ty: &str, multi: bool, subs: Vec<Value>) -> Value {
    json!({
        "name": parent, "type": ty, "multiValued": multi, "required": false,
        "mutability": "readWrite", "returned": "default", "uniqueness": "none",
        "description": parent, "subAttributes": subs,
    })
}

fn schema_doc(id: &str, base: &str) -> Option<Value> {
    let (name, attributes) = match id {
        USER_SCHEMA => (
            "User",
            vec![
                attribute("userName", "string", true, "readWrite", "server"),
                sub_attributes(
                    "name",
                    "complex",
                    false,
                    vec![
                        attribute("givenName", "string", false, "readWrite", "none"),
                        attribute("familyName", "string", false, "readWrite", "none"),
                    ],
                ),
                sub_attributes(
                    "emails",
                    "complex",
                    true,
                    vec![
                        attribute("value", "string", false, "readWrite", "none"),
                        attribute("type", "string", false, "readWrite", "none"),
                        attribute("primary", "boolean", false, "readWrite", "none"),
                    ],
                ),
                attribute("active", "boolean", false, "readWrite", "none"),
            ],
        ),
        GROUP_SCHEMA => (
            "Group",
            vec![
                attribute("displayName", "string", true, "readWrite", "server"),
                sub_attributes(
                    "members",
                    "complex",
                    true,
                    vec![
                        attribute("value", "string", false, "immutable", "none"),
                        reference_to_user(),
                    ],
                ),
            ],
        ),
        _ => return None,
    };
    Some(json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": format!("{name}: the attributes this service keeps"),
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    }))
}

/// `GET /Schemas/{id}`.
pub fn schema(id: &str, base: &str) -> Option<Value> {
    schema_doc(id, base)
}

/// `GET /Schemas`.
pub fn schemas(base: &str) -> Value {
    let all: Vec<Value> = [USER_SCHEMA, GROUP_SCHEMA]
        .iter()
        .filter_map(|id| schema_doc(id, base))
        .collect();
    let n = all.len();
    list_response(all, n, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_documents() {
        let base = "https://sp/scim/v2/acme";
        let spc = service_provider_config(base);
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(spc["bulk"]["supported"], false);
        assert_eq!(spc["filter"]["maxResults"], MAX_COUNT);
        let rts = resource_types(base);
        assert_eq!(rts["totalResults"], 2);
        assert_eq!(rts["Resources"][0]["endpoint"], "/Users");
        assert_eq!(
            resource_type("Group", base).unwrap()["schema"],
            GROUP_SCHEMA
        );
        assert!(resource_type("Device", base).is_none());
        let s = schemas(base);
        assert_eq!(
            s["totalResults"], 2,
            "the enterprise extension is accepted, not kept"
        );
        assert_eq!(
            schema(USER_SCHEMA, base).unwrap()["attributes"][0]["name"],
            "userName"
        );
        assert!(schema("urn:x", base).is_none());
    }
}
