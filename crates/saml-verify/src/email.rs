//! Which address a verified assertion is for.

use std::collections::BTreeMap;

/// `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress` (SAML core §8.3.2).
pub const EMAIL_NAME_ID_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Attribute names searched, in order, when the NameID is not an address.
pub const DEFAULT_EMAIL_ATTRIBUTES: [&str; 5] = [
    "email",
    "mail",
    "User.email",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];

/// The NameID when it is an address (its format says so, or it simply is one), else the first
/// address among the configured attributes.
pub fn pick(
    name_id: &str,
    attributes: &BTreeMap<String, Vec<String>>,
    attribute_names: &[String],
) -> Option<String> {
    if looks_like_email(name_id) {
        return Some(name_id.to_owned());
    }
    attribute_names
        .iter()
        .filter_map(|n| attributes.get(n))
        .flat_map(|values| values.first())
        .find(|v| looks_like_email(v))
        .cloned()
}

/// A conservative `local@domain` check: one `@`, a printable ASCII local part of at most 64
/// bytes without quotes, spaces or angle brackets, and a DNS name of two or more labels.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"(),:;<>@[\\]".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_addresses() {
        for ok in ["jon.smith@decorumsoft.com", "a+b@x.co", "J@Sub.Example.EU"] {
            assert!(looks_like_email(ok), "{ok}");
        }
        for bad in [
            "",
            "jon",
            "@x.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-x.com",
            "a@x..com",
            "<a@b.com>",
            "a@b.com\n",
            "russellhaering",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn prefers_name_id_then_attribute_order() {
        let mut attrs = BTreeMap::new();
        attrs.insert("mail".to_string(), vec!["m@x.com".to_string()]);
        attrs.insert("email".to_string(), vec!["not-an-address".to_string()]);
        let names: Vec<String> = DEFAULT_EMAIL_ATTRIBUTES
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(pick("n@x.com", &attrs, &names).as_deref(), Some("n@x.com"));
        assert_eq!(pick("_opaque", &attrs, &names).as_deref(), Some("m@x.com"));
        assert_eq!(pick("_opaque", &BTreeMap::new(), &names), None);
    }
}
