//! Per-company admin API tokens: `sat_<id>.<secret>`, shown once, stored only as the SHA-256
//! of the secret (a high-entropy random value, so a plain hash is enough), revocable.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Build the token string from its ID and secret (both hex).
pub fn format(id: &str, secret: &str) -> String {
    format!("sat_{id}.{secret}")
}

/// Split a presented token into (id, secret).
pub fn parse(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.strip_prefix("sat_")?.split_once('.')?;
    let hex = |s: &str| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id) && hex(secret)).then_some((id, secret))
}

/// What is stored: hex SHA-256 of the secret.
pub fn hash(secret: &str) -> String {
    crate::hex::encode(&Sha256::digest(secret.as_bytes()))
}

/// Compare two hashes in constant time (`subtle`; lengths are public).
pub fn same_hash(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Compare a presented bearer secret with the configured one without leaking, through timing,
/// how much of it matched: both are hashed, then compared in constant time. An empty configured
/// secret matches nothing.
pub fn same_secret(presented: &str, configured: &str) -> bool {
    if configured.is_empty() {
        return false;
    }
    let (a, b) = (
        Sha256::digest(presented.as_bytes()),
        Sha256::digest(configured.as_bytes()),
    );
    a.ct_eq(&b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_and_hash() {
        let t = format("0a1b", "ffee");
        assert_eq!(parse(&t), Some(("0a1b", "ffee")));
        for bad in [
            "", "sat_", "sat_x.y", "sat_ab", "bearer", "sat_ab.", "sat_.ab",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(same_hash(&hash("ffee"), &hash("ffee")));
        assert!(!same_hash(&hash("ffee"), &hash("ffef")));
        assert!(!same_hash("ab", "abc"));
        assert!(same_secret("tok", "tok"));
        assert!(!same_secret("tok", "tok2"));
        assert!(!same_secret("", ""));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
