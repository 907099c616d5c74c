//! Certificate rollover from the IdP's metadata (README "Certificate rollover"), as one pure
//! decision: given the pinned certificates, the freshly fetched metadata, what D1 remembers of
//! each certificate and `now`, the new list of pinned certificates, or why nothing changes.
//!
//! - a certificate new in the metadata is pinned beside the current ones (both trusted during
//!   the overlap);
//! - a pinned certificate that left the metadata stays until a certificate still in the
//!   metadata has verified a sign-in, or for [`GRACE_SECONDS`] after it left;
//! - metadata past its `validUntil`, or naming another entity, changes nothing;
//! - the result is never empty (metadata always has a signing certificate).

use std::collections::BTreeMap;

use saml_verify::metadata::IdpMetadata;
use saml_verify::{Timestamp, TrustedKey};

use crate::expiry::Warned;
use crate::usecases::metadata::pem;

/// How long a certificate that left the metadata stays pinned when no certificate still in it
/// has verified a sign-in: 7 days.
pub const GRACE_SECONDS: i64 = 7 * 86_400;

/// What D1 remembers of one certificate (table `idp_certificates`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertFacts {
    /// When a refresh first found it pinned but no longer in the metadata.
    pub left_metadata_at: Option<Timestamp>,
    /// When it first verified a sign-in.
    pub first_verified_at: Option<Timestamp>,
    pub warned: Warned,
}

/// Why a refresh changes nothing (each is logged and audited as `idp_refresh_failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unchanged {
    /// The URL could not be fetched (the reason says nothing of what it returned).
    FetchFailed(String),
    /// What it returned is not IdP metadata.
    NotMetadata,
    /// The metadata's `validUntil` has passed.
    Expired(Timestamp),
    /// The metadata describes another IdP than the configured one.
    OtherEntity(String),
}

impl Unchanged {
    /// For the log, the audit row and the JSON answer (never the fetched content).
    pub fn reason(&self) -> String {
        match self {
            Unchanged::FetchFailed(r) => format!("fetch failed: {r}"),
            Unchanged::NotMetadata => "the URL did not return IdP metadata".into(),
            Unchanged::Expired(t) => format!("the metadata expired (validUntil {t})"),
            Unchanged::OtherEntity(e) => {
                format!("the metadata is for another entity ID ({e:?}); nothing changed")
            }
        }
    }
}

/// A successful refresh: the new pinned list and what D1 must remember.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refresh {
    /// The new `saml.idp_certificates` (kept ones as they were written, new ones as PEM).
    pub certificates: Vec<String>,
    /// The metadata's HTTP-Redirect SSO URL, if it has one.
    pub sso_url: Option<String>,
    /// Fingerprints pinned by this refresh.
    pub added: Vec<String>,
    /// Fingerprints unpinned by this refresh.
    pub removed: Vec<String>,
    /// Fingerprints no longer in the metadata, still pinned (waiting for a sign-in by a
    /// certificate of the metadata, or the end of the grace period).
    pub pending: Vec<String>,
    /// Of `pending`, those found gone just now (D1 records when they left).
    pub left_now: Vec<String>,
    /// Fingerprints in the metadata that D1 remembers as gone (they came back).
    pub returned: Vec<String>,
    pub valid_until: Option<Timestamp>,
}

impl Refresh {
    /// Whether the pinned list changed.
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// Decide a refresh. `current` is `saml.idp_certificates`; a stored certificate that does not
/// parse (it cannot: settings are validated) is kept untouched.
pub fn plan(
    current: &[String],
    configured_entity_id: &str,
    md: &IdpMetadata,
    facts: &BTreeMap<String, CertFacts>,
    now: Timestamp,
) -> Result<Refresh, Unchanged> {
    if md.signing_keys.is_empty() {
        return Err(Unchanged::NotMetadata);
    }
    if let Some(t) = md.valid_until.filter(|t| *t <= now) {
        return Err(Unchanged::Expired(t));
    }
    if md.entity_id != configured_entity_id {
        return Err(Unchanged::OtherEntity(md.entity_id.clone()));
    }
    let fact = |fp: &str| facts.get(fp).cloned().unwrap_or_default();
    let in_metadata: Vec<String> = md
        .signing_keys
        .iter()
        .map(TrustedKey::fingerprint)
        .collect();
    let successor_verified = in_metadata
        .iter()
        .any(|fp| fact(fp).first_verified_at.is_some());
    let mut out = Refresh {
        sso_url: md.redirect_sso_url().map(str::to_owned),
        valid_until: md.valid_until,
        ..Refresh::default()
    };
    let mut pinned: Vec<String> = Vec::new();
    for text in current {
        let Ok(key) = TrustedKey::from_certificate(text.as_bytes()) else {
            out.certificates.push(text.clone());
            continue;
        };
        let fp = key.fingerprint();
        if pinned.contains(&fp) {
            continue;
        }
        if !in_metadata.contains(&fp) {
            let f = fact(&fp);
            let left_at = f.left_metadata_at.unwrap_or(now);
            if successor_verified || now >= left_at.plus_seconds(GRACE_SECONDS) {
                out.removed.push(fp);
                continue;
            }
            if f.left_metadata_at.is_none() {
                out.left_now.push(fp.clone());
            }
            out.pending.push(fp.clone());
        }
        out.certificates.push(text.clone());
        pinned.push(fp);
    }
    for (key, fp) in md.signing_keys.iter().zip(&in_metadata) {
        if fact(fp).left_metadata_at.is_some() {
            out.returned.push(fp.clone());
        }
        if !pinned.contains(fp) {
            out.certificates.push(pem(key.certificate_der()));
            out.added.push(fp.clone());
            pinned.push(fp.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "rollover_tests.rs"]
mod tests;
