//! Hooks for the tests in `tests/` and the fuzz target in `fuzz/`: RSASSA-PKCS1-v1_5
//! verification (RFC 8017 §8.2.2) with a chosen limb width, and the raw RSAVP1 primitive
//! (§5.2.2). Not a stable API (hidden from the docs). It handles public values only and
//! verifies exactly as [`crate::TrustedKey`] does, so exposing it grants nothing.

use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};

pub use crate::alg::HashAlg;

use super::{verify_with, MontKey};

/// Which limb the Montgomery code runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimbWidth {
    /// 32-bit limbs, what the worker runs on wasm32.
    Bits32,
    /// 64-bit limbs, what native 64-bit builds run.
    Bits64,
}

/// Both widths, for tests that must hold for each.
pub const LIMB_WIDTHS: [LimbWidth; 2] = [LimbWidth::Bits32, LimbWidth::Bits64];

/// The width production uses on the target being built.
pub const NATIVE_LIMB_WIDTH: LimbWidth = if super::Native::BITS == 32 {
    LimbWidth::Bits32
} else {
    LimbWidth::Bits64
};

/// A public key held as a trusted IdP key holds it.
#[derive(Clone)]
pub struct PublicKey {
    key: RsaPublicKey,
    m32: Option<MontKey<u32>>,
    m64: Option<MontKey<u64>>,
}

impl PublicKey {
    /// From big-endian `n` and `e`, under the rules of [`crate::TrustedKey`]: None when the
    /// `rsa` crate refuses the key (more than 4096 bits, e out of range) or it is smaller than
    /// [`crate::MIN_LEGACY_RSA_BITS`].
    pub fn new(n: &[u8], e: &[u8]) -> Option<Self> {
        let key = RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e)).ok()?;
        crate::keys::check_size(&key).ok()?;
        Some(Self::prepared(key))
    }

    /// The key of a trusted IdP certificate.
    pub fn from_trusted(key: &crate::TrustedKey) -> Self {
        Self::prepared(key.key.clone())
    }

    /// From any odd `n` with e = 65537, skipping every size check: for the fuzz target's
    /// comparison of the arithmetic. Never how a trusted key is made.
    pub fn unchecked(n: &[u8]) -> Self {
        Self::prepared(RsaPublicKey::new_unchecked(
            BigUint::from_bytes_be(n),
            BigUint::from(65_537u32),
        ))
    }

    fn prepared(key: RsaPublicKey) -> Self {
        PublicKey {
            m32: MontKey::new(&key),
            m64: MontKey::new(&key),
            key,
        }
    }

    /// Whether the Montgomery path applies (e = 65537 and n odd); else the `rsa` crate
    /// verifies, as for a trusted key.
    pub fn montgomery(&self) -> bool {
        self.m64.is_some()
    }

    /// Modulus length in bytes (k).
    pub fn size(&self) -> usize {
        self.key.size()
    }

    /// Verification as a trusted key does it, on limbs of `width`.
    pub fn verify(&self, width: LimbWidth, alg: HashAlg, hashed: &[u8], sig: &[u8]) -> bool {
        match width {
            LimbWidth::Bits32 => verify_with(&self.key, self.m32.as_ref(), alg, hashed, sig),
            LimbWidth::Bits64 => verify_with(&self.key, self.m64.as_ref(), alg, hashed, sig),
        }
    }

    /// The `rsa` crate's `Pkcs1v15Sign` verifier, for comparison.
    pub fn verify_rsa_crate(&self, alg: HashAlg, hashed: &[u8], sig: &[u8]) -> bool {
        self.key.verify(alg.pkcs1v15(), hashed, sig).is_ok()
    }

    /// sig^65537 mod n on limbs of `width` (k bytes), or None when the Montgomery path does
    /// not apply or `sig` is not a representative (length k, below n).
    pub fn public_op(&self, width: LimbWidth, sig: &[u8]) -> Option<Vec<u8>> {
        match width {
            LimbWidth::Bits32 => self.m32.as_ref()?.public_op(sig),
            LimbWidth::Bits64 => self.m64.as_ref()?.public_op(sig),
        }
    }

    /// sig^e mod n by `BigUint::modpow` (k bytes), or None when `sig` is not a representative.
    pub fn public_op_reference(&self, sig: &[u8]) -> Option<Vec<u8>> {
        let k = self.size();
        let x = BigUint::from_bytes_be(sig);
        if sig.len() != k || &x >= self.key.n() {
            return None;
        }
        let y = x.modpow(self.key.e(), self.key.n()).to_bytes_be();
        let mut out = vec![0u8; k.checked_sub(y.len())?];
        out.extend_from_slice(&y);
        Some(out)
    }
}
