//! The sign-in endpoints: `POST /saml/{company}/acs` (parse the form, call [`jit::flow::acs`]
//! with KV and D1 behind its ports, answer 303 with the session cookie or a refusal) and the SP
//! metadata.

use jit::flow::{acs, AcsRequest, SignedIn};
use jit::ports::SettingsStore;
use jit::usecases::company::refresh_domains_mirror;
use jit::{Code, Refusal};
use worker::{console_error, console_log, Env, Request, Response};

use crate::admin::log_mirror_error;
use crate::d1::{D1Directory, D1};
use crate::kv::KvSettings;
use crate::platform::{
    endpoints, new_reference, now, public_origin, random_seed, secret, secret_hex, session_secret,
};
use crate::respond::{harden, header, log_line, read_body, refusal_response};
use crate::routes::RouteContext;

/// `POST /saml/{company}/acs`: the HTTP-POST binding's Assertion Consumer Service (SAML
/// bindings §3.5): read the form, call the flow, answer 303 with the session or a refusal.
pub async fn acs_route(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = web::negotiate_lang(header(&req, "Accept-Language").as_deref());
    let json = web::wants_json(header(&req, "Accept").as_deref());
    let reference = new_reference();
    let refuse = |r: Refusal| {
        let line = log_line(r.code.as_str(), &reference, &company, &r.detail);
        console_log!("{line}");
        refusal_response(&r, &reference, lang, json)
    };
    if !jit::settings::is_identifier(&company) {
        return refuse(Refusal::new(Code::CompanyUnknown, "malformed company id"));
    }
    let (saml_response, relay_state) = match read_form(&mut req).await {
        Ok(f) => f,
        Err(r) => return refuse(r),
    };
    let secret = session_secret(&ctx.env);
    let (kv, dir, keys) = match platform_for(&ctx.env, &company, &secret) {
        Ok(p) => p,
        Err(r) => return refuse(r),
    };
    let sp = endpoints(&ctx.env, &company);
    let Some(new_user_id) = secret_hex(16) else {
        return refuse(Refusal::new(Code::RandomUnavailable, "no random user ID"));
    };
    let request = AcsRequest {
        company: &company,
        saml_response: saml_response.as_bytes(),
        relay_state: relay_state.as_deref(),
        now: now(),
        sp_entity_id: &sp.entity_id,
        acs_url: &sp.acs_url,
        reference: &reference,
        session_secret: secret.as_bytes(),
        sp_keys: &keys.keys,
        new_user_id: &new_user_id,
        blinding: keys.blinding,
    };
    if let Some(test_id) = crate::setup::test_id_of(saml_response.as_bytes()) {
        return crate::setup::acs_test(&ctx.env, &request, &test_id, &kv, &dir, lang).await;
    }
    match acs(&request, &kv, &dir).await {
        Ok(done) => {
            log_sign_in(&done, &reference, &company);
            if done.created || done.email_changed {
                if let Err(e) = refresh_domains_mirror(&kv, &dir, &company).await {
                    log_mirror_error(&company, &e);
                }
            }
            signed_in(&done, &public_origin(&ctx.env))
        }
        Err(r) => refuse(r),
    }
}

/// The form's `SAMLResponse` (required) and `RelayState`, each at most once.
async fn read_form(req: &mut Request) -> Result<(String, Option<String>), Refusal> {
    if !web::is_form_content_type(header(req, "Content-Type").as_deref()) {
        let detail = "expected application/x-www-form-urlencoded";
        return Err(Refusal::new(Code::ContentTypeUnsupported, detail));
    }
    let form = web::parse_form(&read_body(req, web::MAX_FORM_BYTES).await?)?;
    let saml_response = web::single(&form, "SAMLResponse", true)?;
    let relay_state = web::single(&form, "RelayState", false)?.map(str::to_owned);
    match saml_response {
        Some(s) => Ok((s.to_owned(), relay_state)),
        None => Err(Refusal::new(
            Code::FormFieldMissing,
            "SAMLResponse is missing",
        )),
    }
}

/// This company's SP decryption keys and the request's RSA blinding randomness.
struct Keys {
    keys: Vec<saml_verify::DecryptionKey>,
    blinding: Option<saml_verify::BlindingSeed>,
}

/// The stores and keys the flow runs with, or why it cannot run.
fn platform_for(
    env: &Env,
    company: &str,
    secret: &str,
) -> Result<(KvSettings, D1Directory, Keys), Refusal> {
    let (Ok(kv), Ok(db)) = (env.kv("SETTINGS"), env.d1("DB")) else {
        let detail = "SETTINGS or DB binding missing";
        return Err(Refusal::new(Code::BindingMissing, detail));
    };
    let keys = sp_keys(env, company).map_err(|d| Refusal::new(Code::SpKeysInvalid, d))?;
    // Decryption is never unblinded: without randomness (never seen on Workers), refuse.
    let blinding = random_seed();
    if blinding.is_none() && !keys.is_empty() {
        let detail = "no CSPRNG for RSA blinding";
        return Err(Refusal::new(Code::RandomUnavailable, detail));
    }
    let dir = D1Directory::with_request_secret(D1(db), secret.as_bytes());
    Ok((KvSettings::new(kv), dir, Keys { keys, blinding }))
}

/// One log line per sign-in.
fn log_sign_in(done: &SignedIn, reference: &str, company: &str) {
    let event = if done.created {
        "provisioned"
    } else {
        "signed_in"
    };
    let line = web::json_out::to_json(&web::json_out::SignInLine {
        event,
        reference,
        company,
        assertion_id: &done.assertion_id,
    });
    console_log!("{line}");
}

/// 303 to where the flow says, with the session cookie (`Secure` unless on loopback).
fn signed_in(done: &SignedIn, origin: &str) -> worker::Result<Response> {
    let mut resp = Response::empty()?.with_status(303);
    resp.headers_mut().set("Location", &done.redirect)?;
    let secure = !web::is_loopback_origin(origin);
    let cookie = web::session_cookie(&done.session, secure);
    resp.headers_mut().set("Set-Cookie", &cookie)?;
    harden(resp)
}

/// `GET /saml/{company}/metadata`: this SP's metadata for the IdP administrator.
pub async fn metadata_route(req: Request, ctx: RouteContext) -> worker::Result<Response> {
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
    let sp = endpoints(&ctx.env, &company);
    let xml = web::sp_metadata(&sp.entity_id, &sp.acs_url, &certs);
    let mut resp = Response::ok(xml)?;
    resp.headers_mut().set(
        "Content-Type",
        "application/samlmetadata+xml; charset=utf-8",
    )?;
    resp.headers_mut()
        .set("Cache-Control", "public, max-age=300")?;
    harden(resp)
}

thread_local! {
    /// Parsed SP keys per company (see [`web::sp_key_cache`]).
    static SP_KEY_CACHE: std::cell::RefCell<web::sp_key_cache::SpKeyCache> =
        const { std::cell::RefCell::new(web::sp_key_cache::SpKeyCache::new()) };
}

/// The company's SP decryption keys from the `SP_KEYS` secret (none when it is not set).
fn sp_keys(env: &Env, company: &str) -> Result<Vec<saml_verify::DecryptionKey>, String> {
    let secret = secret(env, "SP_KEYS");
    SP_KEY_CACHE.with(|c| c.borrow_mut().keys(&secret, company))
}
