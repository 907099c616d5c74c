//! An EncryptedAssertion (SAML core §2.3.4) read after decryption (XML Encryption 1.1 §4.5):
//! from its own verified signature if it has one, else from the verified bytes of the signed
//! Response it came in. Every decryption failure takes one path (see [`crate::xenc::decrypt`]).

use crate::xml::{self, Document, Limits, NodeId};
use crate::{assertion, dsig, ns, xenc, Error, Trust};
use crate::{reparse, signatures, the_assertion, Located};

/// Decrypt an EncryptedAssertion (from the verified Response bytes when the Response is signed)
/// and read it: from its own verified signature if it has one, else from the decrypted bytes of
/// the signed Response. With no signature anywhere, nothing is read. Also the fingerprint of the
/// key that verified the assertion's own signature, when it has one.
pub(crate) fn fields(
    doc: &Document,
    ea: NodeId,
    resp_doc: Option<&Document>,
    trust: &Trust,
) -> Result<(assertion::AssertionFields, Option<String>), Error> {
    let (src, ea) = match resp_doc {
        Some(d) => match the_assertion(d, d.root())? {
            Located::Encrypted(e) => (d, e),
            Located::Plain(_) => return Err(Error::SignatureMissing),
        },
        None => (doc, ea),
    };
    let decrypted = xenc::decrypt(src, ea, &trust.sp_keys, trust.blinding.as_ref())?;
    // The plaintext is parsed in the namespace context of the EncryptedAssertion (XML Enc
    // §4.5), taken from the tree it was decrypted from: with a signed Response, only the
    // bindings its verified canonical bytes establish, never declarations added around it.
    // Every decryption, failed or not, runs the same UTF-8 check and parse (finding 4).
    let text = std::str::from_utf8(&decrypted.bytes).map_err(|_| Error::DecryptionFailed);
    let wrapped = text.map(|t| wrap_in_scope(src, ea, t));
    let parsed = wrapped
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|w| xml::parse(w.as_bytes(), Limits::default()));
    if !decrypted.ok {
        return Err(Error::DecryptionFailed);
    }
    let read = || -> Result<(assertion::AssertionFields, Option<String>), Error> {
        let inner = parsed.map_err(|_| Error::DecryptionFailed)?;
        let kids: Vec<NodeId> = inner.child_elements(inner.root()).map(|(n, _)| n).collect();
        let a = match kids.as_slice() {
            [a] if inner
                .element(*a)
                .is_some_and(|e| e.is(ns::SAML, "Assertion")) =>
            {
                *a
            }
            _ => return Err(Error::DecryptionFailed),
        };
        let count = the_assertion_count(&inner, a);
        if count != 1 {
            return Err(Error::MultipleAssertions { count });
        }
        // With the Assertion as the root, its own signature lands in the first slot.
        let (asrt_sig, _) = signatures(&inner, a, None)?;
        match asrt_sig {
            Some(sig) => {
                let (bytes, key) = dsig::verify(&inner, &sig, trust)?;
                let d = reparse(&bytes)?;
                Ok((assertion::assertion_fields(&d, d.root())?, Some(key)))
            }
            None if resp_doc.is_some() => Ok((assertion::assertion_fields(&inner, a)?, None)),
            None => Err(Error::SignatureMissing),
        }
    };
    match (read(), resp_doc) {
        (Ok(r), _) => Ok(r),
        (Err(e), Some(_)) => Err(e),
        // Ciphertext no verified signature covers: any failure up to a verified assertion is
        // the one decryption error, or the codes would tell an attacker whether a forged CBC
        // ciphertext decrypted to well-formed XML (a padding/format oracle).
        (Err(_), None) => Err(Error::DecryptionFailed),
    }
}

/// The decrypted Assertion inside an element that declares the namespaces in scope at the
/// EncryptedAssertion (XML Enc §4.5: the plaintext is processed in its context).
fn wrap_in_scope(doc: &Document, at: NodeId, plaintext: &str) -> String {
    let body = plaintext.trim_start_matches('\u{feff}').trim_start();
    let body = if body.starts_with("<?xml") {
        body.split_once("?>").map_or(body, |(_, r)| r)
    } else {
        body
    };
    let mut scope: Vec<(&str, &str)> = Vec::new();
    let mut cur = Some(at);
    while let Some(n) = cur {
        if let Some(e) = doc.element(n) {
            for (p, u) in doc.ns_decls(e) {
                if !scope.iter().any(|(q, _)| q == p) {
                    scope.push((p, u));
                }
            }
        }
        cur = doc.parent(n);
    }
    let mut out = String::from("<w");
    for (p, u) in scope {
        // As c14n escapes attribute values: TAB, LF and CR survive attribute normalization.
        let u = u
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('\t', "&#x9;")
            .replace('\n', "&#xA;")
            .replace('\r', "&#xD;");
        if p.is_empty() {
            out.push_str(&format!(" xmlns=\"{u}\""));
        } else {
            out.push_str(&format!(" xmlns:{p}=\"{u}\""));
        }
    }
    out.push('>');
    out.push_str(body);
    out.push_str("</w>");
    out
}

fn the_assertion_count(doc: &Document, root: NodeId) -> usize {
    doc.descendants(root)
        .filter(|&n| {
            doc.element(n).is_some_and(|e| {
                e.is(ns::SAML, "Assertion") || e.is(ns::SAML, "EncryptedAssertion")
            })
        })
        .count()
}
