//! The D1 statements of `jit::sql` run on a real SQLite with `migrations/` applied (through
//! Python's sqlite3, batch by batch in one transaction each, as D1 runs a batch): a first
//! login, a lost race, additive and authoritative memberships, an email change, a deactivation
//! between read and write, and the 0003 migration of existing rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use jit::lifecycle::account::Binding;
use jit::lifecycle::plan::{MembershipWrite, Plan, Update, Write};
use jit::lifecycle::Membership;
use jit::ports::{AuditEntry, AuditEvent, User};
use jit::sql::{self, Stmt, Value};
use saml_verify::Timestamp;
use serde_json::{json, Value as Json};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

enum Step {
    Batch(Vec<Stmt>),
    Query(Stmt),
}

fn raw(sql: &str) -> Stmt {
    Stmt {
        sql: sql.into(),
        args: vec![],
    }
}

fn to_json(s: &Stmt) -> Json {
    let args: Vec<Json> = s
        .args
        .iter()
        .map(|v| match v {
            Value::Text(t) => json!(t),
            Value::Int(i) => json!(i),
            Value::Null => Json::Null,
        })
        .collect();
    json!({"sql": s.sql, "args": args})
}

/// Run the steps on a fresh database; one result per step.
fn run(steps: &[Step]) -> Vec<Json> {
    let migrations: Vec<String> = [
        "0001_init",
        "0002_admin",
        "0003_lifecycle",
        "0004_scim",
        "0006_idp_lifecycle",
    ]
    .iter()
    .map(|m| format!("{ROOT}/migrations/{m}.sql"))
    .collect();
    let steps: Vec<Json> = steps
        .iter()
        .map(|s| match s {
            Step::Batch(b) => json!({"batch": b.iter().map(to_json).collect::<Vec<_>>()}),
            Step::Query(q) => json!({"query": to_json(q)}),
        })
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
    serde_json::from_slice::<Vec<Json>>(&out.stdout).unwrap()
}

fn catalog() -> Step {
    Step::Batch(vec![raw(
        "INSERT INTO workspaces VALUES ('acme','main','Main'),('acme','sales','Sales')",
    )])
}

fn user(id: &str, email: &str, ms: &[(&str, &str)]) -> User {
    User {
        company: "acme".into(),
        id: id.into(),
        email: email.into(),
        memberships: ms.iter().map(|(w, p)| Membership::new(w, p)).collect(),
        confirmed: true,
        created_via: "jit".into(),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        active: true,
        ..User::default()
    }
}

fn entry(event: AuditEvent) -> AuditEntry {
    AuditEntry {
        company: "acme".into(),
        at: Timestamp(1_767_225_660_000),
        event,
        email: Some("jane@acme.com".into()),
        assertion_id: Some("_a".into()),
        reason: None,
        reference: "ref".into(),
        actor: Some("saml".into()),
        detail: Some("memberships".into()),
    }
}

fn create(u: User) -> Step {
    Step::Batch(sql::sign_in_batch(&Plan {
        write: Write::Create(u),
        audit: vec![entry(AuditEvent::Provisioned)],
        memberships_after: vec![],
        signing_key: None,
    }))
}

fn update(id: &str, email: &str, memberships: MembershipWrite) -> Step {
    update_as(id, email, false, memberships)
}

/// The same, saying whether the address changed (under the persistent binding).
fn update_as(id: &str, email: &str, email_changed: bool, memberships: MembershipWrite) -> Step {
    Step::Batch(sql::sign_in_batch(&Plan {
        write: Write::Update(Update {
            company: "acme".into(),
            user_id: id.into(),
            email: email.into(),
            email_changed,
            first_name: Some("Jane".into()),
            last_name: None,
            bind: Some(Binding {
                issuer: "https://idp/".into(),
                name_id: "00u1".into(),
            }),
            last_login_at: "2026-01-02T00:00:00.000Z".into(),
            memberships,
        }),
        audit: vec![entry(AuditEvent::SignedIn), entry(AuditEvent::Updated)],
        memberships_after: vec![],
        signing_key: None,
    }))
}

fn q(sql: &str) -> Step {
    Step::Query(raw(sql))
}

const MEMBERSHIPS: &str =
    "SELECT user_id, workspace, permission_set FROM memberships ORDER BY user_id, workspace";

fn rows(r: &Json) -> Vec<Json> {
    r["rows"].as_array().unwrap().clone()
}

fn ms(r: &Json) -> Vec<(String, String, String)> {
    rows(r)
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap().to_owned();
            (s("user_id"), s("workspace"), s("permission_set"))
        })
        .collect()
}

fn t(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn a_first_login_writes_user_memberships_and_audit_and_a_lost_race_writes_nothing() {
    let r = run(&[
        catalog(),
        create(user(
            "u1",
            "jane@acme.com",
            &[("main", "admin"), ("sales", "member")],
        )),
        create(user("u2", "jane@acme.com", &[("main", "viewer")])),
        q(MEMBERSHIPS),
        q("SELECT event, actor, detail FROM audit_log"),
        q(&format!("{} WHERE u.company = 'acme'", sql::USER_SELECT)),
    ]);
    assert_eq!(r[1]["changes"], 1);
    assert_eq!(r[2]["changes"], 0, "the concurrent first login lost");
    assert_eq!(
        ms(&r[3]),
        [t("u1", "main", "admin"), t("u1", "sales", "member")]
    );
    assert_eq!(rows(&r[4]).len(), 1, "one provisioned row");
    assert_eq!(rows(&r[4])[0]["actor"], "saml");
    let users = rows(&r[5]);
    assert_eq!(users.len(), 1);
    let parsed = sql::memberships_from_json(users[0]["memberships"].as_str().unwrap()).unwrap();
    assert_eq!(
        parsed,
        [
            Membership::new("main", "admin"),
            Membership::new("sales", "member")
        ]
    );
}

#[test]
fn additive_upserts_authoritative_replaces_and_an_email_change_keeps_memberships() {
    let r = run(&[
        catalog(),
        create(user(
            "u1",
            "jane@acme.com",
            &[("main", "member"), ("old", "viewer")],
        )),
        update(
            "u1",
            "jane@acme.com",
            MembershipWrite::Upsert(vec![Membership::new("main", "admin")]),
        ),
        q(MEMBERSHIPS),
        q("SELECT sessions_valid_after FROM users"),
        update_as(
            "u1",
            "jane.smith@acme.com",
            true,
            MembershipWrite::Replace(vec![Membership::new("sales", "member")]),
        ),
        q(MEMBERSHIPS),
        q("SELECT email, domain, first_name, name_id, name_id_issuer, last_login_at, sessions_valid_after FROM users"),
    ]);
    assert_eq!(r[2]["changes"], 1);
    assert_eq!(
        ms(&r[3]),
        [t("u1", "main", "admin"), t("u1", "old", "viewer")]
    );
    assert_eq!(
        rows(&r[4])[0]["sessions_valid_after"],
        0,
        "a sign-in at the same address keeps the sessions"
    );
    assert_eq!(r[5]["changes"], 1);
    assert_eq!(ms(&r[6]), [t("u1", "sales", "member")]);
    let u = &rows(&r[7])[0];
    assert_eq!(
        (u["email"].as_str(), u["domain"].as_str()),
        (Some("jane.smith@acme.com"), Some("acme.com"))
    );
    assert_eq!(
        (u["name_id"].as_str(), u["first_name"].as_str()),
        (Some("00u1"), Some("Jane"))
    );
    // 2026-01-02T00:00:00Z is 1767312000: sessions before that second end, this one's stays.
    assert_eq!(
        u["sessions_valid_after"], 1_767_311_999_i64,
        "a new address ends the sessions naming the old one"
    );
}

#[test]
fn a_deactivated_account_gets_nothing_written() {
    let r = run(&[
        catalog(),
        create(user("u1", "jane@acme.com", &[("main", "member")])),
        Step::Batch(vec![raw("UPDATE users SET active = 0")]),
        update(
            "u1",
            "jane@acme.com",
            MembershipWrite::Replace(vec![Membership::new("sales", "admin")]),
        ),
        q(MEMBERSHIPS),
        q("SELECT count(*) AS n FROM audit_log"),
        q("SELECT last_login_at FROM users"),
    ]);
    assert_eq!(r[3]["changes"], 0);
    assert_eq!(ms(&r[4]), [t("u1", "main", "member")]);
    assert_eq!(rows(&r[5])[0]["n"], 1, "only the provisioned row");
    assert_eq!(rows(&r[6])[0]["last_login_at"], Json::Null);
}

#[test]
fn an_email_taken_meanwhile_fails_the_whole_batch() {
    let r = run(&[
        catalog(),
        create(user("u1", "jane@acme.com", &[("main", "member")])),
        create(user("u2", "jane.smith@acme.com", &[])),
        update(
            "u1",
            "jane.smith@acme.com",
            MembershipWrite::Replace(vec![]),
        ),
        q(MEMBERSHIPS),
        q("SELECT email FROM users ORDER BY email"),
    ]);
    assert!(r[3]["error"].as_str().unwrap().contains("UNIQUE"));
    assert_eq!(ms(&r[4]), [t("u1", "main", "member")], "rolled back whole");
    assert_eq!(rows(&r[5]).len(), 2);
}

#[test]
fn accounts_and_facts_queries() {
    let binding = Binding {
        issuer: "https://idp/".into(),
        name_id: "00u1".into(),
    };
    let r = run(&[
        catalog(),
        Step::Batch(vec![raw(
            "INSERT INTO permission_sets VALUES ('acme','member','Member',0)",
        )]),
        create(user("u1", "jane@acme.com", &[("main", "member")])),
        update("u1", "jane@acme.com", MembershipWrite::Keep),
        create(user("u2", "jane.smith@acme.com", &[])),
        Step::Query(sql::accounts("acme", "jane.smith@acme.com", Some(&binding))),
        Step::Query(sql::company_facts(
            "acme",
            "acme.com",
            &["main".into(), "gone".into()],
            &["member".into(), "admin".into()],
        )),
        Step::Query(sql::company_facts("acme", "other.com", &[], &[])),
    ]);
    let found: Vec<String> = rows(&r[5])
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    let f = &rows(&r[6])[0];
    assert_eq!(f["domain_ok"], 1);
    assert_eq!(f["ws_missing"], "[\"gone\"]");
    assert_eq!(f["ps_missing"], "[\"admin\"]");
    let g = &rows(&r[7])[0];
    assert_eq!(
        (g["domain_ok"].as_i64(), g["ws_missing"].as_str()),
        (Some(0), Some("[]"))
    );
}

#[test]
fn migration_0003_keeps_existing_users_and_their_membership() {
    // Rows as 0001/0002 wrote them, migrated by 0003: run on a database built without 0003.
    let steps = json!({
        "migrations": [format!("{ROOT}/migrations/0001_init.sql"), format!("{ROOT}/migrations/0002_admin.sql")],
        "steps": [
            {"batch": [{"sql": "INSERT INTO workspaces VALUES ('acme','main','Main'),('acme','ops','Ops')", "args": []},
                       {"sql": "INSERT INTO permission_sets VALUES ('acme','member','Member',0),('acme','admin','Admin',1)", "args": []},
                       {"sql": "INSERT INTO users VALUES ('acme','a@x.com','x.com','ops','member',1,0,'jit','t',NULL),('acme','b@x.com','x.com',NULL,'admin',1,0,'admin','t',NULL),('acme','c@x.com','x.com',NULL,NULL,1,1,'admin','t',NULL),('acme','d@x.com','x.com',NULL,'member',1,0,'admin','t',NULL),('acme','e@x.com','x.com','ops',NULL,1,0,'admin','t',NULL)", "args": []},
                       {"sql": "INSERT INTO audit_log (company, at, event, reference) VALUES ('acme','t','refused','r')", "args": []}]},
        ]
    });
    let dir = std::env::temp_dir().join(format!("jit-mig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "import json,sqlite3,sys\nreq=json.load(sys.stdin)\ndb=sqlite3.connect(':memory:')\n\
         [db.executescript(open(p).read()) for p in req['migrations']]\n\
         [db.execute(s['sql']) for st in req['steps'] for s in st['batch']]\n\
         db.executescript(open('{ROOT}/migrations/0003_lifecycle.sql').read())\n\
         print(json.dumps([db.execute('SELECT u.email, m.workspace, m.permission_set, u.active, length(u.id) FROM users u LEFT JOIN memberships m ON m.user_id = u.id ORDER BY u.email').fetchall(), db.execute('SELECT event, actor FROM audit_log').fetchall()]))\n"
    );
    let path = dir.join("m.py");
    std::fs::write(&path, script).unwrap();
    let mut child = Command::new("python3")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(steps.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let got: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got[0],
        json!([
            ["a@x.com", "ops", "member", 1, 32],
            ["b@x.com", "main", "admin", 1, 32],
            ["c@x.com", null, null, 1, 32],
            ["d@x.com", null, null, 1, 32],
            ["e@x.com", null, null, 1, 32]
        ])
    );
    assert_eq!(got[1], json!([["refused", "saml"]]));
}
