//! The connector's config: Logto's SMTP connector fields (nodemailer's SMTP transport options),
//! checked at create so a connector that exists is one that can deliver.
//!
//! Field names, types and defaults follow Logto's `smtpConfigGuard` and nodemailer's documentation
//! (<https://nodemailer.com/smtp/>), so a config copied from Logto creates as it is. Where we differ
//! the field's documentation says so; the README lists every nodemailer-only field and what becomes
//! of it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use connector_core::email_templates::{EmailTemplateConfig, EmailTemplates};
use connector_core::{ConfigProblems, ConnectorConfig, Secret};
use lettre::message::Mailbox;
use lettre::Address;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use schemars::JsonSchema;
use serde::Deserialize;

/// Ours: nodemailer waits up to 2 minutes to connect; a user waiting for a code should not.
pub const DEFAULT_CONNECTION_TIMEOUT_MS: u64 = 10_000;
/// Ours: nodemailer's default is 30 seconds.
pub const DEFAULT_GREETING_TIMEOUT_MS: u64 = 10_000;
/// Ours: nodemailer's default is 10 minutes.
pub const DEFAULT_SOCKET_TIMEOUT_MS: u64 = 30_000;
/// The longest timeout accepted: nothing useful waits longer for a one-time code.
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// nodemailer's pool default (`maxConnections`).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 5;
/// nodemailer's pool default (`maxMessages`).
pub const DEFAULT_MAX_MESSAGES: u32 = 100;

/// Headers the connector writes itself; a custom header with one of these names would make the
/// message ambiguous (two `From`s) or add recipients behind the `to` check.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "return-path",
];

/// The SMTP connector's config (Logto's SMTP connector fields).
///
/// TLS mode: `secure: true` is implicit TLS (port 465); otherwise the connection starts in
/// plaintext and is upgraded with STARTTLS when the server offers it, required with
/// `requireTLS: true`, never with `ignoreTLS: true`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "SMTP connector config")]
pub struct SmtpConfig {
    /// The SMTP server's host name or IP address, e.g. `smtp.gmail.com`. No scheme, no port.
    pub host: String,
    /// The port: 465 for implicit TLS (`secure: true`), 587 or 25 for STARTTLS. A number or a
    /// numeric string (Logto's documentation writes it as a string).
    pub port: Port,
    /// The sender, `no-reply@example.com` or `Example <no-reply@example.com>`.
    pub from_email: String,
    /// Where replies go, `support@example.com` or `Support <support@example.com>`.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Credentials. Leave it out for a relay that authorises by IP address.
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    /// Implicit TLS: TLS from the first byte, as port 465 expects. Leave it `false` for 587 and 25,
    /// where STARTTLS upgrades the connection.
    #[serde(default)]
    pub secure: bool,
    /// Fail unless the server upgrades the connection with STARTTLS (refuses to send credentials
    /// or codes in plaintext when a man-in-the-middle strips STARTTLS).
    #[serde(default, rename = "requireTLS")]
    pub require_tls: bool,
    /// Never use STARTTLS, even when the server offers it. Only for a trusted local relay.
    #[serde(default, rename = "ignoreTLS")]
    pub ignore_tls: bool,
    /// TLS options (a subset of Node's `tls` options).
    #[serde(default)]
    pub tls: TlsConfig,
    /// The name the server's certificate is checked against when it differs from `host` (e.g.
    /// when `host` is an IP address). Same as `tls.servername`.
    #[serde(default)]
    pub servername: Option<String>,
    /// The name sent in EHLO: this machine's fully-qualified host name (ASCII). Defaults to the
    /// machine's host name.
    #[serde(default)]
    pub name: Option<String>,
    /// Milliseconds to wait for the TCP connection (default 10000; nodemailer's is 120000). DNS
    /// resolution counts against it.
    #[serde(default)]
    pub connection_timeout: Option<u64>,
    /// Milliseconds to wait, after connecting, for the greeting, TLS, EHLO and AUTH (default
    /// 10000).
    #[serde(default)]
    pub greeting_timeout: Option<u64>,
    /// Milliseconds a delivery on an open connection may take (default 30000).
    #[serde(default)]
    pub socket_timeout: Option<u64>,
    /// Extra headers for every message: a name and a string, or a list of strings for a header
    /// that appears several times. No line breaks; `From`, `To`, `Subject` and the other headers
    /// the connector writes cannot be overridden.
    #[serde(default)]
    pub custom_headers: BTreeMap<String, OneOrMany>,
    /// One template per usage type (or a `Generic` one to fall back on), optionally per locale.
    pub templates: Vec<EmailTemplateConfig>,

    /// nodemailer only, ignored: logging is `tracing`'s job, and never includes secrets.
    #[serde(default)]
    pub logger: Option<bool>,
    /// nodemailer only, ignored (see `logger`).
    #[serde(default)]
    pub debug: Option<bool>,
    /// nodemailer only, ignored: messages never read files.
    #[serde(default)]
    pub disable_file_access: Option<bool>,
    /// nodemailer only, ignored: messages never fetch URLs.
    #[serde(default)]
    pub disable_url_access: Option<bool>,
    /// The local IP address to connect from.
    #[serde(default)]
    pub local_address: Option<String>,
    /// nodemailer only, ignored: DNS resolution is bounded by `connectionTimeout`.
    #[serde(default)]
    pub dns_timeout: Option<u64>,
    /// nodemailer only, ignored: connections are always pooled.
    #[serde(default)]
    pub pool: Option<bool>,
    /// How many SMTP connections may be open at once (default 5, nodemailer's pool default).
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// How many messages one connection delivers before it is replaced (default 100).
    #[serde(default)]
    pub max_messages: Option<u32>,
    /// The preferred AUTH mechanism: `PLAIN` or `LOGIN` (`XOAUTH2` with `auth.type: oauth2`).
    #[serde(default)]
    pub auth_method: Option<String>,
    /// nodemailer's well-known services (`"gmail"`): not supported, set `host`, `port` and `secure`.
    #[serde(default)]
    pub service: Option<String>,
}

impl SmtpConfig {
    /// The port, when `port` is a number or numeric string in 1..=65535.
    pub fn port_number(&self) -> Option<u16> {
        self.port.number()
    }

    /// The authentication to use, once the config validated.
    pub fn auth_kind(&self) -> AuthKind {
        match &self.auth {
            Some(auth) if auth.is_oauth2() => AuthKind::XOAuth2,
            Some(auth) if auth.has_login() => AuthKind::Login,
            _ => AuthKind::None,
        }
    }

    /// The name the server certificate must carry: `tls.servername`, `servername`, else `host`.
    pub fn tls_server_name(&self) -> &str {
        self.tls
            .servername
            .as_deref()
            .or(self.servername.as_deref())
            .unwrap_or(self.host.trim())
    }
}

/// How the connector authenticates, derived from `auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// No AUTH: a relay that authorises by IP address.
    None,
    /// User name and password (PLAIN or LOGIN).
    Login,
    /// XOAUTH2 with an OAuth 2.0 access token.
    XOAuth2,
}

/// A port as Logto configs write it: a number, or a numeric string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Port {
    /// A number, e.g. `465`.
    Number(i64),
    /// A numeric string, e.g. `"465"`.
    Text(String),
}

impl Port {
    /// The port, when it is in 1..=65535.
    pub fn number(&self) -> Option<u16> {
        let port = match self {
            Port::Number(number) => u16::try_from(*number).ok(),
            Port::Text(text) => text.trim().parse::<u16>().ok(),
        };
        port.filter(|port| *port != 0)
    }
}

/// One string, or a list of strings (a custom header's values, `tls.ca`'s certificates).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values, in order (a custom header then appears once per value).
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values in order.
    pub fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(value) => vec![value.as_str()],
            OneOrMany::Many(values) => values.iter().map(String::as_str).collect(),
        }
    }
}

/// Credentials (nodemailer's `auth`): `{user, pass}` for PLAIN/LOGIN, or
/// `{type: "oauth2", user, accessToken}` for XOAUTH2.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthConfig {
    /// The user name, usually the mailbox address.
    #[serde(default)]
    pub user: Option<String>,
    /// The password; for Gmail an app password.
    #[serde(default)]
    pub pass: Option<Secret>,
    /// `login` (user and password, the default) or `oauth2` (XOAUTH2). Case as Logto accepts it.
    #[serde(default, rename = "type")]
    pub auth_type: Option<AuthType>,
    /// XOAUTH2: the OAuth 2.0 access token sent as the password.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// nodemailer's token refresh, not supported: ignored; refresh `accessToken` yourself.
    #[serde(default)]
    pub client_id: Option<String>,
    /// nodemailer's token refresh, not supported: ignored.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// nodemailer's token refresh, not supported: ignored.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// nodemailer's token expiry (ms), ignored.
    #[serde(default)]
    pub expires: Option<f64>,
    /// nodemailer's token endpoint, ignored.
    #[serde(default)]
    pub access_url: Option<String>,
    /// nodemailer's service-account keys: not supported (give an `accessToken` instead).
    #[serde(default)]
    pub private_key: Option<PrivateKey>,
    /// nodemailer's service-account client id: not supported (see `privateKey`).
    #[serde(default)]
    pub service_client: Option<String>,
}

impl AuthConfig {
    fn is_oauth2(&self) -> bool {
        match self.auth_type {
            Some(AuthType::OAuth2) => true,
            Some(AuthType::Login) => false,
            // Logto's oauth2 guards leave `type` optional: any OAuth field means OAuth.
            None => {
                self.access_token.is_some()
                    || self.refresh_token.is_some()
                    || self.private_key.is_some()
                    || self.client_id.is_some()
            }
        }
    }

    fn user(&self) -> Option<&str> {
        self.user.as_deref().filter(|user| !user.is_empty())
    }

    fn pass(&self) -> Option<&Secret> {
        self.pass.as_ref().filter(|pass| !pass.is_empty())
    }

    fn has_login(&self) -> bool {
        self.user().is_some() && self.pass().is_some()
    }

    /// The user name and secret to authenticate with (the access token for XOAUTH2).
    pub fn credentials(&self) -> Option<(&str, &Secret)> {
        let user = self.user()?;
        if self.is_oauth2() {
            self.access_token
                .as_ref()
                .filter(|token| !token.is_empty())
                .map(|token| (user, token))
        } else {
            self.pass().map(|pass| (user, pass))
        }
    }
}

/// `auth.type`, in every spelling Logto's guard accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum AuthType {
    /// User name and password (`login`, `Login`, `LOGIN`).
    #[serde(rename = "login", alias = "Login", alias = "LOGIN")]
    Login,
    /// XOAUTH2 (`oauth2`, `OAuth2`, `OAUTH2`).
    #[serde(rename = "oauth2", alias = "OAuth2", alias = "OAUTH2")]
    OAuth2,
}

impl JsonSchema for AuthType {
    fn schema_name() -> Cow<'static, str> {
        "AuthType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["login", "Login", "LOGIN", "oauth2", "OAuth2", "OAUTH2"],
        })
    }
}

/// nodemailer's service-account key: PEM text, or `{key, passphrase}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PrivateKey {
    /// The key as PEM text.
    Pem(Secret),
    /// An encrypted key and its passphrase.
    Encrypted {
        /// The key as PEM text.
        key: Secret,
        /// The key's passphrase.
        passphrase: Secret,
    },
}

/// TLS options (the part of Node's `tls` options that applies here).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsConfig {
    /// Must stay `true`: certificate checks are never switched off. Trust a private or
    /// self-signed certificate with `ca` instead.
    #[serde(default)]
    pub reject_unauthorized: Option<bool>,
    /// The name the server's certificate is checked against, when it differs from `host`.
    #[serde(default)]
    pub servername: Option<String>,
    /// PEM certificates of the CAs to trust (text, or a list of texts). As in Node, they replace
    /// the public CAs: set it for a private CA or a self-signed server certificate.
    #[serde(default)]
    pub ca: Option<OneOrMany>,
    /// The lowest TLS version: `TLSv1.2` (the default) or `TLSv1.3`. `TLSv1` and `TLSv1.1` are
    /// accepted and mean `TLSv1.2`: older versions are never negotiated.
    #[serde(default)]
    pub min_version: Option<String>,
    /// Node cipher list, ignored: rustls negotiates only modern cipher suites.
    #[serde(default)]
    pub ciphers: Option<String>,
}

impl TlsConfig {
    /// The certificates of `ca`, parsed (empty when `ca` is not set).
    pub fn ca_certificates(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        let Some(ca) = &self.ca else {
            return Ok(Vec::new());
        };
        let mut certificates = Vec::new();
        for (index, pem) in ca.values().into_iter().enumerate() {
            let parsed = parse_pem_certificates(pem)
                .map_err(|problem| format!("certificate {}: {problem}", index + 1))?;
            certificates.extend(parsed);
        }
        Ok(certificates)
    }

    /// Whether `minVersion` asks for TLS 1.3.
    pub fn requires_tls13(&self) -> bool {
        self.min_version.as_deref().map(str::trim) == Some("TLSv1.3")
    }
}

/// Parses PEM text into certificates; refuses text without any.
pub fn parse_pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not valid PEM ({e})"))?;
    if certificates.is_empty() {
        return Err("no `-----BEGIN CERTIFICATE-----` block found".to_owned());
    }
    Ok(certificates)
}

impl ConnectorConfig for SmtpConfig {
    fn validate(&self, problems: &mut ConfigProblems) {
        if self.check_logto_placeholders(problems) {
            return;
        }
        self.check_host(problems);
        self.check_port_and_tls_mode(problems);
        self.check_tls(problems);
        self.check_auth(problems);
        if let Err(problem) = parse_mailbox(&self.from_email) {
            problems.push("fromEmail", problem);
        }
        if let Some(reply_to) = &self.reply_to {
            if let Err(problem) = parse_mailbox(reply_to) {
                problems.push("replyTo", problem);
            }
        }
        if let Some(name) = &self.name {
            if let Err(problem) = check_ehlo_name(name) {
                problems.push("name", problem);
            }
        }
        self.check_headers(problems);
        for (field, value) in [
            ("connectionTimeout", self.connection_timeout),
            ("greetingTimeout", self.greeting_timeout),
            ("socketTimeout", self.socket_timeout),
        ] {
            match value {
                Some(0) => problems.push(field, "must be at least 1 (milliseconds)"),
                Some(ms) if ms > MAX_TIMEOUT_MS => problems.push(
                    field,
                    format!("must be at most {MAX_TIMEOUT_MS} (one hour, in milliseconds)"),
                ),
                _ => {}
            }
        }
        if let Some(local) = &self.local_address {
            if local.trim().parse::<IpAddr>().is_err() {
                problems.push(
                    "localAddress",
                    format!("`{local}` is not an IP address of this machine"),
                );
            }
        }
        for (field, value) in [
            ("maxConnections", self.max_connections),
            ("maxMessages", self.max_messages),
        ] {
            if value == Some(0) {
                problems.push(field, "must be at least 1");
            }
        }
        if self.service.is_some() {
            problems.push(
                "service",
                "nodemailer's well-known services are not supported: set `host`, `port` and \
                 `secure` (the README has Gmail, SendGrid, SES and Aliyun examples)",
            );
        }
        EmailTemplates::check(&self.templates, "templates", problems);
    }
}

impl SmtpConfig {
    /// Logto's SMTP form ships `<host>`, `<username>`, `<password>`,
    /// `<from_email_address@your.domain>`...: the core's placeholder check misses those without a
    /// `-`, `_` or space, and the address ones parse as addresses. Reports them and returns whether
    /// there were any (then nothing else is worth checking).
    fn check_logto_placeholders(&self, problems: &mut ConfigProblems) -> bool {
        let wrapped = |value: &str| {
            let value = value.trim();
            value.len() > 2
                && value.starts_with('<')
                && value.ends_with('>')
                && !value.contains(' ')
        };
        let mut found = false;
        let mut flag = |path: &str| {
            problems.push(path, "placeholder not replaced: put the real value here");
            found = true;
        };
        let auth = self.auth.as_ref();
        let plain_fields = [
            ("host", Some(self.host.as_str())),
            ("name", self.name.as_deref()),
            ("servername", self.servername.as_deref()),
            ("localAddress", self.local_address.as_deref()),
            ("tls.servername", self.tls.servername.as_deref()),
            ("auth.user", auth.and_then(|a| a.user.as_deref())),
            (
                "auth.pass",
                auth.and_then(|a| a.pass.as_ref()).map(Secret::expose),
            ),
        ];
        for (path, value) in plain_fields {
            if value.is_some_and(wrapped) {
                flag(path);
            }
        }
        for (path, value) in [
            ("fromEmail", Some(self.from_email.as_str())),
            ("replyTo", self.reply_to.as_deref()),
        ] {
            if value.is_some_and(|v| {
                wrapped(v) && v.trim().trim_end_matches('>').ends_with("@your.domain")
            }) {
                flag(path);
            }
        }
        found
    }

    fn check_host(&self, problems: &mut ConfigProblems) {
        let host = self.host.trim();
        if host.is_empty() {
            problems.push("host", "must not be empty");
        } else if host.contains("://") {
            problems.push(
                "host",
                "write the host name only, e.g. `smtp.gmail.com` (no `smtp://` scheme)",
            );
        } else if host.parse::<IpAddr>().is_err() && host.contains(':') {
            problems.push("host", "write the host name only and the port in `port`");
        } else if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            problems.push("host", "must not contain spaces or control characters");
        }
    }

    /// Quirk 8: the TLS mode must match the port, and the three TLS flags must agree.
    fn check_port_and_tls_mode(&self, problems: &mut ConfigProblems) {
        let Some(port) = self.port.number() else {
            problems.push("port", "must be a port number between 1 and 65535");
            return;
        };
        if self.secure && self.ignore_tls {
            problems.push(
                "ignoreTLS",
                "contradicts `secure: true` (implicit TLS always encrypts): remove one of them",
            );
        }
        if self.require_tls && self.ignore_tls {
            problems.push(
                "ignoreTLS",
                "contradicts `requireTLS: true`: STARTTLS cannot be both required and ignored",
            );
        }
        if port == 465 && !self.secure {
            problems.push(
                "secure",
                "port 465 expects implicit TLS: set `secure: true` (without it the connector \
                 waits for a plaintext greeting the server never sends, until it times out)",
            );
        }
        if matches!(port, 25 | 587) && self.secure {
            problems.push(
                "secure",
                format!(
                    "port {port} uses STARTTLS: set `secure: false` (STARTTLS still encrypts); \
                     `secure: true` on port {port} fails with \"wrong version number\""
                ),
            );
        }
    }

    fn check_tls(&self, problems: &mut ConfigProblems) {
        if self.tls.reject_unauthorized == Some(false) {
            problems.push(
                "tls.rejectUnauthorized",
                "certificate checks cannot be switched off: put the server's certificate (or its \
                 CA's) in `tls.ca` as PEM text, and set `tls.servername` if it names another host",
            );
        }
        if let (Some(a), Some(b)) = (&self.tls.servername, &self.servername) {
            if a.trim() != b.trim() {
                problems.push(
                    "servername",
                    "differs from `tls.servername`: they are the same setting, keep one",
                );
            }
        }
        let name = self.tls_server_name().trim();
        if !name.is_empty() && ServerName::try_from(name).is_err() {
            let field = if self.tls.servername.is_some() {
                "tls.servername"
            } else if self.servername.is_some() {
                "servername"
            } else {
                "host"
            };
            problems.push(
                field,
                format!(
                    "`{name}` is not a DNS name or IP address a certificate can be checked against"
                ),
            );
        }
        if let Err(problem) = self.tls.ca_certificates() {
            problems.push("tls.ca", problem);
        }
        if let Some(version) = &self.tls.min_version {
            if !matches!(version.trim(), "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3") {
                problems.push(
                    "tls.minVersion",
                    format!("`{version}` is not one of `TLSv1.2`, `TLSv1.3`"),
                );
            }
        }
    }

    fn check_auth(&self, problems: &mut ConfigProblems) {
        let method = self.auth_method.as_deref().map(str::to_ascii_uppercase);
        if let Some(method) = &method {
            if !matches!(method.as_str(), "PLAIN" | "LOGIN" | "XOAUTH2") {
                problems.push("authMethod", "must be `PLAIN`, `LOGIN` or `XOAUTH2`");
            }
        }
        let Some(auth) = &self.auth else {
            return;
        };
        if auth.is_oauth2() {
            if auth.user().is_none() {
                problems.push(
                    "auth.user",
                    "XOAUTH2 needs the mailbox address in `auth.user`",
                );
            }
            if auth.access_token.as_ref().is_none_or(Secret::is_empty) {
                let unsupported = if auth.private_key.is_some() || auth.service_client.is_some() {
                    "service-account keys (`privateKey`, `serviceClient`) are"
                } else {
                    "token refresh (`clientId`, `clientSecret`, `refreshToken`) is"
                };
                problems.push(
                    "auth.accessToken",
                    format!(
                        "XOAUTH2 needs an access token in `auth.accessToken`: {unsupported} not \
                         supported; or use a password (for Gmail an app password)"
                    ),
                );
            }
            if method.as_deref().is_some_and(|m| m != "XOAUTH2") {
                problems.push(
                    "authMethod",
                    "`auth.type` is `oauth2`: the method is XOAUTH2",
                );
            }
        } else {
            // An IP-authorised relay has neither; half a credential is a mistake.
            match (auth.user().is_some(), auth.pass().is_some()) {
                (true, false) => {
                    problems.push("auth.pass", "`auth.user` is set but `auth.pass` is missing")
                }
                (false, true) => {
                    problems.push("auth.user", "`auth.pass` is set but `auth.user` is missing")
                }
                _ => {}
            }
            if method.as_deref() == Some("XOAUTH2") {
                problems.push(
                    "authMethod",
                    "XOAUTH2 needs `auth.type: oauth2` and `auth.accessToken`",
                );
            }
        }
    }

    fn check_headers(&self, problems: &mut ConfigProblems) {
        let mut seen: Vec<String> = Vec::new();
        for (name, values) in &self.custom_headers {
            let path = format!("customHeaders.{name}");
            let lower = name.to_ascii_lowercase();
            if !is_header_name(name) {
                problems.push(
                    &path,
                    "a header name is 1 to 76 printable ASCII characters without `:` or spaces",
                );
            } else if RESERVED_HEADERS.contains(&lower.as_str()) {
                problems.push(
                    &path,
                    format!("`{name}` is written by the connector (from `fromEmail`, `replyTo`, the message and its template) and cannot be set here"),
                );
            } else if seen.contains(&lower) {
                problems.push(
                    &path,
                    "given twice (header names ignore case): merge them into one list",
                );
            }
            seen.push(lower);
            let values = values.values();
            if values.is_empty() {
                problems.push(&path, "give at least one value");
            }
            for value in values {
                if value.contains(['\r', '\n']) {
                    problems.push(
                        &path,
                        "a header value must not contain line breaks (CR or LF)",
                    );
                } else if value.chars().any(|c| c.is_control() && c != '\t') {
                    problems.push(&path, "a header value must not contain control characters");
                }
            }
        }
    }
}

/// RFC 5322 field name (printable ASCII without `:`), within lettre's 76-character limit.
fn is_header_name(name: &str) -> bool {
    (1..=76).contains(&name.len()) && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// The EHLO name: an ASCII host name or an IP address (quirk 8: servers answer a non-ASCII
/// name with `501 5.5.4`).
pub fn check_ehlo_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("must not be empty (leave it out to use this machine's host name)".to_owned());
    }
    if !name.is_ascii() {
        return Err(format!(
            "`{name}` is not ASCII: SMTP servers answer a non-ASCII EHLO name with \
             \"501 5.5.4 Invalid domain name\"; use this machine's fully-qualified host name \
             (punycode for international names)"
        ));
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    if literal.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if name.split('.').all(|label| {
        !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a host name: use letters, digits, `-` and dots, e.g. `mail.example.com`"
        ))
    }
}

/// Parses `addr` or `Name <addr>` (the display name may be quoted) into exactly one mailbox.
///
/// Stricter than lettre's parser, which stops after the first mailbox and ignores the rest: a
/// list, or text after the address, is refused here instead of silently dropped.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    if text.contains(['\r', '\n']) {
        return Err("must not contain line breaks (CR or LF)".to_owned());
    }
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let Some(open) = text.find('<') else {
        return Address::from_str(text)
            .map(|address| Mailbox::new(None, address))
            .map_err(|_| {
                format!("`{text}` is not an e-mail address, e.g. `no-reply@example.com`")
            });
    };
    let Some(inner) = text[open + 1..].strip_suffix('>') else {
        return Err(format!(
            "`{text}` must end with the address in angle brackets, e.g. `Example <no-reply@example.com>`"
        ));
    };
    let address = Address::from_str(inner.trim())
        .map_err(|_| format!("`{inner}` is not an e-mail address"))?;
    let raw_name = text[..open].trim();
    let name = match raw_name
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => raw_name.to_owned(),
    };
    if name.contains(['<', '>']) || (!raw_name.starts_with('"') && name.contains(['"', ','])) {
        return Err(format!(
            "`{text}` is not one mailbox: quote a display name with commas, e.g. `\"Example, Inc.\" <no-reply@example.com>`"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the display name must not contain control characters".to_owned());
    }
    Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_parse_with_and_without_display_name() {
        let plain = parse_mailbox("no-reply@example.com").expect("plain");
        assert_eq!(plain.name, None);
        assert_eq!(plain.email.to_string(), "no-reply@example.com");
        let named = parse_mailbox("Acme Sign-in <no-reply@example.com>").expect("named");
        assert_eq!(named.name.as_deref(), Some("Acme Sign-in"));
        let quoted = parse_mailbox("\"Acme, Inc.\" <no-reply@example.com>").expect("quoted");
        assert_eq!(quoted.name.as_deref(), Some("Acme, Inc."));
    }

    #[test]
    fn lists_and_trailing_text_are_not_one_mailbox() {
        for text in [
            "a@example.com, b@example.com",
            "A <a@example.com>, B <b@example.com>",
            "A <a@example.com> extra",
            "a@example.com\r\nBcc: x@example.com",
            "not an address",
            "",
        ] {
            assert!(parse_mailbox(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn ehlo_names_must_be_ascii_host_names() {
        assert!(check_ehlo_name("mail.example.com").is_ok());
        assert!(check_ehlo_name("[192.0.2.1]").is_ok());
        let err = check_ehlo_name("邮件.example.com").expect_err("non-ASCII");
        assert!(err.contains("501 5.5.4"), "{err}");
        assert!(check_ehlo_name("two words").is_err());
    }

    #[test]
    fn ports_accept_numbers_and_numeric_strings() {
        assert_eq!(Port::Number(465).number(), Some(465));
        assert_eq!(Port::Text(" 587 ".into()).number(), Some(587));
        assert_eq!(Port::Number(0).number(), None);
        assert_eq!(Port::Number(70_000).number(), None);
        assert_eq!(Port::Text("smtp".into()).number(), None);
    }
}
