-- Issue #15: an admin's test sign-in keeps its report with its consumed request ID (the row
-- that makes the ID answerable once), until the purge removes it an hour later.
ALTER TABLE authn_requests ADD COLUMN report TEXT;
