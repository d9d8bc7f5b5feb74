//! Keeping secrets out of error texts: excerpts of provider bodies with secret values removed.

use crate::error::BODY_EXCERPT_CHARS;

/// Keys whose values are secrets wherever they appear in a provider body or query string.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "secret",
    "appsecret",
    "password",
    "pass",
    "code",
    "code_verifier",
    "token",
];

/// Whether a JSON key or form field name holds a secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&key.as_str()) || key.ends_with("_token") || key.ends_with("secret")
}

/// A short, secret-free excerpt of a provider response body for error messages.
///
/// JSON bodies keep their shape with secret values replaced; form-encoded bodies (GitHub answers that
/// way without `Accept: application/json`) have secret fields replaced; anything else is truncated
/// as text with its whitespace collapsed.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let cleaned = if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) {
        redact_json(&mut json);
        json.to_string()
    } else if looks_form_encoded(&text) {
        redact_form(&text)
    } else {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    truncate_chars(&cleaned, BODY_EXCERPT_CHARS)
}

fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_secret_key(key) && !value.is_null() {
                    *value = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_json(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn looks_form_encoded(text: &str) -> bool {
    !text.is_empty()
        && text.contains('=')
        && !text.contains(char::is_whitespace)
        && !text.contains('<')
}

fn redact_form(text: &str) -> String {
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Cuts `text` to at most `max` characters, marking the cut with `…`.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_secrets_are_replaced_at_any_depth() {
        let out = body_excerpt(br#"{"a":{"refresh_token":"r1"},"list":[{"client_secret":"s1"}],"access_token":"t1","ok":1}"#);
        for secret in ["r1", "s1", "t1"] {
            assert!(!out.contains(secret), "{out}");
        }
        assert!(out.contains("\"ok\":1"));
    }

    #[test]
    fn form_bodies_are_redacted() {
        let out = body_excerpt(b"access_token=gho_x&scope=repo&token_type=bearer");
        assert_eq!(out, "access_token=[redacted]&scope=repo&token_type=bearer");
    }

    #[test]
    fn html_is_collapsed_and_truncated() {
        let html = format!("<html>\n  <body>{}</body></html>", "x".repeat(3000));
        let out = body_excerpt(html.as_bytes());
        assert!(out.starts_with("<html> <body>"));
        assert_eq!(out.chars().count(), BODY_EXCERPT_CHARS + 1);
        assert!(out.ends_with('…'));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("微信登录", 2), "微信…");
        assert_eq!(truncate_chars("ab", 2), "ab");
    }
}
