//! Self-service set-up (issue #15) for company admins: start a test sign-in, read its report,
//! and the sign-in log. The test's answer reaches the ACS ([`acs_test`]): the report is kept
//! with the consumed request ID and the browser is sent to the report page, where the admin's
//! session (SameSite=Lax: a same-site GET) is checked.

use jit::flow::AcsRequest;
use jit::ports::AdminDirectory;
use jit::usecases::company as usecase;
use jit::Code;
use worker::{Env, Request, Response};

use crate::admin::Ctx;
use crate::d1::D1Directory;
use crate::kv::KvSettings;
use crate::pages::{admin_session, authn_redirect, html, lang_of, query_param};
use crate::platform::{now, session_secret};
use crate::respond::{refuse_page as refuse, see_other};
use crate::routes::RouteContext;
use web::setup_text::{s, S};
use web::Lang;

/// Sign-in attempts per page of the log.
const LOG_PAGE: u32 = 50;

/// `GET /admin/{company}/test/start`, the Test sign-in link (a link, not a form: the page's CSP
/// `form-action 'self'` would block a form's redirect to the IdP): a test AuthnRequest to the
/// IdP's SSO URL. Starting a test writes nothing.
pub async fn start_page(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let (c, _) = match admin_session(&req, &ctx, &company, lang).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    start_test(&ctx.env, &c, lang).await
}

async fn start_test(env: &Env, c: &Ctx, lang: Lang) -> worker::Result<Response> {
    let settings = match usecase::settings(&c.kv, &c.company).await {
        Ok(s) => s,
        Err(_) => return refuse(Code::SettingsInvalid, lang),
    };
    let Some(sso) = settings.saml.idp_sso_url.clone() else {
        return refuse(Code::IdpSsoUrlMissing, lang);
    };
    // The page's language rides in the RelayState, for the report after the IdP.
    authn_redirect(
        env,
        &c.company,
        &sso,
        (lang, Some(lang.tag())),
        jit::request_id::issue_test,
    )
}

/// The ACS's branch for an answer to a test: run and keep the test, then 303 to its report.
pub async fn acs_test(
    env: &Env,
    request: &AcsRequest<'_>,
    test_id: &str,
    kv: &KvSettings,
    dir: &D1Directory,
    lang: Lang,
) -> worker::Result<Response> {
    let lang = match request.relay_state {
        Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        _ => lang,
    };
    let secret = session_secret(env);
    match jit::test_sign_in::run(request, test_id, secret.as_bytes(), kv, dir).await {
        Ok(_) => see_other(&format!(
            "/admin/{}/test/{test_id}?lang={}",
            request.company,
            lang.tag()
        )),
        Err(r) => {
            let line =
                crate::respond::log_line(r.code.as_str(), test_id, request.company, &r.detail);
            worker::console_log!("{line}");
            refuse(r.code, lang)
        }
    }
}

/// `GET /admin/{company}/test/{id}`: the report of an answered test.
pub async fn report_page(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let id = ctx.param("id").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let (c, _) = match admin_session(&req, &ctx, &company, lang).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    if !jit::request_id::looks_like_test(&id) {
        return refuse(Code::NotFound, lang);
    }
    match jit::test_sign_in::report(&c.dir, &company, &id, now()).await {
        Ok(Some(r)) => {
            let body = web::setup_pages::report_body(lang, &company, &r);
            html(200, lang, s(lang, S::ReportTitle), &body)
        }
        Ok(None) => refuse(Code::NotFound, lang),
        Err(_) => refuse(Code::StoreUnavailable, lang),
    }
}

/// `GET /admin/{company}/log[?before=N]`: the sign-in log, newest first.
pub async fn log_page(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let lang = lang_of(&req);
    let (c, _) = match admin_session(&req, &ctx, &company, lang).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let before = match query_param(&req, "before").map(|b| b.parse::<i64>()) {
        None => None,
        Some(Ok(b)) if b > 0 => Some(b),
        Some(_) => return refuse(Code::InvalidField, lang),
    };
    let rows = match c.dir.sign_in_log(&company, before, LOG_PAGE).await {
        Ok(r) => r,
        Err(_) => return refuse(Code::StoreUnavailable, lang),
    };
    let next = (rows.len() == LOG_PAGE as usize)
        .then(|| rows.last().map(|(id, _)| *id))
        .flatten();
    let body = web::setup_pages::log_body(lang, &company, &rows, next);
    html(200, lang, s(lang, S::LogTitle), &body)
}

/// Whether an ACS post answers a test: its (unverified) `InResponseTo` has a test ID's shape.
/// Only routes the request; the test checks the ID's MAC and verifies the response itself.
pub fn test_id_of(saml_response: &[u8]) -> Option<String> {
    saml_verify::peek_in_response_to(saml_response, "_t")
        .filter(|id| jit::request_id::looks_like_test(id))
}
