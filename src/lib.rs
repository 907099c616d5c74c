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

use jit::{Code, Refusal};
use worker::{
    console_error, console_log, event, Context, Env, Request, Response, ScheduleContext,
    ScheduledEvent,
};

use crate::d1::D1Directory;
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

/// Cron Triggers: daily, the IdP refresh ([`refresh::daily`]); otherwise drop replay-cache
/// entries whose assertions have expired anyway.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if event.cron() == refresh::DAILY {
        return refresh::daily(&env).await;
    }
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
            respond::to_json(&web::json_out::JobFailed {
                event: "purge_used_assertions",
                error: &e
            })
        ),
    }
}
