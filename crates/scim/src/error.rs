//! SCIM error documents (RFC 7644 §3.12): the HTTP status, the `scimType` where the RFC defines
//! one, and a `detail` for the operator. `scimType` values are stable codes.

use serde_json::{json, Value};

use crate::ERROR_SCHEMA;

/// The `scimType` of a 400 (and 409, 413) error, RFC 7644 §3.12 Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
}

impl ScimType {
    /// Every type, in the RFC's order.
    pub const ALL: &'static [ScimType] = &[
        ScimType::InvalidFilter,
        ScimType::TooMany,
        ScimType::Uniqueness,
        ScimType::Mutability,
        ScimType::InvalidSyntax,
        ScimType::InvalidPath,
        ScimType::NoTarget,
        ScimType::InvalidValue,
        ScimType::InvalidVers,
        ScimType::Sensitive,
    ];

    /// The RFC's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

/// A refused SCIM request. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn bad(t: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(t), detail)
    }

    /// 400 `invalidSyntax`: the body or a parameter cannot be read.
    pub fn syntax(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidValue`: a value of the wrong type or out of range, or a required one missing.
    pub fn value(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidPath`: a PATCH path this service does not have.
    pub fn path(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidPath, detail)
    }

    /// 400 `invalidFilter`: a filter outside the supported subset.
    pub fn filter(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::InvalidFilter, detail)
    }

    /// 400 `noTarget`: a remove without a path.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::NoTarget, detail)
    }

    /// 400 `mutability`: a read-only attribute.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad(ScimType::Mutability, detail)
    }

    /// 409 `uniqueness`: the userName or displayName is taken.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 404: no such resource (or endpoint).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 413: the body is over [`crate::MAX_BODY_BYTES`].
    pub fn too_large() -> Self {
        let detail = format!("request body over {} bytes", crate::MAX_BODY_BYTES);
        Self::new(413, None, detail)
    }

    /// The error document.
    pub fn to_value(&self) -> Value {
        let mut doc = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(map)) = (self.scim_type, doc.as_object_mut()) {
            map.insert("scimType".into(), t.as_str().into());
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents() {
        let e = ScimError::filter("only eq");
        assert_eq!(
            e.to_value(),
            json!({"schemas": [ERROR_SCHEMA], "status": "400", "scimType": "invalidFilter", "detail": "only eq"})
        );
        let nf = ScimError::not_found("no such user").to_value();
        assert_eq!(nf["status"], "404");
        assert!(nf.get("scimType").is_none());
        assert_eq!(ScimError::uniqueness("taken").status, 409);
        assert_eq!(ScimError::too_large().status, 413);
        let names: Vec<&str> = ScimType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), 10);
        assert!(names.contains(&"noTarget") && names.contains(&"invalidVers"));
    }
}
