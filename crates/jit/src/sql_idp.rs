//! The D1 statements of the IdP certificate lifecycle (tables `idp_sources`, `idp_certificates`
//! of `migrations/0006_idp_lifecycle.sql`), as data like [`crate::sql`]: built and tested here,
//! run by the worker's D1 adapter. A refresh writes its statements in one batch.

use saml_verify::Timestamp;

use std::collections::BTreeMap;

use crate::expiry::Warned;
use crate::rollover::{CertFacts, Refresh};
use crate::sql::{Stmt, Value};

fn stmt(sql: &str, args: Vec<Value>) -> Stmt {
    Stmt {
        sql: sql.into(),
        args,
    }
}

fn time(t: Timestamp) -> Value {
    Value::Text(t.to_string())
}

/// Every certificate D1 remembers for `company`, as one row with one column `facts`: a JSON
/// array of `[fingerprint, left_metadata_at, first_verified_at, warned_30, warned_7]` (read by
/// [`facts_from_json`]).
pub fn certificate_facts(company: &str) -> Stmt {
    stmt(
        "SELECT json_group_array(json_array(fingerprint, left_metadata_at, first_verified_at, \
         warned_30, warned_7)) AS facts FROM idp_certificates WHERE company = ?1",
        vec![company.into()],
    )
}

/// The `facts` column of [`certificate_facts`], by fingerprint.
pub fn facts_from_json(json: &str) -> Result<BTreeMap<String, CertFacts>, String> {
    type Row = (String, Option<String>, Option<String>, i64, i64);
    let rows: Vec<Row> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let time = |t: Option<String>| -> Result<Option<Timestamp>, String> {
        t.map(|t| Timestamp::parse(&t).ok_or(format!("not a time: {t:?}")))
            .transpose()
    };
    rows.into_iter()
        .map(|(fp, left, first, w30, w7)| {
            let facts = CertFacts {
                left_metadata_at: time(left)?,
                first_verified_at: time(first)?,
                warned: Warned {
                    days_30: w30 != 0,
                    days_7: w7 != 0,
                },
            };
            Ok((fp, facts))
        })
        .collect()
}

/// The refresh status: an attempt at `now`, its error (None: a success, which also sets
/// `refreshed_at` and `valid_until`).
pub fn source_status(
    company: &str,
    url: &str,
    now: Timestamp,
    error: Option<&str>,
    valid_until: Option<Timestamp>,
) -> Stmt {
    let ok = error.is_none();
    stmt(
        "INSERT INTO idp_sources (company, metadata_url, attempted_at, refreshed_at, last_error, \
         valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (company) DO UPDATE SET metadata_url = excluded.metadata_url, \
         attempted_at = excluded.attempted_at, \
         refreshed_at = COALESCE(excluded.refreshed_at, idp_sources.refreshed_at), \
         last_error = excluded.last_error, \
         valid_until = CASE WHEN excluded.last_error IS NULL THEN excluded.valid_until \
         ELSE idp_sources.valid_until END",
        vec![
            company.into(),
            url.into(),
            time(now),
            if ok { time(now) } else { Value::Null },
            error.into(),
            valid_until.map_or(Value::Null, time),
        ],
    )
}

/// What a successful refresh remembers: when pending certificates left the metadata, that
/// returned ones are back, and nothing more of removed ones.
pub fn after_refresh(company: &str, r: &Refresh, now: Timestamp) -> Vec<Stmt> {
    let mut out = Vec::new();
    for fp in &r.left_now {
        out.push(stmt(
            "INSERT INTO idp_certificates (company, fingerprint, left_metadata_at) \
             VALUES (?1, ?2, ?3) ON CONFLICT (company, fingerprint) DO UPDATE SET \
             left_metadata_at = excluded.left_metadata_at \
             WHERE idp_certificates.left_metadata_at IS NULL",
            vec![company.into(), fp.as_str().into(), time(now)],
        ));
    }
    for fp in &r.returned {
        out.push(stmt(
            "UPDATE idp_certificates SET left_metadata_at = NULL \
             WHERE company = ?1 AND fingerprint = ?2",
            vec![company.into(), fp.as_str().into()],
        ));
    }
    for fp in &r.removed {
        out.push(stmt(
            "DELETE FROM idp_certificates WHERE company = ?1 AND fingerprint = ?2",
            vec![company.into(), fp.as_str().into()],
        ));
    }
    out
}

/// The expiry warning at `days` (30 or 7) was written; the 7-day one implies the 30-day one.
pub fn warned(company: &str, fingerprint: &str, days: u8) -> Stmt {
    stmt(
        "INSERT INTO idp_certificates (company, fingerprint, warned_30, warned_7) \
         VALUES (?1, ?2, 1, ?3) ON CONFLICT (company, fingerprint) DO UPDATE SET \
         warned_30 = 1, warned_7 = MAX(idp_certificates.warned_7, excluded.warned_7)",
        vec![
            company.into(),
            fingerprint.into(),
            Value::Int(i64::from(days == 7)),
        ],
    )
}
