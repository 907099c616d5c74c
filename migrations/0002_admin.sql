-- Per-company admin API tokens (only the SHA-256 of the secret is kept) and the AuthnRequest IDs
-- of pending SP-initiated sign-ins.

CREATE TABLE admin_tokens (
  company     TEXT NOT NULL,
  id          TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT,
  PRIMARY KEY (company, id)
);

CREATE TABLE authn_requests (
  company    TEXT NOT NULL,
  id         TEXT NOT NULL,
  expires_at INTEGER NOT NULL, -- Unix milliseconds
  PRIMARY KEY (company, id)
);
CREATE INDEX authn_requests_expiry ON authn_requests (expires_at);
