//! Issue #11, finding 1: an unauthenticated request must not cost more than a parse.
//!
//! The crafted input (examples/pre_auth_inputs.rs) carries a forged signature whose c14n
//! PrefixList names 32 undeclared prefixes over ~500 in-scope declarations and ~250,000
//! elements. Before the fix it took ~4 s natively to refuse: the whole document was
//! canonicalized before SignedInfo's signature was checked, and c14n scanned every in-scope
//! binding per listed prefix at every element. These tests fail on that code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../examples/pre_auth_inputs.rs"]
mod pre_auth_inputs;

use std::time::{Duration, Instant};

use saml_verify::xml::c14n::{canonicalize, Budget};
use saml_verify::xml::{parse, Limits};
use saml_verify::{verify, Error, Timestamp, Trust, TrustedKey};

fn trust() -> Trust {
    let cert = include_bytes!("vectors/keys/idp.crt");
    let key = TrustedKey::from_certificate(cert).unwrap();
    Trust::new(
        pre_auth_inputs::IDP,
        vec![key],
        pre_auth_inputs::SP,
        pre_auth_inputs::ACS,
    )
}

/// The fastest of `runs` timings of `f`: the least disturbed by other work on the machine.
fn fastest(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn forged_signature_is_refused_before_any_document_sized_work() {
    let (crafted, plain) = pre_auth_inputs::inputs();
    assert_eq!(crafted.len(), plain.len());
    let trust = trust();
    let now = Timestamp::parse("2026-01-01T00:01:00Z").unwrap();
    // The verdicts: the forged SignedInfo signature is what refuses the crafted input (not the
    // digest, which would mean the document was canonicalized first).
    assert_eq!(
        verify(&crafted, &trust, now, None).unwrap_err(),
        Error::SignatureInvalid
    );
    assert_eq!(
        verify(&plain, &trust, now, None).unwrap_err(),
        Error::SignatureMissing
    );
    let t_crafted = fastest(5, || {
        let _ = verify(&crafted, &trust, now, None);
    });
    let t_plain = fastest(5, || {
        let _ = verify(&plain, &trust, now, None);
    });
    let ratio = t_crafted.as_secs_f64() / t_plain.as_secs_f64();
    eprintln!("crafted {t_crafted:?}, plain {t_plain:?}, ratio {ratio:.2}");
    assert!(ratio <= 3.0, "crafted {t_crafted:?} vs plain {t_plain:?}");
}

/// Canonicalizing the crafted document with its 32-prefix list is linear: within 3× of the
/// same-sized plain document, whose c14n has no list at all.
#[test]
fn c14n_is_linear_for_any_prefix_list() {
    let (crafted, plain) = pre_auth_inputs::inputs();
    let prefixes: Vec<String> = (0..32).map(|i| format!("u{i}")).collect();
    let c = parse(&crafted, Limits::default()).unwrap();
    let p = parse(&plain, Limits::default()).unwrap();
    let run = |d: &saml_verify::xml::Document, list: &[String]| {
        let mut out = Vec::new();
        canonicalize(
            d,
            d.root(),
            None,
            list,
            Budget::for_input(d.source_len()),
            &mut out,
        )
        .unwrap();
        out.len()
    };
    let t_crafted = fastest(5, || {
        run(&c, &prefixes);
    });
    let t_plain = fastest(5, || {
        run(&p, &[]);
    });
    let ratio = t_crafted.as_secs_f64() / t_plain.as_secs_f64();
    eprintln!("c14n crafted {t_crafted:?}, plain {t_plain:?}, ratio {ratio:.2}");
    assert!(ratio <= 3.0, "crafted {t_crafted:?} vs plain {t_plain:?}");
}

/// Exclusive c14n can write far more than it reads: a long declaration on the parent, used by
/// each of many children, is rendered on every child. The budget stops it.
#[test]
fn c14n_budget_stops_namespace_amplification() {
    let uri = format!("urn:{}", "x".repeat(10_000));
    let doc = format!("<r xmlns:p=\"{uri}\">{}</r>", "<p:c/>".repeat(100_000));
    let d = parse(doc.as_bytes(), Limits::default()).unwrap();
    let budget = Budget::for_input(d.source_len());
    let mut out = Vec::new();
    let err = canonicalize(&d, d.root(), None, &[], budget, &mut out).unwrap_err();
    assert_eq!(err.limit, budget.0);
    assert!(out.len() <= budget.0);
    // The same shape, small, fits: the budget is not in the way of real documents.
    let small = format!("<r xmlns:p=\"{uri}\">{}</r>", "<p:c/>".repeat(10));
    let d = parse(small.as_bytes(), Limits::default()).unwrap();
    let mut out = Vec::new();
    canonicalize(
        &d,
        d.root(),
        None,
        &[],
        Budget::for_input(d.source_len()),
        &mut out,
    )
    .unwrap();
    assert_eq!(out.len(), 7 + 10 * (uri.len() + 22));
}
