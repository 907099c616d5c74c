//! An admin's test sign-in (issue #15): an SP-initiated request marked as a test
//! ([`crate::request_id::issue_test`]); the IdP's answer is verified exactly as a real sign-in's,
//! and instead of signing anyone in, the decision of a real (IdP-initiated) sign-in is worked
//! out with the same code ([`crate::sign_in::dry_run`]) and kept as a [`Report`] for the admin's
//! page. It creates no user, writes no audit row of a sign-in, and consumes its request ID once.

use saml_verify::{Timestamp, VerifiedAssertion};
use serde::{Deserialize, Serialize};

use crate::flow::AcsRequest;
use crate::lifecycle::plan::Write;
use crate::lifecycle::profile::{self, Groups};
use crate::lifecycle::Membership;
use crate::policy::email_domain;
use crate::ports::{AdminDirectory, SettingsStore, StoreError};
use crate::request_id;
use crate::settings::CompanySettings;
use crate::{Code, Refusal};

/// How long a test's report stays readable after the test (the purge removes it then).
pub const REPORT_SECONDS: i64 = 3600;
/// Longest text a report keeps of anything the response said (a detail, a NameID, a group).
pub const MAX_REPORT_TEXT: usize = 300;

/// At most [`MAX_REPORT_TEXT`] characters, marked when cut.
fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_REPORT_TEXT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// What the test found, rule by rule (stored as JSON, rendered by `web::test_report`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub at: String,
    /// The failing check of verification (signature, conditions…): its code and detail.
    pub failure: Option<Failed>,
    pub email: Option<String>,
    /// `name_id` or `attribute:<name>` (see `saml_verify::email::EmailSource`).
    pub email_source: Option<String>,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub groups: Vec<String>,
    pub groups_overage: bool,
    pub user_exists: bool,
    pub user_active: bool,
    pub domain: Option<String>,
    /// A user of the company that makes the domain qualify (shown to admins only).
    pub domain_witness: Option<String>,
    pub exception_domain: bool,
    /// What a real IdP-initiated sign-in would do: `sign_in`, `provision`, or the refusal code.
    pub outcome: String,
    pub outcome_detail: Option<String>,
    pub memberships: Vec<Membership>,
}

/// A failed check: the stable code and the verifier's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    pub code: String,
    pub detail: String,
}

fn source_name(s: &saml_verify::email::EmailSource) -> String {
    use saml_verify::email::EmailSource;
    match s {
        EmailSource::NameIdEmailAddress => "NameID (Format emailAddress)".into(),
        EmailSource::NameIdUnspecified => "NameID (Format unspecified)".into(),
        EmailSource::Attribute(name) => format!("attribute {name}"),
    }
}

fn store(e: StoreError) -> Refusal {
    match e {
        StoreError::Unavailable(d) => Refusal::new(Code::StoreUnavailable, d),
        StoreError::Corrupt(d) => Refusal::new(Code::StoreCorrupt, d),
    }
}

/// Run the test answered by `req` (whose `InResponseTo` is `test_id`), store its report under
/// the ID, and return it. Refused when the ID is not a live test of this company or was used.
pub async fn run<S: SettingsStore, D: AdminDirectory>(
    req: &AcsRequest<'_>,
    test_id: &str,
    request_secret: &[u8],
    settings: &S,
    dir: &D,
) -> Result<Report, Refusal> {
    let expires = request_id::test_expiry(request_secret, req.company, test_id)
        .filter(|e| *e > req.now)
        .ok_or_else(|| {
            let detail = "not a live test sign-in of this company";
            Refusal::new(Code::InResponseToMismatch, detail)
        })?;
    let company = settings
        .company(req.company)
        .await
        .map_err(store)?
        .ok_or_else(|| Refusal::new(Code::CompanyUnknown, "no settings"))?;
    let report = examine(req, test_id, &company, dir).await?;
    let json = serde_json::to_string(&report).unwrap_or_default();
    let keep = req.now.plus_seconds(REPORT_SECONDS).max(expires);
    if !dir
        .consume_test(req.company, test_id, keep, &json)
        .await
        .map_err(store)?
    {
        return Err(Refusal::new(
            Code::InResponseToMismatch,
            "test already answered",
        ));
    }
    Ok(report)
}

async fn examine<D: AdminDirectory>(
    req: &AcsRequest<'_>,
    test_id: &str,
    company: &CompanySettings,
    dir: &D,
) -> Result<Report, Refusal> {
    let mut r = Report {
        at: req.now.to_string(),
        ..Report::default()
    };
    let verified = company
        .trust(req.sp_entity_id, req.acs_url, req.sp_keys)
        .map_err(|e| Refusal::new(Code::IdpNotConfigured, e.to_string()))
        .and_then(|mut t| {
            t.blinding = req.blinding.clone();
            let mode = saml_verify::InResponseTo::Expected(test_id);
            saml_verify::verify_with(req.saml_response, &t, req.now, mode)
                .map_err(|e| Refusal::from(&e))
        });
    let v = match verified {
        Ok(v) => v,
        Err(refusal) => {
            r.failure = Some(Failed {
                code: refusal.code.as_str().to_owned(),
                detail: cut(&refusal.detail),
            });
            r.outcome = refusal.code.as_str().to_owned();
            return Ok(r);
        }
    };
    describe(&mut r, &v, company);
    let Some(email) = v.email.as_deref().map(str::to_ascii_lowercase) else {
        r.outcome = Code::EmailMissing.as_str().to_owned();
        return Ok(r);
    };
    domain_facts(&mut r, dir, req.company, &email, company).await?;
    // What an IdP-initiated sign-in would do: the same steps, nothing written.
    let real = VerifiedAssertion {
        in_response_to: None,
        ..v
    };
    let found = dir.user(req.company, &email).await.map_err(store)?;
    r.user_exists = found.is_some();
    r.user_active = found.is_some_and(|u| u.active);
    match crate::sign_in::dry_run(req, dir, company, &real, &email).await {
        Ok(plan) => {
            r.outcome = match plan.write {
                Write::Create(_) => "provision".into(),
                Write::Update(_) => "sign_in".into(),
            };
            r.memberships = plan.memberships_after;
        }
        Err(refusal) => {
            r.outcome = refusal.code.as_str().to_owned();
            r.outcome_detail = Some(cut(&refusal.detail));
        }
    }
    Ok(r)
}

/// What the verified assertion says: email and its source, NameID, names, groups.
fn describe(r: &mut Report, v: &VerifiedAssertion, company: &CompanySettings) {
    r.email = v.email.clone();
    r.email_source = v.email_source.as_ref().map(source_name);
    r.name_id = cut(&v.name_id);
    r.name_id_format = v.name_id_format.clone();
    if let Ok(p) = profile::read(v, &company.attribute_names()) {
        r.first_name = p.first_name;
        r.last_name = p.last_name;
        match p.groups {
            Groups::Listed(g) => r.groups = g.iter().take(50).map(|x| cut(x)).collect(),
            Groups::Overage => r.groups_overage = true,
        }
    }
}

/// Whether the email's domain qualifies, and why.
async fn domain_facts<D: AdminDirectory>(
    r: &mut Report,
    dir: &D,
    company_id: &str,
    email: &str,
    company: &CompanySettings,
) -> Result<(), Refusal> {
    let domain = email_domain(email).unwrap_or_default();
    r.exception_domain = company
        .exception_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&domain));
    r.domain_witness = dir
        .domain_witness(company_id, &domain)
        .await
        .map_err(store)?;
    r.domain = Some(domain);
    Ok(())
}

/// The stored report of a test, if it was answered and is still kept.
pub async fn report<D: AdminDirectory>(
    dir: &D,
    company: &str,
    test_id: &str,
    now: Timestamp,
) -> Result<Option<Report>, StoreError> {
    let Some(json) = dir.test_report(company, test_id, now).await? else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("test report: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_text_is_cut_on_a_character_boundary() {
        let long = "é".repeat(400);
        let c = super::cut(&long);
        assert_eq!(c.chars().count(), super::MAX_REPORT_TEXT + 1);
        assert!(c.ends_with('…'));
        assert_eq!(super::cut("short"), "short");
    }
}
