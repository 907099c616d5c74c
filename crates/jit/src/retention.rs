//! What the Cron Trigger deletes, and how much per run: expired replay-cache entries
//! (`used_assertions`), expired AuthnRequest IDs (`authn_requests`), and audit rows older than the
//! retention period (`AUDIT_RETENTION_DAYS`, default [`DEFAULT_AUDIT_RETENTION_DAYS`]).
//!
//! Every delete is batched: at most [`BATCH_ROWS`] rows per statement and at most
//! [`MAX_BATCHES`] statements per table per run, so one run's D1 work is bounded (a statement
//! that deletes hundreds of thousands of rows could exceed D1's per-query time limit, and a
//! scheduled Worker its CPU limit). A backlog larger than that is worked off over the next runs;
//! the log line says whether the run finished (`complete`).
//!
//! The retention setting is parsed strictly (ASCII digits only, 1 to [`MAX_RETENTION_DAYS`]). A
//! bad value is logged as an error on every run and the audit purge is **skipped**, not run with
//! the default: deleting audit rows cannot be undone, and a typo (`"3650d"`) must not shorten a
//! retention someone chose to lengthen. The replay-cache purge runs regardless.
#![allow(async_fn_in_trait)] // wasm32 is single-threaded: no Send bound wanted.

use saml_verify::Timestamp;
use serde::Serialize;

use crate::ports::StoreError;

/// The audit retention when `AUDIT_RETENTION_DAYS` is not set: a little over a year, so that a
/// yearly review (e.g. SOC 2 Type II's twelve-month observation window) still finds every row.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 400;
/// The largest accepted retention (about 100 years): "keep everything" in practice.
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// Rows one DELETE statement removes at most.
pub const BATCH_ROWS: u32 = 1_000;
/// DELETE statements per table per run at most (the last one finds nothing when the run
/// finishes): up to 20,000 rows per run, 960,000 a day at one run every 30 minutes.
pub const MAX_BATCHES: u32 = 20;
/// The name of the worker var.
pub const RETENTION_VAR: &str = "AUDIT_RETENTION_DAYS";

const DAY_MS: i64 = 86_400_000;

/// A table the cron purges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Replay cache: rows whose `expires_at` (Unix ms) is at or before the cutoff.
    UsedAssertions,
    /// Answered AuthnRequest IDs: the same rule.
    AuthnRequests,
    /// Audit rows whose `at` (RFC 3339, UTC, milliseconds) is before the cutoff.
    AuditLog,
}

impl Table {
    /// The log line's event name.
    pub fn event(self) -> &'static str {
        match self {
            Table::UsedAssertions => "purge_used_assertions",
            Table::AuthnRequests => "purge_authn_requests",
            Table::AuditLog => "purge_audit_log",
        }
    }

    /// The D1 (SQLite) statement deleting at most `limit` rows older than `?1`. Expired
    /// replay-cache and AuthnRequest rows are found through their `expires_at` index (`?1`: Unix
    /// ms). Audit rows are looked for only among the `limit` lowest `id`s, the oldest since `at`
    /// grows with `id` (`?1`: RFC 3339 text, which sorts like time in this fixed format): a batch
    /// reads at most `limit` rows, needs no index on `at`, and uses only the `id` and `at`
    /// columns (SQLite: "The LIMIT clause", <https://sqlite.org/lang_select.html#limitoffset>).
    pub fn delete_sql(self, limit: u32) -> String {
        match self {
            Table::UsedAssertions | Table::AuthnRequests => {
                let t = match self {
                    Table::UsedAssertions => "used_assertions",
                    _ => "authn_requests",
                };
                format!("DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE expires_at <= ?1 LIMIT {limit})")
            }
            Table::AuditLog => format!("DELETE FROM audit_log WHERE id IN (SELECT id FROM (SELECT id, at FROM audit_log ORDER BY id LIMIT {limit}) WHERE at < ?1)"),
        }
    }
}

/// The storage side: delete at most `limit` rows of `table` older than `cutoff`, return how many
/// went.
pub trait Purge {
    async fn purge_batch(
        &self,
        table: Table,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<u32, StoreError>;
}

/// `AUDIT_RETENTION_DAYS`: unset (or empty) gives the default; otherwise ASCII digits only, no
/// sign, no space, no unit, between 1 and [`MAX_RETENTION_DAYS`].
pub fn retention_days(var: Option<&str>) -> Result<u32, String> {
    let Some(v) = var.filter(|v| !v.is_empty()) else {
        return Ok(DEFAULT_AUDIT_RETENTION_DAYS);
    };
    let bad =
        || format!("{RETENTION_VAR} must be a whole number of days from 1 to {MAX_RETENTION_DAYS}");
    if v.len() > 5 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match v.parse::<u32>() {
        Ok(d) if (1..=MAX_RETENTION_DAYS).contains(&d) => Ok(d),
        _ => Err(bad()),
    }
}

/// Audit rows strictly before this instant are purged: `now` minus `days` whole days.
pub fn audit_cutoff(now: Timestamp, days: u32) -> Timestamp {
    Timestamp(now.0 - i64::from(days) * DAY_MS)
}

/// One table's part of a run: one log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub event: &'static str,
    pub deleted: u32,
    /// False when the run stopped after [`MAX_BATCHES`] batches that all deleted rows (more may
    /// be left for the next run), or on an error.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A log line of the run: JSON text, and whether it reports an error.
pub struct LogLine {
    pub error: bool,
    pub json: String,
}

impl LogLine {
    fn of(p: &Purged) -> Self {
        LogLine {
            error: p.error.is_some(),
            json: serde_json::to_string(p).unwrap_or_else(|_| "null".to_owned()),
        }
    }

    /// The run could not start (no D1 binding): `{"event":"purge","error":…}`.
    pub fn failed(error: &str) -> Self {
        LogLine {
            error: true,
            json: serde_json::json!({ "event": "purge", "error": error }).to_string(),
        }
    }
}

/// Delete up to [`MAX_BATCHES`] batches of `table`, stopping at the first batch that deleted
/// nothing (nothing older is left) or failed. Not at the first partial batch: an audit batch
/// looks only at the oldest [`BATCH_ROWS`] rows by `id` ([`Table::delete_sql`]), and a few young
/// rows among them (a clock that ran ahead) would otherwise end every run after one batch.
pub async fn purge_table<P: Purge>(store: &P, table: Table, cutoff: Timestamp) -> Purged {
    let mut out = Purged {
        event: table.event(),
        deleted: 0,
        complete: false,
        retention_days: None,
        cutoff: None,
        error: None,
    };
    for _ in 0..MAX_BATCHES {
        match store.purge_batch(table, cutoff, BATCH_ROWS).await {
            Ok(n) => {
                out.deleted += n;
                if n == 0 {
                    out.complete = true;
                    break;
                }
            }
            Err(e) => {
                out.error = Some(format!("{e:?}"));
                break;
            }
        }
    }
    out
}

/// The whole cron job: the replay cache and AuthnRequest IDs expired at `now`, then audit rows
/// past the retention read from `retention_var`. One log line per table, and one more (an error)
/// when the retention setting is bad.
pub async fn run<P: Purge>(store: &P, now: Timestamp, retention_var: Option<&str>) -> Vec<LogLine> {
    let mut lines = Vec::new();
    let mut push = |p: &Purged| lines.push(LogLine::of(p));
    push(&purge_table(store, Table::UsedAssertions, now).await);
    push(&purge_table(store, Table::AuthnRequests, now).await);
    match retention_days(retention_var) {
        Ok(days) => {
            let cutoff = audit_cutoff(now, days);
            let mut p = purge_table(store, Table::AuditLog, cutoff).await;
            p.retention_days = Some(days);
            p.cutoff = Some(cutoff.to_string());
            push(&p);
        }
        Err(e) => push(&Purged {
            event: Table::AuditLog.event(),
            deleted: 0,
            complete: false,
            retention_days: None,
            cutoff: None,
            error: Some(format!(
                "{e}; got {:?}: audit rows NOT purged this run",
                retention_var.unwrap_or_default()
            )),
        }),
    }
    lines
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
