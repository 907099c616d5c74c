-- SCIM 2.0 (issue #14): per-company SCIM bearer tokens (only the SHA-256 of the secret is kept).

CREATE TABLE scim_tokens (
  company     TEXT NOT NULL,
  id          TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT,
  PRIMARY KEY (company, id)
);
CREATE UNIQUE INDEX scim_tokens_id ON scim_tokens (id);
