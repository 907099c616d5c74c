//! The User's `emails` (RFC 7643 §4.1.2): kept as sent (at most [`MAX_EMAILS`]), and changed by
//! PATCH paths `emails`, `emails.<sub>`, `emails[<sub> eq …]` and `emails[<sub> eq …].<sub>`
//! (Entra ID's `emails[type eq "work"].value`, which adds the entry when none matches). The
//! account's own email is the userName; these are what the IdP says besides.

use serde_json::{json, Map, Value};

use crate::attr;
use crate::patch::Op;
use crate::ScimError;

/// Most entries kept.
pub const MAX_EMAILS: usize = 20;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Email {
    pub value: String,
    pub kind: Option<String>,
    pub display: Option<String>,
    pub primary: bool,
}

impl Email {
    fn set(&mut self, sub: &str, v: &Value) -> Result<(), ScimError> {
        match sub {
            "value" => self.value = attr::string(v, "emails.value")?,
            "type" => self.kind = attr::opt_string(v, "emails.type")?,
            "display" => self.display = attr::opt_string(v, "emails.display")?,
            "primary" => self.primary = attr::boolean(v, "emails.primary")?,
            s => return Err(ScimError::path(format!("emails has no sub-attribute {s}"))),
        }
        Ok(())
    }

    fn matches(&self, sub: &str, want: &Value) -> bool {
        let text = |s: Option<&str>| match want {
            Value::String(w) => s.is_some_and(|s| s.eq_ignore_ascii_case(w)),
            _ => false,
        };
        match sub {
            "value" => text(Some(&self.value)),
            "type" => text(self.kind.as_deref()),
            "display" => text(self.display.as_deref()),
            "primary" => attr::boolean(want, "").is_ok_and(|b| b == self.primary),
            _ => false,
        }
    }
}

/// One entry from its object form; `value` is required.
pub fn parse_one(v: &Value) -> Result<Email, ScimError> {
    let Value::Object(o) = v else {
        return Err(ScimError::value("each email must be an object"));
    };
    let mut e = Email::default();
    for (k, v) in o {
        e.set(&k.to_ascii_lowercase(), v)?;
    }
    match e.value.is_empty() {
        true => Err(ScimError::value("an email needs a value")),
        false => Ok(e),
    }
}

/// The entries of a value: an array of objects, or null (none).
pub fn parse_list(v: &Value) -> Result<Vec<Email>, ScimError> {
    let list = match v {
        Value::Null => Vec::new(),
        Value::Array(l) => l.iter().map(parse_one).collect::<Result<_, _>>()?,
        _ => return Err(ScimError::value("emails must be an array")),
    };
    check_len(list)
}

/// A PATCH value: the same, or one object.
fn list_or_one(v: &Value) -> Result<Vec<Email>, ScimError> {
    match v {
        Value::Object(_) => Ok(vec![parse_one(v)?]),
        v => parse_list(v),
    }
}

fn check_len(list: Vec<Email>) -> Result<Vec<Email>, ScimError> {
    match list.len() > MAX_EMAILS {
        true => Err(ScimError::value(format!("at most {MAX_EMAILS} emails"))),
        false => Ok(list),
    }
}

/// The entries as JSON.
pub fn to_json(list: &[Email]) -> Value {
    let one = |e: &Email| {
        let mut m = Map::new();
        m.insert("value".into(), json!(e.value));
        if let Some(t) = &e.kind {
            m.insert("type".into(), json!(t));
        }
        if let Some(d) = &e.display {
            m.insert("display".into(), json!(d));
        }
        m.insert("primary".into(), json!(e.primary));
        Value::Object(m)
    };
    Value::Array(list.iter().map(one).collect())
}

/// Apply one PATCH operation on `emails` (`filter` and `sub` from its path, lower case).
pub fn apply(
    list: &mut Vec<Email>,
    op: Op,
    filter: Option<&(String, Value)>,
    sub: Option<&str>,
    v: Option<&Value>,
) -> Result<(), ScimError> {
    let value = || v.ok_or_else(|| ScimError::value("missing value"));
    match (op, filter, sub) {
        (Op::Remove, None, None) => match v {
            None | Some(Value::Null) => list.clear(),
            Some(v) => {
                let gone = list_or_one(v)?;
                list.retain(|e| !gone.iter().any(|g| g.value.eq_ignore_ascii_case(&e.value)));
            }
        },
        (Op::Add, None, None) => list.extend(list_or_one(value()?)?),
        (Op::Replace, None, None) => *list = list_or_one(value()?)?,
        (Op::Remove, f, Some("value")) | (Op::Remove, f @ Some(_), None) => {
            list.retain(|e| !f.is_none_or(|(s, w)| e.matches(s, w)));
        }
        (Op::Remove, f, Some(s)) => {
            for e in list
                .iter_mut()
                .filter(|e| f.is_none_or(|(fs, w)| e.matches(fs, w)))
            {
                e.set(
                    s,
                    &if s == "primary" {
                        json!(false)
                    } else {
                        Value::Null
                    },
                )?;
            }
        }
        (_, f, sub) => {
            let v = value()?;
            let mut hit = false;
            for e in list
                .iter_mut()
                .filter(|e| f.is_none_or(|(fs, w)| e.matches(fs, w)))
            {
                hit = true;
                match sub {
                    Some(s) => e.set(s, v)?,
                    None => *e = parse_one(v)?,
                }
            }
            // Entra: emails[type eq "work"].value on a user without one adds it.
            if let (false, Some((fs, w))) = (hit, f) {
                let mut e = Email::default();
                e.set(fs, w)?;
                match sub {
                    Some(s) => e.set(s, v)?,
                    None => e = parse_one(v)?,
                }
                if e.value.is_empty() {
                    return Err(ScimError::value("an email needs a value"));
                }
                list.push(e);
            }
        }
    }
    *list = check_len(std::mem::take(list))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(v: &str) -> Email {
        Email {
            value: v.into(),
            kind: Some("work".into()),
            display: None,
            primary: true,
        }
    }

    #[test]
    fn email_patches() {
        let f = |s: &str, v: Value| Some((s.to_owned(), v));
        let mut l = vec![work("a@x.com")];
        apply(
            &mut l,
            Op::Replace,
            f("type", json!("work")).as_ref(),
            Some("value"),
            Some(&json!("b@x.com")),
        )
        .unwrap();
        assert_eq!(l, vec![work("b@x.com")], "Entra's filtered replace");
        apply(
            &mut l,
            Op::Add,
            f("type", json!("home")).as_ref(),
            Some("value"),
            Some(&json!("h@x.com")),
        )
        .unwrap();
        assert_eq!(
            (l.len(), l[1].kind.as_deref(), l[1].primary),
            (2, Some("home"), false),
            "added when none matches"
        );
        apply(
            &mut l,
            Op::Remove,
            f("value", json!("H@X.COM")).as_ref(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(l, vec![work("b@x.com")]);
        apply(
            &mut l,
            Op::Add,
            None,
            None,
            Some(&json!([{"value": "c@x.com"}])),
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        apply(&mut l, Op::Remove, None, None, None).unwrap();
        assert!(l.is_empty());
        assert!(apply(
            &mut l,
            Op::Add,
            None,
            None,
            Some(&json!([{"type": "work"}]))
        )
        .is_err());
        assert!(apply(
            &mut l,
            Op::Add,
            None,
            None,
            Some(&json!([{"value": "x", "colour": 1}]))
        )
        .is_err());
        let many: Vec<Value> = (0..=MAX_EMAILS)
            .map(|i| json!({"value": format!("{i}@x.com")}))
            .collect();
        assert!(parse_list(&Value::Array(many)).is_err());
        let round = parse_list(&to_json(&[work("a@x.com")])).unwrap();
        assert_eq!(round, vec![work("a@x.com")]);
    }
}
