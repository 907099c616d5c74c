//! Where the native verifier's time goes on one input (issue #16): the whole
//! `saml_verify::verify`, then each of its phases timed alone through the crate's public
//! pieces, and the heap allocations of one `verify` call counted by a counting global
//! allocator. One JSON object on stdout (microseconds, medians of `--n` calls each).
//!
//!     phases INPUTS_DIR [--only NAME] [--n N]
//!
//! Phases, as `verify` runs them on a twice-signed response (XML-DSig 1.1 §3.2, "Core
//! Validation"; Exclusive XML Canonicalization 1.0):
//! - `parse`: `saml_verify::xml::parse` of the whole input (well-formedness, namespaces,
//!   the ID index);
//! - `c14n`: exclusive c14n of the Response without its Signature (enveloped-signature
//!   transform), of the Assertion without its Signature, and of both SignedInfo elements;
//! - `sha256`: SHA-256 over those four canonical outputs (the two reference digests and the two
//!   SignedInfo hashes the signatures sign);
//! - `rsa`: both RSASSA-PKCS1-v1_5 verifications (RFC 8017 §8.2.2) on 64-bit limbs, as native
//!   builds run them (`saml_verify::rsa_testing`);
//! - `reparse`: `saml_verify::xml::parse` of the Response's canonical bytes, the second parse
//!   that identity is read from (only what was signed), a deliberate cost;
//! - `rest`: the whole call minus those: base64, reference and schema checks, reading the
//!   fields, SAML conditions.
//!
//! The counting allocator adds a few nanoseconds per allocation to every phase; the timings come
//! from a run where it only counts (two relaxed atomic additions per call).
#![allow(unsafe_code)] // The GlobalAlloc impl below; it only forwards to the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use base64::Engine;
use saml_verify::rsa_testing::{HashAlg, LimbWidth, PublicKey};
use saml_verify::xml::c14n::{canonicalize, Budget};
use saml_verify::xml::{parse, Document, Limits, NodeId};
use saml_verify::{ns, verify, Timestamp, Trust, TrustedKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts calls and requested bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size() as u64, Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` was allocated by `System` with `l` (every allocation goes through here).
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new as u64, Relaxed);
        // SAFETY: as for `dealloc`; `new` is the caller's, non-zero by contract.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn median_us(n: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 + 1 {
        f();
    }
    let mut t: Vec<f64> = (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[n.div_ceil(2) - 1] // nearest rank: sorted[ceil(n / 2) - 1]
}

/// Allocation calls (alloc + realloc) and requested bytes of one call of `f`.
fn allocations(f: impl FnOnce()) -> (u64, u64) {
    let (a, b) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    f();
    (ALLOCS.load(Relaxed) - a, BYTES.load(Relaxed) - b)
}

/// The first element named `local` in namespace `ns` under `id` (depth first).
fn find(doc: &Document, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
    doc.descendants(id)
        .find(|&d| doc.element(d).is_some_and(|e| e.is(ns, local)))
}

struct Signed {
    apex: NodeId,
    signature: NodeId,
    signed_info: NodeId,
    value: Vec<u8>,
}

fn signed(doc: &Document, apex: NodeId) -> Result<Signed, String> {
    let signature = doc
        .first_child(apex, ns::DSIG, "Signature")
        .ok_or("no Signature")?;
    let signed_info = doc
        .first_child(signature, ns::DSIG, "SignedInfo")
        .ok_or("no SignedInfo")?;
    let sv = doc
        .first_child(signature, ns::DSIG, "SignatureValue")
        .ok_or("no SignatureValue")?;
    let b64: String = doc
        .text(sv)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let value = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| e.to_string())?;
    Ok(Signed {
        apex,
        signature,
        signed_info,
        value,
    })
}

fn c14n(doc: &Document, apex: NodeId, exclude: Option<NodeId>, prefixes: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = canonicalize(
        doc,
        apex,
        exclude,
        prefixes,
        Budget::for_input(doc.source_len()),
        &mut out,
    );
    out
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut only, mut n) = (None, "typical-both-sha256".to_owned(), 3000usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--only" => only = args.next().ok_or("--only NAME")?,
            "--n" => n = args.next().and_then(|v| v.parse().ok()).ok_or("--n N")?,
            s => dir = Some(PathBuf::from(s)),
        }
    }
    let dir = dir.ok_or("usage: phases INPUTS_DIR [--only NAME] [--n N]")?;
    let read = |f: &str| std::fs::read(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    let m: Value = serde_json::from_slice(&read("inputs.json")?).map_err(|e| e.to_string())?;
    let s = |k: &str| m[k].as_str().ok_or(format!("inputs.json: no {k}"));
    let key = TrustedKey::from_certificate(&read(s("cert")?)?).map_err(|e| e.to_string())?;
    let pk = PublicKey::from_trusted(&key);
    let trust = Trust::new(
        s("idp_entity_id")?,
        vec![key],
        s("sp_entity_id")?,
        s("acs_url")?,
    );
    let now = Timestamp::parse(s("now")?).ok_or("bad now")?;
    let input = m["inputs"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == only.as_str()))
        .ok_or(format!("no input {only}"))?;
    let bytes = read(input["file"].as_str().ok_or("no file")?)?;
    let v = verify(&bytes, &trust, now, None).map_err(|e| e.to_string())?;
    if !(v.response_signed && v.assertion_signed) {
        return Err(format!(
            "{only}: the phases assume Response and Assertion both signed"
        ));
    }

    // The pieces, found once (not timed).
    let doc = parse(&bytes, Limits::default()).map_err(|e| e.to_string())?;
    let response = doc.root();
    let assertion = doc
        .first_child(response, ns::SAML, "Assertion")
        .ok_or("no Assertion")?;
    let sigs = [signed(&doc, response)?, signed(&doc, assertion)?];
    let xs = vec!["xs".to_owned()];
    let canon: Vec<Vec<u8>> = sigs
        .iter()
        .flat_map(|g| {
            [
                c14n(&doc, g.apex, Some(g.signature), &xs),
                c14n(&doc, g.signed_info, None, &[]),
            ]
        })
        .collect();
    let hashes: Vec<Vec<u8>> = [&canon[1], &canon[3]]
        .iter()
        .map(|c| Sha256::digest(c).to_vec())
        .collect();
    for (g, h) in sigs.iter().zip(&hashes) {
        if !pk.verify(LimbWidth::Bits64, HashAlg::Sha256, h, &g.value) {
            return Err("a signature does not verify over our canonical SignedInfo".into());
        }
    }
    if find(&doc, response, ns::DSIG, "Signature") != Some(sigs[0].signature) {
        return Err("the Response's Signature is not its first".into());
    }

    let total = median_us(n, || {
        drop(black_box(verify(black_box(&bytes), &trust, now, None)))
    });
    let t_parse = median_us(n, || {
        drop(black_box(parse(black_box(&bytes), Limits::default())))
    });
    let t_reparse = median_us(n, || {
        drop(black_box(parse(black_box(&canon[0]), Limits::default())))
    });
    let t_c14n = median_us(n, || {
        for g in &sigs {
            black_box(c14n(&doc, g.apex, Some(g.signature), &xs));
            black_box(c14n(&doc, g.signed_info, None, &[]));
        }
    });
    let t_sha = median_us(n, || {
        for c in &canon {
            black_box(Sha256::digest(black_box(c)));
        }
    });
    let t_rsa = median_us(n, || {
        for (g, h) in sigs.iter().zip(&hashes) {
            black_box(pk.verify(LimbWidth::Bits64, HashAlg::Sha256, black_box(h), &g.value));
        }
    });
    let (allocs, alloc_bytes) = allocations(|| drop(black_box(verify(&bytes, &trust, now, None))));
    let (parse_allocs, _) = allocations(|| drop(black_box(parse(&bytes, Limits::default()))));
    let (c14n_allocs, _) = allocations(|| {
        for g in &sigs {
            black_box(c14n(&doc, g.apex, Some(g.signature), &xs));
            black_box(c14n(&doc, g.signed_info, None, &[]));
        }
    });
    let (rsa_allocs, _) = allocations(|| {
        for (g, h) in sigs.iter().zip(&hashes) {
            black_box(pk.verify(LimbWidth::Bits64, HashAlg::Sha256, h, &g.value));
        }
    });
    let parts = t_parse + t_reparse + t_c14n + t_sha + t_rsa;
    let share = |t: f64| (t / total * 1000.0).round() / 10.0;
    println!(
        "{}",
        json!({
            "input": only, "bytes": bytes.len(), "n": n,
            "canonical_bytes": canon.iter().map(Vec::len).collect::<Vec<_>>(),
            "total_us": total,
            "parse_us": t_parse, "reparse_us": t_reparse, "c14n_us": t_c14n, "sha256_us": t_sha, "rsa_us": t_rsa,
            "rest_us": total - parts,
            "share_pct": {"parse": share(t_parse), "reparse": share(t_reparse), "c14n": share(t_c14n), "sha256": share(t_sha),
                          "rsa": share(t_rsa), "rest": share(total - parts)},
            "allocations_per_verify": allocs, "allocated_bytes_per_verify": alloc_bytes,
            "allocations": {"parse": parse_allocs, "c14n_all_four": c14n_allocs, "rsa_both": rsa_allocs},
        })
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phases: {e}");
            ExitCode::FAILURE
        }
    }
}
