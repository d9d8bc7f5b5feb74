//! `connectors serve`: the sample identity page.
//!
//! One page with "Continue with GitHub / Hugging Face / WeChat" buttons and an "E-mail me a code"
//! form. Connectors with a config file in `--config-dir` use the real provider; the others use the
//! embedded simulators, whose consent pages the browser visits like a real provider's. Codes sent
//! to the embedded SMTP server show on `/inbox`. The flow state of a sign-in lives in a sealed
//! cookie ([`FlowState::seal`](connector_core::FlowState::seal) with a key generated at start), so
//! the server keeps nothing between the redirect and the callback; signed-in users (kept in memory)
//! see their normalized profile.

mod cookies;
mod pages;
mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use connector_core::{
    ConnectorError, ConnectorRegistry, EmailConnector, FlowKey, Result, SocialConnector,
};
use connector_testkit::smtp::SmtpServer;
use tokio::sync::oneshot;
use url::Url;

use crate::redact::Redactor;
use crate::sandbox;
use crate::settings::{load_config, Settings};
use crate::simulators::{SimulatedProvider, Simulator};

/// Where a connector signs in: a simulator started by `serve`, or the real provider.
#[derive(Debug)]
pub enum Source {
    /// An embedded simulator at this URL.
    Simulator(Url),
    /// The real provider, configured by this file.
    Config(PathBuf),
}

/// One "Continue with ..." button.
#[derive(Debug)]
pub(crate) struct SocialEntry {
    pub(crate) provider: SimulatedProvider,
    pub(crate) connector: Arc<dyn SocialConnector>,
    pub(crate) source: Source,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// How: `GitHub`, `E-mail code`...
    pub(crate) via: String,
    /// The normalized profile as printed (tokens redacted).
    pub(crate) profile: serde_json::Value,
}

/// A code sent by e-mail and not used yet.
#[derive(Debug)]
pub(crate) struct PendingCode {
    pub(crate) code: String,
    pub(crate) sent_at: Instant,
    pub(crate) attempts: u32,
}

/// Everything the pages need.
#[derive(Debug)]
pub(crate) struct App {
    /// `http://127.0.0.1:<port>`, for redirect URIs.
    pub(crate) origin: String,
    pub(crate) key: FlowKey,
    pub(crate) social: Vec<SocialEntry>,
    pub(crate) email: Arc<dyn EmailConnector>,
    pub(crate) email_source: Source,
    /// The embedded SMTP server, when no SMTP config was given: the inbox page reads it.
    pub(crate) smtp: Option<SmtpServer>,
    pub(crate) redactor: Redactor,
    pub(crate) sessions: Mutex<HashMap<String, SignedIn>>,
    pub(crate) codes: Mutex<HashMap<String, PendingCode>>,
    /// Kept so the simulators run as long as the app.
    _simulators: Vec<Simulator>,
}

impl App {
    pub(crate) fn sessions(&self) -> MutexGuard<'_, HashMap<String, SignedIn>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn codes(&self) -> MutexGuard<'_, HashMap<String, PendingCode>> {
        self.codes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn entry(&self, slug: &str) -> Option<&SocialEntry> {
        self.social.iter().find(|e| e.provider.slug() == slug)
    }

    pub(crate) fn redirect_uri(&self, slug: &str) -> String {
        format!("{}/callback/{slug}", self.origin)
    }
}

/// A running sample page. Dropping it stops the server, the simulators and the SMTP server.
#[derive(Debug)]
pub struct SampleServer {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl SampleServer {
    /// Starts the page on `127.0.0.1:port` (0: any free port).
    pub async fn start(
        settings: &Settings,
        registry: &ConnectorRegistry,
        config_dir: Option<&Path>,
        port: u16,
    ) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .map_err(|e| {
                ConnectorError::general(format!(
                    "cannot listen on 127.0.0.1:{port}: {e} (pick another --port)"
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| ConnectorError::general(format!("no local address: {e}")))?;
        let mut redactor = Redactor::default();
        let mut simulators = Vec::new();
        let mut social = Vec::new();
        for provider in SimulatedProvider::ALL {
            let target = registry
                .metadata(provider.factory_id())
                .map(|meta| meta.target.as_str())
                .unwrap_or_default();
            let names = [provider.slug(), provider.factory_id(), target];
            match find_config(config_dir, &names) {
                Some(path) => {
                    let mut loaded = load_config(&path)?;
                    redactor.extend(&loaded.secrets);
                    sandbox::apply_settings(provider.factory_id(), &mut loaded.value, settings);
                    let connector = registry
                        .create(provider.factory_id(), loaded.value, &settings.context())
                        .map_err(|e| e.context(&format!("{}", path.display())))?
                        .into_social()?;
                    social.push(SocialEntry {
                        provider,
                        connector,
                        source: Source::Config(path),
                    });
                }
                None => {
                    let sim = sandbox::simulated_social(provider, settings, registry).await?;
                    social.push(SocialEntry {
                        provider,
                        connector: sim.connector,
                        source: Source::Simulator(sim.simulator.base_url().clone()),
                    });
                    simulators.push(sim.simulator);
                }
            }
        }
        let smtp_names = ["smtp", connector_smtp::FACTORY_ID];
        let (email, email_source, smtp) = match find_config(config_dir, &smtp_names) {
            Some(path) => {
                let mut loaded = load_config(&path)?;
                redactor.extend(&loaded.secrets);
                sandbox::apply_settings(connector_smtp::FACTORY_ID, &mut loaded.value, settings);
                let connector = registry
                    .create(
                        connector_smtp::FACTORY_ID,
                        loaded.value,
                        &settings.context(),
                    )
                    .map_err(|e| e.context(&format!("{}", path.display())))?
                    .into_email()?;
                (connector, Source::Config(path), None)
            }
            None => {
                let mail = sandbox::embedded_mail(registry, settings)?;
                let url = Url::parse(&format!(
                    "smtp://{}:{}",
                    mail.server.host(),
                    mail.server.port()
                ))
                .map_err(|e| ConnectorError::general(e.to_string()))?;
                (mail.connector, Source::Simulator(url), Some(mail.server))
            }
        };
        let app = Arc::new(App {
            origin: format!("http://127.0.0.1:{}", addr.port()),
            key: FlowKey::generate(),
            social,
            email,
            email_source,
            smtp,
            redactor,
            sessions: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
            _simulators: simulators,
        });
        let router = routes::router(app.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "sample page stopped");
            }
        });
        Ok(Self {
            addr,
            app,
            shutdown: Some(shutdown),
        })
    }

    /// The page's URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.addr.port())
    }

    /// One line per connector: where it signs in, and the callback URL to register for real ones.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in &self.app.social {
            let line = match &entry.source {
                Source::Simulator(url) => format!(
                    "  {:<13} simulator at {url} (consent page included)",
                    entry.provider.name()
                ),
                Source::Config(path) => format!(
                    "  {:<13} real provider ({}); its callback URL must be {}",
                    entry.provider.name(),
                    path.display(),
                    self.app.redirect_uri(entry.provider.slug())
                ),
            };
            lines.push(line);
        }
        lines.push(match &self.app.email_source {
            Source::Simulator(url) => format!(
                "  {:<13} embedded SMTP server at {url}; messages on {}inbox",
                "E-mail",
                self.url()
            ),
            Source::Config(path) => {
                format!("  {:<13} real SMTP server ({})", "E-mail", path.display())
            }
        });
        lines
    }
}

impl Drop for SampleServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The first `<name>.json` that exists in the config directory.
fn find_config(dir: Option<&Path>, names: &[&str]) -> Option<PathBuf> {
    let dir = dir?;
    names
        .iter()
        .map(|name| dir.join(format!("{name}.json")))
        .find(|path| path.is_file())
}
