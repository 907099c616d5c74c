//! The Cloudflare Worker: the only code that imports `worker`. Its entry points are here; the
//! routes ([`routes`]) parse a request, call one use case in `jit` with KV and D1 behind its
//! ports, and render the outcome ([`respond`]). No policy in this crate.
#![forbid(unsafe_code)]

mod acs;
mod admin;
mod admin_security;
mod auth;
mod d1;
mod d1_js;
#[cfg(feature = "demo")]
mod demo;
mod kv;
mod pages;
mod platform;
mod refresh;
mod respond;
mod routes;
mod scim_routes;
mod setup;

use jit::{Code, Refusal};
use worker::{
    console_error, console_log, event, Context, Env, Request, Response, ScheduleContext,
    ScheduledEvent,
};

use crate::d1::{D1Directory, D1};
use crate::platform::{new_reference, now};
use crate::respond::{harden, header, log_line, refusal_response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let lang = web::negotiate_lang(header(&req, "Accept-Language").as_deref());
    let json = web::wants_json(header(&req, "Accept").as_deref());
    match routes::route(req, env).await {
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

/// Cron Triggers: daily, the IdP refresh ([`refresh::daily`]); otherwise (every 30 minutes) drop
/// expired replay-cache entries and AuthnRequest IDs, and audit rows past `AUDIT_RETENTION_DAYS`,
/// in bounded batches ([`jit::retention`]); one log line per table.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if event.cron() == refresh::DAILY {
        return refresh::daily(&env).await;
    }
    // Unset: the default. Set to anything but a string (`= 3650` unquoted): refused loudly, not
    // silently taken for unset.
    let days = worker::js_sys::Reflect::get(&env, &jit::retention::RETENTION_VAR.into())
        .ok()
        .filter(|v| !v.is_undefined())
        .map(|v| v.as_string().unwrap_or_else(|| format!("{v:?}")));
    let lines = match env.d1("DB") {
        Ok(db) => jit::retention::run(&D1Directory::new(D1(db)), now(), days.as_deref()).await,
        Err(e) => vec![jit::retention::LogLine::failed(&e.to_string())],
    };
    for l in lines {
        match l.error {
            true => console_error!("{}", l.json),
            false => console_log!("{}", l.json),
        }
    }
}
