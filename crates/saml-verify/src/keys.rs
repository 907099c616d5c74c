//! Pinned IdP signing keys (SAML metadata §2.4.1.1 KeyDescriptor; XML-DSig §4.4.4 X509Data).
//!
//! Trust comes only from certificates the operator configured. A certificate found in a
//! message's KeyInfo can at most pick one of these; a raw `KeyValue` is never used.

use core::fmt;

use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};

use crate::der;
use crate::input::base64_text;
use crate::{Error, Timestamp};

/// Smallest RSA modulus accepted without the legacy switch.
pub const MIN_RSA_BITS: usize = 2048;
/// Smallest RSA modulus accepted at all (some IdPs still sign with 1024-bit keys and SHA-1).
pub const MIN_LEGACY_RSA_BITS: usize = 1024;

/// An RSA public key from a configured IdP certificate.
#[derive(Clone)]
pub struct TrustedKey {
    pub(crate) cert_der: Vec<u8>,
    pub(crate) key: RsaPublicKey,
    /// The key prepared for the fast e = 65537 path, when it applies.
    mont: Option<crate::rsa_verify::MontKey>,
    fingerprint: [u8; 32],
    info: crate::x509::CertInfo,
}

impl TrustedKey {
    /// From a certificate as PEM (`CERTIFICATE`) or DER, or bare base64 of the DER (as in
    /// metadata and in most IdP admin consoles).
    pub fn from_certificate(data: &[u8]) -> Result<Self, Error> {
        let der = certificate_der(data)?;
        Self::from_der(der)
    }

    /// From the DER bytes of an X.509 certificate.
    pub fn from_der(der: Vec<u8>) -> Result<Self, Error> {
        let spki =
            der::certificate_spki(&der).ok_or_else(|| invalid("not an X.509 certificate"))?;
        let key = der::rsa_public_key(spki)
            .ok_or_else(|| invalid("the certificate's key is not an RSA key"))?;
        check_size(&key)?;
        let info = crate::x509::info(&der)
            .ok_or_else(|| invalid("the certificate's subject or validity is not readable"))?;
        let fingerprint = Sha256::digest(&der).into();
        Ok(TrustedKey {
            cert_der: der,
            mont: crate::rsa_verify::MontKey::new(&key),
            key,
            fingerprint,
            info,
        })
    }

    /// RSASSA-PKCS1-v1_5 verification of `sig` over `hashed` (RFC 8017 §8.2.2).
    pub(crate) fn verify(&self, alg: crate::alg::HashAlg, hashed: &[u8], sig: &[u8]) -> bool {
        crate::rsa_verify::verify_with(&self.key, self.mont.as_ref(), alg, hashed, sig)
    }

    /// SHA-256 of the certificate, lower-case hex: how operators tell keys apart.
    pub fn fingerprint(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(self.fingerprint.len() * 2);
        for b in self.fingerprint {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }

    /// The certificate's subject, e.g. `C=US, O=Okta, CN=dev-116807` (RFC 5280 §4.1.2.6), in
    /// the certificate's order; BMPString values show as `?`.
    pub fn subject(&self) -> &str {
        &self.info.subject
    }

    /// The certificate's notBefore (RFC 5280 §4.1.2.5).
    pub fn not_before(&self) -> Timestamp {
        self.info.not_before
    }

    /// The certificate's notAfter (RFC 5280 §4.1.2.5): IdPs such as Entra ID and AD FS keep
    /// signing past it, so the verifier does not check it; callers decide.
    pub fn not_after(&self) -> Timestamp {
        self.info.not_after
    }

    /// Size of the RSA modulus in bits.
    pub fn bits(&self) -> usize {
        self.key.n().bits()
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TrustedKey(rsa-{}, sha256:{})",
            self.bits(),
            self.fingerprint()
        )
    }
}

/// Keys below [`MIN_LEGACY_RSA_BITS`] are refused outright (the `rsa` crate has already refused
/// moduli above 4096 bits); [`MIN_RSA_BITS`] is enforced per IdP in `Trust`.
pub(crate) fn check_size(key: &RsaPublicKey) -> Result<(), Error> {
    let bits = key.n().bits();
    if bits < MIN_LEGACY_RSA_BITS {
        return Err(invalid(&format!("a {bits}-bit RSA key is too small")));
    }
    Ok(())
}

fn invalid(detail: &str) -> Error {
    Error::TrustConfigInvalid {
        detail: detail.to_owned(),
    }
}

/// The DER of a certificate given as PEM, DER, or bare base64.
fn certificate_der(data: &[u8]) -> Result<Vec<u8>, Error> {
    if data.first() == Some(&0x30) {
        return Ok(data.to_vec());
    }
    let text =
        std::str::from_utf8(data).map_err(|_| invalid("certificate is neither PEM nor DER"))?;
    let body = match text.find("-----BEGIN CERTIFICATE-----") {
        Some(start) => {
            let after = &text[start + 27..];
            let end = after
                .find("-----END CERTIFICATE-----")
                .ok_or_else(|| invalid("unterminated PEM certificate"))?;
            &after[..end]
        }
        None if text.contains("-----BEGIN") => {
            return Err(invalid("PEM block is not a CERTIFICATE"))
        }
        None => text,
    };
    base64_text(body).ok_or_else(|| invalid("certificate base64 is invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_certificates() {
        for bad in [
            &b""[..],
            b"\x30\x03\x02\x01\x01",
            b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----",
            b"%%%",
        ] {
            assert_eq!(
                TrustedKey::from_certificate(bad).unwrap_err().code(),
                "trust_config_invalid"
            );
        }
    }
}
