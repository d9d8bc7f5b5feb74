//! What a factory gets besides the config: the shared HTTP client and endpoint overrides.

use url::Url;

use crate::error::{ConnectorError, ErrorCode, Result};
use crate::http::HttpClient;

/// Shared resources and code-level settings for creating connectors.
///
/// Overrides live here, in code, never in the operator's JSON config: a config edit cannot send
/// client secrets to another host.
///
/// ```
/// use connector_core::{ConnectorContext, HttpClient};
///
/// let ctx = ConnectorContext::new(HttpClient::default())
///     .with_base_url("http://127.0.0.1:8080".parse().unwrap());
/// let url = ctx.endpoint("https://api.github.com/user").unwrap();
/// assert_eq!(url.as_str(), "http://127.0.0.1:8080/user");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectorContext {
    http: HttpClient,
    base_url: Option<Url>,
}

impl ConnectorContext {
    /// A context sharing `http` between every connector created with it.
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            base_url: None,
        }
    }

    /// Rebases every provider endpoint onto `base_url`: its scheme, host and port replace the
    /// provider's, and its path is put in front of the endpoint's path. For tests (a mock on
    /// 127.0.0.1) and self-hosted, API-compatible providers.
    pub fn with_base_url(mut self, base_url: Url) -> Self {
        self.base_url = Some(base_url);
        self
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The base URL override, if any.
    pub fn base_url(&self) -> Option<&Url> {
        self.base_url.as_ref()
    }

    /// A provider endpoint, rebased when an override is set.
    pub fn endpoint(&self, default: &str) -> Result<Url> {
        let url = Url::parse(default).map_err(|e| {
            ConnectorError::new(
                ErrorCode::InvalidMetadata,
                format!("endpoint `{default}` is not a URL: {e}"),
            )
        })?;
        let Some(base) = &self.base_url else {
            return Ok(url);
        };
        let mut rebased = base.clone();
        let prefix = base.path().trim_end_matches('/');
        rebased.set_path(&format!("{prefix}{}", url.path()));
        rebased.set_query(url.query());
        rebased.set_fragment(url.fragment());
        Ok(rebased)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_override_keeps_the_endpoint() {
        let ctx = ConnectorContext::default();
        let url = ctx
            .endpoint("https://github.com/login/oauth/authorize")
            .expect("url");
        assert_eq!(url.as_str(), "https://github.com/login/oauth/authorize");
    }

    #[test]
    fn override_replaces_origin_and_prefixes_path() {
        let ctx = ConnectorContext::default()
            .with_base_url(Url::parse("https://ghe.example.com/api/v3/").expect("url"));
        let url = ctx
            .endpoint("https://api.github.com/user/emails?x=1")
            .expect("url");
        assert_eq!(
            url.as_str(),
            "https://ghe.example.com/api/v3/user/emails?x=1"
        );
    }

    #[test]
    fn bad_default_endpoint_is_invalid_metadata() {
        let err = ConnectorContext::default()
            .endpoint("nope")
            .expect_err("bad");
        assert_eq!(err.code(), ErrorCode::InvalidMetadata);
    }
}
