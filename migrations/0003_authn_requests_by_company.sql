-- The pending-request cap counts a company's unexpired AuthnRequests on every SP-initiated
-- sign-in: index them by company and expiry so the count reads only those rows.
CREATE INDEX authn_requests_company_expiry ON authn_requests (company, expires_at);
