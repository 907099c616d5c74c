//! Exclusive c14n idempotence on structured input: the bytes drive a generator of namespaced
//! XML-ish documents (default namespaces, xmlns="" undeclarations, prefixed attributes, escapes,
//! CR/TAB, CDATA, comments, PIs), then the same round-trip properties as `xml_parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    saml_verify_fuzz::c14n_structured(data);
});
