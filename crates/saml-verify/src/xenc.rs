//! XML Encryption 1.1 for `saml:EncryptedAssertion` (SAML core §2.3.4, §6): RSA-OAEP key
//! transport (`rsa-oaep-mgf1p`, and xenc11 `rsa-oaep` with a SHA-2 digest and MGF1), then
//! AES-CBC (XML Enc §5.2.1, its own padding) or AES-GCM (§5.2.4).
//!
//! Every failure after the algorithms are read is one [`Error::DecryptionFailed`]: the same code
//! and message for a wrong key, bad OAEP, bad padding, a bad tag or unparsable plaintext, and the
//! work done on a key-transport failure continues with a dummy key, so that the ACS is no
//! padding oracle (Jager and Somorovsky, "How to Break XML Encryption", 2011).

use crate::blinding::{BlindingSeed, SeedRng};
use core::fmt;

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
use aes_gcm::aead::KeyInit;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::alg::HashAlg;
use crate::input::base64_text;
use crate::ns::DSIG;
use crate::xml::{Document, NodeId};
use crate::Error;

/// Most EncryptedKey elements tried for one EncryptedData (real IdPs send one).
const MAX_ENCRYPTED_KEYS: usize = 4;

pub(crate) const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const XENC11: &str = "http://www.w3.org/2009/xmlenc11#";

/// An SP private key that decrypts assertions (several at once during a rollover).
#[derive(Clone)]
pub struct DecryptionKey {
    key: RsaPrivateKey,
}

impl DecryptionKey {
    /// From a PEM private key (`PRIVATE KEY`, PKCS#8, or `RSA PRIVATE KEY`, PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let key =
            crate::der::rsa_private_key_pem(pem).ok_or_else(|| Error::TrustConfigInvalid {
                detail: "SP key is not an RSA private key in PEM".into(),
            })?;
        Ok(DecryptionKey { key })
    }

    fn bits(&self) -> usize {
        self.key.n().bits()
    }
}

impl fmt::Debug for DecryptionKey {
    /// Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecryptionKey(rsa-{}, [redacted])", self.bits())
    }
}

#[derive(Clone, Copy)]
enum Cipher {
    Cbc(usize),
    Gcm(usize),
}

fn cipher(uri: &str) -> Option<Cipher> {
    Some(match uri {
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => Cipher::Cbc(16),
        "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => Cipher::Cbc(24),
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => Cipher::Cbc(32),
        "http://www.w3.org/2009/xmlenc11#aes128-gcm" => Cipher::Gcm(16),
        "http://www.w3.org/2009/xmlenc11#aes192-gcm" => Cipher::Gcm(24),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm" => Cipher::Gcm(32),
        _ => return None,
    })
}

/// XML Enc 1.1 §5.5.2 MGF1 method URIs.
fn mgf_uri(uri: &str) -> Option<HashAlg> {
    Some(match uri {
        "http://www.w3.org/2009/xmlenc11#mgf1sha1" => HashAlg::Sha1,
        "http://www.w3.org/2009/xmlenc11#mgf1sha256" => HashAlg::Sha256,
        "http://www.w3.org/2009/xmlenc11#mgf1sha384" => HashAlg::Sha384,
        "http://www.w3.org/2009/xmlenc11#mgf1sha512" => HashAlg::Sha512,
        _ => return None,
    })
}

fn oaep(digest: HashAlg, mgf: HashAlg) -> Oaep {
    macro_rules! with_mgf {
        ($d:ty) => {
            match mgf {
                HashAlg::Sha1 => Oaep::new_with_mgf_hash::<$d, Sha1>(),
                HashAlg::Sha256 => Oaep::new_with_mgf_hash::<$d, Sha256>(),
                HashAlg::Sha384 => Oaep::new_with_mgf_hash::<$d, Sha384>(),
                HashAlg::Sha512 => Oaep::new_with_mgf_hash::<$d, Sha512>(),
            }
        };
    }
    match digest {
        HashAlg::Sha1 => with_mgf!(Sha1),
        HashAlg::Sha256 => with_mgf!(Sha256),
        HashAlg::Sha384 => with_mgf!(Sha384),
        HashAlg::Sha512 => with_mgf!(Sha512),
    }
}

fn unsupported(uri: &str) -> Error {
    Error::AlgorithmUnsupported {
        algorithm: uri.to_owned(),
    }
}

fn algorithm<'d>(doc: &'d Document<'_>, id: NodeId) -> Option<(NodeId, &'d str)> {
    let m = doc.first_child(id, XENC, "EncryptionMethod")?;
    Some((m, doc.attr(m, "Algorithm")?))
}

/// A key-transport method (XML Enc 1.1 §5.5.2): OAEP digest and MGF hash.
fn key_transport(doc: &Document, ek: NodeId) -> Result<(HashAlg, HashAlg), Error> {
    let (m, uri) = algorithm(doc, ek).ok_or(Error::DecryptionFailed)?;
    let digest = match doc
        .first_child(m, DSIG, "DigestMethod")
        .and_then(|d| doc.attr(d, "Algorithm"))
    {
        None => HashAlg::Sha1,
        Some(d) => HashAlg::from_digest_uri(d).ok_or_else(|| unsupported(d))?,
    };
    match uri {
        "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" => Ok((digest, HashAlg::Sha1)),
        "http://www.w3.org/2009/xmlenc11#rsa-oaep" => {
            let mgf = match doc
                .first_child(m, XENC11, "MGF")
                .and_then(|d| doc.attr(d, "Algorithm"))
            {
                None => HashAlg::Sha1,
                Some(g) => mgf_uri(g).ok_or_else(|| unsupported(g))?,
            };
            Ok((digest, mgf))
        }
        other => Err(unsupported(other)),
    }
}

fn cipher_value(doc: &Document, id: NodeId) -> Option<Vec<u8>> {
    let cd = doc.first_child(id, XENC, "CipherData")?;
    let cv = doc.first_child(cd, XENC, "CipherValue")?;
    base64_text(&doc.text(cv))
}

/// The EncryptedKeys that may wrap this EncryptedData's key: inline in its KeyInfo, or beside it
/// in the EncryptedAssertion (Okta, referenced by RetrievalMethod or DataReference).
fn encrypted_keys(doc: &Document, ea: NodeId, ed: NodeId) -> Vec<NodeId> {
    let mut keys: Vec<NodeId> = Vec::new();
    let mut wanted: Option<String> = None;
    if let Some(ki) = doc.first_child(ed, DSIG, "KeyInfo") {
        keys.extend(doc.children_named(ki, XENC, "EncryptedKey"));
        wanted = doc
            .first_child(ki, DSIG, "RetrievalMethod")
            .and_then(|r| doc.attr(r, "URI")?.strip_prefix('#').map(str::to_owned));
    }
    let siblings: Vec<NodeId> = doc.children_named(ea, XENC, "EncryptedKey").collect();
    let id_of = |n: NodeId| doc.attr(n, "Id").map(str::to_owned);
    if let Some(w) = wanted {
        keys.extend(
            siblings
                .iter()
                .copied()
                .filter(|&k| id_of(k).as_deref() == Some(w.as_str())),
        );
    }
    for k in siblings {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// What decryption produced: the plaintext when `ok`, else bytes of the same kind (the
/// ciphertext decrypted under a random key, or with its padding left on) that the caller parses
/// all the same before it refuses, so that every failure takes one path (issue #11, finding 4).
pub(crate) struct Decrypted {
    pub bytes: Vec<u8>,
    pub ok: bool,
}

/// Decrypt the EncryptedAssertion at `ea` to the bytes of the Assertion element it holds.
///
/// Errors here depend only on the message's structure (algorithms, element counts). A failure
/// that depends on a secret (OAEP unpadding, a content key of the wrong size, CBC padding, the
/// GCM tag) is never an early return: as implicit rejection does (draft-irtf-cfrg-rsa-guidance
/// §7), a failed key transport continues with a random content key, and the result is handed
/// back with `ok: false` for the caller to run through the same UTF-8 check and parse.
pub(crate) fn decrypt(
    doc: &Document,
    ea: NodeId,
    keys: &[DecryptionKey],
    blinding: Option<&BlindingSeed>,
) -> Result<Decrypted, Error> {
    if keys.is_empty() {
        return Err(Error::EncryptedAssertionUnsupported);
    }
    let ed = doc
        .first_child(ea, XENC, "EncryptedData")
        .ok_or(Error::DecryptionFailed)?;
    let (_, uri) = algorithm(doc, ed).ok_or(Error::DecryptionFailed)?;
    let cipher = cipher(uri).ok_or_else(|| unsupported(uri))?;
    let key_len = match cipher {
        Cipher::Cbc(n) | Cipher::Gcm(n) => n,
    };
    let data = cipher_value(doc, ed).ok_or(Error::DecryptionFailed)?;
    let candidates = encrypted_keys(doc, ea, ed);
    // Each candidate costs an RSA private-key operation per SP key: cap them before any.
    if candidates.len() > MAX_ENCRYPTED_KEYS {
        return Err(Error::DecryptionFailed);
    }
    let mut content_key: Option<Vec<u8>> = None;
    let mut rng = blinding.map(SeedRng::new);
    for ek in candidates {
        let (digest, mgf) = key_transport(doc, ek)?;
        let Some(wrapped) = cipher_value(doc, ek) else {
            continue;
        };
        for k in keys {
            let cek = match rng.as_mut() {
                Some(rng) => k.key.decrypt_blinded(rng, oaep(digest, mgf), &wrapped),
                None => k.key.decrypt(oaep(digest, mgf), &wrapped),
            };
            if let Ok(cek) = cek {
                if cek.len() == key_len && content_key.is_none() {
                    content_key = Some(cek);
                }
            }
        }
    }
    let found = content_key.is_some();
    let cek = content_key.unwrap_or_else(|| random_key(rng.as_mut(), &data, key_len));
    let (bytes, ok) = symmetric(cipher, &cek, &data);
    Ok(Decrypted {
        bytes,
        ok: found && ok,
    })
}

/// A content key for a failed key transport: fresh random bytes when the caller gave a seed,
/// else (a local tool, where no one times us) a hash of the ciphertext.
fn random_key(rng: Option<&mut SeedRng>, data: &[u8], len: usize) -> Vec<u8> {
    use rsa::rand_core::RngCore;
    let mut key = vec![0u8; len];
    match rng {
        Some(rng) => rng.fill_bytes(&mut key),
        None => {
            let h = sha2::Sha512::digest(data);
            for (k, b) in key.iter_mut().zip(h.iter()) {
                *k = *b;
            }
        }
    }
    key
}

/// Decrypt `data` (XML Enc §5.2.1 AES-CBC with its padding, §5.2.4 AES-GCM). Always returns
/// bytes and whether they are the plaintext: on a padding failure the padding is left on, on a
/// GCM tag failure the ciphertext itself comes back. Sizes are public; only they return early.
fn symmetric(cipher: Cipher, key: &[u8], data: &[u8]) -> (Vec<u8>, bool) {
    match cipher {
        Cipher::Cbc(n) => {
            if data.len() < 32 || data.len() % 16 != 0 {
                return (Vec::new(), false);
            }
            let (iv, ct) = data.split_at(16);
            let mut buf = ct.to_vec();
            let ok = match n {
                16 => cbc_decrypt::<aes::Aes128>(key, iv, &mut buf),
                24 => cbc_decrypt::<aes::Aes192>(key, iv, &mut buf),
                _ => cbc_decrypt::<aes::Aes256>(key, iv, &mut buf),
            };
            // The last octet counts the padding octets (1 to 16); arbitrary padding content.
            let pad = usize::from(buf.last().copied().unwrap_or(0));
            let pad_ok = (1..=16).contains(&pad);
            let strip = if pad_ok { pad } else { 0 };
            buf.truncate(buf.len() - strip);
            (buf, ok && pad_ok)
        }
        Cipher::Gcm(n) => {
            if data.len() < 12 + 16 {
                return (Vec::new(), false);
            }
            let (nonce, rest) = data.split_at(12);
            let (ct, tag) = rest.split_at(rest.len() - 16);
            let nonce = aes_gcm::Nonce::from_slice(nonce);
            let tag = aes_gcm::Tag::from_slice(tag);
            let mut buf = ct.to_vec();
            let ok = match n {
                16 => gcm_decrypt::<aes::Aes128>(key, nonce, tag, &mut buf),
                24 => gcm_decrypt::<aes::Aes192>(key, nonce, tag, &mut buf),
                _ => gcm_decrypt::<aes::Aes256>(key, nonce, tag, &mut buf),
            };
            (buf, ok)
        }
    }
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> bool
where
    C: aes::cipher::BlockDecryptMut + aes::cipher::BlockCipher + aes::cipher::KeyInit,
    cbc::Decryptor<C>: KeyIvInit,
{
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .ok()
        .is_some_and(|d| d.decrypt_padded_mut::<NoPadding>(buf).is_ok())
}

fn gcm_decrypt<C>(
    key: &[u8],
    nonce: &aes_gcm::Nonce<aes_gcm::aead::consts::U12>,
    tag: &aes_gcm::Tag,
    buf: &mut [u8],
) -> bool
where
    C: aes::cipher::BlockCipher
        + aes::cipher::BlockSizeUser<BlockSize = aes::cipher::consts::U16>
        + aes::cipher::BlockEncrypt
        + aes::cipher::KeyInit,
{
    use aes_gcm::AeadInPlace;
    aes_gcm::AesGcm::<C, aes_gcm::aead::consts::U12>::new_from_slice(key)
        .ok()
        .is_some_and(|g| g.decrypt_in_place_detached(nonce, b"", buf, tag).is_ok())
}
