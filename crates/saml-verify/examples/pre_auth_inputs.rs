//! Writes the two inputs of the pre-authentication cost check (issue #11, finding 1):
//!
//! - `c14n-bomb.xml`: an unsigned 1 MiB Response with a fake Signature whose exclusive-c14n
//!   PrefixList names 32 undeclared prefixes, about 500 namespace declarations spread over the
//!   Response and the Assertion, and about 250,000 empty elements inside an AttributeValue;
//! - `plain-unsigned.xml`: the same Response without the Signature and the declarations, padded
//!   with empty elements to the same size.
//!
//! Before the fix, refusing the first took seconds (c14n of the whole document ran before the
//! signature over SignedInfo was checked, and scanned every in-scope binding once per listed
//! prefix at every element). Now both are refused in about the time of a parse.
//!
//! ```text
//! cargo run --release -p saml-verify --example pre_auth_inputs -- OUT_DIR [RUNS]
//! ```
//! writes both files and, with RUNS, times `verify` natively on each (one JSON line: median and
//! fastest, milliseconds). The test `tests/pre_auth_cost.rs` builds the same inputs with
//! [`inputs`]; `bench/run.sh` and `scripts/test.sh` time them in wasm (bench/js/pre_auth.js).

/// Size of each input, bytes.
pub const SIZE: usize = 1 << 20;
pub const IDP: &str = "https://idp.example.org/saml2/metadata";
pub const SP: &str = "https://sp.example.com/saml/acme/metadata";
pub const ACS: &str = "https://sp.example.com/saml/acme/acs";

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// `(crafted, plain)`, each exactly [`SIZE`] bytes.
pub fn inputs() -> (Vec<u8>, Vec<u8>) {
    (build(true), build(false))
}

fn declarations(tag: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!(" xmlns:{tag}{i}=\"urn:example:{tag}:{i}\""))
        .collect()
}

fn fake_signature() -> String {
    let prefixes: Vec<String> = (0..32).map(|i| format!("u{i}")).collect();
    let sig_value = "QUFB".repeat(86); // 344 base64 characters: 258 bytes, RSA-2048 sized
    format!(
        "<ds:Signature xmlns:ds=\"{DSIG}\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"{EXC}\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#_resp\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"{EXC}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC}\" \
         PrefixList=\"{}\"/></ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ds:DigestValue>\
         </ds:Reference></ds:SignedInfo><ds:SignatureValue>{sig_value}</ds:SignatureValue>\
         </ds:Signature>",
        prefixes.join(" ")
    )
}

fn build(crafted: bool) -> Vec<u8> {
    let (resp_decls, asrt_decls, sig) = if crafted {
        (
            declarations("a", 250),
            declarations("b", 250),
            fake_signature(),
        )
    } else {
        (String::new(), String::new(), String::new())
    };
    let head = format!(
        "<samlp:Response xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\"{resp_decls} ID=\"_resp\" \
         Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"{ACS}\">\
         <saml:Issuer>{IDP}</saml:Issuer>{sig}<samlp:Status><samlp:StatusCode \
         Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion{asrt_decls} ID=\"_a\" Version=\"2.0\" \
         IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer>{IDP}</saml:Issuer><saml:Subject>\
         <saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">\
         jon@example.com</saml:NameID></saml:Subject><saml:AttributeStatement>\
         <saml:Attribute Name=\"pad\"><saml:AttributeValue>"
    );
    let tail = "</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>\
                </saml:Assertion></samlp:Response>";
    let room = SIZE.saturating_sub(head.len() + tail.len());
    let mut out = String::with_capacity(SIZE);
    out.push_str(&head);
    out.push_str(&"<x/>".repeat(room / 4));
    out.push_str(&" ".repeat(room % 4));
    out.push_str(tail);
    out.into_bytes()
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let runs: Option<usize> = std::env::args().nth(2).map(|r| r.parse()).transpose()?;
    let (crafted, plain) = inputs();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(format!("{dir}/c14n-bomb.xml"), &crafted)?;
    std::fs::write(format!("{dir}/plain-unsigned.xml"), &plain)?;
    eprintln!("wrote {dir}/c14n-bomb.xml and {dir}/plain-unsigned.xml ({SIZE} bytes each)");
    if let Some(runs) = runs {
        let cert = include_bytes!("../tests/vectors/keys/idp.crt");
        let key = saml_verify::TrustedKey::from_certificate(cert)?;
        let trust = saml_verify::Trust::new(IDP, vec![key], SP, ACS);
        let now = saml_verify::Timestamp::parse("2026-01-01T00:01:00Z").ok_or("now")?;
        let time = |input: &[u8]| {
            let mut t: Vec<f64> = (0..runs.max(1))
                .map(|_| {
                    let s = std::time::Instant::now();
                    let _ = saml_verify::verify(input, &trust, now, None);
                    s.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            t.sort_by(f64::total_cmp);
            (t[t.len() / 2], t[0])
        };
        let (cm, cf) = time(&crafted);
        let (pm, pf) = time(&plain);
        println!(
            "{{\"impl\":\"native\",\"crafted\":{{\"median_ms\":{cm:.2},\"fastest_ms\":{cf:.2}}},\
             \"plain\":{{\"median_ms\":{pm:.2},\"fastest_ms\":{pf:.2}}},\"ratio\":{:.2},\
             \"median_ratio\":{:.2}}}",
            cf / pf,
            cm / pm
        );
    }
    Ok(())
}
