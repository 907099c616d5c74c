//! The session cookie handed to the dashboard: `v1.<payload>.<mac>`, where payload is the
//! base64url (no padding) of a JSON object `{"company","email","iat","exp","sid"}` (seconds since
//! the epoch) and mac the base64url HMAC-SHA256 of the string `v1.<payload>` under the
//! `SESSION_SECRET`. A dashboard verifies the MAC in constant time, then `exp`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use serde::{Deserialize, Serialize};

/// Name of the cookie.
pub const COOKIE_NAME: &str = "saml_jit_session";
/// Longest session, seconds (8 hours).
pub const MAX_AGE_SECONDS: i64 = 8 * 3600;

/// What a session says: `{"company","email","iat","exp"}`, then `"sid"` when there is one.
/// Members a later version adds are ignored when read (the MAC vouches for the payload), so
/// unknown fields are not denied here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub company: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    /// The IdP's SessionIndex, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The account's stable ID (`users.id`): the email of an account can change, so whoever
    /// trusts the session checks that the address still belongs to this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// HMAC-SHA256 over `data`. HMAC takes keys of any length; None only for an empty secret,
/// which is refused rather than used.
fn mac(secret: &[u8], data: &[u8]) -> Option<Hmac<Sha256>> {
    if secret.is_empty() {
        return None;
    }
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    m.update(data);
    Some(m)
}

/// Sign `claims` into a cookie value (None when the secret is empty).
pub fn issue(secret: &[u8], claims: &Claims) -> Option<String> {
    let json = serde_json::to_string(claims).ok()?;
    let signed = format!("v1.{}", URL_SAFE_NO_PAD.encode(json));
    let tag = mac(secret, signed.as_bytes())?.finalize().into_bytes();
    Some(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag)))
}

/// Check a cookie value at `now` (seconds); the claims when it is authentic and unexpired.
pub fn check(secret: &[u8], value: &str, now: i64) -> Option<Claims> {
    let (signed, tag) = value.rsplit_once('.')?;
    let payload = signed.strip_prefix("v1.")?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(secret, signed.as_bytes())?.verify_slice(&tag).ok()?;
    let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims = crate::wire::from_slice::<Claims>(&json).ok()?;
    (now < claims.exp && claims.iat <= now + 300).then_some(claims)
}

/// The CSRF token of a session: HMAC-SHA256 of `csrf|<cookie value>` under the session secret.
/// Forms carry it; a cross-site page cannot read it (SameSite=Lax stops the cookie as well).
pub fn csrf_token(secret: &[u8], cookie_value: &str) -> Option<String> {
    let tag = mac(secret, format!("csrf|{cookie_value}").as_bytes())?
        .finalize()
        .into_bytes();
    Some(URL_SAFE_NO_PAD.encode(tag))
}

/// Check a form's CSRF field against the session cookie, in constant time.
pub fn check_csrf(secret: &[u8], cookie_value: &str, presented: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(presented) else {
        return false;
    };
    mac(secret, format!("csrf|{cookie_value}").as_bytes())
        .is_some_and(|m| m.verify_slice(&tag).is_ok())
}

/// Whether an account update ends the user's sessions issued until now (a SCIM update, or a
/// SAML sign-in whose persistent binding brings a new address): a deactivation, or a new
/// address, which the session cookie names (a cookie must never name an address its user no
/// longer has; SCIM's `userName`, RFC 7643 §4.1.1). A name or group change keeps them.
pub fn update_ends_sessions(was_active: bool, active: bool, address_changed: bool) -> bool {
    (was_active && !active) || address_changed
}

#[cfg(test)]
mod tests {
    #[test]
    fn csrf_tokens_bind_to_the_session() {
        let t = super::csrf_token(b"k", "v1.a.b").unwrap();
        assert!(super::check_csrf(b"k", "v1.a.b", &t));
        assert!(!super::check_csrf(b"k", "v1.a.c", &t));
        assert!(!super::check_csrf(b"other", "v1.a.b", &t));
        assert!(!super::check_csrf(b"k", "v1.a.b", ""));
    }

    use super::*;

    #[test]
    fn which_updates_end_sessions() {
        #[rustfmt::skip]
        let table = [
            // (was active, active, userName changed) -> ends sessions
            ((true, false, false), true),   // deactivated
            ((true, true, true), true),     // new address
            ((false, false, true), true),   // new address while inactive
            ((true, true, false), false),   // names, groups, externalId
            ((false, true, false), false),  // reactivated: old sessions stay ended by the deactivation
            ((false, false, false), false),
        ];
        for ((was, now, renamed), want) in table {
            assert_eq!(
                update_ends_sessions(was, now, renamed),
                want,
                "{was} {now} {renamed}"
            );
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let c = Claims {
            company: "acme".into(),
            email: "a@b.com".into(),
            iat: 100,
            exp: 100 + MAX_AGE_SECONDS,
            sid: None,
            uid: Some("9f1c".into()),
        };
        let v = issue(b"secret", &c).unwrap();
        assert_eq!(issue(b"", &c), None);
        assert_eq!(check(b"secret", &v, 200), Some(c.clone()));
        assert_eq!(check(b"other", &v, 200), None);
        assert_eq!(check(b"secret", &v, 100 + MAX_AGE_SECONDS), None);
        let mut bad = v.clone().into_bytes();
        bad[5] ^= 1;
        assert_eq!(
            check(b"secret", &String::from_utf8(bad).unwrap(), 200),
            None
        );
        assert_eq!(check(b"secret", "v1..", 200), None);
    }

    #[test]
    fn the_payload_is_the_documented_json() {
        let c = Claims {
            company: "acme".into(),
            email: "a\"b@c.com".into(),
            iat: 100,
            exp: 200,
            sid: Some("s1".into()),
            uid: None,
        };
        let v = issue(b"k", &c).unwrap();
        let payload = v.split('.').nth(1).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(payload).unwrap(),
            br#"{"company":"acme","email":"a\"b@c.com","iat":100,"exp":200,"sid":"s1"}"#
        );
        assert_eq!(check(b"k", &v, 150), Some(c));
        // A member a later version adds does not void the cookie.
        let signed = format!(
            "v1.{}",
            URL_SAFE_NO_PAD.encode(br#"{"company":"a","email":"b@c.d","iat":1,"exp":9,"v":2}"#)
        );
        let tag = mac(b"k", signed.as_bytes())
            .unwrap()
            .finalize()
            .into_bytes();
        let later = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag));
        assert_eq!(
            check(b"k", &later, 5).map(|c| c.email),
            Some("b@c.d".into())
        );
    }
}
