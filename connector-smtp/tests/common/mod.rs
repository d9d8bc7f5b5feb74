//! Helpers shared by the integration tests: configs pointing at the test SMTP server, connectors,
//! messages.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use connector_core::{
    ConnectorContext, ConnectorError, ConnectorFactory, EmailConnector, EmailMessage, UsageType,
};
use connector_smtp::SmtpFactory;
use connector_testkit::smtp::{ReceivedMail, SmtpServer};
use serde_json::{json, Value};

/// Long enough for a slow CI machine; only an upper bound against hangs.
pub const WAIT: Duration = Duration::from_secs(20);

pub const PASSWORD: &str = "s3cret-app-password";

/// Templates covering every usage type: a Generic fallback, some usage types of their own, HTML
/// and localized ones.
pub fn templates() -> Value {
    json!([
        {"usageType": "Generic", "contentType": "text/plain",
         "subject": "Your Acme code", "content": "Your code is {{code}}."},
        {"usageType": "SignIn", "contentType": "text/html",
         "subject": "Sign in to {{application.name}}",
         "content": "<p>Hello {{user.name}}, your code is <b>{{code}}</b>.</p>"},
        {"usageType": "SignIn", "contentType": "text/plain",
         "subject": "Connexion", "content": "Votre code : {{code}}", "locale": "fr"},
        {"usageType": "Register", "contentType": "text/plain",
         "subject": "Welcome to Acme", "content": "Register with <<code>>."},
        {"usageType": "ForgotPassword", "contentType": "text/plain",
         "subject": "重置密码", "content": "您的验证码是 {{code}}", "locale": "zh-CN"},
        {"usageType": "ForgotPassword", "contentType": "text/plain",
         "subject": "Reset your password", "content": "Reset code: {{code}}"},
        {"usageType": "OrganizationInvitation", "contentType": "text/plain",
         "subject": "Join {{organization.name}}", "content": "Code {{code}} for {{organization.name}}"},
    ])
}

/// A complete config for `server`, with `extra` merged over it (a `null` removes a field).
pub fn config_for(server: &SmtpServer, extra: Value) -> Value {
    let mut config = server.connector_config();
    config["fromEmail"] = json!("Acme Sign-in <no-reply@acme.test>");
    config["replyTo"] = json!("Acme Support <support@acme.test>");
    config["customHeaders"] = json!({"X-Campaign": "verification", "X-Tag": ["codes", "sign-in"]});
    config["templates"] = templates();
    merge(&mut config, extra);
    config
}

pub fn merge(config: &mut Value, extra: Value) {
    if let (Value::Object(base), Value::Object(extra)) = (config, extra) {
        for (key, value) in extra {
            if value.is_null() {
                base.remove(&key);
            } else {
                base.insert(key, value);
            }
        }
    }
}

pub fn create(config: Value) -> Result<Arc<dyn EmailConnector>, ConnectorError> {
    SmtpFactory::new()
        .create(config, &ConnectorContext::default())?
        .into_email()
}

pub fn connector(config: Value) -> Arc<dyn EmailConnector> {
    create(config).expect("the test config creates a connector")
}

pub fn create_error(config: Value) -> ConnectorError {
    create(config).expect_err("the config must be refused")
}

/// A message with every value the test templates use.
pub fn message(to: &str, usage: UsageType) -> EmailMessage {
    EmailMessage::new(to, usage)
        .with_code("482913")
        .with_value("application", json!({"name": "Acme"}))
        .with_value("user", json!({"name": "Ada"}))
        .with_value("organization", json!({"name": "Analytical Engines"}))
}

pub async fn one_message(server: &SmtpServer) -> ReceivedMail {
    let mut mails = server.wait_for_messages(1, WAIT).await;
    assert_eq!(mails.len(), 1, "exactly one message expected");
    mails.remove(0)
}

/// What every delivery through `config_for` carries: envelope and `To` for `to` only, the `From`
/// display name, `Reply-To`, the custom headers, and a UTF-8 text body of the given MIME type
/// holding the code.
pub fn assert_standard_message(mail: &ReceivedMail, to: &str, mime: &str) {
    assert_eq!(mail.from, "no-reply@acme.test");
    assert_eq!(mail.to, [to]);
    assert_eq!(mail.header("To").as_deref(), Some(to));
    let from = mail.header("From").expect("From header");
    assert!(
        from.contains("Acme Sign-in") && from.contains("<no-reply@acme.test>"),
        "{from}"
    );
    let reply_to = mail.header("Reply-To").expect("Reply-To header");
    assert!(
        reply_to.contains("Acme Support") && reply_to.contains("<support@acme.test>"),
        "{reply_to}"
    );
    assert_eq!(mail.header("X-Campaign").as_deref(), Some("verification"));
    assert_eq!(mail.headers("X-Tag"), ["codes", "sign-in"]);
    assert_eq!(mail.content_type(), mime);
    assert_eq!(mail.charset(), "utf-8");
    assert!(mail.body_text().contains("482913"), "{}", mail.body_text());
}
