//! JSON the worker writes: answer bodies for errors and one-line structured logs. Members come
//! out in declaration order. Log lines never hold a secret or assertion content: codes, IDs and
//! detail only.

use serde::Serialize;

/// Compact JSON text of a body or log line. These types hold strings, integers, booleans and
/// lists only, which always serialize; were one not to, the answer is `null`, never a panic.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// `{"error": code, …}` answers: the code, then the reference, field or message when given.
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
}

/// A log line's members, in this order.
#[derive(Serialize)]
struct LogLine<'a> {
    event: &'a str,
    reference: &'a str,
    company: &'a str,
    detail: &'a str,
}

/// One structured log line: event, reference, company, detail.
pub fn log_line(event: &str, reference: &str, company: &str, detail: &str) -> String {
    to_json(&LogLine {
        event,
        reference,
        company,
        detail,
    })
}

/// The log line of a sign-in: the event (`provisioned` or `signed_in`) and its assertion.
#[derive(Serialize)]
pub struct SignInLine<'a> {
    pub event: &'a str,
    pub reference: &'a str,
    pub company: &'a str,
    pub assertion_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_order_and_escaped() {
        assert_eq!(
            log_line("e", "r", "c", "a \"quoted\"\nline"),
            r#"{"event":"e","reference":"r","company":"c","detail":"a \"quoted\"\nline"}"#
        );
        let body = ErrorBody {
            error: "invalid_field",
            reference: None,
            field: Some("saml.idp_entity_id"),
            message: Some("m"),
        };
        assert_eq!(
            to_json(&body),
            r#"{"error":"invalid_field","field":"saml.idp_entity_id","message":"m"}"#
        );
    }
}
