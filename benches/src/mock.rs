//! A fast mock of GitHub, Hugging Face and WeChat on 127.0.0.1, shared by both sides of a benchmark.
//!
//! wiremock matches every request against every mounted mock and records it; over millions of
//! requests that would dominate what we measure. This server is one axum fallback handler on its
//! own thread and runtime: it reads the body, matches the path, and answers with a constant body
//! ([`crate::fixtures`]). It can record requests ([`MockProvider::record`]) to check that our
//! connectors and the bare baseline send the same requests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use connector_core::{ConnectorContext, HttpClient};
use tokio::sync::oneshot;

use crate::fixtures;

/// What the mock saw of one request, to compare our connectors' requests with the baseline's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, e.g. `/user/emails`.
    pub path: String,
    /// The query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Every header, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The body (form bodies are compared byte for byte).
    pub body: String,
}

#[derive(Default)]
struct Shared {
    recording: AtomicBool,
    recorded: Mutex<Vec<RecordedRequest>>,
}

/// The mock provider server; dropping it stops the server and joins its thread.
pub struct MockProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockProvider {
    /// Starts the server on 127.0.0.1 (a free port) on its own thread with a single-threaded
    /// runtime: the cheapest server we can write, so the client side dominates the measurement.
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the listener's address");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name("mock-provider".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the mock's runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await
                        .expect("the mock server");
                });
            })
            .expect("the mock's thread");
        Self {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}", self.addr)).expect("the mock's URL")
    }

    /// A connector context whose endpoints are rebased onto the mock, sharing `http`.
    pub fn context(&self, http: HttpClient) -> ConnectorContext {
        ConnectorContext::new(http).with_base_url(self.base_url())
    }

    /// Starts recording requests (clearing what was recorded before).
    pub fn record(&self) {
        self.shared
            .recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.shared.recording.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns the requests seen since [`MockProvider::record`].
    pub fn take_recorded(&self) -> Vec<RecordedRequest> {
        self.shared.recording.store(false, Ordering::SeqCst);
        std::mem::take(
            &mut *self
                .shared
                .recorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The whole mock: read the request, answer from the fixture table.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if shared.recording.load(Ordering::Relaxed) {
        record(&shared, &parts.method, &parts.uri, &parts.headers, &body);
    }
    let answer = match (&parts.method, parts.uri.path()) {
        (&Method::POST, "/login/oauth/access_token") => {
            Some(("application/json", fixtures::GITHUB_TOKEN))
        }
        (&Method::GET, "/user") => Some(("application/json; charset=utf-8", fixtures::GITHUB_USER)),
        (&Method::GET, "/user/emails") => {
            Some(("application/json; charset=utf-8", fixtures::GITHUB_EMAILS))
        }
        (&Method::POST, "/oauth/token") => Some(("application/json", fixtures::HUGGINGFACE_TOKEN)),
        (&Method::GET, "/oauth/userinfo") => {
            Some(("application/json", fixtures::HUGGINGFACE_USERINFO))
        }
        // WeChat serves its JSON as text/plain.
        (&Method::GET, "/sns/oauth2/access_token") => Some(("text/plain", fixtures::WECHAT_TOKEN)),
        (&Method::GET, "/sns/userinfo") => Some(("text/plain", fixtures::WECHAT_USERINFO)),
        _ => None,
    };
    let (status, content_type, body) = match answer {
        Some((content_type, body)) => (StatusCode::OK, content_type, body),
        None => (StatusCode::NOT_FOUND, "text/plain", "no such mock endpoint"),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(Bytes::from_static(body.as_bytes())))
        .unwrap_or_default()
}

fn record(
    shared: &Shared,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) {
    let query = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let headers = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    shared
        .recorded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
}
