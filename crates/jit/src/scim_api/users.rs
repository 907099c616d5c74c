//! `/Users`: list (filter, paging), get, create, replace, PATCH, delete.

use scim::group::project;
use scim::patch::{self, apply_user};
use scim::query::{list_response, parse_query, parse_search, ListQuery, Resource};
use scim::user::{self, changed, render, User, UserRecord};
use scim::{emails, ScimError, USER_SCHEMA};

use super::sql::{self, col_int, col_opt, col_text, Row, Sql, UserFields};
use super::{Ctx, Fail, Method, ScimReply};
use crate::lifecycle::mapping::{memberships, Outcome};
use crate::lifecycle::Groups;
use crate::policy::domain_allowed;
use crate::ports::{AuditEvent, SettingsStore, StoreError};
use crate::sign_in::default_membership;

pub(super) async fn route<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    rest: &[&str],
) -> Result<ScimReply, Fail> {
    match (ctx.req.method, rest) {
        (Method::Get, []) => list(dir, ctx, parse_query(Resource::User, ctx.req.query)?).await,
        (Method::Post, [".search"]) => {
            list(dir, ctx, parse_search(Resource::User, ctx.req.body)?).await
        }
        (Method::Post, []) => create(kv, dir, ctx).await,
        (Method::Get, [id]) => {
            let q = parse_query(Resource::User, ctx.req.query)?;
            let doc = render(&live(dir, ctx, id).await?, ctx.req.base);
            Ok(ScimReply::json(
                200,
                project(doc, &q.attributes, &q.excluded),
            ))
        }
        (Method::Put, [id]) => {
            let (mut after, names_active) = user::parse_replace(ctx.body()?)?;
            update(kv, dir, ctx, id, |before| {
                if !names_active {
                    after.active = before.active;
                }
                Ok(after)
            })
            .await
        }
        (Method::Patch, [id]) => {
            let ops = patch::parse(ctx.body()?, USER_SCHEMA)?;
            update(kv, dir, ctx, id, |before| apply_user(before, &ops)).await
        }
        (Method::Delete, [id]) => delete(dir, ctx, id).await,
        (_, [] | [_]) => Err(super::not_allowed()),
        _ => Err(ScimError::not_found("no such endpoint").into()),
    }
}

/// A `users` row in its SCIM form.
pub fn record(r: &Row) -> Result<UserRecord, Fail> {
    Ok(UserRecord {
        id: col_text(r, "id")?,
        user: User {
            user_name: col_text(r, "email")?,
            external_id: col_opt(r, "external_id")?,
            given_name: col_opt(r, "first_name")?,
            family_name: col_opt(r, "last_name")?,
            emails: match col_opt(r, "scim_emails")? {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
                    .and_then(|v| {
                        emails::parse_list(&v).map_err(|e| StoreError::Corrupt(e.detail))
                    })?,
                None => Vec::new(),
            },
            active: col_int(r, "active")? != 0,
        },
        created: col_text(r, "created_at")?,
        last_modified: col_text(r, "updated_at")?,
    })
}

async fn live<D: Sql>(dir: &D, ctx: &Ctx<'_>, id: &str) -> Result<UserRecord, Fail> {
    match dir
        .rows(&sql::user_by_id(ctx.req.company, id))
        .await?
        .first()
    {
        Some(r) => record(r),
        None => Err(ScimError::not_found("no such user").into()),
    }
}

async fn list<D: Sql>(dir: &D, ctx: &Ctx<'_>, q: ListQuery) -> Result<ScimReply, Fail> {
    let c = ctx.req.company;
    let total = match dir
        .rows(&sql::users_count(c, q.filter.as_ref()))
        .await?
        .first()
    {
        Some(r) => col_int(r, "n")?.max(0) as usize,
        None => 0,
    };
    let rows = dir
        .rows(&sql::users_page(
            c,
            q.filter.as_ref(),
            q.start_index.saturating_sub(1),
            q.count,
        ))
        .await?;
    let mut docs = Vec::with_capacity(rows.len());
    for r in &rows {
        let doc = render(&record(r)?, ctx.req.base);
        docs.push(project(doc, &q.attributes, &q.excluded));
    }
    Ok(ScimReply::json(
        200,
        list_response(docs, total, q.start_index),
    ))
}

/// The domain rule for an email SCIM writes: only a domain JIT could provision.
async fn check_domain<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    email: &str,
) -> Result<crate::settings::CompanySettings, Fail> {
    let settings = ctx.settings(kv).await?;
    let domain = crate::policy::email_domain(email).unwrap_or_default();
    let stmt = sql::domain_counts(ctx.req.company, &domain);
    let counts = match dir.rows(&stmt).await?.first() {
        Some(r) => col_int(r, "ok")? != 0,
        None => false,
    };
    if !domain_allowed(email, counts, &settings.exception_domains) {
        let msg = format!(
            "domain_not_allowed: {domain} has no confirmed user and is not an exception domain"
        );
        return Err(ScimError::new(403, None, msg).into());
    }
    Ok(settings)
}

fn fields<'a>(u: &'a User, at: &'a str, emails_json: &'a Option<String>) -> UserFields<'a> {
    UserFields {
        emails: emails_json.as_deref(),
        email: &u.user_name,
        given_name: u.given_name.as_deref(),
        family_name: u.family_name.as_deref(),
        external_id: u.external_id.as_deref(),
        active: u.active,
        at,
    }
}

fn emails_json(u: &User) -> Option<String> {
    (!u.emails.is_empty()).then(|| emails::to_json(&u.emails).to_string())
}

fn taken() -> Fail {
    ScimError::uniqueness("userName is taken by another user").into()
}

async fn create<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
) -> Result<ScimReply, Fail> {
    let u = user::parse(ctx.body()?)?;
    let settings = check_domain(kv, dir, ctx, &u.user_name).await?;
    let (c, at) = (ctx.req.company, ctx.req.now.to_string());
    // A new user's memberships: what the company's group mappings give a user in no group
    // (the default membership, unless require_match), by the function SAML sign-in uses.
    let ms = match memberships(
        &settings.group_mappings,
        &Groups::Listed(Vec::new()),
        None,
        default_membership(&settings),
    ) {
        Ok(Outcome::Replace(ms) | Outcome::Add(ms)) => ms,
        Ok(Outcome::Keep) | Err(_) => Vec::new(),
    };
    let existing = dir.rows(&sql::user_by_email(c, &u.user_name)).await?;
    if let Some(row) = existing.first() {
        // A user SCIM deleted comes back with a new POST (Entra re-assigns); any other is taken.
        if col_int(row, "scim_deleted")? == 0 {
            return Err(taken());
        }
        let id = col_text(row, "id")?;
        let audit = ctx.audit(
            AuditEvent::Created,
            Some(&u.user_name),
            "re-created after a SCIM delete".into(),
        );
        let mut stmts = sql::update_user(
            c,
            &id,
            &fields(&u, &at, &emails_json(&u)),
            None,
            true,
            &[audit],
        );
        stmts.extend(sql::revive_fresh(c, &id, &ms));
        if !dir.batch_applied(&stmts).await? {
            return Err(taken());
        }
        return Ok(ScimReply::created(render(
            &live(dir, ctx, &id).await?,
            ctx.req.base,
        )));
    }
    let detail = format!("fields: {}", created_fields(&u).join(", "));
    let audit = ctx.audit(AuditEvent::Created, Some(&u.user_name), detail);
    let id = ctx.req.new_id;
    if !dir
        .batch_applied(&sql::insert_user(
            c,
            id,
            &fields(&u, &at, &emails_json(&u)),
            &ms,
            &audit,
        ))
        .await?
    {
        return Err(taken()); // a concurrent create or first login took the email
    }
    Ok(ScimReply::created(render(
        &live(dir, ctx, id).await?,
        ctx.req.base,
    )))
}

fn created_fields(u: &User) -> Vec<&'static str> {
    let blank = User {
        user_name: String::new(),
        external_id: None,
        given_name: None,
        family_name: None,
        emails: Vec::new(),
        active: !u.active,
    };
    changed(&blank, u)
}

async fn update<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    id: &str,
    change: impl FnOnce(&User) -> Result<User, ScimError>,
) -> Result<ScimReply, Fail> {
    let before = live(dir, ctx, id).await?;
    let after = change(&before.user)?;
    let diff = changed(&before.user, &after);
    if diff.is_empty() {
        // A retry, or a PATCH of what is already so: nothing to write.
        return Ok(ScimReply::json(200, render(&before, ctx.req.base)));
    }
    if after.user_name != before.user.user_name {
        check_domain(kv, dir, ctx, &after.user_name).await?;
    }
    let event = match (before.user.active, after.active) {
        (true, false) => AuditEvent::Deactivated,
        (false, true) => AuditEvent::Reactivated,
        _ => AuditEvent::Updated,
    };
    let audit = ctx.audit(
        event,
        Some(&after.user_name),
        format!("fields: {}", diff.join(", ")),
    );
    let renamed = after.user_name != before.user.user_name;
    let revoke = crate::session::update_ends_sessions(before.user.active, after.active, renamed)
        .then(|| ctx.req.now.unix_seconds());
    let at = ctx.req.now.to_string();
    let stmts = sql::update_user(
        ctx.req.company,
        id,
        &fields(&after, &at, &emails_json(&after)),
        revoke,
        false,
        &[audit],
    );
    if !dir.batch_applied(&stmts).await? {
        // Either the email is taken by another user, or the user went away meanwhile.
        live(dir, ctx, id).await?;
        return Err(taken());
    }
    Ok(ScimReply::json(
        200,
        render(&live(dir, ctx, id).await?, ctx.req.base),
    ))
}

async fn delete<D: Sql>(dir: &D, ctx: &Ctx<'_>, id: &str) -> Result<ScimReply, Fail> {
    let before = live(dir, ctx, id).await?;
    let audit = ctx.audit(
        AuditEvent::Deleted,
        Some(&before.user.user_name),
        "deactivated and hidden from SCIM".into(),
    );
    let stmts = sql::delete_user(ctx.req.company, id, ctx.req.now.unix_seconds(), &audit);
    if !dir.batch_applied(&stmts).await? {
        return Err(ScimError::not_found("no such user").into());
    }
    Ok(ScimReply {
        status: 204,
        body: None,
        location: None,
    })
}
