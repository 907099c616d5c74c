//! `/Groups`: list (filter, paging), get, create, replace, PATCH (members), delete. Members are
//! users of the company; a group's members get the memberships the company's group mappings
//! give its `displayName` or `externalId` (Entra ID's group object ID), by the function SAML
//! sign-in uses ([`crate::lifecycle::mapping::memberships`]).

use scim::group::{self, project, render, Group, GroupRecord, Member};
use scim::patch::{self, apply_group};
use scim::query::{list_response, parse_query, parse_search, ListQuery, Resource};
use scim::{ScimError, GROUP_SCHEMA};

use super::group_sql as gs;
use super::sql::{col_int, col_opt, col_text, Row, Sql};
use super::{Ctx, Fail, Method, ScimReply};
use crate::lifecycle::mapping::{apply, memberships, MappingMode, Outcome};
use crate::lifecycle::{Groups, Membership};
use crate::ports::{AuditEvent, SettingsStore};
use crate::sign_in::default_membership;
use crate::sql::Stmt;

pub(super) async fn route<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    rest: &[&str],
) -> Result<ScimReply, Fail> {
    match (ctx.req.method, rest) {
        (Method::Get, []) => list(dir, ctx, parse_query(Resource::Group, ctx.req.query)?).await,
        (Method::Post, [".search"]) => {
            list(dir, ctx, parse_search(Resource::Group, ctx.req.body)?).await
        }
        (Method::Post, []) => create(kv, dir, ctx).await,
        (Method::Get, [id]) => {
            let q = parse_query(Resource::Group, ctx.req.query)?;
            let doc = render(&load(dir, ctx, id).await?.0, ctx.req.base);
            Ok(ScimReply::json(
                200,
                project(doc, &q.attributes, &q.excluded),
            ))
        }
        (Method::Put, [id]) => {
            let after = group::parse(ctx.body()?)?;
            update(kv, dir, ctx, id, |_| Ok(after)).await
        }
        (Method::Patch, [id]) => {
            let ops = patch::parse(ctx.body()?, GROUP_SCHEMA)?;
            update(kv, dir, ctx, id, |before| apply_group(before, &ops)).await
        }
        (Method::Delete, [id]) => delete(kv, dir, ctx, id).await,
        (_, [] | [_]) => Err(super::not_allowed()),
        _ => Err(ScimError::not_found("no such endpoint").into()),
    }
}

/// The group and its members; 404 when there is none.
async fn load<D: Sql>(dir: &D, ctx: &Ctx<'_>, id: &str) -> Result<(GroupRecord, Group), Fail> {
    let c = ctx.req.company;
    let rows = dir.rows(&gs::group_by_id(c, id)).await?;
    let Some(r) = rows.first() else {
        return Err(ScimError::not_found("no such group").into());
    };
    let mut members = Vec::new();
    for m in dir.rows(&gs::members(c, &[id.to_owned()])).await? {
        members.push(member(&m)?);
    }
    let rec = record(r, members)?;
    let g = Group {
        display_name: rec.display_name.clone(),
        external_id: rec.external_id.clone(),
        members: rec.members.iter().map(|m| m.id.clone()).collect(),
    };
    Ok((rec, g))
}

fn member(m: &Row) -> Result<Member, Fail> {
    Ok(Member {
        id: col_text(m, "id")?,
        display: col_text(m, "email")?,
    })
}

fn record(r: &Row, members: Vec<Member>) -> Result<GroupRecord, Fail> {
    Ok(GroupRecord {
        id: col_text(r, "id")?,
        display_name: col_text(r, "display_name")?,
        external_id: col_opt(r, "external_id")?,
        members,
        created: col_text(r, "created_at")?,
        last_modified: col_text(r, "updated_at")?,
    })
}

/// A page of groups in three reads (count, groups, and their members unless left out), so a
/// page of 200 stays far below the Workers' per-request D1 query limit.
async fn list<D: Sql>(dir: &D, ctx: &Ctx<'_>, q: ListQuery) -> Result<ScimReply, Fail> {
    let c = ctx.req.company;
    let total = match dir
        .rows(&gs::groups_count(c, q.filter.as_ref()))
        .await?
        .first()
    {
        Some(r) => col_int(r, "n")?.max(0) as usize,
        None => 0,
    };
    let page = gs::groups_page(
        c,
        q.filter.as_ref(),
        q.start_index.saturating_sub(1),
        q.count,
    );
    let groups = dir.rows(&page).await?;
    let ids: Vec<String> = groups
        .iter()
        .map(|r| col_text(r, "id"))
        .collect::<Result<_, _>>()?;
    let named = |a: &[String]| a.iter().any(|x| x.eq_ignore_ascii_case("members"));
    let wanted = !named(&q.excluded) && (q.attributes.is_empty() || named(&q.attributes));
    let mut members: Vec<(String, Member)> = Vec::new();
    if wanted && !ids.is_empty() {
        for m in dir.rows(&gs::members(c, &ids)).await? {
            members.push((col_text(&m, "group_id")?, member(&m)?));
        }
    }
    let mut docs = Vec::new();
    for (r, id) in groups.iter().zip(&ids) {
        let mine = members
            .iter()
            .filter(|(g, _)| g == id)
            .map(|(_, m)| m.clone());
        let rec = record(r, mine.collect())?;
        docs.push(project(
            render(&rec, ctx.req.base),
            &q.attributes,
            &q.excluded,
        ));
    }
    Ok(ScimReply::json(
        200,
        list_response(docs, total, q.start_index),
    ))
}

/// Every member must be a live user of the company (400 `invalidValue` otherwise).
async fn check_members<D: Sql>(dir: &D, ctx: &Ctx<'_>, ids: &[String]) -> Result<(), Fail> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = dir.rows(&gs::live_users(ctx.req.company, ids)).await?;
    let known: Vec<String> = rows
        .iter()
        .map(|r| col_text(r, "id"))
        .collect::<Result<_, _>>()?;
    match ids.iter().find(|id| !known.contains(id)) {
        Some(id) => {
            Err(ScimError::value(format!("member {id} is not a user of this company")).into())
        }
        None => Ok(()),
    }
}

async fn create<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
) -> Result<ScimReply, Fail> {
    let g = group::parse(ctx.body()?)?;
    check_members(dir, ctx, &g.members).await?;
    let (c, id, at) = (ctx.req.company, ctx.req.new_id, ctx.req.now.to_string());
    let detail = format!("group {id}: {} members", g.members.len());
    let audit = ctx.audit(AuditEvent::Created, None, detail);
    if !dir
        .batch_applied(&gs::insert_group(c, id, &g, &at, &audit))
        .await?
    {
        return Err(ScimError::uniqueness("a group with this displayName exists").into());
    }
    remap(kv, dir, ctx, &g.members).await?;
    let (rec, _) = load(dir, ctx, id).await?;
    Ok(ScimReply::created(render(&rec, ctx.req.base)))
}

async fn update<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    id: &str,
    change: impl FnOnce(&Group) -> Result<Group, ScimError>,
) -> Result<ScimReply, Fail> {
    let (rec, before) = load(dir, ctx, id).await?;
    let after = change(&before)?;
    if after == before {
        return Ok(ScimReply::json(200, render(&rec, ctx.req.base)));
    }
    let added: Vec<String> = after
        .members
        .iter()
        .filter(|m| !before.members.contains(m))
        .cloned()
        .collect();
    let removed: Vec<String> = before
        .members
        .iter()
        .filter(|m| !after.members.contains(m))
        .cloned()
        .collect();
    check_members(dir, ctx, &added).await?;
    let detail = format!("group {id}: +{} -{} members", added.len(), removed.len());
    let audit = ctx.audit(AuditEvent::Updated, None, detail);
    let at = ctx.req.now.to_string();
    // A rename changes what the group maps to: every member is looked at again.
    let affected = match after.display_name != before.display_name
        || after.external_id != before.external_id
    {
        true => [after.members.clone(), removed.clone()].concat(),
        false => [added.clone(), removed.clone()].concat(),
    };
    let change = GroupChange {
        before: (group_names(&before), &before.members),
        after: Some((group_names(&after), &after.members)),
    };
    let mut stmts = gs::update_group(ctx.req.company, id, &after, &added, &removed, &at, &audit);
    stmts.extend(remap_stmts(kv, dir, ctx, &affected, Some(&change)).await?);
    if !dir.batch_applied(&stmts).await? {
        return Err(ScimError::not_found("no such group").into());
    }
    let (rec, _) = load(dir, ctx, id).await?;
    Ok(ScimReply::json(200, render(&rec, ctx.req.base)))
}

async fn delete<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    id: &str,
) -> Result<ScimReply, Fail> {
    let (_, before) = load(dir, ctx, id).await?;
    let audit = ctx.audit(AuditEvent::Deleted, None, format!("group {id}"));
    let change = GroupChange {
        before: (group_names(&before), &before.members),
        after: None,
    };
    let mut stmts = gs::delete_group(ctx.req.company, id, &audit);
    stmts.extend(remap_stmts(kv, dir, ctx, &before.members, Some(&change)).await?);
    if !dir.batch_applied(&stmts).await? {
        return Err(ScimError::not_found("no such group").into());
    }
    Ok(ScimReply {
        status: 204,
        body: None,
        location: None,
    })
}

/// What a user's memberships become from their SCIM groups' names and IDs. The mapping's
/// refusals are sign-in refusals: here they leave an authoritative user with no membership and
/// an additive one as they are.
pub fn remapped(
    mappings: &crate::lifecycle::GroupMappings,
    group_names: Vec<String>,
    current: &[Membership],
    default: Option<Membership>,
) -> Vec<Membership> {
    let outcome = match memberships(
        mappings,
        &Groups::Listed(group_names),
        Some(current),
        default,
    ) {
        Ok(o) => o,
        Err(_) if mappings.mode == MappingMode::Authoritative => Outcome::Replace(Vec::new()),
        Err(_) => Outcome::Keep,
    };
    apply(current, &outcome)
}

/// Recompute the memberships of `users` from their groups; audit each change.
async fn remap<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    users: &[String],
) -> Result<(), Fail> {
    let stmts = remap_stmts(kv, dir, ctx, users, None).await?;
    if !stmts.is_empty() {
        dir.batch_applied(&stmts).await?;
    }
    Ok(())
}

/// One group's change, for [`remap_stmts`] to see before it is written: the names the group
/// had and its members then, and the same after (`None`: the group is deleted).
struct GroupChange<'a> {
    before: (Vec<String>, &'a [String]),
    after: Option<(Vec<String>, &'a [String])>,
}

fn group_names(g: &Group) -> Vec<String> {
    std::iter::once(g.display_name.clone())
        .chain(g.external_id.clone())
        .collect()
}

/// The statements that set `users`' memberships from their groups, with `change` applied to
/// what D1 holds now, so that they go in the same batch as the change itself: a failed batch
/// leaves neither, and a retry finds the change still to do (a removed member never keeps what
/// the group gave).
async fn remap_stmts<K: SettingsStore, D: Sql>(
    kv: &K,
    dir: &D,
    ctx: &Ctx<'_>,
    users: &[String],
    change: Option<&GroupChange<'_>>,
) -> Result<Vec<Stmt>, Fail> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let settings = ctx.settings(kv).await?;
    if settings.group_mappings.rules.is_empty() {
        return Ok(Vec::new()); // mapping off: groups are stored only
    }
    let c = ctx.req.company;
    let mut stmts = Vec::new();
    for r in dir.rows(&gs::users_with_groups(c, users)).await? {
        let current = crate::sql::memberships_from_json(&col_text(&r, "memberships")?)
            .map_err(crate::ports::StoreError::Corrupt)?;
        let mut names: Vec<String> = serde_json::from_str(&col_text(&r, "groups")?)
            .map_err(|e| crate::ports::StoreError::Corrupt(e.to_string()))?;
        if let Some(ch) = change {
            let uid = col_text(&r, "id")?;
            if ch.before.1.contains(&uid) {
                names.retain(|n| !ch.before.0.contains(n));
            }
            if let Some((after_names, members)) = &ch.after {
                if members.contains(&uid) {
                    names.extend(after_names.iter().cloned());
                }
            }
        }
        let next = remapped(
            &settings.group_mappings,
            names,
            &current,
            default_membership(&settings),
        );
        if next != current {
            let (id, email) = (col_text(&r, "id")?, col_text(&r, "email")?);
            let audit = ctx.audit(
                AuditEvent::Updated,
                Some(&email),
                "fields: memberships (SCIM groups)".into(),
            );
            stmts.extend(gs::replace_memberships(c, &id, &next, &audit));
        }
    }
    Ok(stmts)
}
