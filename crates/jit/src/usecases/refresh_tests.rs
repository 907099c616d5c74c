//! The refresh use case against in-memory settings, a fake metadata server and a recording
//! D1: what it stores, what it writes, what it answers.

use std::cell::RefCell;
use std::collections::BTreeMap;

use pollster::block_on;
use saml_verify::{Timestamp, TrustedKey};

use super::refresh::{refresh, Outcome, Run};
use super::tests::{doc, NOW};
use crate::admin::{apply, Role, SecurityChange};
use crate::memory::MemorySettings;
use crate::ports::{IdpRecords, MetadataFetcher, SettingsStore, StoreError};
use crate::rollover::CertFacts;
use crate::sql::Stmt;

const A: &str = include_str!("../../../saml-verify/tests/vectors/keys/idp.crt");
const B: &str = include_str!("../../../saml-verify/tests/vectors/keys/idp2.crt");
const URL: &str = "https://idp.example/metadata";

#[derive(Default)]
struct Records {
    facts: BTreeMap<String, CertFacts>,
    written: RefCell<Vec<Stmt>>,
}

impl IdpRecords for Records {
    async fn certificate_facts(
        &self,
        _company: &str,
    ) -> Result<BTreeMap<String, CertFacts>, StoreError> {
        Ok(self.facts.clone())
    }

    async fn write(&self, stmts: &[Stmt]) -> Result<(), StoreError> {
        self.written.borrow_mut().extend_from_slice(stmts);
        Ok(())
    }
}

struct Server(Result<String, String>);

impl MetadataFetcher for Server {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        assert_eq!(url, URL);
        self.0.clone().map(String::into_bytes)
    }
}

fn b64(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

fn metadata(certs: &[&str], valid_until: Option<&str>) -> String {
    let kds: String = certs
        .iter()
        .map(|c| {
            format!(
                "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}\
                 </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                b64(c)
            )
        })
        .collect();
    let vu = valid_until.map_or(String::new(), |v| format!(" validUntil=\"{v}\""));
    format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"https://idp\"{vu}>\
         <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         {kds}<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" \
         Location=\"https://idp.example/sso\"/></md:IDPSSODescriptor></md:EntityDescriptor>"
    )
}

/// `acme` pinning A, following `url` if given.
fn store(url: Option<&str>) -> MemorySettings {
    let s = MemorySettings::default();
    let mut d = doc(false);
    d.saml.idp_certificates = vec![A.to_owned()];
    d.saml.idp_metadata_url = url.map(str::to_owned);
    block_on(s.put("acme", &d)).unwrap();
    s
}

fn run_at(now: Timestamp) -> Run<'static> {
    Run {
        company: "acme",
        now,
        reference: "ref1",
        actor: "cron",
        loopback_origin: false,
    }
}

fn pinned(s: &MemorySettings) -> Vec<String> {
    let d = block_on(s.company("acme")).unwrap().unwrap();
    d.saml
        .idp_certificates
        .iter()
        .map(|p| {
            TrustedKey::from_certificate(p.as_bytes())
                .unwrap()
                .fingerprint()
        })
        .collect()
}

fn fp(pem: &str) -> String {
    TrustedKey::from_certificate(pem.as_bytes())
        .unwrap()
        .fingerprint()
}

fn events(r: &Records) -> Vec<String> {
    r.written
        .borrow()
        .iter()
        .filter(|s| s.sql.starts_with("INSERT INTO audit_log"))
        .map(|s| format!("{:?}", s.args[2]))
        .collect()
}

#[test]
fn announced_certificate_is_pinned_beside_the_current_one() {
    let s = store(Some(URL));
    let rec = Records::default();
    let server = Server(Ok(metadata(&[A, B], Some("2027-06-01T00:00:00Z"))));
    let report = block_on(refresh(&s, &rec, &server, run_at(NOW))).unwrap();
    assert_eq!(report.outcome, Outcome::Updated);
    assert_eq!(report.added, [fp(B)]);
    assert_eq!(pinned(&s), [fp(A), fp(B)]);
    let d = block_on(s.company("acme")).unwrap().unwrap();
    assert_eq!(
        d.saml.idp_sso_url.as_deref(),
        Some("https://idp.example/sso")
    );
    assert_eq!(events(&rec), ["Text(\"idp_refreshed\")"]);
    assert_eq!(report.certificates.len(), 2);
    assert_eq!(
        report.valid_until.as_deref(),
        Some("2027-06-01T00:00:00.000Z")
    );
    // Again: nothing more to change.
    let report = block_on(refresh(&s, &rec, &server, run_at(NOW))).unwrap();
    assert_eq!(report.outcome, Outcome::Unchanged);
}

#[test]
fn failures_change_nothing_and_are_audited() {
    let past = "2025-01-01T00:00:00Z";
    let other = metadata(&[B], None).replace("entityID=\"https://idp\"", "entityID=\"https://x\"");
    #[rustfmt::skip]
    let table: Vec<(&str, Result<String, String>, &str)> = vec![
        ("fetch failure", Err("the URL answered 500 (redirects are not followed)".into()), "fetch failed: the URL answered 500"),
        ("not metadata", Ok("<html>sign in</html>".into()), "the URL did not return IdP metadata"),
        ("too large", Ok(" ".repeat(super::metadata::MAX_METADATA_BYTES + 1)), "metadata over 256 KiB"),
        ("expired metadata", Ok(metadata(&[B], Some(past))), "the metadata expired (validUntil 2025-01-01"),
        ("another IdP", Ok(other), "another entity ID"),
    ];
    for (case, answer, reason) in table {
        let s = store(Some(URL));
        let rec = Records::default();
        let report = block_on(refresh(&s, &rec, &Server(answer), run_at(NOW))).unwrap();
        assert_eq!(report.outcome, Outcome::Failed, "{case}");
        assert!(
            report.error.as_deref().unwrap().contains(reason),
            "{case}: {:?}",
            report.error
        );
        assert_eq!(pinned(&s), [fp(A)], "{case}: unchanged");
        assert_eq!(events(&rec), ["Text(\"idp_refresh_failed\")"], "{case}");
        assert!(
            !format!("{:?}", rec.written.borrow()).contains("sign in"),
            "{case}: no content"
        );
    }
    // http is refused outside a loopback origin, before any fetch.
    let s = store(Some("http://idp.example/metadata"));
    let rec = Records::default();
    let report = block_on(refresh(
        &s,
        &rec,
        &Server(Err("unused".into())),
        run_at(NOW),
    ))
    .unwrap();
    assert_eq!(
        report.error.as_deref(),
        Some("fetch failed: not an https URL")
    );
}

#[test]
fn without_an_url_only_expiry_warnings_once_per_threshold() {
    let s = store(None);
    let server = Server(Err("never fetched".into()));
    let before = |days: i64| {
        Timestamp::parse("2099-12-31T23:59:59Z")
            .unwrap()
            .plus_seconds(-days * 86_400)
    };
    let rec = Records::default();
    let r = block_on(refresh(&s, &rec, &server, run_at(before(40)))).unwrap();
    assert_eq!((r.outcome, r.warnings.len()), (Outcome::NoMetadataUrl, 0));
    assert!(rec.written.borrow().is_empty());
    let r = block_on(refresh(&s, &rec, &server, run_at(before(29)))).unwrap();
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].starts_with("30 days: sha256 "),
        "{:?}",
        r.warnings
    );
    assert_eq!(events(&rec), ["Text(\"idp_certificate_expiring\")"]);
    // D1 remembers the 30-day warning: none at 20 days, the 7-day one at 6.
    let mut warned = Records::default();
    warned.facts.insert(
        fp(A),
        CertFacts {
            warned: crate::expiry::Warned {
                days_30: true,
                days_7: false,
            },
            ..CertFacts::default()
        },
    );
    let r = block_on(refresh(&s, &warned, &server, run_at(before(20)))).unwrap();
    assert!(r.warnings.is_empty());
    let r = block_on(refresh(&s, &warned, &server, run_at(before(6)))).unwrap();
    assert!(r.warnings[0].starts_with("7 days: "));
}

#[test]
fn an_import_from_an_url_is_followed_and_pasted_certificates_end_it() {
    let current = doc(false);
    let support = Role::Support;
    let mut change = SecurityChange {
        idp_certificates: Some(vec![A.to_owned()]),
        fetched_from: Some(URL.into()),
        ..SecurityChange::default()
    };
    let next = apply(&current, &change, &support, "acme").unwrap();
    assert_eq!(next.saml.idp_metadata_url.as_deref(), Some(URL));
    change.fetched_from = None;
    let manual = apply(&next, &change, &support, "acme").unwrap();
    assert_eq!(manual.saml.idp_metadata_url, None);
    let untouched = apply(&next, &SecurityChange::default(), &support, "acme").unwrap();
    assert_eq!(untouched.saml.idp_metadata_url.as_deref(), Some(URL));
    // The expired-certificates policy is the company admin's to choose.
    let admin = Role::Admin {
        company: "acme".into(),
    };
    let refuse: SecurityChange =
        crate::wire::from_slice(br#"{"expired_certificates":"refuse"}"#).unwrap();
    let next = apply(&current, &refuse, &admin, "acme").unwrap();
    assert_eq!(
        next.saml.expired_certificates,
        crate::settings::ExpiredCertificates::Refuse
    );
    assert!(next
        .to_json()
        .contains(r#""expired_certificates":"refuse""#));
    assert!(
        !current.to_json().contains("expired_certificates"),
        "default not written"
    );
}

#[test]
fn the_route_refuses_a_company_without_an_url_and_writes_nothing() {
    use super::refresh::requested;
    let s = store(None);
    let rec = Records::default();
    let server = Server(Err("never fetched".into()));
    let near = Timestamp::parse("2099-12-20T00:00:00Z").unwrap();
    let e = block_on(requested(&s, &rec, &server, &Role::Support, run_at(near))).unwrap_err();
    assert_eq!(e.code(), crate::Code::InvalidField);
    assert!(rec.written.borrow().is_empty(), "not even the due warning");
    let s = store(Some(URL));
    let server = Server(Ok(metadata(&[A], None)));
    let admin = Role::Admin {
        company: "acme".into(),
    };
    let r = block_on(requested(&s, &rec, &server, &admin, run_at(NOW))).unwrap();
    assert_eq!(r.outcome, Outcome::Unchanged);
    let audit = rec.written.borrow().last().unwrap().args.clone();
    assert_eq!(
        audit[7],
        crate::sql::Value::Text("admin".into()),
        "the actor"
    );
}
