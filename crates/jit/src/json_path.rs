//! Name the field a JSON deserialization error is about (`provisioning.default_workspace`,
//! `workspaces[1].id`), from the position serde_json reports: the document is scanned up to that
//! point, tracking object keys and array indices. Non-generic, so it costs the worker bundle a
//! few hundred bytes where a path-tracking deserializer wrapper costs tens of kilobytes.

use serde::de::DeserializeOwned;

use crate::settings::FieldError;

#[derive(Debug)]
enum Frame {
    Object(Option<String>),
    Array(usize),
}

/// Deserialize `json`, or a [`FieldError`] naming the field at fault.
pub fn from_slice<T: DeserializeOwned>(json: &[u8]) -> Result<T, FieldError> {
    serde_json::from_slice(json).map_err(|e| {
        let msg = e.to_string();
        let reason = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        let offset = byte_offset(json, e.line(), e.column());
        let mut field = path_at(json, offset);
        // "missing field `x`" points at the end of the object that lacks it.
        if let Some(name) = reason
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            field = join(&field, name);
        }
        FieldError { field, reason }
    })
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

/// serde_json's 1-based line and column (0 for "at end") as a byte offset.
fn byte_offset(json: &[u8], line: usize, column: usize) -> usize {
    if line == 0 {
        return json.len();
    }
    let mut start = 0;
    for _ in 1..line {
        match json[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => return json.len(),
        }
    }
    (start + column).min(json.len())
}

/// The path of the innermost value being read at `offset`.
fn path_at(json: &[u8], offset: usize) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    let mut expecting_key = false;
    while i < offset.min(json.len()) {
        match json[i] {
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
                expecting_key = false;
            }
            b',' => match stack.last_mut() {
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
                if expecting_key {
                    if let Some(Frame::Object(k)) = stack.last_mut() {
                        *k = Some(
                            String::from_utf8_lossy(&json[start..i.min(json.len())]).into_owned(),
                        );
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = String::new();
    for f in &stack {
        match f {
            Frame::Object(Some(k)) => out = join(&out, k),
            Frame::Object(None) => {}
            Frame::Array(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
        on: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
        list: Vec<Inner>,
    }

    fn field(json: &str) -> String {
        from_slice::<Outer>(json.as_bytes()).unwrap_err().field
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
        assert_eq!(field(r#"{"na\"me":1}"#), "na\\\"me");
        assert_eq!(field("not json"), "");
    }
}
