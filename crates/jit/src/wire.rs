//! Reading the JSON this service is sent (the settings document, admin API bodies, session
//! claims, the `SP_KEYS` secret) with `serde` + `serde_json`, keeping what users were promised:
//!
//! - a size cap ([`MAX_BYTES`]) and a nesting-depth cap ([`MAX_DEPTH`]) checked by a byte scan
//!   before any parsing (serde_json's own recursion limit, 128, stays behind it);
//! - errors that name the field at fault, `provisioning.default_workspace` or `workspaces[1].id`
//!   (`serde_path_to_error`), including the missing, unknown or repeated member itself;
//! - repeated keys refused: derived structs refuse a duplicate field, and [`UniqueMap`] refuses a
//!   repeated key in a map (RFC 8259 §4 leaves its meaning to each reader, and two readers
//!   choosing differently is how a value gets smuggled past a check);
//! - unknown fields refused where the type says `#[serde(deny_unknown_fields)]`;
//! - integers only where integers are expected (serde_json refuses `1.0` for an `i64` or `u32`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_path_to_error::Segment;

pub use crate::settings::FieldError;

/// Largest JSON document read, bytes (the admin API's body cap is the same).
pub const MAX_BYTES: usize = 256 << 10;

/// Deepest nesting of arrays and objects accepted (the documents here nest three deep).
pub const MAX_DEPTH: usize = 64;

/// Read a `T` from `json`, or a [`FieldError`] naming the field at fault (`""` for the
/// document itself).
pub fn from_slice<T: DeserializeOwned>(json: &[u8]) -> Result<T, FieldError> {
    if json.len() > MAX_BYTES {
        return Err(FieldError {
            field: String::new(),
            reason: format!("not JSON: larger than {MAX_BYTES} bytes"),
        });
    }
    if let Some(offset) = too_deep(json) {
        return Err(FieldError {
            field: String::new(),
            reason: format!("not JSON: nested more than {MAX_DEPTH} deep (byte {offset})"),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = path_of(e.path());
        let inner = e.into_inner();
        FieldError {
            field: with_member(field, &inner.to_string()),
            reason: reason(&inner),
        }
    })?;
    de.end().map_err(|e| FieldError {
        field: String::new(),
        reason: reason(&e),
    })?;
    Ok(value)
}

/// `provisioning.default_workspace`, `workspaces[1].id`: keys joined by dots, indexes in brackets.
fn path_of(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// A missing or repeated member is reported by serde at its object: name the member itself.
fn with_member(mut field: String, message: &str) -> String {
    for prefix in ["missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((name, _)) = rest.split_once('`') {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(name);
            }
        }
    }
    field
}

/// serde_json's message, with "not JSON: " before syntax errors (as before).
fn reason(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => e.to_string(),
        _ => format!("not JSON: {e}"),
    }
}

/// The offset of the first bracket nested deeper than [`MAX_DEPTH`], counting `[` and `{`
/// outside strings; linear, and it needs no valid JSON.
fn too_deep(json: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in json.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// A JSON object read as its members in document order, refusing a repeated key (serde_json's
/// own maps keep the last value silently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueMap<V>(pub Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(UniqueMapVisitor(PhantomData))
    }
}

struct UniqueMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueMapVisitor<V> {
    type Value = UniqueMap<V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object whose keys are all different")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(String, V)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate field `{key}`"
                )));
            }
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(UniqueMap(members))
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
