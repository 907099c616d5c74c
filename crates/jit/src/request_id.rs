//! Stateless AuthnRequest IDs (SAML core §3.2.1 `ID`, an xs:ID): `_` followed by the hex of a
//! 16-byte random nonce, the expiry (Unix milliseconds, 8 bytes big-endian) and the first 16
//! bytes of HMAC-SHA256 under the `SESSION_SECRET` of
//! `authn-request|<company>|<nonce><expiry>`.
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

/// HMAC-SHA256 of `authn-request|<company>|<body>` (None for an empty secret, refused).
fn mac(secret: &[u8], company: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    if secret.is_empty() {
        return None;
    }
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    m.update(b"authn-request|");
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
    let mut body = nonce.to_vec();
    body.extend_from_slice(&expires.0.to_be_bytes());
    let full = mac(secret, company, &body)?.finalize().into_bytes();
    Some(format!(
        "_{}{}",
        hex::encode(&body),
        hex::encode(full.get(..TAG)?)
    ))
}

/// When `id` is an ID this SP issued for `company`, its expiry (checked in constant time;
/// whether it has passed is the caller's to decide).
pub fn expiry(secret: &[u8], company: &str, id: &str) -> Option<Timestamp> {
    if id.len() != ID_LEN || !id.is_ascii() {
        return None;
    }
    let raw = hex::decode(id.strip_prefix('_')?)?;
    let (body, given) = raw.split_at(NONCE + EXPIRY);
    mac(secret, company, body)?
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
}
