use std::collections::BTreeSet;

use super::*;
use crate::refusal_text::Lang;

#[test]
fn every_code_is_stable_snake_case_with_a_status_and_both_texts() {
    let mut seen = BTreeSet::new();
    for &code in Code::ALL {
        let s = code.as_str();
        assert!(seen.insert(s), "{s} declared twice");
        assert!(
            s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{s} is not snake_case"
        );
        assert!((400..600).contains(&code.status()), "{s}");
        let (en, fr) = (code.message().text(Lang::En), code.message().text(Lang::Fr));
        assert!(!en.is_empty() && !fr.is_empty() && en != fr, "{s}");
        assert_eq!(code, s);
        assert_eq!(code.to_string(), s);
    }
    // A few codes pinned by value: the contract does not move with a reordering of the table.
    assert_eq!(Code::AssertionReplayed.as_str(), "assertion_replayed");
    assert_eq!(Code::ContentTypeUnsupported.status(), 415);
    assert_eq!(Code::UserExists.status(), 409);
    assert_eq!(Code::Unauthorized.status(), 401);
    assert_eq!(Code::InternalError.status(), 500);
}

fn s() -> String {
    "x".to_owned()
}

/// Every variant the verifier has today, with the status the edge has always answered.
fn verifier_errors() -> Vec<(saml_verify::Error, u16)> {
    use saml_verify::Error as E;
    let (a, b) = (s(), s());
    vec![
        (E::InputEmpty, 400),
        (E::InputTooLarge { size: 2, limit: 1 }, 413),
        (E::Base64Invalid, 400),
        (E::XmlMalformed { detail: s() }, 400),
        (E::DoctypeForbidden, 400),
        (E::DepthExceeded { limit: 1 }, 400),
        (E::DuplicateAttribute { name: s() }, 400),
        (E::DuplicateId { id: s() }, 403),
        (E::NotAResponse { found: s() }, 400),
        (E::VersionUnsupported { found: s() }, 403),
        (E::StatusNotSuccess { status: s() }, 403),
        (E::AssertionMissing, 403),
        (E::MultipleAssertions { count: 2 }, 403),
        (E::EncryptedAssertionUnsupported, 403),
        (E::DecryptionFailed, 403),
        (E::SignatureMissing, 403),
        (E::SignatureMalformed { detail: s() }, 403),
        (E::SignatureMisplaced { parent: s() }, 403),
        (E::ReferenceInvalid { uri: s() }, 403),
        (E::TransformForbidden { algorithm: s() }, 403),
        (E::AlgorithmUnsupported { algorithm: s() }, 403),
        (E::Sha1Forbidden, 403),
        (E::DigestMismatch, 403),
        (E::SignatureInvalid, 403),
        (E::UntrustedKey, 403),
        (
            E::IssuerMismatch {
                expected: a.clone(),
                actual: b.clone(),
            },
            403,
        ),
        (
            E::DestinationMismatch {
                expected: a.clone(),
                actual: b.clone(),
            },
            403,
        ),
        (
            E::AudienceMismatch {
                expected: a.clone(),
                actual: vec![],
            },
            403,
        ),
        (
            E::RecipientMismatch {
                expected: a.clone(),
                actual: vec![],
            },
            403,
        ),
        (E::BearerMissing, 403),
        (
            E::NotYetValid {
                not_before: a.clone(),
                now: b.clone(),
            },
            403,
        ),
        (
            E::Expired {
                not_on_or_after: a,
                now: b,
            },
            403,
        ),
        (
            E::InResponseToMismatch {
                expected: None,
                actual: None,
            },
            403,
        ),
        (E::AuthnStatementMissing, 403),
        (E::NameIdMissing, 403),
        (E::EmailMismatch { attribute: s() }, 403),
        (E::IdentityMarkup { field: s() }, 403),
        (E::SchemaViolation { detail: s() }, 403),
        (E::WorkLimitExceeded { limit: 1 }, 403),
        (E::ConditionUnknown { name: s() }, 403),
        (E::TrustConfigInvalid { detail: s() }, 403),
    ]
}

#[test]
fn verifier_errors_map_by_variant_to_their_own_code() {
    for (e, status) in verifier_errors() {
        let r = Refusal::from(&e);
        assert_eq!(r.code.as_str(), e.code(), "{e:?}");
        assert_eq!(r.status(), status, "{e:?}");
        assert_eq!(r.detail, e.to_string());
    }
}

/// The backticked codes of README's "Error codes" section.
fn readme_codes() -> BTreeSet<String> {
    let readme = include_str!("../../../README.md");
    let start = readme.find("### Error codes").unwrap_or(readme.len());
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end]
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_lists_exactly_the_codes_of_the_enum() {
    let listed = readme_codes();
    let declared: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert!(listed.len() > 60, "README section not found: {listed:?}");
    let missing: Vec<_> = declared.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&declared).collect();
    assert!(missing.is_empty(), "codes missing from README: {missing:?}");
    assert!(
        extra.is_empty(),
        "README codes the service never returns: {extra:?}"
    );
}
