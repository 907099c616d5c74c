//! RSA differential harness: the RSASSA-PKCS1-v1_5 verifier (RFC 8017 §8.2.2) on 32-bit limbs
//! (what the worker runs on wasm32) and on 64-bit limbs (native), against the `rsa` crate's
//! `Pkcs1v15Sign` verdict and against `BigUint::modpow` for the raw RSAVP1 value (§5.2.2).
//!
//! Input: a selector byte, then the rest.
//! - selector % 4 in 0..=2: a trusted test key (`idp.crt` 2048, `idp4096.crt`, `attacker.crt`);
//!   bits 2-3 pick SHA-1/256/384/512; bit 4 makes the digest one byte short (must be refused).
//!   The rest is the digest, then the signature. The seeds hold genuine signatures, so
//!   mutations near a valid encoding are compared too.
//! - selector % 4 == 3: any odd modulus of 1 to 512 bytes read from the input (top bit set),
//!   e = 65537 with no size check, then a signature: only the raw value is compared.

use std::sync::OnceLock;

use saml_verify::rsa_testing::{HashAlg, PublicKey, LIMB_WIDTHS};
use saml_verify::TrustedKey;

const KEYS: [&[u8]; 3] = [
    include_bytes!("../../crates/saml-verify/tests/vectors/keys/idp.crt"),
    include_bytes!("../../crates/saml-verify/tests/vectors/keys/idp4096.crt"),
    include_bytes!("../../crates/saml-verify/tests/vectors/keys/attacker.crt"),
];

fn keys() -> &'static [PublicKey] {
    static KEYS_PARSED: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS_PARSED.get_or_init(|| {
        KEYS.iter()
            .map(|pem| PublicKey::from_trusted(&TrustedKey::from_certificate(pem).unwrap()))
            .collect()
    })
}

fn alg(bits: u8) -> (HashAlg, usize) {
    match bits % 4 {
        0 => (HashAlg::Sha1, 20),
        1 => (HashAlg::Sha256, 32),
        2 => (HashAlg::Sha384, 48),
        _ => (HashAlg::Sha512, 64),
    }
}

/// The raw value agrees on both widths and with `BigUint::modpow`.
fn same_raw_value(key: &PublicKey, sig: &[u8]) {
    let reference = key.public_op_reference(sig);
    for width in LIMB_WIDTHS {
        let got = key.public_op(width, sig);
        assert!(
            got == reference,
            "{width:?}: {got:02x?} != {reference:02x?}"
        );
    }
}

/// The fuzz target: panics on any disagreement.
pub fn rsa_differential(data: &[u8]) {
    let _ = rsa_check(data);
}

/// Checks `data` as described above; returns the verdict all three verifiers agreed on (None
/// for the arbitrary-modulus mode and for inputs too short to read).
pub fn rsa_check(data: &[u8]) -> Option<bool> {
    let (&sel, rest) = data.split_first()?;
    if sel % 4 == 3 {
        let (len, rest) = rest.split_first_chunk::<2>()?;
        let n_len = usize::from(u16::from_be_bytes(*len)) % 512 + 1;
        let (n, sig) = rest.split_at_checked(n_len)?;
        let mut n = n.to_vec();
        n[0] |= 0x80;
        n[n_len - 1] |= 1;
        let key = PublicKey::unchecked(&n);
        let mut sig = sig[..sig.len().min(n_len)].to_vec();
        sig.splice(0..0, std::iter::repeat_n(0, n_len - sig.len()));
        same_raw_value(&key, &sig);
        return None;
    }
    let key = &keys()[usize::from(sel % 4)];
    let (alg, mut len) = alg(sel >> 2);
    if sel & 0x10 != 0 {
        len -= 1;
    }
    let (hashed, sig) = rest.split_at_checked(len)?;
    let theirs = key.verify_rsa_crate(alg, hashed, sig);
    for width in LIMB_WIDTHS {
        let ours = key.verify(width, alg, hashed, sig);
        assert!(
            ours == theirs,
            "{width:?} says {ours}, the rsa crate {theirs}"
        );
    }
    if sel & 0x10 != 0 {
        assert!(!theirs, "a digest of the wrong length verified");
    }
    if sig.len() == key.size() {
        same_raw_value(key, sig);
    }
    Some(theirs)
}
