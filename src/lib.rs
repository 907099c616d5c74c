//! The Cloudflare Worker: the only code that imports `worker`. It reads the request, calls the
//! pure flow in `jit` with KV and D1 behind its ports, and writes the response. No policy here.
#![forbid(unsafe_code)]

mod admin;
mod admin_security;
mod auth;
mod d1;
mod d1_js;
#[cfg(feature = "demo")]
mod demo;
#[cfg(any(feature = "demo", test))]
pub mod demo_sign;
mod kv;
mod page_text;
mod pages;
pub mod web;

use futures_util::StreamExt;
use jit::flow::{acs, AcsRequest};
use jit::json::{obj, Json};
use jit::{Code, Refusal};
use saml_verify::Timestamp;
use worker::{
    console_error, console_log, event, Context, Date, Env, Request, Response, ScheduleContext,
    ScheduledEvent,
};

use crate::d1::D1Directory;
use crate::kv::KvSettings;
use crate::web::Lang;
use jit::ports::SettingsStore;

/// What a handler gets: the environment and the path parameters.
pub(crate) struct RouteContext {
    pub env: Env,
    params: Vec<(&'static str, String)>,
}

impl RouteContext {
    pub fn param(&self, name: &str) -> Option<&String> {
        self.params.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

/// A route handler's future.
type Handler = std::pin::Pin<Box<dyn std::future::Future<Output = worker::Result<Response>>>>;

/// The routes. A hand-written match over path segments: the worker crate's router would add a
/// route-matching engine to the bundle for eleven fixed shapes.
async fn route(req: Request, env: Env) -> worker::Result<Response> {
    let path = req.path();
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method();
    let ctx = |params: &[(&'static str, &str)]| RouteContext {
        env: env.clone(),
        params: params.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    };
    use worker::Method::{Delete, Get, Patch, Post, Put};
    // Each handler is its own boxed future: one small state machine per route instead of all
    // of them inlined into this one (smaller wasm).
    let handler: Handler = match (method, segs.as_slice()) {
        (Get, ["healthz"]) => Box::pin(std::future::ready(healthz())),
        (Post, ["saml", c, "acs"]) => Box::pin(acs_route(req, ctx(&[("company", c)]))),
        (Get, ["saml", c, "metadata"]) => Box::pin(metadata_route(req, ctx(&[("company", c)]))),
        (Put, ["admin", "companies", c]) => {
            Box::pin(admin::put_company(req, ctx(&[("company", c)])))
        }
        (Get, ["admin", "companies", c]) => {
            Box::pin(admin::get_company(req, ctx(&[("company", c)])))
        }
        (Post, ["admin", "companies", c, "users"]) => {
            Box::pin(admin::create_user(req, ctx(&[("company", c)])))
        }
        (Get, ["admin", "companies", c, "users"]) => {
            Box::pin(admin::list_users(req, ctx(&[("company", c)])))
        }
        (Get, ["admin", "companies", c, "users", e]) => {
            Box::pin(admin::get_user(req, ctx(&[("company", c), ("email", e)])))
        }
        (Get, ["admin", "companies", c, "audit"]) => {
            Box::pin(admin::audit(req, ctx(&[("company", c)])))
        }
        (Patch, ["admin", "companies", c, "security"]) => {
            Box::pin(admin_security::patch_security(req, ctx(&[("company", c)])))
        }
        (Post, ["admin", "companies", c, "tokens"]) => {
            Box::pin(admin_security::create_token(req, ctx(&[("company", c)])))
        }
        (Get, ["admin", "companies", c, "tokens"]) => {
            Box::pin(admin_security::list_tokens(req, ctx(&[("company", c)])))
        }
        (Delete, ["admin", "companies", c, "tokens", id]) => Box::pin(
            admin_security::revoke_token(req, ctx(&[("company", c), ("id", id)])),
        ),
        (Get, ["admin", c, "security"]) => {
            Box::pin(pages::security_page(req, ctx(&[("company", c)])))
        }
        (Post, ["admin", c, "security"]) => {
            Box::pin(pages::security_save(req, ctx(&[("company", c)])))
        }
        (Get, ["login", c]) => Box::pin(pages::login_page(req, ctx(&[("company", c)]))),
        (Post, ["login", c]) => Box::pin(pages::login_submit(req, ctx(&[("company", c)]))),
        (Get, ["saml", c, "login"]) => Box::pin(pages::sp_login(req, ctx(&[("company", c)]))),
        #[cfg(feature = "demo")]
        (Get, ["demo", "idp"]) => Box::pin(demo::idp_page(req, ctx(&[]))),
        #[cfg(feature = "demo")]
        (Post, ["demo", "idp"]) => Box::pin(demo::idp_sign(req, ctx(&[]))),
        #[cfg(feature = "demo")]
        (Get, ["demo", "dashboard"]) => Box::pin(demo::dashboard(req, ctx(&[]))),
        _ => {
            let lang = web::negotiate_lang(header(&req, "Accept-Language").as_deref());
            let json = web::wants_json(header(&req, "Accept").as_deref());
            Box::pin(std::future::ready(refusal_response(
                &Refusal::new(Code::NotFound, ""),
                &new_reference(),
                lang,
                json,
            )))
        }
    };
    handler.await
}

/// `GET /healthz`: `ok`, with the size of this isolate's wasm linear memory in a header, so a
/// soak test can tell whether the worker's own heap grows (workerd's RSS also counts V8 and the
/// local D1 and KV simulators).
fn healthz() -> worker::Result<Response> {
    use worker::wasm_bindgen::JsCast;
    let bytes = worker::wasm_bindgen::memory()
        .dyn_into::<worker::js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<worker::js_sys::ArrayBuffer>().ok())
        .map_or(0, |b| b.byte_length());
    let mut resp = Response::ok("ok")?;
    resp.headers_mut()
        .set("X-Wasm-Memory-Bytes", &bytes.to_string())?;
    Ok(resp)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let lang = web::negotiate_lang(header(&req, "Accept-Language").as_deref());
    let json = web::wants_json(header(&req, "Accept").as_deref());
    match route(req, env).await {
        Ok(resp) => harden(resp),
        Err(e) => {
            let reference = new_reference();
            console_error!(
                "{}",
                log_line("internal_error", &reference, "", &e.to_string())
            );
            refusal_response(
                &Refusal::new(Code::InternalError, e.to_string()),
                &reference,
                lang,
                json,
            )
        }
    }
}

/// Cron Trigger: drop replay-cache entries whose assertions have expired anyway.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let result = match env.d1("DB") {
        Ok(db) => D1Directory::new(db)
            .purge_used_assertions(now())
            .await
            .map_err(|e| format!("{e:?}")),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(n) => console_log!("{{\"event\":\"purge_used_assertions\",\"deleted\":{n}}}"),
        Err(e) => console_error!(
            "{}",
            obj([
                ("event", "purge_used_assertions".into()),
                ("error", e.into())
            ])
            .dump()
        ),
    }
}

pub(crate) fn now() -> Timestamp {
    Timestamp(Date::now().as_millis() as i64)
}

/// 32 bytes from the platform CSPRNG for RSA blinding, or None when it fails.
fn random_seed() -> Option<saml_verify::BlindingSeed> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).ok()?;
    Some(saml_verify::BlindingSeed::new(b))
}

/// A random reference ID for a person to quote to support.
pub(crate) fn new_reference() -> String {
    secret_hex(8).unwrap_or_else(|| web::hex_id(&Date::now().as_millis().to_be_bytes()))
}

/// `n` random bytes from the platform CSPRNG as hex, or None when it fails: secrets (admin
/// tokens, AuthnRequest IDs) then fail closed instead of falling back to anything guessable.
pub(crate) fn secret_hex(n: usize) -> Option<String> {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).ok()?;
    Some(web::hex_id(&b))
}

/// One structured log line. Never holds a secret or assertion content: codes, IDs, detail.
pub(crate) fn log_line(event: &str, reference: &str, company: &str, detail: &str) -> String {
    obj([
        ("event", event.into()),
        ("reference", reference.into()),
        ("company", company.into()),
        ("detail", detail.into()),
    ])
    .dump()
}

/// A JSON response (200 until the caller sets a status).
pub(crate) fn json_response(body: &Json) -> worker::Result<Response> {
    let mut resp = Response::from_bytes(body.dump().into_bytes())?;
    resp.headers_mut().set("Content-Type", "application/json")?;
    Ok(resp)
}

/// The `SESSION_SECRET` (empty when unset: everything keyed by it then fails closed).
pub(crate) fn session_secret(env: &Env) -> String {
    env.secret("SESSION_SECRET")
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// The public origin this worker is reached at (no trailing slash).
pub(crate) fn public_origin(env: &Env) -> String {
    env.var("PUBLIC_ORIGIN")
        .map(|v| v.to_string())
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

pub(crate) fn harden(mut resp: Response) -> worker::Result<Response> {
    let h = resp.headers_mut();
    for (k, v) in web::SECURITY_HEADERS {
        if k != "Cache-Control" || !h.has("Cache-Control")? {
            h.set(k, v)?;
        }
    }
    Ok(resp)
}

pub(crate) fn refusal_response(
    r: &Refusal,
    reference: &str,
    lang: Lang,
    json: bool,
) -> worker::Result<Response> {
    let resp = if json {
        json_response(&obj([
            ("error", r.code.as_str().into()),
            ("reference", reference.into()),
        ]))?
    } else {
        let mut resp = Response::from_html(web::refusal_page(r.code, reference, lang))?;
        resp.headers_mut().set("Content-Language", lang.tag())?;
        resp
    };
    harden(resp.with_status(r.status()))
}

/// Read a request body of at most `cap` bytes, refusing larger ones before reading them whole.
pub(crate) async fn read_body(req: &mut Request, cap: usize) -> Result<Vec<u8>, Refusal> {
    let too_large = || Refusal::new(Code::BodyTooLarge, format!("request body over {cap} bytes"));
    if let Ok(Some(len)) = req.headers().get("Content-Length") {
        if len.trim().parse::<usize>().map_or(true, |n| n > cap) {
            return Err(too_large());
        }
    }
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Refusal::new(Code::BodyUnreadable, e.to_string()))?;
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// `POST /saml/{company}/acs`: the HTTP-POST binding's Assertion Consumer Service.
async fn acs_route(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = web::negotiate_lang(header(&req, "Accept-Language").as_deref());
    let json = web::wants_json(header(&req, "Accept").as_deref());
    let reference = new_reference();
    let refuse = |r: Refusal| {
        console_log!(
            "{}",
            log_line(r.code.as_str(), &reference, &company, &r.detail)
        );
        refusal_response(&r, &reference, lang, json)
    };
    if !jit::settings::is_identifier(&company) {
        return refuse(Refusal::new(Code::CompanyUnknown, "malformed company id"));
    }
    if !web::is_form_content_type(header(&req, "Content-Type").as_deref()) {
        return refuse(Refusal::new(
            Code::ContentTypeUnsupported,
            "expected application/x-www-form-urlencoded",
        ));
    }
    let form = match read_body(&mut req, web::MAX_FORM_BYTES)
        .await
        .and_then(|b| web::parse_form(&b))
    {
        Ok(f) => f,
        Err(r) => return refuse(r),
    };
    let fields = web::single(&form, "SAMLResponse", true)
        .and_then(|s| Ok((s, web::single(&form, "RelayState", false)?)));
    let (saml_response, relay_state) = match fields {
        Ok((Some(s), rs)) => (s, rs),
        Ok((None, _)) => {
            return refuse(Refusal::new(
                Code::FormFieldMissing,
                "SAMLResponse is missing",
            ))
        }
        Err(r) => return refuse(r),
    };
    let (kv, db) = match (ctx.env.kv("SETTINGS"), ctx.env.d1("DB")) {
        (Ok(kv), Ok(db)) => (kv, db),
        _ => {
            return refuse(Refusal::new(
                Code::BindingMissing,
                "SETTINGS or DB binding missing",
            ))
        }
    };
    let sp_keys = match sp_keys(&ctx.env, &company) {
        Ok(k) => k,
        Err(d) => return refuse(Refusal::new(Code::SpKeysInvalid, d)),
    };
    // Decryption is never unblinded: without randomness (never seen on Workers), refuse.
    let blinding = random_seed();
    if blinding.is_none() && !sp_keys.is_empty() {
        return refuse(Refusal::new(
            Code::RandomUnavailable,
            "no CSPRNG for RSA blinding",
        ));
    }
    let secret = crate::session_secret(&ctx.env);
    let origin = public_origin(&ctx.env);
    let sp_entity_id = format!("{origin}/saml/{company}/metadata");
    let acs_url = format!("{origin}/saml/{company}/acs");
    let request = AcsRequest {
        company: &company,
        saml_response: saml_response.as_bytes(),
        relay_state,
        now: now(),
        sp_entity_id: &sp_entity_id,
        acs_url: &acs_url,
        reference: &reference,
        session_secret: secret.as_bytes(),
        sp_keys: &sp_keys,
        blinding,
    };
    let dir = D1Directory::with_request_secret(db, secret.as_bytes());
    match acs(&request, &KvSettings::new(kv), &dir).await {
        Ok(done) => {
            let event = if done.created {
                "provisioned"
            } else {
                "signed_in"
            };
            let line = obj([
                ("event", event.into()),
                ("reference", (&reference).into()),
                ("company", (&company).into()),
                ("assertion_id", (&done.assertion_id).into()),
            ]);
            console_log!("{}", line.dump());
            if done.created {
                admin::refresh_domains_mirror(&ctx.env, &company).await;
            }
            let mut resp = Response::empty()?.with_status(303);
            resp.headers_mut().set("Location", &done.redirect)?;
            resp.headers_mut().set(
                "Set-Cookie",
                &web::session_cookie(&done.session, !web::is_loopback_origin(&origin)),
            )?;
            harden(resp)
        }
        Err(r) => refuse(r),
    }
}

/// `GET /saml/{company}/metadata`: this SP's metadata for the IdP administrator.
async fn metadata_route(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = web::negotiate_lang(header(&req, "Accept-Language").as_deref());
    let reference = new_reference();
    let settings = match ctx.env.kv("SETTINGS") {
        Ok(kv) if jit::settings::is_identifier(&company) => {
            KvSettings::new(kv).company(&company).await
        }
        _ => Ok(None),
    };
    let settings = match settings {
        Ok(Some(s)) => s,
        Ok(None) => {
            return refusal_response(
                &Refusal::new(Code::CompanyUnknown, ""),
                &reference,
                lang,
                false,
            )
        }
        Err(e) => {
            let r = Refusal::new(Code::SettingsInvalid, format!("{e:?}"));
            console_error!(
                "{}",
                log_line(r.code.as_str(), &reference, &company, &r.detail)
            );
            return refusal_response(&r, &reference, lang, false);
        }
    };
    let certs: Vec<String> = settings
        .saml
        .sp_certificates
        .iter()
        .map(|p| web::pem_body(p))
        .collect();
    let origin = public_origin(&ctx.env);
    let xml = web::sp_metadata(
        &format!("{origin}/saml/{company}/metadata"),
        &format!("{origin}/saml/{company}/acs"),
        &certs,
    );
    let mut resp = Response::ok(xml)?;
    resp.headers_mut().set(
        "Content-Type",
        "application/samlmetadata+xml; charset=utf-8",
    )?;
    resp.headers_mut()
        .set("Cache-Control", "public, max-age=300")?;
    harden(resp)
}

/// (company, SHA-256 of the `SP_KEYS` secret, that company's parsed keys).
type SpKeyCache = Vec<(String, [u8; 32], Vec<saml_verify::DecryptionKey>)>;

thread_local! {
    /// Parsed SP keys per company, with the SHA-256 of the secret they came from: parsing RSA
    /// private keys on every request would cost more than verifying.
    static SP_KEY_CACHE: std::cell::RefCell<SpKeyCache> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The company's SP decryption keys from the `SP_KEYS` secret (none when it is not set).
fn sp_keys(env: &Env, company: &str) -> Result<Vec<saml_verify::DecryptionKey>, String> {
    use sha2::{Digest, Sha256};
    let secret = env
        .secret("SP_KEYS")
        .map(|s| s.to_string())
        .unwrap_or_default();
    let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    let cached = SP_KEY_CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(co, d, _)| co == company && *d == digest)
            .map(|(_, _, k)| k.clone())
    });
    if let Some(keys) = cached {
        return Ok(keys);
    }
    let keys = web::sp_keys_from_secret(&secret, company)?;
    SP_KEY_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.retain(|(co, _, _)| co != company);
        c.push((company.to_owned(), digest, keys.clone()));
    });
    Ok(keys)
}
