//! One error type for every connector, with Logto's stable error codes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::ConfigProblem;

/// How many characters of a provider's response body an error keeps.
///
/// Enough for an operator to recognise an HTML error page or a JSON error object, small enough that
/// errors stay cheap to log.
pub const BODY_EXCERPT_CHARS: usize = 512;

/// The stable code of a [`ConnectorError`].
///
/// The serialized names are Logto's connector error codes, so a server migrating from Logto keeps its
/// error handling. [`ErrorCode::http_status`] gives the status Logto's server answers with.
///
/// ```
/// use connector_core::ErrorCode;
/// assert_eq!(ErrorCode::SocialAuthCodeInvalid.as_str(), "social_auth_code_invalid");
/// assert_eq!(ErrorCode::SocialAuthCodeInvalid.http_status(), 401);
/// assert_eq!("rate_limit_exceeded".parse::<ErrorCode>(), Ok(ErrorCode::RateLimitExceeded));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Anything not covered by a more specific code; the message says what happened.
    General,
    /// A connector's metadata is incomplete or inconsistent (a bug in the connector crate).
    InvalidMetadata,
    /// A connector of another type was found where a social or e-mail connector was expected.
    UnexpectedType,
    /// The config did not pass the connector's guard (Logto's name for schema validation).
    InvalidConfigGuard,
    /// A request parameter (callback query, message field) has an invalid value.
    InvalidRequestParameters,
    /// A required request parameter is missing.
    InsufficientRequestParameters,
    /// The operator's config is wrong: a field, a credential or a registration at the provider.
    InvalidConfig,
    /// A TLS certificate could not be verified.
    InvalidCertificate,
    /// The provider answered with something we cannot understand.
    InvalidResponse,
    /// No e-mail template exists for the requested usage type.
    TemplateNotFound,
    /// The template exists but cannot serve this request.
    TemplateNotSupported,
    /// The provider is rate limiting us.
    RateLimitExceeded,
    /// A usage quota at the provider is exhausted.
    UsageLimitExceeded,
    /// The connector does not support this operation.
    NotImplemented,
    /// The authorization code was rejected (invalid, expired or already used).
    SocialAuthCodeInvalid,
    /// The access token was rejected by the provider.
    SocialInvalidAccessToken,
    /// The ID token was rejected.
    SocialInvalidIdToken,
    /// The user refused, or the authorization could not be completed (state mismatch, missing code).
    AuthorizationFailed,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::General,
        ErrorCode::InvalidMetadata,
        ErrorCode::UnexpectedType,
        ErrorCode::InvalidConfigGuard,
        ErrorCode::InvalidRequestParameters,
        ErrorCode::InsufficientRequestParameters,
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidCertificate,
        ErrorCode::InvalidResponse,
        ErrorCode::TemplateNotFound,
        ErrorCode::TemplateNotSupported,
        ErrorCode::RateLimitExceeded,
        ErrorCode::UsageLimitExceeded,
        ErrorCode::NotImplemented,
        ErrorCode::SocialAuthCodeInvalid,
        ErrorCode::SocialInvalidAccessToken,
        ErrorCode::SocialInvalidIdToken,
        ErrorCode::AuthorizationFailed,
    ];

    /// The serialized name, e.g. `"invalid_config"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::General => "general",
            ErrorCode::InvalidMetadata => "invalid_metadata",
            ErrorCode::UnexpectedType => "unexpected_type",
            ErrorCode::InvalidConfigGuard => "invalid_config_guard",
            ErrorCode::InvalidRequestParameters => "invalid_request_parameters",
            ErrorCode::InsufficientRequestParameters => "insufficient_request_parameters",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::InvalidCertificate => "invalid_certificate",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::TemplateNotFound => "template_not_found",
            ErrorCode::TemplateNotSupported => "template_not_supported",
            ErrorCode::RateLimitExceeded => "rate_limit_exceeded",
            ErrorCode::UsageLimitExceeded => "usage_limit_exceeded",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::SocialAuthCodeInvalid => "social_auth_code_invalid",
            ErrorCode::SocialInvalidAccessToken => "social_invalid_access_token",
            ErrorCode::SocialInvalidIdToken => "social_invalid_id_token",
            ErrorCode::AuthorizationFailed => "authorization_failed",
        }
    }

    /// The HTTP status Logto's server answers with for this code: 401 for the social and
    /// authorization codes, 501 for `not_implemented`, 429 for the two limits, 400 otherwise.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::SocialAuthCodeInvalid
            | ErrorCode::SocialInvalidAccessToken
            | ErrorCode::SocialInvalidIdToken
            | ErrorCode::AuthorizationFailed => 401,
            ErrorCode::NotImplemented => 501,
            ErrorCode::RateLimitExceeded | ErrorCode::UsageLimitExceeded => 429,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// A string that is not one of the [`ErrorCode`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown connector error code `{0}`")]
pub struct UnknownErrorCode(pub String);

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error every connector operation returns.
///
/// It carries a stable [`ErrorCode`], a message written for the operator (it names the config field
/// or quotes the provider's error), and, when a provider answered, the HTTP status and a truncated
/// excerpt of the body. It never contains a secret: connectors build messages from field names and
/// provider error texts, and [`ConnectorError::with_body`] strips values of secret-looking keys.
///
/// ```
/// use connector_core::{ConnectorError, ErrorCode};
///
/// let err = ConnectorError::new(ErrorCode::General, "GitHub answered 502")
///     .with_status(502)
///     .retryable(true);
/// assert_eq!(err.code(), ErrorCode::General);
/// assert!(err.is_retryable());
/// assert_eq!(err.to_string(), "general: GitHub answered 502");
/// ```
#[derive(thiserror::Error)]
#[error("{code}: {message}")]
pub struct ConnectorError {
    code: ErrorCode,
    message: String,
    status: Option<u16>,
    body: Option<String>,
    retryable: bool,
    problems: Vec<ConfigProblem>,
    #[source]
    source: Option<BoxError>,
}

impl ConnectorError {
    /// An error with a code and an operator-facing message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
            body: None,
            retryable: false,
            problems: Vec::new(),
            source: None,
        }
    }

    /// Shorthand for [`ErrorCode::InvalidConfig`].
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }

    /// Shorthand for [`ErrorCode::InvalidResponse`].
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidResponse, message)
    }

    /// Shorthand for [`ErrorCode::General`].
    pub fn general(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::General, message)
    }

    /// Shorthand for [`ErrorCode::AuthorizationFailed`].
    pub fn authorization_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AuthorizationFailed, message)
    }

    /// Shorthand for [`ErrorCode::NotImplemented`].
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotImplemented, message)
    }

    /// An `invalid_config` error listing every problem found in a config, each with its JSON path.
    pub fn config_problems(problems: Vec<ConfigProblem>) -> Self {
        let message = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            problems,
            ..Self::invalid_config(message)
        }
    }

    /// Records the provider's HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Records an excerpt of the provider's response body: truncated to [`BODY_EXCERPT_CHARS`]
    /// characters, with the values of secret-looking JSON keys (`access_token`, `secret`, ...) and
    /// query parameters replaced by `[redacted]`.
    pub fn with_body(mut self, body: &[u8]) -> Self {
        self.body = Some(crate::redact::body_excerpt(body));
        self
    }

    /// Marks whether retrying the same operation later may succeed.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Attaches the underlying cause. Its `Display` must not contain secrets (strip URLs from
    /// `reqwest` errors with `without_url()` first).
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Prefixes the message with context, e.g. `"token exchange: "`.
    pub fn context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The operator-facing message (without the code prefix that `Display` adds).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The provider's HTTP status, when a provider answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// A truncated, secret-free excerpt of the provider's response body.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// The config problems behind an `invalid_config` error from config parsing, each with its path.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }

    /// The status an identity server should answer with (see [`ErrorCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// Whether the same call may succeed later (timeouts, connection failures, provider 5xx and 4xx
    /// SMTP replies, WeChat's "system busy", rate limits).
    pub fn is_retryable(&self) -> bool {
        self.retryable || matches!(self.code, ErrorCode::RateLimitExceeded)
    }
}

impl fmt::Debug for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ConnectorError");
        s.field("code", &self.code).field("message", &self.message);
        if let Some(status) = self.status {
            s.field("status", &status);
        }
        if let Some(body) = &self.body {
            s.field("body", body);
        }
        if self.retryable {
            s.field("retryable", &true);
        }
        if !self.problems.is_empty() {
            s.field("problems", &self.problems);
        }
        if let Some(source) = &self.source {
            s.field("source", &source.to_string());
        }
        s.finish()
    }
}

/// The serialized form of an error, as an identity server would return it to a client or the CLI
/// prints it: `{"code": "...", "message": "...", "status": 502}`.
impl Serialize for ConnectorError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", &self.code)?;
        map.serialize_entry("message", &self.message)?;
        if let Some(status) = self.status {
            map.serialize_entry("providerStatus", &status)?;
        }
        if let Some(body) = &self.body {
            map.serialize_entry("providerBody", body)?;
        }
        if self.is_retryable() {
            map.serialize_entry("retryable", &true)?;
        }
        if !self.problems.is_empty() {
            map.serialize_entry("problems", &self.problems)?;
        }
        map.end()
    }
}

/// The result type of every connector operation.
pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_logto_name_and_parses_back() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, code);
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
        assert!("social_auth_code".parse::<ErrorCode>().is_err());
    }

    #[test]
    fn logto_names_are_exactly_the_reference_list() {
        let names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "general",
                "invalid_metadata",
                "unexpected_type",
                "invalid_config_guard",
                "invalid_request_parameters",
                "insufficient_request_parameters",
                "invalid_config",
                "invalid_certificate",
                "invalid_response",
                "template_not_found",
                "template_not_supported",
                "rate_limit_exceeded",
                "usage_limit_exceeded",
                "not_implemented",
                "social_auth_code_invalid",
                "social_invalid_access_token",
                "social_invalid_id_token",
                "authorization_failed",
            ]
        );
    }

    #[test]
    fn http_status_follows_logto() {
        use ErrorCode::*;
        for code in [
            SocialAuthCodeInvalid,
            SocialInvalidAccessToken,
            SocialInvalidIdToken,
            AuthorizationFailed,
        ] {
            assert_eq!(code.http_status(), 401, "{code}");
        }
        assert_eq!(NotImplemented.http_status(), 501);
        assert_eq!(RateLimitExceeded.http_status(), 429);
        assert_eq!(UsageLimitExceeded.http_status(), 429);
        for code in [General, InvalidConfig, InvalidResponse, TemplateNotFound] {
            assert_eq!(code.http_status(), 400, "{code}");
        }
    }

    #[test]
    fn retryable_is_explicit_except_for_rate_limits() {
        assert!(!ConnectorError::general("x").is_retryable());
        assert!(ConnectorError::general("x").retryable(true).is_retryable());
        assert!(ConnectorError::new(ErrorCode::RateLimitExceeded, "slow down").is_retryable());
    }

    #[test]
    fn body_is_truncated_and_secret_free() {
        let body = format!(
            "{{\"access_token\":\"gho_supersecret\",\"error\":\"x\",\"pad\":\"{}\"}}",
            "a".repeat(2000)
        );
        let err = ConnectorError::invalid_response("bad").with_body(body.as_bytes());
        let excerpt = err.body().expect("body kept");
        assert!(!excerpt.contains("gho_supersecret"), "{excerpt}");
        assert!(excerpt.chars().count() <= BODY_EXCERPT_CHARS + 1);
        assert!(!format!("{err:?}").contains("gho_supersecret"));
    }

    #[test]
    fn serializes_for_clients() {
        let err = ConnectorError::general("GitHub answered 502").with_status(502);
        let json = serde_json::to_value(&err).expect("serialize");
        assert_eq!(json["code"], "general");
        assert_eq!(json["message"], "GitHub answered 502");
        assert_eq!(json["providerStatus"], 502);
    }
}
