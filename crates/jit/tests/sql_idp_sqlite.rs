//! The certificate lifecycle's D1 statements (`jit::sql_idp`, and the `first_verified_at` upsert
//! of the sign-in batch) on a real SQLite with `migrations/` applied, through the same
//! `sqlite_run.py` as `sql_sqlite.rs`: one transaction per batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use jit::lifecycle::plan::{MembershipWrite, Plan, Update, Write};
use jit::ports::{AuditEntry, AuditEvent, User};
use jit::rollover::Refresh;
use jit::sql::{self, Stmt, Value};
use jit::sql_idp;
use saml_verify::Timestamp;
use serde_json::{json, Value as Json};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const MIGRATIONS: [&str; 5] = [
    "0001_init",
    "0002_admin",
    "0003_lifecycle",
    "0004_scim",
    "0006_idp_lifecycle",
];

enum Step {
    Batch(Vec<Stmt>),
    Query(Stmt),
}

fn q(sql: &str) -> Step {
    Step::Query(Stmt {
        sql: sql.into(),
        args: vec![],
    })
}

fn run(steps: &[Step]) -> Vec<Json> {
    let args = |s: &Stmt| -> Vec<Json> {
        s.args
            .iter()
            .map(|v| match v {
                Value::Text(t) => json!(t),
                Value::Int(i) => json!(i),
                Value::Null => Json::Null,
            })
            .collect()
    };
    let steps: Vec<Json> = steps
        .iter()
        .map(|s| match s {
            Step::Batch(b) => json!({"batch": b.iter().map(|s| json!({"sql": s.sql, "args": args(s)})).collect::<Vec<_>>()}),
            Step::Query(q) => json!({"query": {"sql": q.sql, "args": args(q)}}),
        })
        .collect();
    let migrations: Vec<String> = MIGRATIONS
        .iter()
        .map(|m| format!("{ROOT}/migrations/{m}.sql"))
        .collect();
    let mut child = Command::new("python3")
        .arg(format!(
            "{}/tests/sqlite_run.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let input = json!({"migrations": migrations, "steps": steps}).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sqlite_run.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn entry(event: AuditEvent, when: &str) -> AuditEntry {
    AuditEntry {
        company: "acme".into(),
        at: at(when),
        event,
        email: Some("jane@acme.com".into()),
        assertion_id: Some("_a".into()),
        reason: None,
        reference: "ref".into(),
        actor: Some("saml".into()),
        detail: None,
    }
}

fn create(id: &str, key: &str, when: &str) -> Step {
    let u = User {
        company: "acme".into(),
        id: id.into(),
        email: "jane@acme.com".into(),
        confirmed: true,
        created_via: "jit".into(),
        created_at: when.into(),
        active: true,
        ..User::default()
    };
    Step::Batch(sql::sign_in_batch(&Plan {
        write: Write::Create(u),
        audit: vec![entry(AuditEvent::Provisioned, when)],
        signing_key: Some(key.into()),
        memberships_after: vec![],
    }))
}

fn sign_in(id: &str, key: &str, when: &str) -> Step {
    Step::Batch(sql::sign_in_batch(&Plan {
        write: Write::Update(Update {
            company: "acme".into(),
            user_id: id.into(),
            email: "jane@acme.com".into(),
            email_changed: false,
            first_name: None,
            last_name: None,
            bind: None,
            last_login_at: when.into(),
            memberships: MembershipWrite::Keep,
        }),
        audit: vec![entry(AuditEvent::SignedIn, when)],
        signing_key: Some(key.into()),
        memberships_after: vec![],
    }))
}

fn rows(r: &Json) -> Vec<Json> {
    r["rows"].as_array().unwrap().clone()
}

const CERTS: &str = "SELECT fingerprint, left_metadata_at, first_verified_at, warned_30, warned_7 \
                     FROM idp_certificates ORDER BY fingerprint";

#[test]
fn first_verified_is_written_once_and_only_with_the_sign_in() {
    let r = run(&[
        // A refresh found "aa" gone before any sign-in: the row exists without the date.
        Step::Batch(sql_idp::after_refresh(
            "acme",
            &Refresh {
                left_now: vec!["aa".into()],
                ..Refresh::default()
            },
            at("2026-12-01T00:00:00Z"),
        )),
        create("u1", "aa", "2026-12-02T00:00:00.000Z"),
        sign_in("u1", "aa", "2026-12-03T00:00:00.000Z"),
        sign_in("u1", "bb", "2026-12-04T00:00:00.000Z"),
        // A lost first-login race and a deactivated account record nothing.
        create("u2", "cc", "2026-12-05T00:00:00.000Z"),
        Step::Batch(vec![Stmt {
            sql: "UPDATE users SET active = 0".into(),
            args: vec![],
        }]),
        sign_in("u1", "dd", "2026-12-06T00:00:00.000Z"),
        q(CERTS),
    ]);
    assert_eq!(r[1]["changes"], 1);
    assert_eq!(r[4]["changes"], 0, "lost race");
    assert_eq!(r[6]["changes"], 0, "deactivated");
    let certs = rows(&r[7]);
    let got: Vec<(String, Json, Json)> = certs
        .iter()
        .map(|c| {
            (
                c["fingerprint"].as_str().unwrap().to_owned(),
                c["left_metadata_at"].clone(),
                c["first_verified_at"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "aa".into(),
                json!("2026-12-01T00:00:00.000Z"),
                json!("2026-12-02T00:00:00.000Z")
            ),
            ("bb".into(), Json::Null, json!("2026-12-04T00:00:00.000Z")),
        ]
    );
}

#[test]
fn refresh_status_records_and_warning_flags() {
    let t1 = at("2026-12-01T00:00:00Z");
    let t2 = at("2026-12-02T00:00:00Z");
    let t3 = at("2026-12-03T00:00:00Z");
    let vu = Some(at("2027-01-01T00:00:00Z"));
    let url = "https://idp.example/md";
    let left = |fp: &str| Refresh {
        left_now: vec![fp.into()],
        ..Refresh::default()
    };
    let r = run(&[
        Step::Batch(vec![sql_idp::source_status("acme", url, t1, None, vu)]),
        Step::Batch(vec![sql_idp::source_status(
            "acme",
            url,
            t2,
            Some("fetch failed: the URL answered 500"),
            None,
        )]),
        q("SELECT * FROM idp_sources"),
        Step::Batch(vec![sql_idp::source_status("acme", url, t3, None, None)]),
        q("SELECT * FROM idp_sources"),
        Step::Batch(sql_idp::after_refresh("acme", &left("aa"), t1)),
        Step::Batch(sql_idp::after_refresh("acme", &left("aa"), t2)),
        Step::Batch(sql_idp::after_refresh("acme", &left("bb"), t2)),
        Step::Batch(vec![
            sql_idp::warned("acme", "aa", 30),
            sql_idp::warned("acme", "bb", 7),
            sql_idp::warned("acme", "cc", 30),
        ]),
        Step::Batch(vec![
            sql_idp::warned("acme", "cc", 7),
            sql_idp::warned("acme", "bb", 30),
        ]),
        Step::Batch(sql_idp::after_refresh(
            "acme",
            &Refresh {
                returned: vec!["aa".into()],
                removed: vec!["bb".into()],
                ..Refresh::default()
            },
            t3,
        )),
        q(CERTS),
        Step::Query(sql_idp::certificate_facts("acme")),
        Step::Query(sql_idp::certificate_facts("other")),
    ]);
    let facts = sql_idp::facts_from_json(rows(&r[12])[0]["facts"].as_str().unwrap()).unwrap();
    assert_eq!(facts.len(), 2);
    assert!(facts["cc"].warned.days_7 && facts["cc"].warned.days_30);
    assert!(facts["aa"].warned.days_30 && !facts["aa"].warned.days_7);
    assert_eq!(facts["aa"].left_metadata_at, None);
    let none = sql_idp::facts_from_json(rows(&r[13])[0]["facts"].as_str().unwrap()).unwrap();
    assert!(none.is_empty());
    assert!(sql_idp::facts_from_json(r#"[["aa","yesterday",null,0,0]]"#).is_err());
    let failed = &rows(&r[2])[0];
    assert_eq!(failed["attempted_at"], "2026-12-02T00:00:00.000Z");
    assert_eq!(failed["refreshed_at"], "2026-12-01T00:00:00.000Z", "kept");
    assert_eq!(failed["last_error"], "fetch failed: the URL answered 500");
    assert_eq!(failed["valid_until"], "2027-01-01T00:00:00.000Z", "kept");
    let ok = &rows(&r[4])[0];
    assert_eq!(ok["refreshed_at"], "2026-12-03T00:00:00.000Z");
    assert_eq!(ok["last_error"], Json::Null);
    assert_eq!(ok["valid_until"], Json::Null, "this metadata has none");
    let certs = rows(&r[11]);
    let got: Vec<(&str, &Json, i64, i64)> = certs
        .iter()
        .map(|c| {
            (
                c["fingerprint"].as_str().unwrap(),
                &c["left_metadata_at"],
                c["warned_30"].as_i64().unwrap(),
                c["warned_7"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("aa", &Json::Null, 1, 0), ("cc", &Json::Null, 1, 1),],
        "aa came back; bb removed; a 7-day warning marks both, a later 30 keeps the 7"
    );
    // aa's first departure time was kept by the second refresh (before it came back): checked
    // through a fresh run.
    let r = run(&[
        Step::Batch(sql_idp::after_refresh("acme", &left("aa"), t1)),
        Step::Batch(sql_idp::after_refresh("acme", &left("aa"), t2)),
        q(CERTS),
    ]);
    assert_eq!(
        rows(&r[2])[0]["left_metadata_at"],
        "2026-12-01T00:00:00.000Z"
    );
}
