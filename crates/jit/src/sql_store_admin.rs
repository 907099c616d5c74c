//! [`AdminDirectory`] over the [`Sql`] port: support and admin reads and writes.

use saml_verify::Timestamp;

use super::{query, stmt, text, SqlDirectory};
use crate::policy::COUNTS_FOR_DOMAIN_SQL;
use crate::ports::{AdminDirectory, AuditRow, StoreError, TokenInfo, TokenOwner, User};
use crate::scim_api::Sql;
use crate::settings::Named;
use crate::sql::{self, rows, USER_SELECT};
use crate::tokens::TokenKind;

impl<S: Sql> AdminDirectory for SqlDirectory<S> {
    /// Create a user through the support API. `Ok(false)` when the email is taken.
    async fn insert_user(&self, u: &User) -> Result<bool, StoreError> {
        self.sql.batch_applied(&sql::insert_user(u)).await
    }

    async fn users(&self, company: &str) -> Result<Vec<User>, StoreError> {
        let sql = format!("{USER_SELECT} WHERE u.company = ?1 ORDER BY u.email");
        let found = self.sql.rows(&query(sql, &[company])).await?;
        found.iter().map(rows::user).collect()
    }

    async fn audit_rows(&self, company: &str) -> Result<Vec<AuditRow>, StoreError> {
        let sql = "SELECT at, event, email, assertion_id, reason, reference, actor, detail \
                   FROM audit_log WHERE company = ?1 ORDER BY id DESC LIMIT 1000";
        let found = self.sql.rows(&query(sql, &[company])).await?;
        found.iter().map(rows::from_row::<AuditRow>).collect()
    }

    async fn sign_in_log(
        &self,
        company: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, AuditRow)>, StoreError> {
        let found = self
            .sql
            .rows(&sql::sign_in_log(company, before, limit))
            .await?;
        let entry = |r: &rows::Row| Ok((rows::col_int(r, "id")?, rows::from_row(r)?));
        found.iter().map(entry).collect()
    }

    async fn domain_witness(
        &self,
        company: &str,
        domain: &str,
    ) -> Result<Option<String>, StoreError> {
        let found = self.sql.rows(&sql::domain_witness(company, domain)).await?;
        found
            .first()
            .map(|r| rows::col_text(r, "email"))
            .transpose()
    }

    async fn consume_test(
        &self,
        company: &str,
        id: &str,
        keep: Timestamp,
        report_json: &str,
    ) -> Result<bool, StoreError> {
        let consume = sql::consume_test(company, id, keep.0, report_json);
        self.sql.batch_applied(&[consume]).await
    }

    async fn test_report(
        &self,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let found = self.sql.rows(&sql::test_report(company, id, now.0)).await?;
        found
            .first()
            .map(|r| rows::col_text(r, "report"))
            .transpose()
    }

    /// Domains with a confirmed, non-impersonation user: the provisioning rule's source of truth.
    async fn provisionable_domains(&self, company: &str) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT domain FROM users WHERE company = ?1 AND {COUNTS_FOR_DOMAIN_SQL} \
             ORDER BY domain"
        );
        let found = self.sql.rows(&query(sql, &[company])).await?;
        found.iter().map(|r| rows::col_text(r, "domain")).collect()
    }

    /// Replace the company's workspaces and permission sets, in one transaction.
    async fn replace_catalog(
        &self,
        company: &str,
        workspaces: &[Named],
        sets: &[Named],
    ) -> Result<(), StoreError> {
        let batch = sql::replace_catalog(company, workspaces, sets);
        self.sql.batch_applied(&batch).await.map(|_| ())
    }

    /// Store a new token's hash.
    async fn insert_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let args = vec![
            text(company),
            text(id),
            text(secret_hash),
            text(&now.to_string()),
        ];
        self.sql
            .run(&stmt(kind.insert_sql(), args))
            .await
            .map(|_| ())
    }

    /// The company and stored hash of an unrevoked token.
    async fn token(&self, kind: TokenKind, id: &str) -> Result<Option<TokenOwner>, StoreError> {
        let found = self.sql.rows(&query(kind.lookup_sql(), &[id])).await?;
        match found.first() {
            Some(r) => Ok(Some((
                rows::col_text(r, "company")?,
                rows::col_text(r, "secret_hash")?,
            ))),
            None => Ok(None),
        }
    }

    /// Tokens of a company (never their hashes).
    async fn tokens(&self, kind: TokenKind, company: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let found = self.sql.rows(&query(kind.list_sql(), &[company])).await?;
        found.iter().map(rows::from_row::<TokenInfo>).collect()
    }

    /// Revoke a token; `Ok(false)` when there was no such unrevoked token.
    async fn revoke_token(
        &self,
        kind: TokenKind,
        company: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let args = vec![text(company), text(id), text(&now.to_string())];
        Ok(self.sql.run(&stmt(kind.revoke_sql(), args)).await? == 1)
    }

    /// Whether a permission set of the company grants the admin surfaces.
    async fn is_admin_set(&self, company: &str, permission_set: &str) -> Result<bool, StoreError> {
        let sql = "SELECT admin FROM permission_sets WHERE company = ?1 AND id = ?2";
        let found = self
            .sql
            .rows(&query(sql, &[company, permission_set]))
            .await?;
        match found.first() {
            Some(r) => rows::col_flag(r, "admin"),
            None => Ok(false),
        }
    }
}
