//! The IdP metadata refresh and certificate expiry warnings (README "Certificate rollover"):
//! the daily Cron Trigger over every company, and `POST /admin/companies/{company}/idp/refresh`.
//! Every decision is `jit::usecases::refresh`'s.

use jit::admin::Action;
use jit::ports::MetadataFetcher;
use jit::usecases::refresh::{refresh, requested, Report, Run};
use worker::{console_error, console_log, Env, Request, Response};

use crate::admin::{admin_error, open};
use crate::d1::{D1Directory, D1};
use crate::kv::KvSettings;
use crate::platform::{new_reference, now, public_origin};
use crate::respond::{log_line, reply, to_json};
use crate::routes::RouteContext;

/// The import's fetch (no redirects, 256 KiB, 10 s, errors that say nothing of the content).
struct Fetcher;

impl MetadataFetcher for Fetcher {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        crate::admin_security::fetch(url).await
    }
}

fn loopback(env: &Env) -> bool {
    web::is_loopback_origin(&public_origin(env))
}

fn log(r: &Report) {
    console_log!("{{\"event\":\"idp_refresh\",\"report\":{}}}", to_json(r));
}

/// `POST /admin/companies/{company}/idp/refresh` (Support or the company's admin).
pub async fn refresh_route(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = match open(&req, &ctx, Action::ChangeSecurity).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let (reference, loopback) = (new_reference(), loopback(&ctx.env));
    let run = Run::new(&c.company, now(), &reference, "").loopback(loopback);
    match requested(&c.kv, &c.dir, &Fetcher, &c.role, run).await {
        Ok(r) => {
            log(&r);
            reply(200, &r)
        }
        Err(e) => admin_error(&e),
    }
}

/// The daily Cron Trigger (wrangler.toml).
pub const DAILY: &str = "17 4 * * *";

/// The daily run: every company in turn; one company's failure is logged, the others go on.
pub async fn daily(env: &Env) {
    let (Ok(kv), Ok(db)) = (env.kv("SETTINGS"), env.d1("DB")) else {
        return console_error!("{{\"event\":\"idp_refresh_run\",\"error\":\"no SETTINGS or DB\"}}");
    };
    let keys = crate::d1_js::kv_keys(env, "SETTINGS", "company:").await;
    let list = keys.unwrap_or_else(|e| {
        console_error!("{}", log_line("idp_refresh_run", "", "", &format!("{e:?}")));
        Vec::new()
    });
    let list = list.iter().filter_map(|k| k.strip_prefix("company:"));
    let (settings, dir) = (KvSettings::new(kv), D1Directory::new(D1(db)));
    for company in list {
        let reference = new_reference();
        let run = Run::new(company, now(), &reference, "cron").loopback(loopback(env));
        match refresh(&settings, &dir, &Fetcher, run).await {
            Ok(r) => log(&r),
            Err(e) => console_error!(
                "{{\"event\":\"idp_refresh_error\",\"company\":{},\"error\":{}}}",
                to_json(company),
                to_json(&e.message())
            ),
        }
    }
}
