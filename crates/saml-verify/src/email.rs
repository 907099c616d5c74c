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

/// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified` (SAML core §8.3.1).
pub const UNSPECIFIED_NAME_ID_FORMAT: &str =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// Where the email of a verified assertion was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailSource {
    /// The NameID, whose Format is emailAddress.
    NameIdEmailAddress,
    /// The attribute with this name (the first configured one that carries an address).
    Attribute(String),
    /// The NameID, Format unspecified (or absent), with no email attribute present.
    NameIdUnspecified,
}

/// The email and its source, or None when the assertion carries no address we may use.
pub type Picked = Option<(String, EmailSource)>;

/// Who the assertion is for (issue #11, finding 2; SAML core §8.3):
/// 1. a NameID whose Format is emailAddress is the email, and any value of any configured email
///    attribute that is another address (compared without regard to case) refuses the response
///    ([`Error::EmailMismatch`](crate::Error::EmailMismatch));
/// 2. otherwise the first address among the values of the configured attributes, in their
///    configured order, decides;
/// 3. a NameID of Format unspecified (or with no Format) that is an address serves only when
///    none of the configured attributes is present at all;
/// 4. any other NameID (persistent, transient, entity, Kerberos…) is never an email, whatever
///    it looks like: at some IdPs users choose it.
pub fn pick(
    name_id: &str,
    name_id_format: Option<&str>,
    attributes: &BTreeMap<String, Vec<String>>,
    attribute_names: &[String],
) -> Result<Picked, crate::Error> {
    let configured = || {
        attribute_names
            .iter()
            .filter_map(|n| attributes.get(n).map(|values| (n, values)))
    };
    let addresses = || {
        configured().flat_map(|(n, values)| {
            values
                .iter()
                .filter(|v| looks_like_email(v))
                .map(move |v| (n, v))
        })
    };
    let format = name_id_format.unwrap_or(UNSPECIFIED_NAME_ID_FORMAT);
    let name_id_is_address = looks_like_email(name_id);
    if format == EMAIL_NAME_ID_FORMAT && name_id_is_address {
        // Any value with an `@` counts, address-shaped or not (`<intern@x.com>`, a trailing
        // no-break space): a more lenient reader elsewhere could take it for another address.
        let conflicting = configured()
            .flat_map(|(n, values)| values.iter().map(move |v| (n, v)))
            .find(|(_, v)| v.contains('@') && !v.eq_ignore_ascii_case(name_id));
        if let Some((attribute, _)) = conflicting {
            return Err(crate::Error::EmailMismatch {
                attribute: attribute.clone(),
            });
        }
        return Ok(Some((name_id.to_owned(), EmailSource::NameIdEmailAddress)));
    }
    if let Some((attribute, v)) = addresses().next() {
        return Ok(Some((v.clone(), EmailSource::Attribute(attribute.clone()))));
    }
    if format == UNSPECIFIED_NAME_ID_FORMAT && name_id_is_address && configured().next().is_none() {
        return Ok(Some((name_id.to_owned(), EmailSource::NameIdUnspecified)));
    }
    Ok(None)
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

    fn names() -> Vec<String> {
        DEFAULT_EMAIL_ATTRIBUTES
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

    /// (NameID, Format, attributes, expected email and source, or the mismatch refusal).
    #[test]
    fn the_name_id_is_the_email_only_when_its_format_says_so() {
        use EmailSource::*;
        let at = |n: &str| Attribute(n.to_string());
        type Want = Result<Option<(&'static str, EmailSource)>, &'static str>;
        type Case = (
            &'static str,
            Option<&'static str>,
            Vec<(&'static str, &'static str)>,
            Want,
        );
        let cases: Vec<Case> = vec![
            // emailAddress: the NameID, and an agreeing attribute is fine.
            (
                "n@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![],
                Ok(Some(("n@x.com", NameIdEmailAddress))),
            ),
            (
                "n@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("mail", "N@X.com")],
                Ok(Some(("n@x.com", NameIdEmailAddress))),
            ),
            // ... a disagreeing one refuses.
            (
                "ceo@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("email", "intern@x.com")],
                Err("email"),
            ),
            // A non-address attribute value does not count as disagreement.
            (
                "n@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("email", "n")],
                Ok(Some(("n@x.com", NameIdEmailAddress))),
            ),
            // emailAddress NameID that is no address: attributes decide.
            (
                "jon",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("mail", "m@x.com")],
                Ok(Some(("m@x.com", at("mail")))),
            ),
            // persistent / transient NameIDs never serve, whatever they look like.
            (
                "ceo@x.com",
                Some(PERSISTENT),
                vec![("email", "intern@x.com")],
                Ok(Some(("intern@x.com", at("email")))),
            ),
            ("ceo@x.com", Some(PERSISTENT), vec![], Ok(None)),
            ("ceo@x.com", Some(TRANSIENT), vec![], Ok(None)),
            // unspecified (or no Format): only when no attribute carries an address.
            (
                "ceo@x.com",
                Some(UNSPECIFIED_NAME_ID_FORMAT),
                vec![("email", "intern@x.com")],
                Ok(Some(("intern@x.com", at("email")))),
            ),
            (
                "ceo@x.com",
                None,
                vec![("email", "intern@x.com")],
                Ok(Some(("intern@x.com", at("email")))),
            ),
            (
                "n@x.com",
                Some(UNSPECIFIED_NAME_ID_FORMAT),
                vec![],
                Ok(Some(("n@x.com", NameIdUnspecified))),
            ),
            ("n@x.com", None, vec![("email", "not-an-address")], Ok(None)),
            // ... "present" means present: a non-address value keeps the NameID out too.
            ("n@x.com", None, vec![("mail", "")], Ok(None)),
            ("_opaque", None, vec![], Ok(None)),
            // Attribute order is the configured order, not the document's.
            (
                "_o",
                None,
                vec![("mail", "m@x.com"), ("email", "e@x.com")],
                Ok(Some(("e@x.com", at("email")))),
            ),
            (
                "_o",
                None,
                vec![("mail", "m@x.com"), ("email", "nope")],
                Ok(Some(("m@x.com", at("mail")))),
            ),
            // Several values: every one counts (a repeated pair is a second value).
            (
                "ceo@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("email", "x"), ("email", "intern@x.com")],
                Err("email"),
            ),
            (
                "ceo@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("email", "ceo@x.com"), ("mail", "intern@x.com")],
                Err("mail"),
            ),
            (
                "ceo@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("email", "<intern@x.com>")],
                Err("email"),
            ),
            (
                "ceo@x.com",
                Some(EMAIL_NAME_ID_FORMAT),
                vec![("mail", "intern@x.com\u{a0}")],
                Err("mail"),
            ),
            (
                "_o",
                None,
                vec![("email", ""), ("email", "e@x.com")],
                Ok(Some(("e@x.com", at("email")))),
            ),
            (
                "ceo@x.com",
                None,
                vec![("email", ""), ("email", "intern@x.com")],
                Ok(Some(("intern@x.com", at("email")))),
            ),
        ];
        for (name_id, format, pairs, want) in cases {
            let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, v) in &pairs {
                map.entry(k.to_string()).or_default().push(v.to_string());
            }
            let got = pick(name_id, format, &map, &names());
            let want = want.map(|o| o.map(|(e, s)| (e.to_string(), s)));
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{name_id} {format:?} {pairs:?}"),
                (Err(crate::Error::EmailMismatch { attribute }), Err(w)) => {
                    assert_eq!(attribute, w, "{name_id}")
                }
                (g, w) => panic!("{name_id} {format:?} {pairs:?}: got {g:?}, want {w:?}"),
            }
        }
    }
}
