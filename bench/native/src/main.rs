//! Native timing of `saml_verify::verify` on the fixed inputs (bench/inputs/inputs.json).
//!
//!     bench-native INPUTS_DIR [--n N] [--warmup N] [--max-seconds S] [--only NAME]
//!
//! Per input: the trust (certificate, entity IDs, ACS URL) and `now` are built once, as a
//! long-lived verifier would; the input is checked to verify; `--warmup` untimed calls; then up to
//! `--n` timed calls (fewer if `--max-seconds` runs out), each timed alone with
//! `std::time::Instant`. One JSON object per input on stdout, times in microseconds.
//! Percentiles are nearest-rank: p(q) = sorted[ceil(q * n) - 1] (the same in every bench script).
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use saml_verify::{verify, Timestamp, Trust, TrustedKey};
use serde_json::{json, Value};

struct Opts {
    dir: PathBuf,
    n: usize,
    warmup: usize,
    max_seconds: f64,
    only: Option<String>,
}

fn parse_args() -> Result<Opts, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Opts {
        dir: PathBuf::new(),
        n: 2000,
        warmup: 200,
        max_seconds: 10.0,
        only: None,
    };
    let mut dir = None;
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--n" => o.n = val("--n")?.parse().map_err(|e| format!("--n: {e}"))?,
            "--warmup" => {
                o.warmup = val("--warmup")?
                    .parse()
                    .map_err(|e| format!("--warmup: {e}"))?
            }
            "--max-seconds" => {
                o.max_seconds = val("--max-seconds")?
                    .parse()
                    .map_err(|e| format!("--max-seconds: {e}"))?
            }
            "--only" => o.only = Some(val("--only")?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => dir = Some(PathBuf::from(s)),
        }
    }
    o.dir = dir.ok_or(
        "usage: bench-native INPUTS_DIR [--n N] [--warmup N] [--max-seconds S] [--only NAME]",
    )?;
    if o.n == 0 {
        return Err("--n must be at least 1".into());
    }
    Ok(o)
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

fn run() -> Result<(), String> {
    let o = parse_args()?;
    let manifest: Value = serde_json::from_slice(&read(&o.dir, "inputs.json")?)
        .map_err(|e| format!("inputs.json: {e}"))?;
    let s = |k: &str| manifest[k].as_str().ok_or(format!("inputs.json: no {k}"));
    let cert = read(&o.dir, s("cert")?)?;
    let key = TrustedKey::from_certificate(&cert).map_err(|e| format!("certificate: {e}"))?;
    let trust = Trust::new(
        s("idp_entity_id")?,
        vec![key],
        s("sp_entity_id")?,
        s("acs_url")?,
    );
    let now = Timestamp::parse(s("now")?).ok_or("inputs.json: bad now")?;
    let inputs = manifest["inputs"]
        .as_array()
        .ok_or("inputs.json: no inputs")?;
    for input in inputs {
        let name = input["name"].as_str().ok_or("input without name")?;
        if o.only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let bytes = read(&o.dir, input["file"].as_str().ok_or("input without file")?)?;
        let v = verify(&bytes, &trust, now, None)
            .map_err(|e| format!("{name} does not verify: {e}"))?;
        let want_sigs = input["signatures"].as_u64().unwrap_or(0);
        let got_sigs = u64::from(v.response_signed) + u64::from(v.assertion_signed);
        if got_sigs != want_sigs {
            return Err(format!(
                "{name}: {got_sigs} signatures verified, inputs.json says {want_sigs}"
            ));
        }
        // Warm-up: --warmup calls, but never more than a quarter of the budget (at most 2 s).
        let warm_end = Instant::now() + Duration::from_secs_f64((o.max_seconds / 4.0).min(2.0));
        for _ in 0..o.warmup {
            let _ = black_box(verify(black_box(&bytes), &trust, now, None));
            if Instant::now() >= warm_end {
                break;
            }
        }
        let budget = Duration::from_secs_f64(o.max_seconds);
        let started = Instant::now();
        let mut times = Vec::with_capacity(o.n);
        while times.len() < o.n && started.elapsed() < budget {
            let t = Instant::now();
            let r = verify(black_box(&bytes), &trust, now, None);
            let dt = t.elapsed();
            if r.is_err() {
                return Err(format!("{name}: verification failed during the run"));
            }
            black_box(r.ok());
            times.push(dt.as_secs_f64() * 1e6);
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        times.sort_by(f64::total_cmp);
        let line = json!({
            "impl": "native",
            "input": name,
            "n": times.len(),
            "median_us": pct(&times, 0.5),
            "p99_us": pct(&times, 0.99),
            "mean_us": mean,
            "min_us": times[0],
            "max_us": times[times.len() - 1],
        });
        println!("{line}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-native: {e}");
            ExitCode::FAILURE
        }
    }
}
