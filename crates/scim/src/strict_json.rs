//! JSON read with every object's member names distinct. RFC 8259 §4 leaves a repeated name's
//! meaning to each reader (serde_json keeps the last, others the first), so a body with two
//! `active` members could mean one thing here and another to a proxy or an audit tool. SCIM
//! attribute names are case-insensitive (RFC 7643 §2.1), so `userName` and `USERNAME` in one
//! object are the same name twice, refused too.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A [`Value`] whose objects, at every depth, never repeat a member name (ignoring ASCII case).
#[derive(Debug, Clone, PartialEq)]
pub struct Strict(pub Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON whose objects name each member once")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    /// Names seen are kept lower-cased in an ordered set: O(n log n) for an object of n members
    /// (a body may hold tens of thousands), never pairwise. Ordered, not hashed: std's hash keys
    /// have little entropy on wasm32.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.to_ascii_lowercase()) {
                return Err(serde::de::Error::custom(format_args!(
                    "the member {key:?} is named twice in one object"
                )));
            }
            let Strict(value) = map.next_value()?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Value, String> {
        serde_json::from_str::<Strict>(s)
            .map(|v| v.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_same_as_serde_json_when_names_are_distinct() {
        for s in [
            r#"{"userName":"a@b.c","active":true,"n":-3,"f":1.5,"z":null,"l":[1,{"x":[]}],"u":18446744073709551615}"#,
            r#"[]"#,
            r#""s""#,
        ] {
            assert_eq!(
                read(s).unwrap(),
                serde_json::from_str::<Value>(s).unwrap(),
                "{s}"
            );
        }
    }

    #[test]
    fn a_name_twice_is_refused_at_any_depth_and_in_any_case() {
        for s in [
            r#"{"active":true,"active":false}"#,
            r#"{"userName":"a","USERNAME":"b"}"#,
            r#"{"name":{"givenName":"a","givenname":"b"}}"#,
            r#"{"emails":[{"value":"a","value":"b"}]}"#,
        ] {
            let e = read(s).unwrap_err();
            assert!(e.contains("named twice"), "{s}: {e}");
        }
    }

    /// The largest object a body can hold (256 KiB of short distinct names) is read in
    /// O(n log n): a pairwise check would compare about 5·10⁸ pairs here.
    #[test]
    fn a_body_of_many_members_is_read_once_through() {
        let members: Vec<String> = (0..30_000).map(|i| format!("\"k{i}\":0")).collect();
        let body = format!("{{{}}}", members.join(","));
        let started = std::time::Instant::now();
        let v = read(&body).unwrap();
        assert_eq!(v.as_object().map(Map::len), Some(30_000));
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        let twice = format!("{{{},\"K29999\":1}}", members.join(","));
        assert!(read(&twice).unwrap_err().contains("named twice"));
    }
}
