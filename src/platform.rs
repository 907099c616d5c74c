//! What the worker reads from the platform: the clock, the CSPRNG, vars and secrets. Nothing
//! here decides anything.

use jit::endpoints::SpEndpoints;
use saml_verify::Timestamp;
use worker::{Date, Env};

pub fn now() -> Timestamp {
    Timestamp(Date::now().as_millis() as i64)
}

/// 32 bytes from the platform CSPRNG for RSA blinding, or None when it fails.
pub fn random_seed() -> Option<saml_verify::BlindingSeed> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).ok()?;
    Some(saml_verify::BlindingSeed::new(b))
}

/// A random reference ID for a person to quote to support.
pub fn new_reference() -> String {
    secret_hex(8).unwrap_or_else(|| jit::hex::encode(&Date::now().as_millis().to_be_bytes()))
}

/// `n` random bytes from the platform CSPRNG as hex, or None when it fails: secrets (admin
/// tokens, AuthnRequest IDs) then fail closed instead of falling back to anything guessable.
pub fn secret_hex(n: usize) -> Option<String> {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).ok()?;
    Some(jit::hex::encode(&b))
}

/// A secret's value (empty when unset: everything keyed by it then fails closed).
pub fn secret(env: &Env, name: &str) -> String {
    env.secret(name).map(|s| s.to_string()).unwrap_or_default()
}

/// The `SESSION_SECRET`.
pub fn session_secret(env: &Env) -> String {
    secret(env, "SESSION_SECRET")
}

/// The public origin this worker is reached at (no trailing slash).
pub fn public_origin(env: &Env) -> String {
    env.var("PUBLIC_ORIGIN")
        .map(|v| v.to_string())
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

/// This SP's endpoints for `company`.
pub fn endpoints(env: &Env, company: &str) -> SpEndpoints {
    SpEndpoints::of(&public_origin(env), company)
}
