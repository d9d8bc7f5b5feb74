//! A one-purpose web server on 127.0.0.1 that receives a provider's callback
//! (`/callback/<connector>?code=..&state=..`) and shows the browser how the sign-in ended.
//!
//! `sign-in` and `demo` use it as the redirect URI.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::{mpsc, oneshot};

use crate::html::{escape, page};

/// How long the browser's request waits for the CLI to finish the flow before showing a page.
const REPLY_WAIT: Duration = Duration::from_secs(60);

/// One callback received: which connector it is for, its query string, and the way to answer the
/// browser.
#[derive(Debug)]
pub struct Arrival {
    /// The `<connector>` path segment.
    pub connector: String,
    /// The raw query string (`code=..&state=..`).
    pub query: String,
    reply: oneshot::Sender<(bool, String)>,
}

impl Arrival {
    /// Answers the browser: a success page with `message`, or a failure page.
    pub fn reply(self, success: bool, message: &str) {
        let _ = self.reply.send((success, message.to_owned()));
    }
}

/// The callback server. Dropping it stops the server.
#[derive(Debug)]
pub struct CallbackServer {
    addr: SocketAddr,
    arrivals: mpsc::Receiver<Arrival>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl CallbackServer {
    /// Listens on `127.0.0.1:port` (0: any free port).
    pub async fn bind(port: u16) -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let (sender, arrivals) = mpsc::channel::<Arrival>(8);
        let app = Router::new()
            .route("/callback/{connector}", get(callback))
            .with_state(sender);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "callback server stopped");
            }
        });
        Ok(Self {
            addr,
            arrivals,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The redirect URI for a connector: `http://127.0.0.1:<port>/callback/<connector>`.
    pub fn redirect_uri(&self, connector: &str) -> String {
        format!("http://127.0.0.1:{}/callback/{connector}", self.addr.port())
    }

    /// Waits for the next callback.
    pub async fn next(&mut self) -> Option<Arrival> {
        self.arrivals.recv().await
    }

    /// Stops the server after the pages being sent are delivered (a few seconds at most), so the
    /// browser sees how the sign-in ended even when the process exits right after.
    pub async fn close(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn callback(
    State(sender): State<mpsc::Sender<Arrival>>,
    Path(connector): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (reply, answer) = oneshot::channel();
    let arrival = Arrival {
        connector,
        query: query.unwrap_or_default(),
        reply,
    };
    if sender.send(arrival).await.is_err() {
        return finished(
            false,
            "Nobody is waiting for this sign-in any more. Start it again.",
        );
    }
    match tokio::time::timeout(REPLY_WAIT, answer).await {
        Ok(Ok((success, message))) => finished(success, &message),
        _ => finished(
            true,
            "The callback arrived; the terminal shows the result. You can close this tab.",
        ),
    }
}

fn finished(success: bool, message: &str) -> Response {
    let (status, title) = if success {
        (StatusCode::OK, "Signed in")
    } else {
        (StatusCode::BAD_REQUEST, "Sign-in failed")
    };
    let class = if success { "" } else { " class=\"error\"" };
    let body = format!(
        "<h1>{title}</h1><p{class}>{}</p><p class=\"muted\">You can close this tab and return to the terminal.</p>",
        escape(message)
    );
    (status, Html(page(&format!("connectors — {title}"), &body))).into_response()
}
