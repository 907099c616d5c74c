//! RSA PKCS#1 v1.5 verification on 32- and 64-bit limbs against the `rsa` crate and
//! `BigUint::modpow` (see `src/rsa_diff.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    saml_verify_fuzz::rsa_diff::rsa_differential(data);
});
