//! Property test of the RSA verifier on both limb widths against the `rsa` crate's
//! `Pkcs1v15Sign` (RFC 8017 §8.2.2), over random keys of 1024 to 4096 bits, including sizes
//! that leave the last 32- or 64-bit limb partly empty (1500, 2047, 2049, 3071, 4095).
//!
//! Keys are multi-prime (RFC 8017 §3.1: u ≥ 2 primes, here one per 512 bits) so that a 4096-bit
//! key takes milliseconds to make; the modulus arithmetic being tested does not depend on how
//! n factors. Signatures are made with the `rsa` crate's signer, then checked intact, with one
//! bit flipped, replaced by random bytes, shifted to ≥ n, cut short, and against a digest of
//! the wrong length.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use num_bigint_dig::RandPrime;
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey};
use saml_verify::rsa_testing::{HashAlg, PublicKey, LIMB_WIDTHS};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A key of exactly `bits` bits with e = 65537, from `seed`.
fn key(bits: usize, seed: u64) -> RsaPrivateKey {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let e = BigUint::from(65_537u32);
    let count = (bits / 512).max(2);
    loop {
        let mut primes: Vec<BigUint> = (0..count - 1)
            .map(|_| rng.gen_prime(bits / count))
            .collect();
        let product = primes.iter().fold(BigUint::from(1u8), |a, p| a * p);
        // The last prime makes up the rest. With its top two bits set (as gen_prime sets
        // them) the product has `bits` bits or one fewer: retry until it is exact.
        let last = bits - product.bits();
        primes.push(rng.gen_prime(last));
        let n = primes.iter().fold(BigUint::from(1u8), |a, p| a * p);
        if n.bits() != bits {
            continue;
        }
        if let Ok(key) = RsaPrivateKey::from_primes(primes, e.clone()) {
            return key;
        }
    }
}

fn digest(alg: HashAlg, msg: &[u8]) -> (Vec<u8>, Pkcs1v15Sign) {
    match alg {
        HashAlg::Sha1 => (Sha1::digest(msg).to_vec(), Pkcs1v15Sign::new::<Sha1>()),
        HashAlg::Sha256 => (Sha256::digest(msg).to_vec(), Pkcs1v15Sign::new::<Sha256>()),
        HashAlg::Sha384 => (Sha384::digest(msg).to_vec(), Pkcs1v15Sign::new::<Sha384>()),
        HashAlg::Sha512 => (Sha512::digest(msg).to_vec(), Pkcs1v15Sign::new::<Sha512>()),
    }
}

fn bits() -> impl Strategy<Value = usize> {
    prop_oneof![
        prop::sample::select(vec![
            1024usize, 1500, 2047, 2048, 2049, 3071, 3072, 4095, 4096
        ]),
        1024usize..=4096,
    ]
}

fn alg() -> impl Strategy<Value = HashAlg> {
    prop::sample::select(vec![
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ])
}

/// Same verdict from 32-bit limbs, 64-bit limbs and the `rsa` crate; returns it.
fn verdict(key: &PublicKey, alg: HashAlg, hashed: &[u8], sig: &[u8]) -> bool {
    let theirs = key.verify_rsa_crate(alg, hashed, sig);
    for width in LIMB_WIDTHS {
        assert_eq!(key.verify(width, alg, hashed, sig), theirs, "{width:?}");
    }
    theirs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_rsa_crate(
        bits in bits(),
        seed in any::<u64>(),
        alg in alg(),
        msg in prop::collection::vec(any::<u8>(), 0..64),
        flip in any::<prop::sample::Index>(),
        noise in prop::collection::vec(any::<u8>(), 512),
    ) {
        let private = key(bits, seed);
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        let key = PublicKey::new(&n, &e).unwrap();
        prop_assert!(key.montgomery());
        let k = key.size();
        prop_assert_eq!(k, bits.div_ceil(8));
        let (hashed, padding) = digest(alg, &msg);
        let sig = private.sign(padding, &hashed).unwrap();

        // Intact: valid.
        prop_assert!(verdict(&key, alg, &hashed, &sig));
        // The raw RSAVP1 result is the same on both widths and by BigUint::modpow.
        let reference = key.public_op_reference(&sig);
        for width in LIMB_WIDTHS {
            prop_assert_eq!(&key.public_op(width, &sig), &reference);
        }
        // One bit flipped anywhere: invalid.
        let mut flipped = sig.clone();
        let bit = flip.index(8 * k);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!verdict(&key, alg, &hashed, &flipped));
        // Random bytes of the right length (reduced below n by clearing the top byte).
        let mut random = noise[..k].to_vec();
        random[0] = 0;
        prop_assert!(!verdict(&key, alg, &hashed, &random));
        for width in LIMB_WIDTHS {
            prop_assert_eq!(key.public_op(width, &random), key.public_op_reference(&random));
        }
        // sig + n (still k bytes when it fits): not a representative, refused.
        let shifted = (BigUint::from_bytes_be(&sig) + private.n()).to_bytes_be();
        if shifted.len() == k {
            prop_assert!(!verdict(&key, alg, &hashed, &shifted));
        }
        // Cut short, or with a leading zero byte: wrong length, refused.
        prop_assert!(!verdict(&key, alg, &hashed, &sig[1..]));
        let mut longer = vec![0u8];
        longer.extend_from_slice(&sig);
        prop_assert!(!verdict(&key, alg, &hashed, &longer));
        // A digest one byte short or long for the algorithm: refused.
        prop_assert!(!verdict(&key, alg, &hashed[1..], &sig));
        let mut long = hashed.clone();
        long.push(0);
        prop_assert!(!verdict(&key, alg, &long, &sig));
    }
}
