//! Every refusal this service can answer with: a stable snake_case [`Code`], its HTTP status
//! (RFC 9110 §15), and the [`Message`] a person is shown (English and French, in
//! [`crate::refusal_text`]). A new code cannot ship without a status and a message: the table
//! below is the only place a code is declared, and every match over it is exhaustive.

use crate::refusal_text::Message;

/// Declares [`Code`] and its exhaustive tables from one list.
macro_rules! codes {
    ($($(#[$doc:meta])* $v:ident = $s:literal, $status:literal, $msg:ident;)*) => {
        /// A refusal code. Codes are part of the public contract (README "Error codes", logs,
        /// the audit table, JSON answers): never rename one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $v,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$v,)*];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$v => $s,)*
                }
            }

            /// The HTTP status it is answered with.
            pub fn status(self) -> u16 {
                match self {
                    $(Code::$v => $status,)*
                }
            }

            /// What a person is told.
            pub fn message(self) -> Message {
                match self {
                    $(Code::$v => Message::$msg,)*
                }
            }
        }
    };
}

codes! {
    // --- verification (saml_verify::Error): malformed input is 400, too large 413, the rest 403
    InputEmpty = "input_empty", 400, Malformed;
    InputTooLarge = "input_too_large", 413, Malformed;
    Base64Invalid = "base64_invalid", 400, Malformed;
    XmlMalformed = "xml_malformed", 400, Malformed;
    DoctypeForbidden = "doctype_forbidden", 400, NotVerified;
    DepthExceeded = "depth_exceeded", 400, NotVerified;
    DuplicateAttribute = "duplicate_attribute", 400, NotVerified;
    DuplicateId = "duplicate_id", 403, NotVerified;
    NotAResponse = "not_a_response", 400, NotVerified;
    VersionUnsupported = "version_unsupported", 403, NotVerified;
    StatusNotSuccess = "status_not_success", 403, NotVerified;
    AssertionMissing = "assertion_missing", 403, NotVerified;
    MultipleAssertions = "multiple_assertions", 403, NotVerified;
    EncryptedAssertionUnsupported = "encrypted_assertion_unsupported", 403, NotVerified;
    DecryptionFailed = "decryption_failed", 403, NotVerified;
    SignatureMissing = "signature_missing", 403, NotVerified;
    SignatureMalformed = "signature_malformed", 403, NotVerified;
    SignatureMisplaced = "signature_misplaced", 403, NotVerified;
    ReferenceInvalid = "reference_invalid", 403, NotVerified;
    TransformForbidden = "transform_forbidden", 403, NotVerified;
    AlgorithmUnsupported = "algorithm_unsupported", 403, NotVerified;
    Sha1Forbidden = "sha1_forbidden", 403, NotVerified;
    DigestMismatch = "digest_mismatch", 403, NotVerified;
    SignatureInvalid = "signature_invalid", 403, NotVerified;
    UntrustedKey = "untrusted_key", 403, NotVerified;
    IssuerMismatch = "issuer_mismatch", 403, NotVerified;
    DestinationMismatch = "destination_mismatch", 403, NotVerified;
    AudienceMismatch = "audience_mismatch", 403, NotVerified;
    RecipientMismatch = "recipient_mismatch", 403, NotVerified;
    BearerMissing = "bearer_missing", 403, NotVerified;
    NotYetValid = "not_yet_valid", 403, Expired;
    Expired = "expired", 403, Expired;
    InResponseToMismatch = "in_response_to_mismatch", 403, NotVerified;
    AuthnStatementMissing = "authn_statement_missing", 403, NotVerified;
    NameIdMissing = "name_id_missing", 403, NotVerified;
    EmailMismatch = "email_mismatch", 403, NotVerified;
    IdentityMarkup = "identity_markup", 403, NotVerified;
    SchemaViolation = "schema_violation", 403, NotVerified;
    WorkLimitExceeded = "work_limit_exceeded", 403, NotVerified;
    ConditionUnknown = "condition_unknown", 403, NotVerified;
    TrustConfigInvalid = "trust_config_invalid", 403, NotVerified;
    /// A verifier refusal this service does not know yet (saml_verify::Error is non-exhaustive).
    VerificationFailed = "verification_failed", 403, NotVerified;
    // --- the edge: replay, policy, request shape, configuration, storage
    AssertionReplayed = "assertion_replayed", 403, Replayed;
    EmailMissing = "email_missing", 403, EmailMissing;
    ProvisioningDisabled = "provisioning_disabled", 403, NoAccount;
    SpInitiatedNoProvisioning = "sp_initiated_no_provisioning", 403, NoAccount;
    DomainNotAllowed = "domain_not_allowed", 403, DomainNotAllowed;
    DefaultWorkspaceMissing = "default_workspace_missing", 403, NoAccount;
    DefaultPermissionSetMissing = "default_permission_set_missing", 403, NoAccount;
    /// The pinned certificate that verified is past its NotAfter and the company's
    /// `saml.expired_certificates` is `refuse`.
    CertificateExpired = "certificate_expired", 403, NotVerified;
    // --- the account lifecycle (issue #13)
    /// A name or groups attribute too long, or too many groups.
    AttributeInvalid = "attribute_invalid", 403, NotVerified;
    /// `group_mappings.require_match` and no rule gives the user a membership.
    NoGroupMatch = "no_group_match", 403, NoAccess;
    /// `require_match`, and Entra sent the groups overage claim instead of the groups.
    GroupsOverage = "groups_overage", 403, NoAccess;
    /// A matching rule names a workspace or permission set that no longer exists in D1.
    MappingTargetMissing = "mapping_target_missing", 403, NoAccess;
    /// A new email under a persistent NameID, in a domain the company may not provision.
    EmailChangeNotAllowed = "email_change_not_allowed", 403, DomainNotAllowed;
    /// A new email under a persistent NameID that another account already has.
    EmailConflict = "email_conflict", 403, AccountConflict;
    /// The account with this email is bound to another persistent NameID of the same IdP.
    NameIdConflict = "name_id_conflict", 403, AccountConflict;
    /// The account was deactivated.
    UserDeactivated = "user_deactivated", 403, Deactivated;
    CompanyUnknown = "company_unknown", 404, NotConfigured;
    FormFieldMissing = "form_field_missing", 400, Malformed;
    FormFieldDuplicate = "form_field_duplicate", 400, Malformed;
    FormNotUtf8 = "form_not_utf8", 400, Malformed;
    ContentTypeUnsupported = "content_type_unsupported", 415, Malformed;
    BodyTooLarge = "body_too_large", 413, Malformed;
    BodyUnreadable = "body_unreadable", 400, NotVerified;
    SettingsInvalid = "settings_invalid", 503, Unavailable;
    IdpNotConfigured = "idp_not_configured", 503, Unavailable;
    StoreUnavailable = "store_unavailable", 503, Unavailable;
    StoreCorrupt = "store_corrupt", 503, Unavailable;
    BindingMissing = "binding_missing", 503, Unavailable;
    SessionSecretMissing = "session_secret_missing", 503, Unavailable;
    SpKeysInvalid = "sp_keys_invalid", 503, Unavailable;
    RandomUnavailable = "random_unavailable", 503, Unavailable;
    IdpSsoUrlMissing = "idp_sso_url_missing", 503, SsoNotSetUp;
    InternalError = "internal_error", 500, NotVerified;
    // --- admin API and pages
    InvalidField = "invalid_field", 400, InvalidField;
    Unauthorized = "unauthorized", 401, NotVerified;
    SupportOnly = "support_only", 403, SupportOnly;
    Forbidden = "forbidden", 403, Forbidden;
    CsrfInvalid = "csrf_invalid", 403, CsrfInvalid;
    UserExists = "user_exists", 409, NotVerified;
    UserUnknown = "user_unknown", 404, NotVerified;
    TokenUnknown = "token_unknown", 404, NotVerified;
    NotFound = "not_found", 404, NotConfigured;
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl core::fmt::Display for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal as the edge reports it: a typed code (which fixes the HTTP status and the message)
/// and the private detail that goes to the log (never to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub detail: String,
}

impl Refusal {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            detail: detail.into(),
        }
    }

    /// The HTTP status of its code.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl From<&saml_verify::Error> for Code {
    /// By variant: every variant the verifier has today is listed; one it adds later is
    /// `verification_failed` until it gets its own code here.
    fn from(e: &saml_verify::Error) -> Self {
        use saml_verify::Error as E;
        match e {
            E::InputEmpty => Code::InputEmpty,
            E::InputTooLarge { .. } => Code::InputTooLarge,
            E::Base64Invalid => Code::Base64Invalid,
            E::XmlMalformed { .. } => Code::XmlMalformed,
            E::DoctypeForbidden => Code::DoctypeForbidden,
            E::DepthExceeded { .. } => Code::DepthExceeded,
            E::DuplicateAttribute { .. } => Code::DuplicateAttribute,
            E::DuplicateId { .. } => Code::DuplicateId,
            E::NotAResponse { .. } => Code::NotAResponse,
            E::VersionUnsupported { .. } => Code::VersionUnsupported,
            E::StatusNotSuccess { .. } => Code::StatusNotSuccess,
            E::AssertionMissing => Code::AssertionMissing,
            E::MultipleAssertions { .. } => Code::MultipleAssertions,
            E::EncryptedAssertionUnsupported => Code::EncryptedAssertionUnsupported,
            E::DecryptionFailed => Code::DecryptionFailed,
            E::SignatureMissing => Code::SignatureMissing,
            E::SignatureMalformed { .. } => Code::SignatureMalformed,
            E::SignatureMisplaced { .. } => Code::SignatureMisplaced,
            E::ReferenceInvalid { .. } => Code::ReferenceInvalid,
            E::TransformForbidden { .. } => Code::TransformForbidden,
            E::AlgorithmUnsupported { .. } => Code::AlgorithmUnsupported,
            E::Sha1Forbidden => Code::Sha1Forbidden,
            E::DigestMismatch => Code::DigestMismatch,
            E::SignatureInvalid => Code::SignatureInvalid,
            E::UntrustedKey => Code::UntrustedKey,
            E::IssuerMismatch { .. } => Code::IssuerMismatch,
            E::DestinationMismatch { .. } => Code::DestinationMismatch,
            E::AudienceMismatch { .. } => Code::AudienceMismatch,
            E::RecipientMismatch { .. } => Code::RecipientMismatch,
            E::BearerMissing => Code::BearerMissing,
            E::NotYetValid { .. } => Code::NotYetValid,
            E::Expired { .. } => Code::Expired,
            E::InResponseToMismatch { .. } => Code::InResponseToMismatch,
            E::AuthnStatementMissing => Code::AuthnStatementMissing,
            E::NameIdMissing => Code::NameIdMissing,
            E::EmailMismatch { .. } => Code::EmailMismatch,
            E::IdentityMarkup { .. } => Code::IdentityMarkup,
            E::SchemaViolation { .. } => Code::SchemaViolation,
            E::WorkLimitExceeded { .. } => Code::WorkLimitExceeded,
            E::ConditionUnknown { .. } => Code::ConditionUnknown,
            E::TrustConfigInvalid { .. } => Code::TrustConfigInvalid,
            _ => Code::VerificationFailed,
        }
    }
}

impl From<&saml_verify::Error> for Refusal {
    /// Malformed input is 400 (413 when too large); a response that parses but does not verify
    /// or does not meet its conditions is 403 (the statuses are in the [`Code`] table).
    fn from(e: &saml_verify::Error) -> Self {
        Refusal::new(Code::from(e), e.to_string())
    }
}

#[cfg(test)]
#[path = "refusal_tests.rs"]
mod tests;
