//! Importing the IdP's SAML metadata (SAML metadata §2.4.3 IDPSSODescriptor) into a security
//! change: where it comes from (pasted, or an https URL the worker fetches), how large it may
//! be, and what it sets (entity ID, signing certificates, HTTP-Redirect SSO URL).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::admin::SecurityChange;
use crate::settings::{is_http_url, FieldError};

/// Largest IdP metadata document fetched or accepted (bytes).
pub const MAX_METADATA_BYTES: usize = 256 << 10;

/// Longest a metadata fetch may take, answer and body (seconds): a URL that never answers
/// must not hold the import, nor the daily refresh of every other company.
pub const FETCH_SECONDS: u64 = 10;

/// Where the change's metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// No metadata in the change.
    None,
    /// Pasted XML (`idp_metadata_xml`).
    Pasted(Vec<u8>),
    /// An URL to fetch (`idp_metadata_url`): https, or http on a loopback origin (development).
    Fetch(String),
}

fn bad(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Take the metadata fields out of `change`; pasted XML wins over an URL.
pub fn source(change: &mut SecurityChange, loopback_origin: bool) -> Result<Source, FieldError> {
    if let Some(xml) = change.idp_metadata_xml.take() {
        return Ok(Source::Pasted(xml.into_bytes()));
    }
    let Some(url) = change.idp_metadata_url.take() else {
        return Ok(Source::None);
    };
    if !fetchable(&url, loopback_origin) {
        return Err(bad("idp_metadata_url", "must be an https URL"));
    }
    Ok(Source::Fetch(url))
}

/// An URL the worker may fetch metadata from: https, or http when the worker's own origin is
/// loopback (development and tests).
pub fn fetchable(url: &str, loopback_origin: bool) -> bool {
    let scheme_ok = url.starts_with("https://") || (loopback_origin && url.starts_with("http://"));
    scheme_ok && is_http_url(url)
}

/// Fold the metadata `xml` into the change's IdP fields. `fetched_from`: the URL it came from,
/// whose content is never echoed back (only pasted metadata gets the parser's reason); it is
/// kept as `saml.idp_metadata_url` for the daily refresh.
pub fn import(
    change: &mut SecurityChange,
    xml: &[u8],
    fetched_from: Option<&str>,
) -> Result<(), FieldError> {
    let fetched = fetched_from.is_some();
    let field = if fetched {
        "idp_metadata_url"
    } else {
        "idp_metadata_xml"
    };
    if xml.len() > MAX_METADATA_BYTES {
        return Err(bad(field, "metadata over 256 KiB"));
    }
    let md = saml_verify::metadata::parse_idp_metadata(xml).map_err(|e| {
        let reason = match fetched {
            true => "the URL did not return IdP metadata".to_owned(),
            false => e.to_string(),
        };
        bad(field, reason)
    })?;
    change.idp_entity_id = Some(md.entity_id.clone());
    let certs = md.signing_keys.iter().map(|k| pem(k.certificate_der()));
    change.idp_certificates = Some(certs.collect());
    if let Some(sso) = md.redirect_sso_url() {
        change.idp_sso_url = Some(sso.to_owned());
    }
    change.fetched_from = fetched_from.map(str::to_owned);
    Ok(())
}

/// A certificate as PEM (RFC 7468 §5), from its DER.
pub fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
