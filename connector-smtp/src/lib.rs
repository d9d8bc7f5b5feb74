//! One-time codes by e-mail through any SMTP server, on lettre: a Logto-compatible e-mail connector.
//!
//! A Logto SMTP connector config (nodemailer's options) creates a connector as it is; see
//! [`config::SmtpConfig`] and the operator guide in this crate's README (also the connector's
//! `readme` metadata). What this connector does that Logto's does not:
//!
//! - one set of pooled SMTP connections per connector, shared by every task, at most
//!   `maxConnections` open (Logto opens a new transport per message);
//! - templates compiled once at create, values HTML-escaped in `text/html` templates, a template
//!   per locale;
//! - `to` is exactly one address, and no header (subject, custom header, address) can carry a line
//!   break, so message values cannot inject headers or recipients;
//! - SMTP failures mapped to stable error codes saying what is likely wrong (wrong TLS mode for
//!   the port, rejected credentials, EHLO name), retryable or not;
//! - certificate checks are never switched off: a private CA goes in `tls.ca`.
//!
//! ```no_run
//! use connector_core::{ConnectorContext, ConnectorRegistry, EmailMessage, UsageType};
//!
//! # async fn demo() -> connector_core::Result<()> {
//! let mut registry = ConnectorRegistry::new();
//! registry.register(connector_smtp::SmtpFactory::new())?;
//! let config = serde_json::json!({
//!     "host": "smtp.example.com",
//!     "port": 587,
//!     "requireTLS": true,
//!     "auth": {"user": "mailer@example.com", "pass": "app-password"},
//!     "fromEmail": "Example <no-reply@example.com>",
//!     "templates": [{
//!         "usageType": "Generic", "contentType": "text/plain",
//!         "subject": "Your code", "content": "Your code is {{code}}."
//!     }]
//! });
//! let connector = registry
//!     .create(connector_smtp::FACTORY_ID, config, &ConnectorContext::default())?
//!     .into_email()?;
//! let delivery = connector
//!     .send(EmailMessage::new("ada@example.com", UsageType::SignIn).with_code("123456"))
//!     .await?;
//! println!("{:?}", delivery.server_reply);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod api;
pub mod config;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use connector_core::email_templates::EmailTemplates;
use connector_core::template::ContentType as TemplateContentType;
use connector_core::{
    async_trait, config_schema, parse_config, AnyConnector, ConnectorContext, ConnectorError,
    ConnectorFactory, ConnectorMetadata, ConnectorPlatform, ConnectorType, Delivery,
    EmailConnector, EmailMessage, ErrorCode, Result,
};
use lettre::message::header::{ContentType, HeaderName, HeaderValue, Headers};
use lettre::message::Mailbox;
use lettre::{Address, Message};
use rustls::pki_types::CertificateDer;

use crate::api::{format_reply, Settings, SmtpPool};
use crate::config::{parse_mailbox, parse_pem_certificates, SmtpConfig};

/// The factory id, Logto's: `simple-mail-transfer-protocol`.
pub const FACTORY_ID: &str = "simple-mail-transfer-protocol";

/// The provider target: `smtp`.
pub const TARGET: &str = "smtp";

/// Creates SMTP connectors from Logto-shaped JSON configs.
///
/// [`SmtpFactory::with_trusted_ca`] adds a CA every connector of this factory trusts, set in code
/// by the embedding server (a company CA), on top of each config's `tls.ca`.
#[derive(Debug, Clone, Default)]
pub struct SmtpFactory {
    extra_roots: Vec<CertificateDer<'static>>,
}

impl SmtpFactory {
    /// A factory trusting the public CAs (and each config's `tls.ca`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Also trusts the CA certificates in `pem` for every connector this factory creates.
    ///
    /// `invalid_config` when `pem` holds no certificate.
    pub fn with_trusted_ca(mut self, pem: &str) -> Result<Self> {
        let certificates = parse_pem_certificates(pem)
            .map_err(|problem| ConnectorError::invalid_config(format!("trusted CA: {problem}")))?;
        self.extra_roots.extend(certificates);
        Ok(self)
    }
}

/// Built once and shared by every connector (a multi-tenant server holds thousands): the readme,
/// logo and config schema are the same for all, so neither `create` nor an instance copies them.
static METADATA: LazyLock<ConnectorMetadata> = LazyLock::new(|| {
    ConnectorMetadata::new(
        FACTORY_ID,
        TARGET,
        ConnectorType::Email,
        ConnectorPlatform::Universal,
    )
    .with_name("en", "SMTP")
    .with_name("zh-CN", "SMTP 邮件")
    .with_name("ja", "SMTP メール")
    .with_description(
        "en",
        "Sends one-time codes by e-mail through any SMTP server: Gmail, SendGrid, Amazon SES, \
         Aliyun DirectMail or your own relay.",
    )
    .with_description(
        "zh-CN",
        "通过任意 SMTP 服务器（Gmail、SendGrid、Amazon SES、阿里云邮件推送或自建中继）发送电子邮件验证码。",
    )
    .with_description(
        "ja",
        "任意の SMTP サーバー（Gmail、SendGrid、Amazon SES、Aliyun DirectMail、自前のリレー）からワンタイムコードをメールで送信します。",
    )
    .with_logo_svg(include_str!("logo.svg"))
    .with_readme(include_str!("../README.md"))
    .with_config_schema(config_schema::<SmtpConfig>())
});

impl ConnectorFactory for SmtpFactory {
    fn metadata(&self) -> ConnectorMetadata {
        METADATA.clone()
    }

    fn create(&self, config: serde_json::Value, _ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: SmtpConfig = parse_config(config)?;
        let connector = SmtpConnector::new(&config, &self.extra_roots)?;
        Ok(AnyConnector::Email(Arc::new(connector)))
    }
}

/// A configured SMTP connector. Cheap to share (`Arc`): every task sends through the same pooled
/// connections.
pub struct SmtpConnector {
    templates: EmailTemplates,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The custom headers, encoded once at create (RFC 2047 for non-ASCII values).
    custom_headers: String,
    pool: SmtpPool,
}

impl SmtpConnector {
    fn new(config: &SmtpConfig, extra_roots: &[CertificateDer<'static>]) -> Result<Self> {
        let invalid = |field: &str, problem: String| {
            ConnectorError::invalid_config(format!("{field}: {problem}"))
        };
        Ok(Self {
            templates: EmailTemplates::compile(&config.templates)?,
            from: parse_mailbox(&config.from_email).map_err(|p| invalid("fromEmail", p))?,
            reply_to: config
                .reply_to
                .as_deref()
                .map(parse_mailbox)
                .transpose()
                .map_err(|p| invalid("replyTo", p))?,
            custom_headers: encode_custom_headers(config)?,
            pool: SmtpPool::new(Settings::from_config(config, extra_roots)?),
        })
    }
}

/// The custom headers as header lines, one per value, in config order.
fn encode_custom_headers(config: &SmtpConfig) -> Result<String> {
    let mut lines = String::new();
    for (name, values) in &config.custom_headers {
        let header_name = HeaderName::new_from_ascii(name.clone()).map_err(|_| {
            ConnectorError::invalid_config(format!("customHeaders.{name}: not a header name"))
        })?;
        for value in values.values() {
            // One `Headers` per line: lettre keeps a single value per name, and a header given as
            // a list must appear once per value.
            let mut header = Headers::new();
            header.insert_raw(HeaderValue::new(header_name.clone(), value.to_owned()));
            lines.push_str(&header.to_string());
        }
    }
    Ok(lines)
}

/// `to` must be exactly one bare address: a list, a display name or anything after a line break
/// is refused, never delivered to whichever part parses.
fn parse_recipient(to: &str) -> Result<Address> {
    let refuse = |why: &str| {
        ConnectorError::new(
            ErrorCode::InvalidRequestParameters,
            format!("`to` {why}: nothing was sent"),
        )
    };
    if to.contains(['\r', '\n']) {
        return Err(refuse("contains a line break (CR or LF)"));
    }
    let to = to.trim();
    if to.is_empty() {
        return Err(refuse("is empty"));
    }
    if to.contains([',', ';', '<', '>']) || to.matches('@').count() > 1 {
        return Err(refuse("must be exactly one e-mail address, not a list"));
    }
    Address::from_str(to).map_err(|_| refuse("is not a valid e-mail address"))
}

#[async_trait]
impl EmailConnector for SmtpConnector {
    fn metadata(&self) -> &ConnectorMetadata {
        &METADATA
    }

    async fn send(&self, message: EmailMessage) -> Result<Delivery> {
        // Everything that can refuse the message runs before a connection is touched.
        let to = parse_recipient(&message.to)?;
        let rendered = self.templates.render(&message)?;
        let content_type = match rendered.content_type {
            TemplateContentType::TextHtml => ContentType::TEXT_HTML,
            TemplateContentType::TextPlain => ContentType::TEXT_PLAIN,
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to.clone()))
            .subject(rendered.subject)
            .message_id(None)
            .header(content_type);
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let email = builder
            .body(rendered.body)
            .map_err(|e| ConnectorError::general(format!("the message could not be built: {e}")))?;
        let mut raw = Vec::with_capacity(self.custom_headers.len() + 1024);
        raw.extend_from_slice(self.custom_headers.as_bytes());
        raw.extend_from_slice(&email.formatted());

        let usage = rendered.template_usage;
        let response = match self.pool.send(email.envelope(), &raw).await {
            Ok(response) => response,
            Err(err) => {
                tracing::debug!(
                    connector = FACTORY_ID,
                    %usage,
                    code = %err.code(),
                    retryable = err.is_retryable(),
                    "e-mail not delivered: {}",
                    err.message()
                );
                return Err(err);
            }
        };
        let reply = format_reply(&response);
        tracing::debug!(connector = FACTORY_ID, %usage, reply = %reply, "e-mail delivered");
        let mut delivery = Delivery::new(to.to_string(), usage);
        delivery.template_locale = rendered.template_locale;
        delivery.server_reply = Some(reply);
        Ok(delivery)
    }
}

impl fmt::Debug for SmtpConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConnector")
            .field("id", &METADATA.id)
            .field("from", &self.from.to_string())
            .field("smtp", self.pool.settings())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_exactly_one_address() {
        assert_eq!(
            parse_recipient(" ada@example.com ")
                .expect("valid")
                .to_string(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@example.com, eve@example.com",
            "ada@example.com;eve@example.com",
            "Ada <ada@example.com>",
            "ada@example.com\r\nBcc: eve@example.com",
            "ada@example.com\n",
            "ada@@example.com",
        ] {
            let err = parse_recipient(bad).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::InvalidRequestParameters, "{bad:?}");
        }
    }

    #[test]
    fn metadata_is_complete() {
        let meta = SmtpFactory::new().metadata();
        meta.validate().expect("valid metadata");
        assert_eq!(meta.id, "simple-mail-transfer-protocol");
        assert_eq!(meta.target, "smtp");
        assert_eq!(meta.display_name("ja"), "SMTP メール");
        assert!(meta.config_schema["properties"]["requireTLS"].is_object());
    }
}
