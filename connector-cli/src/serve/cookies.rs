//! Reading and writing the sample page's cookies.

use axum::http::{header, HeaderMap};

/// The cookie holding the signed-in session's id.
pub(crate) const SESSION: &str = "connectors_session";

/// The cookie holding a sign-in's sealed flow state, per connector.
pub(crate) fn flow_cookie(slug: &str) -> String {
    format!("connectors_flow_{}", slug.replace('-', "_"))
}

/// The value of cookie `name` in the request.
pub(crate) fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: HttpOnly (no script reads it), SameSite=Lax (sent on the provider's
/// redirect back, not on cross-site posts), for the whole site, expiring after `max_age` seconds.
/// Not `Secure`: the sample page is plain HTTP on 127.0.0.1.
pub(crate) fn set(name: &str, value: &str, max_age: u64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

/// A `Set-Cookie` value that deletes the cookie.
pub(crate) fn clear(name: &str) -> String {
    set(name, "", 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; connectors_session=abc"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(get(&headers, SESSION).as_deref(), Some("abc"));
        assert_eq!(get(&headers, "b").as_deref(), Some("2"));
        assert_eq!(get(&headers, "c"), None);
    }

    #[test]
    fn flow_cookie_names_are_tokens() {
        assert_eq!(flow_cookie("wechat-web"), "connectors_flow_wechat_web");
    }
}
