//! Unit tests of the Montgomery verifier, each run for both limb widths (u32 as on wasm32,
//! u64 as natively). The Wycheproof vectors and the property test over random keys are in
//! `tests/rsa_wycheproof.rs` and `tests/rsa_properties.rs`.

use super::*;
use crate::TrustedKey;
use sha2::{Digest, Sha256};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/");

fn key(name: &str) -> TrustedKey {
    TrustedKey::from_certificate(&std::fs::read(format!("{KEYS}{name}")).unwrap()).unwrap()
}

/// The fast path agrees with the `rsa` crate on real IdP certificates, for valid and altered
/// signatures (the corpus and vector tests cover valid signatures end to end).
fn agrees_with_the_rsa_crate<L: Limb>() {
    for name in ["idp.crt", "idp2.crt", "idp4096.crt", "attacker.crt"] {
        let key = key(name);
        let mont = MontKey::<L>::new(&key.key).unwrap();
        let hashed = Sha256::digest(b"signed info");
        let k = mont.k;
        for sig in [
            vec![0u8; k],
            vec![1u8; k],
            vec![0xffu8; k],
            (0..k).map(|i| i as u8).collect::<Vec<u8>>(),
            vec![7u8; k - 1],
        ] {
            let theirs = key
                .key
                .verify(HashAlg::Sha256.pkcs1v15(), &hashed, &sig)
                .is_ok();
            assert_eq!(
                mont.verify(HashAlg::Sha256, &hashed, &sig),
                theirs,
                "{name}"
            );
        }
        // x^e mod n for a small x is x^65537 computed exactly: check one by BigUint.
        let mut sig = vec![0u8; k];
        sig[k - 1] = 3;
        let expect = BigUint::from(3u8).modpow(&BigUint::from(65_537u32), key.key.n());
        assert_eq!(
            BigUint::from_bytes_be(&mont.public_op(&sig).unwrap()),
            expect,
            "{name}"
        );
    }
}

#[test]
fn agrees_with_the_rsa_crate_32() {
    agrees_with_the_rsa_crate::<u32>();
}

#[test]
fn agrees_with_the_rsa_crate_64() {
    agrees_with_the_rsa_crate::<u64>();
}

/// A fixed pseudo-random sequence (xorshift64, Marsaglia 2003).
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// The squaring and the fused multiplication agree with `BigUint::modpow` on pseudo-random
/// values spread over [0, n), including the extremes that stress every carry.
fn public_op_matches_modpow<L: Limb>() {
    let e = BigUint::from(65_537u32);
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    for name in ["idp.crt", "idp4096.crt"] {
        let key = key(name);
        let mont = MontKey::<L>::new(&key.key).unwrap();
        let n = key.key.n();
        let k = mont.k;
        let mut xs = vec![n - 1u8, n - 2u8, BigUint::from(1u8), BigUint::from(0u8)];
        xs.push(n >> 1);
        for _ in 0..60 {
            let bytes: Vec<u8> = (0..k).map(|_| next() as u8).collect();
            xs.push(BigUint::from_bytes_be(&bytes) % n);
        }
        for x in xs {
            let mut sig = x.to_bytes_be();
            if sig.len() < k {
                sig.splice(0..0, std::iter::repeat_n(0, k - sig.len()));
            }
            let got = BigUint::from_bytes_be(&mont.public_op(&sig).unwrap());
            assert_eq!(got, x.modpow(&e, n), "{name}: {x:x}");
        }
    }
}

#[test]
fn public_op_matches_modpow_32() {
    public_op_matches_modpow::<u32>();
}

#[test]
fn public_op_matches_modpow_64() {
    public_op_matches_modpow::<u64>();
}

/// Every limb count, odd and even, for both widths: the reduction and the squaring take rows
/// two at a time and finish an odd one alone, so moduli of 2048 + 8·t bits (t < 9) for random
/// odd n and random x below n are checked against `BigUint::modpow`.
#[test]
fn odd_and_even_limb_counts_match_modpow() {
    let e = BigUint::from(65_537u32);
    let mut rng = xorshift(0x2545_f491_4f6c_dd1d);
    let mut next = move || rng() as u8;
    for extra in 0..9usize {
        let k = 256 + extra;
        let mut nb: Vec<u8> = (0..k).map(|_| next()).collect();
        nb[0] |= 0x80;
        nb[k - 1] |= 1;
        let n = BigUint::from_bytes_be(&nb);
        let key = RsaPublicKey::new(n.clone(), e.clone()).unwrap();
        let (m32, m64) = (
            MontKey::<u32>::new(&key).unwrap(),
            MontKey::<u64>::new(&key).unwrap(),
        );
        for _ in 0..8 {
            let xb: Vec<u8> = (0..k).map(|_| next()).collect();
            let x = BigUint::from_bytes_be(&xb) % &n;
            let mut sig = x.to_bytes_be();
            sig.splice(0..0, std::iter::repeat_n(0, k - sig.len()));
            let expect = x.modpow(&e, &n);
            for got in [m32.public_op(&sig), m64.public_op(&sig)] {
                assert_eq!(BigUint::from_bytes_be(&got.unwrap()), expect, "k={k}");
            }
        }
    }
}

/// Both widths give byte-identical results on a modulus whose top limb is a single bit for
/// u64 and for u32 (2049 bits), where R = 2^(w·limbs) is far above n.
#[test]
fn widths_agree_when_the_top_limb_is_nearly_empty() {
    let n = (BigUint::from(1u8) << 2048usize) + BigUint::from(0x1234_5679u32);
    let key = RsaPublicKey::new(n.clone(), BigUint::from(65_537u32)).unwrap();
    let (m32, m64) = (
        MontKey::<u32>::new(&key).unwrap(),
        MontKey::<u64>::new(&key).unwrap(),
    );
    assert_eq!((m32.n.len(), m64.n.len()), (65, 33));
    for x in [n.clone() - 1u8, n >> 1, BigUint::from(2u8)] {
        let mut sig = x.to_bytes_be();
        sig.splice(0..0, std::iter::repeat_n(0, m32.k - sig.len()));
        let (a, b) = (m32.public_op(&sig).unwrap(), m64.public_op(&sig).unwrap());
        assert_eq!(a, b);
        let expect = x.modpow(&BigUint::from(65_537u32), key.n());
        assert_eq!(BigUint::from_bytes_be(&a), expect);
    }
}

#[test]
fn encoding_matches_rfc8017() {
    let em = emsa_pkcs1_v15(HashAlg::Sha256, &[0xab; 32], 256).unwrap();
    assert_eq!(em.len(), 256);
    assert_eq!(&em[..2], &[0, 1]);
    assert_eq!(em[256 - 32 - 19 - 1], 0);
    assert!(em[2..256 - 32 - 19 - 1].iter().all(|&b| b == 0xff));
    assert!(emsa_pkcs1_v15(HashAlg::Sha512, &[0; 64], 64).is_none());
}

/// A digest whose length is not the algorithm's is refused, for every algorithm, even one that
/// another algorithm's encoding would fit.
#[test]
fn digest_length_must_match_the_algorithm() {
    for alg in [
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ] {
        let len = alg.digest_len();
        assert!(emsa_pkcs1_v15(alg, &vec![1; len], 512).is_some());
        for wrong in [0, len - 1, len + 1, 20, 32, 48, 64] {
            if wrong != len {
                assert!(
                    emsa_pkcs1_v15(alg, &vec![1; wrong], 512).is_none(),
                    "{alg:?} {wrong}"
                );
            }
        }
    }
}
