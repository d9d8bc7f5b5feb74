//! A real SMTP server on 127.0.0.1 for tests: plain, STARTTLS or implicit TLS, optional AUTH, and
//! scripted failures.
//!
//! # What it is made of
//!
//! The SMTP protocol is the [`mailin`] crate's: its `Session` parses every command, runs the state
//! machine (EHLO, STARTTLS, AUTH PLAIN / LOGIN, MAIL, RCPT, DATA with dot-unstuffing, RSET, QUIT)
//! and produces every reply. This module is only the I/O around it, the same few lines
//! `mailin-embedded` wraps around it, written out here because `mailin-embedded` cannot do four
//! things the tests need:
//!
//! - **implicit TLS** (port-465 style, TLS before the greeting): `mailin-embedded` only knows
//!   STARTTLS;
//! - **dropping the connection in the middle of DATA**, without a reply;
//! - **stopping**: `mailin-embedded`'s `serve()` never returns, so every test would leak a listener
//!   and a thread pool; here dropping the [`SmtpServer`] closes the listener and every open session;
//! - **AUTH on a plaintext connection** (`mailin`'s `insecure_enable_plaintext_auth`), so AUTH can
//!   be tested without TLS.
//!
//! TLS uses rustls with the *ring* provider passed explicitly, so it never depends on (or panics
//! about) the process-wide default crypto provider, and the certificate and key stay in memory.
//! The certificate is generated per server by rcgen, self-signed for `localhost` and `127.0.0.1`;
//! [`SmtpServer::ca_pem`] is what a client must trust.
//!
//! Each accepted connection gets its own thread (blocking I/O); the server never binds anything
//! but `127.0.0.1`.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use connector_testkit::smtp::{SmtpServer, SmtpTls};
//!
//! # async fn demo() {
//! let server = SmtpServer::builder()
//!     .tls(SmtpTls::StartTls)
//!     .auth("mailer@example.com", "app-password")
//!     .start();
//! // Point the client at server.host():server.port(), trusting server.ca_pem() ...
//! let mails = server.wait_for_messages(1, Duration::from_secs(10)).await;
//! assert_eq!(mails[0].to, ["ada@example.com"]);
//! assert_eq!(mails[0].subject(), "Your code");
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder};
use mailparse::{MailHeaderMap, ParsedMail};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::{json, Value};

/// How the server protects the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// Plaintext only; STARTTLS is not offered.
    #[default]
    None,
    /// Plaintext greeting, STARTTLS offered (port-587 style).
    StartTls,
    /// TLS from the first byte, before the greeting (port-465 style, nodemailer's `secure: true`).
    Implicit,
}

/// The SMTP command a scripted [`SmtpFailure::Reply`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStage {
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO`.
    Rcpt,
    /// The end of the message (the `.` line after DATA): the message was transferred, then refused.
    Data,
}

/// A scripted failure, applied to every SMTP transaction until changed with
/// [`SmtpServer::set_failure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpFailure {
    /// Answer `code text` at `at` instead of accepting; the message is not stored.
    Reply {
        /// Which command gets the reply.
        at: SmtpStage,
        /// The reply code, e.g. 451 or 550. 421 also closes the connection, as RFC 5321 says.
        code: u16,
        /// The reply text, e.g. `4.7.1 Try again later`.
        text: String,
    },
    /// Answer DATA with 354, read the first line of the message, then close the connection without
    /// any reply. The message is not stored.
    DropDuringData,
    /// Accept TCP connections and never send a greeting (a stalled server, or what a plaintext
    /// client sees when it connects to an implicit-TLS port).
    NoGreeting,
}

/// An AUTH mechanism the server can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmtpAuthMechanism {
    /// `AUTH PLAIN` (RFC 4616).
    Plain,
    /// `AUTH LOGIN`.
    Login,
}

/// One AUTH attempt the server saw (the password is never recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAttempt {
    /// The mechanism the client used.
    pub mechanism: SmtpAuthMechanism,
    /// The user name the client sent.
    pub user: String,
    /// Whether the credentials matched.
    pub accepted: bool,
}

/// One message the server accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The message as transferred (RFC 5322 headers and body, dot-unstuffed).
    pub data: String,
    /// The name the client gave in EHLO / HELO.
    pub helo: String,
    /// Whether the session was encrypted (STARTTLS or implicit TLS) when the message arrived.
    pub tls: bool,
}

impl ReceivedMail {
    fn parsed(&self) -> ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes())
            .expect("the delivered message is not a parseable RFC 5322 message")
    }

    /// The decoded `Subject` header, or an empty string.
    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The first value of a header, decoded (RFC 2047), matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().headers.get_first_value(name)
    }

    /// Every value of a header, decoded, in message order.
    pub fn headers(&self, name: &str) -> Vec<String> {
        self.parsed().headers.get_all_values(name)
    }

    /// The body, with its transfer encoding (quoted-printable, base64) and charset decoded. For a
    /// multipart message, the body of its first part.
    pub fn body_text(&self) -> String {
        let parsed = self.parsed();
        let part = parsed.subparts.first().unwrap_or(&parsed);
        part.get_body()
            .expect("the delivered body cannot be decoded")
    }

    /// The MIME type without parameters, e.g. `text/html`.
    pub fn content_type(&self) -> String {
        self.parsed().ctype.mimetype
    }

    /// The `charset` parameter of the content type, e.g. `utf-8`.
    pub fn charset(&self) -> String {
        self.parsed().ctype.charset
    }
}

impl fmt::Debug for ReceivedMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedMail")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("helo", &self.helo)
            .field("tls", &self.tls)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Configures an [`SmtpServer`]; see [`SmtpServer::builder`].
#[derive(Debug, Clone)]
pub struct SmtpServerBuilder {
    tls: SmtpTls,
    credentials: Option<(String, String)>,
    mechanisms: Vec<SmtpAuthMechanism>,
    failure: Option<SmtpFailure>,
    name: String,
}

impl SmtpServerBuilder {
    /// How the connection is protected (default [`SmtpTls::None`]).
    pub fn tls(mut self, tls: SmtpTls) -> Self {
        self.tls = tls;
        self
    }

    /// Requires AUTH with these credentials before MAIL; other credentials get `535`. Offered
    /// mechanisms: PLAIN and LOGIN unless [`SmtpServerBuilder::auth_mechanisms`] says otherwise.
    /// Over plaintext too, so AUTH can be tested without TLS.
    pub fn auth(mut self, user: &str, pass: &str) -> Self {
        self.credentials = Some((user.to_owned(), pass.to_owned()));
        self
    }

    /// The AUTH mechanisms offered when [`SmtpServerBuilder::auth`] is set (default both).
    pub fn auth_mechanisms(mut self, mechanisms: &[SmtpAuthMechanism]) -> Self {
        self.mechanisms = mechanisms.to_vec();
        self
    }

    /// A scripted failure for every transaction; see [`SmtpFailure`].
    pub fn fail(mut self, failure: SmtpFailure) -> Self {
        self.failure = Some(failure);
        self
    }

    /// The name in the greeting and EHLO reply (default `localhost`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on a background thread.
    ///
    /// # Panics
    ///
    /// When the test machine cannot bind a local port or generate a certificate: a test setup
    /// problem, not something a test should handle.
    pub fn start(self) -> SmtpServer {
        let certificate = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .expect("rcgen generates a self-signed certificate");
        let ca_pem = certificate.cert.pem();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certificate.signing_key.serialize_der(),
        ));
        // The ring provider is passed explicitly: the process-wide default may be unset or
        // ambiguous (several rustls providers are compiled into the test binaries).
        let tls_config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(certificate.cert.der().to_vec())],
                    key,
                )
                .expect("rustls accepts the generated certificate");

        let mut session = SessionBuilder::new(self.name.clone());
        match self.tls {
            SmtpTls::StartTls => {
                session.enable_start_tls();
            }
            // A test server, so AUTH is allowed without TLS; nothing here is a real secret.
            SmtpTls::None => {
                session.insecure_enable_plaintext_auth();
            }
            SmtpTls::Implicit => {}
        }
        if self.credentials.is_some() {
            for mechanism in &self.mechanisms {
                session.enable_auth(match mechanism {
                    SmtpAuthMechanism::Plain => AuthMechanism::Plain,
                    SmtpAuthMechanism::Login => AuthMechanism::Login,
                });
            }
        }

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let (delivered, _) = tokio::sync::watch::channel(0);
        let shared = Arc::new(Shared {
            setup: Setup {
                tls: self.tls,
                tls_config: Arc::new(tls_config),
                session,
                credentials: self.credentials.clone(),
            },
            failure: Mutex::new(self.failure),
            messages: Mutex::new(Vec::new()),
            auth_attempts: Mutex::new(Vec::new()),
            delivered,
            connections: AtomicUsize::new(0),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        });
        let accept = std::thread::Builder::new()
            .name(format!("smtp-fixture-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || accept_loop(listener, shared)
            })
            .expect("spawn the SMTP accept thread");

        SmtpServer {
            addr,
            ca_pem,
            tls: self.tls,
            credentials: self.credentials,
            shared,
            accept: Some(accept),
        }
    }
}

/// A running SMTP server on `127.0.0.1`; stops when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    ca_pem: String,
    tls: SmtpTls,
    credentials: Option<(String, String)>,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// A builder: plaintext, no AUTH, no failures.
    pub fn builder() -> SmtpServerBuilder {
        SmtpServerBuilder {
            tls: SmtpTls::None,
            credentials: None,
            mechanisms: vec![SmtpAuthMechanism::Plain, SmtpAuthMechanism::Login],
            failure: None,
            name: "localhost".to_owned(),
        }
    }

    /// Always `127.0.0.1`.
    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The PEM of the server's self-signed certificate (SAN `localhost` and `127.0.0.1`): the one
    /// root a client must trust.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// The messages accepted so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.messages).clone()
    }

    /// How many SMTP sessions (TCP connections) were opened so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every AUTH attempt so far.
    pub fn auth_attempts(&self) -> Vec<AuthAttempt> {
        lock(&self.shared.auth_attempts).clone()
    }

    /// Replaces the scripted failure (`None` to accept mail again) for the transactions that follow.
    pub fn set_failure(&self, failure: Option<SmtpFailure>) {
        *lock(&self.shared.failure) = failure;
    }

    /// Waits until at least `n` messages arrived or `timeout` passed, and returns the messages
    /// that arrived. The timeout only bounds a hang: assert on the returned length.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut delivered = self.shared.delivered.subscribe();
        // The result is ignored on purpose: on timeout the caller sees fewer messages than asked.
        let _ = tokio::time::timeout(timeout, delivered.wait_for(|count| *count >= n)).await;
        self.messages()
    }

    /// The connection fields of an SMTP connector config (Logto / nodemailer shape) for this
    /// server: `host`, `port`, the TLS mode (`secure`, `requireTLS`), `tls.ca` and `auth` when set.
    /// Merge `fromEmail` and `templates` into it.
    pub fn connector_config(&self) -> Value {
        let mut config = json!({"host": self.host(), "port": self.port()});
        match self.tls {
            SmtpTls::None => {}
            SmtpTls::StartTls => {
                config["requireTLS"] = json!(true);
                config["tls"] = json!({"ca": self.ca_pem});
            }
            SmtpTls::Implicit => {
                config["secure"] = json!(true);
                config["tls"] = json!({"ca": self.ca_pem});
            }
        }
        if let Some((user, pass)) = &self.credentials {
            config["auth"] = json!({"user": user, "pass": pass});
        }
        config
    }
}

impl fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpServer")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .field("auth", &self.credentials.is_some())
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stopping`; a failure means it is already gone.
        let _ = TcpStream::connect(self.addr);
        for stream in lock(&self.shared.open).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released): connecting is refused.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("listener address").port()
}

struct Setup {
    tls: SmtpTls,
    tls_config: Arc<ServerConfig>,
    session: SessionBuilder,
    credentials: Option<(String, String)>,
}

struct Shared {
    setup: Setup,
    failure: Mutex<Option<SmtpFailure>>,
    messages: Mutex<Vec<ReceivedMail>>,
    auth_attempts: Mutex<Vec<AuthAttempt>>,
    delivered: tokio::sync::watch::Sender<usize>,
    connections: AtomicUsize,
    /// Open sessions' sockets, so dropping the server can close them.
    open: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
    stopping: AtomicBool,
}

impl Shared {
    fn failure(&self) -> Option<SmtpFailure> {
        lock(&self.failure).clone()
    }
}

/// A poisoned lock only means another fixture thread panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.open).insert(id, clone);
        }
        let session_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("smtp-fixture-session-{id}"))
            .spawn(move || {
                // Errors end the session: the client went away or broke the protocol.
                let _ = serve_session(stream, &session_shared);
                lock(&session_shared.open).remove(&id);
            });
        if spawned.is_err() {
            lock(&shared.open).remove(&id);
        }
    }
}

/// The connection, before or after TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Conn {
    fn tls(tcp: TcpStream, config: &Arc<ServerConfig>) -> io::Result<Self> {
        let server = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
        Ok(Conn::Tls(Box::new(StreamOwned::new(server, tcp))))
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => &tls.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}

fn reply(conn: &mut Conn, response: &Response) -> io::Result<()> {
    // One write per reply: a multi-line EHLO reply written line by line would wait on Nagle's
    // algorithm and the client's delayed ACK.
    conn.write_all(&response.buffer()?)?;
    conn.flush()
}

/// Runs one SMTP session: the I/O around `mailin`'s state machine (as `mailin-embedded` does),
/// plus implicit TLS and the scripted connection drop.
fn serve_session(tcp: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    if matches!(shared.failure(), Some(SmtpFailure::NoGreeting)) {
        // Hold the connection silently until the client gives up or the server stops.
        let mut sink = [0u8; 512];
        let mut tcp = tcp;
        while tcp.read(&mut sink)? > 0 {}
        return Ok(());
    }
    let setup = &shared.setup;
    // Replies go out at once instead of waiting for the client's ACK (test speed only).
    let _ = tcp.set_nodelay(true);
    let peer = tcp
        .peer_addr()
        .map(|addr| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let encrypted = Arc::new(AtomicBool::new(false));
    let discard = Arc::new(AtomicBool::new(false));
    let handler = SessionHandler {
        shared: Arc::clone(shared),
        encrypted: Arc::clone(&encrypted),
        discard: Arc::clone(&discard),
        helo: String::new(),
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut session = setup.session.build(peer, handler);
    let conn = if setup.tls == SmtpTls::Implicit {
        session.tls_active();
        encrypted.store(true, Ordering::SeqCst);
        Conn::tls(tcp, &setup.tls_config)?
    } else {
        Conn::Plain(tcp)
    };
    let mut reader = BufReader::new(conn);
    reply(reader.get_mut(), &session.greeting())?;

    let mut line = Vec::with_capacity(128);
    let mut in_data = false;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        if response.code == 354 {
            if matches!(shared.failure(), Some(SmtpFailure::DropDuringData)) {
                reply(reader.get_mut(), &response)?;
                line.clear();
                reader.read_until(b'\n', &mut line)?;
                return reader.get_ref().tcp().shutdown(Shutdown::Both);
            }
            in_data = true;
        } else if in_data && response.action != Action::NoReply {
            in_data = false;
            if response.is_error && response.action == Action::Reply {
                // mailin stays in its DATA state after refusing a message, so the client's next
                // command (RSET, QUIT) would be taken as message text. A second end-of-data that
                // the handler accepts without storing brings it back to the state after HELO,
                // where RFC 5321 says a refused transaction leaves the session.
                discard.store(true, Ordering::SeqCst);
                let _ = session.process(b".\r\n");
            }
        }
        match response.action {
            Action::Reply => reply(reader.get_mut(), &response)?,
            Action::Close => return reply(reader.get_mut(), &response),
            Action::NoReply => {}
            Action::UpgradeTls => {
                reply(reader.get_mut(), &response)?;
                if !reader.buffer().is_empty() {
                    // Commands pipelined after STARTTLS would be a plaintext injection.
                    return Err(io::Error::other("data after STARTTLS before the handshake"));
                }
                let Conn::Plain(tcp) = reader.into_inner() else {
                    return Err(io::Error::other("STARTTLS on an encrypted connection"));
                };
                reader = BufReader::new(Conn::tls(tcp, &setup.tls_config)?);
                session.tls_active();
                encrypted.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// `mailin`'s callbacks for one session: records the envelope and data, checks credentials and
/// applies the scripted failure.
struct SessionHandler {
    shared: Arc<Shared>,
    encrypted: Arc<AtomicBool>,
    /// Set by the session loop: accept the next end-of-data without storing (see `serve_session`).
    discard: Arc<AtomicBool>,
    helo: String,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl SessionHandler {
    fn scripted(&self, stage: SmtpStage) -> Option<Response> {
        match self.shared.failure() {
            Some(SmtpFailure::Reply { at, code, text }) if at == stage => {
                Some(Response::custom(code, text))
            }
            _ => None,
        }
    }

    fn authenticate(&self, mechanism: SmtpAuthMechanism, user: &str, pass: &str) -> Response {
        let accepted = self
            .shared
            .setup
            .credentials
            .as_ref()
            .is_some_and(|(u, p)| u == user && p == pass);
        lock(&self.shared.auth_attempts).push(AuthAttempt {
            mechanism,
            user: user.to_owned(),
            accepted,
        });
        if accepted {
            mailin::response::AUTH_OK
        } else {
            mailin::response::INVALID_CREDENTIALS
        }
    }
}

impl Handler for SessionHandler {
    fn helo(&mut self, _ip: IpAddr, domain: &str) -> Response {
        self.helo = domain.to_owned();
        mailin::response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.scripted(SmtpStage::Mail)
            .unwrap_or(mailin::response::OK)
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        self.scripted(SmtpStage::Rcpt)
            .unwrap_or(mailin::response::OK)
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if self.discard.swap(false, Ordering::SeqCst) {
            self.data.clear();
            return mailin::response::OK;
        }
        if let Some(refusal) = self.scripted(SmtpStage::Data) {
            return refusal;
        }
        let mail = ReceivedMail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
            helo: self.helo.clone(),
            tls: self.encrypted.load(Ordering::SeqCst),
        };
        let count = {
            let mut messages = lock(&self.shared.messages);
            messages.push(mail);
            messages.len()
        };
        self.shared.delivered.send_replace(count);
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authorization_id: &str, user: &str, password: &str) -> Response {
        self.authenticate(SmtpAuthMechanism::Plain, user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.authenticate(SmtpAuthMechanism::Login, user, password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;

    /// A minimal client for the fixture's own tests: sends lines, reads replies.
    struct Client {
        reader: BufReader<TcpStream>,
    }

    impl Client {
        fn connect(server: &SmtpServer) -> Self {
            let tcp = TcpStream::connect((server.host(), server.port())).expect("connect");
            tcp.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("read timeout");
            Self {
                reader: BufReader::new(tcp),
            }
        }

        /// Reads one (possibly multi-line) reply and returns its code.
        fn read_reply(&mut self) -> u16 {
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).expect("reply line");
                assert!(line.len() >= 4, "short reply `{line}`");
                if line.as_bytes()[3] == b' ' {
                    return line[..3].parse().expect("reply code");
                }
            }
        }

        fn send(&mut self, line: &str) -> u16 {
            self.reader
                .get_mut()
                .write_all(format!("{line}\r\n").as_bytes())
                .expect("write");
            self.read_reply()
        }
    }

    fn deliver(client: &mut Client, body: &str) -> Vec<u16> {
        let mut codes = vec![
            client.send("MAIL FROM:<mailer@example.com>"),
            client.send("RCPT TO:<ada@example.com>"),
            client.send("DATA"),
        ];
        if codes[2] == 354 {
            codes.push(client.send(&format!("{body}\r\n.")));
        }
        codes
    }

    #[test]
    fn plain_server_accepts_and_records_a_message() {
        let server = SmtpServer::builder().start();
        let mut client = Client::connect(&server);
        assert_eq!(client.read_reply(), 220);
        assert_eq!(client.send("EHLO client.example"), 250);
        let codes = deliver(
            &mut client,
            "Subject: Hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n..dotted",
        );
        assert_eq!(codes, [250, 250, 354, 250]);
        assert_eq!(client.send("QUIT"), 221);

        let mails = server.messages();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].from, "mailer@example.com");
        assert_eq!(mails[0].to, ["ada@example.com"]);
        assert_eq!(mails[0].helo, "client.example");
        assert_eq!(mails[0].subject(), "Hi");
        assert_eq!(mails[0].content_type(), "text/plain");
        assert_eq!(mails[0].body_text().trim_end(), ".dotted");
        assert!(!mails[0].tls);
        assert_eq!(server.connections(), 1);
    }

    #[test]
    fn scripted_replies_refuse_without_storing() {
        let server = SmtpServer::builder()
            .fail(SmtpFailure::Reply {
                at: SmtpStage::Rcpt,
                code: 550,
                text: "5.1.1 No such user".into(),
            })
            .start();
        let mut client = Client::connect(&server);
        client.read_reply();
        client.send("EHLO client.example");
        assert_eq!(deliver(&mut client, "x"), [250, 550, 503]);

        server.set_failure(Some(SmtpFailure::Reply {
            at: SmtpStage::Data,
            code: 451,
            text: "4.3.0 Try later".into(),
        }));
        client.send("RSET");
        assert_eq!(deliver(&mut client, "x"), [250, 250, 354, 451]);
        assert!(server.messages().is_empty());
        // The refused transaction is over: the session takes commands again.
        assert_eq!(client.send("QUIT"), 221);
    }

    #[test]
    fn auth_is_required_and_checked() {
        let server = SmtpServer::builder().auth("user", "secret").start();
        let mut client = Client::connect(&server);
        client.read_reply();
        client.send("EHLO client.example");
        // AUTH PLAIN with "\0user\0wrong", then "\0user\0secret".
        assert_eq!(client.send("AUTH PLAIN AHVzZXIAd3Jvbmc="), 535);
        assert_eq!(client.send("MAIL FROM:<a@example.com>"), 503);
        assert_eq!(client.send("AUTH PLAIN AHVzZXIAc2VjcmV0"), 235);
        assert_eq!(deliver(&mut client, "x"), [250, 250, 354, 250]);
        let attempts = server.auth_attempts();
        assert_eq!(attempts.len(), 2);
        assert!(!attempts[0].accepted && attempts[1].accepted);
        assert_eq!(attempts[1].user, "user");
    }

    #[test]
    fn drop_during_data_closes_without_reply() {
        let server = SmtpServer::builder()
            .fail(SmtpFailure::DropDuringData)
            .start();
        let mut client = Client::connect(&server);
        client.read_reply();
        client.send("EHLO client.example");
        client.send("MAIL FROM:<a@example.com>");
        client.send("RCPT TO:<b@example.com>");
        assert_eq!(client.send("DATA"), 354);
        client
            .reader
            .get_mut()
            .write_all(b"Subject: x\r\n")
            .expect("write");
        let mut rest = String::new();
        // EOF (0 bytes) or a reset: either way no reply comes.
        let read = client.reader.read_line(&mut rest).unwrap_or(0);
        assert_eq!(read, 0, "unexpected reply `{rest}`");
        assert!(server.messages().is_empty());
    }

    #[test]
    fn connector_config_describes_the_server() {
        let server = SmtpServer::builder()
            .tls(SmtpTls::Implicit)
            .auth("u", "p")
            .start();
        let config = server.connector_config();
        assert_eq!(config["host"], "127.0.0.1");
        assert_eq!(config["port"], server.port());
        assert_eq!(config["secure"], true);
        assert!(config["tls"]["ca"]
            .as_str()
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE")));
        assert_eq!(config["auth"]["user"], "u");
    }

    #[test]
    fn dropping_the_server_closes_its_port() {
        let server = SmtpServer::builder().start();
        let port = server.port();
        let mut client = Client::connect(&server);
        client.read_reply();
        drop(server);
        let mut line = String::new();
        assert_eq!(client.reader.read_line(&mut line).unwrap_or(0), 0);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
