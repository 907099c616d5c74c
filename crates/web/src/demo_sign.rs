//! The demo IdP's signer (present only when the `DEMO` var is set): builds an IdP-initiated SAML
//! Response for an email and signs its Assertion (enveloped signature, exclusive c14n,
//! rsa-sha256) with a development key. Tests never rely on it: they use an independent signer.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use saml_verify::xml::c14n::{canonicalize, Budget};
use saml_verify::xml::{parse, Limits};
use saml_verify::Timestamp;
use sha2::{Digest, Sha256};

use crate::html_escape as esc;

/// What to assert.
pub struct DemoAssertion<'a> {
    pub idp_entity_id: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub email: &'a str,
    pub now: Timestamp,
    /// Random suffix for the Response and Assertion IDs.
    pub nonce: &'a str,
}

/// Parse the demo key (PKCS#8 PEM).
pub fn load_key(pem: &str) -> Result<RsaPrivateKey, String> {
    saml_verify::rsa_private_key_from_pem(pem)
        .ok_or_else(|| "DEMO_IDP_KEY is not an RSA private key in PEM".to_owned())
}

/// The signed Response XML.
pub fn signed_response(
    key: &RsaPrivateKey,
    cert_b64: &str,
    a: &DemoAssertion<'_>,
) -> Result<String, String> {
    let (now, later) = (a.now.to_string(), a.now.plus_seconds(300).to_string());
    let before = a.now.plus_seconds(-60).to_string();
    let aid = format!("_a{}", a.nonce);
    let assertion = |sig: &str| {
        format!(
            "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{aid}\" IssueInstant=\"{now}\" Version=\"2.0\">\
<saml:Issuer>{idp}</saml:Issuer>{sig}<saml:Subject>\
<saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">{email}</saml:NameID>\
<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml:SubjectConfirmationData NotOnOrAfter=\"{later}\" Recipient=\"{acs}\"/></saml:SubjectConfirmation>\
</saml:Subject><saml:Conditions NotBefore=\"{before}\" NotOnOrAfter=\"{later}\"><saml:AudienceRestriction><saml:Audience>{sp}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"_s{n}\"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
<saml:AttributeStatement><saml:Attribute Name=\"email\"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>",
            idp = esc(a.idp_entity_id),
            email = esc(a.email),
            acs = esc(a.acs_url),
            sp = esc(a.sp_entity_id),
            n = a.nonce,
        )
    };
    // Exclusive c14n of the Assertion without its Signature is what the Reference digests.
    let unsigned = assertion("");
    let doc = parse(unsigned.as_bytes(), Limits::default()).map_err(|e| e.to_string())?;
    let mut canonical = Vec::new();
    canonicalize(
        &doc,
        doc.root(),
        None,
        &[],
        Budget::for_input(doc.source_len()),
        &mut canonical,
    )
    .map_err(|e| format!("c14n over {} bytes", e.limit))?;
    let digest = STANDARD.encode(Sha256::digest(&canonical));
    // Written already in canonical form, so what is signed is exactly what a verifier rebuilds.
    let signed_info = format!(
        "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"></ds:SignatureMethod><ds:Reference URI=\"#{aid}\"><ds:Transforms>\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform><ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform>\
</ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    );
    let sig = key
        .sign(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signed_info.as_bytes()),
        )
        .map_err(|e| e.to_string())?;
    let signature = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">{signed_info}<ds:SignatureValue>{}</ds:SignatureValue>\
<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        STANDARD.encode(sig),
        esc(cert_b64)
    );
    Ok(format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r{n}\" Version=\"2.0\" IssueInstant=\"{now}\" Destination=\"{acs}\">\
<saml:Issuer>{idp}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>{}</samlp:Response>",
        assertion(&signature),
        n = a.nonce,
        acs = esc(a.acs_url),
        idp = esc(a.idp_entity_id),
    ))
}

/// The base64 body of the first PEM certificate in `pem`.
pub fn cert_base64(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && !l.trim().is_empty())
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the demo IdP signs verifies with the independent-of-the-signer verifier path.
    #[test]
    fn demo_responses_verify() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let key = load_key(&std::fs::read_to_string(format!("{root}/demo/dev-idp.key")).unwrap())
            .unwrap();
        let cert = std::fs::read_to_string(format!("{root}/demo/dev-idp.crt")).unwrap();
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let a = DemoAssertion {
            idp_entity_id: "http://127.0.0.1:8787/demo/idp",
            sp_entity_id: "http://127.0.0.1:8787/saml/decorumsoft/metadata",
            acs_url: "http://127.0.0.1:8787/saml/decorumsoft/acs",
            email: "jane.smith@decorumsoft.com",
            now,
            nonce: "0011",
        };
        let xml = signed_response(&key, &cert_base64(&cert), &a).unwrap();
        let trust = saml_verify::Trust::new(
            a.idp_entity_id,
            vec![saml_verify::TrustedKey::from_certificate(cert.as_bytes()).unwrap()],
            a.sp_entity_id,
            a.acs_url,
        );
        let v = saml_verify::verify(xml.as_bytes(), &trust, now.plus_seconds(10), None).unwrap();
        assert_eq!(v.email.as_deref(), Some("jane.smith@decorumsoft.com"));
        assert!(v.assertion_signed && !v.response_signed);
        let tampered = xml.replace("jane.smith@", "jon.smith@");
        assert_eq!(
            saml_verify::verify(tampered.as_bytes(), &trust, now, None)
                .unwrap_err()
                .code(),
            "digest_mismatch"
        );
    }
}
