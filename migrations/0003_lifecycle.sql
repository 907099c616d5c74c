-- Issue #13: accounts that follow the IdP.
--
-- users gains a stable opaque id (the SCIM id; memberships point at it, so an email change
-- touches one row), the names synced from the IdP, the persistent NameID the account is bound
-- to (company + IdP entity ID + NameID, unique), and an `active` flag. Its workspace and
-- permission set move to `memberships`, one row per workspace: every existing user keeps them as
-- its first membership. created_via gains 'scim'.
--
-- audit_log gains `actor` (who acted: 'saml', 'support', 'admin:<token id>', 'scim:<token id>')
-- and `detail` (never a secret and never an attribute value: e.g. the names of the fields that
-- changed), and loses the CHECK on `event`: the audit log is the largest table, and a CHECK
-- listing the events would make every new kind of event a rebuild of it. The events are the
-- `jit::ports::AuditEvent` enum, the only code that writes them.
--
-- SQLite cannot change a CHECK constraint in place: both tables are rebuilt and their rows
-- copied, in the one transaction `wrangler d1 migrations apply` runs a migration file in.

CREATE TABLE users_v3 (
  company        TEXT NOT NULL,
  id             TEXT NOT NULL,
  email          TEXT NOT NULL,
  domain         TEXT NOT NULL,
  confirmed      INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
  impersonation  INTEGER NOT NULL CHECK (impersonation IN (0, 1)),
  created_via    TEXT NOT NULL CHECK (created_via IN ('admin', 'jit', 'scim')),
  created_at     TEXT NOT NULL,
  last_login_at  TEXT,
  first_name     TEXT,
  last_name      TEXT,
  name_id        TEXT,
  name_id_issuer TEXT,
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  PRIMARY KEY (company, email),
  CHECK ((name_id IS NULL) = (name_id_issuer IS NULL))
);

INSERT INTO users_v3 (company, id, email, domain, confirmed, impersonation, created_via,
                      created_at, last_login_at)
  SELECT company, lower(hex(randomblob(16))), email, domain, confirmed, impersonation,
         created_via, created_at, last_login_at
  FROM users;

CREATE TABLE memberships (
  company        TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  workspace      TEXT NOT NULL,
  permission_set TEXT NOT NULL,
  PRIMARY KEY (company, user_id, workspace)
);

-- A user that had a permission set but no workspace (the API allowed it) keeps an *admin*
-- permission set in the company's first workspace, so that a company admin stays one; any other
-- half-set user (a permission set without a workspace, or a workspace without a permission set)
-- gets no membership: a membership is both, and inventing one would widen access.
INSERT INTO memberships (company, user_id, workspace, permission_set)
  SELECT u.company, n.id,
         COALESCE(u.workspace,
                  (SELECT w.id FROM workspaces w WHERE w.company = u.company ORDER BY w.id LIMIT 1)),
         u.permission_set
  FROM users u JOIN users_v3 n ON n.company = u.company AND n.email = u.email
  WHERE u.permission_set IS NOT NULL
    AND (u.workspace IS NOT NULL
         OR (EXISTS (SELECT 1 FROM permission_sets p
                     WHERE p.company = u.company AND p.id = u.permission_set AND p.admin = 1)
             AND EXISTS (SELECT 1 FROM workspaces w WHERE w.company = u.company)));

DROP TABLE users;
ALTER TABLE users_v3 RENAME TO users;
CREATE UNIQUE INDEX users_id ON users (company, id);
CREATE UNIQUE INDEX users_name_id ON users (company, name_id_issuer, name_id)
  WHERE name_id IS NOT NULL;
CREATE INDEX users_provisionable ON users (company, domain, confirmed, impersonation);

CREATE TABLE audit_log_v3 (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  company      TEXT NOT NULL,
  at           TEXT NOT NULL,
  event        TEXT NOT NULL,
  email        TEXT,
  assertion_id TEXT,
  reason       TEXT,
  reference    TEXT NOT NULL,
  actor        TEXT,
  detail       TEXT
);

INSERT INTO audit_log_v3 (id, company, at, event, email, assertion_id, reason, reference, actor)
  SELECT id, company, at, event, email, assertion_id, reason, reference, 'saml'
  FROM audit_log;

DROP TABLE audit_log;
ALTER TABLE audit_log_v3 RENAME TO audit_log;
CREATE INDEX audit_log_company ON audit_log (company, id);
