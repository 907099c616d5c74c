//! Per-company admin API tokens: `sat_<id>.<secret>`, shown once, stored only as the SHA-256
//! of the secret (a high-entropy random value, so a plain hash is enough), revocable.

use sha2::{Digest, Sha256};

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
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compare two hashes without early exit.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
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
    }
}
