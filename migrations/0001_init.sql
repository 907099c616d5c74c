-- Users, workspaces, permission sets, the replay cache and the audit log of every company.

CREATE TABLE workspaces (
  company TEXT NOT NULL,
  id      TEXT NOT NULL,
  name    TEXT NOT NULL,
  PRIMARY KEY (company, id)
);

CREATE TABLE permission_sets (
  company TEXT NOT NULL,
  id      TEXT NOT NULL,
  name    TEXT NOT NULL,
  admin   INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  PRIMARY KEY (company, id)
);

-- email is stored lower-cased; domain is the part after the last '@', for the provisioning rule.
CREATE TABLE users (
  company        TEXT NOT NULL,
  email          TEXT NOT NULL,
  domain         TEXT NOT NULL,
  workspace      TEXT,
  permission_set TEXT,
  confirmed      INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
  impersonation  INTEGER NOT NULL CHECK (impersonation IN (0, 1)),
  created_via    TEXT NOT NULL CHECK (created_via IN ('admin', 'jit')),
  created_at     TEXT NOT NULL,
  last_login_at  TEXT,
  PRIMARY KEY (company, email)
);
CREATE INDEX users_provisionable ON users (company, domain, confirmed, impersonation);

-- Assertion IDs already consumed, kept until the assertion could no longer be used anyway.
CREATE TABLE used_assertions (
  company      TEXT NOT NULL,
  assertion_id TEXT NOT NULL,
  expires_at   INTEGER NOT NULL, -- Unix milliseconds
  PRIMARY KEY (company, assertion_id)
);
CREATE INDEX used_assertions_expiry ON used_assertions (expires_at);

CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  company      TEXT NOT NULL,
  at           TEXT NOT NULL,
  event        TEXT NOT NULL CHECK (event IN ('provisioned', 'signed_in', 'refused')),
  email        TEXT,
  assertion_id TEXT,
  reason       TEXT,
  reference    TEXT NOT NULL
);
CREATE INDEX audit_log_company ON audit_log (company, id);
