-- IdP certificate lifecycle (issue #15, README "Certificate rollover"): the refresh status of each
-- company's IdP metadata URL, and what the rollover remembers of each IdP certificate. Times are
-- RFC 3339 UTC text (`2026-12-04T12:00:00.000Z`), which sorts as time does.

CREATE TABLE idp_sources (
  company      TEXT PRIMARY KEY,
  metadata_url TEXT NOT NULL,
  attempted_at TEXT NOT NULL, -- the last refresh attempt
  refreshed_at TEXT,          -- the last successful one
  last_error   TEXT,          -- why the last attempt changed nothing (NULL after a success)
  valid_until  TEXT           -- the metadata's validUntil at the last success
);

CREATE TABLE idp_certificates (
  company           TEXT NOT NULL,
  fingerprint       TEXT NOT NULL, -- SHA-256 of the certificate, lower-case hex
  left_metadata_at  TEXT,          -- when a refresh found it pinned but gone from the metadata
  first_verified_at TEXT,          -- when it first verified a sign-in
  warned_30         INTEGER NOT NULL DEFAULT 0, -- the 30-day expiry warning was written
  warned_7          INTEGER NOT NULL DEFAULT 0, -- the 7-day one
  PRIMARY KEY (company, fingerprint)
);
