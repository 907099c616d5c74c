//! `saml_verify::verify` for the V8 benchmark (bench/js/wasm_bench.js), built for
//! wasm32-unknown-unknown and bound with `wasm-bindgen --target nodejs`.
//!
//! The trust and `now` are built once in [`Verifier::new`]; [`Verifier::verify`] is the timed
//! call: the bytes are copied into wasm memory (as the worker's body is), verified, and only a
//! number crosses back, so the binding adds as little as it can.
#![forbid(unsafe_code)]

use saml_verify::{verify, Timestamp, Trust, TrustedKey};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Verifier {
    trust: Trust,
    now: Timestamp,
}

#[wasm_bindgen]
impl Verifier {
    /// Fixed trust: one IdP certificate (PEM or DER), the entity IDs, the ACS URL; and `now`
    /// (RFC 3339).
    #[wasm_bindgen(constructor)]
    pub fn new(
        cert: &[u8],
        idp_entity_id: &str,
        sp_entity_id: &str,
        acs_url: &str,
        now: &str,
    ) -> Result<Verifier, JsError> {
        let key = TrustedKey::from_certificate(cert).map_err(|e| JsError::new(&e.to_string()))?;
        let trust = Trust::new(idp_entity_id, vec![key], sp_entity_id, acs_url);
        let now = Timestamp::parse(now).ok_or_else(|| JsError::new("now is not RFC 3339"))?;
        Ok(Verifier { trust, now })
    }

    /// 0: not verified; otherwise 1 + (2 if the Response was signed) + (4 if the Assertion was).
    pub fn verify(&self, input: &[u8]) -> u32 {
        match verify(input, &self.trust, self.now, None) {
            Ok(v) => {
                1 + if v.response_signed { 2 } else { 0 } + if v.assertion_signed { 4 } else { 0 }
            }
            Err(_) => 0,
        }
    }

    /// The error message (empty when the input verifies): for diagnostics, never timed.
    pub fn explain(&self, input: &[u8]) -> String {
        match verify(input, &self.trust, self.now, None) {
            Ok(_) => String::new(),
            Err(e) => format!("{}: {e}", e.code()),
        }
    }
}
