#![allow(clippy::unwrap_used)]

use super::*;
use crate::setup_text::ALL;
use jit::lifecycle::Membership;
use jit::test_sign_in::Failed;

#[test]
fn every_set_up_string_has_both_languages() {
    for k in ALL {
        assert!(
            !s(Lang::En, k).is_empty() && !s(Lang::Fr, k).is_empty(),
            "{k:?}"
        );
        if !matches!(k, S::NameId) {
            assert_ne!(s(Lang::En, k), s(Lang::Fr, k), "{k:?}");
        }
    }
}

#[test]
fn a_failed_test_explains_the_check_in_both_languages() {
    let r = Report {
        failure: Some(Failed {
            code: "audience_mismatch".into(),
            detail: "Audience <x> is not the SP".into(),
        }),
        outcome: "audience_mismatch".into(),
        ..Report::default()
    };
    let en = report_body(Lang::En, "acme", &r);
    assert!(en.contains("<code id=\"failed_code\">audience_mismatch</code>"));
    assert!(en.contains("set the Audience"));
    assert!(en.contains("&lt;x&gt;"), "detail escaped");
    let fr = report_body(Lang::Fr, "acme", &r);
    assert!(fr.contains("indiquez comme Audience"));
    assert!(
        !fr.contains("report_email"),
        "no identity rows after a failed verification"
    );
}

#[test]
fn a_passed_test_shows_the_rules_and_what_would_happen() {
    let r = Report {
        email: Some("jane@decorumsoft.com".into()),
        domain: Some("decorumsoft.com".into()),
        domain_witness: Some("jon@decorumsoft.com".into()),
        outcome: "provision".into(),
        memberships: vec![Membership::new("main", "member")],
        ..Report::default()
    };
    let en = report_body(Lang::En, "acme", &r);
    assert!(en.contains("has a confirmed user, jon@decorumsoft.com"));
    assert!(en.contains("create the account"));
    assert!(en.contains("<code>main</code> / <code>member</code>"));
    let refused = Report {
        domain: Some("decorumsoft.eu".into()),
        outcome: "domain_not_allowed".into(),
        ..r
    };
    let fr = report_body(
        Lang::Fr,
        "acme",
        &Report {
            domain_witness: None,
            ..refused
        },
    );
    assert!(fr.contains("non autorisé"));
    assert!(fr.contains("serait refusée"));
}

#[test]
fn the_log_lists_references_and_pages_older_rows() {
    let row = AuditRow {
        at: "2026-12-04T10:00:00.000Z".into(),
        event: "refused".into(),
        email: Some("jon@decorumsoft.com".into()),
        assertion_id: None,
        reason: Some("domain_not_allowed".into()),
        reference: "ab12cd34".into(),
        actor: Some("saml".into()),
        detail: None,
    };
    let html = log_body(Lang::En, "acme", &[(41, row)], Some(41));
    assert!(html.contains("<code class=\"reference\">ab12cd34</code>"));
    assert!(html.contains("no confirmed user in this company"));
    assert!(html.contains("before=41"));
}

#[test]
fn pasted_pems_split_per_certificate() {
    let two = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----";
    let got = split_pems(two);
    assert_eq!(got.len(), 2);
    assert!(got[1].contains("BBB"));
    assert_eq!(split_pems("  \n"), Vec::<String>::new());
}
