//! Reading a saml:Assertion (SAML core §2.3.3) and the Response around it (§3.2.2, §3.3.3).
//! Callers hand in the re-parsed canonical bytes that the signature covered, so everything read
//! here was signed.

use std::collections::{BTreeMap, BTreeSet};

use crate::ns::{SAML, SAMLP};
use crate::time::Timestamp;
use crate::xml::{is_xml_space, Document, NodeId};
use crate::Error;

/// Response-level fields (SAML core §3.2.2).
#[derive(Debug, Default)]
pub(crate) struct ResponseFields {
    /// Read from the verified bytes of a signed Response (else from the received tree).
    pub signed: bool,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub issuer: Option<String>,
}

/// A SubjectConfirmation and its data (SAML core §2.4.1.1, §2.4.1.2).
#[derive(Debug, Default)]
pub(crate) struct Confirmation {
    pub method: String,
    pub recipient: Option<String>,
    pub not_before: Option<Timestamp>,
    pub not_on_or_after: Option<Timestamp>,
    pub in_response_to: Option<String>,
}

/// Everything checked or returned about the assertion.
#[derive(Debug, Default)]
pub(crate) struct AssertionFields {
    pub id: String,
    pub issue_instant: Option<Timestamp>,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub confirmations: Vec<Confirmation>,
    pub not_before: Option<Timestamp>,
    pub not_on_or_after: Option<Timestamp>,
    pub has_conditions: bool,
    pub audience_restrictions: Vec<Vec<String>>,
    pub unknown_condition: Option<String>,
    pub has_authn_statement: bool,
    pub session_index: Option<String>,
    pub session_not_on_or_after: Option<Timestamp>,
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Attributes with a value that holds an element (left out of `attributes`).
    pub markup_attributes: BTreeSet<String>,
}

/// Text with surrounding XML white space removed.
pub(crate) fn trimmed_text(doc: &Document, id: NodeId) -> String {
    doc.text(id)
        .trim_matches(|c: char| c.is_ascii() && is_xml_space(c as u8))
        .to_owned()
}

fn time_attr(doc: &Document, id: NodeId, name: &str) -> Result<Option<Timestamp>, Error> {
    match doc.attr(id, name) {
        None => Ok(None),
        Some(v) => Timestamp::parse(v)
            .map(Some)
            .ok_or_else(|| Error::malformed(format!("{name}={v:?} is not an xs:dateTime"))),
    }
}

fn attr(doc: &Document, id: NodeId, name: &str) -> Option<String> {
    doc.attr(id, name).map(str::to_owned)
}

/// Read the Response's own fields (SAML core §3.2.2).
pub(crate) fn response_fields(doc: &Document, response: NodeId) -> ResponseFields {
    ResponseFields {
        signed: false,
        destination: attr(doc, response, "Destination"),
        in_response_to: attr(doc, response, "InResponseTo"),
        issuer: doc
            .first_child(response, SAML, "Issuer")
            .map(|i| trimmed_text(doc, i)),
    }
}

/// The top-level StatusCode value (SAML core §3.2.2.2), with a second-level code if any.
pub(crate) fn status(doc: &Document, response: NodeId) -> String {
    let code = doc
        .first_child(response, SAMLP, "Status")
        .and_then(|s| doc.first_child(s, SAMLP, "StatusCode"));
    let Some(code) = code else {
        return String::from("(no StatusCode)");
    };
    let top = attr(doc, code, "Value").unwrap_or_default();
    match doc
        .first_child(code, SAMLP, "StatusCode")
        .and_then(|c| attr(doc, c, "Value"))
    {
        Some(sub) => format!("{top} / {sub}"),
        None => top,
    }
}

/// Read the assertion at `a`.
pub(crate) fn assertion_fields(doc: &Document, a: NodeId) -> Result<AssertionFields, Error> {
    let version = attr(doc, a, "Version").unwrap_or_default();
    if version != "2.0" {
        return Err(Error::VersionUnsupported { found: version });
    }
    let mut f = AssertionFields {
        id: attr(doc, a, "ID").ok_or_else(|| Error::malformed("Assertion without ID"))?,
        issue_instant: time_attr(doc, a, "IssueInstant")?,
        issuer: doc
            .first_child(a, SAML, "Issuer")
            .map(|i| trimmed_text(doc, i))
            .unwrap_or_default(),
        ..Default::default()
    };
    let subject = doc.first_child(a, SAML, "Subject");
    if let Some(subject) = subject {
        crate::schema::check_subject(doc, subject)?;
        if let Some(n) = doc.first_child(subject, SAML, "NameID") {
            // Text only: `a@<b>x</b>y.com` reads as one address here and another elsewhere.
            if doc.child_elements(n).next().is_some() {
                return Err(Error::IdentityMarkup {
                    field: "NameID".into(),
                });
            }
            f.name_id = trimmed_text(doc, n);
            f.name_id_format = attr(doc, n, "Format");
        }
        for sc in doc.children_named(subject, SAML, "SubjectConfirmation") {
            let mut c = Confirmation {
                method: attr(doc, sc, "Method").unwrap_or_default(),
                ..Default::default()
            };
            if let Some(d) = doc.first_child(sc, SAML, "SubjectConfirmationData") {
                c.recipient = attr(doc, d, "Recipient");
                c.not_before = time_attr(doc, d, "NotBefore")?;
                c.not_on_or_after = time_attr(doc, d, "NotOnOrAfter")?;
                c.in_response_to = attr(doc, d, "InResponseTo");
            }
            f.confirmations.push(c);
        }
    }
    if f.name_id.is_empty() {
        return Err(Error::NameIdMissing);
    }
    read_conditions(doc, a, &mut f)?;
    crate::schema::check_assertion(doc, a)?;
    for st in doc.children_named(a, SAML, "AuthnStatement") {
        f.has_authn_statement = true;
        f.session_index = f.session_index.or(attr(doc, st, "SessionIndex"));
        f.session_not_on_or_after =
            f.session_not_on_or_after
                .or(time_attr(doc, st, "SessionNotOnOrAfter")?);
    }
    for st in doc.children_named(a, SAML, "AttributeStatement") {
        for at in doc.children_named(st, SAML, "Attribute") {
            let Some(name) = attr(doc, at, "Name") else {
                continue;
            };
            let values = f.attributes.entry(name.clone()).or_default();
            for v in doc.children_named(at, SAML, "AttributeValue") {
                // A value with element content (Shibboleth's eduPersonTargetedID holds a
                // NameID) is not text: it is never read, and its attribute is named so that a
                // caller reading identity from it refuses.
                if doc.child_elements(v).next().is_some() {
                    f.markup_attributes.insert(name.clone());
                } else {
                    values.push(trimmed_text(doc, v));
                }
            }
        }
    }
    Ok(f)
}

/// SAML core §2.5: the validity window and the conditions, remembering any we do not know.
fn read_conditions(doc: &Document, a: NodeId, f: &mut AssertionFields) -> Result<(), Error> {
    let mut conds = doc.children_named(a, SAML, "Conditions");
    let Some(c) = conds.next() else {
        return Ok(());
    };
    if conds.next().is_some() {
        return Err(Error::ConditionUnknown {
            name: "a second Conditions element".into(),
        });
    }
    f.has_conditions = true;
    f.not_before = time_attr(doc, c, "NotBefore")?;
    f.not_on_or_after = time_attr(doc, c, "NotOnOrAfter")?;
    for (id, e) in doc.child_elements(c) {
        match (&*e.ns, e.local) {
            (SAML, "AudienceRestriction") => f.audience_restrictions.push(
                doc.children_named(id, SAML, "Audience")
                    .map(|x| trimmed_text(doc, x))
                    .collect(),
            ),
            (SAML, "OneTimeUse") | (SAML, "ProxyRestriction") => {}
            _ => {
                f.unknown_condition
                    .get_or_insert_with(|| format!("{{{}}}{}", e.ns, e.local));
            }
        }
    }
    Ok(())
}
