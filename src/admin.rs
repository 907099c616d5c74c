//! The support and admin API: company settings, users, audit. Support (`SUPPORT_TOKEN`) may do
//! everything; company admins what `jit::admin` allows. JSON in and out; a bad field is a 400
//! that names it.

use jit::admin::{authorize, Action, Denied, Role};
use jit::json::{obj, Json};
use jit::json_path::{Fields, FromJson};
use jit::ports::{Directory, SettingsStore, StoreError, User};
use jit::settings::{is_identifier, CompanySettings, FieldError};
use jit::Code;
use worker::{console_error, Env, Request, Response};

use crate::auth::{self, AuthError};
use crate::d1::D1Directory;
use crate::kv::KvSettings;
use crate::platform::{endpoints, now};
use crate::respond::{error, field_error, log_line, read_body, reply, store_error};
use crate::routes::RouteContext;
use crate::web;

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
        (Ok(kv), Ok(db)) => (KvSettings::new(kv), D1Directory::new(db)),
        _ => {
            return Err(error(
                Code::BindingMissing,
                "SETTINGS or DB binding missing",
            ))
        }
    };
    let role = match auth::caller(req, &ctx.env, &db).await {
        Ok(r) => r,
        Err(AuthError::Unauthorized) => {
            return Err(error(
                Code::Unauthorized,
                "a valid support or admin bearer token, or an admin session, is required",
            ))
        }
        Err(AuthError::NotAdmin) => {
            return Err(error(
                Code::Forbidden,
                "your permission set does not include the admin surfaces",
            ))
        }
        Err(AuthError::Unavailable) => {
            return Err(store_error(&StoreError::Unavailable("auth".into())))
        }
    };
    if let Err(d) = authorize(&role, action, &company) {
        return Err(denied(&d));
    }
    Ok(Ctx {
        company,
        kv,
        dir: db,
        role,
    })
}

/// 403 for a denied action: another company's admin, or something reserved to Support.
pub(crate) fn denied(d: &Denied) -> worker::Result<Response> {
    match d {
        Denied::OtherCompany => error(Code::Forbidden, "this company is not yours to administer"),
        Denied::SupportOnly(what) => error(
            Code::SupportOnly,
            &format!("{what} is reserved to Support: please contact Support"),
        ),
    }
}

macro_rules! try_open {
    ($req:expr, $ctx:expr, $action:expr) => {
        match open(&$req, &$ctx, $action).await {
            Ok(c) => c,
            Err(resp) => return resp,
        }
    };
}

pub(crate) async fn settings_of(c: &Ctx) -> Result<CompanySettings, worker::Result<Response>> {
    match c.kv.company(&c.company).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(error(Code::CompanyUnknown, "no such company")),
        Err(StoreError::Corrupt(d)) => Err(error(Code::SettingsInvalid, &d)),
        Err(e) => Err(store_error(&e)),
    }
}

/// The settings document with this SP's endpoints for the company added.
pub(crate) fn with_endpoints(env: &Env, company: &str, s: &CompanySettings) -> Json {
    let sp = endpoints(env, company);
    let mut v = s.to_json();
    if let Json::Obj(m) = &mut v {
        m.push(("sp_entity_id".into(), sp.entity_id.into()));
        m.push(("acs_url".into(), sp.acs_url.into()));
        m.push(("metadata_url".into(), sp.metadata_url.into()));
    }
    v
}

/// `PUT /admin/companies/{company}`: the whole settings document.
pub async fn put_company(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::SupportOnly);
    let body = match read_body(&mut req, web::MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(r) => return error(r.code, &r.detail),
    };
    let mut settings = match CompanySettings::parse(&body) {
        Ok(s) => s,
        Err(e) => return field_error(&e),
    };
    if let Err(e) = c
        .dir
        .replace_catalog(&c.company, &settings.workspaces, &settings.permission_sets)
        .await
    {
        return store_error(&e);
    }
    settings.provisionable_domains = match c.dir.provisionable_domains(&c.company).await {
        Ok(d) => d,
        Err(e) => return store_error(&e),
    };
    if let Err(e) = c.kv.put(&c.company, &settings).await {
        return store_error(&e);
    }
    reply(200, &with_endpoints(&ctx.env, &c.company, &settings))
}

/// `GET /admin/companies/{company}`: settings, SP endpoints, and the live provisionable domains.
pub async fn get_company(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    let mut settings = match settings_of(&c).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    match c.dir.provisionable_domains(&c.company).await {
        Ok(d) => settings.provisionable_domains = d,
        Err(e) => return store_error(&e),
    }
    reply(200, &with_endpoints(&ctx.env, &c.company, &settings))
}

struct NewUser {
    email: String,
    confirmed: bool,
    impersonation: bool,
    workspace: Option<String>,
    permission_set: Option<String>,
}

impl FromJson for NewUser {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        let mut f = Fields::of(v, path)?;
        let u = NewUser {
            email: f.req("email")?,
            confirmed: f.req("confirmed")?,
            impersonation: f.req("impersonation")?,
            workspace: f.opt("workspace")?,
            permission_set: f.opt("permission_set")?,
        };
        f.finish()?;
        Ok(u)
    }
}

fn user_json(u: &User) -> Json {
    obj([
        ("company", (&u.company).into()),
        ("email", (&u.email).into()),
        ("workspace", u.workspace.as_ref().into()),
        ("permission_set", u.permission_set.as_ref().into()),
        ("confirmed", u.confirmed.into()),
        ("impersonation", u.impersonation.into()),
        ("created_via", (&u.created_via).into()),
        ("created_at", (&u.created_at).into()),
        ("last_login_at", u.last_login_at.as_ref().into()),
    ])
}

/// `POST /admin/companies/{company}/users`: an existing dashboard user.
pub async fn create_user(mut req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::SupportOnly);
    let settings = match settings_of(&c).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let body = match read_body(&mut req, web::MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(r) => return error(r.code, &r.detail),
    };
    let nu = match jit::json_path::from_slice::<NewUser>(&body) {
        Ok(n) => n,
        Err(e) => return field_error(&e),
    };
    let email = nu.email.trim().to_ascii_lowercase();
    if !saml_verify::email::looks_like_email(&email) {
        return field_error(&FieldError {
            field: "email".into(),
            reason: "not an email address".into(),
        });
    }
    if nu
        .workspace
        .as_ref()
        .is_some_and(|w| !settings.workspaces.iter().any(|x| &x.id == w))
    {
        return field_error(&FieldError {
            field: "workspace".into(),
            reason: "no such workspace".into(),
        });
    }
    if nu
        .permission_set
        .as_ref()
        .is_some_and(|p| !settings.permission_sets.iter().any(|x| &x.id == p))
    {
        return field_error(&FieldError {
            field: "permission_set".into(),
            reason: "no such permission set".into(),
        });
    }
    let user = User {
        company: c.company.clone(),
        email,
        workspace: nu.workspace,
        permission_set: nu.permission_set,
        confirmed: nu.confirmed,
        impersonation: nu.impersonation,
        created_via: "admin".into(),
        created_at: now().to_string(),
        last_login_at: None,
    };
    match c.dir.insert_user(&user).await {
        Ok(true) => {}
        Ok(false) => return error(Code::UserExists, "a user with this email exists"),
        Err(e) => return store_error(&e),
    }
    if user.confirmed && !user.impersonation {
        refresh_domains_mirror(&ctx.env, &c.company).await;
    }
    reply(201, &user_json(&user))
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
        Ok(Some(u)) => reply(200, &user_json(&u)),
        Ok(None) => error(Code::UserUnknown, "no such user"),
        Err(e) => store_error(&e),
    }
}

/// `GET /admin/companies/{company}/users`.
pub async fn list_users(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    match c.dir.users(&c.company).await {
        Ok(users) => reply(
            200,
            &obj([("users", Json::Arr(users.iter().map(user_json).collect()))]),
        ),
        Err(e) => store_error(&e),
    }
}

/// `GET /admin/companies/{company}/audit`: the latest 1000 audit rows, newest first.
pub async fn audit(req: Request, ctx: RouteContext) -> worker::Result<Response> {
    let c = try_open!(req, ctx, Action::Read);
    match c.dir.audit_rows(&c.company).await {
        Ok(rows) => reply(
            200,
            &obj([(
                "entries",
                Json::Arr(rows.iter().map(|r| r.to_json()).collect()),
            )]),
        ),
        Err(e) => store_error(&e),
    }
}

/// Keep the settings document's `provisionable_domains` mirror in step with D1 after a user
/// became confirmed and non-impersonation. Best effort: the provisioning check reads D1.
pub async fn refresh_domains_mirror(env: &Env, company: &str) {
    let (Ok(kv), Ok(db)) = (env.kv("SETTINGS"), env.d1("DB")) else {
        return;
    };
    let (kv, dir) = (KvSettings::new(kv), D1Directory::new(db));
    let Ok(domains) = dir.provisionable_domains(company).await else {
        return;
    };
    if let Ok(Some(mut s)) = kv.company(company).await {
        if s.provisionable_domains != domains {
            s.provisionable_domains = domains;
            if let Err(e) = kv.put(company, &s).await {
                console_error!(
                    "{}",
                    log_line("domains_mirror_failed", "", company, &format!("{e:?}"))
                );
            }
        }
    }
}
