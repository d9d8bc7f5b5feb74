//! The one HTTP client every connector shares: hardened defaults, capped bodies, clear errors.

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::error::{ConnectorError, ErrorCode, Result};

/// Default cap on a provider response body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default time allowed to open a connection (TCP + TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The `User-Agent` sent when none is configured (GitHub refuses requests without one).
pub const DEFAULT_USER_AGENT: &str = concat!("identity-connectors/", env!("CARGO_PKG_VERSION"));

/// One `reqwest` client (one connection pool) shared by every connector. Cheap to clone.
///
/// - rustls with the platform's web PKI roots, plus any extra root certificates (private CAs);
/// - connect and total timeouts;
/// - redirects never followed: a provider endpoint that redirects is an error, not a hop to a host
///   the operator never configured (SSRF);
/// - response bodies capped (1 MiB by default) with a clear error past the cap;
/// - a `User-Agent` on every request;
/// - a `tracing` span per request recording method, host, path and status, never the query string
///   or a body (WeChat sends its AppSecret in the query).
///
/// ```
/// use connector_core::HttpClient;
/// use std::time::Duration;
///
/// let http = HttpClient::builder()
///     .timeout(Duration::from_secs(5))
///     .max_body_bytes(64 * 1024)
///     .build()
///     .unwrap();
/// assert_eq!(http.timeout(), Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    max_body_bytes: usize,
    timeout: Duration,
}

impl HttpClient {
    /// A builder with the defaults above.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    /// The underlying `reqwest` client, to build requests.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The total timeout of a request.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The response body cap in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    /// Starts a GET request.
    pub fn get(&self, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.client.get(url)
    }

    /// Starts a POST request.
    pub fn post(&self, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.client.post(url)
    }

    /// Sends a request and reads the whole body (up to the cap).
    ///
    /// Transport failures become `general` errors marked retryable (timeouts, refused connections),
    /// certificate failures `invalid_certificate`, a body over the cap `invalid_response`. The
    /// HTTP status is not judged here: see [`HttpResponse::check_api_status`].
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<HttpResponse> {
        let request = request.build().map_err(|e| {
            ConnectorError::general("could not build the HTTP request").with_source(e.without_url())
        })?;
        self.execute(request).await
    }

    /// Sends an already built request; see [`HttpClient::send`].
    pub async fn execute(&self, request: reqwest::Request) -> Result<HttpResponse> {
        let endpoint = Endpoint::of(request.url());
        let span = tracing::debug_span!(
            "provider_request",
            method = %request.method(),
            host = %endpoint.host,
            path = %endpoint.path,
            status = tracing::field::Empty,
        );
        let max = self.inner.max_body_bytes;
        let timeout = self.inner.timeout;
        async move {
            let mut response = self
                .inner
                .client
                .execute(request)
                .await
                .map_err(|e| transport_error(e, &endpoint, timeout))?;
            let status = response.status().as_u16();
            tracing::Span::current().record("status", status);
            if response
                .content_length()
                .is_some_and(|len| len > max as u64)
            {
                return Err(too_large(&endpoint, status, max));
            }
            // A provider's answer usually arrives in one chunk: it is kept as it is, and copied
            // into a buffer only when a second chunk comes.
            let mut body = Bytes::new();
            let mut chunks: Option<BytesMut> = None;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| transport_error(e, &endpoint, timeout))?
            {
                let read = chunks.as_ref().map_or(body.len(), BytesMut::len);
                if read + chunk.len() > max {
                    return Err(too_large(&endpoint, status, max));
                }
                match &mut chunks {
                    Some(buffer) => buffer.extend_from_slice(&chunk),
                    None if body.is_empty() => body = chunk,
                    None => {
                        let mut buffer = BytesMut::with_capacity(body.len() + chunk.len());
                        buffer.extend_from_slice(&body);
                        buffer.extend_from_slice(&chunk);
                        chunks = Some(buffer);
                    }
                }
            }
            let body = chunks.map_or(body, BytesMut::freeze);
            tracing::debug!(bytes = body.len(), "provider answered");
            Ok(HttpResponse {
                status,
                headers: std::mem::take(response.headers_mut()),
                body,
                endpoint,
            })
        }
        .instrument(span)
        .await
    }
}

impl Default for HttpClient {
    /// A client with the default settings.
    fn default() -> Self {
        HttpClientBuilder::default().build_client()
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.inner.timeout)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// Settings for an [`HttpClient`].
#[derive(Debug)]
pub struct HttpClientBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: usize,
    user_agent: String,
    root_certificates: Vec<reqwest::Certificate>,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            root_certificates: Vec::new(),
        }
    }
}

impl HttpClientBuilder {
    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, body included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Cap on response bodies.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The `User-Agent` header value.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts the root certificates in a PEM document (a private CA, a test server), in addition to
    /// the web PKI roots. A document with no certificate is `invalid_certificate`.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self> {
        let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            ConnectorError::new(
                ErrorCode::InvalidCertificate,
                format!("the CA certificate is not valid PEM: {e}"),
            )
        })?;
        if certificates.is_empty() {
            return Err(ConnectorError::new(
                ErrorCode::InvalidCertificate,
                "the CA file holds no PEM certificate",
            ));
        }
        self.root_certificates.extend(certificates);
        Ok(self)
    }

    /// Builds the client. Fails only on a `User-Agent` that is not a valid header value.
    pub fn build(self) -> Result<HttpClient> {
        HeaderValue::from_str(&self.user_agent).map_err(|_| {
            ConnectorError::invalid_config(
                "the User-Agent contains characters not allowed in a header",
            )
        })?;
        Ok(self.build_client())
    }

    fn build_client(self) -> HttpClient {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&self.user_agent) {
            headers.insert(USER_AGENT, value);
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .default_headers(headers)
            .pool_idle_timeout(Duration::from_secs(90));
        for certificate in self.root_certificates {
            builder = builder.add_root_certificate(certificate);
        }
        // reqwest fails to build only when the TLS backend cannot initialise, which with rustls
        // and ring has no runtime cause; fall back to reqwest's defaults rather than panic.
        let client = builder.build().unwrap_or_else(|_| reqwest::Client::new());
        HttpClient {
            inner: Arc::new(Inner {
                client,
                max_body_bytes: self.max_body_bytes,
                timeout: self.timeout,
            }),
        }
    }
}

/// Where a request went, without its query string: safe to put in errors and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host and port, e.g. `api.github.com` or `127.0.0.1:8080`.
    pub host: String,
    /// The path, e.g. `/user/emails`.
    pub path: String,
}

impl Endpoint {
    /// The endpoint of a URL, dropping userinfo, query and fragment.
    pub fn of(url: &url::Url) -> Self {
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => String::new(),
        };
        Self {
            host,
            path: url.path().to_owned(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.host, self.path)
    }
}

/// A provider's answer, body read in full.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    endpoint: Endpoint,
}

impl HttpResponse {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Where the request went (no query string).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Decodes the body as JSON whatever its `Content-Type` (WeChat serves JSON as `text/plain`).
    ///
    /// A body that is not the expected JSON is `invalid_response` naming the endpoint, the status
    /// and a secret-free excerpt.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let what = if self.body.is_empty() {
                "an empty body".to_owned()
            } else if e.is_eof() {
                "truncated JSON".to_owned()
            } else if e.is_syntax() {
                format!(
                    "a body that is not JSON ({})",
                    self.content_type_or_unknown()
                )
            } else {
                format!("JSON of an unexpected shape ({e})")
            };
            ConnectorError::invalid_response(format!(
                "{} answered HTTP {} with {what}",
                self.endpoint, self.status
            ))
            .with_status(self.status)
            .with_body(&self.body)
        })
    }

    /// Judges the status of a provider API response (user info, e-mail lists):
    ///
    /// - 2xx → `Ok`;
    /// - 401 → `social_invalid_access_token`;
    /// - 429, or 403 with `x-ratelimit-remaining: 0` (GitHub) → `rate_limit_exceeded`, retryable,
    ///   with the reset time when the provider sent one;
    /// - 5xx → `general`, retryable;
    /// - other statuses → `general` with the status and an excerpt.
    pub fn check_api_status(&self, provider: &str) -> Result<()> {
        if self.is_success() {
            return Ok(());
        }
        let error = if self.status == 401 {
            ConnectorError::new(
                ErrorCode::SocialInvalidAccessToken,
                format!("{provider} rejected the access token at {}", self.endpoint),
            )
        } else if self.is_rate_limited() {
            let mut message = format!("{provider} is rate limiting requests to {}", self.endpoint);
            if let Some(wait) = self.header("retry-after") {
                message.push_str(&format!(": retry after {wait} s"));
            } else if let Some(reset) = self.header("x-ratelimit-reset") {
                message.push_str(&format!(": the limit resets at {reset} (Unix time)"));
            }
            ConnectorError::new(ErrorCode::RateLimitExceeded, message)
        } else if self.status >= 500 {
            ConnectorError::general(format!(
                "{provider} failed at {} with HTTP {}: try again later",
                self.endpoint, self.status
            ))
            .retryable(true)
        } else {
            ConnectorError::general(format!(
                "{provider} answered HTTP {} at {}",
                self.status, self.endpoint
            ))
        };
        Err(error.with_status(self.status).with_body(&self.body))
    }

    /// 429; or 403 with `x-ratelimit-remaining: 0` (GitHub's primary rate limit) or with
    /// `retry-after` (GitHub's secondary rate limits, which fire while quota remains:
    /// <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits>).
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429
            || (self.status == 403
                && (self.header("x-ratelimit-remaining").map(str::trim) == Some("0")
                    || self.header("retry-after").is_some()))
    }

    fn content_type_or_unknown(&self) -> String {
        self.header("content-type")
            .map(|ct| format!("Content-Type {ct}"))
            .unwrap_or_else(|| "no Content-Type".to_owned())
    }
}

fn too_large(endpoint: &Endpoint, status: u16, max: usize) -> ConnectorError {
    ConnectorError::invalid_response(format!(
        "{endpoint} answered HTTP {status} with a body larger than the {max}-byte cap"
    ))
    .with_status(status)
}

/// Turns a transport failure into a connector error without the request URL (it may carry secrets).
fn transport_error(
    error: reqwest::Error,
    endpoint: &Endpoint,
    timeout: Duration,
) -> ConnectorError {
    let chain = error_chain(&error);
    let error = error.without_url();
    if error.is_timeout() {
        return ConnectorError::general(format!(
            "{endpoint} did not answer within {} s",
            timeout.as_secs_f32()
        ))
        .retryable(true)
        .with_source(error);
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate")
        || lower.contains("unknownissuer")
        || lower.contains("invalid peer")
    {
        return ConnectorError::new(
            ErrorCode::InvalidCertificate,
            format!(
                "the TLS certificate of {} could not be verified: {chain}",
                endpoint.host
            ),
        )
        .with_source(error);
    }
    if error.is_connect() {
        return ConnectorError::general(format!("could not connect to {}: {chain}", endpoint.host))
            .retryable(true)
            .with_source(error);
    }
    if error.is_redirect() {
        return ConnectorError::invalid_response(format!(
            "{endpoint} answered with a redirect, which is never followed"
        ))
        .with_source(error);
    }
    ConnectorError::general(format!("the request to {endpoint} failed: {chain}"))
        .retryable(true)
        .with_source(error)
}

/// The causes of a reqwest error, innermost last, without the URL reqwest puts at the top.
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        "connection failed".to_owned()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn server_with(template: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(template)
            .mount(&server)
            .await;
        server
    }

    fn url(server: &MockServer) -> url::Url {
        url::Url::parse(&format!("{}/x?secret=s3cr3t", server.uri())).expect("url")
    }

    #[tokio::test]
    async fn sends_user_agent_and_decodes_json() {
        let server =
            server_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"a": 1})))
                .await;
        let http = HttpClient::default();
        let response = http.send(http.get(url(&server))).await.expect("send");
        let value: serde_json::Value = response.json().expect("json");
        assert_eq!(value["a"], 1);
        let requests = server.received_requests().await.expect("recorded");
        assert_eq!(
            requests[0].headers.get("user-agent").expect("ua"),
            DEFAULT_USER_AGENT
        );
    }

    #[tokio::test]
    async fn html_body_is_invalid_response_with_status_and_excerpt() {
        let server = server_with(
            ResponseTemplate::new(502)
                .set_body_raw("<html><body>Bad gateway</body></html>", "text/html"),
        )
        .await;
        let http = HttpClient::default();
        let response = http.send(http.get(url(&server))).await.expect("send");
        let err = response.json::<serde_json::Value>().expect_err("html");
        assert_eq!(err.code(), ErrorCode::InvalidResponse);
        assert_eq!(err.status(), Some(502));
        assert!(err.body().expect("excerpt").contains("Bad gateway"));
        assert!(!err.to_string().contains("s3cr3t"));
    }

    #[tokio::test]
    async fn truncated_json_is_reported_as_such() {
        let server = server_with(
            ResponseTemplate::new(200).set_body_raw("{\"access_token\":\"abc", "application/json"),
        )
        .await;
        let http = HttpClient::default();
        let response = http.send(http.get(url(&server))).await.expect("send");
        let err = response.json::<serde_json::Value>().expect_err("truncated");
        assert!(err.message().contains("truncated JSON"), "{err}");
    }

    #[tokio::test]
    async fn body_over_the_cap_is_refused() {
        let server =
            server_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096))).await;
        let http = HttpClient::builder()
            .max_body_bytes(1024)
            .build()
            .expect("client");
        let err = http
            .send(http.get(url(&server)))
            .await
            .expect_err("too big");
        assert_eq!(err.code(), ErrorCode::InvalidResponse);
        assert!(err.message().contains("1024-byte cap"), "{err}");
    }

    #[tokio::test]
    async fn stalled_server_times_out_retryably_without_the_url() {
        let server =
            server_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
        let http = HttpClient::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .expect("client");
        let started = std::time::Instant::now();
        let err = http
            .send(http.get(url(&server)))
            .await
            .expect_err("timeout");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(err.code(), ErrorCode::General);
        assert!(err.is_retryable());
        assert!(err.message().contains("did not answer"), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn refused_connection_is_retryable_general() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let http = HttpClient::default();
        let target =
            url::Url::parse(&format!("http://127.0.0.1:{port}/x?secret=s3cr3t")).expect("url");
        let err = http.send(http.get(target)).await.expect_err("refused");
        assert_eq!(err.code(), ErrorCode::General);
        assert!(err.is_retryable());
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let server = server_with(
            ResponseTemplate::new(302)
                .insert_header("location", "http://169.254.169.254/latest/meta-data"),
        )
        .await;
        let http = HttpClient::default();
        let response = http.send(http.get(url(&server))).await.expect("send");
        assert_eq!(response.status(), 302);
    }

    #[tokio::test]
    async fn api_status_mapping() {
        let cases = [
            (
                ResponseTemplate::new(401),
                ErrorCode::SocialInvalidAccessToken,
                false,
            ),
            (
                ResponseTemplate::new(403).insert_header("x-ratelimit-remaining", "0"),
                ErrorCode::RateLimitExceeded,
                true,
            ),
            (
                ResponseTemplate::new(429),
                ErrorCode::RateLimitExceeded,
                true,
            ),
            (
                ResponseTemplate::new(403).insert_header("retry-after", "60"),
                ErrorCode::RateLimitExceeded,
                true,
            ),
            (ResponseTemplate::new(503), ErrorCode::General, true),
            (ResponseTemplate::new(403), ErrorCode::General, false),
        ];
        let http = HttpClient::default();
        for (template, code, retryable) in cases {
            let server = server_with(template).await;
            let response = http.send(http.get(url(&server))).await.expect("send");
            let err = response.check_api_status("Provider").expect_err("status");
            assert_eq!(err.code(), code, "{err}");
            assert_eq!(err.is_retryable(), retryable, "{err}");
        }
    }

    #[test]
    fn bad_pem_is_invalid_certificate() {
        let err = HttpClient::builder()
            .add_root_certificates_pem(b"not a pem")
            .expect_err("bad pem");
        assert_eq!(err.code(), ErrorCode::InvalidCertificate);
    }

    #[test]
    fn endpoint_display_drops_query_and_userinfo() {
        let url = url::Url::parse("https://user:pw@api.weixin.qq.com/sns/userinfo?access_token=x")
            .expect("url");
        assert_eq!(
            Endpoint::of(&url).to_string(),
            "api.weixin.qq.com/sns/userinfo"
        );
    }
}
