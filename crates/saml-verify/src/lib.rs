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

mod alg;
mod assertion;
mod blinding;
mod conditions;
mod der;
mod dsig;
pub mod email;
mod encrypted;
mod error;
mod input;
mod keys;
pub mod metadata;
mod rsa_verify;
mod schema;
mod time;
mod x509;
mod xenc;
pub mod xml;

use std::collections::{BTreeMap, BTreeSet};

pub use blinding::BlindingSeed;
pub use error::Error;
pub use input::{decode as decode_input, MAX_RESPONSE_BYTES};
pub use keys::{TrustedKey, MIN_LEGACY_RSA_BITS, MIN_RSA_BITS};
/// Test and fuzz hooks for the RSA verifier (both limb widths); not a stable API.
#[doc(hidden)]
pub use rsa_verify::testing as rsa_testing;
pub use time::Timestamp;
pub use xenc::DecryptionKey;

/// Parse an RSA private key from PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
pub fn rsa_private_key_from_pem(pem: &str) -> Option<rsa::RsaPrivateKey> {
    der::rsa_private_key_pem(pem)
}

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
    /// Attribute names searched for the email, in order (see [`email::pick`]).
    pub email_attributes: Vec<String>,
    /// SP private keys for encrypted assertions (several during a rollover). Debug redacts them.
    pub sp_keys: Vec<DecryptionKey>,
    /// Fresh random bytes that blind the RSA private-key operations of decryption (see
    /// [`BlindingSeed`]); set one per verification whenever `sp_keys` is not empty. Without it
    /// decryption is unblinded, acceptable only where no one can time it (a local CLI).
    pub blinding: Option<BlindingSeed>,
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
            sp_keys: Vec::new(),
            blinding: None,
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
    /// Attribute name to values, in document order. Values that hold an element are left out.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Attributes that had a value holding an element (issue #11, finding 3). Such a value is
    /// never read; a caller that takes identity (names, groups) from one of these attributes
    /// must refuse with [`Error::IdentityMarkup`], as the email rule does.
    pub markup_attributes: BTreeSet<String>,
    /// The user's address, chosen by [`email::pick`]'s rule (the NameID only when its Format
    /// is emailAddress, or unspecified with no email attribute present).
    pub email: Option<String>,
    /// Where `email` was read from.
    pub email_source: Option<email::EmailSource>,
    /// Which elements carried a valid signature.
    pub response_signed: bool,
    pub assertion_signed: bool,
    /// SHA-256 fingerprint (lower-case hex, [`TrustedKey::fingerprint`]) of the pinned key that
    /// verified the Response's signature, or the Assertion's when the Response is unsigned.
    pub signing_key: String,
}

/// What the response's `InResponseTo` (SAML core §3.2.2, profiles §4.1.4.2) must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InResponseTo<'a> {
    /// IdP-initiated: absent everywhere.
    Unsolicited,
    /// Present, and equal to this AuthnRequest ID everywhere it appears.
    Expected(&'a str),
    /// Absent, or the same value everywhere; returned in
    /// [`VerifiedAssertion::in_response_to`] for the caller to match against the requests it
    /// sent (and consume). A caller that uses this must refuse a value it did not issue.
    CallerChecks,
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
    let mode = expected_request.map_or(InResponseTo::Unsolicited, InResponseTo::Expected);
    verify_with(input, trust, now, mode)
}

/// [`verify`] with an explicit [`InResponseTo`] rule.
pub fn verify_with(
    input: &[u8],
    trust: &Trust,
    now: Timestamp,
    in_response_to: InResponseTo<'_>,
) -> Result<VerifiedAssertion, Error> {
    trust.validate()?;
    let bytes = input::decode(input)?;
    let doc = xml::parse(&bytes, Limits::default())?;
    verify_document(&doc, trust, now, in_response_to)
}

/// The `InResponseTo` of a Response when it starts with `prefix`, **unverified**: for routing
/// only (which pending request a browser's POST belongs to, e.g. an admin's test sign-in), never
/// for identity or trust. None when the input does not decode or parse, or has none. A byte
/// scan for `InResponseTo="<prefix>` comes first, so other responses cost a decode, no parse.
pub fn peek_in_response_to(input: &[u8], prefix: &str) -> Option<String> {
    let bytes = input::decode(input).ok()?;
    let needle = |q: u8| [b"InResponseTo=".as_slice(), &[q], prefix.as_bytes()].concat();
    let (dq, sq) = (needle(b'"'), needle(b'\''));
    if !bytes
        .windows(dq.len())
        .any(|w| w == dq.as_slice() || w == sq.as_slice())
    {
        return None;
    }
    let doc = xml::parse(&bytes, Limits::default()).ok()?;
    let root = doc.element(doc.root())?;
    if !root.is(ns::SAMLP, "Response") {
        return None;
    }
    doc.attr_of(root, "InResponseTo")
        .filter(|v| v.starts_with(prefix))
        .map(str::to_owned)
}

fn verify_document(
    doc: &Document,
    trust: &Trust,
    now: Timestamp,
    expected_request: InResponseTo<'_>,
) -> Result<VerifiedAssertion, Error> {
    let root = doc.root();
    let (response_ok, version) = doc
        .element(root)
        .map(|e| {
            (
                e.is(ns::SAMLP, "Response"),
                doc.attr_of(e, "Version").unwrap_or("").to_owned(),
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
    let located = the_assertion(doc, root)?;
    schema::check_response(doc, root)?;
    let plain = match located {
        Located::Plain(a) => Some(a),
        Located::Encrypted(_) => None,
    };
    let (resp_sig, asrt_sig) = signatures(doc, root, plain)?;
    let resp_signed = resp_sig.map(|s| dsig::verify(doc, &s, trust)).transpose()?;

    // From here on, read only what was verified: re-parse the canonical signed bytes.
    let resp_doc = resp_signed
        .as_ref()
        .map(|(bytes, _)| reparse(bytes))
        .transpose()?;
    let resp_fields = match &resp_doc {
        Some(d) => assertion::ResponseFields {
            signed: true,
            ..assertion::response_fields(d, d.root())
        },
        None => assertion::response_fields(doc, root),
    };
    let (fields, assertion_key) = match located {
        Located::Plain(_) => {
            let asrt_signed = asrt_sig.map(|s| dsig::verify(doc, &s, trust)).transpose()?;
            // A signed Response covers the whole assertion (its enveloped-signature transform
            // removes only the Response's own Signature), so its verified bytes serve for both
            // and the assertion's are parsed only when the Response is unsigned.
            let fields = match (&resp_doc, &asrt_signed) {
                (Some(d), _) => match the_assertion(d, d.root())? {
                    Located::Plain(a) => assertion::assertion_fields(d, a)?,
                    Located::Encrypted(_) => return Err(Error::SignatureMissing),
                },
                (None, Some((bytes, _))) => {
                    let d = reparse(bytes)?;
                    assertion::assertion_fields(&d, d.root())?
                }
                (None, None) => return Err(Error::SignatureMissing),
            };
            (fields, asrt_signed.map(|(_, key)| key))
        }
        Located::Encrypted(ea) => encrypted::fields(doc, ea, resp_doc.as_ref(), trust)?,
    };
    let (not_on_or_after, in_response_to) =
        conditions::check(&resp_fields, &fields, trust, now, expected_request)?;
    if let Some(name) = trust
        .email_attributes
        .iter()
        .find(|n| fields.markup_attributes.contains(*n))
    {
        return Err(Error::IdentityMarkup {
            field: format!("AttributeValue of {name}"),
        });
    }
    let email = email::pick(
        &fields.name_id,
        fields.name_id_format.as_deref(),
        &fields.attributes,
        &trust.email_attributes,
    )?;
    let (email, email_source) = email.unzip();
    Ok(VerifiedAssertion {
        assertion_id: fields.id,
        issuer: fields.issuer,
        name_id: fields.name_id,
        name_id_format: fields.name_id_format,
        session_index: fields.session_index,
        not_on_or_after,
        in_response_to,
        attributes: fields.attributes,
        markup_attributes: fields.markup_attributes,
        email,
        email_source,
        response_signed: resp_signed.is_some(),
        assertion_signed: assertion_key.is_some(),
        signing_key: match (resp_signed, assertion_key) {
            (Some((_, key)), _) | (None, Some(key)) => key,
            // Unreachable: an unsigned Response with an unsigned assertion was refused above.
            (None, None) => return Err(Error::SignatureMissing),
        },
    })
}

pub(crate) fn reparse(text: &str) -> Result<Document<'_>, Error> {
    xml::parse_str(text, Limits::default())
}

/// Where the one assertion is.
#[derive(Clone, Copy)]
pub(crate) enum Located {
    Plain(NodeId),
    Encrypted(NodeId),
}

/// Exactly one saml:Assertion or saml:EncryptedAssertion in the whole document, as a child of
/// the Response (SAML core §3.3.3). Assertions hidden elsewhere are how signature-wrapping
/// attacks begin.
pub(crate) fn the_assertion(doc: &Document, root: NodeId) -> Result<Located, Error> {
    let found: Vec<NodeId> = doc
        .descendants(root)
        .filter(|&n| {
            doc.element(n).is_some_and(|e| {
                e.is(ns::SAML, "Assertion") || e.is(ns::SAML, "EncryptedAssertion")
            })
        })
        .collect();
    match found.as_slice() {
        [] => Err(Error::AssertionMissing),
        [a] if doc.parent(*a) == Some(root) => Ok(match doc.element(*a) {
            Some(e) if e.local == "EncryptedAssertion" => Located::Encrypted(*a),
            _ => Located::Plain(*a),
        }),
        [_] => Err(Error::AssertionMissing),
        many => Err(Error::MultipleAssertions { count: many.len() }),
    }
}

/// The Response's and the Assertion's signatures. A ds:Signature anywhere else is refused.
pub(crate) fn signatures(
    doc: &Document,
    root: NodeId,
    assertion: Option<NodeId>,
) -> Result<(Option<dsig::Signature>, Option<dsig::Signature>), Error> {
    let (mut resp, mut asrt) = (None, None);
    for n in doc.descendants(root) {
        if !doc.element(n).is_some_and(|e| e.is(ns::DSIG, "Signature")) {
            continue;
        }
        let parent = doc.parent(n);
        let slot = if parent == Some(root) {
            &mut resp
        } else if parent.is_some() && parent == assertion {
            &mut asrt
        } else {
            let parent = parent
                .and_then(|p| doc.element(p))
                .map(|e| e.local.to_owned())
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
