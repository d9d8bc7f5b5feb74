//! E-mail messages: usage types, payload and the delivery report.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ConnectorError, ErrorCode};

/// Why a one-time code is sent; templates are chosen by it (Logto's `TemplateType`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[non_exhaustive]
pub enum UsageType {
    /// Signing in with a code.
    SignIn,
    /// Registering a new account.
    Register,
    /// Resetting a forgotten password.
    ForgotPassword,
    /// Inviting someone to an organization.
    OrganizationInvitation,
    /// The fallback for any usage without its own template.
    Generic,
    /// Confirming a sensitive action by an existing user.
    UserPermissionValidation,
    /// Binding a new e-mail address to an account.
    BindNewIdentifier,
    /// A multi-factor verification code.
    MfaVerification,
    /// Binding a multi-factor method.
    BindMfa,
}

impl UsageType {
    /// All nine usage types.
    pub const ALL: [UsageType; 9] = [
        UsageType::SignIn,
        UsageType::Register,
        UsageType::ForgotPassword,
        UsageType::OrganizationInvitation,
        UsageType::Generic,
        UsageType::UserPermissionValidation,
        UsageType::BindNewIdentifier,
        UsageType::MfaVerification,
        UsageType::BindMfa,
    ];

    /// The serialized name, e.g. `SignIn`.
    pub const fn as_str(self) -> &'static str {
        match self {
            UsageType::SignIn => "SignIn",
            UsageType::Register => "Register",
            UsageType::ForgotPassword => "ForgotPassword",
            UsageType::OrganizationInvitation => "OrganizationInvitation",
            UsageType::Generic => "Generic",
            UsageType::UserPermissionValidation => "UserPermissionValidation",
            UsageType::BindNewIdentifier => "BindNewIdentifier",
            UsageType::MfaVerification => "MfaVerification",
            UsageType::BindMfa => "BindMfa",
        }
    }
}

impl fmt::Display for UsageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UsageType {
    type Err = ConnectorError;

    /// Parses a usage type name exactly (`SignIn`), naming the valid ones on failure.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UsageType::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = UsageType::ALL.iter().map(|u| u.as_str()).collect();
                ConnectorError::new(
                    ErrorCode::InvalidRequestParameters,
                    format!(
                        "unknown usage type `{s}`, expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }
}

/// One e-mail to send: recipient, usage, locale and template values.
///
/// The payload holds Logto's message fields: `code`, `link`, `locale`, `uiLocales` and the context
/// objects `application`, `organization`, `user`. Templates address them as `{{code}}` or
/// `{{application.name}}`. `Debug` hides the code.
///
/// ```
/// use connector_core::{EmailMessage, UsageType};
/// let message = EmailMessage::new("ada@example.com", UsageType::SignIn)
///     .with_code("123456")
///     .with_locale("fr-CA")
///     .with_value("application", serde_json::json!({"name": "Acme"}));
/// assert_eq!(message.payload["code"], "123456");
/// assert!(!format!("{message:?}").contains("123456"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EmailMessage {
    /// The recipient: exactly one address.
    pub to: String,
    /// Why the code is sent.
    pub usage: UsageType,
    /// The recipient's locale (BCP 47), to choose a localized template.
    pub locale: Option<String>,
    /// Template values.
    pub payload: Map<String, Value>,
}

impl EmailMessage {
    /// A message with no values yet.
    pub fn new(to: impl Into<String>, usage: UsageType) -> Self {
        Self {
            to: to.into(),
            usage,
            locale: None,
            payload: Map::new(),
        }
    }

    /// Sets the one-time code (`{{code}}`).
    pub fn with_code(self, code: impl Into<String>) -> Self {
        self.with_value("code", Value::String(code.into()))
    }

    /// Sets the locale.
    pub fn with_locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// Sets any template value (`link`, `application`, `organization`, `user`, ...).
    pub fn with_value(mut self, name: &str, value: Value) -> Self {
        self.payload.insert(name.to_owned(), value);
        self
    }
}

impl fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<_> = self.payload.keys().collect();
        f.debug_struct("EmailMessage")
            .field("to", &self.to)
            .field("usage", &self.usage)
            .field("locale", &self.locale)
            .field("payload_keys", &keys)
            .finish()
    }
}

/// What an e-mail connector delivered, for logs and the CLI: no code, no credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Delivery {
    /// The recipient.
    pub to: String,
    /// The template's usage type that was used (the message's own, or `Generic`).
    pub template_usage: UsageType,
    /// The template's locale, when a localized template was chosen.
    pub template_locale: Option<String>,
    /// The server's reply to the message, e.g. `250 2.0.0 OK queued as ...`.
    pub server_reply: Option<String>,
}

impl Delivery {
    /// A delivery report.
    pub fn new(to: impl Into<String>, template_usage: UsageType) -> Self {
        Self {
            to: to.into(),
            template_usage,
            template_locale: None,
            server_reply: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_types_round_trip_by_name() {
        for usage in UsageType::ALL {
            assert_eq!(usage.as_str().parse::<UsageType>().expect("parse"), usage);
            let json = serde_json::to_string(&usage).expect("json");
            assert_eq!(json, format!("\"{}\"", usage.as_str()));
        }
    }

    #[test]
    fn unknown_usage_type_lists_valid_ones() {
        let err = "Signin".parse::<UsageType>().expect_err("case matters");
        assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
        assert!(err.message().contains("SignIn"));
    }
}
