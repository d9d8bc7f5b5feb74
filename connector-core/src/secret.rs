//! One newtype for every secret: client secrets, passwords, access and refresh tokens.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// A secret string: client secrets, SMTP passwords, access tokens, PKCE verifiers.
///
/// `Debug` and `Display` print `[redacted]`, never the value; read it with [`Secret::expose`] at
/// the one place that sends it to the provider. Its JSON Schema is a string marked `writeOnly` and
/// `format: password`, so admin UIs render a password field and never echo it back.
///
/// `Serialize` writes the value: servers persist configs and token sets. Serialize to storage,
/// never to logs.
///
/// ```
/// use connector_core::Secret;
///
/// let secret = Secret::new("gho_16C7e42F292c6912E7710c838347Ae178B4a");
/// assert_eq!(format!("{secret:?}"), "Secret([redacted])");
/// assert_eq!(secret.to_string(), "[redacted]");
/// assert_eq!(secret.expose(), "gho_16C7e42F292c6912E7710c838347Ae178B4a");
/// ```
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call it only where the value leaves for the provider.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty (an unset password, say).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Constant-time comparison, so comparing a secret does not leak how much of it matched.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl schemars::JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "password",
            "writeOnly": true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        for text in [
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{secret:#?}"),
        ] {
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn schema_is_write_only_password() {
        let schema = schemars::schema_for!(Secret);
        let json = serde_json::to_value(&schema).expect("schema json");
        assert_eq!(json["type"], "string");
        assert_eq!(json["writeOnly"], true);
        assert_eq!(json["format"], "password");
    }

    #[test]
    fn serde_round_trip_keeps_the_value_for_storage() {
        let secret: Secret = serde_json::from_str("\"s3cr3t\"").expect("deserialize");
        assert_eq!(secret.expose(), "s3cr3t");
        assert_eq!(
            serde_json::to_string(&secret).expect("serialize"),
            "\"s3cr3t\""
        );
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Secret::new("a"), Secret::new("a"));
        assert_ne!(Secret::new("a"), Secret::new("ab"));
    }
}
