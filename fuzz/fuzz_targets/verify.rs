//! The whole `saml_verify::verify` on arbitrary input (raw, and base64 as the HTTP-POST binding
//! sends it) under a fixed Trust (tests/vectors/keys/idp.crt) and a fixed `now`: never panics,
//! and anything accepted is signed and from the trusted issuer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    saml_verify_fuzz::verify_no_panic(data);
});
