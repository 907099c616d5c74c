//! A demo IdP and a demo dashboard, served only when the `DEMO` var is `1` (never in the
//! production config): a newcomer signs in as a few people and sees provisioning happen.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jit::ports::Directory;
use jit::{Code, Refusal};
use worker::{Request, Response};

use crate::d1::{D1Directory, D1};
use crate::platform::{endpoints, new_reference, now, public_origin, secret, session_secret};
use crate::respond::{harden, header, read_body, refusal_response};
use crate::routes::RouteContext;
use web::demo_sign::{cert_base64, load_key, signed_response, DemoAssertion};
use web::Lang;

fn enabled(ctx: &RouteContext) -> bool {
    ctx.env
        .var("DEMO")
        .map(|v| v.to_string() == "1")
        .unwrap_or(false)
}

fn not_found(req: &Request) -> worker::Result<Response> {
    let lang = web::negotiate_lang(header(req, "Accept-Language").as_deref());
    refusal_response(
        &Refusal::new(Code::NotFound, ""),
        &new_reference(),
        lang,
        false,
    )
}

fn html(body: String) -> worker::Result<Response> {
    harden(Response::from_html(body)?)
}

/// `GET /demo/idp`: pick who signs in.
pub async fn idp_page(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    if !enabled(&ctx) {
        return not_found(&req);
    }
    html(web::demo_pages::idp_page())
}

/// `POST /demo/idp`: sign a response and hand it to the browser to post to the ACS.
pub async fn idp_sign(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    if !enabled(&ctx) {
        return not_found(&req);
    }
    let reference = new_reference();
    let fail = |r: Refusal| refusal_response(&r, &reference, Lang::En, false);
    let form = match read_body(&mut req, 16 << 10)
        .await
        .and_then(|b| web::parse_form(&b))
    {
        Ok(f) => f,
        Err(r) => return fail(r),
    };
    let company = web::single(&form, "company", true)
        .ok()
        .flatten()
        .unwrap_or("decorumsoft")
        .to_owned();
    let email = match web::single(&form, "email", true) {
        Ok(Some(e)) => e.trim().to_owned(),
        Ok(None) => return fail(Refusal::new(Code::FormFieldMissing, "email")),
        Err(r) => return fail(r),
    };
    let key_pem = secret(&ctx.env, "DEMO_IDP_KEY");
    let cert_pem = ctx
        .env
        .var("DEMO_IDP_CERT")
        .map(|s| s.to_string())
        .unwrap_or_default();
    let key = match load_key(&key_pem) {
        Ok(k) => k,
        Err(d) => return fail(Refusal::new(Code::IdpNotConfigured, d)),
    };
    let origin = public_origin(&ctx.env);
    let sp = endpoints(&ctx.env, &company);
    let a = DemoAssertion {
        idp_entity_id: &format!("{origin}/demo/idp"),
        sp_entity_id: &sp.entity_id,
        acs_url: &sp.acs_url,
        email: &email,
        now: now(),
        nonce: &new_reference(),
    };
    let xml = match signed_response(&key, &cert_base64(&cert_pem), &a) {
        Ok(x) => x,
        Err(d) => return fail(Refusal::new(Code::IdpNotConfigured, d)),
    };
    let b64 = STANDARD.encode(xml);
    html(web::demo_pages::signed_page(&email, &sp.acs_url, &b64))
}

/// `GET /demo/dashboard`: who the session cookie says signed in, and their account.
pub async fn dashboard(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    if !enabled(&ctx) {
        return not_found(&req);
    }
    let secret = session_secret(&ctx.env);
    let cookie = header(&req, "Cookie");
    let claims = web::cookie(cookie.as_deref(), jit::session::COOKIE_NAME)
        .and_then(|v| jit::session::check(secret.as_bytes(), v, now().unix_seconds()));
    let Some(c) = claims else {
        return html(web::demo_pages::dashboard(None, None));
    };
    let user = match ctx.env.d1("DB") {
        Ok(db) => D1Directory::new(D1(db))
            .user(&c.company, &c.email)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let who = (c.company.as_str(), c.email.as_str());
    html(web::demo_pages::dashboard(Some(who), user.as_ref()))
}
