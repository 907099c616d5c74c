//! Per-company bearer tokens: admin API tokens `sat_<id>.<secret>` and SCIM tokens
//! `scim_<id>.<secret>`, shown once, stored only as the SHA-256 of the secret (a high-entropy
//! random value, so a plain hash is enough), revocable.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Which kind of token: each kind has its own prefix, table and route, so a token of one kind
/// is never accepted as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The support/admin API (`/admin/companies/{c}/tokens`).
    Admin,
    /// The SCIM endpoints (`/admin/companies/{c}/scim-tokens`).
    Scim,
}

impl TokenKind {
    /// The token string's prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Admin => "sat_",
            TokenKind::Scim => "scim_",
        }
    }

    /// The D1 table that keeps this kind's hashes (migrations 0002 and 0004).
    pub fn table(self) -> &'static str {
        match self {
            TokenKind::Admin => "admin_tokens",
            TokenKind::Scim => "scim_tokens",
        }
    }

    /// D1: store a token `(?1 company, ?2 id, ?3 secret hash, ?4 created at)`.
    pub fn insert_sql(self) -> &'static str {
        match self {
            TokenKind::Admin => "INSERT INTO admin_tokens (company, id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            TokenKind::Scim => "INSERT INTO scim_tokens (company, id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        }
    }

    /// D1: the company and hash of the unrevoked token `?1`.
    pub fn lookup_sql(self) -> &'static str {
        match self {
            TokenKind::Admin => {
                "SELECT company, secret_hash FROM admin_tokens WHERE id = ?1 AND revoked_at IS NULL"
            }
            TokenKind::Scim => {
                "SELECT company, secret_hash FROM scim_tokens WHERE id = ?1 AND revoked_at IS NULL"
            }
        }
    }

    /// D1: the tokens of company `?1`, oldest first, without their hashes.
    pub fn list_sql(self) -> &'static str {
        match self {
            TokenKind::Admin => "SELECT id, created_at, revoked_at FROM admin_tokens WHERE company = ?1 ORDER BY created_at",
            TokenKind::Scim => "SELECT id, created_at, revoked_at FROM scim_tokens WHERE company = ?1 ORDER BY created_at",
        }
    }

    /// D1: revoke token `?2` of company `?1` at `?3`.
    pub fn revoke_sql(self) -> &'static str {
        match self {
            TokenKind::Admin => "UPDATE admin_tokens SET revoked_at = ?3 WHERE company = ?1 AND id = ?2 AND revoked_at IS NULL",
            TokenKind::Scim => "UPDATE scim_tokens SET revoked_at = ?3 WHERE company = ?1 AND id = ?2 AND revoked_at IS NULL",
        }
    }

    /// The kind a route's last-but-one path segment names.
    pub fn from_segment(segment: &str) -> Option<TokenKind> {
        match segment {
            "tokens" => Some(TokenKind::Admin),
            "scim-tokens" => Some(TokenKind::Scim),
            _ => None,
        }
    }
}

/// Build the token string from its kind, ID and secret (both hex).
pub fn format(kind: TokenKind, id: &str, secret: &str) -> String {
    format!("{}{id}.{secret}", kind.prefix())
}

/// Split a presented token of `kind` into (id, secret).
pub fn parse(kind: TokenKind, token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.strip_prefix(kind.prefix())?.split_once('.')?;
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
        let t = format(TokenKind::Admin, "0a1b", "ffee");
        assert_eq!(parse(TokenKind::Admin, &t), Some(("0a1b", "ffee")));
        assert_eq!(
            parse(TokenKind::Scim, &t),
            None,
            "an admin token is no SCIM token"
        );
        let s = format(TokenKind::Scim, "0a1b", "ffee");
        assert_eq!(s, "scim_0a1b.ffee");
        assert_eq!(parse(TokenKind::Scim, &s), Some(("0a1b", "ffee")));
        assert_eq!(
            parse(TokenKind::Admin, &s),
            None,
            "a SCIM token is no admin token"
        );
        for bad in [
            "", "sat_", "sat_x.y", "sat_ab", "bearer", "sat_ab.", "sat_.ab",
        ] {
            assert_eq!(parse(TokenKind::Admin, bad), None, "{bad}");
        }
        assert_eq!(
            TokenKind::from_segment("scim-tokens"),
            Some(TokenKind::Scim)
        );
        assert_eq!(TokenKind::from_segment("tokens"), Some(TokenKind::Admin));
        assert_eq!(TokenKind::from_segment("users"), None);
        for kind in [TokenKind::Admin, TokenKind::Scim] {
            for sql in [
                kind.insert_sql(),
                kind.lookup_sql(),
                kind.list_sql(),
                kind.revoke_sql(),
            ] {
                assert!(sql.contains(&format!(" {} ", kind.table())), "{sql}");
            }
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
