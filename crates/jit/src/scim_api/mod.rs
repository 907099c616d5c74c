//! The SCIM 2.0 service provider (issue #14) under `{PUBLIC_ORIGIN}/scim/v2/{company}`: one
//! function, [`handle`], from a request to its answer, over the ports (KV settings, the token
//! table, and SQL statements as data). The protocol itself (bodies, PATCH, filters, documents)
//! is the pure `scim` crate; the rules are `crate::policy` and `crate::lifecycle::mapping`.
//!
//! - A request carries `Authorization: Bearer scim_<id>.<secret>`, a SCIM token of this very
//!   company (401 otherwise: another company's, a revoked one, an admin token).
//! - `userName` is the email. SCIM may create users only in domains JIT could provision
//!   ([`crate::policy::domain_allowed`]), and users it creates never count for the domain rule.
//! - `active: false` deactivates (SAML sign-in refused `user_deactivated`, sessions issued until
//!   then refused by `GET /session`); `active: true` reactivates; DELETE deactivates and hides.
//! - Every create, update, deactivation, reactivation and delete is audited with the actor
//!   `scim:<token id>` and the names of the fields that changed (never a value, never a secret).

pub mod group_sql;
pub mod groups;
pub mod session;
pub mod sql;
pub mod users;

use saml_verify::Timestamp;
use serde_json::Value as Json;

use crate::ports::{AdminDirectory, AuditEntry, AuditEvent, SettingsStore, StoreError};
use crate::settings::CompanySettings;
use crate::tokens::TokenKind;
use crate::usecases::tokens::token_owner;
use scim::{discovery, ScimError};
pub use sql::Sql;

/// The HTTP method, as far as SCIM uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Other,
}

impl Method {
    /// From the HTTP method's name.
    pub fn from_name(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

/// One SCIM request, as the worker read it. Its `Debug` form leaves out the Authorization
/// header (a bearer secret) and the body.
#[derive(Clone)]
pub struct ScimRequest<'a> {
    pub method: Method,
    pub company: &'a str,
    /// The path segments after `/scim/v2/{company}`.
    pub path: &'a [&'a str],
    /// The query string, without `?`.
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// `{PUBLIC_ORIGIN}/scim/v2/{company}`.
    pub base: &'a str,
    pub now: Timestamp,
    /// A fresh random ID (lower hex), for a resource this request creates.
    pub new_id: &'a str,
    /// The request's reference, for its audit rows.
    pub reference: &'a str,
}

impl core::fmt::Debug for ScimRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScimRequest")
            .field("method", &self.method)
            .field("company", &self.company)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("authorization", &self.authorization.map(|_| "<redacted>"))
            .field("content_type", &self.content_type)
            .field("body_bytes", &self.body.len())
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

/// The answer: status, SCIM JSON body (none for 204), `Location` for a 201.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimReply {
    pub status: u16,
    pub body: Option<Json>,
    pub location: Option<String>,
}

impl ScimReply {
    fn json(status: u16, body: Json) -> Self {
        ScimReply {
            status,
            body: Some(body),
            location: None,
        }
    }

    fn created(body: Json) -> Self {
        let location = body["meta"]["location"].as_str().map(str::to_owned);
        ScimReply {
            status: 201,
            body: Some(body),
            location,
        }
    }
}

/// Why a request failed: a SCIM error, or storage (503).
#[derive(Debug)]
pub enum Fail {
    Scim(ScimError),
    Store(StoreError),
}

impl From<ScimError> for Fail {
    fn from(e: ScimError) -> Self {
        Fail::Scim(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

/// The authenticated context of a request.
pub struct Ctx<'a> {
    pub req: &'a ScimRequest<'a>,
    /// The token's ID, for the audit actor.
    pub token_id: String,
}

impl Ctx<'_> {
    /// An audit row of this request.
    pub fn audit(&self, event: AuditEvent, email: Option<&str>, detail: String) -> AuditEntry {
        AuditEntry {
            company: self.req.company.to_owned(),
            at: self.req.now,
            event,
            email: email.map(str::to_owned),
            assertion_id: None,
            reason: None,
            reference: self.req.reference.to_owned(),
            actor: Some(format!("scim:{}", self.token_id)),
            detail: Some(detail),
        }
    }

    /// The company's settings (exception domains, group mappings, defaults).
    pub async fn settings<K: SettingsStore>(&self, kv: &K) -> Result<CompanySettings, Fail> {
        match kv.company(self.req.company).await? {
            Some(s) => Ok(s),
            None => Err(ScimError::not_found("no such company").into()),
        }
    }

    /// The body of a write, after its Content-Type is checked.
    pub fn body(&self) -> Result<&[u8], Fail> {
        match scim::request_content_type_ok(self.req.content_type) {
            true => Ok(self.req.body),
            false => {
                Err(ScimError::new(415, None, "Content-Type must be application/scim+json").into())
            }
        }
    }
}

/// Answer one SCIM request: `tokens` holds the SCIM tokens, `dir` runs the statements (both
/// D1 in the worker). Never panics on input; a refused request writes nothing.
pub async fn handle<K: SettingsStore, T: AdminDirectory, D: Sql>(
    kv: &K,
    tokens: &T,
    dir: &D,
    req: &ScimRequest<'_>,
) -> ScimReply {
    let outcome = match authenticate(tokens, req).await {
        Ok(token_id) => route(kv, dir, &Ctx { req, token_id }).await,
        Err(f) => Err(f),
    };
    match outcome {
        Ok(reply) => reply,
        Err(Fail::Scim(e)) => ScimReply::json(e.status, e.to_value()),
        Err(Fail::Store(_)) => {
            let e = ScimError::new(503, None, "storage is unavailable; nothing was changed");
            ScimReply::json(503, e.to_value())
        }
    }
}

/// 405: the endpoint exists, the method does not (RFC 7644 §3.12).
pub(crate) fn not_allowed() -> Fail {
    ScimError::new(405, None, "method not allowed on this endpoint").into()
}

/// The token ID of a valid SCIM token of the request's company.
async fn authenticate<D: AdminDirectory>(dir: &D, req: &ScimRequest<'_>) -> Result<String, Fail> {
    let unauthorized =
        || ScimError::new(401, None, "a SCIM bearer token of this company is required");
    let header = req.authorization.unwrap_or_default().trim();
    let token = match header.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => return Err(unauthorized().into()),
    };
    match token_owner(dir, TokenKind::Scim, token).await? {
        Some((company, id)) if company == req.company => Ok(id),
        _ => Err(unauthorized().into()),
    }
}

async fn route<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
) -> Result<ScimReply, Fail> {
    let r = ctx.req;
    let found = |doc: Option<Json>| {
        doc.map(|d| ScimReply::json(200, d))
            .ok_or_else(|| Fail::Scim(ScimError::not_found("no such resource")))
    };
    match (r.method, r.path) {
        (Method::Get, ["ServiceProviderConfig"]) => Ok(ScimReply::json(
            200,
            discovery::service_provider_config(r.base),
        )),
        (Method::Get, ["ResourceTypes"]) => {
            Ok(ScimReply::json(200, discovery::resource_types(r.base)))
        }
        (Method::Get, ["ResourceTypes", name]) => found(discovery::resource_type(name, r.base)),
        (Method::Get, ["Schemas"]) => Ok(ScimReply::json(200, discovery::schemas(r.base))),
        (Method::Get, ["Schemas", id]) => found(discovery::schema(id, r.base)),
        (_, ["ServiceProviderConfig" | "ResourceTypes" | "Schemas", ..]) => Err(not_allowed()),
        // Searching several resource types at once (RFC 7644 §3.4.3): not implemented.
        (Method::Post, [".search"]) => {
            Err(ScimError::new(501, None, "search /Users/.search or /Groups/.search").into())
        }
        (_, ["Users", rest @ ..]) => users::route(kv, dir, ctx, rest).await,
        (_, ["Groups", rest @ ..]) => groups::route(kv, dir, ctx, rest).await,
        _ => Err(ScimError::not_found("no such endpoint").into()),
    }
}
