//! `PATCH /admin/companies/{c}/security` (IdP, provisioning and defaults, as `jit::admin` allows
//! the caller; IdP metadata pasted or fetched), per-company admin tokens and SCIM tokens.

use std::collections::BTreeMap;

use jit::admin::{Action, SecurityChange};
use jit::ports::AdminDirectory;
use jit::settings::FieldError;
use jit::tokens::TokenKind;
use jit::usecases::metadata::{self, Source, FETCH_SECONDS, MAX_METADATA_BYTES};
use jit::usecases::{company, tokens};
use jit::Code;
use worker::{Request, Response};

use crate::admin::{admin_error, try_open, with_endpoints};
use crate::platform::{now, public_origin, secret_hex};
use crate::respond::{error, field_error, harden, read_body, reply, store_error};
use crate::routes::RouteContext;

/// Fold IdP metadata (pasted, or fetched from its URL) into the change's IdP fields.
pub async fn resolve_metadata(change: &mut SecurityChange, origin: &str) -> Result<(), FieldError> {
    let (xml, url) = match metadata::source(change, web::is_loopback_origin(origin))? {
        Source::None => return Ok(()),
        Source::Pasted(xml) => (xml, None),
        Source::Fetch(url) => {
            let xml = fetch(&url).await.map_err(|reason| FieldError {
                field: "idp_metadata_url".into(),
                reason,
            })?;
            (xml, Some(url))
        }
    };
    metadata::import(change, &xml, url.as_deref())
}

/// GET the metadata: no redirects (each hop would escape the scheme check), at most
/// [`MAX_METADATA_BYTES`] read within [`FETCH_SECONDS`], and errors that say nothing of what
/// the URL returned.
pub async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    use futures_util::future::{select, Either};
    let limit = worker::Delay::from(std::time::Duration::from_secs(FETCH_SECONDS));
    match select(Box::pin(fetch_within(url)), Box::pin(limit)).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(format!("no answer within {FETCH_SECONDS} s")),
    }
}

async fn fetch_within(url: &str) -> Result<Vec<u8>, String> {
    use futures_util::StreamExt;
    // web_sys's RequestInit directly: worker::RequestInit's conversion carries the whole `cf`
    // options serializer (image resizing and more) into the bundle.
    let init = worker::web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_redirect(worker::web_sys::RequestRedirect::Manual);
    let req = worker::web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|_| "not a fetchable URL".to_owned())?;
    let mut resp = worker::Fetch::Request(Request::from(req))
        .send()
        .await
        .map_err(|_| "the URL could not be fetched".to_owned())?;
    if resp.status_code() != 200 {
        return Err(format!(
            "the URL answered {} (redirects are not followed)",
            resp.status_code()
        ));
    }
    let mut stream = resp
        .stream()
        .map_err(|_| "the URL sent no body".to_owned())?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| "the body could not be read".to_owned())?;
        if body.len() + chunk.len() > MAX_METADATA_BYTES {
            return Err("metadata over 256 KiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `PATCH /admin/companies/{company}/security`.
pub async fn patch_security(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::ChangeSecurity);
    let body = match read_body(&mut req, web::MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(r) => return error(r.code, &r.detail),
    };
    let mut change = match jit::wire::from_slice::<SecurityChange>(&body) {
        Ok(ch) => ch,
        Err(e) => return field_error(&e),
    };
    if let Err(e) = resolve_metadata(&mut change, &public_origin(&ctx.env)).await {
        return field_error(&e);
    }
    match crate::admin::change_audited(&c, &change, "API").await {
        Ok(next) => reply(200, &with_endpoints(&ctx.env, &c.company, &next)),
        Err(e) => admin_error(&e),
    }
}

/// The kind of token the route's `tokens` or `scim-tokens` segment names.
fn token_kind(ctx: &RouteContext) -> TokenKind {
    let segment = ctx.param("kind").map_or("", String::as_str);
    TokenKind::from_segment(segment).unwrap_or(TokenKind::Admin)
}

/// `POST /admin/companies/{company}/{tokens|scim-tokens}`: a new token, shown once.
pub async fn create_token(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let kind = token_kind(&ctx);
    let c = try_open!(req, ctx, tokens::manage_action(kind));
    if let Err(e) = company::settings(&c.kv, &c.company).await {
        return admin_error(&e);
    }
    let (Some(id), Some(secret)) = (secret_hex(8), secret_hex(32)) else {
        let msg = "no secure random source; nothing was created";
        return error(Code::RandomUnavailable, msg);
    };
    match tokens::create_token(&c.dir, kind, &c.company, &id, &secret, now()).await {
        Ok(token) => reply(201, &BTreeMap::from([("id", id), ("token", token)])),
        Err(e) => admin_error(&e),
    }
}

/// `GET /admin/companies/{company}/{tokens|scim-tokens}`: IDs and dates, never the tokens.
pub async fn list_tokens(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let kind = token_kind(&ctx);
    let c = try_open!(req, ctx, tokens::manage_action(kind));
    match c.dir.tokens(kind, &c.company).await {
        Ok(rows) => reply(200, &BTreeMap::from([("tokens", rows)])),
        Err(e) => store_error(&e),
    }
}

/// `DELETE /admin/companies/{company}/{tokens|scim-tokens}/{id}`: revoke.
pub async fn revoke_token(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let kind = token_kind(&ctx);
    let c = try_open!(req, ctx, tokens::manage_action(kind));
    let id = ctx.param("id").cloned().unwrap_or_default();
    match tokens::revoke_token(&c.dir, kind, &c.company, &id, now()).await {
        Ok(()) => harden(Response::empty()?.with_status(204)),
        Err(e) => admin_error(&e),
    }
}
