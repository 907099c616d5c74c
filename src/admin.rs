//! The support and admin API: company settings, users, audit. Support (`SUPPORT_TOKEN`) may do
//! everything; company admins what `jit::admin` allows. JSON in and out; a bad field is a 400
//! that names it. Each handler parses the request, calls one `jit::usecases` function, and
//! renders its outcome.

use std::collections::BTreeMap;

use jit::admin::{authorize, Action, Role};
use jit::endpoints::WithEndpoints;
use jit::ports::{AdminDirectory, Directory, StoreError};
use jit::settings::{is_identifier, CompanySettings, FieldError};
use jit::usecases::users::{create_user as create, NewUser};
use jit::usecases::{company, AdminError};
use jit::Code;
use worker::{console_error, Env, Request, Response};

use crate::auth::{self, AuthError};
use crate::d1::{D1Directory, D1};
use crate::kv::KvSettings;
use crate::platform::{endpoints, now, secret_hex};
use crate::respond::{error, field_error, log_line, read_body, reply, store_error};
use crate::routes::RouteContext;

/// Stores and caller of an authorized request on a well-formed company ID.
pub(crate) struct Ctx {
    pub company: String,
    pub kv: KvSettings,
    pub dir: D1Directory,
    pub role: Role,
}

/// Authenticate, then authorize `action` on the path's company; or the response to send.
pub(crate) async fn open(
    req: &Request,
    ctx: &RouteContext,
    action: Action,
) -> Result<Ctx, worker::Result<Response>> {
    let company = ctx.param("company").cloned().unwrap_or_default();
    if !is_identifier(&company) {
        return Err(field_error(&FieldError {
            field: "company".into(),
            reason: "1-64 of a-z A-Z 0-9 _ -".into(),
        }));
    }
    let (kv, db) = match (ctx.env.kv("SETTINGS"), ctx.env.d1("DB")) {
        (Ok(kv), Ok(db)) => (KvSettings::new(kv), D1Directory::new(D1(db))),
        _ => {
            let msg = "SETTINGS or DB binding missing";
            return Err(error(Code::BindingMissing, msg));
        }
    };
    let role = match auth::caller(req, &ctx.env, &db).await {
        Ok(r) => r,
        Err(AuthError::Unauthorized) => {
            let msg = "a valid support or admin bearer token, or an admin session, is required";
            return Err(error(Code::Unauthorized, msg));
        }
        Err(AuthError::NotAdmin) => {
            let msg = "your permission set does not include the admin surfaces";
            return Err(error(Code::Forbidden, msg));
        }
        Err(AuthError::Unavailable) => {
            return Err(store_error(&StoreError::Unavailable("auth".into())))
        }
    };
    if let Err(d) = authorize(&role, action, &company) {
        return Err(admin_error(&AdminError::Denied(d)));
    }
    let dir = db;
    Ok(Ctx {
        company,
        kv,
        dir,
        role,
    })
}

/// The answer to a use case's refusal.
pub(crate) fn admin_error(e: &AdminError) -> worker::Result<Response> {
    match e {
        AdminError::Invalid(f) => field_error(f),
        AdminError::Store(s) => store_error(s),
        e => error(e.code(), &e.message()),
    }
}

macro_rules! try_open {
    ($req:expr, $ctx:expr, $action:expr) => {
        match $crate::admin::open(&$req, &$ctx, $action).await {
            Ok(c) => c,
            Err(resp) => return resp,
        }
    };
}
pub(crate) use try_open;

/// The settings document with this SP's endpoints for the company added.
pub(crate) fn with_endpoints<'a>(
    env: &Env,
    company: &str,
    s: &'a CompanySettings,
) -> WithEndpoints<'a> {
    WithEndpoints::new(s, endpoints(env, company))
}

/// `PUT /admin/companies/{company}`: the whole settings document.
pub async fn put_company(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::SupportOnly);
    let body = match read_body(&mut req, web::MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(r) => return error(r.code, &r.detail),
    };
    let settings = match CompanySettings::parse(&body) {
        Ok(s) => s,
        Err(e) => return field_error(&e),
    };
    match company::put_settings(&c.kv, &c.dir, &c.company, settings).await {
        Ok(s) => reply(200, &with_endpoints(&ctx.env, &c.company, &s)),
        Err(e) => admin_error(&e),
    }
}

/// `GET /admin/companies/{company}`: settings, SP endpoints, and the live provisionable domains.
pub async fn get_company(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    match company::settings_with_domains(&c.kv, &c.dir, &c.company).await {
        Ok(s) => reply(200, &with_endpoints(&ctx.env, &c.company, &s)),
        Err(e) => admin_error(&e),
    }
}

/// `POST /admin/companies/{company}/users`: an existing dashboard user.
pub async fn create_user(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::SupportOnly);
    let settings = match company::settings(&c.kv, &c.company).await {
        Ok(s) => s,
        Err(e) => return admin_error(&e),
    };
    let body = match read_body(&mut req, web::MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(r) => return error(r.code, &r.detail),
    };
    let new = match jit::wire::from_slice::<NewUser>(&body) {
        Ok(n) => n,
        Err(e) => return field_error(&e),
    };
    let Some(id) = secret_hex(16) else {
        return error(Code::RandomUnavailable, "no random user ID");
    };
    match create(&c.kv, &c.dir, &settings, (&c.company, &id), new, now()).await {
        Ok(done) => {
            if let Some(e) = done.mirror_error {
                log_mirror_error(&c.company, &e);
            }
            reply(201, &done.user)
        }
        Err(e) => admin_error(&e),
    }
}

/// A failed refresh of the `provisionable_domains` mirror (the provisioning rule reads D1).
/// Change the security settings as `c.role`, with its `settings_changed` audit row (`via`: the
/// route, in the row's actor); a lost audit row is logged.
pub(crate) async fn change_audited(
    c: &Ctx,
    change: &jit::admin::SecurityChange,
    via: &str,
) -> Result<jit::settings::CompanySettings, jit::usecases::AdminError> {
    let actor = match &c.role {
        Role::Support => format!("support ({via})"),
        Role::Admin { .. } => format!("admin ({via})"),
    };
    let reference = crate::platform::new_reference();
    let base = jit::ports::AuditEntry {
        company: c.company.clone(),
        at: now(),
        event: jit::ports::AuditEvent::SettingsChanged,
        email: None,
        assertion_id: None,
        reason: None,
        reference: reference.clone(),
        actor: Some(actor),
        detail: None,
    };
    let (next, lost) =
        company::change_security_audited(&c.kv, &c.dir, (&c.company, &c.role, change), base)
            .await?;
    if let Some(e) = lost {
        let line = log_line("audit_failed", &reference, &c.company, &format!("{e:?}"));
        console_error!("{line}");
    }
    Ok(next)
}

pub(crate) fn log_mirror_error(company: &str, e: &StoreError) {
    let line = log_line("domains_mirror_failed", "", company, &format!("{e:?}"));
    console_error!("{line}");
}

/// `GET /admin/companies/{company}/users/{email}`.
pub async fn get_user(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    let raw = ctx.param("email").cloned().unwrap_or_default();
    let Some(email) = web::path_segment(&raw).map(|e| e.to_ascii_lowercase()) else {
        return field_error(&FieldError {
            field: "email".into(),
            reason: "not UTF-8".into(),
        });
    };
    match c.dir.user(&c.company, &email).await {
        Ok(Some(u)) => reply(200, &u),
        Ok(None) => admin_error(&AdminError::UserUnknown),
        Err(e) => store_error(&e),
    }
}

/// `GET /admin/companies/{company}/users`.
pub async fn list_users(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    match c.dir.users(&c.company).await {
        Ok(users) => reply(200, &BTreeMap::from([("users", users)])),
        Err(e) => store_error(&e),
    }
}

/// `GET /admin/companies/{company}/audit`: the latest 1000 audit rows, newest first.
pub async fn audit(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    match c.dir.audit_rows(&c.company).await {
        Ok(rows) => reply(200, &BTreeMap::from([("entries", rows)])),
        Err(e) => store_error(&e),
    }
}
