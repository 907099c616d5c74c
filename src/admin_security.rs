//! `PATCH /admin/companies/{c}/security` (IdP, provisioning and defaults, as `jit::admin` allows
//! the caller) and Support's per-company admin tokens.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jit::admin::{apply, Action, ChangeError, SecurityChange};
use jit::json::{obj, Json};
use jit::ports::{SettingsStore, StoreError};
use jit::settings::{CompanySettings, FieldError};
use jit::Code;
use worker::{Request, Response};

use crate::admin::{denied, open, settings_of, with_endpoints, Ctx};
use crate::platform::{now, public_origin, secret_hex};
use crate::respond::{error, field_error, harden, read_body, reply, store_error};
use crate::routes::RouteContext;
use crate::web;

/// Largest IdP metadata document fetched or accepted (bytes).
const MAX_METADATA_BYTES: usize = 256 << 10;

/// A certificate as PEM, from its DER.
fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Fold IdP metadata (pasted, or fetched from its URL) into the change's IdP fields.
pub async fn resolve_metadata(change: &mut SecurityChange, origin: &str) -> Result<(), FieldError> {
    let bad = |field: &str, reason: String| FieldError {
        field: field.into(),
        reason,
    };
    let (field, xml) = if let Some(xml) = change.idp_metadata_xml.take() {
        ("idp_metadata_xml", xml.into_bytes())
    } else if let Some(url) = change.idp_metadata_url.take() {
        let loopback = web::is_loopback_origin(origin);
        if !(url.starts_with("https://") || (loopback && url.starts_with("http://")))
            || !jit::settings::is_http_url(&url)
        {
            return Err(bad("idp_metadata_url", "must be an https URL".into()));
        }
        (
            "idp_metadata_url",
            fetch(&url).await.map_err(|e| bad("idp_metadata_url", e))?,
        )
    } else {
        return Ok(());
    };
    if xml.len() > MAX_METADATA_BYTES {
        return Err(bad(field, "metadata over 256 KiB".into()));
    }
    let md = saml_verify::metadata::parse_idp_metadata(&xml).map_err(|e| {
        // Fetched content is not echoed back: only pasted metadata gets the parser's reason.
        let reason = if field == "idp_metadata_url" {
            "the URL did not return IdP metadata".to_owned()
        } else {
            e.to_string()
        };
        bad(field, reason)
    })?;
    change.idp_entity_id = Some(md.entity_id.clone());
    change.idp_certificates = Some(
        md.signing_keys
            .iter()
            .map(|k| pem(k.certificate_der()))
            .collect(),
    );
    if let Some(sso) = md.redirect_sso_url() {
        change.idp_sso_url = Some(sso.to_owned());
    }
    Ok(())
}

/// GET the metadata: no redirects (each hop would escape the scheme check), at most
/// [`MAX_METADATA_BYTES`] read, and errors that say nothing of what the URL returned.
async fn fetch(url: &str) -> Result<Vec<u8>, String> {
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

/// Why a settings change was not stored.
pub enum ChangeFailure {
    Change(ChangeError),
    NoCompany,
    Store(StoreError),
}

/// Apply a change for the caller and store it.
pub async fn change_settings(
    c: &Ctx,
    change: &SecurityChange,
) -> Result<CompanySettings, ChangeFailure> {
    let current = match c.kv.company(&c.company).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(ChangeFailure::NoCompany),
        Err(e) => return Err(ChangeFailure::Store(e)),
    };
    let next = apply(&current, change, &c.role, &c.company).map_err(ChangeFailure::Change)?;
    c.kv.put(&c.company, &next)
        .await
        .map_err(ChangeFailure::Store)?;
    Ok(next)
}

/// `PATCH /admin/companies/{company}/security`.
pub async fn patch_security(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = match open(&req, &ctx, Action::ChangeSecurity).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let body = match read_body(&mut req, web::MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(r) => return error(r.code, &r.detail),
    };
    let mut change = match jit::json_path::from_slice::<SecurityChange>(&body) {
        Ok(ch) => ch,
        Err(e) => return field_error(&e),
    };
    if let Err(e) = resolve_metadata(&mut change, &public_origin(&ctx.env)).await {
        return field_error(&e);
    }
    match change_settings(&c, &change).await {
        Ok(next) => reply(200, &with_endpoints(&ctx.env, &c.company, &next)),
        Err(ChangeFailure::Change(ChangeError::Denied(d))) => denied(&d),
        Err(ChangeFailure::Change(ChangeError::Invalid(e))) => field_error(&e),
        Err(ChangeFailure::NoCompany) => error(Code::CompanyUnknown, "no such company"),
        Err(ChangeFailure::Store(e)) => store_error(&e),
    }
}

/// `POST /admin/companies/{company}/tokens`: a new admin token, shown once.
pub async fn create_token(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = match open(&req, &ctx, Action::SupportOnly).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if let Err(resp) = settings_of(&c).await {
        return resp;
    }
    let (Some(id), Some(secret)) = (secret_hex(8), secret_hex(32)) else {
        return error(
            Code::RandomUnavailable,
            "no secure random source; nothing was created",
        );
    };
    if let Err(e) = c
        .dir
        .insert_token(&c.company, &id, &jit::tokens::hash(&secret), now())
        .await
    {
        return store_error(&e);
    }
    reply(
        201,
        &obj([
            ("id", (&id).into()),
            ("token", jit::tokens::format(&id, &secret).into()),
        ]),
    )
}

/// `GET /admin/companies/{company}/tokens`: IDs and dates, never the tokens.
pub async fn list_tokens(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = match open(&req, &ctx, Action::SupportOnly).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    match c.dir.tokens(&c.company).await {
        Ok(rows) => reply(
            200,
            &obj([(
                "tokens",
                Json::Arr(rows.iter().map(|r| r.to_json()).collect()),
            )]),
        ),
        Err(e) => store_error(&e),
    }
}

/// `DELETE /admin/companies/{company}/tokens/{id}`: revoke.
pub async fn revoke_token(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = match open(&req, &ctx, Action::SupportOnly).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let id = ctx.param("id").cloned().unwrap_or_default();
    match c.dir.revoke_token(&c.company, &id, now()).await {
        Ok(true) => harden(Response::empty()?.with_status(204)),
        Ok(false) => error(Code::TokenUnknown, "no such active token"),
        Err(e) => store_error(&e),
    }
}
