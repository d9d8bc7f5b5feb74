//! Mock HTTP providers on 127.0.0.1: a scriptable [`MockProvider`] (wiremock), a
//! [`SilentServer`] that accepts connections and never answers, and the [`Limits`] (short timeout,
//! small body cap) the suites build their [`ConnectorContext`] with.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use connector_core::{ConnectorContext, HttpClient};
use serde_json::Value;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The HTTP limits of the context a suite creates connectors with.
///
/// The timeout is short so that "a provider that never answers" costs the suite half a second,
/// and the body cap is small so that "a body over the cap" is cheap to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total time allowed for one provider request ([`connector_core::HttpClientBuilder::timeout`]).
    pub timeout: Duration,
    /// Response body cap in bytes ([`connector_core::HttpClientBuilder::max_body_bytes`]).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    /// 500 ms and 64 KiB.
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(500),
            max_body_bytes: 64 * 1024,
        }
    }
}

impl Limits {
    /// The shared HTTP client with these limits (connect timeout = total timeout).
    pub fn http_client(&self) -> HttpClient {
        HttpClient::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .max_body_bytes(self.max_body_bytes)
            .build()
            // `build` fails only on an invalid User-Agent, and we keep the default one.
            .unwrap_or_default()
    }

    /// A context with these limits whose provider endpoints are rebased onto `base_url`.
    pub fn context(&self, base_url: Url) -> ConnectorContext {
        ConnectorContext::new(self.http_client()).with_base_url(base_url)
    }

    /// The longest a single connector call may take before a suite calls it hung: twice the
    /// timeout (a connector may make two provider calls) plus five seconds of slack for a loaded
    /// CI machine. An upper bound against hangs, not a performance assertion.
    pub fn call_bound(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(5)
    }
}

/// An HTTP method and path on the mock provider, e.g. `Route::post("/oauth/token")`.
///
/// The path is the provider endpoint's path: [`ConnectorContext::with_base_url`] keeps the path
/// and replaces the origin, so `https://gitlab.com/oauth/token` arrives as `/oauth/token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, upper case.
    pub method: String,
    /// The exact request path.
    pub path: String,
}

impl Route {
    /// A route for any method.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            method: method.into().to_ascii_uppercase(),
            path: path.into(),
        }
    }

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
    }

    /// `POST path`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new("POST", path)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A provider endpoint the suite mocks, with the JSON body of a successful answer.
///
/// The suite derives its broken answers from the success body: truncated halfway, or padded past
/// the body cap (so a connector that ignores the cap would *succeed*, and the check can tell).
///
/// ```
/// use connector_testkit::mock::MockEndpoint;
/// let token = MockEndpoint::post("/oauth/token", serde_json::json!({
///     "access_token": "conformance-access-token", "token_type": "bearer",
/// }));
/// // WeChat's token call is a GET whose JSON comes as text/plain.
/// let wechat = MockEndpoint::get("/sns/oauth2/access_token", serde_json::json!({"access_token": "t", "openid": "o"}))
///     .with_content_type("text/plain");
/// assert_eq!(wechat.route.method, "GET");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MockEndpoint {
    /// Where the connector calls it.
    pub route: Route,
    /// The body of a successful answer (HTTP 200).
    pub success: Value,
    /// The `Content-Type` of successful answers; `application/json` unless set.
    pub content_type: String,
}

impl MockEndpoint {
    /// An endpoint answering `success` as `application/json`.
    pub fn new(route: Route, success: Value) -> Self {
        Self {
            route,
            success,
            content_type: "application/json".to_owned(),
        }
    }

    /// A `GET` endpoint.
    pub fn get(path: impl Into<String>, success: Value) -> Self {
        Self::new(Route::get(path), success)
    }

    /// A `POST` endpoint.
    pub fn post(path: impl Into<String>, success: Value) -> Self {
        Self::new(Route::post(path), success)
    }

    /// Serves the success body with another `Content-Type` (WeChat: `text/plain`).
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The successful answer.
    pub fn success_reply(&self) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(self.success.to_string(), &self.content_type)
    }

    /// The success body cut in the middle (HTTP 200, same `Content-Type`).
    pub fn truncated_reply(&self) -> ResponseTemplate {
        let text = self.success.to_string();
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        ResponseTemplate::new(200).set_body_raw(text[..cut].to_owned(), &self.content_type)
    }

    /// The success body padded to more than `cap` bytes: still a valid answer, only too large.
    pub fn oversize_reply(&self, cap: usize) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(
            crate::reply::padded(&self.success, cap + 1024),
            &self.content_type,
        )
    }
}

/// A wiremock server on 127.0.0.1 standing in for a provider, plus the [`Limits`] of the contexts
/// built for it.
///
/// ```
/// use connector_testkit::mock::{MockProvider, Route};
/// use connector_testkit::reply;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mock = MockProvider::start().await;
/// mock.mount(Route::post("/oauth/token"), reply::json(400, serde_json::json!({"error": "invalid_grant"}))).await;
/// let ctx = mock.context(); // short timeout, small body cap, endpoints rebased onto the mock
/// assert_eq!(ctx.endpoint("https://gitlab.com/oauth/token").unwrap().as_str(), format!("{}/oauth/token", mock.uri()));
/// # }
/// ```
#[derive(Debug)]
pub struct MockProvider {
    server: MockServer,
    limits: Limits,
}

impl MockProvider {
    /// A fresh (not pooled) mock server with the default [`Limits`].
    pub async fn start() -> Self {
        Self::start_with(Limits::default()).await
    }

    /// A fresh mock server whose contexts use `limits`.
    pub async fn start_with(limits: Limits) -> Self {
        Self {
            server: MockServer::builder().start().await,
            limits,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The mock's URI as the base URL a [`ConnectorContext`] rebases endpoints onto.
    pub fn base_url(&self) -> Url {
        Url::parse(&self.server.uri()).expect("wiremock's URI is always http://127.0.0.1:PORT")
    }

    /// The underlying wiremock server, for mounting any [`Mock`].
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The limits of [`MockProvider::context`].
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A context pointing every provider endpoint at this mock, with the short timeout and small
    /// body cap of [`MockProvider::limits`].
    pub fn context(&self) -> ConnectorContext {
        self.limits.context(self.base_url())
    }

    /// Answers every request to `route` with `reply`. Among mocks mounted on the same route, the
    /// first mounted wins.
    pub async fn mount(&self, route: Route, reply: ResponseTemplate) {
        Mock::given(method(route.method.as_str()))
            .and(path(route.path.as_str()))
            .respond_with(reply)
            .mount(&self.server)
            .await;
    }

    /// Answers only the first request to `route` with `reply` (single-use, like an authorization
    /// code); later requests fall through to other mocks, or 404.
    pub async fn mount_once(&self, route: Route, reply: ResponseTemplate) {
        Mock::given(method(route.method.as_str()))
            .and(path(route.path.as_str()))
            .respond_with(reply)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Mounts the successful answer of `endpoint`.
    pub async fn mount_success(&self, endpoint: &MockEndpoint) {
        self.mount(endpoint.route.clone(), endpoint.success_reply())
            .await;
    }

    /// Removes every mock and forgets the recorded requests.
    pub async fn reset(&self) {
        self.server.reset().await;
    }

    /// The requests received since the start or the last [`MockProvider::reset`].
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

/// A TCP server on 127.0.0.1 that accepts connections, reads whatever arrives and never answers:
/// the provider whose load balancer took the connection and whose backend hung.
///
/// It lives on the runtime it was started on and stops when dropped.
#[derive(Debug)]
pub struct SilentServer {
    address: std::net::SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    /// Starts it on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                // Keep the connection open and unanswered; the client's timeout must end it.
                held.push(AbortOnDrop(tokio::spawn(drain(stream))));
            }
        });
        Ok(Self {
            address,
            accepted,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The base URL to rebase a context onto.
    pub fn base_url(&self) -> Url {
        Url::parse(&self.uri()).expect("a socket address makes a valid http URL")
    }

    /// How many connections it accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn drain(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            break;
        }
    }
    // The client closed: keep nothing.
}

/// Ends a held connection when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
