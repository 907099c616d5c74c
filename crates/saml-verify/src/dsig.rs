//! Enveloped XML signatures as SAML core §5.4 profiles them (XML Signature Syntax and Processing
//! 1.1): one SignedInfo, one Reference to the signature's parent by its `ID`, the transforms
//! enveloped-signature then exclusive c14n, RSA PKCS#1 v1.5 with SHA-2 (SHA-1 only if allowed).

use crate::alg::HashAlg;
use crate::input::base64_text;
use crate::keys::{TrustedKey, MIN_RSA_BITS};
use crate::ns::{DSIG, EXC_C14N};
use crate::xml::c14n::{canonicalize, Budget};
use crate::xml::{Document, Element, NodeId};
use crate::{Error, Trust};

/// Most distinct prefixes accepted in an InclusiveNamespaces PrefixList.
const MAX_INCLUSIVE_PREFIXES: usize = 32;

/// Most bytes the canonical SignedInfo may take (one Reference: real ones are under 2 KiB).
const MAX_SIGNED_INFO_BYTES: usize = 64 * 1024;

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// A ds:Signature whose structure was checked, ready to verify.
#[derive(Debug)]
pub(crate) struct Signature {
    pub node: NodeId,
    pub parent: NodeId,
    signed_info: NodeId,
    si_prefixes: Vec<String>,
    sig_alg: HashAlg,
    ref_uri: String,
    ref_prefixes: Vec<String>,
    digest_alg: HashAlg,
    digest_value: Vec<u8>,
    signature_value: Vec<u8>,
    /// The ds:KeyInfo, read only to order the pinned keys and name the error ([`verify`]).
    keyinfo: Option<NodeId>,
}

/// Element children of `id`, refusing stray text (XML-DSig elements have element content).
fn elements<'d, 'a>(
    doc: &'d Document<'a>,
    id: NodeId,
) -> Result<Vec<(NodeId, &'d Element<'a>)>, Error> {
    if doc.has_non_space_text(id) {
        let name = doc.element(id).map(|e| e.local).unwrap_or_default();
        return Err(Error::sig_malformed(format!("text inside ds:{name}")));
    }
    Ok(doc.child_elements(id).collect())
}

fn expect<'d, 'a>(
    list: &[(NodeId, &'d Element<'a>)],
    i: usize,
    local: &str,
) -> Result<(NodeId, &'d Element<'a>), Error> {
    match list.get(i) {
        Some(&(id, e)) if e.is(DSIG, local) => Ok((id, e)),
        _ => Err(Error::sig_malformed(format!("expected ds:{local}"))),
    }
}

fn algorithm<'d>(doc: &'d Document<'_>, e: &Element<'_>) -> Result<&'d str, Error> {
    doc.attr_of(e, "Algorithm")
        .ok_or_else(|| Error::sig_malformed(format!("ds:{} without Algorithm", e.local)))
}

/// Read the PrefixList of an `ec:InclusiveNamespaces` child (Exc-C14N §3), if any; any other
/// child of a c14n method or transform is refused.
fn inclusive_prefixes(doc: &Document, id: NodeId) -> Result<Vec<String>, Error> {
    let mut prefixes: Vec<String> = Vec::new();
    let children = elements(doc, id)?;
    if children.len() > 1 {
        return Err(Error::sig_malformed("more than one InclusiveNamespaces"));
    }
    for (_, e) in children {
        if !e.is(EXC_C14N, "InclusiveNamespaces") {
            return Err(Error::TransformForbidden {
                algorithm: format!("{EXC_C14N} with {}", e.local),
            });
        }
        let list = doc.attr_of(e, "PrefixList").unwrap_or("");
        for p in list.split_ascii_whitespace() {
            if prefixes.iter().any(|q| q == p) {
                continue;
            }
            // c14n walks the list at every element: keep it small (real IdPs list one or
            // two), and stop at the first prefix past the limit so that a long list costs no
            // more than reading it once.
            if prefixes.len() == MAX_INCLUSIVE_PREFIXES {
                return Err(Error::sig_malformed(
                    "InclusiveNamespaces PrefixList is too long",
                ));
            }
            prefixes.push(p.to_owned());
        }
    }
    Ok(prefixes)
}

/// Check the structure of the ds:Signature at `node` (XML-DSig §4) and extract what
/// verification needs. Algorithms are checked here; keys and digests in [`verify`].
pub(crate) fn parse(doc: &Document, node: NodeId) -> Result<Signature, Error> {
    let parent = doc
        .parent(node)
        .ok_or_else(|| Error::sig_malformed("signature is the document element"))?;
    let kids = elements(doc, node)?;
    let (signed_info, _) = expect(&kids, 0, "SignedInfo")?;
    let (sv, _) = expect(&kids, 1, "SignatureValue")?;
    let mut keyinfo = None;
    for (i, &(id, e)) in kids.iter().enumerate().skip(2) {
        if i == 2 && e.is(DSIG, "KeyInfo") {
            keyinfo = Some(id);
        } else {
            return Err(Error::sig_malformed(format!(
                "unexpected ds:{} in Signature",
                e.local
            )));
        }
    }
    let signature_value = base64_text(&doc.text(sv))
        .ok_or_else(|| Error::sig_malformed("SignatureValue is not base64"))?;

    let si = elements(doc, signed_info)?;
    let (cm, cm_e) = expect(&si, 0, "CanonicalizationMethod")?;
    let c14n_alg = algorithm(doc, cm_e)?;
    if c14n_alg != EXC_C14N {
        return Err(Error::AlgorithmUnsupported {
            algorithm: c14n_alg.to_owned(),
        });
    }
    let si_prefixes = inclusive_prefixes(doc, cm)?;
    let (_, sm) = expect(&si, 1, "SignatureMethod")?;
    let sig_uri = algorithm(doc, sm)?;
    let sig_alg =
        HashAlg::from_rsa_signature_uri(sig_uri).ok_or_else(|| Error::AlgorithmUnsupported {
            algorithm: sig_uri.to_owned(),
        })?;
    if si.len() != 3 {
        return Err(Error::sig_malformed(format!(
            "{} elements in SignedInfo; exactly one Reference is allowed",
            si.len()
        )));
    }
    let (reference, re) = expect(&si, 2, "Reference")?;
    let ref_uri = doc.attr_of(re, "URI").unwrap_or("").to_owned();

    let rk = elements(doc, reference)?;
    let (transforms, _) = expect(&rk, 0, "Transforms")?;
    let ref_prefixes = check_transforms(doc, transforms)?;
    let (_, dm) = expect(&rk, 1, "DigestMethod")?;
    let dig_uri = algorithm(doc, dm)?;
    let digest_alg =
        HashAlg::from_digest_uri(dig_uri).ok_or_else(|| Error::AlgorithmUnsupported {
            algorithm: dig_uri.to_owned(),
        })?;
    let (dv, _) = expect(&rk, 2, "DigestValue")?;
    if rk.len() != 3 {
        return Err(Error::sig_malformed("unexpected element in Reference"));
    }
    let digest_value = base64_text(&doc.text(dv))
        .ok_or_else(|| Error::sig_malformed("DigestValue is not base64"))?;
    Ok(Signature {
        node,
        parent,
        signed_info,
        si_prefixes,
        sig_alg,
        ref_uri,
        ref_prefixes,
        digest_alg,
        digest_value,
        signature_value,
        keyinfo,
    })
}

/// XML-DSig §6.6 transforms: exactly enveloped-signature then exclusive c14n; returns the
/// c14n PrefixList. XSLT, XPath and everything else are refused before anything runs.
fn check_transforms(doc: &Document, transforms: NodeId) -> Result<Vec<String>, Error> {
    let list = elements(doc, transforms)?;
    let mut algs = Vec::new();
    let mut prefixes = Vec::new();
    for (id, e) in &list {
        if !e.is(DSIG, "Transform") {
            return Err(Error::sig_malformed(format!(
                "ds:{} in Transforms",
                e.local
            )));
        }
        let alg = algorithm(doc, e)?;
        match alg {
            ENVELOPED if doc.child_elements(*id).next().is_none() => {}
            EXC_C14N => prefixes = inclusive_prefixes(doc, *id)?,
            _ => {
                return Err(Error::TransformForbidden {
                    algorithm: alg.to_owned(),
                })
            }
        }
        algs.push(alg);
    }
    if algs != [ENVELOPED, EXC_C14N] {
        return Err(Error::sig_malformed(
            "Transforms must be enveloped-signature then exclusive c14n",
        ));
    }
    Ok(prefixes)
}

/// DER certificates in KeyInfo/X509Data/X509Certificate. Used only to pick among pinned keys.
fn x509_certificates(doc: &Document, keyinfo: NodeId) -> Vec<Vec<u8>> {
    doc.children_named(keyinfo, DSIG, "X509Data")
        .flat_map(|d| {
            doc.children_named(d, DSIG, "X509Certificate")
                .collect::<Vec<_>>()
        })
        .filter_map(|c| base64_text(&doc.text(c)))
        .collect()
}

/// Verify `sig` (XML-DSig §3.2: reference validation, then signature validation) with the
/// pinned keys. Returns the canonical text of the signed element, minus the signature (the only
/// bytes identity may later be read from), and the SHA-256 fingerprint of the key that verified.
pub(crate) fn verify(
    doc: &Document,
    sig: &Signature,
    trust: &Trust,
) -> Result<(String, String), Error> {
    if (sig.sig_alg == HashAlg::Sha1 || sig.digest_alg == HashAlg::Sha1) && !trust.allow_sha1 {
        return Err(Error::Sha1Forbidden);
    }
    let parent_id = doc.attr(sig.parent, "ID");
    match (sig.ref_uri.strip_prefix('#'), parent_id) {
        (Some(frag), Some(id)) if frag == id => {}
        _ => {
            return Err(Error::ReferenceInvalid {
                uri: sig.ref_uri.clone(),
            })
        }
    }
    // SignedInfo first (XML-DSig §3.2.2 before §3.2.1): it is small, so a forged signature costs
    // one short canonicalization and one RSA operation, never work proportional to the document.
    let mut si = Vec::with_capacity(1024);
    canonicalize(
        doc,
        sig.signed_info,
        None,
        &sig.si_prefixes,
        Budget(MAX_SIGNED_INFO_BYTES),
        &mut si,
    )
    .map_err(|_| Error::sig_malformed("SignedInfo is too large"))?;
    let hashed = sig.sig_alg.digest(&si);
    let usable: Vec<&TrustedKey> = trust
        .idp_keys
        .iter()
        .filter(|k| trust.allow_sha1 || k.bits() >= MIN_RSA_BITS)
        .collect();
    // KeyInfo is never a trust anchor: its certificates only say which pinned key to try (the
    // named ones alone, when it names any) and which error a failure reports. With one usable
    // key the first needs nothing, so its base64 is decoded only if that key fails.
    let certs = || {
        sig.keyinfo
            .map(|k| x509_certificates(doc, k))
            .unwrap_or_default()
    };
    let keyinfo_certs = if usable.len() > 1 {
        certs()
    } else {
        Vec::new()
    };
    let named: Vec<&TrustedKey> = usable
        .iter()
        .copied()
        .filter(|k| keyinfo_certs.contains(&k.cert_der))
        .collect();
    let candidates = if named.is_empty() { &usable } else { &named };
    let signer = candidates
        .iter()
        .find(|k| k.verify(sig.sig_alg, &hashed, &sig.signature_value));
    let Some(signer) = signer else {
        let keyinfo_certs = if usable.len() > 1 {
            keyinfo_certs
        } else {
            certs()
        };
        let names_one = usable.iter().any(|k| keyinfo_certs.contains(&k.cert_der));
        return Err(if !names_one && !keyinfo_certs.is_empty() {
            Error::UntrustedKey
        } else {
            Error::SignatureInvalid
        });
    };
    // Reference validation (§3.2.1), now that a pinned key signed SignedInfo.
    let mut signed = String::with_capacity(4096);
    canonicalize(
        doc,
        sig.parent,
        Some(sig.node),
        &sig.ref_prefixes,
        Budget::for_input(doc.source_len()),
        &mut signed,
    )
    .map_err(|e| Error::WorkLimitExceeded { limit: e.limit })?;
    if sig.digest_alg.digest(signed.as_bytes()) != sig.digest_value {
        return Err(Error::DigestMismatch);
    }
    Ok((signed, signer.fingerprint()))
}
