//! The SP decryption keys parsed from the `SP_KEYS` secret, kept per isolate: parsing RSA
//! private keys on every request would cost more than verifying. An entry is reused only for
//! the same company and the same secret (by its SHA-256), so a rotated secret is read afresh.

use saml_verify::DecryptionKey;
use sha2::{Digest, Sha256};

/// (company, SHA-256 of the `SP_KEYS` secret, that company's parsed keys).
#[derive(Default)]
pub struct SpKeyCache(Vec<(String, [u8; 32], Vec<DecryptionKey>)>);

impl SpKeyCache {
    pub const fn new() -> Self {
        SpKeyCache(Vec::new())
    }

    /// `company`'s keys from `secret` ([`crate::sp_keys_from_secret`]), parsed once per secret.
    pub fn keys(&mut self, secret: &str, company: &str) -> Result<Vec<DecryptionKey>, String> {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let cached = self.0.iter().find(|(c, d, _)| c == company && *d == digest);
        if let Some((_, _, keys)) = cached {
            return Ok(keys.clone());
        }
        let keys = crate::sp_keys_from_secret(secret, company)?;
        self.0.retain(|(c, _, _)| c != company);
        self.0.push((company.to_owned(), digest, keys.clone()));
        Ok(keys)
    }

    /// How many companies are cached.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_company_renewed_with_the_secret() {
        let mut c = SpKeyCache::new();
        assert_eq!(c.keys("", "acme").unwrap().len(), 0);
        assert_eq!(c.keys("{}", "acme").unwrap().len(), 0);
        assert_eq!(c.len(), 1, "the new secret replaced the entry");
        assert_eq!(c.keys("{}", "beta").unwrap().len(), 0);
        assert_eq!(c.len(), 2);
        assert!(c.keys("[1]", "acme").is_err());
        assert_eq!(c.len(), 2, "a failed parse is not cached");
        assert!(!c.is_empty());
    }
}
