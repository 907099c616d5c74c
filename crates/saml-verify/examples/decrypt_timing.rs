//! Decryption timing by failure kind (issue #11, finding 4): a benchmark, not a CI test.
//!
//! From one encrypted vector (aes256-cbc, rsa-oaep-mgf1p, Assertion signed, Response unsigned)
//! it makes two more: the EncryptedKey's ciphertext altered (OAEP fails) and the last-but-one
//! CBC block altered so that the padding byte is out of range (padding fails). Each is verified
//! RUNS times, interleaved, with a fresh blinding seed each time as the worker does; it prints one
//! JSON line with the median and p10/p90 in microseconds per kind, and the ratios of the medians.
//! Every failure must take the same path, so the three should be within noise of each other.
//!
//! ```text
//! cargo run --release -p saml-verify --example decrypt_timing -- [RUNS]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use saml_verify::{verify, BlindingSeed, DecryptionKey, Timestamp, Trust, TrustedKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The vector with the `which`-th CipherValue (0: EncryptedKey, 1: EncryptedData) changed.
fn altered(xml: &str, which: usize, change: impl Fn(&mut Vec<u8>)) -> String {
    // Start tags only: skip `</xenc:CipherValue>`.
    let opening = xml.match_indices("CipherValue>").filter(|(i, _)| {
        let lt = xml[..*i].rfind('<').unwrap();
        !xml[lt..].starts_with("</")
    });
    let at = opening.map(|(i, m)| i + m.len()).nth(which).unwrap();
    let end = xml[at..].find('<').unwrap() + at;
    let mut bytes = B64
        .decode(xml[at..end].split_whitespace().collect::<String>())
        .unwrap();
    change(&mut bytes);
    format!("{}{}{}", &xml[..at], B64.encode(&bytes), &xml[end..])
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(400, |r| r.parse().expect("RUNS"));
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
    let read = |p: &str| std::fs::read_to_string(format!("{base}{p}")).unwrap();
    let valid = read("encrypted/aes256-cbc-oaep-mgf1p.xml");
    let mut trust = Trust::new(
        "https://idp.example.org/saml2/metadata",
        vec![TrustedKey::from_certificate(read("keys/idp.crt").as_bytes()).unwrap()],
        "https://sp.example.com/saml/acme/metadata",
        "https://sp.example.com/saml/acme/acs",
    );
    trust.sp_keys = vec![DecryptionKey::from_pem(&read("encrypted/keys/sp.key")).unwrap()];
    let now = Timestamp::parse("2026-01-01T00:01:00Z").unwrap();

    // OAEP: flip a byte in the middle of the wrapped key.
    let bad_oaep = altered(&valid, 0, |b| {
        let i = b.len() / 2;
        b[i] ^= 0x5a;
    });
    // Padding: the last plaintext byte is the padding count (1..16); XOR 0x80 into the same
    // byte of the previous ciphertext block makes it 0x81..0x90, out of range.
    let bad_padding = altered(&valid, 1, |b| {
        let i = b.len() - 17;
        b[i] ^= 0x80;
    });
    let kinds = [
        ("valid", valid.as_bytes(), None),
        (
            "bad_padding",
            bad_padding.as_bytes(),
            Some("decryption_failed"),
        ),
        ("bad_oaep", bad_oaep.as_bytes(), Some("decryption_failed")),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); kinds.len()];
    let mut seed = [7u8; 32];
    for round in 0..runs + runs / 10 {
        for (k, (name, input, want)) in kinds.iter().enumerate() {
            seed[0] = seed[0].wrapping_add(1);
            seed[1] = (round % 251) as u8;
            trust.blinding = Some(BlindingSeed::new(seed));
            let t = std::time::Instant::now();
            let got = verify(input, &trust, now, None);
            let us = t.elapsed().as_secs_f64() * 1e6;
            match (want, &got) {
                (None, Ok(_)) => {}
                (Some(code), Err(e)) if e.code() == *code => {}
                _ => panic!("{name}: unexpected {got:?}"),
            }
            if round >= runs / 10 {
                times[k].push(us);
            }
        }
    }
    let mut fields = Vec::new();
    let mut medians = Vec::new();
    for (k, (name, _, _)) in kinds.iter().enumerate() {
        let t = &mut times[k];
        t.sort_by(f64::total_cmp);
        let q = |p: f64| t[((t.len() - 1) as f64 * p) as usize];
        medians.push(q(0.5));
        fields.push(format!(
            "\"{name}\":{{\"median_us\":{:.1},\"p10_us\":{:.1},\"p90_us\":{:.1}}}",
            q(0.5),
            q(0.1),
            q(0.9)
        ));
    }
    println!(
        "{{\"runs\":{runs},{},\"bad_padding_over_valid\":{:.3},\"bad_oaep_over_valid\":{:.3},\"bad_oaep_over_bad_padding\":{:.3}}}",
        fields.join(","),
        medians[1] / medians[0],
        medians[2] / medians[0],
        medians[2] / medians[1]
    );
}
