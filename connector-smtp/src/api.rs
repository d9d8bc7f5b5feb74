//! The SMTP side: connection settings, the connection pool, and the mapping of SMTP failures to
//! connector errors (`map_error`).
//!
//! # Why the pool is ours, built on lettre's connection
//!
//! The protocol (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA, reply parsing) is lettre's
//! [`AsyncSmtpConnection`]; this module only decides when to open, reuse and drop connections.
//! lettre's own pooled `AsyncSmtpTransport` was the first choice and does not fit, for reasons
//! found in its source (0.11.23, `transport/smtp/pool/async_impl.rs`):
//!
//! - it caps how many *idle* connections it keeps, not how many it opens: 50 concurrent sends
//!   open 50 connections, which is what a provider's rate limit punishes;
//! - a finished connection goes back to the pool in a spawned task, so the next send often misses
//!   it and opens yet another one;
//! - building and dropping the pool call `tokio::spawn`, which panics outside a Tokio runtime (a
//!   connector created or dropped in synchronous code);
//! - lettre's async client has no read timeout, so a stalled server must be cut off from outside;
//!   a connection cancelled mid-command could then be handed back to the pool out of sync.
//!
//! Here a semaphore bounds the connections (`maxConnections`), a connection returns to the idle
//! list before its permit is released (so the next send finds it), every await is bounded by the
//! config's timeouts, and a connection that failed or timed out is never reused.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use connector_core::{ConnectorError, ErrorCode, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, Tls, TlsParameters, TlsVersion,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::Error as SmtpError;
use rustls::pki_types::CertificateDer;
use tokio::sync::Semaphore;
use tracing::instrument::WithSubscriber;
use tracing::subscriber::NoSubscriber;

use crate::config::{
    AuthKind, SmtpConfig, DEFAULT_CONNECTION_TIMEOUT_MS, DEFAULT_GREETING_TIMEOUT_MS,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MESSAGES, DEFAULT_SOCKET_TIMEOUT_MS,
};

/// An idle connection older than this is closed rather than reused: servers drop idle clients
/// after a minute or so, and a NOOP on a half-dead connection only costs time.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything needed to open a connection, derived once from the config at create.
pub(crate) struct Settings {
    host: String,
    port: u16,
    tls: Tls,
    hello: ClientId,
    credentials: Option<Credentials>,
    mechanisms: Vec<Mechanism>,
    auth: AuthKind,
    local_address: Option<IpAddr>,
    connection_timeout: Duration,
    greeting_timeout: Duration,
    socket_timeout: Duration,
    max_connections: usize,
    max_messages: usize,
}

impl Settings {
    /// Builds the settings (including TLS parameters) from a validated config.
    pub(crate) fn from_config(
        config: &SmtpConfig,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Self> {
        let port = config
            .port_number()
            .ok_or_else(|| ConnectorError::invalid_config("port: not a port number"))?;
        let tls = if config.secure {
            Tls::Wrapper(tls_parameters(config, extra_roots)?)
        } else if config.ignore_tls {
            Tls::None
        } else if config.require_tls {
            Tls::Required(tls_parameters(config, extra_roots)?)
        } else {
            Tls::Opportunistic(tls_parameters(config, extra_roots)?)
        };
        let hello = match config.name.as_deref().map(str::trim) {
            None => ClientId::default(),
            Some(name) => {
                match name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                {
                    Ok(IpAddr::V4(ip)) => ClientId::Ipv4(ip),
                    Ok(IpAddr::V6(ip)) => ClientId::Ipv6(ip),
                    Err(_) => ClientId::Domain(name.to_owned()),
                }
            }
        };
        let auth = config.auth_kind();
        let credentials = config
            .auth
            .as_ref()
            .and_then(|auth| auth.credentials())
            .map(|(user, secret)| Credentials::new(user.to_owned(), secret.expose().to_owned()));
        let mechanisms = match (
            auth,
            config.auth_method.as_deref().map(str::to_ascii_uppercase),
        ) {
            (AuthKind::XOAuth2, _) => vec![Mechanism::Xoauth2],
            (_, Some(method)) if method == "LOGIN" => vec![Mechanism::Login, Mechanism::Plain],
            _ => vec![Mechanism::Plain, Mechanism::Login],
        };
        let ms = |value: Option<u64>, default: u64| Duration::from_millis(value.unwrap_or(default));
        Ok(Self {
            host: config.host.trim().to_owned(),
            port,
            tls,
            hello,
            credentials,
            mechanisms,
            auth,
            local_address: config
                .local_address
                .as_deref()
                .and_then(|ip| ip.trim().parse().ok()),
            connection_timeout: ms(config.connection_timeout, DEFAULT_CONNECTION_TIMEOUT_MS),
            greeting_timeout: ms(config.greeting_timeout, DEFAULT_GREETING_TIMEOUT_MS),
            socket_timeout: ms(config.socket_timeout, DEFAULT_SOCKET_TIMEOUT_MS),
            max_connections: config.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS) as usize,
            max_messages: config.max_messages.unwrap_or(DEFAULT_MAX_MESSAGES) as usize,
        })
    }

    fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn is_implicit_tls(&self) -> bool {
        matches!(self.tls, Tls::Wrapper(_))
    }

    /// The TLS mode as the config names it, for logs and `Debug`.
    pub(crate) fn tls_mode(&self) -> &'static str {
        match self.tls {
            Tls::Wrapper(_) => "implicit TLS (secure)",
            Tls::Required(_) => "STARTTLS required (requireTLS)",
            Tls::Opportunistic(_) => "STARTTLS when offered",
            Tls::None => "plaintext (ignoreTLS)",
        }
    }

    fn is_gmail(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        ["gmail.com", "googlemail.com", "google.com"]
            .iter()
            .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("server", &self.server())
            .field("tls", &self.tls_mode())
            .field("auth", &self.auth)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

fn tls_parameters(
    config: &SmtpConfig,
    extra_roots: &[CertificateDer<'static>],
) -> Result<TlsParameters> {
    let server_name = config.tls_server_name().trim();
    let mut builder = TlsParameters::builder(server_name.to_owned());
    let ca = config
        .tls
        .ca_certificates()
        .map_err(|problem| ConnectorError::invalid_config(format!("tls.ca: {problem}")))?;
    if ca.is_empty() && extra_roots.is_empty() {
        return public_roots_tls(server_name, config.tls.requires_tls13(), builder);
    }
    if !ca.is_empty() {
        // Node's `ca` replaces the public roots; so does ours.
        builder = builder.certificate_store(CertificateStore::None);
    }
    for der in ca.iter().chain(extra_roots) {
        let certificate = Certificate::from_der(der.to_vec()).map_err(|e| {
            ConnectorError::invalid_config(format!("tls.ca: unusable certificate: {e}"))
        })?;
        builder = builder.add_root_certificate(certificate);
    }
    if config.tls.requires_tls13() {
        builder = builder.set_min_tls_version(TlsVersion::Tlsv13);
    }
    builder.build().map_err(|e| {
        ConnectorError::invalid_config(format!("tls.ca: the certificates cannot be trusted: {e}"))
    })
}

/// TLS parameters trusting the public roots only, shared by every connector of the process with
/// the same server name and minimum version. A multi-tenant server's tenants mostly use a handful
/// of services (Gmail, SES, SendGrid...): they share one rustls configuration (root store and
/// session cache, about 15 KiB) instead of building one per connector. Bounded: when the map
/// holds [`SHARED_TLS_CAPACITY`] server names it is cleared (connectors keep what they hold).
fn public_roots_tls(
    server_name: &str,
    tls13: bool,
    mut builder: lettre::transport::smtp::client::TlsParametersBuilder,
) -> Result<TlsParameters> {
    static SHARED: LazyLock<Mutex<HashMap<(String, bool), TlsParameters>>> =
        LazyLock::new(Mutex::default);
    let key = (server_name.to_owned(), tls13);
    if let Some(shared) = lock(&SHARED).get(&key) {
        return Ok(shared.clone());
    }
    if tls13 {
        builder = builder.set_min_tls_version(TlsVersion::Tlsv13);
    }
    let parameters = builder.build().map_err(|e| {
        ConnectorError::invalid_config(format!("tls.ca: the certificates cannot be trusted: {e}"))
    })?;
    let mut shared = lock(&SHARED);
    if shared.len() >= SHARED_TLS_CAPACITY {
        shared.clear();
    }
    shared.insert(key, parameters.clone());
    Ok(parameters)
}

/// How many server names [`public_roots_tls`] keeps.
const SHARED_TLS_CAPACITY: usize = 256;

/// One SMTP transaction, as lettre's `AsyncSmtpConnection::send` does it (MAIL, RCPT for each
/// recipient, DATA, the message; a failure sends QUIT and marks the connection broken) except that
/// the message and its final `.` line go out in **one** write.
///
/// lettre writes them separately. With Nagle's algorithm on (lettre never sets `TCP_NODELAY`),
/// the small second write waits for the ACK of the first, which the server delays (40 ms on
/// Linux) since it has nothing to answer before the `.` line: every message paid that wait, 23
/// messages per second through a pooled connection on 127.0.0.1. Messages lettre refuses before
/// sending (non-ASCII without SMTPUTF8 or 8BITMIME) and bytes that are not UTF-8 take lettre's own
/// path, which reports those cases.
async fn transfer(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    email: &[u8],
) -> std::result::Result<Response, SmtpError> {
    let non_ascii_addresses = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|address| !AsRef::<str>::as_ref(address).is_ascii());
    let info = conn.server_info();
    let supported = (!non_ascii_addresses || info.supports_feature(Extension::SmtpUtfEight))
        && (email.is_ascii() || info.supports_feature(Extension::EightBitMime));
    let text = match std::str::from_utf8(email) {
        Ok(text) if supported => text,
        _ => return conn.send(envelope, email).await,
    };
    let mut options = Vec::new();
    if non_ascii_addresses {
        options.push(MailParameter::SmtpUtfEight);
    }
    if !email.is_ascii() {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let result = transaction(conn, envelope, options, text).await;
    if result.is_err() {
        conn.abort().await;
    }
    result
}

async fn transaction(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    options: Vec<MailParameter>,
    text: &str,
) -> std::result::Result<Response, SmtpError> {
    conn.command(Mail::new(envelope.from().cloned(), options))
        .await?;
    for recipient in envelope.to() {
        conn.command(Rcpt::new(recipient.clone(), Vec::new()))
            .await?;
    }
    conn.command(Data).await?;
    conn.command(DataContent(text)).await
}

/// The message with SMTP transparency (a line starting with `.` gets a second one, as lettre's
/// codec does) and the final `.` line, written as one command.
struct DataContent<'a>(&'a str);

impl fmt::Display for DataContent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line_start = true;
        let mut after_cr = false;
        let mut from = 0;
        for (at, byte) in self.0.bytes().enumerate() {
            if byte == b'.' && line_start {
                // Written up to and including this `.`, then one more.
                f.write_str(&self.0[from..=at])?;
                f.write_str(".")?;
                from = at + 1;
            }
            line_start = after_cr && byte == b'\n';
            after_cr = byte == b'\r';
        }
        f.write_str(&self.0[from..])?;
        f.write_str("\r\n.\r\n")
    }
}

/// Where in a delivery an SMTP failure happened; it decides what the error message suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// TCP connect, implicit TLS, greeting, EHLO.
    Connect,
    /// STARTTLS and the EHLO after it.
    StartTls,
    /// AUTH.
    Auth,
    /// MAIL, RCPT, DATA on an open connection.
    Transaction,
}

struct IdleConnection {
    conn: AsyncSmtpConnection,
    since: Instant,
    delivered: usize,
}

/// The connector's connections: at most `maxConnections` open, reused across sends and tasks.
pub(crate) struct SmtpPool {
    settings: Settings,
    idle: Mutex<Vec<IdleConnection>>,
    permits: Semaphore,
}

impl fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpPool")
            .field("settings", &self.settings)
            .field("idle", &lock(&self.idle).len())
            .finish()
    }
}

/// A poisoned lock only means a task panicked while holding it; the idle list is still valid.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SmtpPool {
    pub(crate) fn new(settings: Settings) -> Self {
        let permits = Semaphore::new(settings.max_connections.max(1));
        Self {
            settings,
            idle: Mutex::new(Vec::new()),
            permits,
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Delivers one message, on an idle connection when there is one, and returns the server's
    /// reply.
    ///
    /// lettre logs every command it writes at DEBUG, including the AUTH exchange (the password or
    /// access token in base64) and the message (the one-time code). Its futures therefore run
    /// with tracing switched off ([`NoSubscriber`]), whatever the application's log level.
    pub(crate) async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Response> {
        // The semaphore is never closed, so acquiring fails only if that changes.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ConnectorError::general("the SMTP connection pool was shut down"))?;
        let (mut conn, delivered) = match self.checkout().await {
            Some(idle) => (idle.conn, idle.delivered),
            None => (self.open().await?, 0),
        };
        let sending = transfer(&mut conn, envelope, email).with_subscriber(NoSubscriber::default());
        match tokio::time::timeout(self.settings.socket_timeout, sending).await {
            Ok(Ok(response)) => {
                self.checkin(conn, delivered + 1);
                Ok(response)
            }
            Ok(Err(err)) => {
                let error = map_error(&err, Phase::Transaction, &self.settings);
                self.checkin(conn, delivered + 1);
                Err(error)
            }
            // Dropping the connection here closes it: it may be mid-command.
            Err(_) => Err(timeout_error(Phase::Transaction, &self.settings)),
        }
    }

    async fn checkout(&self) -> Option<IdleConnection> {
        loop {
            let mut idle = lock(&self.idle).pop()?;
            if idle.since.elapsed() > IDLE_TIMEOUT {
                continue;
            }
            // A NOOP finds connections the server closed meanwhile, before a message is at stake.
            let alive = tokio::time::timeout(
                self.settings.greeting_timeout,
                idle.conn
                    .test_connected()
                    .with_subscriber(NoSubscriber::default()),
            )
            .await;
            if alive == Ok(true) {
                return Some(idle);
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection, delivered: usize) {
        // lettre marks a connection broken after any failed command (it sends QUIT then).
        if conn.has_broken() || delivered >= self.settings.max_messages {
            return;
        }
        lock(&self.idle).push(IdleConnection {
            conn,
            since: Instant::now(),
            delivered,
        });
    }

    /// Opens a connection: TCP (bounded by `connectionTimeout`), then greeting, TLS, EHLO and AUTH
    /// (the whole bounded by `connectionTimeout + greetingTimeout`).
    async fn open(&self) -> Result<AsyncSmtpConnection> {
        let s = &self.settings;
        let setup = async {
            let wrapper = match &s.tls {
                Tls::Wrapper(parameters) => Some(parameters.clone()),
                _ => None,
            };
            let mut conn = AsyncSmtpConnection::connect_tokio1(
                (s.host.as_str(), s.port),
                Some(s.connection_timeout),
                &s.hello,
                wrapper,
                s.local_address,
            )
            .await
            .map_err(|e| map_error(&e, Phase::Connect, s))?;
            match &s.tls {
                Tls::Required(parameters) => conn
                    .starttls(parameters.clone(), &s.hello)
                    .await
                    .map_err(|e| map_error(&e, Phase::StartTls, s))?,
                Tls::Opportunistic(parameters) if conn.can_starttls() => conn
                    .starttls(parameters.clone(), &s.hello)
                    .await
                    .map_err(|e| map_error(&e, Phase::StartTls, s))?,
                _ => {}
            }
            if let Some(credentials) = &s.credentials {
                if let Err(err) = conn.auth(&s.mechanisms, credentials).await {
                    return Err(map_auth_error(&err, &conn, s));
                }
            }
            Ok(conn)
        };
        let limit = s.connection_timeout + s.greeting_timeout;
        match tokio::time::timeout(limit, setup.with_subscriber(NoSubscriber::default())).await {
            Ok(result) => result,
            Err(_) => Err(timeout_error(Phase::Connect, s)),
        }
    }
}

/// `250 2.0.0 Ok: queued as 12345` from a lettre reply.
pub(crate) fn format_reply(response: &Response) -> String {
    let code = u16::from(response.code());
    let text: Vec<&str> = response.message().collect();
    format!("{code} {}", text.join(" ")).trim_end().to_owned()
}

fn timeout_error(phase: Phase, s: &Settings) -> ConnectorError {
    let server = s.server();
    let message = match phase {
        Phase::Transaction => format!(
            "the SMTP server {server} did not finish the delivery within socketTimeout ({} ms)",
            s.socket_timeout.as_millis()
        ),
        _ => {
            let mut message = format!(
                "no complete greeting from the SMTP server {server} within connectionTimeout + \
                 greetingTimeout ({} ms)",
                (s.connection_timeout + s.greeting_timeout).as_millis()
            );
            if !s.is_implicit_tls() {
                message.push_str(
                    ": if this port expects implicit TLS (like 465), set `secure: true`; a \
                     plaintext client waits for a greeting such a server never sends",
                );
            }
            message
        }
    };
    ConnectorError::general(message).retryable(true)
}

/// The error chain's rustls error, if any. `io::Error::source` skips the error it wraps, so each
/// `io::Error` is opened with `get_ref`.
fn find_rustls_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = e
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        current = e.source();
    }
    None
}

fn find_io_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        current = e.source();
    }
    None
}

/// Maps a lettre SMTP error to a connector error (the reference's SMTP error mapping).
///
/// | failure | code | retryable |
/// |---|---|---|
/// | connection refused, unreachable, DNS, timeout, connection lost | `general` | yes |
/// | 4xx reply | `general` | yes |
/// | 535 / 534 (credentials), 530 (AUTH or STARTTLS required) | `invalid_config` | no |
/// | 501 to EHLO (bad EHLO name) | `invalid_config` | no |
/// | other 5xx reply | `general`, with the reply | no |
/// | certificate not trusted | `invalid_certificate` | no |
/// | TLS handshake with a non-TLS answer ("wrong version number") | `invalid_config` | no |
/// | STARTTLS required but not offered | `invalid_config` | no |
fn map_error(err: &SmtpError, phase: Phase, s: &Settings) -> ConnectorError {
    let server = s.server();
    if let Some(code) = err.status() {
        let text = err.source().map(ToString::to_string).unwrap_or_default();
        let reply = format!("{} {text}", u16::from(code)).trim_end().to_owned();
        return map_reply(u16::from(code), &reply, phase, s);
    }
    if let Some(tls) = find_rustls_error(err) {
        return map_tls_error(tls, s);
    }
    if err.is_timeout() {
        return ConnectorError::general(format!(
            "could not connect to the SMTP server {server} within connectionTimeout ({} ms)",
            s.connection_timeout.as_millis()
        ))
        .retryable(true);
    }
    let text = err.to_string();
    if err.is_client() {
        if text.contains("STARTTLS is not supported") {
            return ConnectorError::invalid_config(format!(
                "`requireTLS` is set but {server} does not offer STARTTLS: the server has no TLS \
                 on this port (use `secure: true` on its TLS port) or something on the way \
                 strips STARTTLS"
            ));
        }
        return ConnectorError::general(format!("SMTP delivery to {server} failed: {text}"));
    }
    if err.is_response() && text.contains("incomplete response") {
        return ConnectorError::general(format!(
            "the SMTP server {server} closed the connection{}",
            match phase {
                Phase::Transaction => " during the delivery",
                _ => " before it was ready",
            }
        ))
        .retryable(true);
    }
    if err.is_response() {
        return ConnectorError::invalid_response(format!(
            "the SMTP server {server} sent a reply that is not SMTP: {text}"
        ));
    }
    if let Some(io) = find_io_error(err) {
        let message = match io.kind() {
            io::ErrorKind::ConnectionRefused => format!(
                "could not connect to the SMTP server {server}: connection refused (is the host \
                 and port right, and the server running?)"
            ),
            _ => format!("the connection to the SMTP server {server} failed: {io}"),
        };
        return ConnectorError::general(message).retryable(true);
    }
    // lettre's remaining kinds are connection problems without an I/O error (name resolution).
    ConnectorError::general(format!("could not reach the SMTP server {server}: {text}"))
        .retryable(true)
}

fn map_reply(code: u16, reply: &str, phase: Phase, s: &Settings) -> ConnectorError {
    match code {
        534 | 535 => {
            let mut message = format!(
                "the SMTP server rejected the credentials ({reply}): check `auth.user` and "
            );
            if s.auth == AuthKind::XOAuth2 {
                message
                    .push_str("`auth.accessToken` (access tokens expire, typically after an hour)");
            } else {
                message.push_str("`auth.pass`");
            }
            if s.is_gmail() && s.auth != AuthKind::XOAuth2 {
                message.push_str(
                    "; Gmail accepts an app password (Google Account > Security > 2-Step \
                     Verification > App passwords) or XOAUTH2, never the account password",
                );
            }
            ConnectorError::invalid_config(message)
        }
        530 if reply.to_ascii_uppercase().contains("STARTTLS") => ConnectorError::invalid_config(
            format!("the SMTP server requires STARTTLS first ({reply}): remove `ignoreTLS`"),
        ),
        530 => ConnectorError::invalid_config(format!(
            "the SMTP server requires authentication ({reply}): set `auth.user` and `auth.pass`"
        )),
        501 if phase == Phase::Connect || phase == Phase::StartTls => {
            ConnectorError::invalid_config(format!(
                "the SMTP server refused our EHLO ({reply}): set `name` to this machine's \
                 fully-qualified ASCII host name"
            ))
        }
        400..=499 => ConnectorError::general(format!(
            "the SMTP server answered {reply}: a temporary failure, retry later"
        ))
        .retryable(true),
        _ => ConnectorError::general(format!("the SMTP server refused the message: {reply}")),
    }
}

fn map_tls_error(err: &rustls::Error, s: &Settings) -> ConnectorError {
    let server = s.server();
    match err {
        rustls::Error::InvalidCertificate(reason) => ConnectorError::new(
            ErrorCode::InvalidCertificate,
            format!(
                "the TLS certificate of {server} was refused ({reason:?}): for a private CA or a \
                 self-signed certificate put the CA's PEM in `tls.ca`; if the certificate names \
                 another host, set `tls.servername` to that name (certificate checks cannot be \
                 switched off)"
            ),
        ),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            let hint = if s.is_implicit_tls() {
                "`secure: true` is for implicit-TLS ports such as 465; for 587 or 25 set \
                 `secure: false` and let STARTTLS encrypt"
            } else {
                "for an implicit-TLS port such as 465 set `secure: true`"
            };
            ConnectorError::invalid_config(format!(
                "the TLS handshake with {server} failed ({err}): the server did not answer in \
                 TLS (OpenSSL calls this \"wrong version number\"), so the TLS mode does not \
                 match the port: {hint}"
            ))
        }
        rustls::Error::AlertReceived(alert) => ConnectorError::general(format!(
            "the SMTP server {server} ended the TLS handshake ({alert:?}): it may not support \
             TLS 1.2 or later"
        )),
        other => {
            ConnectorError::general(format!("TLS with the SMTP server {server} failed: {other}"))
        }
    }
}

fn map_auth_error(err: &SmtpError, conn: &AsyncSmtpConnection, s: &Settings) -> ConnectorError {
    if err.is_client()
        && err
            .to_string()
            .contains("No compatible authentication mechanism")
    {
        let info = conn.server_info();
        let offered: Vec<String> = [Mechanism::Plain, Mechanism::Login, Mechanism::Xoauth2]
            .into_iter()
            .filter(|m| info.supports_auth_mechanism(*m))
            .map(|m| m.to_string())
            .collect();
        let wanted: Vec<String> = s.mechanisms.iter().map(ToString::to_string).collect();
        let mut message = format!(
            "the SMTP server {} offers none of the AUTH mechanisms this config uses ({}); it \
             offers {}",
            s.server(),
            wanted.join(", "),
            if offered.is_empty() {
                "none".to_owned()
            } else {
                offered.join(", ")
            }
        );
        if offered.is_empty() && !conn.is_encrypted() {
            message.push_str(
                ": most servers offer AUTH only after STARTTLS, so remove `ignoreTLS`; a relay \
                 that authorises by IP address needs no `auth`",
            );
        }
        return ConnectorError::invalid_config(message);
    }
    map_error(err, Phase::Auth, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_content_is_dot_stuffed_and_terminated_like_lettre() {
        // lettre's codec: a `.` that starts a line (after CRLF, or first) gets a second one.
        let cases = [
            (".\r\n", "..\r\n\r\n.\r\n"),
            ("a\r\n.b\r\n..c", "a\r\n..b\r\n...c\r\n.\r\n"),
            ("x.\r\n\r\n.", "x.\r\n\r\n..\r\n.\r\n"),
            ("a\n.b\r.c\r\r\n.d", "a\n.b\r.c\r\r\n..d\r\n.\r\n"),
            ("Grüße\r\n.ok", "Grüße\r\n..ok\r\n.\r\n"),
        ];
        for (message, wire) in cases {
            assert_eq!(DataContent(message).to_string(), wire, "{message:?}");
        }
    }

    fn settings(host: &str, auth: AuthKind, secure: bool) -> Settings {
        let config: SmtpConfig = serde_json::from_value(serde_json::json!({
            "host": host, "port": if secure { 465 } else { 587 }, "secure": secure,
            "fromEmail": "a@example.com", "templates": [],
        }))
        .expect("config");
        let mut settings = Settings::from_config(&config, &[]).expect("settings");
        settings.auth = auth;
        settings
    }

    #[test]
    fn reply_table() {
        let s = settings("smtp.example.com", AuthKind::Login, false);
        let cases: &[(u16, Phase, ErrorCode, bool)] = &[
            (421, Phase::Connect, ErrorCode::General, true),
            (450, Phase::Transaction, ErrorCode::General, true),
            (451, Phase::Transaction, ErrorCode::General, true),
            (454, Phase::Auth, ErrorCode::General, true),
            (535, Phase::Auth, ErrorCode::InvalidConfig, false),
            (534, Phase::Auth, ErrorCode::InvalidConfig, false),
            (530, Phase::Transaction, ErrorCode::InvalidConfig, false),
            (501, Phase::Connect, ErrorCode::InvalidConfig, false),
            (501, Phase::Transaction, ErrorCode::General, false),
            (550, Phase::Transaction, ErrorCode::General, false),
            (554, Phase::Transaction, ErrorCode::General, false),
        ];
        for (code, phase, expected, retryable) in cases {
            let err = map_reply(*code, &format!("{code} text"), *phase, &s);
            assert_eq!(err.code(), *expected, "{code} at {phase:?}: {err}");
            assert_eq!(err.is_retryable(), *retryable, "{code} at {phase:?}");
            assert!(err.message().contains(&format!("{code} text")), "{err}");
        }
    }

    #[test]
    fn gmail_credentials_hint_at_app_passwords() {
        let gmail = settings("smtp.gmail.com", AuthKind::Login, true);
        let err = map_reply(
            535,
            "535 5.7.8 Username and Password not accepted",
            Phase::Auth,
            &gmail,
        );
        assert!(err.message().contains("app password"), "{err}");
        let other = settings("smtp.example.com", AuthKind::Login, true);
        let err = map_reply(535, "535 5.7.8 no", Phase::Auth, &other);
        assert!(!err.message().contains("app password"), "{err}");
        let xoauth = settings("smtp.gmail.com", AuthKind::XOAuth2, true);
        let err = map_reply(535, "535 5.7.8 no", Phase::Auth, &xoauth);
        assert!(err.message().contains("accessToken"), "{err}");
    }

    #[test]
    fn tls_errors_are_classified() {
        let s = settings("smtp.example.com", AuthKind::None, true);
        let cert = map_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            &s,
        );
        assert_eq!(cert.code(), ErrorCode::InvalidCertificate);
        assert!(cert.message().contains("tls.ca"), "{cert}");
        let mode = map_tls_error(
            &rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
            &s,
        );
        assert_eq!(mode.code(), ErrorCode::InvalidConfig);
        assert!(mode.message().contains("wrong version number"), "{mode}");
        assert!(mode.message().contains("587"), "{mode}");
    }

    #[test]
    fn rustls_errors_are_found_inside_io_errors() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let io = io::Error::new(io::ErrorKind::InvalidData, inner);
        assert!(matches!(
            find_rustls_error(&io),
            Some(rustls::Error::InvalidCertificate(_))
        ));
    }
}
