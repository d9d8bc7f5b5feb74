//! The workspace's e-mail conformance suite and properties, run against this connector with
//! STARTTLS and AUTH.

use std::sync::Arc;
use std::time::Duration;

use connector_core::{ConnectorFactory, EmailMessage, ErrorCode, UsageType};
use connector_smtp::SmtpFactory;
use connector_testkit::email::{self, EmailFixture};
use connector_testkit::smtp::{SmtpServer, SmtpServerBuilder, SmtpTls};
use serde_json::{json, Value};

const PASSWORD: &str = "smtp-conformance-password";

struct Smtp;

impl EmailFixture for Smtp {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(SmtpFactory::new())
    }

    fn server(&self) -> SmtpServerBuilder {
        SmtpServer::builder()
            .tls(SmtpTls::StartTls)
            .auth("mailer@example.test", PASSWORD)
    }

    fn good_config(&self, server: &SmtpServer) -> Value {
        let mut config = server.connector_config();
        config["fromEmail"] = json!("Example <no-reply@example.test>");
        config["connectionTimeout"] = json!(2000);
        config["greetingTimeout"] = json!(1000);
        config["socketTimeout"] = json!(5000);
        config["templates"] = json!([{
            "usageType": "Generic", "contentType": "text/plain",
            "subject": "Your code", "content": "Your code is {{code}}",
        }]);
        config
    }

    fn expected_subject(&self) -> String {
        "Your code".into()
    }

    fn bad_inputs(&self) -> Vec<(EmailMessage, ErrorCode)> {
        let to = |to: &str| EmailMessage::new(to, UsageType::SignIn).with_code("123456");
        vec![
            (
                to("a@example.test, b@example.test"),
                ErrorCode::InvalidRequestParameters,
            ),
            (
                to("a@example.test\r\nBcc: b@example.test"),
                ErrorCode::InvalidRequestParameters,
            ),
            (to("not an address"), ErrorCode::InvalidRequestParameters),
            (
                EmailMessage::new("a@example.test", UsageType::SignIn),
                ErrorCode::InsufficientRequestParameters,
            ),
        ]
    }

    fn secrets(&self) -> Vec<String> {
        vec![PASSWORD.into()]
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        let base = json!({
            "host": "smtp.example.test", "port": 587, "fromEmail": "no-reply@example.test",
            "templates": [{"usageType": "Generic", "subject": "s", "content": "{{code}}"}],
        });
        let with = |key: &str, value: Value| {
            let mut config = base.clone();
            config[key] = value;
            config
        };
        vec![
            (with("port", json!(0)), "port"),
            (with("secure", json!(true)), "secure"),
            (
                with("tls", json!({"rejectUnauthorized": false})),
                "tls.rejectUnauthorized",
            ),
            (
                with("fromEmail", json!("a@example.test, b@example.test")),
                "fromEmail",
            ),
            (with("name", json!("邮件")), "name"),
        ]
    }

    fn stalled_server_bound(&self) -> Option<Duration> {
        // connectionTimeout + greetingTimeout of the good config, plus slack for a slow machine.
        Some(Duration::from_secs(10))
    }
}

#[tokio::test]
async fn smtp_passes_the_email_conformance_suite() {
    email::run(&Smtp).await;
}

#[test]
fn smtp_never_panics_or_hangs_on_arbitrary_configs_and_messages() {
    connector_testkit::properties::email(&Smtp);
}
