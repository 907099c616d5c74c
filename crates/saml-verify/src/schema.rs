//! The element content SAML core's schema allows in a Response and an Assertion (issue #11,
//! finding 6): which children, how many, in which order. Anything else, whether an unknown
//! element, an element of a foreign or older SAML namespace, a second Issuer or Subject, or
//! elements out of order, is refused with [`Error::SchemaViolation`] before it is looked at:
//! a verifier that skips what it does not expect is where signature-wrapping attacks hide.

use crate::ns::{DSIG, SAML, SAMLP};
use crate::xml::{Document, NodeId};
use crate::Error;

/// How often a child may appear at its place in the sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Occurs {
    /// `minOccurs="0"`: zero or one.
    Optional,
    /// Exactly one.
    Required,
    /// `maxOccurs="unbounded"`.
    Many,
}

use Occurs::*;

/// One place in an `xs:sequence`: the names allowed there (an `xs:choice` has several).
type Place = (&'static [(&'static str, &'static str)], Occurs);

/// SAML core §3.2.2 StatusResponseType, then §3.3.3 Response's choice of assertions.
///
/// One tolerance, for a genuine IdP: Auth0 (2016 and later) puts the Response's ds:Signature
/// last, after the assertion. An enveloped signature's place does not change what it covers,
/// and a second Signature on the Response is refused by the signature reader, so the last place
/// accepts it too. Nothing else is tolerated.
const RESPONSE: &[Place] = &[
    (&[(SAML, "Issuer")], Optional),
    (&[(DSIG, "Signature")], Optional),
    (&[(SAMLP, "Extensions")], Optional),
    (&[(SAMLP, "Status")], Required),
    (&[(SAML, "Assertion"), (SAML, "EncryptedAssertion")], Many),
    (&[(DSIG, "Signature")], Optional),
];

/// SAML core §2.3.3 AssertionType.
const ASSERTION: &[Place] = &[
    (&[(SAML, "Issuer")], Required),
    (&[(DSIG, "Signature")], Optional),
    (&[(SAML, "Subject")], Optional),
    (&[(SAML, "Conditions")], Optional),
    (&[(SAML, "Advice")], Optional),
    (
        &[
            (SAML, "Statement"),
            (SAML, "AuthnStatement"),
            (SAML, "AuthzDecisionStatement"),
            (SAML, "AttributeStatement"),
        ],
        Many,
    ),
];

/// SAML core §2.4.1 SubjectType: one identifier (or none), then SubjectConfirmation*. A second
/// NameID is where one reader takes the first and another the last.
const SUBJECT: &[Place] = &[
    (
        &[(SAML, "BaseID"), (SAML, "NameID"), (SAML, "EncryptedID")],
        Optional,
    ),
    (&[(SAML, "SubjectConfirmation")], Many),
];

/// Check the children of the saml:Subject at `id`.
pub(crate) fn check_subject(doc: &Document, id: NodeId) -> Result<(), Error> {
    check(doc, id, "saml:Subject", SUBJECT)
}

/// Check the children of the samlp:Response at `id`.
pub(crate) fn check_response(doc: &Document, id: NodeId) -> Result<(), Error> {
    check(doc, id, "samlp:Response", RESPONSE)
}

/// Check the children of the saml:Assertion at `id`.
pub(crate) fn check_assertion(doc: &Document, id: NodeId) -> Result<(), Error> {
    check(doc, id, "saml:Assertion", ASSERTION)
}

fn check(doc: &Document, id: NodeId, what: &str, places: &[Place]) -> Result<(), Error> {
    let bad = |detail: String| Err(Error::SchemaViolation { detail });
    if doc.has_non_space_text(id) {
        return bad(format!("text inside {what}"));
    }
    // `at` is the current place; `seen` counts children matched there.
    let (mut at, mut seen) = (0usize, 0usize);
    for (_, e) in doc.child_elements(id) {
        let found = places
            .iter()
            .enumerate()
            .skip(at)
            .find(|(_, (names, _))| names.iter().any(|(ns, local)| e.is(ns, local)));
        // Built only on the refusal paths: this loop runs for every child of every response.
        let name = || format!("{{{}}}{}", e.ns, e.local);
        match found {
            None if places
                .iter()
                .any(|(n, _)| n.iter().any(|(ns, l)| e.is(ns, l))) =>
            {
                return bad(format!("{} is out of order in {what}", name()));
            }
            None => return bad(format!("{} is not allowed in {what}", name())),
            Some((i, _)) if i > at => {
                missing(places, at, seen, i, what)?;
                (at, seen) = (i, 1);
            }
            Some((_, (_, occurs))) => {
                if seen >= 1 && *occurs != Many {
                    return bad(format!("a second {} in {what}", name()));
                }
                seen += 1;
            }
        }
    }
    missing(places, at, seen, places.len(), what)
}

/// Refuse when a required place between `from` (where `seen` children matched) and `to` was
/// skipped.
fn missing(places: &[Place], from: usize, seen: usize, to: usize, what: &str) -> Result<(), Error> {
    for (i, (names, occurs)) in places.iter().enumerate().take(to).skip(from) {
        let matched = if i == from { seen } else { 0 };
        if *occurs == Required && matched == 0 {
            let (ns, local) = names.first().copied().unwrap_or_default();
            return Err(Error::SchemaViolation {
                detail: format!("{what} has no {{{ns}}}{local}"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, Limits};

    const HEAD: &str = "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
        xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
        xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:s1=\"urn:oasis:names:tc:SAML:1.0:assertion\"";

    fn response(children: &str) -> Result<(), Error> {
        let xml = format!("<samlp:Response {HEAD}>{children}</samlp:Response>");
        let d = parse(xml.as_bytes(), Limits::default()).unwrap();
        check_response(&d, d.root())
    }

    fn assertion(children: &str) -> Result<(), Error> {
        let xml = format!("<saml:Assertion {HEAD}>{children}</saml:Assertion>");
        let d = parse(xml.as_bytes(), Limits::default()).unwrap();
        check_assertion(&d, d.root())
    }

    #[test]
    fn response_children_follow_the_schema() {
        let ok = [
            "<samlp:Status/>",
            "<saml:Issuer/><ds:Signature/><samlp:Extensions/><samlp:Status/><saml:Assertion/>",
            "<saml:Issuer/> <samlp:Status/><saml:EncryptedAssertion/><saml:Assertion/>",
            // Auth0's placement of the Response signature.
            "<saml:Issuer/><samlp:Status/><saml:Assertion/><ds:Signature/>",
        ];
        for c in ok {
            assert_eq!(response(c), Ok(()), "{c}");
        }
        let bad = [
            "",                                                                 // no Status
            "<saml:Issuer/>",                                                   // no Status
            "<samlp:Status/><saml:Issuer/>",                                    // out of order
            "<saml:Issuer/><saml:Issuer/><samlp:Status/>",                      // second Issuer
            "<samlp:Status/><samlp:Status/>",                                   // second Status
            "<ds:Signature/><saml:Issuer/><samlp:Status/>",                     // out of order
            "<samlp:Status/><saml:Assertion/><samlp:Extensions/>",              // out of order
            "<samlp:Status/><x/>",                                              // unknown
            "<s1:Issuer/><samlp:Status/>",    // SAML 1.0 namespace
            "<samlp:Status/><s1:Assertion/>", // SAML 1.0 assertion
            "<samlp:Status/>text",            // text
            "<samlp:Status/><saml:Assertion/><ds:Signature/><ds:Signature/>", // second last
            "<samlp:Status/><saml:Assertion/><ds:Signature/><saml:Assertion/>", // after it
        ];
        for c in bad {
            assert!(
                matches!(response(c), Err(Error::SchemaViolation { .. })),
                "{c}: {:?}",
                response(c)
            );
        }
    }

    #[test]
    fn subject_children_follow_the_schema() {
        let subject = |c: &str| {
            let xml = format!("<saml:Subject {HEAD}>{c}</saml:Subject>");
            let d = parse(xml.as_bytes(), Limits::default()).unwrap();
            check_subject(&d, d.root())
        };
        for c in [
            "",
            "<saml:NameID/>",
            "<saml:NameID/><saml:SubjectConfirmation/><saml:SubjectConfirmation/>",
            "<saml:SubjectConfirmation/>",
            "<saml:EncryptedID/><saml:SubjectConfirmation/>",
        ] {
            assert_eq!(subject(c), Ok(()), "{c}");
        }
        for c in [
            "<saml:NameID/><saml:NameID/>",
            "<saml:EncryptedID/><saml:NameID/>",
            "<saml:SubjectConfirmation/><saml:NameID/>",
            "<saml:NameID/><saml:Foo/>",
            "<s1:NameIdentifier/>",
        ] {
            assert!(
                matches!(subject(c), Err(Error::SchemaViolation { .. })),
                "{c}"
            );
        }
    }

    #[test]
    fn assertion_children_follow_the_schema() {
        let ok = [
            "<saml:Issuer/>",
            "<saml:Issuer/><ds:Signature/><saml:Subject/><saml:Conditions/><saml:Advice/>\
             <saml:AuthnStatement/><saml:AttributeStatement/><saml:AuthnStatement/>",
            "<saml:Issuer/><saml:Subject/><saml:AttributeStatement/>",
        ];
        for c in ok {
            assert_eq!(assertion(c), Ok(()), "{c}");
        }
        let bad = [
            "",
            "<saml:Subject/>",
            "<saml:Issuer/><saml:Issuer/>",
            "<saml:Issuer/><saml:Subject/><saml:Subject/>",
            "<saml:Issuer/><saml:Conditions/><saml:Conditions/>",
            "<saml:Issuer/><saml:Conditions/><saml:Subject/>",
            "<saml:Issuer/><saml:AuthnStatement/><saml:Subject/>",
            "<saml:Issuer/><saml:AuthnStatement/><ds:Signature/>",
            "<saml:Issuer/><saml:Foo/>",
            "<saml:Issuer/><s1:Subject/>",
            "<saml:Issuer/><samlp:Status/>",
        ];
        for c in bad {
            assert!(
                matches!(assertion(c), Err(Error::SchemaViolation { .. })),
                "{c}: {:?}",
                assertion(c)
            );
        }
    }
}
