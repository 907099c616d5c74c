//! Replays the committed fuzz seeds (`fuzz/corpus/*/`) and any saved reproducers
//! (`fuzz/regressions/**`) through the cargo-fuzz harness functions on stable, so CI checks what
//! the nightly fuzzers check: every file goes through all four harnesses (parse + c14n round
//! trip, structured c14n, whole `verify` raw and base64, the RSA limb-width differential),
//! which must not panic.
#![allow(
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.is_file()
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            && path.extension().is_none_or(|x| x != "md")
        {
            out.push(path);
        }
    }
}

fn replay(dirs: &[&str]) -> (usize, Vec<String>) {
    let mut files = Vec::new();
    for d in dirs {
        files_under(&fuzz_dir().join(d), &mut files);
    }
    files.sort();
    let mut failures = Vec::new();
    let harnesses: [(&str, fn(&[u8])); 4] = [
        ("xml_roundtrip", harness::xml_roundtrip),
        ("c14n_structured", harness::c14n_structured),
        ("verify_no_panic", harness::verify_no_panic),
        ("rsa_differential", harness::rsa_diff::rsa_differential),
    ];
    for f in &files {
        let data = std::fs::read(f).unwrap();
        for (name, h) in harnesses {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| h(&data))) {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{} [{name}]: {msg}", f.display()));
            }
        }
    }
    (files.len(), failures)
}

#[test]
fn every_committed_seed_passes_every_harness() {
    let (n, failures) = replay(&["corpus"]);
    assert!(n >= 30, "only {n} seed files under fuzz/corpus");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_saved_regression_passes_every_harness() {
    let (_, failures) = replay(&["regressions"]);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The seeds really reach the verifier: the valid ones verify under the fuzz trust.
#[test]
fn valid_seeds_verify_under_the_fuzz_trust() {
    let (trust, _, now) = harness::fuzz_trust();
    for name in [
        "valid_generic-assertion-signed.xml",
        "valid_generic-response-signed.xml",
        "valid_generic-both-signed.xml",
    ] {
        let data = std::fs::read(fuzz_dir().join("corpus/verify").join(name)).unwrap();
        let got = saml_verify::verify(&data, trust, *now, None);
        assert!(got.is_ok(), "{name}: {got:?}");
        let b64 = harness::base64(&data, true);
        assert!(
            saml_verify::verify(&b64, trust, *now, None).is_ok(),
            "{name} as base64"
        );
    }
}

/// The RSA seeds reach a true verdict: each `valid_*` seed holds a genuine signature that
/// verifies on both limb widths and by the `rsa` crate, and the short-digest seed is refused.
#[test]
fn rsa_seeds_hold_genuine_signatures() {
    let dir = fuzz_dir().join("corpus/rsa_verify");
    let mut valid = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let got = harness::rsa_diff::rsa_check(&std::fs::read(&path).unwrap());
        if name.starts_with("valid_") {
            assert_eq!(got, Some(true), "{name}");
            valid += 1;
        } else if name.starts_with("short-digest") {
            assert_eq!(got, Some(false), "{name}");
        }
    }
    assert!(valid >= 8, "only {valid} valid RSA seeds");
}

/// The structured generator mostly produces documents the parser accepts (else the c14n target
/// and its seeds would test little).
#[test]
fn structured_generator_mostly_parses() {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut ok = 0;
    for _ in 0..500 {
        let data: Vec<u8> = (0..200)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let xml = harness::generate_xml(&data);
        if saml_verify::xml::parse(xml.as_bytes(), saml_verify::xml::Limits::default()).is_ok() {
            ok += 1;
        }
        harness::c14n_structured(&data);
    }
    assert!(ok >= 300, "only {ok}/500 generated documents parse");
}
