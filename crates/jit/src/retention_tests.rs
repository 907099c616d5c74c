use std::cell::RefCell;

use pollster::block_on;
use saml_verify::Timestamp;

use super::*;

/// Rows as (table, time in ms); `fail` makes every batch of that table fail.
struct Fake {
    rows: RefCell<Vec<(Table, i64)>>,
    calls: RefCell<Vec<(Table, i64, u32)>>,
    fail: Option<Table>,
}

impl Fake {
    fn new(rows: Vec<(Table, i64)>) -> Self {
        Fake {
            rows: RefCell::new(rows),
            calls: RefCell::new(Vec::new()),
            fail: None,
        }
    }
    fn left(&self, t: Table) -> usize {
        self.rows.borrow().iter().filter(|r| r.0 == t).count()
    }
}

impl Purge for Fake {
    async fn purge_batch(
        &self,
        t: Table,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<u32, StoreError> {
        self.calls.borrow_mut().push((t, cutoff.0, limit));
        if self.fail == Some(t) {
            return Err(StoreError::Unavailable("down".into()));
        }
        let mut rows = self.rows.borrow_mut();
        // As the D1 statements do: expired rows anywhere (an index), but audit rows only among
        // the table's first `limit` rows in insertion (`id`) order. The audit rule is strict
        // (`at < cutoff`), the expiry rule inclusive.
        let (mut n, mut seen) = (0, 0);
        rows.retain(|&(rt, at)| {
            if rt != t || n >= limit {
                return true;
            }
            let delete = match t {
                Table::AuditLog => {
                    seen += 1;
                    seen <= limit && at < cutoff.0
                }
                _ => at <= cutoff.0,
            };
            n += u32::from(delete);
            !delete
        });
        Ok(n)
    }
}

const NOW: Timestamp = Timestamp(1_800_000_000_000);

#[test]
fn retention_days_is_strict() {
    assert_eq!(retention_days(None), Ok(DEFAULT_AUDIT_RETENTION_DAYS));
    assert_eq!(retention_days(Some("")), Ok(DEFAULT_AUDIT_RETENTION_DAYS));
    assert_eq!(retention_days(Some("1")), Ok(1));
    assert_eq!(retention_days(Some("90")), Ok(90));
    assert_eq!(
        retention_days(Some("036500")),
        Err(retention_days(Some("x")).unwrap_err())
    );
    assert_eq!(retention_days(Some("36500")), Ok(36_500));
    for bad in [
        "0",
        "36501",
        "99999999999",
        "-5",
        "+5",
        " 5",
        "5 ",
        "5d",
        "1e3",
        "4.5",
        "٣",
    ] {
        assert!(retention_days(Some(bad)).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn cutoff_is_whole_days_back() {
    assert_eq!(audit_cutoff(NOW, 400).0, NOW.0 - 400 * 86_400_000);
    assert_eq!(audit_cutoff(NOW, 1).to_string(), "2027-01-14T08:00:00.000Z");
}

#[test]
fn deletes_only_old_rows_in_bounded_batches() {
    let old_audit = NOW.0 - 401 * DAY_MS;
    let young_audit = NOW.0 - 399 * DAY_MS;
    let mut rows: Vec<(Table, i64)> = (0..2_500).map(|_| (Table::AuditLog, old_audit)).collect();
    rows.extend((0..7).map(|_| (Table::AuditLog, young_audit)));
    rows.extend((0..3).map(|_| (Table::UsedAssertions, NOW.0)));
    rows.extend((0..4).map(|_| (Table::UsedAssertions, NOW.0 + 1)));
    rows.push((Table::AuthnRequests, NOW.0 - 1));
    let f = Fake::new(rows);
    let lines = block_on(run(&f, NOW, None));
    assert_eq!(f.left(Table::AuditLog), 7);
    assert_eq!(f.left(Table::UsedAssertions), 4);
    assert_eq!(f.left(Table::AuthnRequests), 0);
    let json: Vec<&str> = lines.iter().map(|l| l.json.as_str()).collect();
    assert_eq!(
        json,
        [
            r#"{"event":"purge_used_assertions","deleted":3,"complete":true}"#,
            r#"{"event":"purge_authn_requests","deleted":1,"complete":true}"#,
            r#"{"event":"purge_audit_log","deleted":2500,"complete":true,"retention_days":400,"cutoff":"2025-12-11T08:00:00.000Z"}"#,
        ]
    );
    assert!(lines.iter().all(|l| !l.error));
    // 1,000 + 1,000 + 500, then one that finds nothing: four statements of BATCH_ROWS each.
    let audit_calls: Vec<_> = f
        .calls
        .borrow()
        .iter()
        .filter(|c| c.0 == Table::AuditLog)
        .cloned()
        .collect();
    assert_eq!(audit_calls.len(), 4);
    assert!(audit_calls
        .iter()
        .all(|c| c.1 == NOW.0 - 400 * DAY_MS && c.2 == BATCH_ROWS));
}

#[test]
fn a_backlog_is_worked_off_over_several_runs() {
    let total = (BATCH_ROWS * MAX_BATCHES + 10) as usize;
    let f = Fake::new(vec![(Table::AuditLog, 0); total]);
    let first = block_on(purge_table(&f, Table::AuditLog, NOW));
    assert_eq!(
        (first.deleted, first.complete),
        (BATCH_ROWS * MAX_BATCHES, false)
    );
    assert_eq!(f.calls.borrow().len() as u32, MAX_BATCHES);
    let second = block_on(purge_table(&f, Table::AuditLog, NOW));
    assert_eq!((second.deleted, second.complete), (10, true));
    assert_eq!(f.left(Table::AuditLog), 0);
}

#[test]
fn young_audit_rows_at_the_front_slow_nothing_down() {
    // Three rows whose clock ran ahead sit among the oldest ids; every batch still deletes the
    // rest of its window, and the run goes on until a batch finds nothing.
    let young = NOW.0;
    let mut rows = vec![(Table::AuditLog, young); 3];
    rows.extend(vec![(Table::AuditLog, 0); 2_500]);
    rows.extend(vec![(Table::AuditLog, young); 50]);
    let f = Fake::new(rows);
    let p = block_on(purge_table(&f, Table::AuditLog, Timestamp(NOW.0 - DAY_MS)));
    assert_eq!((p.deleted, p.complete), (2_500, true));
    assert_eq!(f.left(Table::AuditLog), 53);
    // 997 + 997 + 506, then nothing.
    assert_eq!(f.calls.borrow().len(), 4);
}

#[test]
fn a_bad_setting_skips_the_audit_purge_loudly_but_not_the_replay_purge() {
    let f = Fake::new(vec![(Table::AuditLog, 0), (Table::UsedAssertions, 0)]);
    let lines = block_on(run(&f, NOW, Some("400 days")));
    assert_eq!(
        f.left(Table::AuditLog),
        1,
        "audit rows deleted on a bad setting"
    );
    assert_eq!(f.left(Table::UsedAssertions), 0);
    let last = lines.last().unwrap();
    assert!(last.error);
    assert!(
        last.json
            .contains("AUDIT_RETENTION_DAYS must be a whole number"),
        "{}",
        last.json
    );
    assert!(
        last.json
            .contains(r#"got \"400 days\": audit rows NOT purged"#),
        "{}",
        last.json
    );
    assert!(f.calls.borrow().iter().all(|c| c.0 != Table::AuditLog));
}

#[test]
fn a_failing_table_is_reported_and_the_others_still_run() {
    let mut f = Fake::new(vec![(Table::AuditLog, 0), (Table::AuthnRequests, 0)]);
    f.fail = Some(Table::UsedAssertions);
    let lines = block_on(run(&f, NOW, Some("30")));
    assert!(lines[0].error && lines[0].json.contains(r#""error":"Unavailable(\"down\")""#));
    assert!(!lines[1].error && !lines[2].error);
    assert_eq!(f.left(Table::AuditLog) + f.left(Table::AuthnRequests), 0);
}
