//! Quick timing of verification while developing (`N=2000 cargo run --release --example
//! verify_timing`; under `valgrind --tool=callgrind` for instruction counts). The benchmark that
//! the README quotes is `bash bench/run.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use saml_verify::{verify, Timestamp, Trust, TrustedKey};
fn main() {
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
    let cert = std::fs::read(format!("{base}keys/idp.crt")).unwrap();
    let trust = Trust::new(
        "https://idp.example.org/saml2/metadata",
        vec![TrustedKey::from_certificate(&cert).unwrap()],
        "https://sp.example.com/saml/acme/metadata",
        "https://sp.example.com/saml/acme/acs",
    );
    let now = Timestamp::parse("2026-01-01T00:01:00Z").unwrap();
    for f in [
        "valid/generic-both-signed.xml",
        "valid/generic-assertion-signed.xml",
    ] {
        let xml = std::fs::read(format!("{base}{f}")).unwrap();
        let mut t: Vec<f64> = (0..std::env::var("N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000))
            .map(|_| {
                let s = std::time::Instant::now();
                verify(&xml, &trust, now, None).unwrap();
                s.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{f}: {} bytes, median {:.1} us, p99 {:.1} us",
            xml.len(),
            t[t.len() / 2],
            t[t.len() * 99 / 100]
        );
    }
}
