//! IdP metadata (SAML metadata §2.3.2 EntityDescriptor, §2.4.3 IDPSSODescriptor): the entity ID,
//! the signing certificates (KeyDescriptor with `use="signing"` or no `use`, §2.4.1.1) and the
//! SingleSignOnService endpoints.

use crate::ns::{DSIG, MD};
use crate::xml::{parse, Document, Limits, NodeId};
use crate::{Error, Timestamp, TrustedKey};

/// What an IdP's metadata says about signing in with it.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub signing_keys: Vec<TrustedKey>,
    /// (Binding URI, Location) of each SingleSignOnService.
    pub sso_services: Vec<(String, String)>,
    /// The earliest `validUntil` (SAML metadata §2.3.1, §2.3.2, §2.4.1) of the document
    /// element, the EntityDescriptor and the IDPSSODescriptor: past it, the metadata is stale.
    pub valid_until: Option<Timestamp>,
}

const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

impl IdpMetadata {
    /// The HTTP-Redirect SingleSignOnService location, if any.
    pub fn redirect_sso_url(&self) -> Option<&str> {
        self.sso_services
            .iter()
            .find(|(b, _)| b == HTTP_REDIRECT)
            .map(|(_, l)| l.as_str())
    }
}

fn invalid(detail: &str) -> Error {
    Error::TrustConfigInvalid {
        detail: format!("IdP metadata: {detail}"),
    }
}

/// Parse metadata XML: an EntityDescriptor, or the first EntityDescriptor with an
/// IDPSSODescriptor inside an EntitiesDescriptor.
pub fn parse_idp_metadata(xml: &[u8]) -> Result<IdpMetadata, Error> {
    let doc = parse(xml, Limits::default())
        .map_err(|e| invalid(&format!("not well-formed XML ({})", e.code())))?;
    let root = doc.root();
    let entity = find_idp_entity(&doc, root)
        .ok_or_else(|| invalid("no EntityDescriptor with an IDPSSODescriptor"))?;
    let entity_id = doc
        .attr(entity, "entityID")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("EntityDescriptor without entityID"))?
        .to_owned();
    let idp = doc
        .first_child(entity, MD, "IDPSSODescriptor")
        .ok_or_else(|| invalid("no IDPSSODescriptor"))?;
    let mut signing_keys: Vec<TrustedKey> = Vec::new();
    for kd in doc.children_named(idp, MD, "KeyDescriptor") {
        let use_ = doc.attr(kd, "use").unwrap_or("signing");
        if use_ != "signing" {
            continue;
        }
        for ki in doc.children_named(kd, DSIG, "KeyInfo") {
            for xd in doc.children_named(ki, DSIG, "X509Data") {
                for c in doc.children_named(xd, DSIG, "X509Certificate") {
                    let key = TrustedKey::from_certificate(doc.text(c).as_bytes())?;
                    if !signing_keys
                        .iter()
                        .any(|k| k.certificate_der() == key.certificate_der())
                    {
                        signing_keys.push(key);
                    }
                }
            }
        }
    }
    if signing_keys.is_empty() {
        return Err(invalid("no signing certificate"));
    }
    let sso_services = doc
        .children_named(idp, MD, "SingleSignOnService")
        .filter_map(|s| {
            Some((
                doc.attr(s, "Binding")?.to_owned(),
                doc.attr(s, "Location")?.to_owned(),
            ))
        })
        .collect();
    let mut valid_until: Option<Timestamp> = None;
    for n in [root, entity, idp] {
        if let Some(v) = doc.attr(n, "validUntil") {
            let t = Timestamp::parse(v.trim())
                .ok_or_else(|| invalid("validUntil is not a UTC dateTime"))?;
            valid_until = Some(valid_until.map_or(t, |u| u.min(t)));
        }
    }
    Ok(IdpMetadata {
        entity_id,
        signing_keys,
        sso_services,
        valid_until,
    })
}

fn find_idp_entity(doc: &Document, root: NodeId) -> Option<NodeId> {
    doc.descendants(root).find(|&n| {
        doc.element(n).is_some_and(|e| e.is(MD, "EntityDescriptor"))
            && doc.first_child(n, MD, "IDPSSODescriptor").is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = include_str!("../tests/vectors/keys/idp.crt");

    fn doc(root_attr: &str, entity_attr: &str) -> String {
        let b64: String = CERT.lines().filter(|l| !l.starts_with("-----")).collect();
        format!(
            "<md:EntitiesDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"{DSIG}\" {root_attr}>\
             <md:EntityDescriptor entityID=\"https://idp.example\" {entity_attr}>\
             <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
             <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             </md:IDPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>"
        )
    }

    #[test]
    fn valid_until_is_the_earliest_given() {
        let at = |s: &str| Timestamp::parse(s);
        for (root, entity, expected) in [
            ("", "", None),
            (
                "validUntil=\"2030-01-01T00:00:00Z\"",
                "",
                at("2030-01-01T00:00:00Z"),
            ),
            (
                "",
                "validUntil=\"2029-06-01T12:00:00+02:00\"",
                at("2029-06-01T10:00:00Z"),
            ),
            (
                "validUntil=\"2030-01-01T00:00:00Z\"",
                "validUntil=\"2031-01-01T00:00:00Z\"",
                at("2030-01-01T00:00:00Z"),
            ),
        ] {
            let md = parse_idp_metadata(doc(root, entity).as_bytes()).unwrap();
            assert_eq!(md.valid_until, expected, "{root} {entity}");
            assert_eq!(md.signing_keys.len(), 1);
        }
        let bad = parse_idp_metadata(doc("validUntil=\"tomorrow\"", "").as_bytes());
        assert_eq!(bad.unwrap_err().code(), "trust_config_invalid");
    }
}
