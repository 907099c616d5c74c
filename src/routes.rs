//! Path -> handler: a hand-written match over path segments (the worker crate's router would
//! add a route-matching engine to the bundle for a few fixed shapes). README "Routes".

use jit::{Code, Refusal};
use worker::{Env, Request, Response};

use crate::platform::new_reference;
use crate::respond::{header, refusal_response};
use crate::{acs, admin, admin_security, pages, scim_routes};

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

/// The routes.
pub async fn route(req: Request, env: Env) -> worker::Result<Response> {
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
        (Post, ["saml", c, "acs"]) => Box::pin(acs::acs_route(req, ctx(&[("company", c)]))),
        (Get, ["saml", c, "metadata"]) => {
            Box::pin(acs::metadata_route(req, ctx(&[("company", c)])))
        }
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
        (Post, ["admin", "companies", c, "idp", "refresh"]) => {
            Box::pin(crate::refresh::refresh_route(req, ctx(&[("company", c)])))
        }
        (Post, ["admin", "companies", c, k @ ("tokens" | "scim-tokens")]) => Box::pin(
            admin_security::create_token(req, ctx(&[("company", c), ("kind", k)])),
        ),
        (Get, ["admin", "companies", c, k @ ("tokens" | "scim-tokens")]) => Box::pin(
            admin_security::list_tokens(req, ctx(&[("company", c), ("kind", k)])),
        ),
        (Delete, ["admin", "companies", c, k @ ("tokens" | "scim-tokens"), id]) => Box::pin(
            admin_security::revoke_token(req, ctx(&[("company", c), ("kind", k), ("id", id)])),
        ),
        (Post, ["admin", "companies", c, "users", e, "revoke-sessions"]) => Box::pin(
            scim_routes::revoke_sessions(req, ctx(&[("company", c), ("email", e)])),
        ),
        (_, ["scim", "v2", c, rest @ ..]) => Box::pin(scim_routes::scim_route(
            req,
            ctx(&[("company", c), ("rest", &rest.join("/"))]),
        )),
        (Get, ["session"]) => Box::pin(scim_routes::session_route(req, ctx(&[]))),
        (Get, ["admin", c, "security"]) => {
            Box::pin(pages::security_page(req, ctx(&[("company", c)])))
        }
        (Post, ["admin", c, "security"]) => {
            Box::pin(pages::security_save(req, ctx(&[("company", c)])))
        }
        (Get, ["admin", c, "log"]) => Box::pin(crate::setup::log_page(req, ctx(&[("company", c)]))),
        (Get, ["admin", c, "test", "start"]) => {
            Box::pin(crate::setup::start_page(req, ctx(&[("company", c)])))
        }
        (Get, ["admin", c, "test", id]) => Box::pin(crate::setup::report_page(
            req,
            ctx(&[("company", c), ("id", id)]),
        )),
        (Get, ["login", c]) => Box::pin(pages::login_page(req, ctx(&[("company", c)]))),
        (Post, ["login", c]) => Box::pin(pages::login_submit(req, ctx(&[("company", c)]))),
        (Get, ["saml", c, "login"]) => Box::pin(pages::sp_login(req, ctx(&[("company", c)]))),
        #[cfg(feature = "demo")]
        (Get, ["demo", "idp"]) => Box::pin(crate::demo::idp_page(req, ctx(&[]))),
        #[cfg(feature = "demo")]
        (Post, ["demo", "idp"]) => Box::pin(crate::demo::idp_sign(req, ctx(&[]))),
        #[cfg(feature = "demo")]
        (Get, ["demo", "dashboard"]) => Box::pin(crate::demo::dashboard(req, ctx(&[]))),
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
