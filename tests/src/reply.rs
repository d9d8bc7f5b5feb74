//! Canned provider answers: JSON, OAuth error objects, HTML pages, raw bytes, truncated JSON,
//! bodies over a size cap, and answers that never come.
//!
//! Each is a wiremock [`ResponseTemplate`], so it can be mounted with
//! [`MockProvider::mount`](crate::mock::MockProvider::mount) or any wiremock [`Mock`](wiremock::Mock).
//!
//! ```
//! use connector_testkit::reply;
//! let denied = reply::oauth_error(400, "invalid_grant", "The code has expired");
//! let page = reply::html(502);
//! let never = reply::stall();
//! # let _ = (denied, page, never);
//! ```

use std::time::Duration;

use serde_json::Value;
use wiremock::ResponseTemplate;

/// How long a [`stall`] answer waits: far longer than any timeout a suite sets.
pub const STALL: Duration = Duration::from_secs(3600);

/// `status` with a JSON body (`application/json`).
pub fn json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

/// An OAuth 2.0 error object (RFC 6749 §5.2): `{"error", "error_description"}`.
pub fn oauth_error(status: u16, error: &str, description: &str) -> ResponseTemplate {
    json(
        status,
        serde_json::json!({"error": error, "error_description": description}),
    )
}

/// `status` with a text body of the given `Content-Type` (WeChat serves JSON as `text/plain`).
pub fn text(status: u16, content_type: &str, body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), content_type)
}

/// An HTML error page, as a proxy or a provider's maintenance page answers.
pub fn html(status: u16) -> ResponseTemplate {
    text(
        status,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html>\n<html><head><title>{status} Service Unavailable</title></head>\n\
             <body><h1>We'll be back soon</h1><p>The service is down for maintenance.</p></body></html>"
        ),
    )
}

/// Raw bytes (`application/octet-stream`).
pub fn bytes(status: u16, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), "application/octet-stream")
}

/// A JSON body cut in the middle of a string.
pub fn truncated_json(status: u16) -> ResponseTemplate {
    text(
        status,
        "application/json",
        r#"{"access_token":"conformance-trunc"#,
    )
}

/// `status` with an empty body.
pub fn empty(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
}

/// A valid JSON object of more than `min_bytes` bytes: `base` (when it is an object) plus a
/// `padding` string.
pub fn oversize_json(status: u16, base: &Value, min_bytes: usize) -> ResponseTemplate {
    text(status, "application/json", padded(base, min_bytes))
}

/// An answer that does not come: a 200 delayed by [`STALL`]. The connection is accepted and the
/// request read; only the client's timeout can end the call.
pub fn stall() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw("{}", "application/json")
        .set_delay(STALL)
}

/// `base` serialized with a `padding` member so that the text is longer than `min_bytes`.
pub(crate) fn padded(base: &Value, min_bytes: usize) -> String {
    let mut object = match base {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    object.insert("padding".to_owned(), Value::String("x".repeat(min_bytes)));
    Value::Object(object).to_string()
}
