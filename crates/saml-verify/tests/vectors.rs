//! Vectors signed by independent signers (xmlsec1, signxml) through `tests/vectors/generate.py`:
//! IdP-shaped valid responses, one per attack class, one per failed condition, malformed input.
//! And exclusive c14n checked differentially against `xmllint --exc-c14n` over all of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use saml_verify::xml::{
    c14n::{canonicalize, Budget},
    parse, Limits,
};
use saml_verify::{verify, Timestamp, Trust, TrustedKey};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn trust(base: &Path, s: &Value) -> Trust {
    let keys = s["certs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            TrustedKey::from_certificate(&std::fs::read(base.join(c.as_str().unwrap())).unwrap())
                .unwrap()
        })
        .collect();
    let mut t = Trust::new(
        s["idp_entity_id"].as_str().unwrap(),
        keys,
        s["sp_entity_id"].as_str().unwrap(),
        s["acs_url"].as_str().unwrap(),
    );
    t.allow_sha1 = s["allow_sha1"].as_bool().unwrap();
    t.skew_seconds = s["skew_seconds"].as_u64().unwrap() as u32;
    for k in s["sp_keys"].as_array().into_iter().flatten() {
        let pem = std::fs::read_to_string(base.join(k.as_str().unwrap())).unwrap();
        t.sp_keys
            .push(saml_verify::DecryptionKey::from_pem(&pem).unwrap());
    }
    t
}

/// Run every entry of a manifest, decrypting with RSA blinding when `blinded` (a different
/// seed per vector); returns (accepted, refused).
fn run_manifest(base: &Path, blinded: bool) -> (usize, usize) {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(base.join("manifest.json")).unwrap()).unwrap();
    let vectors = manifest["vectors"].as_array().unwrap();
    let (mut ok, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for v in vectors {
        let file = v["file"].as_str().unwrap();
        let s = &v["settings"];
        let input = std::fs::read(base.join(file)).unwrap();
        let now = Timestamp::parse(s["now"].as_str().unwrap()).unwrap();
        let mut t = trust(base, s);
        if blinded {
            let mut seed = [0u8; 32];
            for (i, b) in file.bytes().enumerate() {
                seed[i % 32] ^= b.rotate_left(i as u32 % 8);
            }
            t.blinding = Some(saml_verify::BlindingSeed::new(seed));
        }
        let got = verify(&input, &t, now, s["in_response_to"].as_str());
        let e = &v["expect"];
        match (e["ok"].as_bool().unwrap(), got) {
            (true, Ok(a)) => {
                for (key, actual) in [
                    ("name_id", Some(a.name_id.clone())),
                    ("email", a.email.clone()),
                    ("name_id_format", a.name_id_format.clone()),
                    ("issuer", Some(a.issuer.clone())),
                    ("assertion_id", Some(a.assertion_id.clone())),
                ] {
                    if e.get(key).is_some() && e[key].as_str().map(str::to_owned) != actual {
                        failures.push(format!("{file}: {key} = {actual:?}, expected {}", e[key]));
                    }
                }
                // The key that verified is one of the pinned ones; for the rollover vector
                // (idp.crt and idp2.crt pinned), idp2's.
                let signer = t.idp_keys.iter().find(|k| k.fingerprint() == a.signing_key);
                let expected_cn = match file.contains("idp2-rollover") {
                    true => "CN=idp2.decorumsoft.test (rollover)",
                    false => "",
                };
                match signer {
                    None => failures.push(format!(
                        "{file}: signing_key {} is not pinned",
                        a.signing_key
                    )),
                    Some(k) if !k.subject().ends_with(expected_cn) => {
                        failures.push(format!("{file}: signed by {}", k.subject()))
                    }
                    Some(_) => {}
                }
                ok += 1;
            }
            (false, Err(err)) => {
                let allowed: Vec<&str> = e["error"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect();
                if !allowed.contains(&err.code()) {
                    failures.push(format!(
                        "{file}: refused with {} ({err}), expected one of {allowed:?}",
                        err.code()
                    ));
                }
                refused += 1;
            }
            (true, Err(err)) => failures.push(format!(
                "{file}: refused with {} ({err}), expected success",
                err.code()
            )),
            (false, Ok(a)) => failures.push(format!(
                "{file}: ACCEPTED as {:?}, expected {}",
                a.name_id, e["error"]
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (ok, refused)
}

#[test]
fn every_vector_gets_its_expected_verdict() {
    let (ok, refused) = run_manifest(&dir(), false);
    assert!(ok >= 20 && refused >= 60, "ok {ok}, refused {refused}");
}

/// Encrypted assertions made by xmlsec1 (`tests/vectors/encrypted/generate.py`): every content
/// cipher, both key transports, Okta's detached EncryptedKey, rollover, and the failures;
/// with and without RSA blinding.
#[test]
fn every_encrypted_vector_gets_its_expected_verdict() {
    for blinded in [true, false] {
        let (ok, refused) = run_manifest(&dir().join("encrypted"), blinded);
        assert!(ok >= 12 && refused >= 10, "ok {ok}, refused {refused}");
    }
}

/// Our exclusive c14n of every vector's document element equals xmllint's, byte for byte.
#[test]
fn c14n_matches_xmllint() {
    let base = dir();
    let index: Value =
        serde_json::from_slice(&std::fs::read(base.join("c14n/index.json")).unwrap()).unwrap();
    let pairs = index["pairs"].as_array().unwrap();
    let mut cases = pairs
        .iter()
        .map(|p| {
            (
                p["input"].as_str().unwrap().to_owned(),
                p["output"].as_str().unwrap().to_owned(),
            )
        })
        .collect::<Vec<_>>();
    for entry in std::fs::read_dir(base.join("c14n/cases")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            let rel = path.strip_prefix(&base).unwrap().display().to_string();
            cases.push((rel.clone(), rel.replace(".xml", ".exc")));
        }
    }
    assert!(cases.len() >= 80, "{} c14n cases", cases.len());
    let (mut failures, mut compared, mut duplicate_ids) = (Vec::new(), 0, 0);
    for (input, output) in &cases {
        let bytes = std::fs::read(base.join(input)).unwrap();
        let doc = match parse(&bytes, Limits::default()) {
            Ok(d) => d,
            // Wrapping attacks that clone a signed element: refused before c14n by design.
            Err(e) if e.code() == "duplicate_id" => {
                duplicate_ids += 1;
                continue;
            }
            Err(e) => {
                failures.push(format!("{input}: does not parse: {e}"));
                continue;
            }
        };
        compared += 1;
        let mut ours = Vec::new();
        canonicalize(
            &doc,
            doc.root(),
            None,
            &[],
            Budget::for_input(doc.source_len()),
            &mut ours,
        )
        .unwrap();
        let theirs = std::fs::read(base.join(output)).unwrap();
        if ours != theirs {
            failures.push(format!(
                "{input}:\n  ours:    {}\n  xmllint: {}",
                String::from_utf8_lossy(&ours)
                    .chars()
                    .take(400)
                    .collect::<String>(),
                String::from_utf8_lossy(&theirs)
                    .chars()
                    .take(400)
                    .collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} c14n differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        compared >= 80 && duplicate_ids <= 5,
        "compared {compared}, skipped {duplicate_ids}"
    );
}

/// SP- versus IdP-initiated decides provisioning, so it is read from signed data only: an
/// InResponseTo added to the unsigned Response around an IdP-initiated signed assertion is
/// refused, and an IdP-initiated one stays IdP-initiated.
#[test]
fn in_response_to_only_on_an_unsigned_response_is_refused() {
    let base = dir();
    let xml =
        String::from_utf8(std::fs::read(base.join("valid/generic-assertion-signed.xml")).unwrap())
            .unwrap();
    let settings: Value = serde_json::json!({
        "idp_entity_id": "https://idp.example.org/saml2/metadata",
        "sp_entity_id": "https://sp.example.com/saml/acme/metadata",
        "acs_url": "https://sp.example.com/saml/acme/acs",
        "certs": ["keys/idp.crt"], "allow_sha1": false, "skew_seconds": 180,
    });
    let trust = trust(&base, &settings);
    let now = Timestamp::parse("2026-01-01T00:01:00Z").unwrap();
    let caller = saml_verify::InResponseTo::CallerChecks;
    let v = saml_verify::verify_with(xml.as_bytes(), &trust, now, caller).unwrap();
    assert_eq!(v.in_response_to, None);
    let forged = xml.replacen(
        "<samlp:Response ",
        "<samlp:Response InResponseTo=\"_pending\" ",
        1,
    );
    assert_ne!(forged, xml);
    let err = saml_verify::verify_with(forged.as_bytes(), &trust, now, caller).unwrap_err();
    assert_eq!(err.code(), "in_response_to_mismatch");
}
