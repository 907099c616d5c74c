//! The rollover decision, table-tested: A is the pinned certificate, B the IdP's next one.

use super::*;

const A: &str = include_str!("../../saml-verify/tests/vectors/keys/idp.crt");
const B: &str = include_str!("../../saml-verify/tests/vectors/keys/idp2.crt");
const C: &str = include_str!("../../saml-verify/tests/vectors/keys/idp4096.crt");
const IDP: &str = "https://idp.example/md";
const DAY: i64 = 86_400;

fn key(pem: &str) -> TrustedKey {
    TrustedKey::from_certificate(pem.as_bytes()).unwrap()
}

fn fp(pem: &str) -> String {
    key(pem).fingerprint()
}

fn md(certs: &[&str], valid_until: Option<Timestamp>) -> IdpMetadata {
    IdpMetadata {
        entity_id: IDP.into(),
        signing_keys: certs.iter().map(|c| key(c)).collect(),
        sso_services: vec![(
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect".into(),
            "https://idp.example/sso".into(),
        )],
        valid_until,
    }
}

fn now() -> Timestamp {
    Timestamp::parse("2026-12-04T12:00:00Z").unwrap()
}

fn days_ago(d: i64) -> Option<Timestamp> {
    Some(now().plus_seconds(-d * DAY))
}

/// Facts: (certificate, left_metadata_at, first_verified_at).
type Facts<'a> = &'a [(&'a str, Option<Timestamp>, Option<Timestamp>)];
/// A row: case, pinned, metadata, facts, then pinned after, added, removed, pending, left now.
type Row<'a> = (
    &'a str,
    &'a [&'a str],
    &'a [&'a str],
    Vec<(&'a str, Option<Timestamp>, Option<Timestamp>)>,
    Vec<&'a str>,
    Vec<&'a str>,
    Vec<&'a str>,
    Vec<&'a str>,
    Vec<&'a str>,
);

fn facts(list: Facts<'_>) -> BTreeMap<String, CertFacts> {
    list.iter()
        .map(|(c, left, verified)| {
            let f = CertFacts {
                left_metadata_at: *left,
                first_verified_at: *verified,
                warned: Warned::default(),
            };
            (fp(c), f)
        })
        .collect()
}

/// The fingerprints of a PEM list, by the certificates' names here.
fn names(pems: &[String]) -> Vec<&'static str> {
    pems.iter().map(|p| name(&fp(p))).collect()
}

fn name(f: &str) -> &'static str {
    [("A", A), ("B", B), ("C", C)]
        .into_iter()
        .find(|(_, c)| fp(c) == f)
        .map_or("?", |(n, _)| n)
}

fn fps(list: &[String]) -> Vec<&'static str> {
    list.iter().map(|f| name(f)).collect()
}

#[test]
fn rollover_table() {
    let v = days_ago(1);
    #[rustfmt::skip]
    let table: Vec<Row<'_>> = vec![
        // (case, pinned, metadata, facts, => pinned after, added, removed, pending, left_now)
        ("same certificate: nothing changes", &[A], &[A], vec![], vec!["A"], vec![], vec![], vec![], vec![]),
        ("announced: B pinned beside A", &[A], &[A, B], vec![], vec!["A", "B"], vec!["B"], vec![], vec![], vec![]),
        ("overlap, IdP signs with B", &[A, B], &[A, B], vec![(B, None, v)], vec!["A", "B"], vec![], vec![], vec![], vec![]),
        ("A leaves, B has verified: A removed", &[A, B], &[B], vec![(B, None, v)], vec!["B"], vec![], vec!["A"], vec![], vec![]),
        ("A leaves, B never verified: A kept, left now", &[A, B], &[B], vec![], vec!["A", "B"], vec![], vec![], vec!["A"], vec!["A"]),
        ("A left 3 days ago, B not verified: kept", &[A, B], &[B], vec![(A, days_ago(3), v)], vec!["A", "B"], vec![], vec![], vec!["A"], vec![]),
        ("A left 7 days ago: grace over, removed", &[A, B], &[B], vec![(A, days_ago(7), v)], vec!["B"], vec![], vec!["A"], vec![], vec![]),
        ("A verified long ago does not count once gone", &[A, B], &[B], vec![(A, None, days_ago(300))], vec!["A", "B"], vec![], vec![], vec!["A"], vec!["A"]),
        ("straight swap, B new: A kept until B verifies", &[A], &[B], vec![], vec!["A", "B"], vec!["B"], vec![], vec!["A"], vec!["A"]),
        ("swap, B verified (pinned by hand): A removed", &[A, B], &[C, B], vec![(B, None, v)], vec!["B", "C"], vec!["C"], vec!["A"], vec![], vec![]),
        ("a duplicate pin is written once", &[A, A], &[A], vec![], vec!["A"], vec![], vec![], vec![], vec![]),
    ];
    for (case, pinned, meta, f, after, added, removed, pending, left_now) in table {
        let current: Vec<String> = pinned.iter().map(|s| s.to_string()).collect();
        let r = plan(&current, IDP, &md(meta, None), &facts(&f), now()).unwrap();
        assert_eq!(names(&r.certificates), after, "{case}: pinned");
        assert_eq!(fps(&r.added), added, "{case}: added");
        assert_eq!(fps(&r.removed), removed, "{case}: removed");
        assert_eq!(fps(&r.pending), pending, "{case}: pending");
        assert_eq!(fps(&r.left_now), left_now, "{case}: left_now");
        assert!(!r.certificates.is_empty(), "{case}: never empty");
        assert_eq!(
            r.changed(),
            !added.is_empty() || !removed.is_empty(),
            "{case}"
        );
        assert_eq!(r.sso_url.as_deref(), Some("https://idp.example/sso"));
        // Kept certificates are written back exactly as they were.
        for p in &r.certificates {
            if current.contains(p) {
                continue;
            }
            assert!(p.starts_with("-----BEGIN CERTIFICATE-----\n"), "{case}");
        }
    }
}

#[test]
fn stale_or_foreign_metadata_changes_nothing() {
    let current = vec![A.to_string()];
    let f = facts(&[]);
    let past = days_ago(0);
    let r = plan(&current, IDP, &md(&[B], past), &f, now());
    assert_eq!(r, Err(Unchanged::Expired(now())));
    let future = Some(now().plus_seconds(60));
    let ok = plan(&current, IDP, &md(&[A, B], future), &f, now()).unwrap();
    assert_eq!(ok.valid_until, future);
    assert_eq!(fps(&ok.added), ["B"]);
    let r = plan(
        &current,
        "https://other.example",
        &md(&[B], None),
        &f,
        now(),
    );
    assert_eq!(r, Err(Unchanged::OtherEntity(IDP.into())));
    let mut empty = md(&[A], None);
    empty.signing_keys.clear();
    assert_eq!(
        plan(&current, IDP, &empty, &f, now()),
        Err(Unchanged::NotMetadata)
    );
    assert!(Unchanged::Expired(now())
        .reason()
        .contains("2026-12-04T12:00:00.000Z"));
}

#[test]
fn a_certificate_back_in_the_metadata_is_no_longer_gone() {
    let current = vec![A.to_string(), B.to_string()];
    let f = facts(&[(A, days_ago(2), None)]);
    let r = plan(&current, IDP, &md(&[A, B], None), &f, now()).unwrap();
    assert_eq!(fps(&r.returned), ["A"]);
    assert!(r.pending.is_empty() && r.removed.is_empty() && !r.changed());
}
