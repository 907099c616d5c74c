//! Stateless AuthnRequest IDs (SAML core §3.2.1 `ID`, an xs:ID): `_` followed by the hex of a
//! 16-byte random nonce, the expiry (Unix milliseconds, 8 bytes big-endian) and the first 16
//! bytes of HMAC-SHA256 under the `SESSION_SECRET` of
//! `authn-request|<company>|<nonce><expiry>`.
//!
//! A **test sign-in** (issue #15) uses `_t` followed by the same hex, its HMAC over
//! `authn-request-test|<company>|<nonce><expiry>`: a test ID never passes [`expiry`] (another
//! length and another MAC domain), so its answer can never sign anyone in; [`test_expiry`]
//! checks it.
//!
//! Starting an SP-initiated sign-in is unauthenticated, so it writes nothing: the ID itself
//! proves this SP issued it, for which company and until when. Only a Response that passed
//! signature verification makes the store remember the ID, once, so each request is answered
//! at most once (SAML profiles §4.1.4.5).

use hmac::{Hmac, Mac};
use saml_verify::Timestamp;
use sha2::Sha256;

use crate::hex;

const NONCE: usize = 16;
const EXPIRY: usize = 8;
const TAG: usize = 16;
/// Length of an ID: `_` and the hex of nonce, expiry and tag.
const ID_LEN: usize = 1 + 2 * (NONCE + EXPIRY + TAG);

/// What an ID is for: a sign-in, or an admin's test sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SignIn,
    Test,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::SignIn => "_",
            Kind::Test => "_t",
        }
    }

    fn domain(self) -> &'static [u8] {
        match self {
            Kind::SignIn => b"authn-request|",
            Kind::Test => b"authn-request-test|",
        }
    }
}

/// HMAC-SHA256 of `<domain><company>|<body>` (None for an empty secret, refused).
fn mac(secret: &[u8], kind: Kind, company: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    if secret.is_empty() {
        return None;
    }
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    m.update(kind.domain());
    m.update(company.as_bytes());
    m.update(b"|");
    m.update(body);
    Some(m)
}

/// A new request ID for `company`, valid until `expires` (None when the secret is empty).
pub fn issue(
    secret: &[u8],
    company: &str,
    nonce: [u8; NONCE],
    expires: Timestamp,
) -> Option<String> {
    issue_kind(secret, Kind::SignIn, company, nonce, expires)
}

/// A new test sign-in ID (starts with `_t`).
pub fn issue_test(
    secret: &[u8],
    company: &str,
    nonce: [u8; NONCE],
    expires: Timestamp,
) -> Option<String> {
    issue_kind(secret, Kind::Test, company, nonce, expires)
}

fn issue_kind(
    secret: &[u8],
    kind: Kind,
    company: &str,
    nonce: [u8; NONCE],
    expires: Timestamp,
) -> Option<String> {
    let mut body = nonce.to_vec();
    body.extend_from_slice(&expires.0.to_be_bytes());
    let full = mac(secret, kind, company, &body)?.finalize().into_bytes();
    Some(format!(
        "{}{}{}",
        kind.prefix(),
        hex::encode(&body),
        hex::encode(full.get(..TAG)?)
    ))
}

/// When `id` is an ID this SP issued for `company`, its expiry (checked in constant time;
/// whether it has passed is the caller's to decide).
pub fn expiry(secret: &[u8], company: &str, id: &str) -> Option<Timestamp> {
    expiry_kind(secret, Kind::SignIn, company, id)
}

/// The same, for a test sign-in ID.
pub fn test_expiry(secret: &[u8], company: &str, id: &str) -> Option<Timestamp> {
    expiry_kind(secret, Kind::Test, company, id)
}

/// Whether `id` has the shape of a test sign-in ID (not whether it is authentic).
pub fn looks_like_test(id: &str) -> bool {
    id.len() == ID_LEN + 1 && id.starts_with("_t")
}

fn expiry_kind(secret: &[u8], kind: Kind, company: &str, id: &str) -> Option<Timestamp> {
    if id.len() != ID_LEN + kind.prefix().len() - 1 || !id.is_ascii() {
        return None;
    }
    let raw = hex::decode(id.strip_prefix(kind.prefix())?)?;
    if raw.len() != NONCE + EXPIRY + TAG {
        return None;
    }
    let (body, given) = raw.split_at(NONCE + EXPIRY);
    mac(secret, kind, company, body)?
        .verify_truncated_left(given)
        .ok()?;
    let mut exp = [0u8; EXPIRY];
    exp.copy_from_slice(body.get(NONCE..)?);
    Some(Timestamp(i64::from_be_bytes(exp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-session-secret";

    #[test]
    fn round_trips_and_refuses_everything_else() {
        let exp = Timestamp(1_767_225_600_000);
        let id = issue(SECRET, "acme", [7; 16], exp).unwrap();
        assert_eq!(id.len(), ID_LEN);
        assert!(id.starts_with('_') && id[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(expiry(SECRET, "acme", &id), Some(exp));
        assert_eq!(expiry(SECRET, "acme2", &id), None, "other company");
        assert_eq!(expiry(b"other", "acme", &id), None, "other secret");
        assert_eq!(expiry(b"", "acme", &id), None, "empty secret");
        assert_eq!(issue(b"", "acme", [7; 16], exp), None);
        // Every single-character change is refused.
        for i in 0..id.len() {
            let mut b = id.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(b).unwrap();
            assert_eq!(expiry(SECRET, "acme", &changed), None, "changed at {i}");
        }
        for bad in [
            "",
            "_",
            "_req123",
            &id[..ID_LEN - 1],
            &format!("{id}0"),
            &id.replace('_', "x"),
        ] {
            assert_eq!(expiry(SECRET, "acme", bad), None, "{bad}");
        }
        let nonascii = format!("_{}é", &id[1..ID_LEN - 2]);
        assert_eq!(expiry(SECRET, "acme", &nonascii), None);
        assert_ne!(
            issue(SECRET, "acme", [8; 16], exp),
            Some(id),
            "nonce matters"
        );
    }

    #[test]
    fn test_ids_and_sign_in_ids_never_pass_for_each_other() {
        let exp = Timestamp(1_767_225_600_000);
        let t = issue_test(SECRET, "acme", [7; 16], exp).unwrap();
        let s = issue(SECRET, "acme", [7; 16], exp).unwrap();
        assert!(looks_like_test(&t) && !looks_like_test(&s));
        assert_eq!(test_expiry(SECRET, "acme", &t), Some(exp));
        assert_eq!(expiry(SECRET, "acme", &t), None, "a test ID never signs in");
        assert_eq!(test_expiry(SECRET, "acme", &s), None);
        assert_eq!(test_expiry(SECRET, "acme2", &t), None);
        // Same body, test prefix, sign-in MAC: refused (the MAC domain differs).
        let forged = format!("_t{}", &s[1..]);
        assert_eq!(test_expiry(SECRET, "acme", &forged), None);
        for i in 2..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(b).unwrap();
            assert_eq!(
                test_expiry(SECRET, "acme", &changed),
                None,
                "changed at {i}"
            );
        }
    }
}
