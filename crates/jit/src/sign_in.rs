//! The account steps of the ACS flow (issue #13): read the profile, find the account (by its
//! persistent NameID binding or by email), apply the provisioning policy or the email-change
//! rule, map the groups, and write the plan in one batch. Every rule used here is a pure
//! function of [`crate::lifecycle`] or [`crate::policy`].

use saml_verify::VerifiedAssertion;

use crate::flow::{audit, AcsRequest, Failure, Known};
use crate::lifecycle::account::{binding, resolve, AccountRefusal, Binding, Resolution};
use crate::lifecycle::mapping::{memberships, MappingRefusal, Outcome};
use crate::lifecycle::plan::{self, Plan, Write};
use crate::lifecycle::profile::{self, Groups, Profile, ProfileError};
use crate::lifecycle::Membership;
use crate::policy::{decide, domain_allowed, email_domain, Decision, Facts};
use crate::ports::{AuditEntry, AuditEvent, CompanyFacts, Directory, User};
use crate::settings::CompanySettings;
use crate::{Code, Refusal};

/// What one sign-in is about, gathered before the account is looked up.
struct Ctx<'a> {
    req: &'a AcsRequest<'a>,
    company: &'a CompanySettings,
    v: &'a VerifiedAssertion,
    email: &'a str,
    profile: Profile,
    binding: Option<Binding>,
    known: Known<'a>,
    /// The audit note of a signature by an expired certificate (accepted).
    cert_note: Option<String>,
}

/// The account a sign-in wrote.
pub(crate) struct Written {
    pub created: bool,
    pub user_id: String,
    /// Its email changed (under its persistent NameID).
    pub email_changed: bool,
}

/// Find or create the account and write the sign-in. A plan the store could not apply because
/// the account changed meanwhile (a concurrent first login created it, or it was deactivated)
/// is decided again once, from a fresh read.
pub(crate) async fn account<D: Directory>(
    req: &AcsRequest<'_>,
    dir: &D,
    company: &CompanySettings,
    v: &VerifiedAssertion,
    email: &str,
    known: Known<'_>,
    cert_note: Option<String>,
) -> Result<Written, Failure> {
    let ctx = context(req, company, v, email, known, cert_note)?;
    for _ in 0..2 {
        let mut plan = plan_sign_in(&ctx, dir).await?;
        plan.signing_key = Some(v.signing_key.clone());
        if dir.write_sign_in(&plan).await.map_err(|e| known.store(e))? {
            return Ok(match plan.write {
                Write::Create(u) => Written {
                    created: true,
                    user_id: u.id,
                    email_changed: false,
                },
                Write::Update(up) => Written {
                    created: false,
                    email_changed: up.email_changed,
                    user_id: up.user_id,
                },
            });
        }
    }
    let detail = "the account changed under two consecutive sign-in attempts";
    Err(known.fail(Refusal::new(Code::StoreUnavailable, detail)))
}

/// What a sign-in of `v` would write, or why it would be refused, with nothing written: the
/// same steps as [`account`] (the admin's test sign-in shows it).
pub(crate) async fn dry_run<D: Directory>(
    req: &AcsRequest<'_>,
    dir: &D,
    company: &CompanySettings,
    v: &VerifiedAssertion,
    email: &str,
) -> Result<Plan, Refusal> {
    let known = Known {
        email: Some(email),
        assertion_id: &v.assertion_id,
    };
    let ctx = context(req, company, v, email, known, None).map_err(|f| f.refusal)?;
    plan_sign_in(&ctx, dir).await.map_err(|f| f.refusal)
}

fn context<'a>(
    req: &'a AcsRequest<'a>,
    company: &'a CompanySettings,
    v: &'a VerifiedAssertion,
    email: &'a str,
    known: Known<'a>,
    cert_note: Option<String>,
) -> Result<Ctx<'a>, Failure> {
    let profile = profile::read(v, &company.attribute_names()).map_err(|e| match e {
        ProfileError::Markup(a) => known.fail(Refusal::new(
            Code::IdentityMarkup,
            format!("attribute {a:?} holds an element"),
        )),
        ProfileError::TooLong(a) => known.fail(Refusal::new(
            Code::AttributeInvalid,
            format!("attribute {a:?}: a value over 256 characters or over 1000 groups"),
        )),
    })?;
    Ok(Ctx {
        req,
        company,
        v,
        email,
        profile,
        binding: binding(&v.issuer, &v.name_id, v.name_id_format.as_deref()),
        known,
        cert_note,
    })
}

async fn plan_sign_in<D: Directory>(ctx: &Ctx<'_>, dir: &D) -> Result<Plan, Failure> {
    let found = dir
        .accounts(ctx.req.company, ctx.email, ctx.binding.as_ref())
        .await
        .map_err(|e| ctx.known.store(e))?;
    match resolve(found, ctx.binding.as_ref(), ctx.email, &ctx.v.issuer) {
        Resolution::Refuse(r) => Err(ctx.known.fail(account_refusal(r))),
        Resolution::New => plan_new(ctx, dir).await,
        Resolution::Existing {
            user,
            email_change,
            bind,
        } => plan_existing(ctx, dir, &user, email_change, bind).await,
    }
}

fn account_refusal(r: AccountRefusal) -> Refusal {
    match r {
        AccountRefusal::EmailConflict => Refusal::new(
            Code::EmailConflict,
            "the new email under this persistent NameID belongs to another account",
        ),
        AccountRefusal::NameIdConflict => Refusal::new(
            Code::NameIdConflict,
            "the account with this email is bound to a persistent NameID of this IdP, and the \
             sign-in carries another one or none",
        ),
    }
}

fn mapping_refusal(r: MappingRefusal) -> Refusal {
    match r {
        MappingRefusal::NoGroupMatch => Refusal::new(
            Code::NoGroupMatch,
            "require_match: no group mapping gives the user a membership",
        ),
        MappingRefusal::GroupsOverage => Refusal::new(
            Code::GroupsOverage,
            "require_match: the IdP sent the groups overage claim instead of the groups",
        ),
    }
}

/// The company's default membership, when it has both defaults.
pub(crate) fn default_membership(company: &CompanySettings) -> Option<Membership> {
    let p = &company.provisioning;
    match (&p.default_workspace, &p.default_permission_set) {
        (Some(w), Some(ps)) => Some(Membership::new(w, ps)),
        _ => None,
    }
}

/// The `signed_in` / `provisioned` row's note: `first` (about the groups), then the expired
/// certificate's, `; `-separated.
fn note(first: Option<&str>, ctx: &Ctx<'_>) -> Option<String> {
    let parts: Vec<&str> = first.into_iter().chain(ctx.cert_note.as_deref()).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The note about the groups.
fn groups_note(profile: &Profile) -> Option<&'static str> {
    (profile.groups == Groups::Overage).then_some("groups_overage: memberships unchanged")
}

fn base_entry(ctx: &Ctx<'_>) -> AuditEntry {
    audit(
        ctx.req,
        AuditEvent::SignedIn,
        Some(ctx.email.to_owned()),
        Some(ctx.v.assertion_id.clone()),
        None,
    )
}

/// The facts for `domain` and whether `targets` exist, in one read.
async fn facts<D: Directory>(
    ctx: &Ctx<'_>,
    dir: &D,
    targets: &[Membership],
) -> Result<CompanyFacts, Failure> {
    let ws: Vec<String> = targets.iter().map(|m| m.workspace.clone()).collect();
    let ps: Vec<String> = targets.iter().map(|m| m.permission_set.clone()).collect();
    let domain = email_domain(ctx.email).unwrap_or_default();
    dir.company_facts(ctx.req.company, &domain, &ws, &ps)
        .await
        .map_err(|e| ctx.known.store(e))
}

fn missing_target(f: &CompanyFacts) -> Option<Refusal> {
    let first = f
        .missing_workspaces
        .first()
        .or(f.missing_permission_sets.first())?;
    let detail = format!("group mapping names {first:?}, which no longer exists");
    Some(Refusal::new(Code::MappingTargetMissing, detail))
}

/// A first login: the provisioning policy, exactly as before groups existed, then the groups.
async fn plan_new<D: Directory>(ctx: &Ctx<'_>, dir: &D) -> Result<Plan, Failure> {
    let c = ctx.company;
    let default = default_membership(c);
    let given = match memberships(
        &c.group_mappings,
        &ctx.profile.groups,
        None,
        default.clone(),
    )
    .map_err(|r| ctx.known.fail(mapping_refusal(r)))?
    {
        Outcome::Replace(m) | Outcome::Add(m) => m,
        Outcome::Keep => Vec::new(),
    };
    let uses_default = given.is_empty() || default.as_ref().is_some_and(|d| given == [d.clone()]);
    let f = facts(ctx, dir, &given).await?;
    let p = &c.provisioning;
    let decision = decide(&Facts {
        email: Some(ctx.email),
        user_exists: false,
        idp_initiated: ctx.v.in_response_to.is_none(),
        provisioning: p,
        exception_domains: &c.exception_domains,
        domain_has_confirmed_user: f.domain_has_confirmed_user,
        uses_default,
        default_workspace_exists: p
            .default_workspace
            .as_ref()
            .is_some_and(|w| !f.missing_workspaces.contains(w)),
        default_permission_set_exists: p
            .default_permission_set
            .as_ref()
            .is_some_and(|ps| !f.missing_permission_sets.contains(ps)),
    });
    if let Decision::Refuse(r) = decision {
        let detail = format!("policy refused the sign-in ({})", r.code());
        return Err(ctx.known.fail(Refusal::new(r.code(), detail)));
    }
    if let Some(r) = missing_target(&f) {
        return Err(ctx.known.fail(r));
    }
    let now = ctx.req.now.to_string();
    let user = User {
        company: ctx.req.company.to_owned(),
        id: ctx.req.new_user_id.to_owned(),
        email: ctx.email.to_owned(),
        confirmed: true,
        created_via: "jit".into(),
        created_at: now.clone(),
        last_login_at: Some(now),
        active: true,
        ..User::default()
    };
    let first_note = match (uses_default, groups_note(&ctx.profile)) {
        (true, Some(_)) => "groups_overage: default membership",
        (true, None) => "memberships: default",
        (false, _) => "memberships: group mappings",
    };
    let binding = ctx.binding.clone();
    Ok(plan::create(
        user,
        &ctx.profile,
        binding,
        given,
        &base_entry(ctx),
        note(Some(first_note), ctx).as_deref(),
    ))
}

/// A returning user: active, an allowed email change, the groups applied.
async fn plan_existing<D: Directory>(
    ctx: &Ctx<'_>,
    dir: &D,
    user: &User,
    email_change: bool,
    bind: bool,
) -> Result<Plan, Failure> {
    if !user.active {
        let r = Refusal::new(Code::UserDeactivated, "the account is deactivated");
        return Err(ctx.known.fail(r));
    }
    let c = ctx.company;
    let outcome = memberships(
        &c.group_mappings,
        &ctx.profile.groups,
        Some(&user.memberships),
        default_membership(c),
    )
    .map_err(|r| ctx.known.fail(mapping_refusal(r)))?;
    let new_targets: Vec<Membership> = match &outcome {
        Outcome::Keep => Vec::new(),
        Outcome::Add(m) | Outcome::Replace(m) => m
            .iter()
            .filter(|t| !user.memberships.contains(t))
            .cloned()
            .collect(),
    };
    if email_change || !new_targets.is_empty() {
        let f = facts(ctx, dir, &new_targets).await?;
        if email_change
            && !domain_allowed(ctx.email, f.domain_has_confirmed_user, &c.exception_domains)
        {
            let detail = "the new email's domain is not one the company may provision";
            return Err(ctx
                .known
                .fail(Refusal::new(Code::EmailChangeNotAllowed, detail)));
        }
        if let Some(r) = missing_target(&f) {
            return Err(ctx.known.fail(r));
        }
    }
    let binding = if bind { ctx.binding.clone() } else { None };
    Ok(plan::existing(
        user,
        ctx.email,
        &ctx.profile,
        binding,
        &outcome,
        &base_entry(ctx),
        note(groups_note(&ctx.profile), ctx).as_deref(),
    ))
}
