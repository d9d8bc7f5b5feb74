//! Provider simulators: small HTTP servers on 127.0.0.1 that imitate GitHub, Hugging Face and
//! WeChat closely enough for the real connectors to sign in through them.
//!
//! Each simulator serves, on one origin, every endpoint its provider spreads over several hosts
//! (`github.com` and `api.github.com`, say): a connector reaches it through
//! [`ConnectorContext::with_base_url`](connector_core::ConnectorContext::with_base_url), which rebases
//! every provider endpoint onto that origin. The authorization endpoint renders a consent page with
//! an **Approve** button (`id="approve"`) that redirects to the redirect URI with a code; the token
//! endpoint checks the client credentials, the redirect URI and the PKCE verifier and accepts each
//! code once; the user endpoints answer with a realistic profile, in the provider's own wire format
//! and with its quirks (GitHub's HTTP 200 errors, WeChat's `errcode` bodies sent as `text/plain`).
//!
//! ```
//! use connector_cli::simulators::{SimulatedProvider, Simulator};
//! use connector_core::{AuthorizationRequest, ConnectorContext};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let simulator = Simulator::start(SimulatedProvider::Github).await?;
//! let ctx = ConnectorContext::default().with_base_url(simulator.base_url().clone());
//! let github = connector_cli::registry::registry()?
//!     .create("github-universal", simulator.config(), &ctx)?
//!     .into_social()?;
//! let start = github
//!     .authorization_url(AuthorizationRequest::new("http://127.0.0.1:9/callback/github"))
//!     .await?;
//! assert!(start.url.as_str().starts_with(simulator.base_url().as_str()));
//! # Ok(())
//! # }
//! ```

pub mod github;
pub mod huggingface;
pub mod wechat;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Form, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rand::distributions::{Alphanumeric, DistString};
use serde::Deserialize;
use tokio::sync::oneshot;
use url::Url;

use crate::html::{escape, page};

/// How long an authorization code stays valid (GitHub's 10 minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Where the consent page's form posts the user's decision.
pub const CONSENT_PATH: &str = "/__simulator/consent";

/// The providers we simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimulatedProvider {
    /// GitHub (OAuth App).
    Github,
    /// Hugging Face (OAuth 2.0 / OpenID Connect).
    HuggingFace,
    /// WeChat Open Platform website login.
    Wechat,
}

impl SimulatedProvider {
    /// All three, in the order the demo and the sample page show them.
    pub const ALL: [SimulatedProvider; 3] = [
        SimulatedProvider::Github,
        SimulatedProvider::HuggingFace,
        SimulatedProvider::Wechat,
    ];

    /// The provider's name, e.g. `GitHub`.
    pub fn name(self) -> &'static str {
        match self {
            SimulatedProvider::Github => "GitHub",
            SimulatedProvider::HuggingFace => "Hugging Face",
            SimulatedProvider::Wechat => "WeChat",
        }
    }

    /// The connector factory id that signs in with this provider.
    pub fn factory_id(self) -> &'static str {
        match self {
            SimulatedProvider::Github => connector_github::FACTORY_ID,
            SimulatedProvider::HuggingFace => connector_huggingface::FACTORY_ID,
            SimulatedProvider::Wechat => connector_wechat_web::FACTORY_ID,
        }
    }

    /// A short name for URLs and config file names: `github`, `huggingface`, `wechat-web`.
    pub fn slug(self) -> &'static str {
        match self {
            SimulatedProvider::Github => "github",
            SimulatedProvider::HuggingFace => "huggingface",
            SimulatedProvider::Wechat => "wechat-web",
        }
    }

    /// The client id (WeChat: AppID) the simulator has registered.
    pub fn client_id(self) -> &'static str {
        match self {
            SimulatedProvider::Github => github::CLIENT_ID,
            SimulatedProvider::HuggingFace => huggingface::CLIENT_ID,
            SimulatedProvider::Wechat => wechat::APP_ID,
        }
    }

    /// The simulated user's display name, as the connector's profile will show it.
    pub fn user_display_name(self) -> &'static str {
        match self {
            SimulatedProvider::Github => github::USER_NAME,
            SimulatedProvider::HuggingFace => huggingface::USER_NAME,
            SimulatedProvider::Wechat => wechat::USER_NICKNAME,
        }
    }

    fn router(self, store: Arc<Store>) -> Router {
        let provider = match self {
            SimulatedProvider::Github => github::router(),
            SimulatedProvider::HuggingFace => huggingface::router(),
            SimulatedProvider::Wechat => wechat::router(),
        };
        provider
            .route(CONSENT_PATH, post(consent))
            .route("/__simulator", get(index))
            .with_state(store)
    }
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Simulator {
    provider: SimulatedProvider,
    base_url: Url,
    store: Arc<Store>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Simulator {
    /// Starts a simulator on `127.0.0.1` with a free port, on the current tokio runtime.
    pub async fn start(provider: SimulatedProvider) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let store = Arc::new(Store::new(provider));
        let app = provider.router(store.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "simulator stopped");
            }
        });
        let base_url = Url::parse(&format!("http://{addr}/"))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        tracing::debug!(provider = provider.name(), %base_url, "simulator started");
        Ok(Self {
            provider,
            base_url,
            store,
            shutdown: Some(shutdown),
        })
    }

    /// Which provider this simulates.
    pub fn provider(&self) -> SimulatedProvider {
        self.provider
    }

    /// The origin to rebase the connector onto (`ConnectorContext::with_base_url`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// A connector config with the client credentials this simulator accepts (the secret is random
    /// per simulator).
    pub fn config(&self) -> serde_json::Value {
        let id = &self.store.client_id;
        let secret = &self.store.client_secret;
        match self.provider {
            SimulatedProvider::Github => serde_json::json!({
                "clientId": id,
                "clientSecret": secret,
            }),
            SimulatedProvider::HuggingFace => serde_json::json!({
                "clientId": id,
                "clientSecret": secret,
                "scope": "openid profile email",
            }),
            SimulatedProvider::Wechat => serde_json::json!({
                "clientId": id,
                "clientSecret": secret,
            }),
        }
    }

    /// How many authorization codes were exchanged for tokens.
    pub fn exchanged_codes(&self) -> usize {
        self.store.lock().exchanged
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// What a simulator remembers: its registered client, pending consent requests, issued codes and
/// tokens.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) provider: SimulatedProvider,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Grant>,
    used_codes: HashSet<String>,
    exchanged: usize,
}

/// An authorization request waiting for the user's decision on the consent page.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The redirect URI exactly as the client sent it (compared again at the token endpoint).
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) scope: String,
    pub(crate) code_challenge: Option<String>,
}

/// What a code, then a token, stands for.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) code_challenge: Option<String>,
    issued_at: Instant,
}

/// Why a code was refused at the token endpoint; each provider words it its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CodeRefusal {
    /// Never issued, or expired.
    Unknown,
    /// Issued, and already exchanged once.
    Used,
    /// The redirect URI differs from the authorization request's.
    RedirectMismatch,
    /// The PKCE verifier is missing or does not match the challenge.
    Pkce,
}

impl Store {
    fn new(provider: SimulatedProvider) -> Self {
        Self {
            provider,
            client_id: provider.client_id().to_owned(),
            client_secret: format!("sim-{}", random_token(32)),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks an authorization request and keeps it until the user decides. Returns the request
    /// id for the consent form, or a message for the provider's error page.
    pub(crate) fn begin(
        &self,
        client_id: Option<&str>,
        redirect_uri: Option<&str>,
        pending: impl FnOnce(String) -> Pending,
        code_challenge_method: Option<&str>,
    ) -> Result<(String, Pending), String> {
        match client_id {
            Some(id) if id == self.client_id => {}
            Some(id) => {
                return Err(format!(
                "The application with client ID `{id}` is not registered with this simulated {}.",
                self.provider.name()
            ))
            }
            None => return Err("The request has no client ID.".to_owned()),
        }
        let Some(redirect_uri) = redirect_uri.filter(|r| !r.is_empty()) else {
            return Err("The request has no redirect_uri.".to_owned());
        };
        match Url::parse(redirect_uri) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => {
                return Err(format!(
                    "The redirect_uri `{redirect_uri}` is not an absolute http(s) URL."
                ))
            }
        }
        if let Some(method) = code_challenge_method {
            if method != "S256" {
                return Err(format!(
                    "Unsupported code_challenge_method `{method}`: only S256 is accepted."
                ));
            }
        }
        let pending = pending(redirect_uri.to_owned());
        let id = random_token(24);
        self.lock().pending.insert(id.clone(), pending.clone());
        Ok((id, pending))
    }

    /// Takes a single-use code, checking the redirect URI and the PKCE verifier.
    pub(crate) fn redeem(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Grant, CodeRefusal> {
        let mut inner = self.lock();
        // Removed whatever happens next: a code is good for one attempt, as at the real providers.
        let Some(grant) = inner.codes.remove(code) else {
            return Err(if inner.used_codes.contains(code) {
                CodeRefusal::Used
            } else {
                CodeRefusal::Unknown
            });
        };
        inner.used_codes.insert(code.to_owned());
        if grant.issued_at.elapsed() > CODE_LIFETIME {
            return Err(CodeRefusal::Unknown);
        }
        if let Some(uri) = redirect_uri {
            if uri != grant.redirect_uri {
                return Err(CodeRefusal::RedirectMismatch);
            }
        }
        if let Some(challenge) = &grant.code_challenge {
            let ok = verifier
                .and_then(pkce_s256)
                .is_some_and(|computed| computed == *challenge);
            if !ok {
                return Err(CodeRefusal::Pkce);
            }
        }
        inner.exchanged += 1;
        Ok(grant)
    }

    /// Issues an access token for a redeemed grant.
    pub(crate) fn issue_token(&self, prefix: &str, grant: Grant) -> String {
        let token = format!("{prefix}{}", random_token(36));
        self.lock().tokens.insert(token.clone(), grant);
        token
    }

    /// The grant behind an access token.
    pub(crate) fn token(&self, token: &str) -> Option<Grant> {
        self.lock().tokens.get(token).cloned()
    }

    /// Checks client credentials in constant time with respect to the secret's content.
    pub(crate) fn client_matches(&self, id: &str, secret: &str) -> bool {
        let same_secret = secret.len() == self.client_secret.len()
            && secret
                .bytes()
                .zip(self.client_secret.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        id == self.client_id && same_secret
    }
}

/// `BASE64URL(SHA-256(verifier))`, the S256 challenge of a verifier; `None` for a verifier of a
/// length RFC 7636 forbids (43 to 128 characters), which the `oauth2` crate would panic on.
fn pkce_s256(verifier: &str) -> Option<String> {
    if !(43..=128).contains(&verifier.len()) {
        return None;
    }
    let verifier = oauth2::PkceCodeVerifier::new(verifier.to_owned());
    Some(
        oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier)
            .as_str()
            .to_owned(),
    )
}

/// A random alphanumeric string.
pub(crate) fn random_token(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

/// The consent page a provider shows before sending the user back.
pub(crate) fn consent_page(store: &Store, request_id: &str, pending: &Pending) -> Response {
    let provider = store.provider;
    let (account, subtitle) = match provider {
        SimulatedProvider::Github => (
            format!("{} ({})", github::USER_LOGIN, github::USER_NAME),
            "wants to access your GitHub account",
        ),
        SimulatedProvider::HuggingFace => (
            format!(
                "{} ({})",
                huggingface::USER_USERNAME,
                huggingface::USER_NAME
            ),
            "wants to sign you in with your Hugging Face account",
        ),
        SimulatedProvider::Wechat => (
            wechat::USER_NICKNAME.to_owned(),
            "asks to sign you in with WeChat (the QR code scan is simulated: press Approve)",
        ),
    };
    let scope = if pending.scope.is_empty() {
        "(none)".to_owned()
    } else {
        pending.scope.clone()
    };
    let body = format!(
        r#"<p class="badge">Simulated {name} on 127.0.0.1 — not the real provider</p>
<h1>Authorize <code>{client}</code></h1>
<p>The application <code>{client}</code> {subtitle}.</p>
<table>
<tr><th>Signed in as</th><td id="account">{account}</td></tr>
<tr><th>Scope</th><td>{scope}</td></tr>
<tr><th>Redirects to</th><td><code>{redirect}</code></td></tr>
</table>
<form method="post" action="{CONSENT_PATH}">
<input type="hidden" name="request" value="{request_id}">
<p><button type="submit" class="primary" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button></p>
</form>
<p class="muted">This page is served by <code>connectors</code>' {name} simulator.</p>"#,
        name = provider.name(),
        client = escape(&store.client_id),
        subtitle = escape(subtitle),
        account = escape(&account),
        scope = escape(&scope),
        redirect = escape(&pending.redirect_uri),
        request_id = escape(request_id),
    );
    Html(page(
        &format!("Simulated {} — Authorize", provider.name()),
        &body,
    ))
    .into_response()
}

/// The provider's error page for an authorization request it refuses.
pub(crate) fn error_page(store: &Store, message: &str) -> Response {
    let body = format!(
        "<p class=\"badge\">Simulated {name} on 127.0.0.1</p><h1>Something went wrong</h1>\
         <p class=\"error\" id=\"error\">{message}</p>",
        name = store.provider.name(),
        message = escape(message),
    );
    (
        StatusCode::BAD_REQUEST,
        Html(page(
            &format!("Simulated {} — Error", store.provider.name()),
            &body,
        )),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ConsentForm {
    request: String,
    decision: String,
}

/// The consent form's target: approve → redirect with a fresh code, deny → the provider's refusal.
async fn consent(State(store): State<Arc<Store>>, Form(form): Form<ConsentForm>) -> Response {
    let pending = store.lock().pending.remove(&form.request);
    let Some(pending) = pending else {
        return error_page(
            &store,
            "This authorization request expired or was already answered. Start the sign-in again.",
        );
    };
    let Ok(mut target) = Url::parse(&pending.redirect_uri) else {
        return error_page(&store, "The redirect URI is not a URL.");
    };
    if form.decision == "approve" {
        let code = random_token(20);
        store.lock().codes.insert(
            code.clone(),
            Grant {
                redirect_uri: pending.redirect_uri.clone(),
                scope: pending.scope.clone(),
                code_challenge: pending.code_challenge.clone(),
                issued_at: Instant::now(),
            },
        );
        let mut query = target.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = &pending.state {
            query.append_pair("state", state);
        }
    } else {
        let mut query = target.query_pairs_mut();
        match store.provider {
            // WeChat sends a user who refuses back with the state and no code.
            SimulatedProvider::Wechat => {}
            SimulatedProvider::Github | SimulatedProvider::HuggingFace => {
                query.append_pair("error", "access_denied");
                query.append_pair(
                    "error_description",
                    "The user has denied your application access.",
                );
            }
        }
        if let Some(state) = &pending.state {
            query.append_pair("state", state);
        }
    }
    redirect(target.as_str())
}

/// A `302 Found` to `location`, as providers answer.
pub(crate) fn redirect(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

/// A JSON body with an explicit content type (WeChat sends JSON as `text/plain`).
pub(crate) fn json_with_type(
    status: StatusCode,
    content_type: &str,
    body: &serde_json::Value,
) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, content_type.to_owned())],
        body.to_string(),
    )
        .into_response()
}

/// A page listing what the simulator serves, for people who open its origin.
async fn index(State(store): State<Arc<Store>>) -> Html<String> {
    let endpoints = match store.provider {
        SimulatedProvider::Github => github::ENDPOINTS,
        SimulatedProvider::HuggingFace => huggingface::ENDPOINTS,
        SimulatedProvider::Wechat => wechat::ENDPOINTS,
    };
    let rows: String = endpoints
        .iter()
        .map(|(method, path)| format!("<tr><td>{method}</td><td><code>{path}</code></td></tr>"))
        .collect();
    Html(page(
        &format!("Simulated {}", store.provider.name()),
        &format!(
            "<h1>Simulated {}</h1><p>Client ID <code>{}</code>.</p><table>{rows}</table>",
            store.provider.name(),
            escape(&store.client_id)
        ),
    ))
}

/// The bearer token of a request, from `Authorization: Bearer x` (or GitHub's `token x`).
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim().to_owned())
}

/// Whether a space-separated (or comma-separated) scope list holds `wanted`.
pub(crate) fn has_scope(scope: &str, wanted: &str) -> bool {
    scope
        .split(|c: char| c == ',' || c.is_whitespace())
        .any(|s| s == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_base64url_of_sha256() {
        // Computed independently: base64.urlsafe_b64encode(hashlib.sha256(v).digest()) in Python.
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFG2kDUM").as_deref(),
            Some("xYujmnN8rOjBne5vjpiWlaKpFEp0p7JWoiKNfK0cMv0")
        );
        // The challenge a connector sends matches its verifier.
        let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        assert_eq!(
            pkce_s256(verifier.secret()).as_deref(),
            Some(challenge.as_str())
        );
    }

    #[test]
    fn pkce_verifiers_of_a_forbidden_length_are_refused_not_panicked_on() {
        assert_eq!(pkce_s256("short"), None);
        assert_eq!(pkce_s256(&"a".repeat(129)), None);
    }

    #[test]
    fn codes_are_single_use_and_checked() {
        let store = Store::new(SimulatedProvider::Github);
        let grant = Grant {
            redirect_uri: "http://127.0.0.1:1/cb".into(),
            scope: "read:user".into(),
            code_challenge: pkce_s256("verifier-verifier-verifier-verifier-verifier"),
            issued_at: Instant::now(),
        };
        store.lock().codes.insert("c1".into(), grant.clone());
        store.lock().codes.insert("c2".into(), grant.clone());
        store.lock().codes.insert("c3".into(), grant);
        assert_eq!(
            store
                .redeem("c1", Some("http://127.0.0.1:1/other"), None)
                .expect_err("redirect"),
            CodeRefusal::RedirectMismatch
        );
        assert_eq!(
            store
                .redeem("c2", Some("http://127.0.0.1:1/cb"), Some("wrong"))
                .expect_err("pkce"),
            CodeRefusal::Pkce
        );
        assert!(store
            .redeem(
                "c3",
                Some("http://127.0.0.1:1/cb"),
                Some("verifier-verifier-verifier-verifier-verifier")
            )
            .is_ok());
        assert_eq!(
            store.redeem("c3", None, None).expect_err("used"),
            CodeRefusal::Used
        );
        assert_eq!(
            store.redeem("never", None, None).expect_err("unknown"),
            CodeRefusal::Unknown
        );
    }

    #[test]
    fn client_credentials_are_checked() {
        let store = Store::new(SimulatedProvider::HuggingFace);
        let secret = store.client_secret.clone();
        assert!(store.client_matches(huggingface::CLIENT_ID, &secret));
        assert!(!store.client_matches(huggingface::CLIENT_ID, "sim-wrong"));
        assert!(!store.client_matches("other", &secret));
    }
}
