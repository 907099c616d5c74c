//! The Assertion Consumer Service flow: verify, refuse replays, apply the policy, persist, and
//! say where the browser goes. No HTTP and no runtime here: the worker adapter calls [`acs`].

use saml_verify::{Timestamp, VerifiedAssertion};

use crate::ports::{AuditEntry, AuditEvent, Directory, SettingsStore, StoreError};
use crate::session::{self, Claims, MAX_AGE_SECONDS};
use crate::settings::CompanySettings;
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
    /// A fresh random ID (lower hex) for the account, should this sign-in create one.
    pub new_user_id: &'a str,
    /// Fresh random bytes for this request that blind RSA decryption (see
    /// [`saml_verify::BlindingSeed`]).
    pub blinding: Option<saml_verify::BlindingSeed>,
}

/// A successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub email: String,
    pub created: bool,
    /// The account's email changed (its domain may now count for the provisioning rule).
    pub email_changed: bool,
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

/// A refused sign-in, with what its audit row may name: the email and assertion ID once known.
#[derive(Debug)]
pub(crate) struct Failure {
    pub refusal: Refusal,
    email: Option<String>,
    assertion_id: Option<String>,
}

impl Failure {
    /// Before the assertion is verified: nothing to name.
    fn bare(refusal: Refusal) -> Self {
        Failure {
            refusal,
            email: None,
            assertion_id: None,
        }
    }
}

/// What the audit row of a failure may name, as far as the flow got.
#[derive(Clone, Copy)]
pub(crate) struct Known<'a> {
    pub email: Option<&'a str>,
    pub assertion_id: &'a str,
}

impl Known<'_> {
    pub fn fail(self, refusal: Refusal) -> Failure {
        Failure {
            refusal,
            email: self.email.map(str::to_owned),
            assertion_id: Some(self.assertion_id.to_owned()),
        }
    }

    pub fn store(self, e: StoreError) -> Failure {
        self.fail(store_refusal(e))
    }
}

/// Run the flow. Every refusal is audited (best effort) and writes no user.
pub async fn acs<S: SettingsStore, D: Directory>(
    req: &AcsRequest<'_>,
    settings: &S,
    dir: &D,
) -> Result<SignedIn, Refusal> {
    let result = run(req, settings, dir).await;
    if let Err(f) = &result {
        if f.refusal.status() != 404 {
            let entry = audit(
                req,
                AuditEvent::Refused,
                f.email.clone(),
                f.assertion_id.clone(),
                Some(f.refusal.code.as_str()),
            );
            // Fail closed either way; a lost audit row of a refusal is logged by the adapter.
            let _ = dir.audit(&entry).await;
        }
    }
    result.map_err(|f| f.refusal)
}

pub(crate) fn audit(
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
        actor: Some("saml".into()),
        detail: None,
    }
}

/// The steps: settings, verify, claim (request ID and replay), decide, persist, session.
async fn run<S: SettingsStore, D: Directory>(
    req: &AcsRequest<'_>,
    settings: &S,
    dir: &D,
) -> Result<SignedIn, Failure> {
    let company = load_company(req, settings).await?;
    let (v, skew_seconds, cert_note) = verify(req, &company)?;
    claim(req, dir, &v, skew_seconds).await?;
    let email = v.email.as_deref().map(str::to_ascii_lowercase);
    let known = Known {
        email: email.as_deref(),
        assertion_id: &v.assertion_id,
    };
    let Some(email) = email.clone() else {
        let r = Refusal::new(Code::EmailMissing, "the assertion carries no email");
        return Err(known.fail(r));
    };
    let written = crate::sign_in::account(req, dir, &company, &v, &email, known, cert_note).await?;
    let session = issue_session(req, &email, &written.user_id, &v).map_err(|r| known.fail(r))?;
    let (redirect, relay_state_followed) =
        redirect::target(req.relay_state, &company.dashboard_url);
    Ok(SignedIn {
        email,
        created: written.created,
        email_changed: written.email_changed,
        assertion_id: v.assertion_id,
        redirect,
        relay_state_followed,
        session,
    })
}

/// The company's settings: unknown is 404 (not audited), unreadable 503.
async fn load_company<S: SettingsStore>(
    req: &AcsRequest<'_>,
    settings: &S,
) -> Result<CompanySettings, Failure> {
    match settings.company(req.company).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(Failure::bare(Refusal::new(
            Code::CompanyUnknown,
            format!("no settings for company {:?}", req.company),
        ))),
        Err(StoreError::Corrupt(d)) => Err(Failure::bare(Refusal::new(Code::SettingsInvalid, d))),
        Err(e) => Err(Failure::bare(store_refusal(e))),
    }
}

/// Verify the response against the company's trust settings; also the skew allowance in force,
/// and the audit note of a signature by an expired certificate that the company accepts
/// ([`crate::expiry::signature_rule`]).
fn verify(
    req: &AcsRequest<'_>,
    company: &CompanySettings,
) -> Result<(VerifiedAssertion, u32, Option<String>), Failure> {
    let mut trust = company
        .trust(req.sp_entity_id, req.acs_url, req.sp_keys)
        .map_err(|e| Failure::bare(Refusal::new(Code::IdpNotConfigured, e.to_string())))?;
    trust.blinding = req.blinding.clone();
    let v = saml_verify::verify_with(
        req.saml_response,
        &trust,
        req.now,
        saml_verify::InResponseTo::CallerChecks,
    )
    .map_err(|e| Failure::bare(Refusal::from(&e)))?;
    let signer = trust
        .idp_keys
        .iter()
        .find(|k| k.fingerprint() == v.signing_key);
    let note = match signer {
        Some(k) => crate::expiry::signature_rule(
            company.saml.expired_certificates,
            &v.signing_key,
            k.not_after(),
            req.now,
        )
        .map_err(|r| {
            Known {
                email: None,
                assertion_id: &v.assertion_id,
            }
            .fail(r)
        })?,
        None => None,
    };
    Ok((v, trust.skew_seconds, note))
}

/// SP-initiated: the InResponseTo must name a request this SP issued and has not used. Then the
/// assertion ID is claimed (SAML profiles §4.1.4.5: a bearer assertion is used once).
async fn claim<D: Directory>(
    req: &AcsRequest<'_>,
    dir: &D,
    v: &VerifiedAssertion,
    skew_seconds: u32,
) -> Result<(), Failure> {
    let known = Known {
        email: None,
        assertion_id: &v.assertion_id,
    };
    if let Some(request_id) = &v.in_response_to {
        let issued = dir
            .consume_request(req.company, request_id, req.now)
            .await
            .map_err(|e| known.store(e))?;
        if !issued {
            let detail = format!("InResponseTo {request_id:?} is no pending request of this SP");
            return Err(known.fail(Refusal::new(Code::InResponseToMismatch, detail)));
        }
    }
    // Remember the ID for as long as the verifier would still accept the assertion: its end
    // plus the clock skew allowance. Purging earlier would reopen a replay window.
    let remember_until = v.not_on_or_after.plus_seconds(i64::from(skew_seconds));
    let fresh = dir
        .claim_assertion(req.company, &v.assertion_id, remember_until)
        .await
        .map_err(|e| known.store(e))?;
    if !fresh {
        let r = Refusal::new(Code::AssertionReplayed, "assertion ID already used");
        return Err(known.fail(r));
    }
    Ok(())
}

/// The session cookie's value (README "The session cookie").
fn issue_session(
    req: &AcsRequest<'_>,
    email: &str,
    user_id: &str,
    v: &VerifiedAssertion,
) -> Result<String, Refusal> {
    let iat = req.now.unix_seconds();
    let claims = Claims {
        company: req.company.to_owned(),
        email: email.to_owned(),
        iat,
        exp: iat + MAX_AGE_SECONDS,
        sid: v.session_index.clone(),
        uid: Some(user_id.to_owned()),
    };
    session::issue(req.session_secret, &claims)
        .ok_or_else(|| Refusal::new(Code::SessionSecretMissing, "SESSION_SECRET is empty"))
}
