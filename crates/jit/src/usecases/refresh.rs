//! The IdP's metadata refresh and the certificate expiry warnings of one company (README
//! "Certificate rollover"): run daily by the Cron Trigger for every company, and on demand by
//! `POST /admin/companies/{company}/idp/refresh`. The decisions are [`crate::rollover::plan`]
//! and [`crate::expiry::due`]; this fetches, stores the new settings, and writes the records
//! and audit rows in one batch.

use std::collections::BTreeMap;

use saml_verify::{Timestamp, TrustedKey};
use serde::Serialize;

use super::company::settings;
use super::metadata::{fetchable, MAX_METADATA_BYTES};
use super::AdminError;
use crate::admin::Role;
use crate::expiry;
use crate::ports::{AuditEntry, AuditEvent, IdpRecords, MetadataFetcher, SettingsStore};
use crate::rollover::{self, CertFacts, Refresh, Unchanged};
use crate::settings::{CompanySettings, FieldError};
use crate::sql::{self, Stmt};
use crate::sql_idp;

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The pinned certificates changed.
    Updated,
    /// The metadata was read and nothing needed to change.
    Unchanged,
    /// Nothing changed because of `error` (fetch failure, not metadata, expired, other IdP).
    Failed,
    /// The company has no `saml.idp_metadata_url`: only the expiry warnings were checked.
    NoMetadataUrl,
}

/// The answer of a refresh (JSON for the route, a log line for the cron).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub company: String,
    pub outcome: Outcome,
    pub metadata_url: Option<String>,
    /// SHA-256 fingerprints.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// No longer in the metadata, still pinned (see README "Certificate rollover").
    pub pending: Vec<String>,
    pub valid_until: Option<String>,
    pub error: Option<String>,
    /// The pinned certificates after the refresh.
    pub certificates: Vec<Pinned>,
    /// Expiry warnings written by this run, e.g. `30 days: sha256 …`.
    pub warnings: Vec<String>,
}

/// A pinned certificate as an admin reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pinned {
    pub fingerprint: String,
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
}

/// Who runs it and when.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub company: &'a str,
    pub now: Timestamp,
    /// The audit rows' reference.
    pub reference: &'a str,
    /// `cron`, `support` or `admin`.
    pub actor: &'a str,
    /// The worker's own origin is loopback: http metadata URLs are allowed (development).
    pub loopback_origin: bool,
}

impl<'a> Run<'a> {
    pub fn new(company: &'a str, now: Timestamp, reference: &'a str, actor: &'a str) -> Self {
        Run {
            company,
            now,
            reference,
            actor,
            loopback_origin: false,
        }
    }

    /// Allow http metadata URLs when the worker's own origin is loopback.
    pub fn loopback(self, loopback_origin: bool) -> Self {
        Run {
            loopback_origin,
            ..self
        }
    }
}

/// Refresh `company` from its metadata URL (if it has one) and write the expiry warnings due.
pub async fn refresh<S: SettingsStore, R: IdpRecords, F: MetadataFetcher>(
    store: &S,
    records: &R,
    fetcher: &F,
    run: Run<'_>,
) -> Result<Report, AdminError> {
    let mut current = settings(store, run.company).await?;
    let facts = records.certificate_facts(run.company).await?;
    let mut report = Report {
        company: run.company.to_owned(),
        outcome: Outcome::NoMetadataUrl,
        metadata_url: current.saml.idp_metadata_url.clone(),
        added: vec![],
        removed: vec![],
        pending: vec![],
        valid_until: None,
        error: None,
        certificates: vec![],
        warnings: vec![],
    };
    let mut stmts: Vec<Stmt> = Vec::new();
    if let Some(url) = current.saml.idp_metadata_url.clone() {
        let decided = decide(&current, &url, &facts, fetcher, &run).await;
        stmts.extend(record(&mut report, &url, &decided, &run));
        if let Ok(r) = decided {
            if r.changed() || r.sso_url.is_some() && r.sso_url != current.saml.idp_sso_url {
                current.saml.idp_certificates = r.certificates.clone();
                current.saml.idp_sso_url = r.sso_url.clone().or(current.saml.idp_sso_url);
                let next = CompanySettings::parse(current.to_json().as_bytes())
                    .map_err(AdminError::Invalid)?;
                store.put(run.company, &next).await?;
                current = next;
            }
        }
    }
    let keys: Vec<TrustedKey> = current
        .saml
        .idp_certificates
        .iter()
        .filter_map(|p| TrustedKey::from_certificate(p.as_bytes()).ok())
        .collect();
    let warned = |fp: &str| facts.get(fp).map(|f| f.warned).unwrap_or_default();
    for w in expiry::due(&keys, warned, run.now) {
        let text = format!(
            "{} days: sha256 {} ({}) expires {}",
            w.days, w.fingerprint, w.subject, w.not_after
        );
        stmts.push(sql::audit(&entry(
            &run,
            AuditEvent::IdpCertificateExpiring,
            text.clone(),
        )));
        stmts.push(sql_idp::warned(run.company, &w.fingerprint, w.days));
        report.warnings.push(text);
    }
    report.certificates = keys.iter().map(pinned).collect();
    if !stmts.is_empty() {
        records.write(&stmts).await?;
    }
    Ok(report)
}

/// `POST /admin/companies/{company}/idp/refresh` by `role`: [`refresh`]; refused as an invalid
/// field, with nothing written, when the company follows no metadata URL.
pub async fn requested<S: SettingsStore, R: IdpRecords, F: MetadataFetcher>(
    store: &S,
    records: &R,
    fetcher: &F,
    role: &Role,
    run: Run<'_>,
) -> Result<Report, AdminError> {
    if settings(store, run.company)
        .await?
        .saml
        .idp_metadata_url
        .is_none()
    {
        return Err(AdminError::Invalid(FieldError {
            field: "saml.idp_metadata_url".into(),
            reason: "not set: import the IdP's metadata from its URL first".into(),
        }));
    }
    let actor = match role {
        Role::Support => "support",
        Role::Admin { .. } => "admin",
    };
    refresh(store, records, fetcher, Run { actor, ..run }).await
}

/// Fetch, parse and decide.
async fn decide<F: MetadataFetcher>(
    current: &CompanySettings,
    url: &str,
    facts: &BTreeMap<String, CertFacts>,
    fetcher: &F,
    run: &Run<'_>,
) -> Result<Refresh, Unchanged> {
    if !fetchable(url, run.loopback_origin) {
        return Err(Unchanged::FetchFailed("not an https URL".into()));
    }
    let xml = fetcher.fetch(url).await.map_err(Unchanged::FetchFailed)?;
    if xml.len() > MAX_METADATA_BYTES {
        return Err(Unchanged::FetchFailed("metadata over 256 KiB".into()));
    }
    let md = saml_verify::metadata::parse_idp_metadata(&xml).map_err(|_| Unchanged::NotMetadata)?;
    let s = &current.saml;
    rollover::plan(&s.idp_certificates, &s.idp_entity_id, &md, facts, run.now)
}

/// The report's fields, the refresh status, the certificate records and the audit row.
fn record(
    report: &mut Report,
    url: &str,
    decided: &Result<Refresh, Unchanged>,
    run: &Run<'_>,
) -> Vec<Stmt> {
    match decided {
        Ok(r) => {
            report.outcome = match r.changed() {
                true => Outcome::Updated,
                false => Outcome::Unchanged,
            };
            report.added = r.added.clone();
            report.removed = r.removed.clone();
            report.pending = r.pending.clone();
            report.valid_until = r.valid_until.map(|t| t.to_string());
            let detail = format!(
                "{}: added [{}], removed [{}], pending [{}]",
                if r.changed() { "updated" } else { "unchanged" },
                r.added.join(" "),
                r.removed.join(" "),
                r.pending.join(" ")
            );
            let mut out = vec![sql_idp::source_status(
                run.company,
                url,
                run.now,
                None,
                r.valid_until,
            )];
            out.extend(sql_idp::after_refresh(run.company, r, run.now));
            out.push(sql::audit(&entry(run, AuditEvent::IdpRefreshed, detail)));
            out
        }
        Err(u) => {
            let reason = u.reason();
            report.outcome = Outcome::Failed;
            report.error = Some(reason.clone());
            vec![
                sql_idp::source_status(run.company, url, run.now, Some(&reason), None),
                sql::audit(&entry(run, AuditEvent::IdpRefreshFailed, reason)),
            ]
        }
    }
}

fn entry(run: &Run<'_>, event: AuditEvent, detail: String) -> AuditEntry {
    AuditEntry {
        company: run.company.to_owned(),
        at: run.now,
        event,
        email: None,
        assertion_id: None,
        reason: None,
        reference: run.reference.to_owned(),
        actor: Some(run.actor.to_owned()),
        detail: Some(detail),
    }
}

fn pinned(k: &TrustedKey) -> Pinned {
    Pinned {
        fingerprint: k.fingerprint(),
        subject: k.subject().to_owned(),
        not_before: k.not_before().to_string(),
        not_after: k.not_after().to_string(),
    }
}
