//! The [`SettingsStore`] port on Workers KV: one JSON document per company at `company:{id}`.

use jit::ports::{SettingsStore, StoreError};
use jit::settings::CompanySettings;
use worker::kv::KvStore;

pub struct KvSettings {
    kv: KvStore,
}

/// The KV key of a company's settings document.
pub fn key(company: &str) -> String {
    format!("company:{company}")
}

impl KvSettings {
    pub fn new(kv: KvStore) -> Self {
        KvSettings { kv }
    }
}

impl SettingsStore for KvSettings {
    async fn company(&self, company: &str) -> Result<Option<CompanySettings>, StoreError> {
        let text = self
            .kv
            .get(&key(company))
            .text()
            .await
            .map_err(|e| StoreError::Unavailable(format!("KV: {e}")))?;
        match text {
            None => Ok(None),
            Some(t) => CompanySettings::parse(t.as_bytes()).map(Some).map_err(|e| {
                StoreError::Corrupt(format!("settings of {company}: {}: {}", e.field, e.reason))
            }),
        }
    }

    /// Store a validated document.
    async fn put(&self, company: &str, settings: &CompanySettings) -> Result<(), StoreError> {
        let json = settings.to_json();
        // As bytes: KV stores the same UTF-8 either way.
        self.kv
            .put_bytes(&key(company), json.as_bytes())
            .map_err(|e| StoreError::Unavailable(format!("KV: {e}")))?
            .execute()
            .await
            .map_err(|e| StoreError::Unavailable(format!("KV: {e}")))
    }
}
