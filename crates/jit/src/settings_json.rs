//! The settings document's JSON form: what [`CompanySettings::parse`] reads (unknown fields
//! refused, absent lists empty, absent options none) and what KV stores and the API returns.
//! Options written as `null` read as absent.

use crate::json::{obj, Json};
use crate::json_path::{Fields, FromJson};
use crate::settings::{CompanySettings, FieldError, Named, Provisioning, SamlSettings};

impl FromJson for CompanySettings {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        let mut f = Fields::of(v, path)?;
        let s = CompanySettings {
            version: f.req("version")?,
            display_name: f.req("display_name")?,
            dashboard_url: f.req("dashboard_url")?,
            saml: f.req("saml")?,
            provisioning: f.req("provisioning")?,
            exception_domains: f.or_default("exception_domains")?,
            provisionable_domains: f.or_default("provisionable_domains")?,
            workspaces: f.or_default("workspaces")?,
            permission_sets: f.or_default("permission_sets")?,
        };
        f.finish()?;
        Ok(s)
    }
}

impl FromJson for SamlSettings {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        let mut f = Fields::of(v, path)?;
        let s = SamlSettings {
            idp_entity_id: f.req("idp_entity_id")?,
            idp_certificates: f.req("idp_certificates")?,
            allow_sha1: f.or_default("allow_sha1")?,
            skew_seconds: f.opt("skew_seconds")?,
            email_attributes: f.opt("email_attributes")?,
            sp_certificates: f.or_default("sp_certificates")?,
            idp_sso_url: f.opt("idp_sso_url")?,
        };
        f.finish()?;
        Ok(s)
    }
}

impl FromJson for Provisioning {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        let mut f = Fields::of(v, path)?;
        let p = Provisioning {
            enabled: f.req("enabled")?,
            default_workspace: f.opt("default_workspace")?,
            default_permission_set: f.opt("default_permission_set")?,
        };
        f.finish()?;
        Ok(p)
    }
}

impl FromJson for Named {
    fn from_json(v: &Json, path: &str) -> Result<Self, FieldError> {
        let mut f = Fields::of(v, path)?;
        let n = Named {
            id: f.req("id")?,
            name: f.req("name")?,
            admin: f.or_default("admin")?,
        };
        f.finish()?;
        Ok(n)
    }
}

impl CompanySettings {
    /// The document as JSON, members in schema order.
    pub fn to_json(&self) -> Json {
        let named = |list: &[Named]| Json::Arr(list.iter().map(Named::to_json).collect());
        obj([
            ("version", self.version.into()),
            ("display_name", (&self.display_name).into()),
            ("dashboard_url", (&self.dashboard_url).into()),
            ("saml", self.saml.to_json()),
            (
                "provisioning",
                obj([
                    ("enabled", self.provisioning.enabled.into()),
                    (
                        "default_workspace",
                        self.provisioning.default_workspace.as_ref().into(),
                    ),
                    (
                        "default_permission_set",
                        self.provisioning.default_permission_set.as_ref().into(),
                    ),
                ]),
            ),
            ("exception_domains", self.exception_domains[..].into()),
            (
                "provisionable_domains",
                self.provisionable_domains[..].into(),
            ),
            ("workspaces", named(&self.workspaces)),
            ("permission_sets", named(&self.permission_sets)),
        ])
    }
}

impl SamlSettings {
    /// Optional members are written only when set, as the schema's examples show them.
    fn to_json(&self) -> Json {
        let mut m = vec![
            ("idp_entity_id".to_owned(), (&self.idp_entity_id).into()),
            (
                "idp_certificates".to_owned(),
                self.idp_certificates[..].into(),
            ),
            ("allow_sha1".to_owned(), self.allow_sha1.into()),
        ];
        if let Some(s) = self.skew_seconds {
            m.push(("skew_seconds".to_owned(), s.into()));
        }
        if let Some(names) = &self.email_attributes {
            m.push(("email_attributes".to_owned(), names[..].into()));
        }
        if !self.sp_certificates.is_empty() {
            m.push((
                "sp_certificates".to_owned(),
                self.sp_certificates[..].into(),
            ));
        }
        if let Some(url) = &self.idp_sso_url {
            m.push(("idp_sso_url".to_owned(), url.into()));
        }
        Json::Obj(m)
    }
}

impl Named {
    fn to_json(&self) -> Json {
        let mut m = vec![
            ("id".to_owned(), (&self.id).into()),
            ("name".to_owned(), (&self.name).into()),
        ];
        if self.admin {
            m.push(("admin".to_owned(), true.into()));
        }
        Json::Obj(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_path::from_slice;

    const FULL: &str = r#"{"version":1,"display_name":"Decorumsoft \"DS\"","dashboard_url":"https://d.example/","saml":{"idp_entity_id":"https://idp.example/","idp_certificates":["MIIB"],"allow_sha1":true,"skew_seconds":90,"email_attributes":["mail"],"sp_certificates":["MIIC"],"idp_sso_url":"https://idp.example/sso"},"provisioning":{"enabled":true,"default_workspace":"main","default_permission_set":"member"},"exception_domains":["decorumsoft.eu"],"provisionable_domains":["decorumsoft.com"],"workspaces":[{"id":"main","name":"Main"}],"permission_sets":[{"id":"member","name":"Member"},{"id":"admins","name":"Admins","admin":true}]}"#;

    #[test]
    fn writes_back_exactly_what_it_read() {
        let s: CompanySettings = from_slice(FULL.as_bytes()).unwrap();
        assert_eq!(s.saml.skew_seconds, Some(90));
        assert!(s.permission_sets[1].admin);
        assert_eq!(s.to_json().dump(), FULL);
    }

    #[test]
    fn absent_members_take_their_defaults_and_are_not_written() {
        let min = r#"{"version":1,"display_name":"x","dashboard_url":"https://d/","saml":{"idp_entity_id":"i","idp_certificates":[]},"provisioning":{"enabled":false}}"#;
        let s: CompanySettings = from_slice(min.as_bytes()).unwrap();
        assert_eq!(s.provisioning.default_workspace, None);
        assert!(s.workspaces.is_empty() && !s.saml.allow_sha1);
        assert_eq!(
            s.to_json().dump(),
            r#"{"version":1,"display_name":"x","dashboard_url":"https://d/","saml":{"idp_entity_id":"i","idp_certificates":[],"allow_sha1":false},"provisioning":{"enabled":false,"default_workspace":null,"default_permission_set":null},"exception_domains":[],"provisionable_domains":[],"workspaces":[],"permission_sets":[]}"#
        );
        assert_eq!(
            from_slice::<CompanySettings>(s.to_json().dump().as_bytes()),
            Ok(s)
        );
    }

    #[test]
    fn names_the_member_at_fault() {
        let field = |doc: &str| {
            from_slice::<CompanySettings>(doc.as_bytes())
                .unwrap_err()
                .field
        };
        assert_eq!(
            field(&FULL.replace("\"enabled\":true", "\"enabled\":1")),
            "provisioning.enabled"
        );
        assert_eq!(
            field(&FULL.replace("\"skew_seconds\":90", "\"skew_seconds\":-1")),
            "saml.skew_seconds"
        );
        assert_eq!(
            field(&FULL.replace("\"admin\":true", "\"admin\":true,\"x\":1")),
            "permission_sets[1].x"
        );
        assert_eq!(field(&FULL.replace("\"version\":1,", "")), "version");
        assert_eq!(
            field(&FULL.replace("[\"MIIB\"]", "\"MIIB\"")),
            "saml.idp_certificates"
        );
    }
}
