//! Typed reading of a parsed JSON document ([`crate::json`]) that names the field at fault
//! (`provisioning.default_workspace`, `workspaces[1].id`): [`FromJson`] for the documents and
//! bodies this service reads, [`Fields`] for objects with a fixed set of members. For a syntax
//! error, the path is recovered by scanning the document up to the offset where it was found.

use crate::json::{self, Json};
pub use crate::settings::FieldError;

/// A type read from JSON at `path` (`""` for the document itself).
pub trait FromJson: Sized {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError>;
}

/// Parse `json` and read a `T` from it, or a [`FieldError`] naming the field at fault.
pub fn from_slice<T: FromJson>(json: &[u8]) -> Result<T, FieldError> {
    let v = json::parse(json).map_err(|e| FieldError {
        field: path_at(json, e.offset),
        reason: format!("not JSON: {} (byte {})", e.reason, e.offset),
    })?;
    T::from_json(&v, "")
}

fn type_error(path: &str, expected: &str, found: &Json) -> FieldError {
    FieldError {
        field: path.to_owned(),
        reason: format!("expected {expected}, found {}", found.kind()),
    }
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

impl FromJson for String {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| type_error(path, "a string", v))
    }
}

impl FromJson for bool {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        match v {
            Json::Bool(b) => Ok(*b),
            _ => Err(type_error(path, "a boolean", v)),
        }
    }
}

impl FromJson for i64 {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        match v {
            Json::Int(n) => Ok(*n),
            _ => Err(type_error(path, "an integer", v)),
        }
    }
}

impl FromJson for u32 {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        let n = i64::from_json(v, path)?;
        u32::try_from(n).map_err(|_| FieldError {
            field: path.to_owned(),
            reason: "expected an integer from 0 to 4294967295".into(),
        })
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        match v {
            Json::Arr(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| T::from_json(item, &format!("{path}[{i}]")))
                .collect(),
            _ => Err(type_error(path, "an array", v)),
        }
    }
}

/// The members of an object being read: each is taken at most once, and [`Fields::finish`]
/// refuses any left over (unknown fields are errors, not silently dropped settings).
pub struct Fields<'a> {
    path: String,
    members: &'a [(String, Json)],
    taken: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// The object at `path`, or an error if `v` is not one.
    pub fn of(v: &'a Json, path: &str) -> Result<Self, FieldError> {
        match v {
            Json::Obj(members) => Ok(Fields {
                path: path.to_owned(),
                members,
                taken: vec![false; members.len()],
            }),
            _ => Err(type_error(path, "an object", v)),
        }
    }

    fn take(&mut self, key: &str) -> Option<&'a Json> {
        let i = self.members.iter().position(|(k, _)| k == key)?;
        self.taken[i] = true;
        self.members.get(i).map(|(_, v)| v)
    }

    /// A member that must be present.
    pub fn req<T: FromJson>(&mut self, key: &str) -> Result<T, FieldError> {
        let path = join(&self.path, key);
        match self.take(key) {
            Some(v) => T::from_json(v, &path),
            None => Err(FieldError {
                field: path,
                reason: "missing field".into(),
            }),
        }
    }

    /// A member that may be absent or null.
    pub fn opt<T: FromJson>(&mut self, key: &str) -> Result<Option<T>, FieldError> {
        match self.take(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => T::from_json(v, &join(&self.path, key)).map(Some),
        }
    }

    /// A member whose absence means its default (null is not a value of `T`: an error).
    pub fn or_default<T: FromJson + Default>(&mut self, key: &str) -> Result<T, FieldError> {
        match self.take(key) {
            None => Ok(T::default()),
            Some(v) => T::from_json(v, &join(&self.path, key)),
        }
    }

    /// Done reading, ignoring members nobody took (documents meant to stay readable when a
    /// later version adds members).
    pub fn ignore_rest(self) {}

    /// Done reading: an error naming the first member nobody took.
    pub fn finish(self) -> Result<(), FieldError> {
        match self.taken.iter().position(|t| !t) {
            None => Ok(()),
            Some(i) => Err(FieldError {
                field: join(&self.path, self.members.get(i).map_or("", |(k, _)| k)),
                reason: "unknown field".into(),
            }),
        }
    }
}

#[derive(Debug)]
enum Frame {
    /// The current key, as a byte range of the document.
    Object(Option<(usize, usize)>),
    Array(usize),
}

/// Longest key quoted in a path (bytes); longer ones are cut.
const MAX_KEY_IN_PATH: usize = 64;

/// The path of the innermost value being read at `offset`. Only the outer [`json::MAX_DEPTH`]
/// levels are named (deeper ones cannot be valid anyway), so the work stays linear in `offset`.
fn path_at(json: &[u8], offset: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut expecting_key = false;
    let end = offset.min(json.len());
    while i < end {
        let innermost = if depth == stack.len() {
            stack.last_mut()
        } else {
            None
        };
        match json[i] {
            b'{' | b'[' => {
                if depth < json::MAX_DEPTH {
                    stack.push(if json[i] == b'{' {
                        Frame::Object(None)
                    } else {
                        Frame::Array(0)
                    });
                }
                depth += 1;
                expecting_key = json[i] == b'{';
            }
            b'}' | b']' => {
                if depth == stack.len() {
                    stack.pop();
                }
                depth = depth.saturating_sub(1);
                expecting_key = false;
            }
            b',' => match innermost {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(_)) => expecting_key = true,
                None => {}
            },
            b':' => expecting_key = false,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                if let (true, Some(Frame::Object(k))) = (expecting_key, innermost) {
                    *k = Some((start, i.min(json.len())));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = String::new();
    for f in &stack {
        match f {
            Frame::Object(Some((a, b))) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let cut = (*b).min(a + MAX_KEY_IN_PATH);
                out.push_str(&String::from_utf8_lossy(
                    json.get(*a..cut).unwrap_or_default(),
                ));
            }
            Frame::Object(None) => {}
            Frame::Array(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Inner {
        id: String,
        on: bool,
    }

    impl FromJson for Inner {
        fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
            let mut f = Fields::of(v, path)?;
            let inner = Inner {
                id: f.req("id")?,
                on: f.req("on")?,
            };
            f.finish()?;
            Ok(inner)
        }
    }

    #[derive(Debug, PartialEq)]
    struct Outer {
        name: String,
        inner: Inner,
        list: Vec<Inner>,
        n: Option<u32>,
    }

    impl FromJson for Outer {
        fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
            let mut f = Fields::of(v, path)?;
            let outer = Outer {
                name: f.req("name")?,
                inner: f.req("inner")?,
                list: f.or_default("list")?,
                n: f.opt("n")?,
            };
            f.finish()?;
            Ok(outer)
        }
    }

    fn error(json: &str) -> FieldError {
        from_slice::<Outer>(json.as_bytes()).unwrap_err()
    }

    fn field(json: &str) -> String {
        error(json).field
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(
            field(r#"{"name":"x","inner":{"id":"a","on":"yes"},"list":[]}"#),
            "inner.on"
        );
        assert_eq!(
            field(r#"{"name":"x","inner":{"id":"a","on":true,"zz":1},"list":[]}"#),
            "inner.zz"
        );
        assert_eq!(
            field(r#"{"name":"x","inner":{"id":"a"},"list":[]}"#),
            "inner.on"
        );
        assert_eq!(
            field(
                r#"{"name":"x","inner":{"id":"a","on":true},"list":[{"id":"b","on":true},{"id":3,"on":true}]}"#
            ),
            "list[1].id"
        );
        assert_eq!(field("{\n \"name\": 5,\n \"inner\": {}}"), "name");
        assert_eq!(field(r#"{"inner":{"id":"a","on":true},"list":[]}"#), "name");
        assert_eq!(
            field(r#"{"name":"x","inner":{"id":"a","on":true},"n":-1}"#),
            "n"
        );
        assert_eq!(field("not json"), "");
        assert_eq!(field("[]"), "");
    }

    #[test]
    fn syntax_errors_name_where_they_are() {
        assert_eq!(field(r#"{"na\"me":1,"#), "na\\\"me");
        assert_eq!(
            field(r#"{"name":"x","inner":{"id":"a","on":tru}}"#),
            "inner.on"
        );
        assert_eq!(
            field(r#"{"name":"x","list":[{}, {"id": 01}]}"#),
            "list[1].id"
        );
        // Invalid UTF-8 after deep nesting: the path names the outer levels only, quickly.
        let mut deep = r#"{"a":"#.repeat(50_000).into_bytes();
        deep.push(0xff);
        let outer = vec!["a"; json::MAX_DEPTH].join(".");
        assert_eq!(from_slice::<Outer>(&deep).unwrap_err().field, outer);
        let e = error(std::str::from_utf8(&deep[..deep.len() - 1]).unwrap());
        assert_eq!(
            (e.field, e.reason.contains("nested too deeply")),
            (outer, true)
        );
        let long = format!("{{\"{}\":", "k".repeat(1000));
        assert_eq!(field(&long), "k".repeat(MAX_KEY_IN_PATH));
        let e = error(r#"{"name":"x","name":"y"}"#);
        assert_eq!(e.reason, "not JSON: an object repeats a key (byte 0)");
    }

    #[test]
    fn reasons_say_what_was_expected() {
        assert_eq!(
            error(r#"{"name":5}"#).reason,
            "expected a string, found an integer"
        );
        assert_eq!(error(r#"{"name":"x"}"#).reason, "missing field");
        assert_eq!(
            error(r#"{"name":"x","inner":{"id":"a","on":true},"more":1}"#).reason,
            "unknown field"
        );
        assert_eq!(
            error(r#"{"name":"x","inner":{"id":"a","on":true},"n":1.0}"#).reason,
            "expected an integer, found a number"
        );
    }

    #[test]
    fn optional_members_may_be_absent_or_null() {
        let o: Outer =
            from_slice(br#"{"name":"x","inner":{"id":"a","on":true},"n":null}"#).unwrap();
        assert_eq!((o.list.len(), o.n), (0, None));
        // A defaulted member that is not optional may be absent, not null.
        assert_eq!(
            field(r#"{"name":"x","inner":{"id":"a","on":true},"list":null}"#),
            "list"
        );
        let o: Outer = from_slice(br#"{"name":"x","inner":{"id":"a","on":false},"n":7}"#).unwrap();
        assert_eq!((o.inner.on, o.n), (false, Some(7)));
    }
}
