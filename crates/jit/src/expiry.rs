//! Pinned certificates past or near their NotAfter (README "Certificate rollover"): what a
//! signature by an expired one gets at the ACS, and the warnings written 30 and 7 days before.

use saml_verify::{Timestamp, TrustedKey};

use crate::settings::ExpiredCertificates;
use crate::{Code, Refusal};

const DAY_SECONDS: i64 = 86_400;

/// The ACS rule for the certificate that verified the response: before its NotAfter, nothing
/// to say; after it, a note for the audit row (`accept`) or the refusal `certificate_expired`.
pub fn signature_rule(
    policy: ExpiredCertificates,
    fingerprint: &str,
    not_after: Timestamp,
    now: Timestamp,
) -> Result<Option<String>, Refusal> {
    if now < not_after {
        return Ok(None);
    }
    let short = fingerprint.get(..16).unwrap_or(fingerprint);
    match policy {
        ExpiredCertificates::Accept => Ok(Some(format!(
            "certificate_expired accepted: sha256 {short}… expired {not_after}"
        ))),
        ExpiredCertificates::Refuse => Err(Refusal::new(
            Code::CertificateExpired,
            format!("the certificate sha256 {short}… that verified expired {not_after}"),
        )),
    }
}

/// Which expiry warnings were already written for a certificate (D1 `idp_certificates`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Warned {
    pub days_30: bool,
    pub days_7: bool,
}

/// A warning to write now: the certificate, its NotAfter, and the threshold reached (30 or 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub fingerprint: String,
    pub subject: String,
    pub not_after: Timestamp,
    pub days: u8,
}

/// Is `not_after` within `days` of `now` (or past)?
pub fn within(not_after: Timestamp, now: Timestamp, days: i64) -> bool {
    now >= not_after.plus_seconds(-days * DAY_SECONDS)
}

/// The warnings due for `certs` at `now`, at most one per certificate: the 7-day one when it
/// is within 7 days (or expired) and not yet written, else the 30-day one within 30 days. A
/// certificate first seen within 7 days gets the 7-day warning only (it marks both).
pub fn due(certs: &[TrustedKey], warned: impl Fn(&str) -> Warned, now: Timestamp) -> Vec<Warning> {
    let mut out = Vec::new();
    for k in certs {
        let fp = k.fingerprint();
        let w = warned(&fp);
        let days = if within(k.not_after(), now, 7) {
            (!w.days_7).then_some(7)
        } else if within(k.not_after(), now, 30) {
            (!w.days_30).then_some(30)
        } else {
            None
        };
        if let Some(days) = days {
            out.push(Warning {
                fingerprint: fp,
                subject: k.subject().to_owned(),
                not_after: k.not_after(),
                days,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDP: &str = include_str!("../../saml-verify/tests/vectors/keys/idp.crt");

    fn key() -> TrustedKey {
        TrustedKey::from_certificate(IDP.as_bytes()).unwrap()
    }

    #[test]
    fn expired_signature_rule() {
        let k = key();
        let na = k.not_after();
        let fp = k.fingerprint();
        use ExpiredCertificates::{Accept, Refuse};
        #[rustfmt::skip]
        let table = [
            ("valid, accept", Accept, na.plus_seconds(-1), Ok(false)),
            ("valid, refuse", Refuse, na.plus_seconds(-1), Ok(false)),
            ("expired, accept", Accept, na, Ok(true)),
            ("expired a year, accept", Accept, na.plus_seconds(365 * DAY_SECONDS), Ok(true)),
            ("expired, refuse", Refuse, na, Err(Code::CertificateExpired)),
        ];
        for (case, policy, now, want) in table {
            let got = signature_rule(policy, &fp, na, now);
            assert_eq!(
                got.clone().map(|n| n.is_some()).map_err(|r| r.code),
                want,
                "{case}"
            );
            if let Ok(Some(note)) = got {
                assert!(note.starts_with("certificate_expired accepted: sha256 bbbf13ee74b29617"));
            }
        }
    }

    #[test]
    fn warnings_once_per_threshold() {
        let k = key();
        let na = k.not_after();
        let at = |days: i64| na.plus_seconds(-days * DAY_SECONDS);
        let none = Warned::default();
        let w30 = Warned {
            days_30: true,
            days_7: false,
        };
        let both = Warned {
            days_30: true,
            days_7: true,
        };
        #[rustfmt::skip]
        let table = [
            ("31 days before", at(31), none, None),
            ("30 days before", at(30), none, Some(30)),
            ("20 days, 30 written", at(20), w30, None),
            ("7 days, 30 written", at(7), w30, Some(7)),
            ("5 days, nothing written", at(5), none, Some(7)),
            ("5 days, both written", at(5), both, None),
            ("expired, nothing written", at(-3), none, Some(7)),
            ("expired, both written", at(-3), both, None),
        ];
        for (case, now, warned, want) in table {
            let got = due(std::slice::from_ref(&k), |_| warned, now);
            assert_eq!(got.first().map(|w| w.days), want, "{case}");
            assert!(got.len() <= 1);
            if let Some(w) = got.first() {
                assert_eq!(w.fingerprint, k.fingerprint());
                assert_eq!(w.not_after, na);
                assert_eq!(
                    w.subject,
                    "C=US, O=Decorum Test IdP, CN=idp.decorumsoft.test"
                );
            }
        }
    }
}
