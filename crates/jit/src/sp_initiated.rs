//! SP-initiated sign-in: an AuthnRequest (SAML core §3.4.1) sent with the HTTP-Redirect binding
//! (SAML bindings §3.4.4.1): DEFLATE (RFC 1951), base64, URL-encoded as `SAMLRequest`.
//! The request is unsigned; its ID is signed by this SP with a short expiry
//! ([`crate::request_id`]) and the response's InResponseTo must name it, once.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use saml_verify::Timestamp;

/// How long a request ID stays valid, seconds.
pub const REQUEST_TTL_SECONDS: i64 = 600;

/// The AuthnRequest XML.
pub fn authn_request(
    id: &str,
    now: Timestamp,
    sp_entity_id: &str,
    acs_url: &str,
    destination: &str,
) -> String {
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
ID=\"{}\" Version=\"2.0\" IssueInstant=\"{now}\" Destination=\"{}\" AssertionConsumerServiceURL=\"{}\" \
ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"><saml:Issuer>{}</saml:Issuer>\
<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\" AllowCreate=\"true\"/></samlp:AuthnRequest>",
        xml_attr(id),
        xml_attr(destination),
        xml_attr(acs_url),
        xml_attr(sp_entity_id)
    )
}

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Raw DEFLATE with stored (uncompressed) blocks (RFC 1951 §3.2.4): every inflater accepts
/// it, and it needs no compressor in the worker bundle.
pub fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 65_535 * 5 + 5);
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// `sso_url?SAMLRequest=…&RelayState=…` (the URL may already carry a query).
pub fn redirect_url(sso_url: &str, request_xml: &str, relay_state: Option<&str>) -> String {
    let encoded = STANDARD.encode(deflate_stored(request_xml.as_bytes()));
    let sep = if sso_url.contains('?') { '&' } else { '?' };
    let mut url = format!("{sso_url}{sep}SAMLRequest={}", percent_encode(&encoded));
    if let Some(rs) = relay_state {
        url.push_str("&RelayState=");
        url.push_str(&percent_encode(rs));
    }
    url
}

/// Percent-encode everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inflate stored blocks back (enough to check the encoder).
    fn inflate_stored(mut d: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let last = d[0] & 1 == 1;
            assert_eq!(d[0] >> 1, 0, "stored block");
            let len = u16::from_le_bytes([d[1], d[2]]) as usize;
            assert_eq!(u16::from_le_bytes([d[3], d[4]]), !(len as u16));
            out.extend_from_slice(&d[5..5 + len]);
            d = &d[5 + len..];
            if last {
                return out;
            }
        }
    }

    #[test]
    fn request_round_trips_through_the_redirect_encoding() {
        let xml = authn_request(
            "_r1",
            Timestamp(0),
            "https://sp/meta",
            "https://sp/acs",
            "https://idp/sso?x=1",
        );
        assert!(
            saml_verify::xml::parse(xml.as_bytes(), saml_verify::xml::Limits::default()).is_ok()
        );
        let url = redirect_url("https://idp/sso?x=1", &xml, Some("/next"));
        assert!(
            url.starts_with("https://idp/sso?x=1&SAMLRequest=")
                && url.ends_with("&RelayState=%2Fnext")
        );
        for data in [&b""[..], b"abc", &vec![7u8; 70_000]] {
            assert_eq!(inflate_stored(&deflate_stored(data)), data);
        }
    }
}
