//! Just-in-time provisioning, as a pure domain: the company settings document, the provisioning
//! policy, and the ACS flow over storage ports. No HTTP, no runtime, no clock: the worker adapter
//! passes `now` and implements the ports on KV and D1; tests use [`memory`].
#![forbid(unsafe_code)]

pub mod admin;
pub mod flow;
pub mod json;
pub mod json_path;
pub mod memory;
pub mod policy;
pub mod ports;
pub mod redirect;
pub mod request_id;
pub mod session;
pub mod settings;
mod settings_json;
pub mod sp_initiated;
pub mod tokens;

/// A refusal as the edge reports it: a stable code, an HTTP status, and the private detail that
/// goes to the log (never to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub status: u16,
    pub detail: String,
}

impl Refusal {
    pub fn new(code: &'static str, status: u16, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            status,
            detail: detail.into(),
        }
    }
}

impl From<&saml_verify::Error> for Refusal {
    /// Malformed input is 400 (413 when too large); a response that parses but does not verify
    /// or does not meet its conditions is 403.
    fn from(e: &saml_verify::Error) -> Self {
        let status = match e.code() {
            "input_too_large" => 413,
            "input_empty"
            | "base64_invalid"
            | "xml_malformed"
            | "doctype_forbidden"
            | "depth_exceeded"
            | "duplicate_attribute"
            | "not_a_response" => 400,
            _ => 403,
        };
        Refusal::new(e.code(), status, e.to_string())
    }
}
