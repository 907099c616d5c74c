//! Algorithm identifiers, in one leaf module that the signature, encryption and RSA code all
//! use (and that uses none of them): the digest and RSA signature method URIs of XML-DSig 1.1
//! §6.2 and §6.4.2 (RFC 6931 §2.1, §2.3), and the DigestInfo prefixes of RFC 8017 §9.2.

use rsa::Pkcs1v15Sign;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Hash functions allowed in SignatureMethod and DigestMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// XML-DSig §6.2 / RFC 6931 §2.1 digest method URIs.
    pub(crate) fn from_digest_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => HashAlg::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => HashAlg::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => HashAlg::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => HashAlg::Sha512,
            _ => return None,
        })
    }

    /// XML-DSig §6.4.2 / RFC 6931 §2.3 RSA PKCS#1 v1.5 signature method URIs.
    pub(crate) fn from_rsa_signature_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => HashAlg::Sha1,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => HashAlg::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => HashAlg::Sha384,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => HashAlg::Sha512,
            _ => return None,
        })
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// Length in bytes of this hash's digest (FIPS 180-4 §1).
    pub(crate) const fn digest_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    pub(crate) fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            HashAlg::Sha1 => Pkcs1v15Sign::new::<Sha1>(),
            HashAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            HashAlg::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            HashAlg::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }

    /// The DER DigestInfo header before the digest in EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
    pub(crate) fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}
