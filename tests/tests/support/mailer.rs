//! A minimal SMTP e-mail connector ("Mailer") on lettre, with one deliberate flaw at a time, and
//! its fixture: what the testkit runs its e-mail suite against.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connector_core::{
    config_schema, parse_config, AnyConnector, ConnectorConfig, ConnectorContext, ConnectorError,
    ConnectorFactory, ConnectorMetadata, ConnectorPlatform, ConnectorType, Delivery,
    EmailConnector, EmailMessage, ErrorCode, Result, Secret, UsageType,
};
use connector_testkit::email::EmailFixture;
use connector_testkit::smtp::{SmtpServer, SmtpServerBuilder};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{json, Value};
use tracing::instrument::WithSubscriber as _;
use tracing::subscriber::NoSubscriber;

/// The SMTP password of the fixture's servers.
pub const PASSWORD: &str = "mailer-smtp-password-93c1";

/// What is wrong with the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFlaw {
    /// Nothing: it conforms.
    None,
    /// Prints the SMTP password in `Debug`.
    LeaksPasswordInDebug,
    /// Reports 4xx replies as permanent failures.
    TransientIsPermanent,
    /// Sends to every address in a recipient list.
    SendsToLists,
    /// Logs its SMTP exchange at DEBUG, `AUTH PLAIN <base64 password>` included, as an SMTP
    /// library with wire logging on does.
    LogsSmtpAuth,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MailConfig {
    host: String,
    port: u16,
    from_email: String,
    auth: Option<MailAuth>,
    subject: String,
    content: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct MailAuth {
    user: String,
    pass: Secret,
}

impl ConnectorConfig for MailConfig {}

pub struct MailerFactory(pub MailFlaw);

impl ConnectorFactory for MailerFactory {
    fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata::new(
            "mailer",
            "mailer",
            ConnectorType::Email,
            ConnectorPlatform::Universal,
        )
        .with_name("en", "Mailer")
        .with_description("en", "One-time codes by e-mail.")
        .with_logo_svg(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#)
        .with_readme("# Mailer")
        .with_config_schema(config_schema::<MailConfig>())
    }

    fn create(&self, config: Value, _ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: MailConfig = parse_config(config)?;
        let from: Mailbox = config
            .from_email
            .parse()
            .map_err(|_| ConnectorError::invalid_config("fromEmail: not an address"))?;
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(Duration::from_secs(2)));
        if let Some(auth) = &config.auth {
            transport = transport.credentials(Credentials::new(
                auth.user.clone(),
                auth.pass.expose().to_owned(),
            ));
        }
        Ok(AnyConnector::Email(Arc::new(Mailer {
            meta: self.metadata(),
            from,
            password: config.auth.map(|a| a.pass),
            subject: config.subject,
            content: config.content,
            transport: transport.build(),
            flaw: self.0,
        })))
    }
}

struct Mailer {
    meta: ConnectorMetadata,
    from: Mailbox,
    password: Option<Secret>,
    subject: String,
    content: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    flaw: MailFlaw,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Mailer");
        s.field("from", &self.from.to_string());
        if self.flaw == MailFlaw::LeaksPasswordInDebug {
            s.field("password", &self.password.as_ref().map(Secret::expose));
        }
        s.finish_non_exhaustive()
    }
}

#[async_trait]
impl EmailConnector for Mailer {
    fn metadata(&self) -> &ConnectorMetadata {
        &self.meta
    }

    async fn send(&self, message: EmailMessage) -> Result<Delivery> {
        let refuse = |why: &str| ConnectorError::new(ErrorCode::InvalidRequestParameters, why);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(self.subject.clone());
        if self.flaw == MailFlaw::SendsToLists {
            for to in message.to.split(',') {
                builder = builder.to(to.trim().parse().map_err(|_| refuse("bad `to`"))?);
            }
        } else {
            if message.to.contains([',', '\r', '\n', '<']) {
                return Err(refuse("`to` must be exactly one address"));
            }
            builder = builder.to(message.to.trim().parse().map_err(|_| refuse("bad `to`"))?);
        }
        let code = message
            .payload
            .get("code")
            .and_then(Value::as_str)
            .ok_or_else(|| refuse("no `code` to send"))?;
        let email = builder
            .body(self.content.replace("{{code}}", code))
            .map_err(|e| ConnectorError::general(format!("could not build the message: {e}")))?;
        // lettre logs every line it writes at DEBUG, the AUTH exchange included: silence it.
        // lettre's async transport bounds the TCP connect only: bound the whole exchange.
        let bound = Duration::from_secs(2);
        let exchange = self.transport.send(email);
        let sent = if self.flaw == MailFlaw::LogsSmtpAuth {
            if let Some(password) = &self.password {
                use base64::Engine as _;
                let plain = format!("\0{}\0{}", self.from.email, password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
                tracing::debug!("C: AUTH PLAIN {encoded}");
            }
            tokio::time::timeout(bound, exchange).await
        } else {
            let silenced = exchange.with_subscriber(NoSubscriber::default());
            tokio::time::timeout(bound, silenced).await
        };
        let Ok(sent) = sent else {
            return Err(
                ConnectorError::general("the SMTP server did not answer within 2 s")
                    .retryable(true),
            );
        };
        match sent {
            Ok(_) => Ok(Delivery::new(message.to.trim(), UsageType::Generic)),
            Err(e) if e.is_permanent() => Err(ConnectorError::general(format!("refused: {e}"))),
            Err(e) if e.is_transient() => Err(ConnectorError::general(format!("try later: {e}"))
                .retryable(self.flaw != MailFlaw::TransientIsPermanent)),
            Err(e) => Err(ConnectorError::general(format!("SMTP failed: {e}")).retryable(true)),
        }
    }
}

/// The fixture for a Mailer with `flaw`.
pub struct MailerFixture(pub MailFlaw);

impl EmailFixture for MailerFixture {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(MailerFactory(self.0))
    }

    fn server(&self) -> SmtpServerBuilder {
        SmtpServer::builder().auth("mailer@example.test", PASSWORD)
    }

    fn good_config(&self, server: &SmtpServer) -> Value {
        let mut config = server.connector_config();
        config["fromEmail"] = json!("no-reply@example.test");
        config["subject"] = json!("Your sign-in code");
        config["content"] = json!("Your code is {{code}}.");
        config
    }

    fn expected_subject(&self) -> String {
        "Your sign-in code".to_owned()
    }

    fn bad_inputs(&self) -> Vec<(EmailMessage, ErrorCode)> {
        let to = |to: &str| EmailMessage::new(to, UsageType::SignIn).with_code("123456");
        vec![
            (
                to("ada@example.test, eve@example.test"),
                ErrorCode::InvalidRequestParameters,
            ),
            (
                to("ada@example.test\r\nBcc: eve@example.test"),
                ErrorCode::InvalidRequestParameters,
            ),
            (
                EmailMessage::new("ada@example.test", UsageType::SignIn),
                ErrorCode::InvalidRequestParameters,
            ),
        ]
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![(
            json!({"host": "127.0.0.1", "port": "not a port", "fromEmail": "a@example.test",
                   "subject": "s", "content": "c"}),
            "port",
        )]
    }

    fn secrets(&self) -> Vec<String> {
        vec![PASSWORD.to_owned()]
    }

    fn stalled_server_bound(&self) -> Option<Duration> {
        Some(Duration::from_secs(3))
    }
}
