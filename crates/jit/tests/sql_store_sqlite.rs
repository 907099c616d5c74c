//! The storage ports of `jit::sql_store` (what the worker runs on D1) on a real SQLite with
//! `migrations/` applied: the replay claim, the audit log, tokens, the retention purge and the
//! AuthnRequest check, each through the port and read back (the sign-in batch itself is tested
//! in sql_sqlite.rs, the SCIM statements in scim_sqlite.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scim_world;

use jit::ports::{AdminDirectory, AuditEntry, AuditEvent, Directory};
use jit::retention::{Purge, Table};
use jit::sql_store::SqlDirectory;
use jit::tokens::TokenKind;
use pollster::block_on;
use saml_verify::Timestamp;
use scim_world::{Sqlite, NOW};

fn store() -> SqlDirectory<Sqlite> {
    SqlDirectory::new(Sqlite::new())
}

#[test]
fn an_assertion_is_claimed_once_and_purged_after_it_expires() {
    let d = store();
    let expires = Timestamp(NOW.0 + 60_000);
    assert!(block_on(d.claim_assertion("acme", "_a1", expires)).unwrap());
    assert!(
        !block_on(d.claim_assertion("acme", "_a1", expires)).unwrap(),
        "replay"
    );
    assert!(
        block_on(d.claim_assertion("other", "_a1", expires)).unwrap(),
        "per company"
    );
    let before = Timestamp(NOW.0);
    assert_eq!(
        block_on(d.purge_batch(Table::UsedAssertions, before, 100)).unwrap(),
        0
    );
    let after = Timestamp(expires.0);
    assert_eq!(
        block_on(d.purge_batch(Table::UsedAssertions, after, 1)).unwrap(),
        1
    );
    assert_eq!(
        block_on(d.purge_batch(Table::UsedAssertions, after, 100)).unwrap(),
        1
    );
    assert!(
        block_on(d.claim_assertion("acme", "_a1", expires)).unwrap(),
        "purged"
    );
}

#[test]
fn audit_rows_are_written_read_back_and_purged_by_age() {
    let d = store();
    let entry = |at: i64, reference: &str| AuditEntry {
        company: "acme".into(),
        at: Timestamp(at),
        event: AuditEvent::Refused,
        email: Some("jo@acme.com".into()),
        assertion_id: Some("_x".into()),
        reason: Some("replayed_assertion".into()),
        reference: reference.into(),
        actor: Some("saml".into()),
        detail: None,
    };
    block_on(d.audit(&entry(NOW.0 - 86_400_000, "old"))).unwrap();
    block_on(d.audit(&entry(NOW.0, "new"))).unwrap();
    let rows = block_on(d.audit_rows("acme")).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].reference, "new", "newest first");
    assert_eq!(rows[0].reason.as_deref(), Some("replayed_assertion"));
    assert!(block_on(d.audit_rows("other")).unwrap().is_empty());
    let cutoff = Timestamp(NOW.0 - 1);
    assert_eq!(
        block_on(d.purge_batch(Table::AuditLog, cutoff, 100)).unwrap(),
        1
    );
    let left = block_on(d.audit_rows("acme")).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].reference, "new");
}

#[test]
fn tokens_are_stored_listed_and_revoked_once() {
    let d = store();
    block_on(d.insert_token(TokenKind::Scim, "acme", "t1", "hash1", NOW)).unwrap();
    let owner = block_on(d.token(TokenKind::Scim, "t1")).unwrap();
    assert_eq!(owner, Some(("acme".to_owned(), "hash1".to_owned())));
    assert_eq!(
        block_on(d.token(TokenKind::Admin, "t1")).unwrap(),
        None,
        "kinds apart"
    );
    let listed = block_on(d.tokens(TokenKind::Scim, "acme")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].revoked_at.as_ref()),
        ("t1", None)
    );
    assert!(!block_on(d.revoke_token(TokenKind::Scim, "other", "t1", NOW)).unwrap());
    assert!(block_on(d.revoke_token(TokenKind::Scim, "acme", "t1", NOW)).unwrap());
    assert!(!block_on(d.revoke_token(TokenKind::Scim, "acme", "t1", NOW)).unwrap());
    assert_eq!(
        block_on(d.token(TokenKind::Scim, "t1")).unwrap(),
        None,
        "revoked"
    );
}

#[test]
fn a_request_id_is_consumed_once_before_it_expires_and_only_if_this_sp_signed_it() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let d = SqlDirectory::with_request_secret(Sqlite::new(), secret);
    let expires = Timestamp(NOW.0 + 300_000);
    let id = jit::request_id::issue(secret, "acme", [7; 16], expires).unwrap();
    assert!(
        !block_on(d.consume_request("other", &id, NOW)).unwrap(),
        "another company's"
    );
    assert!(block_on(d.consume_request("acme", &id, NOW)).unwrap());
    assert!(
        !block_on(d.consume_request("acme", &id, NOW)).unwrap(),
        "answered once"
    );
    let rows = d
        .sql
        .query("SELECT company, expires_at FROM authn_requests");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["expires_at"], expires.0);
    let late = jit::request_id::issue(secret, "acme", [8; 16], expires).unwrap();
    assert!(
        !block_on(d.consume_request("acme", &late, expires)).unwrap(),
        "expired"
    );
    let mut forged = late.clone();
    forged.replace_range(3..4, if &late[3..4] == "0" { "1" } else { "0" });
    assert!(
        !block_on(d.consume_request("acme", &forged, NOW)).unwrap(),
        "forged"
    );
    let unsigned = SqlDirectory::new(Sqlite::new());
    assert!(
        !block_on(unsigned.consume_request("acme", &late, NOW)).unwrap(),
        "no secret"
    );
    assert_eq!(
        d.sql.query("SELECT id FROM authn_requests").len(),
        1,
        "refusals write nothing"
    );
    assert_eq!(
        block_on(d.purge_batch(Table::AuthnRequests, expires, 100)).unwrap(),
        1
    );
}
