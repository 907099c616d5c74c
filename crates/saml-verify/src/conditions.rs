//! Assertion validity as SAML core §2.5.1 and the Web Browser SSO profile (SAML profiles
//! §4.1.4.2, §4.1.4.3) require of a service provider. Every check fails closed.

use crate::assertion::{AssertionFields, Confirmation, ResponseFields};
use crate::time::Timestamp;
use crate::{Error, InResponseTo, Trust};

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Check `a` (and the Response fields `r`) at `now`; returns the instant after which the
/// assertion can no longer be used: the end of its window, for the replay cache.
pub(crate) fn check(
    r: &ResponseFields,
    a: &AssertionFields,
    trust: &Trust,
    now: Timestamp,
    expected_request: InResponseTo<'_>,
) -> Result<(Timestamp, Option<String>), Error> {
    let skew = i64::from(trust.skew_seconds);
    if let Some(dest) = &r.destination {
        if *dest != trust.acs_url {
            return Err(Error::DestinationMismatch {
                expected: trust.acs_url.clone(),
                actual: dest.clone(),
            });
        }
    }
    for issuer in r.issuer.iter().chain(std::iter::once(&a.issuer)) {
        if *issuer != trust.idp_entity_id {
            return Err(Error::IssuerMismatch {
                expected: trust.idp_entity_id.clone(),
                actual: issuer.clone(),
            });
        }
    }
    let answered = check_in_response_to(r, a, expected_request)?;
    if let Some(name) = &a.unknown_condition {
        return Err(Error::ConditionUnknown { name: name.clone() });
    }
    let audience_ok = !a.audience_restrictions.is_empty()
        && a.audience_restrictions
            .iter()
            .all(|list| list.contains(&trust.sp_entity_id));
    if !audience_ok {
        return Err(Error::AudienceMismatch {
            expected: trust.sp_entity_id.clone(),
            actual: a.audience_restrictions.concat(),
        });
    }
    if let Some(t) = a.issue_instant {
        not_before(t, now, skew)?;
    }
    if let Some(t) = a.not_before {
        not_before(t, now, skew)?;
    }
    if let Some(t) = a.not_on_or_after {
        not_after(t, now, skew)?;
    }
    check_bearer(&a.confirmations, trust, now, skew)?;
    // The replay cache must hold the ID as long as ANY bearer confirmation could still be
    // presented, not only the one that was checked first.
    let bearer_end = a
        .confirmations
        .iter()
        .filter(|c| c.method == BEARER)
        .filter_map(|c| c.not_on_or_after)
        .max()
        .unwrap_or(now);
    if !a.has_authn_statement {
        return Err(Error::AuthnStatementMissing);
    }
    if let Some(t) = a.session_not_on_or_after {
        not_after(t, now, skew)?;
    }
    Ok((
        a.not_on_or_after.map_or(bearer_end, |t| t.min(bearer_end)),
        answered,
    ))
}

fn not_before(t: Timestamp, now: Timestamp, skew: i64) -> Result<(), Error> {
    if now.plus_seconds(skew) < t {
        return Err(Error::NotYetValid {
            not_before: t.to_string(),
            now: now.to_string(),
        });
    }
    Ok(())
}

fn not_after(t: Timestamp, now: Timestamp, skew: i64) -> Result<(), Error> {
    if now.plus_seconds(-skew) >= t {
        return Err(Error::Expired {
            not_on_or_after: t.to_string(),
            now: now.to_string(),
        });
    }
    Ok(())
}

/// IdP-initiated: no InResponseTo anywhere. SP-initiated: at least one, and every one present
/// equals the request we sent (SAML profiles §4.1.4.2), or, when the caller looks the request up
/// itself, equals each other. Returns the request answered.
fn check_in_response_to(
    r: &ResponseFields,
    a: &AssertionFields,
    expected: InResponseTo<'_>,
) -> Result<Option<String>, Error> {
    let present: Vec<&String> = r
        .in_response_to
        .iter()
        .chain(
            a.confirmations
                .iter()
                .filter_map(|c| c.in_response_to.as_ref()),
        )
        .collect();
    let first = present.first().map(|s| s.to_string());
    // Whether sign-in is SP- or IdP-initiated decides provisioning, so it is decided from signed
    // data only: an InResponseTo that appears only on an unsigned Response is refused.
    let signed = (r.signed && r.in_response_to.is_some())
        || a.confirmations.iter().any(|c| c.in_response_to.is_some());
    let ok = (signed || present.is_empty())
        && match expected {
            InResponseTo::Unsolicited => present.is_empty(),
            InResponseTo::Expected(x) => {
                !present.is_empty() && present.iter().all(|p| p.as_str() == x)
            }
            InResponseTo::CallerChecks => {
                present.iter().all(|p| Some(p.as_str()) == first.as_deref())
            }
        };
    if ok {
        return Ok(first);
    }
    Err(Error::InResponseToMismatch {
        expected: match expected {
            InResponseTo::Expected(x) => Some(x.to_owned()),
            _ => None,
        },
        actual: first,
    })
}

/// SAML profiles §4.1.4.2: at least one bearer SubjectConfirmation whose data names this ACS as
/// Recipient and has a NotOnOrAfter in the future. Returns that NotOnOrAfter.
fn check_bearer(
    list: &[Confirmation],
    trust: &Trust,
    now: Timestamp,
    skew: i64,
) -> Result<Timestamp, Error> {
    let mut first_error = None;
    for c in list.iter().filter(|c| c.method == BEARER) {
        let result = (|| {
            if c.recipient.as_deref() != Some(trust.acs_url.as_str()) {
                return Err(Error::RecipientMismatch {
                    expected: trust.acs_url.clone(),
                    actual: list.iter().filter_map(|c| c.recipient.clone()).collect(),
                });
            }
            let end = c.not_on_or_after.ok_or_else(|| Error::Expired {
                not_on_or_after: "(absent)".into(),
                now: now.to_string(),
            })?;
            not_after(end, now, skew)?;
            if let Some(t) = c.not_before {
                not_before(t, now, skew)?;
            }
            Ok(end)
        })();
        match result {
            Ok(end) => return Ok(end),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(Error::BearerMissing))
}
