//! Keeping secrets out of what the CLI prints.
//!
//! The connectors never put a secret in an error or a `Debug` text; the CLI adds a second line of
//! defence: every secret-looking value of the config it loaded is replaced by `[redacted]` in all
//! output, and provider tokens in a profile are redacted unless `--show-tokens` is given.
//!
//! ```
//! use connector_cli::redact::Redactor;
//! let config = serde_json::json!({"clientId": "abc", "clientSecret": "s3cr3t-value", "auth": {"pass": "hunter22"}});
//! let redactor = Redactor::from_config(&config);
//! assert_eq!(redactor.apply("got s3cr3t-value and hunter22 for abc"), "got [redacted] and [redacted] for abc");
//! assert!(!format!("{redactor:?}").contains("hunter22"));
//! ```

use std::borrow::Cow;
use std::fmt;

use connector_core::SocialUserInfo;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether a JSON key (config field, provider field) holds a secret value.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['_', '-'], "");
    key.contains("secret")
        || key.contains("password")
        || key == "pass"
        || key.ends_with("token")
        || key == "privatekey"
        || key == "codeverifier"
        || key == "pkceverifier"
}

/// Secret values to scrub from output. `Debug` shows how many, never which.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// The secret values of a config: strings under secret-looking keys, at any depth.
    pub fn from_config(config: &Value) -> Self {
        let mut redactor = Self::default();
        redactor.collect(config, false);
        redactor
    }

    fn collect(&mut self, value: &Value, secret: bool) {
        match value {
            Value::String(text) if secret => self.add(text),
            Value::Object(map) => {
                for (key, value) in map {
                    self.collect(value, secret || is_secret_key(key));
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v, secret)),
            _ => {}
        }
    }

    /// Adds one secret value (values shorter than 3 characters are ignored: redacting them would
    /// mangle ordinary text without protecting anything).
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() >= 3 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
            // Longest first, so a secret containing another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Adds every secret of another redactor.
    pub fn extend(&mut self, other: &Redactor) {
        for secret in &other.secrets {
            self.add(secret);
        }
    }

    /// `text` with every known secret replaced by `[redacted]`.
    pub fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// A profile as JSON for printing: Logto's shape (camelCase, `rawData`), with the token values and
/// any token-like field inside `rawData` replaced by `[redacted]` unless `show_tokens`.
///
/// ```
/// use connector_core::{Secret, SocialUserInfo, TokenSet};
/// let mut user = SocialUserInfo::new("42", serde_json::json!({"access_token": "at-1"}));
/// user.tokens = Some(TokenSet::new(Secret::new("at-1"), "bearer"));
/// let printed = connector_cli::redact::profile_json(&user, false);
/// assert_eq!(printed["tokens"]["accessToken"], "[redacted]");
/// assert_eq!(printed["tokens"]["tokenType"], "bearer");
/// assert_eq!(printed["rawData"]["access_token"], "[redacted]");
/// assert_eq!(connector_cli::redact::profile_json(&user, true)["tokens"]["accessToken"], "at-1");
/// ```
pub fn profile_json(profile: &SocialUserInfo, show_tokens: bool) -> Value {
    let mut json = serde_json::to_value(profile).unwrap_or(Value::Null);
    if !show_tokens {
        redact_secret_keys(&mut json);
    }
    json
}

/// Replaces the value of every secret-looking key, at any depth.
pub fn redact_secret_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    // A secret-named object (WeChat's raw `token` answer) keeps its public
                    // fields: only the secret values inside it go.
                    Value::Object(_) | Value::Array(_) => redact_secret_keys(value),
                    Value::Null => {}
                    _ if is_secret_key(key) => *value = Value::String(REDACTED.to_owned()),
                    _ => {}
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secret_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "clientSecret",
            "appSecret",
            "client_secret",
            "pass",
            "password",
            "accessToken",
            "refresh_token",
            "idToken",
            "privateKey",
            "pkceVerifier",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["clientId", "scope", "tokenType", "user", "host", "passage"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn longest_secret_wins() {
        let mut redactor = Redactor::default();
        redactor.add("abc");
        redactor.add("abcdef");
        assert_eq!(
            redactor.apply("x abcdef y abc"),
            "x [redacted] y [redacted]"
        );
    }
}
