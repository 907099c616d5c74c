//! The world of `scim_sqlite.rs`: a SQLite served by tests/sqlite_serve.py with `migrations/`
//! applied (the `Sql` port, as D1 runs statements), settings in memory, a SCIM token of `acme`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use jit::memory::{MemoryDirectory, MemorySettings};
use jit::ports::{SettingsStore, StoreError};
use jit::scim_api::sql::{Row, Sql};
use jit::scim_api::{handle, Method, ScimReply, ScimRequest};
use jit::settings::CompanySettings;
use jit::sql::{Stmt, Value};
use jit::tokens::TokenKind;
use jit::usecases::tokens::create_token;
use pollster::block_on;
use saml_verify::Timestamp;
use serde_json::{json, Value as Json};

pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
pub const BASE: &str = "https://sp.example/scim/v2/acme";
pub const NOW: Timestamp = Timestamp(1_767_225_600_000);

pub struct Sqlite {
    _child: Child,
    io: RefCell<(ChildStdin, BufReader<ChildStdout>)>,
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

impl Sqlite {
    pub fn new() -> Self {
        let mut child = Command::new("python3")
            .arg(format!(
                "{}/tests/sqlite_serve.py",
                env!("CARGO_MANIFEST_DIR")
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let db = Sqlite {
            _child: child,
            io: RefCell::new((stdin, BufReader::new(stdout))),
        };
        let migrations: Vec<String> = std::fs::read_dir(format!("{ROOT}/migrations"))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.ends_with(".sql"))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        db.send(json!({ "migrations": migrations }), false);
        db
    }

    pub fn send(&self, msg: Json, answer: bool) -> Json {
        let mut io = self.io.borrow_mut();
        writeln!(io.0, "{msg}").unwrap();
        io.0.flush().unwrap();
        if !answer {
            return Json::Null;
        }
        let mut line = String::new();
        io.1.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }

    pub fn query(&self, sql: &str) -> Vec<Row> {
        let stmt = Stmt {
            sql: sql.into(),
            args: vec![],
        };
        block_on(self.rows(&stmt)).unwrap()
    }
}

impl Sql for Sqlite {
    async fn rows(&self, stmt: &Stmt) -> Result<Vec<Row>, StoreError> {
        let out = self.send(json!({ "rows": to_json(stmt) }), true);
        match out.get("rows").and_then(Json::as_array) {
            Some(rows) => Ok(rows.iter().filter_map(|r| r.as_object().cloned()).collect()),
            None => Err(StoreError::Unavailable(out["error"].to_string())),
        }
    }

    async fn batch_applied(&self, stmts: &[Stmt]) -> Result<bool, StoreError> {
        let batch: Vec<Json> = stmts.iter().map(to_json).collect();
        let out = self.send(json!({ "batch": batch }), true);
        match &out["error"] {
            Json::Null => Ok(out["changes"] == json!(1)),
            e => Err(StoreError::Unavailable(e.to_string())),
        }
    }

    async fn run(&self, stmt: &Stmt) -> Result<u64, StoreError> {
        let out = self.send(json!({ "batch": [to_json(stmt)] }), true);
        match &out["error"] {
            Json::Null => out["changes"]
                .as_u64()
                .ok_or_else(|| StoreError::Corrupt("no changes".into())),
            e => Err(StoreError::Unavailable(e.to_string())),
        }
    }
}

pub struct World {
    pub kv: MemorySettings,
    pub tokens: MemoryDirectory,
    pub db: Sqlite,
    pub token: String,
    ids: RefCell<u32>,
}

pub fn settings(mappings: Json) -> CompanySettings {
    let doc = json!({"version": 1, "display_name": "Acme", "dashboard_url": "https://dash.example",
        "saml": {"idp_entity_id": "https://idp", "idp_certificates": []},
        "provisioning": {"enabled": true, "default_workspace": "main", "default_permission_set": "member"},
        "exception_domains": ["partner.example"],
        "workspaces": [{"id": "main", "name": "Main"}, {"id": "eng", "name": "Eng"}],
        "permission_sets": [{"id": "member", "name": "Member"}, {"id": "admin", "name": "Admin", "admin": true}],
        "group_mappings": mappings});
    CompanySettings::parse(doc.to_string().as_bytes()).unwrap()
}

impl World {
    pub fn new(mappings: Json) -> Self {
        let w = World {
            kv: MemorySettings::default(),
            tokens: MemoryDirectory::default(),
            db: Sqlite::new(),
            token: String::new(),
            ids: RefCell::new(0),
        };
        block_on(w.kv.put("acme", &settings(mappings))).unwrap();
        block_on(w.kv.put("other", &settings(json!({})))).unwrap();
        let token = block_on(create_token(
            &w.tokens,
            TokenKind::Scim,
            "acme",
            "5c11",
            "beef",
            NOW,
        ))
        .unwrap();
        // Confirmed users that make okta.example and contoso.example provisionable.
        for (id, email) in [("a1", "jon@okta.example"), ("a2", "ann@contoso.example")] {
            let domain = email.split('@').nth(1).unwrap();
            let sql = format!("INSERT INTO users (company, id, email, domain, confirmed, impersonation, created_via, created_at) VALUES ('acme', '{id}', '{email}', '{domain}', 1, 0, 'admin', '2026-01-01T00:00:00.000Z')");
            assert!(block_on(w.db.batch_applied(&[Stmt { sql, args: vec![] }])).unwrap());
        }
        World { token, ..w }
    }

    pub fn call_as(
        &self,
        token: &str,
        company: &str,
        method: Method,
        path: &str,
        body: Json,
    ) -> ScimReply {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        *self.ids.borrow_mut() += 1;
        let new_id = format!("{:032x}", *self.ids.borrow());
        let body = match body {
            Json::Null => Vec::new(),
            b => b.to_string().into_bytes(),
        };
        let auth = format!("Bearer {token}");
        let req = ScimRequest {
            method,
            company,
            path: &segs,
            query,
            authorization: Some(&auth),
            content_type: Some("application/scim+json"),
            body: &body,
            base: BASE,
            now: NOW,
            new_id: &new_id,
            reference: "ref",
        };
        block_on(handle(&self.kv, &self.tokens, &self.db, &req))
    }

    pub fn call(&self, method: Method, path: &str, body: Json) -> ScimReply {
        self.call_as(&self.token, "acme", method, path, body)
    }

    /// POST an active user with this userName (201); its SCIM id.
    pub fn user(&self, user_name: &str) -> String {
        let body = json!({"schemas": [scim::USER_SCHEMA], "userName": user_name, "active": true});
        let u = self.ok(Method::Post, "Users", body, 201);
        u["id"].as_str().unwrap().to_owned()
    }

    pub fn ok(&self, method: Method, path: &str, body: Json, status: u16) -> Json {
        let r = self.call(method, path, body);
        assert_eq!(r.status, status, "{method:?} {path}: {:?}", r.body);
        r.body.unwrap_or(Json::Null)
    }

    pub fn audit(&self) -> Vec<(String, String, String)> {
        self.db
            .query("SELECT event, actor, detail FROM audit_log ORDER BY id")
            .iter()
            .map(|r| {
                (
                    r["event"].as_str().unwrap().into(),
                    r["actor"].as_str().unwrap_or("").into(),
                    r["detail"].as_str().unwrap_or("").into(),
                )
            })
            .collect()
    }

    pub fn user_count(&self) -> usize {
        self.db.query("SELECT COUNT(*) AS n FROM users")[0]["n"]
            .as_u64()
            .unwrap() as usize
    }
}

pub fn fixture(name: &str) -> Json {
    let path = format!("{ROOT}/crates/scim/tests/fixtures/{name}");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}
