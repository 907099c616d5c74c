//! SAML 2.0 Response verification for a service provider, with no I/O, no clock and no async:
//! bytes, [`Trust`] settings and `now` in; a [`VerifiedAssertion`] or an [`Error`] out.
//!
//! What is enforced (see README "Trust model"):
//! - input: base64 (HTTP-POST binding, SAML bindings §3.5.4) or raw XML, at most
//!   [`MAX_RESPONSE_BYTES`]; no DOCTYPE; nesting and attribute limits; unique `ID`s;
//! - XML Signature (SAML core §5): one SignedInfo, one Reference to the signature's parent by
//!   `ID`, enveloped-signature + exclusive c14n only, RSA with SHA-2 (SHA-1 only when the IdP is
//!   configured for it), keys pinned in [`Trust`] and never taken from the message;
//! - exactly one Assertion, a direct child of the Response, covered by a valid signature; its
//!   content is read back from the canonical bytes that were verified, never from the input tree;
//! - SAML core and profile conditions: Status, Destination, Issuer, Audience, time window with
//!   skew, bearer Recipient and NotOnOrAfter, InResponseTo, AuthnStatement.
#![forbid(unsafe_code)]

mod assertion;
mod conditions;
mod dsig;
pub mod email;
mod error;
mod input;
mod keys;
pub mod metadata;
mod time;
pub mod xml;

use std::collections::BTreeMap;

pub use error::Error;
pub use input::{decode as decode_input, MAX_RESPONSE_BYTES};
pub use keys::{TrustedKey, MIN_LEGACY_RSA_BITS, MIN_RSA_BITS};
pub use time::Timestamp;

use xml::{Document, Limits, NodeId};

/// Namespace URIs used throughout.
pub mod ns {
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
}

/// Default allowance for clock differences between IdP and SP, in seconds.
pub const DEFAULT_SKEW_SECONDS: u32 = 180;
/// Largest clock skew accepted in settings, in seconds.
pub const MAX_SKEW_SECONDS: u32 = 3600;

/// What the service provider trusts and who it is. Built once, used for many responses.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The IdP's entity ID: every Issuer must equal it.
    pub idp_entity_id: String,
    /// Pinned IdP signing keys (several during a rollover).
    pub idp_keys: Vec<TrustedKey>,
    /// This SP's entity ID: an AudienceRestriction must name it.
    pub sp_entity_id: String,
    /// This SP's Assertion Consumer Service URL: Destination and bearer Recipient.
    pub acs_url: String,
    /// Accept rsa-sha1 / sha1 and 1024-bit keys (legacy IdPs). Off by default.
    pub allow_sha1: bool,
    /// Clock skew allowance, seconds.
    pub skew_seconds: u32,
    /// Attribute names searched for the email, in order, when the NameID is not an address.
    pub email_attributes: Vec<String>,
}

impl Trust {
    /// Settings with the defaults: SHA-1 refused, 180 s skew, the standard email attributes.
    pub fn new(
        idp_entity_id: impl Into<String>,
        idp_keys: Vec<TrustedKey>,
        sp_entity_id: impl Into<String>,
        acs_url: impl Into<String>,
    ) -> Self {
        Trust {
            idp_entity_id: idp_entity_id.into(),
            idp_keys,
            sp_entity_id: sp_entity_id.into(),
            acs_url: acs_url.into(),
            allow_sha1: false,
            skew_seconds: DEFAULT_SKEW_SECONDS,
            email_attributes: email::DEFAULT_EMAIL_ATTRIBUTES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// Refuse settings that could never verify anything, or would verify too much.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |d: &str| {
            Err(Error::TrustConfigInvalid {
                detail: d.to_owned(),
            })
        };
        if self.idp_entity_id.is_empty() || self.sp_entity_id.is_empty() || self.acs_url.is_empty()
        {
            return bad("IdP entity ID, SP entity ID and ACS URL are required");
        }
        if self.skew_seconds > MAX_SKEW_SECONDS {
            return bad("clock skew is over an hour");
        }
        if !self
            .idp_keys
            .iter()
            .any(|k| self.allow_sha1 || k.bits() >= MIN_RSA_BITS)
        {
            return bad("no IdP certificate with an RSA key of 2048 bits or more (smaller keys need allow_sha1)");
        }
        Ok(())
    }
}

/// An assertion whose signature, issuer, audience, recipient and time window all checked out.
/// Every field was read from the signed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub assertion_id: String,
    pub issuer: String,
    /// All text of the NameID joined (comments inside it cannot truncate it).
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
    /// The end of the assertion's validity: keep its ID in the replay cache until then.
    pub not_on_or_after: Timestamp,
    /// The request this answers (SP-initiated), None when IdP-initiated.
    pub in_response_to: Option<String>,
    /// Attribute name to values, in document order.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The user's address: the NameID when it is one, else the first configured attribute.
    pub email: Option<String>,
    /// Which elements carried a valid signature.
    pub response_signed: bool,
    pub assertion_signed: bool,
}

/// Verify a SAML Response (`SAMLResponse` form value, base64, or raw XML) at instant `now`.
///
/// `expected_request` is the AuthnRequest ID this response must answer (SP-initiated), or None
/// for IdP-initiated sign-in, where any InResponseTo is refused.
pub fn verify(
    input: &[u8],
    trust: &Trust,
    now: Timestamp,
    expected_request: Option<&str>,
) -> Result<VerifiedAssertion, Error> {
    trust.validate()?;
    let bytes = input::decode(input)?;
    let doc = xml::parse(&bytes, Limits::default())?;
    verify_document(&doc, trust, now, expected_request)
}

fn verify_document(
    doc: &Document,
    trust: &Trust,
    now: Timestamp,
    expected_request: Option<&str>,
) -> Result<VerifiedAssertion, Error> {
    let root = doc.root();
    let (response_ok, version) = doc
        .element(root)
        .map(|e| {
            (
                e.is(ns::SAMLP, "Response"),
                e.attr("Version").unwrap_or("").to_owned(),
            )
        })
        .unwrap_or_default();
    if !response_ok {
        let found = doc
            .element(root)
            .map(|e| format!("{{{}}}{}", e.ns, e.local))
            .unwrap_or_default();
        return Err(Error::NotAResponse { found });
    }
    if version != "2.0" {
        return Err(Error::VersionUnsupported { found: version });
    }
    let status = assertion::status(doc, root);
    if status != "urn:oasis:names:tc:SAML:2.0:status:Success" {
        return Err(Error::StatusNotSuccess { status });
    }
    let assertion = the_assertion(doc, root)?;
    let (resp_sig, asrt_sig) = signatures(doc, root, assertion)?;
    if resp_sig.is_none() && asrt_sig.is_none() {
        return Err(Error::SignatureMissing);
    }
    let resp_signed = resp_sig.map(|s| dsig::verify(doc, &s, trust)).transpose()?;
    let asrt_signed = asrt_sig.map(|s| dsig::verify(doc, &s, trust)).transpose()?;

    // From here on, read only what was verified: re-parse the canonical signed bytes.
    let resp_doc = resp_signed.as_deref().map(reparse).transpose()?;
    let resp_fields = match &resp_doc {
        Some(d) => assertion::response_fields(d, d.root()),
        None => assertion::response_fields(doc, root),
    };
    let fields = match (&asrt_signed, &resp_doc) {
        (Some(bytes), _) => {
            let d = reparse(bytes)?;
            assertion::assertion_fields(&d, d.root())?
        }
        (None, Some(d)) => assertion::assertion_fields(d, the_assertion(d, d.root())?)?,
        (None, None) => return Err(Error::SignatureMissing),
    };
    let not_on_or_after = conditions::check(&resp_fields, &fields, trust, now, expected_request)?;
    let email = email::pick(&fields.name_id, &fields.attributes, &trust.email_attributes);
    Ok(VerifiedAssertion {
        assertion_id: fields.id,
        issuer: fields.issuer,
        name_id: fields.name_id,
        name_id_format: fields.name_id_format,
        session_index: fields.session_index,
        not_on_or_after,
        in_response_to: expected_request.map(str::to_owned),
        attributes: fields.attributes,
        email,
        response_signed: resp_signed.is_some(),
        assertion_signed: asrt_signed.is_some(),
    })
}

fn reparse(bytes: &[u8]) -> Result<Document, Error> {
    xml::parse(bytes, Limits::default())
}

/// Exactly one saml:Assertion in the whole document, as a child of the Response (SAML core
/// §3.3.3). Assertions hidden elsewhere are how signature-wrapping attacks begin.
fn the_assertion(doc: &Document, root: NodeId) -> Result<NodeId, Error> {
    let all = doc.descendants(root);
    let named = |local: &str| -> Vec<NodeId> {
        all.iter()
            .copied()
            .filter(|&n| doc.element(n).is_some_and(|e| e.is(ns::SAML, local)))
            .collect()
    };
    if !named("EncryptedAssertion").is_empty() {
        return Err(Error::EncryptedAssertionUnsupported);
    }
    let assertions = named("Assertion");
    match assertions.as_slice() {
        [] => Err(Error::AssertionMissing),
        [a] if doc.parent(*a) == Some(root) => Ok(*a),
        [_] => Err(Error::AssertionMissing),
        many => Err(Error::MultipleAssertions { count: many.len() }),
    }
}

/// The Response's and the Assertion's signatures. A ds:Signature anywhere else is refused.
fn signatures(
    doc: &Document,
    root: NodeId,
    assertion: NodeId,
) -> Result<(Option<dsig::Signature>, Option<dsig::Signature>), Error> {
    let (mut resp, mut asrt) = (None, None);
    for n in doc.descendants(root) {
        if !doc.element(n).is_some_and(|e| e.is(ns::DSIG, "Signature")) {
            continue;
        }
        let parent = doc.parent(n);
        let slot = if parent == Some(root) {
            &mut resp
        } else if parent == Some(assertion) {
            &mut asrt
        } else {
            let parent = parent
                .and_then(|p| doc.element(p))
                .map(|e| e.local.clone())
                .unwrap_or_default();
            return Err(Error::SignatureMisplaced { parent });
        };
        if slot.is_some() {
            return Err(Error::sig_malformed("two signatures on one element"));
        }
        *slot = Some(dsig::parse(doc, n)?);
    }
    Ok((resp, asrt))
}
