//! List requests (RFC 7644 §3.4.2): the filter subset `attr eq "value"` on `userName` and
//! `externalId` (Users) or `displayName` and `externalId` (Groups), 1-based `startIndex`, `count`
//! capped at [`MAX_COUNT`], `attributes`/`excludedAttributes`; and the ListResponse.

use serde_json::{json, Value};

use crate::attr::normalize;
use crate::{ScimError, GROUP_SCHEMA, LIST_SCHEMA, MAX_COUNT, USER_SCHEMA};

/// Which endpoint is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

/// What a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAttr {
    /// Compared lower-cased (userName is the email; caseExact false).
    UserName,
    ExternalId,
    DisplayName,
}

/// `attr eq "value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub attr: FilterAttr,
    pub value: String,
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based.
    pub start_index: usize,
    /// At most [`MAX_COUNT`].
    pub count: usize,
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

/// Parse a filter of the supported subset; anything else is `invalidFilter`.
pub fn parse_filter(resource: Resource, s: &str) -> Result<Filter, ScimError> {
    let unsupported = || {
        ScimError::filter(format!(
            "unsupported filter {s:?}: only `userName eq \"…\"`, `externalId eq \"…\"` (Users) \
             and `displayName eq \"…\"`, `externalId eq \"…\"` (Groups)"
        ))
    };
    let t = s.trim();
    let (attr, rest) = t.split_once(char::is_whitespace).ok_or_else(unsupported)?;
    let (op, value) = rest
        .trim_start()
        .split_once(char::is_whitespace)
        .ok_or_else(unsupported)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(unsupported());
    }
    let value = value.trim();
    if !value.starts_with('"') {
        return Err(unsupported());
    }
    let Ok(Value::String(value)) = serde_json::from_str::<Value>(value) else {
        return Err(unsupported());
    };
    let schema = match resource {
        Resource::User => USER_SCHEMA,
        Resource::Group => GROUP_SCHEMA,
    };
    let attr = match (resource, normalize(attr, schema).as_str()) {
        (Resource::User, "username") => FilterAttr::UserName,
        (Resource::Group, "displayname") => FilterAttr::DisplayName,
        (_, "externalid") => FilterAttr::ExternalId,
        _ => return Err(unsupported()),
    };
    let value = match attr {
        FilterAttr::UserName => value.trim().to_ascii_lowercase(),
        _ => value,
    };
    Ok(Filter { attr, value })
}

/// Decode one `application/x-www-form-urlencoded` component; None when not UTF-8 or a `%`
/// escape is broken.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Parse the query string of a list request (without the `?`). Parameter names are
/// case-insensitive; an unknown or repeated parameter is refused; `sortBy` is refused
/// (`ServiceProviderConfig` says sorting is not supported).
pub fn parse_query(resource: Resource, query: &str) -> Result<ListQuery, ScimError> {
    let mut q = ListQuery {
        filter: None,
        start_index: 1,
        count: MAX_COUNT,
        attributes: Vec::new(),
        excluded: Vec::new(),
    };
    let mut seen: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (decode(k), decode(v)) else {
            return Err(ScimError::syntax(
                "the query string is not UTF-8 or badly escaped",
            ));
        };
        let key = k.to_ascii_lowercase();
        if seen.contains(&key) {
            return Err(ScimError::syntax(format!("parameter {k} given twice")));
        }
        seen.push(key.clone());
        let list = |v: &str| {
            v.split(',')
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect()
        };
        match key.as_str() {
            "filter" => q.filter = Some(parse_filter(resource, &v)?),
            // RFC 7644 §3.4.2.4: below 1 is read as 1. Capped so that the offset fits every
            // target's usize (wasm32) and D1's integers: a page past the end is simply empty.
            "startindex" => {
                q.start_index = integer(&v, "startIndex")?.clamp(1, MAX_START_INDEX as i64) as usize
            }
            "count" => q.count = integer(&v, "count")?.clamp(0, MAX_COUNT as i64) as usize,
            "attributes" => q.attributes = list(&v),
            "excludedattributes" => q.excluded = list(&v),
            "sortby" | "sortorder" => {
                return Err(ScimError::value("sorting is not supported"));
            }
            _ => return Err(ScimError::syntax(format!("unknown parameter {k}"))),
        }
    }
    Ok(q)
}

/// The SearchRequest message's URN (RFC 7644 §3.4.3).
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A `POST /{Users|Groups}/.search` body: the same parameters as a list request's query string,
/// as JSON members (`attributes` and `excludedAttributes` arrays of strings, `filter` a string,
/// `startIndex` and `count` integers).
pub fn parse_search(resource: Resource, body: &[u8]) -> Result<ListQuery, ScimError> {
    let map = crate::parse_body(body)?;
    let mut schemas = None;
    let mut pairs: Vec<String> = Vec::new();
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    for (k, v) in &map {
        let value = match (k.to_ascii_lowercase().as_str(), v) {
            ("schemas", _) => {
                schemas = Some(v);
                continue;
            }
            ("attributes" | "excludedattributes", Value::Array(list)) => {
                let names: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
                names
                    .ok_or_else(|| ScimError::value(format!("{k} must be strings")))?
                    .join(",")
            }
            ("filter" | "sortby" | "sortorder", Value::String(s)) => s.clone(),
            ("startindex" | "count", Value::Number(n)) => n.to_string(),
            _ => {
                return Err(ScimError::syntax(format!(
                    "unknown or malformed member {k}"
                )))
            }
        };
        pairs.push(format!("{}={}", enc(k), enc(&value)));
    }
    crate::attr::check_schemas(schemas, SEARCH_SCHEMA, &[])?;
    parse_query(resource, &pairs.join("&"))
}

/// The largest `startIndex` honoured (larger ones are read as this: past any real directory).
pub const MAX_START_INDEX: usize = i32::MAX as usize;

fn integer(v: &str, what: &str) -> Result<i64, ScimError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::value(format!("{what} must be an integer")))
}

/// A ListResponse page: `resources` are this page's, `total` counts every match.
pub fn list_response(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScimType;

    #[test]
    fn filters() {
        use FilterAttr::*;
        use Resource::*;
        #[rustfmt::skip]
        let ok: &[(Resource, &str, FilterAttr, &str)] = &[
            (User, r#"userName eq "Jane@Example.com""#, UserName, "jane@example.com"),
            (User, r#"USERNAME EQ "a@b.co""#, UserName, "a@b.co"),
            (User, r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a@b.co""#, UserName, "a@b.co"),
            (User, r#"externalId eq "00u1 X""#, ExternalId, "00u1 X"),
            (User, r#"userName  eq  "q\"uote@b.co""#, UserName, "q\"uote@b.co"),
            (Group, r#"displayName eq "Engineering Team""#, DisplayName, "Engineering Team"),
            (Group, r#"externalId eq "8aa1""#, ExternalId, "8aa1"),
        ];
        for (r, f, attr, value) in ok {
            let got = parse_filter(*r, f).unwrap();
            assert_eq!((got.attr, got.value.as_str()), (*attr, *value), "{f}");
        }
        #[rustfmt::skip]
        let refused: &[(Resource, &str)] = &[
            (User, r#"userName co "a""#), (User, r#"userName sw "a""#), (User, "userName pr"),
            (User, r#"userName eq "a" and active eq true"#), (User, r#"userName eq "a" or userName eq "b""#),
            (User, r#"(userName eq "a")"#), (User, "active eq true"), (User, r#"displayName eq "x""#),
            (Group, r#"userName eq "a@b.co""#), (User, "userName eq a@b.co"), (User, r#"userName eq "unterminated"#),
            (User, ""), (User, "userName"), (User, r#"emails[type eq "work"] eq "x""#), (User, "userName eq 3"),
        ];
        for (r, f) in refused {
            let e = parse_filter(*r, f).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(ScimType::InvalidFilter)),
                "{f}"
            );
        }
    }

    #[test]
    fn queries() {
        let q = parse_query(
            Resource::User,
            "filter=userName+eq+%22jane%40x.com%22&startIndex=3&count=10",
        )
        .unwrap();
        assert_eq!(q.filter.unwrap().value, "jane@x.com");
        assert_eq!((q.start_index, q.count), (3, 10));
        let q = parse_query(Resource::User, "startIndex=0&count=100000").unwrap();
        assert_eq!((q.start_index, q.count), (1, MAX_COUNT));
        for huge in ["9223372036854775807", "4294967297", "-9223372036854775808"] {
            let q = parse_query(Resource::User, &format!("startIndex={huge}")).unwrap();
            assert!((1..=MAX_START_INDEX).contains(&q.start_index), "{huge}");
        }
        let q = parse_query(Resource::User, "count=-4").unwrap();
        assert_eq!(q.count, 0);
        let q = parse_query(
            Resource::Group,
            "excludedAttributes=members&filter=displayName eq \"E\"",
        )
        .unwrap();
        assert_eq!(q.excluded, vec!["members"]);
        assert_eq!(parse_query(Resource::User, "").unwrap().count, MAX_COUNT);
        #[rustfmt::skip]
        let refused: &[(&str, ScimType)] = &[
            ("count=ten", ScimType::InvalidValue), ("startIndex=1.5", ScimType::InvalidValue),
            ("sortBy=userName", ScimType::InvalidValue), ("foo=bar", ScimType::InvalidSyntax),
            ("count=1&count=2", ScimType::InvalidSyntax), ("filter=%zz", ScimType::InvalidSyntax),
            ("filter=%FF", ScimType::InvalidSyntax), ("filter=userName%20gt%20%22a%22", ScimType::InvalidFilter),
        ];
        for (qs, want) in refused {
            assert_eq!(
                parse_query(Resource::User, qs).unwrap_err().scim_type,
                Some(*want),
                "{qs}"
            );
        }
    }

    #[test]
    fn searches() {
        let body = json!({"schemas": [SEARCH_SCHEMA], "filter": "userName eq \"a@b.co\"",
                          "attributes": ["userName", "name.givenName"], "startIndex": 2, "count": 5});
        let q = parse_search(Resource::User, body.to_string().as_bytes()).unwrap();
        assert_eq!(q.filter.unwrap().value, "a@b.co");
        assert_eq!((q.start_index, q.count, q.attributes.len()), (2, 5, 2));
        for bad in [
            json!({"filter": "userName eq \"a@b.co\""}),
            json!({"schemas": [SEARCH_SCHEMA], "count": "5"}),
            json!({"schemas": [SEARCH_SCHEMA], "sortBy": "userName"}),
            json!({"schemas": [SEARCH_SCHEMA], "x": 1}),
        ] {
            assert!(
                parse_search(Resource::User, bad.to_string().as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn list_responses() {
        let page = list_response(vec![json!({"id": "a"})], 7, 3);
        assert_eq!(page["totalResults"], 7);
        assert_eq!(page["itemsPerPage"], 1);
        assert_eq!(page["startIndex"], 3);
        assert_eq!(page["schemas"][0], LIST_SCHEMA);
    }
}
