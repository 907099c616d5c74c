//! Just enough DER (ITU-T X.690) to read RSA keys: X.509 certificates (RFC 5280 §4.1),
//! SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, RFC 8017 A.1.1), and private keys in PKCS#1
//! (RFC 8017 A.1.2) or PKCS#8 (RFC 5208 §5). Hand-rolled to keep ASN.1 libraries out of the
//! worker bundle; every read is bounds-checked and returns None on anything unexpected.

use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};

use crate::input::base64_text;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// One TLV: its tag, its contents, what follows it, and the whole TLV.
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub body: &'a [u8],
    pub rest: &'a [u8],
    pub whole: &'a [u8],
}

/// Read one TLV with a definite length (DER allows no other).
pub(crate) fn tlv(data: &[u8]) -> Option<Tlv<'_>> {
    let tag = *data.first()?;
    let first = *data.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *data.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some(Tlv {
        tag,
        body: data.get(hdr..end)?,
        rest: data.get(end..)?,
        whole: data.get(..end)?,
    })
}

/// Read a TLV that must have `tag`.
pub(crate) fn expect(data: &[u8], tag: u8) -> Option<Tlv<'_>> {
    tlv(data).filter(|t| t.tag == tag)
}

fn integer(data: &[u8]) -> Option<(BigUint, &[u8])> {
    let t = expect(data, INTEGER)?;
    Some((BigUint::from_bytes_be(t.body), t.rest))
}

/// The SubjectPublicKeyInfo TLV inside a certificate.
pub(crate) fn certificate_spki(der: &[u8]) -> Option<&[u8]> {
    let cert = expect(der, SEQUENCE)?;
    let tbs = expect(cert.body, SEQUENCE)?;
    let mut rest = tbs.body;
    if tlv(rest)?.tag == 0xA0 {
        rest = tlv(rest)?.rest; // [0] version
    }
    for _ in 0..5 {
        rest = tlv(rest)?.rest; // serial, signature, issuer, validity, subject
    }
    Some(expect(rest, SEQUENCE)?.whole)
}

/// Check `AlgorithmIdentifier` is rsaEncryption and return what follows it.
fn rsa_algorithm(data: &[u8]) -> Option<&[u8]> {
    let alg = expect(data, SEQUENCE)?;
    (expect(alg.body, OID)?.body == RSA_ENCRYPTION).then_some(alg.rest)
}

/// An RSA public key from a SubjectPublicKeyInfo.
pub(crate) fn rsa_public_key(spki: &[u8]) -> Option<RsaPublicKey> {
    let spki = expect(spki, SEQUENCE)?;
    let bits = expect(rsa_algorithm(spki.body)?, BIT_STRING)?;
    let (&unused, key) = bits.body.split_first()?;
    if unused != 0 {
        return None;
    }
    let key = expect(key, SEQUENCE)?;
    let (n, rest) = integer(key.body)?;
    let (e, _) = integer(rest)?;
    RsaPublicKey::new(n, e).ok()
}

/// An RSA private key from PEM: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1).
pub(crate) fn rsa_private_key_pem(pem: &str) -> Option<RsaPrivateKey> {
    let (label, der) = pem_block(pem)?;
    match label {
        "PRIVATE KEY" => {
            let info = expect(&der, SEQUENCE)?;
            let (_, rest) = integer(info.body)?; // version
            let key = expect(rsa_algorithm(rest)?, OCTET_STRING)?;
            pkcs1_private(key.body)
        }
        "RSA PRIVATE KEY" => pkcs1_private(&der),
        _ => None,
    }
}

/// RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dP, dQ, qInv } (two primes only).
fn pkcs1_private(der: &[u8]) -> Option<RsaPrivateKey> {
    let key = expect(der, SEQUENCE)?;
    let (version, rest) = integer(key.body)?;
    if version != BigUint::from(0u8) {
        return None;
    }
    let (n, rest) = integer(rest)?;
    let (e, rest) = integer(rest)?;
    let (d, rest) = integer(rest)?;
    let (p, rest) = integer(rest)?;
    let (q, _) = integer(rest)?;
    let mut k = RsaPrivateKey::from_components(n, e, d, vec![p, q]).ok()?;
    k.validate().ok()?;
    k.precompute().ok()?;
    Some(k)
}

/// The label and decoded body of the first PEM block (RFC 7468).
pub(crate) fn pem_block(pem: &str) -> Option<(&str, Vec<u8>)> {
    let start = pem.find("-----BEGIN ")?;
    let after = &pem[start + 11..];
    let label_end = after.find("-----")?;
    let label = &after[..label_end];
    let body_start = label_end + 5;
    let end = after.find(&format!("-----END {label}-----"))?;
    let body = after.get(body_start..end)?;
    Some((label, base64_text(body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_truncated_and_foreign_der() {
        assert!(tlv(&[0x30]).is_none());
        assert!(tlv(&[0x30, 0x85, 0, 0, 0, 0, 1]).is_none());
        assert!(tlv(&[0x30, 0x05, 1]).is_none());
        assert!(certificate_spki(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_none());
        assert!(rsa_public_key(&[0x30, 0x00]).is_none());
        assert!(rsa_private_key_pem(
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----"
        )
        .is_none());
        assert!(rsa_private_key_pem("-----BEGIN PRIVATE KEY-----\nAAAA").is_none());
    }
}
