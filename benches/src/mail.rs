//! The SMTP benchmark's batches: code e-mails to the real SMTP test server on 127.0.0.1.

use std::hint::black_box;
use std::time::{Duration, Instant};

use connector_core::{ConnectorContext, ConnectorRegistry, EmailMessage, UsageType};
use connector_testkit::smtp::{SmtpServer, SmtpTls};
use serde_json::json;

use crate::{fixtures, flows};

/// How the messages of a batch reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One connector, its connections reused (the defaults: at most 5 open, each replaced after
    /// 100 messages).
    Pooled,
    /// The same connector with `maxMessages: 1`: every message opens and closes its own SMTP
    /// connection.
    NewConnection,
    /// What Logto does, a new transport per message: a connector created from its config for each
    /// message, used once.
    FreshConnector,
}

impl Mode {
    /// The three modes, pooled first.
    pub const ALL: [Mode; 3] = [Mode::Pooled, Mode::NewConnection, Mode::FreshConnector];

    /// The name in benchmark ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pooled => "pooled",
            Mode::NewConnection => "new_connection",
            Mode::FreshConnector => "fresh_connector",
        }
    }
}

/// The `i`-th sign-in code e-mail of a batch (HTML template with the application's name).
pub fn message(i: u64) -> EmailMessage {
    EmailMessage::new(format!("user{i}@example.com"), UsageType::SignIn)
        .with_code(format!("{:06}", (i * 7919) % 1_000_000))
        .with_value("application", json!({"name": "Acme"}))
}

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP, no AUTH (a relay on the same host).
    Plain,
    /// STARTTLS required, then AUTH: what a production config does (port 587).
    StartTlsAuth,
}

impl Security {
    /// Both, plain first.
    pub const ALL: [Security; 2] = [Security::Plain, Security::StartTlsAuth];

    /// The name in benchmark ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Security::Plain => "plain",
            Security::StartTlsAuth => "starttls_auth",
        }
    }
}

/// Sends `n` messages one after the other in `mode` to a fresh SMTP server on 127.0.0.1 and
/// returns the time the sends took. The server start and the first connector's creation are not
/// measured; in [`Mode::FreshConnector`] each message's connector creation is. Checks every
/// message arrived and how many connections were opened.
pub async fn batch(
    registry: &ConnectorRegistry,
    mode: Mode,
    security: Security,
    n: u64,
) -> Duration {
    let ctx = ConnectorContext::default();
    let id = flows::factory_id("smtp");
    let server = match security {
        Security::Plain => SmtpServer::builder().tls(SmtpTls::None).start(),
        Security::StartTlsAuth => SmtpServer::builder()
            .tls(SmtpTls::StartTls)
            .auth("mailer@tenant0.example.com", "app-password-0")
            .start(),
    };
    // Host, port, TLS mode, the server's CA and credentials; then sender and templates.
    let mut config = server.connector_config();
    let tenant = fixtures::smtp_config(0, server.host(), server.port());
    for field in ["fromEmail", "templates"] {
        config[field] = tenant[field].clone();
    }
    if mode == Mode::NewConnection {
        config["maxMessages"] = json!(1);
    }
    let connector = || {
        registry
            .create(id, config.clone(), &ctx)
            .and_then(|c| c.into_email())
            .expect("SMTP connector")
    };
    let shared = connector();
    let started = Instant::now();
    for i in 0..n {
        let delivery = match mode {
            Mode::Pooled | Mode::NewConnection => shared.send(message(i)).await,
            Mode::FreshConnector => connector().send(message(i)).await,
        };
        black_box(delivery.expect("delivered"));
    }
    let elapsed = started.elapsed();
    assert_eq!(server.messages().len() as u64, n, "every message arrived");
    let connections = server.connections() as u64;
    match mode {
        // At most 5 open, each replaced after 100 messages.
        Mode::Pooled => assert!(connections <= n / 100 + 5, "{connections} connections"),
        _ => assert_eq!(connections, n, "one connection per message"),
    }
    elapsed
}
