//! Server-rendered pages for people: the Security Settings page of a company admin, the
//! sign-in page with the SAML SSO button, and the SP-initiated redirect to the IdP. English and
//! French (Accept-Language, or `?lang=`), no JavaScript, forms protected by a CSRF token bound
//! to the session.

use jit::admin::{Role, SecurityChange};
use jit::ports::{AdminDirectory, SettingsStore};
use jit::session;
use jit::sp_initiated::{authn_request, redirect_url, REQUEST_TTL_SECONDS};
use jit::usecases::{company as usecase, sign_in_page::sso_button_for};
use worker::{Request, Response};

use crate::admin::Ctx;
use crate::auth;
use crate::d1::{D1Directory, D1};
use crate::kv::KvSettings;
use crate::platform::{endpoints, now, session_secret};
use crate::respond::{harden, header, read_body, refuse_page as refuse, see_other};
use crate::routes::RouteContext;
use jit::Code;
use web::page_text::{security_body, t, SecurityView, Text};
use web::Lang;

/// A query parameter, read from the raw URL (parsing it with the `url` crate would bring its
/// Unicode tables into the bundle).
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1.split('#').next()?;
    let form = web::parse_form(query.as_bytes()).ok()?;
    form.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The page language: `?lang=` first, then Accept-Language.
pub fn lang_of(req: &Request) -> Lang {
    match query_param(req, "lang").as_deref() {
        Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        _ => web::negotiate_lang(header(req, "Accept-Language").as_deref()),
    }
}

pub(crate) fn html(status: u16, lang: Lang, title: &str, body: &str) -> worker::Result<Response> {
    let switch = "<p><a id=\"lang-en\" href=\"?lang=en\">English</a> · <a id=\"lang-fr\" href=\"?lang=fr\">Français</a></p>";
    let mut resp = Response::from_html(web::page(lang, title, &format!("{switch}{body}")))?
        .with_status(status);
    resp.headers_mut().set("Content-Language", lang.tag())?;
    harden(resp)
}

/// The admin session for company `c`, or the response to send instead.
pub(crate) async fn admin_session(
    req: &Request,
    ctx: &RouteContext,
    company: &str,
    lang: Lang,
) -> Result<(Ctx, String), worker::Result<Response>> {
    let Some((claims, cookie)) = auth::session(req, &ctx.env) else {
        return Err(see_other(&format!("/login/{company}?lang={}", lang.tag())));
    };
    let (kv, db) = match (ctx.env.kv("SETTINGS"), ctx.env.d1("DB")) {
        (Ok(kv), Ok(db)) => (KvSettings::new(kv), D1Directory::new(D1(db))),
        _ => return Err(refuse(Code::BindingMissing, lang)),
    };
    let is_admin = auth::session_is_admin(&claims, &db).await;
    if claims.company != company || !matches!(is_admin, Ok(true)) {
        return Err(refuse(Code::Forbidden, lang));
    }
    let ctx = Ctx {
        company: company.to_owned(),
        kv,
        dir: db,
        role: Role::Admin {
            company: company.to_owned(),
        },
    };
    Ok((ctx, cookie))
}

/// `GET /admin/{company}/security`.
pub async fn security_page(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let (c, cookie) = match admin_session(&req, &ctx, &company, lang).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let settings = match usecase::settings(&c.kv, &company).await {
        Ok(s) => s,
        Err(_) => return refuse(Code::SettingsInvalid, lang),
    };
    let domains = c
        .dir
        .provisionable_domains(&company)
        .await
        .unwrap_or_default();
    let secret = session_secret(&ctx.env);
    let csrf = session::csrf_token(secret.as_bytes(), &cookie).unwrap_or_default();
    let sp = endpoints(&ctx.env, &company);
    let saved = query_param(&req, "saved").is_some();
    let view = SecurityView {
        company: &company,
        settings: &settings,
        confirmed_domains: &domains,
        csrf: &csrf,
        sp: &sp,
        saved,
        now: now(),
    };
    html(
        200,
        lang,
        t(lang, Text::SecurityTitle),
        &security_body(lang, &view),
    )
}

/// `POST /admin/{company}/security`: the form's Save changes.
pub async fn security_save(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let (c, cookie) = match admin_session(&req, &ctx, &company, lang).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let form = match read_body(&mut req, 64 << 10)
        .await
        .and_then(|b| web::parse_form(&b))
    {
        Ok(f) => f,
        Err(r) => return refuse(r.code, lang),
    };
    let secret = session_secret(&ctx.env);
    let csrf = web::single(&form, "csrf", false)
        .ok()
        .flatten()
        .unwrap_or("");
    if !session::check_csrf(secret.as_bytes(), &cookie, csrf) {
        return refuse(Code::CsrfInvalid, lang);
    }
    let field = |name: &str| {
        web::single(&form, name, false)
            .ok()
            .flatten()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return refuse(Code::FormFieldDuplicate, lang);
    }
    let get = |n: &str| web::single(&form, n, false).ok().flatten();
    let change = match field("section").as_deref() {
        Some("lifecycle") => match web::lifecycle_form::change(get) {
            Ok(c) => c,
            Err(_) => return refuse(Code::InvalidField, lang),
        },
        Some("idp") => {
            let mut change = web::setup_pages::idp_change(get);
            let origin = crate::platform::public_origin(&ctx.env);
            if crate::admin_security::resolve_metadata(&mut change, &origin)
                .await
                .is_err()
            {
                return refuse(Code::InvalidField, lang);
            }
            change
        }
        _ => SecurityChange {
            provisioning_enabled: Some(field("provisioning_enabled").as_deref() == Some("on")),
            default_workspace: field("default_workspace"),
            default_permission_set: field("default_permission_set"),
            ..Default::default()
        },
    };
    match crate::admin::change_audited(&c, &change, "page").await {
        Ok(_) => see_other(&format!(
            "/admin/{company}/security?saved=1&lang={}",
            lang.tag()
        )),
        Err(e) => refuse(e.code(), lang),
    }
}

/// `GET /login/{company}`: ask for the email.
pub async fn login_page(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    html(
        200,
        lang,
        t(lang, Text::LoginTitle),
        &web::login_page::form(lang, &company, ""),
    )
}

/// `POST /login/{company}`: the SAML SSO button, for someone who has signed in with SAML before.
pub async fn login_submit(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let form = match read_body(&mut req, 64 << 10)
        .await
        .and_then(|b| web::parse_form(&b))
    {
        Ok(f) => f,
        Err(r) => return refuse(r.code, lang),
    };
    let email = web::single(&form, "email", false)
        .ok()
        .flatten()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let known = match ctx.env.d1("DB") {
        Ok(db) => sso_button_for(&D1Directory::new(D1(db)), &company, &email).await,
        Err(_) => false,
    };
    let body = web::login_page::answer(lang, &company, &email, known);
    html(200, lang, t(lang, Text::LoginTitle), &body)
}

/// `GET /saml/{company}/login`: start SP-initiated sign-in (HTTP-Redirect AuthnRequest). Anyone
/// may call it, so it writes nothing: the request ID is signed ([`jit::request_id`]).
pub async fn sp_login(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let kv = match ctx.env.kv("SETTINGS") {
        Ok(kv) if jit::settings::is_identifier(&company) => KvSettings::new(kv),
        _ => return refuse(Code::CompanyUnknown, lang),
    };
    let settings = match kv.company(&company).await {
        Ok(Some(s)) => s,
        Ok(None) => return refuse(Code::CompanyUnknown, lang),
        Err(_) => return refuse(Code::SettingsInvalid, lang),
    };
    let Some(sso) = settings.saml.idp_sso_url.clone() else {
        return refuse(Code::IdpSsoUrlMissing, lang);
    };
    authn_redirect(
        &ctx.env,
        &company,
        &sso,
        (lang, None),
        jit::request_id::issue,
    )
}

/// 302 to the IdP's SSO URL with a new AuthnRequest whose ID `issue` makes (a sign-in's, or a
/// test's: [`jit::request_id::issue_test`]), and the RelayState (SAML bindings §3.4.3) if any.
pub(crate) fn authn_redirect(
    env: &worker::Env,
    company: &str,
    sso: &str,
    (lang, relay_state): (Lang, Option<&str>),
    issue: fn(&[u8], &str, [u8; 16], saml_verify::Timestamp) -> Option<String>,
) -> worker::Result<Response> {
    let mut nonce = [0u8; 16];
    if getrandom::getrandom(&mut nonce).is_err() {
        return refuse(Code::RandomUnavailable, lang);
    }
    let t0 = now();
    let secret = session_secret(env);
    let Some(id) = issue(
        secret.as_bytes(),
        company,
        nonce,
        t0.plus_seconds(REQUEST_TTL_SECONDS),
    ) else {
        return refuse(Code::SessionSecretMissing, lang);
    };
    let sp = endpoints(env, company);
    let xml = authn_request(&id, t0, &sp.entity_id, &sp.acs_url, sso);
    let mut resp = Response::empty()?.with_status(302);
    resp.headers_mut()
        .set("Location", &redirect_url(sso, &xml, relay_state))?;
    harden(resp)
}
