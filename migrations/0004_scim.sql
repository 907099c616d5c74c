-- SCIM 2.0 (issue #14): per-company SCIM bearer tokens (only the SHA-256 of the secret is kept),
-- the SCIM attributes of users, session revocation, and SCIM groups.

CREATE TABLE scim_tokens (
  company     TEXT NOT NULL,
  id          TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT,
  PRIMARY KEY (company, id)
);
CREATE UNIQUE INDEX scim_tokens_id ON scim_tokens (id);

-- externalId as the IdP sent it; when the user last changed through SCIM; sessions issued at or
-- before sessions_valid_after (Unix seconds) are no longer accepted by GET /session; a user
-- deleted through SCIM stays (deactivated: SAML sign-in refused, JIT never re-creates them) but
-- SCIM answers 404 for it.
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN scim_emails TEXT; -- the SCIM emails as JSON (the email is userName)
ALTER TABLE users ADD COLUMN updated_at TEXT;
ALTER TABLE users ADD COLUMN sessions_valid_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN scim_deleted INTEGER NOT NULL DEFAULT 0 CHECK (scim_deleted IN (0, 1));
CREATE INDEX users_external_id ON users (company, external_id);

CREATE TABLE scim_groups (
  company      TEXT NOT NULL,
  id           TEXT NOT NULL,
  display_name TEXT NOT NULL,
  external_id  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (company, id)
);
CREATE INDEX scim_groups_name ON scim_groups (company, display_name);

CREATE TABLE scim_group_members (
  company  TEXT NOT NULL,
  group_id TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  PRIMARY KEY (company, group_id, user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (company, user_id);
