//! PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` on the attributes this service keeps,
//! applied to a copy of the resource, all or nothing. IdP quirks accepted: op names in any case
//! (Entra ID's `"Replace"`), booleans as strings, and a value object without a path whose keys
//! are attribute paths (Entra ID's `{"name.givenName": …}`, Okta's `{"id", "displayName"}`).
//! Removing a member that is not there, or adding one that is, changes nothing (IdPs retry).

use serde_json::{Map, Value};

use crate::attr::{self, normalize, ENTERPRISE};
use crate::group::{self, Group};
use crate::user::{self, User, IGNORED};
use crate::{ScimError, GROUP_SCHEMA, MAX_OPERATIONS, PATCH_SCHEMA, USER_SCHEMA};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

/// A path: `attr`, `attr.sub`, `attr[sub eq "v"]` or `attr[sub eq "v"].sub` (names lower case,
/// the core schema prefix removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub attr: String,
    pub filter: Option<(String, Value)>,
    pub sub: Option<String>,
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: Op,
    pub path: Option<Path>,
    pub value: Option<Value>,
}

/// Read a PatchOp body: its `schemas`, and 1 to [`MAX_OPERATIONS`] operations.
pub fn parse(body: &[u8], core_schema: &str) -> Result<Vec<Operation>, ScimError> {
    let map = crate::parse_body(body)?;
    let mut schemas = None;
    let mut ops = None;
    for (k, v) in &map {
        match k.to_ascii_lowercase().as_str() {
            "schemas" => schemas = Some(v),
            "operations" => ops = Some(v),
            _ => return Err(ScimError::syntax(format!("unknown member {k}"))),
        }
    }
    attr::check_schemas(schemas, PATCH_SCHEMA, &[])?;
    let Some(Value::Array(list)) = ops else {
        return Err(ScimError::syntax("Operations must be an array"));
    };
    if list.is_empty() || list.len() > MAX_OPERATIONS {
        let msg = format!("1 to {MAX_OPERATIONS} operations");
        return Err(ScimError::new(400, Some(crate::ScimType::TooMany), msg));
    }
    list.iter().map(|o| operation(o, core_schema)).collect()
}

fn operation(v: &Value, core_schema: &str) -> Result<Operation, ScimError> {
    let Value::Object(o) = v else {
        return Err(ScimError::syntax("each operation must be an object"));
    };
    let (mut op, mut path, mut value) = (None, None, None);
    for (k, v) in o {
        match k.to_ascii_lowercase().as_str() {
            "op" => op = Some(v),
            "path" => path = Some(v),
            "value" => value = Some(v.clone()),
            _ => return Err(ScimError::syntax(format!("unknown operation member {k}"))),
        }
    }
    let op = match op
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => Op::Add,
        Some("replace") => Op::Replace,
        Some("remove") => Op::Remove,
        _ => return Err(ScimError::syntax("op must be add, replace or remove")),
    };
    let path = match path {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_path(s, core_schema)?),
        Some(_) => return Err(ScimError::path("path must be a string")),
    };
    if op == Op::Remove && path.is_none() {
        return Err(ScimError::no_target("remove needs a path"));
    }
    if op != Op::Remove && value.is_none() {
        return Err(ScimError::value("add and replace need a value"));
    }
    Ok(Operation { op, path, value })
}

/// Parse a path of the supported shapes.
pub fn parse_path(s: &str, core_schema: &str) -> Result<Path, ScimError> {
    let bad = || ScimError::path(format!("unsupported path {s:?}"));
    let s = s.trim();
    let (head, filter, tail) = match s.find('[') {
        Some(open) => {
            let close = s.rfind(']').filter(|c| *c > open).ok_or_else(bad)?;
            let (inner, tail) = (&s[open + 1..close], &s[close + 1..]);
            let tail = match tail {
                "" => None,
                t => Some(t.strip_prefix('.').ok_or_else(bad)?),
            };
            (&s[..open], Some(value_filter(inner).ok_or_else(bad)?), tail)
        }
        None => (s, None, None),
    };
    let name = normalize(head, core_schema);
    if name == ENTERPRISE {
        return Ok(Path {
            attr: name,
            filter: None,
            sub: None,
        });
    }
    let (attr, sub) = match (name.split_once('.'), tail) {
        (Some((a, b)), None) if filter.is_none() => (a.to_owned(), Some(b.to_owned())),
        (None, tail) => (name.clone(), tail.map(str::to_ascii_lowercase)),
        _ => return Err(bad()),
    };
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'$');
    if !word(&attr) || sub.as_deref().is_some_and(|w| !word(w)) {
        return Err(bad());
    }
    Ok(Path { attr, filter, sub })
}

/// `sub eq "value"` (or `eq true`/`false`) inside brackets; nothing else.
fn value_filter(inner: &str) -> Option<(String, Value)> {
    let mut parts = inner.trim().splitn(3, char::is_whitespace);
    let (sub, op, value) = (parts.next()?, parts.next()?, parts.next()?.trim());
    if !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value: Value = serde_json::from_str(value).ok()?;
    matches!(value, Value::String(_) | Value::Bool(_)).then(|| (sub.to_ascii_lowercase(), value))
}

fn set<T>(slot: &mut T, v: T) -> Result<(), ScimError> {
    *slot = v;
    Ok(())
}

/// Apply `ops` to a copy of `u`; the result, or why nothing was applied.
pub fn apply_user(u: &User, ops: &[Operation]) -> Result<User, ScimError> {
    let mut next = u.clone();
    for o in ops {
        match (&o.path, &o.value) {
            (None, Some(Value::Object(values))) => {
                for (k, v) in values {
                    let path = parse_path(k, USER_SCHEMA)?;
                    user_op(&mut next, o.op, &path, Some(v))?;
                }
            }
            (None, _) => return Err(ScimError::value("a value without a path must be an object")),
            (Some(p), v) => user_op(&mut next, o.op, p, v.as_ref())?,
        }
    }
    Ok(next)
}

fn user_op(u: &mut User, op: Op, p: &Path, v: Option<&Value>) -> Result<(), ScimError> {
    let value = || v.ok_or_else(|| ScimError::value("missing value"));
    let plain = p.filter.is_none() && p.sub.is_none();
    match p.attr.as_str() {
        "active" if plain && op == Op::Remove => Err(ScimError::mutability("active is required")),
        "active" if plain => set(&mut u.active, attr::boolean(value()?, "active")?),
        "username" if plain && op == Op::Remove => {
            Err(ScimError::mutability("userName is required"))
        }
        "username" if plain => set(&mut u.user_name, attr::user_name(value()?)?),
        "externalid" if plain && op == Op::Remove => set(&mut u.external_id, None),
        "externalid" if plain => set(
            &mut u.external_id,
            attr::opt_string(value()?, "externalId")?,
        ),
        "name" if p.filter.is_none() => match (op, &p.sub) {
            (Op::Remove, None) => user::set_name(u, &Value::Null),
            (Op::Remove, Some(sub)) => user::set_name_part(u, sub, &Value::Null),
            (_, None) => match value()? {
                Value::Object(_) => user::set_name(u, value()?),
                _ => Err(ScimError::value("name must be an object")),
            },
            (_, Some(sub)) => user::set_name_part(u, sub, value()?),
        },
        "emails" => crate::emails::apply(&mut u.emails, op, p.filter.as_ref(), p.sub.as_deref(), v),
        "id" | "meta" | "groups" => Err(ScimError::mutability(format!("{} is read-only", p.attr))),
        a if IGNORED.contains(&a) => Ok(()),
        a => Err(ScimError::path(format!("User has no attribute {a}"))),
    }
}

/// Apply `ops` to a copy of `g`; the result, or why nothing was applied.
pub fn apply_group(g: &Group, ops: &[Operation]) -> Result<Group, ScimError> {
    let mut next = g.clone();
    for o in ops {
        match (&o.path, &o.value) {
            (None, Some(Value::Object(values))) => group_value_object(&mut next, o.op, values)?,
            (None, _) => return Err(ScimError::value("a value without a path must be an object")),
            (Some(p), v) => group_op(&mut next, o.op, p, v.as_ref())?,
        }
    }
    Ok(next)
}

fn group_value_object(g: &mut Group, op: Op, values: &Map<String, Value>) -> Result<(), ScimError> {
    for (k, v) in values {
        let path = parse_path(k, GROUP_SCHEMA)?;
        match path.attr.as_str() {
            // Okta sends the group's own id beside a new displayName.
            "id" if v.as_str().is_some() => {}
            _ => group_op(g, op, &path, Some(v))?,
        }
    }
    Ok(())
}

fn group_op(g: &mut Group, op: Op, p: &Path, v: Option<&Value>) -> Result<(), ScimError> {
    let value = || v.ok_or_else(|| ScimError::value("missing value"));
    let plain = p.filter.is_none() && p.sub.is_none();
    match (p.attr.as_str(), op) {
        ("displayname", Op::Remove) if plain => {
            Err(ScimError::mutability("displayName is required"))
        }
        ("displayname", _) if plain => {
            set(&mut g.display_name, attr::string(value()?, "displayName")?)
        }
        ("externalid", Op::Remove) if plain => set(&mut g.external_id, None),
        ("externalid", _) if plain => set(
            &mut g.external_id,
            attr::opt_string(value()?, "externalId")?,
        ),
        ("members", Op::Add) if plain => group::add_members(&mut g.members, value()?),
        ("members", Op::Replace) if plain => {
            g.members.clear();
            group::add_members(&mut g.members, value()?)
        }
        // Entra ID: remove with the members to remove as the value; without one, all.
        ("members", Op::Remove) if plain => {
            match v {
                None | Some(Value::Null) => g.members.clear(),
                Some(v) => {
                    let gone = group::member_ids(v)?;
                    g.members.retain(|m| !gone.contains(m));
                }
            }
            Ok(())
        }
        // Okta: members[value eq "id"].
        ("members", Op::Remove) if p.sub.is_none() => match &p.filter {
            Some((sub, Value::String(id))) if sub == "value" => {
                g.members.retain(|m| m != id);
                Ok(())
            }
            _ => Err(ScimError::path("members can be filtered by value eq only")),
        },
        ("id" | "meta", _) => Err(ScimError::mutability(format!("{} is read-only", p.attr))),
        (a, _) => Err(ScimError::path(format!("unsupported Group path {a}"))),
    }
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
