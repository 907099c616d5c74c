//! This SP's endpoints for one company, built in one place: the entity ID is the metadata URL
//! (SAML metadata §4.1, the well-known location), the ACS takes the HTTP-POST binding (SAML
//! bindings §3.5).

/// The SP entity ID, ACS URL and metadata URL of `company` behind `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpEndpoints {
    pub entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
}

impl SpEndpoints {
    /// `origin` is the public origin without a trailing slash.
    pub fn of(origin: &str, company: &str) -> Self {
        let metadata_url = format!("{origin}/saml/{company}/metadata");
        SpEndpoints {
            entity_id: metadata_url.clone(),
            acs_url: format!("{origin}/saml/{company}/acs"),
            metadata_url,
        }
    }
}

/// The settings document's members, then the SP's endpoints (`GET`/`PUT`/`PATCH` answers).
#[derive(serde::Serialize)]
pub struct WithEndpoints<'a> {
    #[serde(flatten)]
    pub settings: &'a crate::settings::CompanySettings,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
}

impl<'a> WithEndpoints<'a> {
    pub fn new(settings: &'a crate::settings::CompanySettings, sp: SpEndpoints) -> Self {
        WithEndpoints {
            settings,
            sp_entity_id: sp.entity_id,
            acs_url: sp.acs_url,
            metadata_url: sp.metadata_url,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn endpoints_of_a_company() {
        let e = super::SpEndpoints::of("https://sso.example", "acme");
        assert_eq!(e.entity_id, "https://sso.example/saml/acme/metadata");
        assert_eq!(e.metadata_url, e.entity_id);
        assert_eq!(e.acs_url, "https://sso.example/saml/acme/acs");
    }
}
