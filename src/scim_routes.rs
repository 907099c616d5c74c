//! `/scim/v2/{company}/…` (each request answered by `jit::scim_api::handle`), `GET /session`
//! for dashboards, and `POST /admin/companies/{c}/users/{email}/revoke-sessions`.

use jit::admin::Action;
use jit::scim_api::{handle, session, Method, ScimReply, ScimRequest};
use jit::Code;
use scim::ScimError;
use worker::{Request, Response};

use crate::admin::{admin_error, try_open};
use crate::d1::{D1Directory, D1};
use crate::kv::KvSettings;
use crate::platform::{new_reference, now, public_origin, secret_hex};
use crate::respond::{error, harden, header, read_body, reply, store_error};
use crate::routes::RouteContext;

fn answer(r: ScimReply) -> worker::Result<Response> {
    let body = r.body.map(|b| b.to_string()).unwrap_or_default();
    let mut resp = Response::from_bytes(body.into_bytes())?.with_status(r.status);
    resp.headers_mut().set("Content-Type", scim::CONTENT_TYPE)?;
    if let Some(l) = r.location {
        resp.headers_mut().set("Location", &l)?;
    }
    harden(resp)
}

fn refuse(status: u16, detail: &str) -> worker::Result<Response> {
    let e = ScimError::new(status, None, detail);
    answer(ScimReply {
        status,
        body: Some(e.to_value()),
        location: None,
    })
}

/// Any method on `/scim/v2/{company}/{rest…}`.
pub async fn scim_route(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    let rest = ctx.param("rest").cloned().unwrap_or_default();
    let (Ok(kv), Ok(db)) = (ctx.env.kv("SETTINGS"), ctx.env.d1("DB")) else {
        return refuse(503, "SETTINGS or DB binding missing");
    };
    let Some(new_id) = secret_hex(16) else {
        return refuse(503, "no secure random source");
    };
    let body = match read_body(&mut req, scim::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(r) => return refuse(r.code.status(), &r.detail),
    };
    let url = req.inner().url();
    let query = url
        .split_once('?')
        .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
    let path: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let base = format!("{}/scim/v2/{company}", public_origin(&ctx.env));
    let (authorization, content_type) =
        (header(&req, "Authorization"), header(&req, "Content-Type"));
    let r = ScimRequest {
        method: Method::from_name(req.method().as_ref()),
        company: &company,
        path: &path,
        query,
        authorization: authorization.as_deref(),
        content_type: content_type.as_deref(),
        body: &body,
        base: &base,
        now: now(),
        new_id: &new_id,
        reference: &new_reference(),
    };
    let dir = D1Directory::new(D1(db));
    answer(handle(&KvSettings::new(kv), &dir, &dir, &r).await)
}

/// `GET /session`: 200 with the session's user, or 401 once the cookie expired, the user was
/// deactivated or their sessions revoked (read from D1 on every call).
pub async fn session_route(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let Some((claims, _)) = crate::auth::session(&req, &ctx.env) else {
        return error(Code::Unauthorized, "no valid session cookie");
    };
    let Ok(db) = ctx.env.d1("DB") else {
        return error(Code::BindingMissing, "DB binding missing");
    };
    match session::current(&D1Directory::new(D1(db)), &claims).await {
        Ok(Some(user)) => reply(200, &user),
        Ok(None) => error(
            Code::Unauthorized,
            "the user is deactivated or the session was revoked",
        ),
        Err(e) => store_error(&e),
    }
}

/// `POST /admin/companies/{company}/users/{email}/revoke-sessions`: Support or a company admin.
pub async fn revoke_sessions(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::RevokeSessions);
    let raw = ctx.param("email").cloned().unwrap_or_default();
    let email = web::path_segment(&raw)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let who = c.role.actor();
    match session::revoke(&c.dir, &c.company, &email, now(), who, &new_reference()).await {
        Ok(true) => harden(Response::empty()?.with_status(204)),
        Ok(false) => admin_error(&jit::usecases::AdminError::UserUnknown),
        Err(e) => store_error(&e),
    }
}
