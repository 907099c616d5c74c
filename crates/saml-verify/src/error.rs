//! Why a response was refused: one variant per cause, each with a stable snake_case code.
//!
//! Codes are part of the public contract (logs, API responses, `saml-check` output): never rename
//! one. Messages are for operators and may carry values read from the message (audience, issuer),
//! never key material.

use core::fmt;

/// A refusal. `code()` is stable; `Display` is a plain sentence for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // --- input and XML ---
    InputEmpty,
    InputTooLarge {
        size: usize,
        limit: usize,
    },
    Base64Invalid,
    XmlMalformed {
        detail: String,
    },
    DoctypeForbidden,
    DepthExceeded {
        limit: usize,
    },
    DuplicateAttribute {
        name: String,
    },
    DuplicateId {
        id: String,
    },
    WorkLimitExceeded {
        limit: usize,
    },
    // --- SAML protocol structure ---
    NotAResponse {
        found: String,
    },
    VersionUnsupported {
        found: String,
    },
    StatusNotSuccess {
        status: String,
    },
    AssertionMissing,
    MultipleAssertions {
        count: usize,
    },
    EncryptedAssertionUnsupported,
    DecryptionFailed,
    // --- XML signature ---
    SignatureMissing,
    SignatureMalformed {
        detail: String,
    },
    SignatureMisplaced {
        parent: String,
    },
    ReferenceInvalid {
        uri: String,
    },
    TransformForbidden {
        algorithm: String,
    },
    AlgorithmUnsupported {
        algorithm: String,
    },
    Sha1Forbidden,
    DigestMismatch,
    SignatureInvalid,
    UntrustedKey,
    // --- assertion conditions ---
    IssuerMismatch {
        expected: String,
        actual: String,
    },
    DestinationMismatch {
        expected: String,
        actual: String,
    },
    AudienceMismatch {
        expected: String,
        actual: Vec<String>,
    },
    RecipientMismatch {
        expected: String,
        actual: Vec<String>,
    },
    BearerMissing,
    NotYetValid {
        not_before: String,
        now: String,
    },
    Expired {
        not_on_or_after: String,
        now: String,
    },
    InResponseToMismatch {
        expected: Option<String>,
        actual: Option<String>,
    },
    AuthnStatementMissing,
    NameIdMissing,
    /// The NameID (Format emailAddress) and this email attribute name different addresses.
    EmailMismatch {
        attribute: String,
    },
    /// An identity field (NameID, or an AttributeValue read for email, names or groups) holds
    /// an element: its text would depend on how it is read.
    IdentityMarkup {
        field: String,
    },
    /// An element SAML core's schema does not allow at this place in a Response or Assertion.
    SchemaViolation {
        detail: String,
    },
    ConditionUnknown {
        name: String,
    },
    // --- caller configuration ---
    TrustConfigInvalid {
        detail: String,
    },
}

impl Error {
    /// The stable snake_case code of this refusal.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            InputEmpty => "input_empty",
            InputTooLarge { .. } => "input_too_large",
            Base64Invalid => "base64_invalid",
            XmlMalformed { .. } => "xml_malformed",
            DoctypeForbidden => "doctype_forbidden",
            DepthExceeded { .. } => "depth_exceeded",
            DuplicateAttribute { .. } => "duplicate_attribute",
            DuplicateId { .. } => "duplicate_id",
            WorkLimitExceeded { .. } => "work_limit_exceeded",
            NotAResponse { .. } => "not_a_response",
            VersionUnsupported { .. } => "version_unsupported",
            StatusNotSuccess { .. } => "status_not_success",
            AssertionMissing => "assertion_missing",
            MultipleAssertions { .. } => "multiple_assertions",
            EncryptedAssertionUnsupported => "encrypted_assertion_unsupported",
            DecryptionFailed => "decryption_failed",
            SignatureMissing => "signature_missing",
            SignatureMalformed { .. } => "signature_malformed",
            SignatureMisplaced { .. } => "signature_misplaced",
            ReferenceInvalid { .. } => "reference_invalid",
            TransformForbidden { .. } => "transform_forbidden",
            AlgorithmUnsupported { .. } => "algorithm_unsupported",
            Sha1Forbidden => "sha1_forbidden",
            DigestMismatch => "digest_mismatch",
            SignatureInvalid => "signature_invalid",
            UntrustedKey => "untrusted_key",
            IssuerMismatch { .. } => "issuer_mismatch",
            DestinationMismatch { .. } => "destination_mismatch",
            AudienceMismatch { .. } => "audience_mismatch",
            RecipientMismatch { .. } => "recipient_mismatch",
            BearerMissing => "bearer_missing",
            NotYetValid { .. } => "not_yet_valid",
            Expired { .. } => "expired",
            InResponseToMismatch { .. } => "in_response_to_mismatch",
            AuthnStatementMissing => "authn_statement_missing",
            NameIdMissing => "name_id_missing",
            EmailMismatch { .. } => "email_mismatch",
            IdentityMarkup { .. } => "identity_markup",
            SchemaViolation { .. } => "schema_violation",
            ConditionUnknown { .. } => "condition_unknown",
            TrustConfigInvalid { .. } => "trust_config_invalid",
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        Error::XmlMalformed {
            detail: detail.into(),
        }
    }

    pub(crate) fn sig_malformed(detail: impl Into<String>) -> Self {
        Error::SignatureMalformed {
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match self {
            InputEmpty => write!(f, "the SAMLResponse is empty"),
            InputTooLarge { size, limit } => {
                write!(f, "the response is {size} bytes, over the {limit}-byte limit")
            }
            Base64Invalid => write!(f, "the SAMLResponse is neither XML nor valid base64"),
            XmlMalformed { detail } => write!(f, "the response is not well-formed XML: {detail}"),
            DoctypeForbidden => write!(f, "a DOCTYPE (DTD or entity declaration) is not allowed"),
            DepthExceeded { limit } => write!(f, "elements are nested deeper than {limit} levels"),
            DuplicateAttribute { name } => write!(f, "attribute {name} appears twice on an element"),
            DuplicateId { id } => write!(f, "two elements carry the same ID attribute {id:?}"),
            WorkLimitExceeded { limit } => write!(f, "canonicalizing the signed content would write more than {limit} bytes"),
            NotAResponse { found } => write!(f, "the document element is {found}, not a SAML 2.0 samlp:Response"),
            VersionUnsupported { found } => write!(f, "SAML version {found:?} is not 2.0"),
            StatusNotSuccess { status } => write!(f, "the IdP reported status {status}"),
            AssertionMissing => write!(f, "the response carries no assertion"),
            MultipleAssertions { count } => write!(f, "the response carries {count} assertions; exactly one is allowed"),
            EncryptedAssertionUnsupported => write!(f, "the assertion is encrypted but no SP decryption key is configured"),
            DecryptionFailed => write!(f, "the encrypted assertion could not be decrypted"),
            SignatureMissing => write!(f, "the assertion is not covered by any XML signature"),
            SignatureMalformed { detail } => write!(f, "the XML signature is malformed: {detail}"),
            SignatureMisplaced { parent } => write!(f, "a ds:Signature sits inside {parent}; only the Response and the Assertion may carry one"),
            ReferenceInvalid { uri } => write!(f, "the signature reference {uri:?} does not point at the signature's parent element"),
            TransformForbidden { algorithm } => write!(f, "transform {algorithm} is not allowed (only enveloped-signature and exclusive c14n)"),
            AlgorithmUnsupported { algorithm } => write!(f, "algorithm {algorithm} is not supported"),
            Sha1Forbidden => write!(f, "the signature uses SHA-1, which is not allowed for this IdP"),
            DigestMismatch => write!(f, "the signed content was modified (digest mismatch)"),
            SignatureInvalid => write!(f, "the signature does not verify with the configured IdP certificates"),
            UntrustedKey => write!(f, "the response is signed by a certificate that is not configured for this IdP"),
            IssuerMismatch { expected, actual } => write!(f, "issuer {actual:?} is not the configured IdP {expected:?}"),
            DestinationMismatch { expected, actual } => write!(f, "Destination {actual:?} is not this ACS URL {expected:?}"),
            AudienceMismatch { expected, actual } => write!(f, "audience {actual:?} does not include this SP {expected:?}"),
            RecipientMismatch { expected, actual } => write!(f, "bearer Recipient {actual:?} is not this ACS URL {expected:?}"),
            BearerMissing => write!(f, "no bearer SubjectConfirmation"),
            NotYetValid { not_before, now } => write!(f, "the assertion is not valid before {not_before} (now {now})"),
            Expired { not_on_or_after, now } => write!(f, "the assertion expired at {not_on_or_after} (now {now})"),
            InResponseToMismatch { expected, actual } => write!(f, "InResponseTo {actual:?} does not match the expected request {expected:?}"),
            AuthnStatementMissing => write!(f, "the assertion has no AuthnStatement"),
            NameIdMissing => write!(f, "the assertion subject has no NameID"),
            EmailMismatch { attribute } => write!(f, "the NameID (format emailAddress) and the {attribute:?} attribute name different addresses"),
            IdentityMarkup { field } => write!(f, "{field} contains an element; identity fields must be text only"),
            SchemaViolation { detail } => write!(f, "the response does not follow the SAML 2.0 schema: {detail}"),
            ConditionUnknown { name } => write!(f, "unknown condition {name}; the assertion cannot be evaluated"),
            TrustConfigInvalid { detail } => write!(f, "trust settings are invalid: {detail}"),
        }
    }
}

impl std::error::Error for Error {}
