//! `saml-check`: verify SAML responses the way the edge worker does, and say why one is refused.
//!
//! One JSON object per response on stdout, in order; exit 0 when all verified, 1 otherwise,
//! 2 for usage errors (including unreadable or invalid trust settings).
#![forbid(unsafe_code)]

mod args;

use std::io::Read;
use std::process::ExitCode;

use saml_verify::{verify, DecryptionKey, Timestamp, Trust, TrustedKey, VerifiedAssertion};
use serde_json::{json, Value};

use args::{Args, USAGE};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match args::parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => return usage_error(&msg),
    };
    let trust = match build_trust(&args) {
        Ok(t) => t,
        Err(msg) => return usage_error(&msg),
    };
    let now = match &args.now {
        Some(s) => match Timestamp::parse(s) {
            Some(t) => t,
            None => return usage_error(&format!("--now {s:?} is not an RFC 3339 UTC instant")),
        },
        None => system_now(),
    };
    let mut all_ok = true;
    for file in &args.responses {
        let line = match read_input(file) {
            Ok(bytes) => match verify(&bytes, &trust, now, args.in_response_to.as_deref()) {
                Ok(v) => success(&v),
                Err(e) => {
                    all_ok = false;
                    json!({"ok": false, "file": file, "error": e.code(), "message": e.to_string()})
                }
            },
            Err(msg) => {
                all_ok = false;
                json!({"ok": false, "file": file, "error": "file_unreadable", "message": msg})
            }
        };
        println!("{line}");
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("saml-check: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

fn system_now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

fn read_input(file: &str) -> Result<Vec<u8>, String> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("stdin: {e}"))?;
        return Ok(buf);
    }
    std::fs::read(file).map_err(|e| format!("{file}: {e}"))
}

fn success(v: &VerifiedAssertion) -> Value {
    json!({
        "ok": true,
        "email": v.email,
        "name_id": v.name_id,
        "name_id_format": v.name_id_format,
        "issuer": v.issuer,
        "assertion_id": v.assertion_id,
        "session_index": v.session_index,
        "not_on_or_after": v.not_on_or_after.to_string(),
        "in_response_to": v.in_response_to,
        "response_signed": v.response_signed,
        "assertion_signed": v.assertion_signed,
        "attributes": v.attributes,
    })
}

/// Trust settings, parsed once for the whole batch.
fn build_trust(a: &Args) -> Result<Trust, String> {
    let mut keys: Vec<TrustedKey> = Vec::new();
    for file in &a.idp_certs {
        let data = std::fs::read(file).map_err(|e| format!("--idp-cert {file}: {e}"))?;
        for key in keys_from_file(&data).map_err(|e| format!("--idp-cert {file}: {e}"))? {
            keys.push(key);
        }
    }
    let mut trust = Trust::new(&a.idp_entity_id, keys, &a.sp_entity_id, &a.acs_url);
    for file in &a.sp_keys {
        let pem = std::fs::read_to_string(file).map_err(|e| format!("--sp-key {file}: {e}"))?;
        trust
            .sp_keys
            .push(DecryptionKey::from_pem(&pem).map_err(|e| format!("--sp-key {file}: {e}"))?);
    }
    if !trust.sp_keys.is_empty() {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)
            .map_err(|e| format!("no OS randomness for RSA blinding: {e}"))?;
        trust.blinding = Some(saml_verify::BlindingSeed::new(seed));
    }
    trust.allow_sha1 = a.allow_sha1;
    if let Some(s) = a.skew_seconds {
        trust.skew_seconds = s;
    }
    trust.validate().map_err(|e| e.to_string())?;
    Ok(trust)
}

/// A PEM file (one or more certificates), a DER certificate, or IdP metadata XML.
fn keys_from_file(data: &[u8]) -> Result<Vec<TrustedKey>, saml_verify::Error> {
    let text = std::str::from_utf8(data).unwrap_or("");
    if text.contains("EntityDescriptor") {
        return Ok(saml_verify::metadata::parse_idp_metadata(data)?.signing_keys);
    }
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    if text.matches(BEGIN).count() > 1 {
        return text
            .split(BEGIN)
            .skip(1)
            .map(|block| TrustedKey::from_certificate(format!("{BEGIN}{block}").as_bytes()))
            .collect();
    }
    Ok(vec![TrustedKey::from_certificate(data)?])
}
