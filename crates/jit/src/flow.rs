//! The Assertion Consumer Service flow: verify, refuse replays, apply the policy, persist, and
//! say where the browser goes. No HTTP and no runtime here: the worker adapter calls [`acs`].

use saml_verify::{Timestamp, VerifiedAssertion};

use crate::policy::{decide, email_domain, Decision, Facts};
use crate::ports::{
    AuditEntry, AuditEvent, CompanyFacts, Directory, SettingsStore, StoreError, User,
};
use crate::session::{self, Claims, MAX_AGE_SECONDS};
use crate::{redirect, Code, Refusal};

/// One POST to `/saml/{company}/acs`.
#[derive(Debug, Clone)]
pub struct AcsRequest<'a> {
    pub company: &'a str,
    /// The `SAMLResponse` form value.
    pub saml_response: &'a [u8],
    pub relay_state: Option<&'a str>,
    pub now: Timestamp,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    /// Reference ID shown to the user and written to logs and the audit row.
    pub reference: &'a str,
    pub session_secret: &'a [u8],
    /// This company's SP decryption keys (from the `SP_KEYS` secret), for encrypted assertions.
    pub sp_keys: &'a [saml_verify::DecryptionKey],
    /// Fresh random bytes for this request that blind RSA decryption (see
    /// [`saml_verify::BlindingSeed`]).
    pub blinding: Option<saml_verify::BlindingSeed>,
}

/// A successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub email: String,
    pub created: bool,
    pub assertion_id: String,
    /// Where to send the browser (303).
    pub redirect: String,
    pub relay_state_followed: bool,
    /// Value of the session cookie.
    pub session: String,
}

fn store_refusal(e: StoreError) -> Refusal {
    match e {
        StoreError::Unavailable(d) => Refusal::new(Code::StoreUnavailable, d),
        StoreError::Corrupt(d) => Refusal::new(Code::StoreCorrupt, d),
    }
}

/// Run the flow. Every refusal is audited (best effort) and writes no user.
pub async fn acs<S: SettingsStore, D: Directory>(
    req: &AcsRequest<'_>,
    settings: &S,
    dir: &D,
) -> Result<SignedIn, Refusal> {
    let result = run(req, settings, dir).await;
    if let Err((refusal, email, assertion_id)) = &result {
        if refusal.status() != 404 {
            let entry = audit(
                req,
                AuditEvent::Refused,
                email.clone(),
                assertion_id.clone(),
                Some(refusal.code.as_str()),
            );
            // Fail closed either way; a lost audit row of a refusal is logged by the adapter.
            let _ = dir.audit(&entry).await;
        }
    }
    result.map_err(|(r, _, _)| r)
}

type Failure = (Refusal, Option<String>, Option<String>);

fn audit(
    req: &AcsRequest<'_>,
    event: AuditEvent,
    email: Option<String>,
    assertion_id: Option<String>,
    reason: Option<&str>,
) -> AuditEntry {
    AuditEntry {
        company: req.company.to_owned(),
        at: req.now,
        event,
        email,
        assertion_id,
        reason: reason.map(str::to_owned),
        reference: req.reference.to_owned(),
    }
}

async fn run<S: SettingsStore, D: Directory>(
    req: &AcsRequest<'_>,
    settings: &S,
    dir: &D,
) -> Result<SignedIn, Failure> {
    let bare = |r: Refusal| (r, None, None);
    let company = match settings.company(req.company).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(bare(Refusal::new(
                Code::CompanyUnknown,
                format!("no settings for company {:?}", req.company),
            )))
        }
        Err(StoreError::Corrupt(d)) => return Err(bare(Refusal::new(Code::SettingsInvalid, d))),
        Err(e) => return Err(bare(store_refusal(e))),
    };
    let mut trust = company
        .trust(req.sp_entity_id, req.acs_url, req.sp_keys)
        .map_err(|e| bare(Refusal::new(Code::IdpNotConfigured, e.to_string())))?;
    trust.blinding = req.blinding.clone();
    let v: VerifiedAssertion = saml_verify::verify_with(
        req.saml_response,
        &trust,
        req.now,
        saml_verify::InResponseTo::CallerChecks,
    )
    .map_err(|e| bare(Refusal::from(&e)))?;
    let aid = Some(v.assertion_id.clone());
    // SP-initiated: the InResponseTo must name a request this SP issued and has not used.
    if let Some(request_id) = &v.in_response_to {
        let issued = dir
            .consume_request(req.company, request_id, req.now)
            .await
            .map_err(|e| (store_refusal(e), None, aid.clone()))?;
        if !issued {
            let detail = format!("InResponseTo {request_id:?} is no pending request of this SP");
            return Err((Refusal::new(Code::InResponseToMismatch, detail), None, aid));
        }
    }
    // Remember the ID for as long as the verifier would still accept the assertion: its end
    // plus the clock skew allowance. Purging earlier would reopen a replay window.
    let remember_until = v
        .not_on_or_after
        .plus_seconds(i64::from(trust.skew_seconds));
    let fresh = dir
        .claim_assertion(req.company, &v.assertion_id, remember_until)
        .await
        .map_err(|e| (store_refusal(e), None, aid.clone()))?;
    if !fresh {
        return Err((
            Refusal::new(Code::AssertionReplayed, "assertion ID already used"),
            None,
            aid,
        ));
    }
    let email = v.email.as_deref().map(str::to_ascii_lowercase);
    let fail = |r: Refusal| (r, email.clone(), aid.clone());
    let existing = match &email {
        Some(e) => dir
            .user(req.company, e)
            .await
            .map_err(|e| fail(store_refusal(e)))?,
        None => None,
    };
    let p = &company.provisioning;
    let facts = match (&email, &existing) {
        (Some(e), None) => dir
            .company_facts(
                req.company,
                &email_domain(e).unwrap_or_default(),
                p.default_workspace.as_deref(),
                p.default_permission_set.as_deref(),
            )
            .await
            .map_err(|e| fail(store_refusal(e)))?,
        _ => CompanyFacts::default(),
    };
    let decision = decide(&Facts {
        email: email.as_deref(),
        user_exists: existing.is_some(),
        idp_initiated: v.in_response_to.is_none(),
        provisioning: p,
        exception_domains: &company.exception_domains,
        domain_has_confirmed_user: facts.domain_has_confirmed_user,
        default_workspace_exists: facts.workspace_exists,
        default_permission_set_exists: facts.permission_set_exists,
    });
    let email = email.clone().unwrap_or_default();
    let created = match decision {
        Decision::Refuse(r) => {
            return Err(fail(Refusal::new(
                r.code(),
                format!("policy refused the sign-in ({})", r.code()),
            )))
        }
        Decision::SignIn => false,
        Decision::Provision {
            workspace,
            permission_set,
        } => {
            let user = User {
                company: req.company.to_owned(),
                email: email.clone(),
                workspace: Some(workspace),
                permission_set: Some(permission_set),
                confirmed: true,
                impersonation: false,
                created_via: "jit".into(),
                created_at: req.now.to_string(),
                last_login_at: Some(req.now.to_string()),
            };
            let entry = audit(
                req,
                AuditEvent::Provisioned,
                Some(email.clone()),
                aid.clone(),
                None,
            );
            dir.provision(&user, &entry)
                .await
                .map_err(|e| fail(store_refusal(e)))?
        }
    };
    if !created {
        let entry = audit(
            req,
            AuditEvent::SignedIn,
            Some(email.clone()),
            aid.clone(),
            None,
        );
        dir.sign_in(req.company, &email, &entry)
            .await
            .map_err(|e| fail(store_refusal(e)))?;
    }
    let iat = req.now.unix_seconds();
    let claims = Claims {
        company: req.company.to_owned(),
        email: email.clone(),
        iat,
        exp: iat + MAX_AGE_SECONDS,
        sid: v.session_index.clone(),
    };
    let session = session::issue(req.session_secret, &claims).ok_or_else(|| {
        fail(Refusal::new(
            Code::SessionSecretMissing,
            "SESSION_SECRET is empty",
        ))
    })?;
    let (redirect, relay_state_followed) =
        redirect::target(req.relay_state, &company.dashboard_url);
    Ok(SignedIn {
        email,
        created,
        assertion_id: v.assertion_id,
        redirect,
        relay_state_followed,
        session,
    })
}
