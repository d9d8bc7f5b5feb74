//! What the global flags set up: the shared HTTP client (timeout, extra CA), the endpoint
//! override, and loading config files.

use std::path::Path;
use std::time::Duration;

use connector_core::{ConnectorContext, ConnectorError, ErrorCode, HttpClient, Result};
use serde_json::Value;
use url::Url;

use crate::cli::GlobalArgs;
use crate::redact::Redactor;

/// Settings shared by every command, built once from the global flags.
#[derive(Debug, Clone)]
pub struct Settings {
    base_url: Option<Url>,
    http: HttpClient,
    ca_pem: Option<String>,
    timeout: Duration,
    timeout_given: bool,
}

/// The provider request timeout when `--timeout` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Settings {
    /// Reads `--ca-cert` (a missing or unreadable file, or one with no PEM certificate, is an
    /// `invalid_certificate` error) and builds the shared HTTP client.
    pub fn new(
        base_url: Option<Url>,
        ca_cert: Option<&Path>,
        timeout: Option<Duration>,
    ) -> Result<Self> {
        let timeout_given = timeout.is_some();
        let timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut builder = HttpClient::builder().timeout(timeout);
        let mut ca_pem = None;
        if let Some(path) = ca_cert {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                ConnectorError::new(
                    ErrorCode::InvalidCertificate,
                    format!("cannot read the --ca-cert file `{}`: {e}", path.display()),
                )
            })?;
            builder = builder
                .add_root_certificates_pem(pem.as_bytes())
                .map_err(|e| e.context(&format!("--ca-cert `{}`", path.display())))?;
            ca_pem = Some(pem);
        }
        Ok(Self {
            base_url,
            http: builder.build()?,
            ca_pem,
            timeout,
            timeout_given,
        })
    }

    /// Settings from the parsed global flags.
    pub fn from_args(args: &GlobalArgs) -> Result<Self> {
        Self::new(
            args.base_url.clone(),
            args.ca_cert.as_deref(),
            args.timeout.map(Duration::from_secs),
        )
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The `--base-url` override, if any.
    pub fn base_url(&self) -> Option<&Url> {
        self.base_url.as_ref()
    }

    /// The provider request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether `--timeout` was given (the SMTP connector's own timeouts are kept otherwise).
    pub fn timeout_given(&self) -> bool {
        self.timeout_given
    }

    /// The `--ca-cert` PEM text, for SMTP TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A connector context on the shared client, rebased onto `--base-url` when given.
    pub fn context(&self) -> ConnectorContext {
        let ctx = ConnectorContext::new(self.http.clone());
        match &self.base_url {
            Some(base) => ctx.with_base_url(base.clone()),
            None => ctx,
        }
    }

    /// A connector context on the shared client, rebased onto `base` (a simulator).
    pub fn context_at(&self, base: &Url) -> ConnectorContext {
        ConnectorContext::new(self.http.clone()).with_base_url(base.clone())
    }
}

/// A config file's JSON and the secret values in it.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The config.
    pub value: Value,
    /// Its secret values, to scrub from output.
    pub secrets: Redactor,
}

/// Reads a config file. Failures are `invalid_config` errors naming the file; a JSON syntax error
/// gives the line and column, never the text around it (it may be a secret).
pub fn load_config(path: &Path) -> Result<LoadedConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConnectorError::invalid_config(format!(
            "cannot read the config file `{}`: {e}",
            path.display()
        ))
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        ConnectorError::invalid_config(format!(
            "the config file `{}` is not valid JSON: {} at line {} column {}",
            path.display(),
            syntax_problem(&e),
            e.line(),
            e.column()
        ))
    })?;
    let secrets = Redactor::from_config(&value);
    Ok(LoadedConfig { value, secrets })
}

/// serde_json's error category in words, without the message (which can quote the input).
fn syntax_problem(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "unexpected end of file",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}
